import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import {
  MaesnClient,
  MaesnInvalidRequestError,
  MaesnRateLimitedError,
  MaesnTransientError,
  type MaesnConnection,
} from '../../src/maesn';
import { sendJson, startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/openapi';

/** Scripted responses, consumed in order; the last one repeats. */
let script: ((req: RecordedRequest, res: http.ServerResponse, raw: http.IncomingMessage) => void)[] = [];
let served = 0;
let server: RecordingServer;
let client: MaesnClient;
let conn: MaesnConnection;
const sleeps: number[] = [];
const warnings: object[] = [];

const ok = (_req: RecordedRequest, res: http.ServerResponse) =>
  sendJson(res, 200, { meta: null, data: [{ id: 'acc-1' }], errors: null, rawData: null });
const created = (_req: RecordedRequest, res: http.ServerResponse) =>
  sendJson(res, 201, { meta: null, data: { id: 'je-1' }, errors: null, rawData: null });
const status = (code: number, headers: Record<string, string> = {}) => (_req: RecordedRequest, res: http.ServerResponse) =>
  sendJson(res, code, { meta: null, data: null, rawData: null, errors: { message: `status ${code}` } }, headers);
const reset = (_req: RecordedRequest, _res: http.ServerResponse, raw: http.IncomingMessage) => raw.socket.destroy();

before(async () => {
  server = await startRecordingServer((req, res, raw) => {
    const step = script[Math.min(served, script.length - 1)];
    served += 1;
    step(req, res, raw);
  });
  client = new MaesnClient({
    baseUrl: server.url,
    apiKey: 'retry-api-key',
    retry: {
      attempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      maxRetryAfterMs: 5000,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    logger: { debug: () => undefined, warn: (obj) => warnings.push(obj) },
  });
  conn = client.forConnection({ accountKey: 'retry-account-key', companyId: '1' });
});
after(async () => {
  await client.close();
  await server.close();
});
beforeEach(() => {
  served = 0;
  sleeps.length = 0;
  warnings.length = 0;
  server.requests.length = 0;
});

const entry = { journalCode: '90', journalLineItems: [{ accountId: 'gl', debitCreditIndicator: 'DEBIT' as const, totalNetAmount: 5 }] };

describe('reads are retried', () => {
  test('5xx then success: retried with exponential backoff and jitter', async () => {
    script = [status(503), status(502), status(500), ok];
    const page = await conn.listAccounts();
    assert.equal(page.items[0].id, 'acc-1');
    assert.equal(server.requests.length, 4);
    // full jitter with random()=0.5 over caps 100, 200, 400
    assert.deepEqual(sleeps, [50, 100, 200]);
    assert.equal(warnings.length, 3);
    assert.ok(!JSON.stringify(warnings).includes('retry-api-key'));
    assert.ok(!JSON.stringify(warnings).includes('retry-account-key'));
  });

  test('gives up after the configured attempts and throws the last transient error', async () => {
    script = [status(503)];
    await assert.rejects(conn.listJournals(), (err: unknown) => err instanceof MaesnTransientError && err.status === 503);
    assert.equal(server.requests.length, 4);
  });

  test('429 waits at least Retry-After (seconds) before retrying', async () => {
    script = [status(429, { 'retry-after': '2' }), ok];
    await conn.listTaxRates();
    assert.equal(server.requests.length, 2);
    assert.equal(sleeps.length, 1);
    assert.ok(sleeps[0] >= 2000 && sleeps[0] < 2000 + 100, `slept ${sleeps[0]}`);
  });

  test('429 with an HTTP-date Retry-After is honoured', async () => {
    const at = new Date(Date.now() + 3000).toUTCString();
    script = [status(429, { 'retry-after': at }), ok];
    await conn.listTaxRates();
    assert.equal(sleeps.length, 1);
    assert.ok(sleeps[0] > 1000 && sleeps[0] <= 3100, `slept ${sleeps[0]}`);
  });

  test('429 without Retry-After uses the default wait', async () => {
    script = [status(429), ok];
    await conn.listTaxRates();
    assert.ok(sleeps[0] >= 1000 && sleeps[0] < 1100, `slept ${sleeps[0]}`);
  });

  test('429 asking for longer than maxRetryAfterMs is surfaced instead of waited out', async () => {
    script = [status(429, { 'retry-after': '600' }), ok];
    await assert.rejects(conn.listTaxRates(), (err: unknown) => err instanceof MaesnRateLimitedError && err.retryAfterMs === 600_000);
    assert.equal(server.requests.length, 1);
    assert.deepEqual(sleeps, []);
  });

  test('connection resets on reads are retried', async () => {
    script = [reset, ok];
    const page = await conn.listDimensions();
    assert.equal(page.items.length, 1);
    assert.equal(server.requests.length, 2);
  });

  test('non-retryable errors are not retried', async () => {
    script = [status(400), ok];
    await assert.rejects(conn.listSuppliers(), MaesnInvalidRequestError);
    script = [status(401), ok];
    served = 0;
    await assert.rejects(conn.listSuppliers());
    assert.equal(server.requests.length, 2);
    assert.deepEqual(sleeps, []);
  });
});

describe('writes are never retried', () => {
  for (const [name, step] of [
    ['503', status(503)],
    ['500', status(500)],
    ['429', status(429, { 'retry-after': '1' })],
    ['connection reset', reset],
  ] as const) {
    test(`POST journal entry on ${name}: exactly one request`, async () => {
      script = [step, created];
      await assert.rejects(conn.createJournalEntry(entry));
      assert.equal(server.requests.filter((r) => r.method === 'POST').length, 1);
      assert.deepEqual(sleeps, []);
    });
  }

  test('POST attachment on 503: exactly one request, outcome unknown', async () => {
    script = [status(503), created];
    await assert.rejects(
      conn.addJournalEntryAttachment('je-1', { fileName: 'r.pdf', data: Buffer.from('%PDF-1.4') }),
      (err: unknown) => err instanceof MaesnTransientError && err.outcomeUnknown === true,
    );
    assert.equal(server.requests.length, 1);
  });
});
