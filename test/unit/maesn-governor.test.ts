/**
 * The Maesn client's hook for the call governor: every call of a governed connection asks the
 * governor first and reports Exact's rate-limit headers after; a governed 429 is learned before
 * the read is retried (the governor waits, the client does not sleep); a refusal by the governor
 * sends nothing; the answer of a write survives a governor that cannot record it.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { MaesnClient, MaesnRateLimitedError, MaesnTransientError, parseRateLimitHeaders, type CallGovernor, type CallOutcome, type GovernedCall } from '../../src/maesn';
import { sendJson, startRecordingServer, type RecordedRequest, type RecordingServer } from '../helpers/openapi';

const RATE_HEADERS = {
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': '4766',
  'x-ratelimit-reset': '1683936000000',
  'x-ratelimit-minutely-limit': '60',
  'x-ratelimit-minutely-remaining': '58',
  'x-ratelimit-minutely-reset': '1683879540000',
};

let script: ((req: RecordedRequest, res: http.ServerResponse) => void)[] = [];
let served = 0;
let server: RecordingServer;
let client: MaesnClient;
const sleeps: number[] = [];
const events: string[] = [];
const outcomes: CallOutcome[] = [];

const ok = (_req: RecordedRequest, res: http.ServerResponse) => sendJson(res, 200, { meta: null, data: [{ id: 'acc-1' }], errors: null, rawData: null }, RATE_HEADERS);
const created = (_req: RecordedRequest, res: http.ServerResponse) => sendJson(res, 201, { meta: null, data: { id: 'je-1', number: '26900001' }, errors: null, rawData: null }, RATE_HEADERS);
const tooMany = (_req: RecordedRequest, res: http.ServerResponse) =>
  sendJson(res, 429, { meta: null, data: null, rawData: null, errors: { message: 'rate limited' } }, { 'retry-after': '7', 'x-ratelimit-minutely-limit': '60', 'x-ratelimit-minutely-remaining': '0', 'x-ratelimit-minutely-reset': '1683879540000' });

function recorder(over: Partial<CallGovernor> = {}): CallGovernor {
  return {
    async beforeCall(call: GovernedCall) {
      events.push(`before ${call.division} ${call.operation} ${call.write ? 'write' : 'read'} (served ${served})`);
    },
    async afterCall(call: GovernedCall, outcome: CallOutcome) {
      events.push(`after ${call.operation} ${outcome.status}`);
      outcomes.push(outcome);
    },
    ...over,
  };
}

before(async () => {
  server = await startRecordingServer((req, res) => {
    const step = script[Math.min(served, script.length - 1)];
    served += 1;
    step(req, res);
  });
  client = new MaesnClient({
    baseUrl: server.url,
    apiKey: 'governor-api-key',
    retry: { attempts: 3, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
    logger: { debug: () => undefined, warn: () => undefined },
  });
});
after(async () => {
  await client.close();
  await server.close();
});
beforeEach(() => {
  served = 0;
  sleeps.length = 0;
  events.length = 0;
  outcomes.length = 0;
});

const entry = { journalCode: '90', journalLineItems: [{ accountId: 'gl', debitCreditIndicator: 'DEBIT' as const, totalNetAmount: 5 }] };

test('Exact rate-limit headers are parsed (resets in epoch ms), a window only when complete', () => {
  assert.deepEqual(parseRateLimitHeaders(RATE_HEADERS), {
    minute: { limit: 60, remaining: 58, resetAt: 1683879540000 },
    day: { limit: 5000, remaining: 4766, resetAt: 1683936000000 },
  });
  assert.deepEqual(parseRateLimitHeaders({ 'x-ratelimit-minutely-limit': '60', 'x-ratelimit-minutely-remaining': 'x', 'x-ratelimit-minutely-reset': '1' }), {});
});

test('every call of a governed connection asks first and reports the headers after', async () => {
  script = [ok, created];
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder() });
  await conn.listAccounts();
  await conn.createJournalEntry(entry);
  assert.deepEqual(events, ['before 123456 list.accounts read (served 0)', 'after list.accounts 200', 'before 123456 createJournalEntry write (served 1)', 'after createJournalEntry 201']);
  assert.deepEqual(outcomes[1].rateLimit.minute, { limit: 60, remaining: 58, resetAt: 1683879540000 });
  assert.equal(outcomes[1].retryAfterMs, null);
});

test('a governed 429 is learned before the read is retried, and the client itself does not sleep', async () => {
  script = [tooMany, ok];
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder() });
  await conn.listJournals();
  assert.deepEqual(events, ['before 123456 list.journals read (served 0)', 'after list.journals 429', 'before 123456 list.journals read (served 1)', 'after list.journals 200']);
  assert.equal(outcomes[0].retryAfterMs, 7000);
  assert.deepEqual(sleeps, [0], 'the governor waits for the block, not the client');
});

test('a call the governor holds back is never sent', async () => {
  script = [created];
  const refuse = new MaesnRateLimitedError({ operation: 'createJournalEntry', retryAfterMs: 42_000, retryAfterFromHeader: false, heldBack: true });
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder({ beforeCall: async () => Promise.reject(refuse) }) });
  await assert.rejects(conn.createJournalEntry(entry), (err: unknown) => err === refuse && /not sent \(call budget\)/.test(refuse.message) && refuse.status === undefined);
  assert.equal(served, 0);
});

test("a write's answer reaches the caller even when the governor cannot record it", async () => {
  script = [created];
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder({ afterCall: async () => Promise.reject(new Error('database down')) }) });
  const res = await conn.createJournalEntry(entry);
  assert.equal(res.data.id, 'je-1');
});

test('a write stopped while it waits for the call budget (cancelled, timed out, the budget failing) was not sent, and says so', async () => {
  script = [created];
  const stopped = new Error('TIMED_OUT'); // what an activity's cancellation signal carries when its attempt times out
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder({ beforeCall: async () => Promise.reject(stopped) }) });
  await assert.rejects(conn.createJournalEntry(entry), (err: unknown) => {
    assert.ok(err instanceof MaesnTransientError, String(err));
    assert.equal(err.outcomeUnknown, false, 'nothing was sent: the outcome is known');
    assert.match(err.message, /not sent \(stopped while waiting for the call budget: TIMED_OUT\)/);
    return true;
  });
  assert.equal(served, 0);
});

test("a write's beforeSend runs after the governor's wait and right before the request; what it throws ends the call unsent", async () => {
  script = [created];
  const conn = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder() });
  await conn.createJournalEntry(entry, { beforeSend: async () => void events.push(`marked sent (served ${served})`) });
  assert.deepEqual(events, ['before 123456 createJournalEntry write (served 0)', 'marked sent (served 0)', 'after createJournalEntry 201']);

  events.length = 0;
  const lost = new Error('this attempt lost the posting lease');
  await assert.rejects(conn.createJournalEntry(entry, { beforeSend: async () => Promise.reject(lost) }), (err: unknown) => err === lost);
  assert.equal(served, 1, 'the second POST was not sent');
  assert.deepEqual(events, ['before 123456 createJournalEntry write (served 1)']);

  // Held back by the governor: beforeSend never runs (the export is never marked sent).
  events.length = 0;
  const refuse = new MaesnRateLimitedError({ operation: 'createJournalEntry', retryAfterMs: 42_000, retryAfterFromHeader: false, heldBack: true });
  const held = client.forConnection({ accountKey: 'acc-key', companyId: '123456' }, { governor: recorder({ beforeCall: async () => Promise.reject(refuse) }) });
  let ran = false;
  await assert.rejects(held.createJournalEntry(entry, { beforeSend: async () => void (ran = true) }), (err: unknown) => err === refuse);
  assert.equal(ran, false);
});
