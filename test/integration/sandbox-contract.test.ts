/**
 * Contract test: the sandbox's real responses for every Maesn endpoint it serves are validated
 * against the response schemas of Maesn's published OpenAPI spec (kept outside the repository).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';
import { loadMaesnSpec, specAbsentReason, validateRequest, validateResponse } from '../helpers/openapi';

const spec = loadMaesnSpec();
const API_KEY = 'sandbox-contract-key';
const DIV = '123456';
const YEAR = new Date().getUTCFullYear();

describe('sandbox responses conform to the Maesn OpenAPI spec', { skip: spec ? false : specAbsentReason }, () => {
  let sb: RunningSandbox;
  let dataDir: string;
  let key: string;
  const h = (): Record<string, string> => ({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key });
  let entryId = '';

  async function check(method: 'get' | 'post', template: string, url: string, expectedStatus: number, init: RequestInit = {}): Promise<unknown> {
    const res = await fetch(`${sb.url}${url}`, { method: method.toUpperCase(), headers: h(), ...init });
    assert.equal(res.status, expectedStatus, `${method} ${url}`);
    const ct = res.headers.get('content-type') ?? '';
    const body: unknown = ct.includes('json') ? await res.json() : await res.text();
    const errors = validateResponse(spec!, method, template, res.status, body, ct);
    assert.deepEqual(errors, [], `${method.toUpperCase()} ${url}:\n${errors.join('\n')}`);
    return body;
  }

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-contract-'));
    sb = await startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: 'sandbox-contract-secret', rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });
    key = (await new SandboxControl(sb.url, API_KEY).connect({ division: DIV, includeSignature: true })).accountKey;
  });
  after(async () => {
    await sb.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('GET /health', async () => {
    await check('get', '/health', '/health', 200);
  });

  test('GET /auth/{TARGET_SYSTEM} returns a URL string (text/html)', async () => {
    const body = await check('get', '/auth/{TARGET_SYSTEM}', '/auth/exact-nl?callbackUrl=https%3A%2F%2Fapp.example%2Fcb', 200);
    assert.equal(typeof body, 'string');
    assert.ok(new URL(body as string));
  });

  test('GET /auth/companies', async () => {
    await check('get', '/auth/companies', '/auth/companies', 200);
  });

  for (const p of ['accounts', 'journals', 'taxRates', 'suppliers', 'dimensions']) {
    test(`GET /accounting/${p} (every page, plus rawData)`, async () => {
      for (let page = 1; ; page++) {
        const body = (await check('get', `/accounting/${p}`, `/accounting/${p}?limit=20&page=${page}`, 200)) as { meta: { pagination: { totalPages: number } } };
        if (page >= body.meta.pagination.totalPages) break;
      }
      await check('get', `/accounting/${p}`, `/accounting/${p}?limit=5&rawData=true`, 200);
    });
  }

  test('GET single account, tax rate and supplier', async () => {
    for (const [p, template] of [
      ['accounts', '/accounting/accounts/{accountId}'],
      ['taxRates', '/accounting/taxRates/{taxRateId}'],
      ['suppliers', '/accounting/suppliers/{contactId}'],
    ] as const) {
      const list = (await (await fetch(`${sb.url}/accounting/${p}?limit=5`, { headers: h() })).json()) as { data: { id: string }[] };
      await check('get', template, `/accounting/${p}/${list.data[0].id}`, 200);
    }
  });

  test('POST /accounting/journalEntries (request and 201 response)', async () => {
    const accounts = (await (await fetch(`${sb.url}/accounting/accounts?limit=100`, { headers: h() })).json()) as { data: { code: string; id: string }[] };
    const id = (c: string): string => accounts.data.find((a) => a.code === c)!.id;
    const je = {
      accountingPeriodId: `${YEAR}-02`,
      description: 'Contract test declaratie',
      journalCode: '90',
      journalType: 'FIN',
      transactionDate: `${YEAR}-02-10T00:00:00Z`,
      currency: 'EUR',
      journalLineItems: [
        { accountId: id('4430'), debitCreditIndicator: 'DEBIT', currency: 'EUR', description: 'Lunch klant', totalNetAmount: 45.87, totalTaxAmount: 4.13, totalGrossAmount: 50, taxRate: { code: '6', taxRatePercentage: '9' }, dimensions: [{ categoryName: 'CostCenter', code: '200' }] },
        { accountId: id('1610'), debitCreditIndicator: 'CREDIT', currency: 'EUR', description: 'S. de Vries', totalGrossAmount: 50 },
      ],
    };
    const reqErrors = validateRequest(spec!, 'post', '/accounting/journalEntries', {
      query: {},
      headers: h(),
      multipartJsonField: { name: 'journal_entry', value: JSON.stringify(je) },
      multipartFieldNames: ['journal_entry', 'files', 'filesPos'],
    });
    assert.deepEqual(reqErrors, [], reqErrors.join('\n'));
    const fd = new FormData();
    fd.append('journal_entry', JSON.stringify(je));
    fd.append('files', new Blob([Buffer.from('%PDF-1.4')], { type: 'application/pdf' }), 'lunch.pdf');
    fd.append('filesPos', '1');
    const body = (await check('post', '/accounting/journalEntries', '/accounting/journalEntries', 201, { body: fd })) as { data: { id: string } };
    entryId = body.data.id;
  });

  test('GET /accounting/journalEntries and /{journalEntryId}', async () => {
    assert.ok(entryId);
    await check('get', '/accounting/journalEntries', '/accounting/journalEntries?limit=5', 200);
    await check('get', '/accounting/journalEntries/{journalEntryId}', `/accounting/journalEntries/${entryId}`, 200);
  });

  test('POST /accounting/journalEntries/{journalEntryId}/Attachments', async () => {
    const fd = new FormData();
    fd.append('file', new Blob([Buffer.from('png')], { type: 'image/png' }), 'bon.png');
    await check('post', '/accounting/journalEntries/{journalEntryId}/Attachments', `/accounting/journalEntries/${entryId}/Attachments`, 201, { body: fd });
  });

  test('error bodies keep the envelope with an object-typed errors field', async () => {
    const res = await fetch(`${sb.url}/accounting/accounts?limit=3`, { headers: h() });
    const body = (await res.json()) as { errors: unknown };
    assert.equal(res.status, 400);
    assert.equal(typeof body.errors, 'object');
    assert.ok(body.errors !== null && !Array.isArray(body.errors));
  });
});
