import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { MaesnClient, type MaesnConnection } from '../../src/maesn';
import { sendJson, startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/openapi';

let respond: (req: RecordedRequest, res: http.ServerResponse) => void = () => undefined;
let server: RecordingServer;
let client: MaesnClient;
let conn: MaesnConnection;

before(async () => {
  server = await startRecordingServer((req, res) => respond(req, res));
  client = new MaesnClient({ baseUrl: server.url, apiKey: 'paging-api-key', retry: { attempts: 1 } });
  conn = client.forConnection({ accountKey: 'paging-account-key', companyId: '777' });
});
after(async () => {
  await client.close();
  await server.close();
});

/** A paginated resource of `total` accounts, served with meta.pagination. */
function paginated(total: number) {
  return (req: RecordedRequest, res: http.ServerResponse) => {
    const page = Number(req.query.page ?? 1);
    const limit = Number(req.query.limit ?? 100);
    const totalPages = Math.ceil(total / limit);
    const items = [];
    for (let i = (page - 1) * limit; i < Math.min(total, page * limit); i++) items.push({ id: `acc-${i}`, code: String(1000 + i) });
    sendJson(res, 200, { meta: { warnings: null, pagination: { total, perPage: limit, currentPage: page, totalPages } }, data: items, errors: null, rawData: null });
  };
}

const requestsFor = (path: string) => server.requests.filter((r) => r.path === path);

describe('listAll streaming pagination', () => {
  test('fetches page N+1 only after page N was consumed, and never more pages than consumed', async () => {
    server.requests.length = 0;
    respond = paginated(50 * 5);
    let seen = 0;
    let expectedId = 0;
    for await (const page of conn.listAll('accounts', { limit: 5 })) {
      seen += 1;
      assert.equal(page.page, seen);
      assert.equal(page.totalPages, 50);
      assert.equal(page.items.length, 5);
      for (const item of page.items) assert.equal(item.id, `acc-${expectedId++}`);
      // Exactly the pages handed out so far have been requested: no read-ahead.
      assert.equal(requestsFor('/accounting/accounts').length, seen);
    }
    assert.equal(seen, 50);
    assert.equal(requestsFor('/accounting/accounts').length, 50);
    assert.deepEqual(
      requestsFor('/accounting/accounts').map((r) => Number(r.query.page)),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  test('stopping early requests no further page', async () => {
    server.requests.length = 0;
    respond = paginated(50 * 5);
    let consumed = 0;
    for await (const page of conn.listAll('accounts', { limit: 5 })) {
      consumed = page.page;
      if (consumed === 7) break;
    }
    assert.equal(consumed, 7);
    assert.equal(requestsFor('/accounting/accounts').length, 7);
  });

  test('resumes from a checkpointed page and passes companyId, limit and lastModifiedAt', async () => {
    server.requests.length = 0;
    respond = paginated(23);
    const since = new Date('2025-06-01T12:00:00.000Z');
    const pages: number[] = [];
    for await (const page of conn.listAll('journals', { limit: 10, startPage: 2, lastModifiedAt: since })) pages.push(page.page);
    assert.deepEqual(pages, [2, 3]);
    const reqs = requestsFor('/accounting/journals');
    assert.equal(reqs.length, 2);
    for (const r of reqs) {
      assert.equal(r.query.companyId, '777');
      assert.equal(r.query.limit, '10');
      assert.equal(r.query.lastModifiedAt, '2025-06-01T12:00:00.000Z');
    }
  });

  test('without pagination meta, a short page ends the stream', async () => {
    server.requests.length = 0;
    respond = (req, res) => {
      const page = Number(req.query.page);
      const count = page < 3 ? 5 : 2;
      sendJson(res, 200, { meta: null, data: Array.from({ length: count }, (_, i) => ({ id: `d-${page}-${i}`, categoryName: 'CostCenter' })), errors: null, rawData: null });
    };
    const sizes: number[] = [];
    for await (const page of conn.listAll('dimensions', { limit: 5 })) {
      assert.equal(page.totalPages, null);
      sizes.push(page.items.length);
    }
    assert.deepEqual(sizes, [5, 5, 2]);
    assert.equal(requestsFor('/accounting/dimensions').length, 3);
  });

  test('a target that ignores paging (same records every page) does not loop forever', async () => {
    server.requests.length = 0;
    respond = (_req, res) => sendJson(res, 200, { meta: null, data: Array.from({ length: 5 }, (_, i) => ({ id: `s-${i}` })), errors: null, rawData: null });
    let pages = 0;
    for await (const page of conn.listAll('suppliers', { limit: 5 })) {
      pages += 1;
      assert.equal(page.items.length, 5);
    }
    assert.equal(pages, 1);
    assert.equal(requestsFor('/accounting/suppliers').length, 2);
  });

  test('an empty first page is yielded once and ends the stream', async () => {
    server.requests.length = 0;
    respond = paginated(0);
    const pages = [];
    for await (const page of conn.listAll('taxRates', { limit: 20 })) pages.push(page);
    assert.equal(pages.length, 1);
    assert.deepEqual(pages[0].items, []);
    assert.equal(pages[0].hasMore, false);
  });

  test('limits outside 5/10/20/50/100 and bad pages are rejected before any request', async () => {
    server.requests.length = 0;
    await assert.rejects(conn.listAccounts({ limit: 25 as never }), RangeError);
    await assert.rejects(conn.listAccounts({ page: 0 }), RangeError);
    await assert.rejects(conn.listAll('accounts', { startPage: 1.5 }).next(), RangeError);
    assert.equal(server.requests.length, 0);
  });
});
