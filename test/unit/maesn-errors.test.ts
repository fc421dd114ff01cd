import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MaesnClient,
  MaesnError,
  MaesnInvalidRequestError,
  MaesnNotFoundError,
  MaesnRateLimitedError,
  MaesnResponseFormatError,
  MaesnTransientError,
  MaesnUnauthorizedError,
  classifyMaesnError,
  parseRetryAfter,
  type MaesnConnection,
} from '../../src/maesn';
import { sendJson, startRecordingServer, type RecordingServer } from '../helpers/openapi';

const API_KEY = 'test-api-key-0123456789';
const ACCOUNT_KEY = 'acct-key-abcdef987654';

const minimalEntry = {
  journalCode: '90',
  description: 'Expense report 7',
  journalLineItems: [{ accountId: 'gl-1', debitCreditIndicator: 'DEBIT' as const, totalNetAmount: '10.00' }],
};

/** The next response the fake server gives, keyed by method. */
let nextResponse: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;

let server: RecordingServer;
let client: MaesnClient;
let conn: MaesnConnection;

before(async () => {
  server = await startRecordingServer((_rec, res, raw) => nextResponse(raw, res));
  client = new MaesnClient({ baseUrl: server.url, apiKey: API_KEY, timeoutMs: 10_000, retry: { attempts: 1 } });
  conn = client.forConnection({ accountKey: ACCOUNT_KEY, companyId: '123456' });
});
after(async () => {
  await client.close();
  await server.close();
});

async function failureOf(p: Promise<unknown>): Promise<MaesnError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof MaesnError, `expected a MaesnError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

function assertNoSecrets(err: Error) {
  const text = `${err.message} ${JSON.stringify(err)} ${err.stack ?? ''}`;
  assert.ok(!text.includes(API_KEY), 'api key leaked');
  assert.ok(!text.includes(ACCOUNT_KEY), 'account key leaked');
}

describe('HTTP status classification', () => {
  const cases: [number, new (...a: never[]) => MaesnError, boolean][] = [
    [400, MaesnInvalidRequestError, false],
    [405, MaesnInvalidRequestError, false],
    [409, MaesnInvalidRequestError, false],
    [422, MaesnInvalidRequestError, false],
    [401, MaesnUnauthorizedError, false],
    [403, MaesnUnauthorizedError, false],
    [404, MaesnNotFoundError, false],
    [429, MaesnRateLimitedError, true],
    [500, MaesnTransientError, true],
    [502, MaesnTransientError, true],
    [503, MaesnTransientError, true],
    [504, MaesnTransientError, true],
  ];
  for (const [status, cls, retryable] of cases) {
    test(`${status} → ${cls.name}`, async () => {
      nextResponse = (_req, res) => sendJson(res, status, { meta: null, data: null, rawData: null, errors: { statusCode: status, message: `upstream says ${status}` } });
      const err = await failureOf(conn.listAccounts({ limit: 5 }));
      assert.ok(err instanceof cls, `${err.name}`);
      assert.equal(err.status, status);
      assert.equal(err.operation, 'list.accounts');
      assert.equal(err.retryable, retryable);
      assert.equal(err.targetMessage, `upstream says ${status}`);
      const c = classifyMaesnError(err);
      assert.equal(c.retryable, retryable);
      assert.equal(c.type, cls.name);
      assert.equal(c.reauthorizationRequired, status === 401 || status === 403);
      assertNoSecrets(err);
    });
  }

  test('400 carries the target message and the field/line of the first validation error', async () => {
    nextResponse = (_req, res) =>
      sendJson(res, 400, {
        meta: null,
        data: null,
        rawData: null,
        errors: {
          statusCode: 400,
          message: 'Validation failed',
          validationErrors: [{ property: 'journal_entry.journalLineItems[1].accountId', constraints: ['Invalid reference: G/L account'] }],
          targetSystemError: { message: 'Invalid reference: G/L account' },
        },
      });
    const err = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.ok(err instanceof MaesnInvalidRequestError);
    assert.equal(err.targetMessage, 'Invalid reference: G/L account');
    assert.equal(err.field, 'journal_entry.journalLineItems[1].accountId');
    assert.equal(err.line, 2);
    assert.match(err.message, /Invalid reference: G\/L account/);
  });

  test('an explicit 1-based line in a validation error wins over the path; the message names it', async () => {
    nextResponse = (_req, res) =>
      sendJson(res, 400, {
        meta: null,
        data: null,
        rawData: null,
        errors: {
          statusCode: 400,
          code: 'VALIDATION_FAILED',
          message: 'Validation failed',
          validationErrors: [{ code: 'BLOCKED', message: 'Blocked: Ledger account 4500', field: 'journalLineItems[0].accountId', line: 3 }],
        },
      });
    const err = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.ok(err instanceof MaesnInvalidRequestError);
    assert.equal(err.line, 3);
    assert.equal(err.field, 'journalLineItems[0].accountId');
    assert.equal(err.targetMessage, 'Validation failed');
    assert.deepEqual(err.fieldErrors, [{ field: 'journalLineItems[0].accountId', line: 3, message: 'Blocked: Ledger account 4500' }]);
    assert.match(err.message, /Validation failed; line 3 journalLineItems\[0\]\.accountId: Blocked: Ledger account 4500/);
  });

  test('error bodies in other shapes (Exact OData, NestJS array message, plain text) still give a message', async () => {
    nextResponse = (_req, res) => sendJson(res, 400, { error: { code: '', message: { lang: '', value: 'Mandatory: Journal' } } });
    assert.equal((await failureOf(conn.listJournals())).targetMessage, 'Mandatory: Journal');
    nextResponse = (_req, res) => sendJson(res, 422, { statusCode: 422, message: ['limit must be one of 5,10', 'page must be a number'], error: 'Unprocessable' });
    assert.equal((await failureOf(conn.listJournals())).targetMessage, 'limit must be one of 5,10; page must be a number');
    nextResponse = (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('bad things');
    };
    assert.equal((await failureOf(conn.listJournals())).targetMessage, 'bad things');
  });

  test('keys echoed back by the server are scrubbed from messages', async () => {
    nextResponse = (_req, res) => sendJson(res, 401, { errors: { message: `account key ${ACCOUNT_KEY} unknown for api key ${API_KEY}` } });
    const err = await failureOf(conn.listAccounts());
    assert.ok(err instanceof MaesnUnauthorizedError);
    assert.match(err.message, /\[redacted\]/);
    assertNoSecrets(err);
    assert.ok(!String(JSON.stringify(classifyMaesnError(err))).includes(ACCOUNT_KEY));
  });

  test('5xx on a write is outcome-unknown, 4xx/429 on a write is not', async () => {
    nextResponse = (_req, res) => sendJson(res, 500, { errors: { message: 'A problem has occurred' } });
    const e500 = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.ok(e500 instanceof MaesnTransientError);
    assert.equal(e500.outcomeUnknown, true);
    assert.equal(classifyMaesnError(e500).outcomeUnknown, true);

    nextResponse = (_req, res) => sendJson(res, 500, {});
    const read500 = await failureOf(conn.listAccounts());
    assert.ok(read500 instanceof MaesnTransientError);
    assert.equal(read500.outcomeUnknown, false);

    nextResponse = (_req, res) => sendJson(res, 429, {}, { 'retry-after': '1' });
    const e429 = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.equal(classifyMaesnError(e429).outcomeUnknown, false);
    assert.equal(classifyMaesnError(e429).retryable, true);
  });
});

describe('Retry-After', () => {
  test('parses delta seconds and HTTP dates; rejects garbage', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(' 0.5 '), 500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter(''), undefined);
  });

  test('429 exposes retryAfterMs from the header, or the default when absent', async () => {
    nextResponse = (_req, res) => sendJson(res, 429, {}, { 'retry-after': '12' });
    const withHeader = await failureOf(conn.listTaxRates());
    assert.ok(withHeader instanceof MaesnRateLimitedError);
    assert.equal(withHeader.retryAfterMs, 12_000);
    assert.equal(withHeader.retryAfterFromHeader, true);
    assert.equal(classifyMaesnError(withHeader).retryAfterMs, 12_000);

    nextResponse = (_req, res) => sendJson(res, 429, {});
    const without = await failureOf(conn.listTaxRates());
    assert.ok(without instanceof MaesnRateLimitedError);
    assert.equal(without.retryAfterMs, 1000);
    assert.equal(without.retryAfterFromHeader, false);
  });
});

describe('network failures', () => {
  test('connection reset: transient; outcome unknown only for writes', async () => {
    nextResponse = (req) => req.socket.destroy();
    const read = await failureOf(conn.listAccounts());
    assert.ok(read instanceof MaesnTransientError);
    assert.equal(read.status, undefined);
    assert.equal(read.outcomeUnknown, false);
    assert.ok(read.code);
    const write = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.ok(write instanceof MaesnTransientError);
    assert.equal(write.outcomeUnknown, true);
    assertNoSecrets(write);
  });

  test('timeout: transient with code TIMEOUT; a write that timed out is outcome-unknown', async () => {
    nextResponse = () => undefined; // never answers; the client's 200 ms timeout fires
    const quick = new MaesnClient({ baseUrl: server.url, apiKey: API_KEY, timeoutMs: 200, retry: { attempts: 1 } });
    try {
      const qconn = quick.forConnection({ accountKey: ACCOUNT_KEY, companyId: '123456' });
      const read = await failureOf(qconn.listAccounts());
      assert.ok(read instanceof MaesnTransientError);
      assert.equal(read.code, 'TIMEOUT');
      assert.equal(read.outcomeUnknown, false);
      const write = await failureOf(qconn.createJournalEntry(minimalEntry));
      assert.ok(write instanceof MaesnTransientError);
      assert.equal(write.code, 'TIMEOUT');
      assert.equal(write.outcomeUnknown, true);
    } finally {
      await quick.close();
    }
  });

  test('connection refused on a write: transient but known not to have been applied', async () => {
    const tmp = http.createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    const { port } = tmp.address() as AddressInfo;
    await new Promise<void>((r) => tmp.close(() => r()));
    const dead = new MaesnClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: API_KEY, retry: { attempts: 1 } });
    try {
      const err = await failureOf(dead.forConnection({ accountKey: ACCOUNT_KEY, companyId: '1' }).createJournalEntry(minimalEntry));
      assert.ok(err instanceof MaesnTransientError);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(err.outcomeUnknown, false);
      assert.equal(classifyMaesnError(err).retryable, true);
    } finally {
      await dead.close();
    }
  });
});

describe('other', () => {
  test('a 2xx body that is not the expected shape is a non-retryable format error; on writes it is flagged as accepted', async () => {
    nextResponse = (_req, res) => sendJson(res, 201, { meta: null, data: [{ id: 1 }, { id: 2 }], errors: null, rawData: null });
    const err = await failureOf(conn.createJournalEntry(minimalEntry));
    assert.ok(err instanceof MaesnResponseFormatError);
    assert.equal(err.writeAccepted, true);
    assert.equal(err.retryable, false);
  });

  test('invalid input is rejected locally (no request sent) with field and line', async () => {
    const before = server.requests.length;
    const err = await failureOf(
      conn.createJournalEntry({
        ...minimalEntry,
        journalLineItems: [minimalEntry.journalLineItems[0], { accountId: 'gl-2', debitCreditIndicator: 'DEBET' as never, totalNetAmount: 'ten' }],
      }),
    );
    assert.ok(err instanceof MaesnInvalidRequestError);
    assert.equal(err.status, undefined);
    assert.equal(err.line, 2);
    assert.equal(server.requests.length, before);
  });

  test('classifyMaesnError treats foreign errors as unknown and retryable', () => {
    const c = classifyMaesnError(new TypeError('boom'));
    assert.equal(c.kind, 'unknown');
    assert.equal(c.retryable, true);
    assert.equal(c.type, 'TypeError');
  });

  test('the client does not reveal the API key when inspected or serialised', async () => {
    const { inspect } = await import('node:util');
    assert.ok(!inspect(client, { depth: 5 }).includes(API_KEY));
    assert.ok(!JSON.stringify(client).includes(API_KEY));
    assert.ok(!inspect(conn, { depth: 5 }).includes(ACCOUNT_KEY));
  });
});
