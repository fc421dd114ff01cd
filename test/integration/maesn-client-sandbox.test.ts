/**
 * The Maesn client against the local Maesn sandbox over HTTP: connect flow, master data
 * streaming, journal entry create/read/attach, error classification and fault handling.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger';
import {
  MaesnClient,
  MaesnInvalidRequestError,
  MaesnNotFoundError,
  MaesnRateLimitedError,
  MaesnTransientError,
  MaesnUnauthorizedError,
  classifyMaesnError,
  type JournalEntryCreateInput,
  type MaesnConnection,
} from '../../src/maesn';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'maesn-client-sandbox-key';
const DIV = '123456';
const YEAR = new Date().getUTCFullYear();
const PERIOD = `${YEAR}-03`;

let sb: RunningSandbox;
let ctl: SandboxControl;
let dataDir: string;
let client: MaesnClient;
let conn: MaesnConnection;
const sleeps: number[] = [];
const accountIds = new Map<string, string>();

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maesn-client-sb-'));
  sb = await startSandbox({ port: 0, dataDir, apiKey: API_KEY, signingSecret: 'maesn-client-sandbox-secret', rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });
  ctl = new SandboxControl(sb.url, API_KEY);
  client = new MaesnClient({
    baseUrl: sb.url,
    apiKey: API_KEY,
    timeoutMs: 5_000,
    logger: createLogger({ name: 'maesn-client-test', level: 'silent' }),
    retry: {
      attempts: 3,
      baseDelayMs: 10,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
  });
});

after(async () => {
  await client.close();
  await sb.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function expenseEntry(description: string, over: Partial<JournalEntryCreateInput> = {}): JournalEntryCreateInput {
  return {
    accountingPeriodId: PERIOD,
    description,
    journalCode: '90',
    transactionDate: `${PERIOD}-15T00:00:00Z`,
    currency: 'EUR',
    journalLineItems: [
      {
        accountId: accountIds.get('4530'),
        debitCreditIndicator: 'DEBIT',
        description: 'Hotel',
        totalNetAmount: '100.00',
        totalTaxAmount: '9.00',
        totalGrossAmount: '109.00',
        taxRate: { code: '6' },
        dimensions: [
          { categoryName: 'CostCenter', code: '200' },
          { categoryName: 'CostUnit', code: 'KD01' },
        ],
      },
      { accountId: accountIds.get('4510'), debitCreditIndicator: 'DEBIT', description: 'Trein', totalNetAmount: '20.50', totalTaxAmount: '0.00', totalGrossAmount: '20.50' },
      { accountId: accountIds.get('1610'), debitCreditIndicator: 'CREDIT', description: 'J. Jansen', totalGrossAmount: '129.50', supplierId: '9001' },
    ],
    ...over,
  };
}

describe('Maesn client ↔ sandbox', () => {
  test('hosted link → hosted form → account key; companies list the division', async () => {
    const link = await client.getHostedAuthLink({ callbackUrl: 'http://localhost/maesn/callback', cancelCallbackUrl: 'http://localhost/maesn/cancel' });
    assert.match(link, /^http:\/\//);
    const res = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ division: DIV }).toString(),
      redirect: 'manual',
    });
    await res.body?.cancel();
    assert.equal(res.status, 302);
    const redirect = new URL(res.headers.get('location') ?? '');
    assert.equal(redirect.pathname, '/maesn/callback');
    const accountKey = redirect.searchParams.get('accountKey');
    assert.ok(accountKey);
    assert.ok(redirect.searchParams.has('signature'), 'include_signature=true is sent by default');
    conn = client.forConnection({ accountKey, companyId: redirect.searchParams.get('companyId') ?? DIV });

    const companies = await client.listCompanies(accountKey);
    assert.ok(companies.some((c) => c.id === DIV));
  });

  test('listAll streams accounts page by page until the last page', async () => {
    let pages = 0;
    let total: number | null = null;
    let count = 0;
    for await (const page of conn.listAll('accounts', { limit: 20 })) {
      pages += 1;
      assert.equal(page.page, pages);
      total = page.total;
      count += page.items.length;
      for (const a of page.items) if (a.code && a.id) accountIds.set(a.code, a.id);
    }
    assert.ok(total !== null && total > 20, 'seed has more than one page of accounts');
    assert.equal(count, total);
    assert.equal(pages, Math.ceil(total / 20));
    assert.ok(accountIds.has('4530') && accountIds.has('1610'));
  });

  test('journals, tax rates, suppliers and dimensions (cost centers and cost units) parse', async () => {
    const journals = (await conn.listJournals({ limit: 50 })).items;
    assert.ok(journals.some((j) => j.code === '90'));
    const taxRates = (await conn.listTaxRates({ limit: 50 })).items;
    const low = taxRates.find((t) => t.code === '6');
    assert.equal(low?.percentage, '9');
    const supplierPage = await conn.listSuppliers({ limit: 100, rawData: true });
    const suppliers = supplierPage.items;
    assert.ok(suppliers.some((s) => s.number === '9001'));
    assert.ok(supplierPage.raw, 'raw upstream records line up with the items');
    assert.equal(supplierPage.raw.length, suppliers.length);
    const dims = [];
    for await (const page of conn.listAll('dimensions', { limit: 10 })) dims.push(...page.items);
    assert.ok(dims.some((d) => d.categoryName === 'CostCenter' && d.name));
    assert.ok(dims.some((d) => d.categoryName === 'CostUnit'));
  });

  test('create a journal entry with receipts, read it back, attach another file', async () => {
    const since = new Date(Date.now() - 1000);
    const created = await conn.createJournalEntry(expenseEntry('EXP-1001 J. Jansen'), {
      files: [
        { fileName: 'hotel.pdf', data: Buffer.from('%PDF-1.4 hotel'), contentType: 'application/pdf', linePosition: 1 },
        { fileName: 'trein.pdf', data: Buffer.from('%PDF-1.4 trein'), contentType: 'application/pdf', linePosition: 2 },
      ],
    });
    assert.equal(created.status, 201);
    const entry = created.data;
    assert.ok(entry.id);
    assert.deepEqual(entry.files, ['hotel.pdf', 'trein.pdf']);
    assert.equal(entry.journalLineItems?.length, 3);
    assert.equal(entry.journalLineItems?.[0].totalNetAmount, '100');
    assert.equal(entry.journalLineItems?.[1].totalGrossAmount, '20.5');

    const fetched = await conn.getJournalEntry(entry.id!);
    assert.equal(fetched.number, entry.number);
    assert.equal(fetched.description, null, 'general journal entries have no entry-level description (as in Exact)');
    assert.equal(fetched.journalLineItems?.[0].description, 'Hotel', 'lines keep theirs');

    const listed = [];
    for await (const page of conn.listAll('journalEntries', { lastModifiedAt: since, limit: 5 })) listed.push(...page.items);
    assert.ok(listed.some((e) => e.id === entry.id));

    const attached = await conn.addJournalEntryAttachment(entry.id!, { fileName: 'late.pdf', data: Buffer.from('%PDF-1.4 late'), contentType: 'application/pdf' });
    assert.ok(attached.data?.files?.includes('late.pdf'));
  });

  test('a business-rule rejection is a non-retryable invalid request with line information', async () => {
    const bad = expenseEntry('EXP-1002 unbalanced');
    bad.journalLineItems[2] = { ...bad.journalLineItems[2], totalGrossAmount: '100.00' };
    await assert.rejects(conn.createJournalEntry(bad), (err: unknown) => {
      assert.ok(err instanceof MaesnInvalidRequestError, String(err));
      assert.equal(err.status, 400);
      assert.equal(classifyMaesnError(err).retryable, false);
      assert.ok(err.targetMessage);
      return true;
    });

    const wrongAccount = expenseEntry('EXP-1003 unknown account');
    wrongAccount.journalLineItems[1] = { ...wrongAccount.journalLineItems[1], accountId: '00000000-0000-0000-0000-000000000000' };
    await assert.rejects(conn.createJournalEntry(wrongAccount), (err: unknown) => err instanceof MaesnInvalidRequestError && err.line === 2);
  });

  test('unknown entry → not found; revoked account key → unauthorized', async () => {
    await assert.rejects(conn.getJournalEntry('00000000-0000-0000-0000-000000000000'), MaesnNotFoundError);
    const { accountKey } = await ctl.createConnection(DIV);
    const doomed = client.forConnection({ accountKey, companyId: DIV });
    await doomed.listJournals({ limit: 5 });
    await ctl.revokeAccountKey(accountKey);
    await assert.rejects(doomed.listJournals({ limit: 5 }), (err: unknown) => {
      assert.ok(err instanceof MaesnUnauthorizedError);
      assert.equal(classifyMaesnError(err).reauthorizationRequired, true);
      assert.ok(!err.message.includes(accountKey));
      return true;
    });
  });

  test('injected 503s on a read are retried; 429 Retry-After is honoured', async () => {
    sleeps.length = 0;
    await ctl.failNext('getTaxRates', 503, 2);
    const page = await conn.listTaxRates({ limit: 5 });
    assert.equal(page.items.length, 5);
    assert.equal(sleeps.length, 2);

    sleeps.length = 0;
    await ctl.failNext('getJournals', 429, 1, { retryAfterSeconds: 2 });
    await conn.listJournals({ limit: 5 });
    assert.equal(sleeps.length, 1);
    assert.ok(sleeps[0] >= 2000, `slept ${sleeps[0]}`);

    await ctl.failNext('getJournals', 429, 1, { retryAfterSeconds: 3600 });
    await assert.rejects(conn.listJournals({ limit: 5 }), (err: unknown) => err instanceof MaesnRateLimitedError && err.retryAfterMs === 3_600_000);
    await ctl.clearFaults();
  });

  test('a write whose response is lost is not retried and reports an unknown outcome; the entry exists', async () => {
    const before = (await ctl.listJournalEntries(DIV)).filter((e) => e.postedDescription === 'EXP-1004 lost response').length;
    await ctl.commitThenFail({ status: 500 });
    await assert.rejects(conn.createJournalEntry(expenseEntry('EXP-1004 lost response')), (err: unknown) => {
      assert.ok(err instanceof MaesnTransientError, String(err));
      assert.equal(err.outcomeUnknown, true);
      assert.equal(classifyMaesnError(err).outcomeUnknown, true);
      return true;
    });
    const after = (await ctl.listJournalEntries(DIV)).filter((e) => e.postedDescription === 'EXP-1004 lost response').length;
    assert.equal(after, before + 1, 'committed exactly once: the client did not re-send');

    await ctl.resetNext('createJournalEntry');
    await assert.rejects(
      conn.createJournalEntry(expenseEntry('EXP-1005 reset')),
      (err: unknown) => err instanceof MaesnTransientError && err.outcomeUnknown === true,
    );
    await ctl.clearFaults();
  });

  test('a held request times out as a transient error', async () => {
    const impatient = new MaesnClient({ baseUrl: sb.url, apiKey: API_KEY, timeoutMs: 200, retry: { attempts: 1 } });
    try {
      await ctl.timeoutNext('getDimensions', 1_000);
      await assert.rejects(
        impatient.forConnection({ accountKey: (await ctl.createConnection(DIV)).accountKey, companyId: DIV }).listDimensions({ limit: 5 }),
        (err: unknown) => err instanceof MaesnTransientError && err.code === 'TIMEOUT',
      );
    } finally {
      await ctl.clearFaults();
      await impatient.close();
    }
  });
});
