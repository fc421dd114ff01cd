import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { MaesnClient, MaesnResponseFormatError, numberToDecimalString, type MaesnConnection } from '../../src/maesn';
import { sendJson, startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/openapi';

let respond: (req: RecordedRequest, res: http.ServerResponse) => void = () => undefined;
let server: RecordingServer;
let client: MaesnClient;
let conn: MaesnConnection;

before(async () => {
  server = await startRecordingServer((req, res) => respond(req, res));
  client = new MaesnClient({ baseUrl: server.url, apiKey: 'parsing-api-key', retry: { attempts: 1 } });
  conn = client.forConnection({ accountKey: 'parsing-account-key', companyId: '42' });
});
after(async () => {
  await client.close();
  await server.close();
});

const envelope = (data: unknown, meta: unknown = null) => ({ meta, data, errors: null, rawData: null });

describe('response parsing quirks', () => {
  test('numbers sent as strings are accepted; money becomes canonical decimal strings', async () => {
    respond = (_req, res) =>
      sendJson(
        res,
        200,
        envelope(
          [
            { id: '1', code: '21', description: 'BTW hoog', percentage: '21', type: 'EXCLUSIVE', usage: 'ALL', createdDate: null, updatedDate: null, name: null },
            { id: '2', code: '9', description: 'BTW laag', percentage: 9, type: 'EXCLUSIVE', usage: 'ALL' },
            { id: 3, code: 0, percentage: '0.00' },
          ],
          { warnings: null, pagination: { total: '3', perPage: '5', currentPage: '1', totalPages: '1' } },
        ),
      );
    const page = await conn.listTaxRates({ limit: 5 });
    assert.deepEqual(
      page.items.map((t) => [t.id, t.code, t.percentage]),
      [
        ['1', '21', '21'],
        ['2', '9', '9'],
        ['3', '0', '0.00'],
      ],
    );
    assert.equal(page.totalPages, 1);
    assert.equal(page.total, 3);
    assert.equal(page.hasMore, false);
  });

  test('missing optional/nullable fields come back as null; unknown extra fields are dropped', async () => {
    respond = (_req, res) => sendJson(res, 200, envelope([{ id: 'a1', name: 'Travel', extraField: 'x' }]));
    const page = await conn.listAccounts({ limit: 5 });
    const [acc] = page.items;
    assert.equal(acc.id, 'a1');
    assert.equal(acc.name, 'Travel');
    assert.equal(acc.balance, null);
    assert.equal(acc.class, null);
    assert.equal(acc.updatedDate, null);
    assert.ok(!('extraField' in acc));
    assert.equal(page.totalPages, null);
  });

  test('enum fields keep values outside the documented list', async () => {
    respond = (_req, res) => sendJson(res, 200, envelope([{ id: 'a1', class: 'Kosten', status: 'BLOCKED' }]));
    const [acc] = (await conn.listAccounts({ limit: 5 })).items;
    assert.equal(acc.class, 'Kosten');
    assert.equal(acc.status, 'BLOCKED');
  });

  test('single-object endpoints accept data as a one-element array, and as an object', async () => {
    const entry = {
      id: 'je-1',
      journalCode: '90',
      description: 'Report 1',
      files: ['receipt.pdf'],
      journalLineItems: [
        { id: 'l1', accountId: 'gl-1', debitCreditIndicator: 'DEBIT', totalNetAmount: '100.92', totalTaxAmount: 9.08, totalGrossAmount: '110', exchangeRate: '1', taxRate: { code: '5', taxRatePercentage: 9 }, dimensions: [{ categoryName: 'CostCenter', code: '100' }] },
      ],
    };
    respond = (_req, res) => sendJson(res, 200, envelope([entry]));
    const fromArray = await conn.getJournalEntry('je-1');
    respond = (_req, res) => sendJson(res, 200, envelope(entry));
    const fromObject = await conn.getJournalEntry('je-1');
    assert.deepEqual(fromArray, fromObject);
    const line = fromObject.journalLineItems![0];
    assert.equal(line.totalNetAmount, '100.92');
    assert.equal(line.totalTaxAmount, '9.08');
    assert.equal(line.taxRate?.taxRatePercentage, '9');
    assert.equal(line.dimensions?.[0].code, '100');
    assert.equal(line.dimensions?.[0].id, null);
    assert.deepEqual(fromObject.files, ['receipt.pdf']);

    respond = (_req, res) => sendJson(res, 200, envelope([entry, entry]));
    await assert.rejects(conn.getJournalEntry('je-1'), MaesnResponseFormatError);
  });

  test('create returns the created entry and meta warnings (one-element array tolerated)', async () => {
    respond = (_req, res) => sendJson(res, 201, envelope([{ id: 'new-1', number: 24900007 }], { warnings: ['Field not used by target system: documentId'] }));
    const res = await conn.createJournalEntry({ journalCode: '90', journalLineItems: [{ accountId: 'gl-1', totalNetAmount: 1 }] });
    assert.equal(res.status, 201);
    assert.equal(res.data.id, 'new-1');
    assert.equal(res.data.number, '24900007');
    assert.deepEqual(res.warnings, ['Field not used by target system: documentId']);
  });

  test('list data null is an empty page; non-JSON or non-envelope bodies are format errors', async () => {
    respond = (_req, res) => sendJson(res, 200, envelope(null));
    assert.deepEqual((await conn.listSuppliers({ limit: 5 })).items, []);
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>gateway</html>');
    };
    await assert.rejects(conn.listSuppliers(), MaesnResponseFormatError);
    respond = (_req, res) => sendJson(res, 200, envelope([{ id: 'x', balance: 'lots' }]));
    await assert.rejects(conn.listAccounts(), (err: unknown) => err instanceof MaesnResponseFormatError && /balance/.test(err.message));
  });

  test('suppliers (contact DTO) and companies parse with nested arrays and numeric strings', async () => {
    respond = (_req, res) =>
      sendJson(res, 200, envelope([{ id: 's1', companyName: 'ACME BV', accountNumber: '1600', emailAddresses: [{ email: 'a@acme.nl', type: 'BUSINESS' }], role: 'SUPPLIER', bankAccounts: [{ iban: 'NL91ABNA0417164300', sepa: 'true' }] }]));
    const [s] = (await conn.listSuppliers()).items;
    assert.equal(s.accountNumber, 1600);
    assert.equal(s.emailAddresses?.[0].email, 'a@acme.nl');
    assert.equal(s.bankAccounts?.[0].sepa, true);
    assert.equal(s.vatId, null);

    respond = (_req, res) => sendJson(res, 200, envelope([{ id: 123456, name: 'Demo BV', client_number: '7' }]));
    const companies = await conn.listCompanies();
    assert.deepEqual(companies.map((c) => [c.id, c.name, c.client_number]), [['123456', 'Demo BV', 7]]);
  });

  test('hosted link: plain text, JSON-quoted string and {url} are all accepted; junk is rejected', async () => {
    const link = 'https://login.example.test/connect?session=abc';
    const variants: [string, string][] = [
      ['text/html; charset=utf-8', link],
      ['application/json', JSON.stringify(link)],
      ['application/json', JSON.stringify({ url: link })],
      ['text/html', `  ${link}\n`],
    ];
    for (const [ct, body] of variants) {
      respond = (_req, res) => {
        res.writeHead(200, { 'content-type': ct });
        res.end(body);
      };
      assert.equal(await client.getHostedAuthLink({ callbackUrl: 'https://app.example/cb' }), link);
    }
    respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not a link</html>');
    };
    await assert.rejects(client.getHostedAuthLink({ callbackUrl: 'https://app.example/cb' }), MaesnResponseFormatError);
  });
});

describe('rawData', () => {
  test('rawData=true is sent only when asked; raw records are index-aligned with items when they line up', async () => {
    const raw = { d: { results: [{ Code: '2001', Blocked: false }, { Code: '2002', Blocked: true }] } };
    respond = (req, res) =>
      sendJson(res, 200, { meta: null, data: [{ id: 's1' }, { id: 's2' }], errors: null, rawData: req.query.rawData === 'true' ? raw : null });
    server.requests.length = 0;
    const withRaw = await conn.listSuppliers({ limit: 5, rawData: true });
    assert.equal(server.requests[0].query.rawData, 'true');
    assert.deepEqual(withRaw.rawData, raw);
    assert.deepEqual(withRaw.raw, raw.d.results);

    const plain = await conn.listSuppliers({ limit: 5 });
    assert.equal(server.requests[1].query.rawData, undefined);
    assert.equal(plain.raw, null);
    assert.equal(plain.rawData, null);

    respond = (_req, res) => sendJson(res, 200, { meta: null, data: [{ id: 's1' }, { id: 's2' }], errors: null, rawData: [{ a: 1 }] });
    const mismatched = await conn.listSuppliers({ limit: 5, rawData: true });
    assert.equal(mismatched.raw, null, 'not aligned when counts differ');
    assert.deepEqual(mismatched.rawData, [{ a: 1 }]);

    respond = (_req, res) => sendJson(res, 200, { meta: null, data: [{ id: 's1' }], errors: null, rawData: [{ a: 1 }] });
    const pages = [];
    for await (const page of conn.listAll('suppliers', { limit: 5, rawData: true })) pages.push(page);
    assert.deepEqual(pages[0].raw, [{ a: 1 }]);
  });
});

describe('decimal helpers', () => {
  test('numberToDecimalString never uses exponent notation', () => {
    assert.equal(numberToDecimalString(109), '109');
    assert.equal(numberToDecimalString(100.92), '100.92');
    assert.equal(numberToDecimalString(-0.01), '-0.01');
    assert.equal(numberToDecimalString(1e-7), '0.0000001');
    assert.equal(numberToDecimalString(1.5e21), '1500000000000000000000');
  });
});
