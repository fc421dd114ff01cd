/**
 * Contract test: every request the Maesn client sends is checked against Maesn's published
 * OpenAPI spec (query parameters, header parameters, JSON inside the multipart body), and the
 * canned responses used here are themselves checked against the spec's response schemas, so
 * the client is proven to parse spec-conforming responses.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { Request } from 'undici';
import { MaesnClient, type JournalEntryCreateInput, type MaesnConnection } from '../../src/maesn';
import {
  loadMaesnSpec,
  sendJson,
  specAbsentReason,
  startRecordingServer,
  validateRequest,
  validateResponse,
  type RecordedRequest,
  type RecordingServer,
} from '../helpers/openapi';

const spec = loadMaesnSpec();
const skip = spec ? false : specAbsentReason;

const API_KEY = 'contract-api-key';
const ACCOUNT_KEY = 'contract-account-key';
const DIVISION = '3048152';
const LINK = 'https://login.example.test/exact-nl?session=s1';

const ts = '2025-06-01T00:00:00Z';
const pagination = { total: 1, perPage: 5, currentPage: 1, totalPages: 1 };

// Spec-complete example records (every "required" property present, nullable where unknown).
const fixtures = {
  accounts: { id: 'gl-4500', balance: 0, class: 'EXPENSE', code: '4500', createdDate: ts, currency: 'EUR', debitCreditIndicator: 'DEBIT', description: 'Travel', name: 'Travel', number: '4500', parentAccountId: null, status: 'ACTIVE', type: 'EXPENSE', updatedDate: ts },
  journals: { id: 'j-90', accountId: null, code: '90', createdDate: ts, currency: 'EUR', description: 'Memoriaal', type: 'General', updatedDate: ts },
  taxRates: { id: 'vat-2', code: '2', createdDate: ts, description: 'BTW hoog, exclusief', name: 'BTW hoog', percentage: 21, type: 'EXCLUSIVE', updatedDate: ts, usage: 'ALL' },
  suppliers: { id: 'sup-1', addresses: [], companyName: 'J. Jansen', contactPersons: [], contactType: 'COMPANY', documentId: null, emailAddresses: [], number: '60001', phoneNumbers: [], projectId: null, role: 'SUPPLIER', updatedDate: ts },
  dimensions: { id: 'cc-100', categoryName: 'CostCenter', createdDate: ts, name: 'Sales', status: 'ACTIVE', updatedDate: ts },
  journalEntries: {
    id: 'je-1',
    accountId: null,
    accountingPeriodId: '2025-06',
    createdDate: ts,
    currency: 'EUR',
    description: 'Expense report 42',
    documentId: null,
    files: ['hotel.pdf'],
    journalLineItems: [
      { id: 'l1', accountCode: '4500', accountId: 'gl-4500', createdDate: ts, currency: 'EUR', customerId: null, debitCreditIndicator: 'DEBIT', description: 'Hotel', dimensions: [{ id: null, categoryName: 'CostCenter', name: 'Sales', code: '100' }], documentNumber: null, exchangeRate: 1, supplierId: null, taxRate: { id: null, code: '2', name: null, taxRatePercentage: '21' }, thirdPartyCode: null, totalGrossAmount: 121, totalNetAmount: 100, totalTaxAmount: 21, updatedDate: ts },
    ],
    number: '24900007',
    transactionDate: '2025-06-30T00:00:00Z',
    updatedDate: ts,
  },
  companies: { id: DIVISION, name: 'Demo BV', environmentId: null, client_number: null, consultant_number: null, subscription: null },
} as const;

interface Route {
  method: string;
  template: string;
  match: RegExp;
  status: number;
  body: unknown;
}

const listRoute = (path: string, item: unknown): Route => ({
  method: 'GET',
  template: path,
  match: new RegExp(`^${path}$`),
  status: 200,
  body: { meta: { warnings: null, pagination }, data: [item], errors: null, rawData: null },
});

const routes: Route[] = [
  { method: 'GET', template: '/auth/{TARGET_SYSTEM}', match: /^\/auth\/exact-(nl|be|de|gb)$/, status: 200, body: LINK },
  { method: 'GET', template: '/auth/companies', match: /^\/auth\/companies$/, status: 200, body: { meta: null, data: [fixtures.companies], errors: null, rawData: null } },
  listRoute('/accounting/accounts', fixtures.accounts),
  listRoute('/accounting/journals', fixtures.journals),
  listRoute('/accounting/taxRates', fixtures.taxRates),
  listRoute('/accounting/suppliers', fixtures.suppliers),
  listRoute('/accounting/dimensions', fixtures.dimensions),
  listRoute('/accounting/journalEntries', fixtures.journalEntries),
  { method: 'POST', template: '/accounting/journalEntries', match: /^\/accounting\/journalEntries$/, status: 201, body: { meta: { warnings: [], pagination: null }, data: fixtures.journalEntries, errors: null, rawData: null } },
  { method: 'GET', template: '/accounting/journalEntries/{journalEntryId}', match: /^\/accounting\/journalEntries\/[^/]+$/, status: 200, body: { meta: null, data: fixtures.journalEntries, errors: null, rawData: null } },
  { method: 'POST', template: '/accounting/journalEntries/{journalEntryId}/Attachments', match: /^\/accounting\/journalEntries\/[^/]+\/Attachments$/, status: 201, body: { meta: null, data: fixtures.journalEntries, errors: null, rawData: null } },
];

function routeFor(req: { method: string; path: string }): Route | undefined {
  return routes.find((r) => r.method === req.method && r.match.test(req.path));
}

let server: RecordingServer;
let client: MaesnClient;
let conn: MaesnConnection;

before(async () => {
  server = await startRecordingServer((req, res: http.ServerResponse) => {
    const route = routeFor(req);
    if (!route) return sendJson(res, 404, { errors: { message: `no route ${req.method} ${req.path}` } });
    if (typeof route.body === 'string') {
      res.writeHead(route.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(route.body);
      return;
    }
    sendJson(res, route.status, route.body);
  });
  client = new MaesnClient({ baseUrl: server.url, apiKey: API_KEY, retry: { attempts: 1 } });
  conn = client.forConnection({ accountKey: ACCOUNT_KEY, companyId: DIVISION });
});
after(async () => {
  await client.close();
  await server.close();
});

/** Sends one call and returns the single request it produced. */
async function capture(fn: () => Promise<unknown>): Promise<{ req: RecordedRequest; route: Route; result: unknown }> {
  const before = server.requests.length;
  const result = await fn();
  assert.equal(server.requests.length, before + 1, 'exactly one HTTP request expected');
  const req = server.requests[before];
  const route = routeFor(req);
  assert.ok(route, `no spec route for ${req.method} ${req.path}`);
  return { req, route, result };
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
}

async function parseMultipart(req: RecordedRequest): Promise<FormData> {
  const r = new Request('http://local/upload', { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: req.body });
  return (await r.formData()) as unknown as FormData;
}

function assertAuthHeaders(req: RecordedRequest, withAccount: boolean) {
  assert.equal(req.headers['x-api-key'], API_KEY);
  if (withAccount) assert.equal(req.headers['x-account-key'], ACCOUNT_KEY);
  else assert.equal(req.headers['x-account-key'], undefined);
}

describe('Maesn client requests conform to the OpenAPI spec', { skip }, () => {
  test('canned responses used by this test conform to the spec', () => {
    for (const r of routes) {
      const errors = validateResponse(spec!, r.method, r.template, r.status, r.body, typeof r.body === 'string' ? 'text/html' : 'application/json');
      assert.deepEqual(errors, [], `${r.method} ${r.template}: ${errors.join('\n')}`);
    }
  });

  for (const target of ['exact-nl', 'exact-be', 'exact-de', 'exact-gb'] as const) {
    test(`GET /auth/{TARGET_SYSTEM} hosted link for ${target}`, async () => {
      const scoped = new MaesnClient({ baseUrl: server.url, apiKey: API_KEY, targetSystem: target });
      try {
        const { req, result } = await capture(() =>
          scoped.getHostedAuthLink({ callbackUrl: 'https://app.example/maesn/callback', cancelCallbackUrl: 'https://app.example/maesn/cancel' }),
        );
        assert.equal(result, LINK);
        assert.equal(req.path, `/auth/${target}`);
        assert.equal(req.query.include_signature, 'true');
        assert.equal(req.query.callbackUrl, 'https://app.example/maesn/callback');
        assertAuthHeaders(req, false);
        assert.deepEqual(validateRequest(spec!, 'GET', '/auth/{TARGET_SYSTEM}', { query: req.query, headers: flatHeaders(req.headers) }), []);
      } finally {
        await scoped.close();
      }
    });
  }

  test('GET /auth/companies', async () => {
    const { req, result } = await capture(() => conn.listCompanies());
    assert.equal((result as { id: string }[])[0].id, DIVISION);
    assertAuthHeaders(req, true);
    assert.deepEqual(validateRequest(spec!, 'GET', '/auth/companies', { query: req.query, headers: flatHeaders(req.headers) }), []);
  });

  for (const resource of ['accounts', 'journals', 'taxRates', 'suppliers', 'dimensions', 'journalEntries'] as const) {
    test(`GET /accounting/${resource} (page, limit, lastModifiedAt, companyId)`, async () => {
      for (const limit of [5, 10, 20, 50, 100] as const) {
        const { req, result } = await capture(() => conn.listPage(resource, { page: 2, limit, lastModifiedAt: '2025-01-01T00:00:00Z' }));
        assert.equal((result as { items: { id: string }[] }).items[0].id, fixtures[resource].id);
        assert.equal(req.query.companyId, DIVISION);
        assert.equal(req.query.page, '2');
        assert.equal(req.query.limit, String(limit));
        assertAuthHeaders(req, true);
        const errors = validateRequest(spec!, 'GET', `/accounting/${resource}`, { query: req.query, headers: flatHeaders(req.headers) });
        assert.deepEqual(errors, [], errors.join('\n'));
      }
      // rawData=true is a declared boolean parameter.
      const withRaw = await capture(() => conn.listPage(resource, { limit: 5, rawData: true }));
      assert.equal(withRaw.req.query.rawData, 'true');
      assert.deepEqual(validateRequest(spec!, 'GET', `/accounting/${resource}`, { query: withRaw.req.query, headers: flatHeaders(withRaw.req.headers) }), []);
      // listAll sends the same parameters.
      const before = server.requests.length;
      for await (const page of conn.listAll(resource, { limit: 50 })) assert.equal(page.items.length, 1);
      const req = server.requests[before];
      assert.deepEqual(validateRequest(spec!, 'GET', `/accounting/${resource}`, { query: req.query, headers: flatHeaders(req.headers) }), []);
    });
  }

  test('GET /accounting/journalEntries/{journalEntryId}', async () => {
    const { req, result } = await capture(() => conn.getJournalEntry('je/1 2', { journalCode: '90' }));
    assert.equal((result as { id: string }).id, 'je-1');
    assert.equal(req.path, '/accounting/journalEntries/je%2F1%202');
    assert.equal(req.query.companyId, DIVISION);
    assertAuthHeaders(req, true);
    assert.deepEqual(
      validateRequest(spec!, 'GET', '/accounting/journalEntries/{journalEntryId}', { query: req.query, headers: flatHeaders(req.headers) }),
      [],
    );
  });

  test('POST /accounting/journalEntries as multipart: journal_entry JSON, files, filesPos', async () => {
    const input: JournalEntryCreateInput = {
      accountingPeriodId: '2025-06',
      currency: 'EUR',
      description: 'Expense report 42 - J. Jansen',
      journalCode: '90',
      journalType: 'FIN',
      transactionDate: '2025-06-30T00:00:00Z',
      number: 'EXP-42',
      exchangeRate: '1',
      journalLineItems: [
        { accountId: 'gl-4500', debitCreditIndicator: 'DEBIT', currency: 'EUR', description: 'Hotel', totalNetAmount: '100.92', totalTaxAmount: '9.08', totalGrossAmount: '110.00', taxRate: { code: '5', taxRatePercentage: '9' }, dimensions: [{ categoryName: 'CostCenter', code: '100' }, { categoryName: 'CostUnit', code: 'P7' }] },
        { accountCode: '4100', debitCreditIndicator: 'DEBIT', description: 'Taxi', totalNetAmount: 20, totalTaxAmount: 4.2, totalGrossAmount: 24.2, taxRate: { id: 'vat-2' } },
        { accountId: 'gl-1600', supplierId: 'sup-1', debitCreditIndicator: 'CREDIT', description: 'J. Jansen', totalGrossAmount: '134.20' },
      ],
    };
    const hotel = Buffer.from('%PDF-1.4 hotel receipt');
    const taxi = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
    const { req, result } = await capture(() =>
      conn.createJournalEntry(input, {
        files: [
          { fileName: 'hotel.pdf', data: hotel, contentType: 'application/pdf', linePosition: 1 },
          { fileName: 'taxi.jpg', data: taxi, contentType: 'image/jpeg', linePosition: 2 },
        ],
      }),
    );
    assert.equal((result as { data: { id: string }; status: number }).data.id, 'je-1');
    assert.match(String(req.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.equal(req.query.companyId, DIVISION);
    assertAuthHeaders(req, true);

    const form = await parseMultipart(req);
    const names = [...new Set([...form.keys()])];
    const json = form.get('journal_entry');
    assert.equal(typeof json, 'string');
    const errors = validateRequest(spec!, 'POST', '/accounting/journalEntries', {
      query: req.query as Record<string, string>,
      headers: flatHeaders(req.headers),
      multipartJsonField: { name: 'journal_entry', value: json },
      multipartFieldNames: names,
    });
    assert.deepEqual(errors, [], errors.join('\n'));

    // Amounts go out as JSON numbers with exactly the decimals given.
    assert.match(String(json), /"totalNetAmount":100\.92/);
    assert.match(String(json), /"totalGrossAmount":134\.2\b/);
    const parsed = JSON.parse(String(json));
    assert.equal(parsed.journalLineItems.length, 3);
    assert.equal(parsed.journalLineItems[0].taxRate.taxRatePercentage, '9');

    const files = form.getAll('files') as unknown as File[];
    assert.deepEqual(files.map((f) => f.name), ['hotel.pdf', 'taxi.jpg']);
    assert.deepEqual(Buffer.from(await files[0].arrayBuffer()), hotel);
    assert.deepEqual(Buffer.from(await files[1].arrayBuffer()), taxi);
    assert.equal(files[1].type, 'image/jpeg');
    assert.deepEqual(form.getAll('filesPos'), ['1', '2']);
  });

  test('POST /accounting/journalEntries without files sends only journal_entry', async () => {
    const { req } = await capture(() => conn.createJournalEntry({ journalCode: '90', journalLineItems: [{ accountId: 'gl', debitCreditIndicator: 'DEBIT', totalNetAmount: 1 }] }));
    const form = await parseMultipart(req);
    assert.deepEqual([...form.keys()], ['journal_entry']);
    assert.deepEqual(
      validateRequest(spec!, 'POST', '/accounting/journalEntries', {
        query: req.query as Record<string, string>,
        headers: flatHeaders(req.headers),
        multipartJsonField: { name: 'journal_entry', value: form.get('journal_entry') },
        multipartFieldNames: [...form.keys()],
      }),
      [],
    );
  });

  test('POST /accounting/journalEntries/{journalEntryId}/Attachments as multipart part "file"', async () => {
    const pdf = Buffer.from('%PDF-1.4 late receipt');
    const { req, result } = await capture(() => conn.addJournalEntryAttachment('je-1', { fileName: 'late.pdf', data: pdf, contentType: 'application/pdf' }));
    assert.equal((result as { data: { id: string } }).data.id, 'je-1');
    assertAuthHeaders(req, true);
    const form = await parseMultipart(req);
    const file = form.get('file') as unknown as File;
    assert.equal(file.name, 'late.pdf');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), pdf);
    const errors = validateRequest(spec!, 'POST', '/accounting/journalEntries/{journalEntryId}/Attachments', {
      query: req.query as Record<string, string>,
      headers: flatHeaders(req.headers),
      multipartFieldNames: [...form.keys()],
    });
    assert.deepEqual(errors, [], errors.join('\n'));
  });
});
