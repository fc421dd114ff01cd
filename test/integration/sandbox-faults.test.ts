import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';

const API_KEY = 'sandbox-fault-test-key';
const DIV = '123456';
const YEAR = new Date().getUTCFullYear();

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-faults-'));
  dirs.push(d);
  return d;
}

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('fault injection', () => {
  let sb: RunningSandbox;
  let ctl: SandboxControl;
  let key: string;
  let acc: Map<string, string>;
  const h = (): Record<string, string> => ({ 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key });
  const getAccounts = (init: RequestInit = {}): Promise<Response> => fetch(`${sb.url}/accounting/accounts?limit=5`, { headers: h(), ...init });

  function entryForm(description: string): FormData {
    const fd = new FormData();
    fd.append(
      'journal_entry',
      JSON.stringify({
        accountingPeriodId: `${YEAR}-05`,
        description,
        journalCode: '90',
        transactionDate: `${YEAR}-05-01`,
        journalLineItems: [
          { accountId: acc.get('4300'), debitCreditIndicator: 'DEBIT', totalNetAmount: 10, totalTaxAmount: 2.1, totalGrossAmount: 12.1, taxRate: { code: '5' } },
          { accountId: acc.get('1610'), debitCreditIndicator: 'CREDIT', totalGrossAmount: 12.1 },
        ],
      }),
    );
    return fd;
  }
  const postEntry = (description: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${sb.url}/accounting/journalEntries`, { method: 'POST', headers: h(), body: entryForm(description), ...init });
  const stored = async (description: string): Promise<number> => (await ctl.listJournalEntries(DIV)).filter((e) => e.postedDescription === description).length;

  before(async () => {
    sb = await startSandbox({ port: 0, dataDir: tmp(), apiKey: API_KEY, signingSecret: 'sandbox-fault-secret', rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });
    ctl = new SandboxControl(sb.url, API_KEY);
    key = (await ctl.createConnection(DIV)).accountKey;
    const res = await fetch(`${sb.url}/accounting/accounts?limit=100`, { headers: h() });
    acc = new Map(((await res.json()) as { data: { code: string; id: string }[] }).data.map((a) => [a.code, a.id]));
  });
  after(() => sb.close());

  for (const status of [500, 502, 503, 504] as const) {
    test(`status ${status} for the next N calls, then normal again`, async () => {
      await ctl.failNext('getAccounts', status, 2);
      for (let i = 0; i < 2; i++) {
        const r = await getAccounts();
        assert.equal(r.status, status);
        const b = (await r.json()) as { data: unknown; errors: { statusCode: number } };
        assert.equal(b.data, null);
        assert.equal(b.errors.statusCode, status);
      }
      assert.equal((await getAccounts()).status, 200);
    });
  }

  test('injected 429 carries Retry-After', async () => {
    await ctl.failNext('getJournals', 429, 1, { retryAfterSeconds: 7 });
    const r = await fetch(`${sb.url}/accounting/journals`, { headers: h() });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal((await fetch(`${sb.url}/accounting/journals`, { headers: h() })).status, 200);
  });

  test('health check can be failed too', async () => {
    await ctl.failNext('check', 503);
    assert.equal((await fetch(`${sb.url}/health`)).status, 503);
    assert.equal((await fetch(`${sb.url}/health`)).status, 200);
  });

  test('faults only hit the named operation', async () => {
    await ctl.failNext('getTaxRates', 503);
    assert.equal((await getAccounts()).status, 200);
    assert.equal((await fetch(`${sb.url}/accounting/taxRates`, { headers: h() })).status, 503);
  });

  test('fault scoped to another division does not fire', async () => {
    await ctl.failNext('getSuppliers', 500, 1, { division: '234567' });
    assert.equal((await fetch(`${sb.url}/accounting/suppliers?limit=5`, { headers: h() })).status, 200);
    await ctl.clearFaults();
    assert.deepEqual(await ctl.listFaults(), []);
  });

  test('timeout: the response is held and the client gives up', async () => {
    await ctl.timeoutNext('getDimensions', 5_000);
    await assert.rejects(fetch(`${sb.url}/accounting/dimensions`, { headers: h(), signal: AbortSignal.timeout(200) }), (err: Error) => err.name === 'TimeoutError');
    assert.equal((await fetch(`${sb.url}/accounting/dimensions`, { headers: h() })).status, 200);
  });

  test('timeout: after holdMs the connection is dropped without a response', async () => {
    await ctl.timeoutNext('getJournals', 50);
    await assert.rejects(fetch(`${sb.url}/accounting/journals`, { headers: h(), signal: AbortSignal.timeout(10_000) }), (err: Error) => err.name === 'TypeError');
  });

  test('connection reset', async () => {
    await ctl.resetNext('getAccounts');
    await assert.rejects(getAccounts(), (err: Error) => err.name === 'TypeError');
    assert.equal((await getAccounts()).status, 200);
  });

  test('pre-commit 500 on createJournalEntry stores nothing', async () => {
    await ctl.failNext('createJournalEntry', 500);
    assert.equal((await postEntry('pre-commit-500')).status, 500);
    assert.equal(await stored('pre-commit-500'), 0);
  });

  test('commit then 500: exactly one entry stored', async () => {
    await ctl.commitThenFail({ status: 500 });
    assert.equal((await postEntry('ctf-500')).status, 500);
    assert.equal(await stored('ctf-500'), 1);
  });

  test('commit then timeout: exactly one entry stored', async () => {
    await ctl.commitThenFail({ timeoutMs: 5_000 });
    await assert.rejects(postEntry('ctf-timeout', { signal: AbortSignal.timeout(300) }));
    assert.equal(await stored('ctf-timeout'), 1);
  });

  test('commit then reset: exactly one entry stored', async () => {
    await ctl.commitThenFail('reset');
    await assert.rejects(postEntry('ctf-reset'));
    assert.equal(await stored('ctf-reset'), 1);
    assert.equal((await postEntry('after-faults')).status, 201);
  });

  test('commitFirst is refused for other operations', async () => {
    await assert.rejects(ctl.addFault({ operation: 'getAccounts', mode: 'status', status: 500, commitFirst: true }), /400/);
  });

  /** Entries of the Maesn list (what a client's lookup sees), by posted description. */
  const listedIds = async (): Promise<Set<string>> => {
    const r = await fetch(`${sb.url}/accounting/journalEntries?limit=100&lastModifiedAt=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, { headers: h() });
    return new Set(((await r.json()) as { data: { id: string }[] }).data.map((e) => e.id));
  };
  const storedEntry = async (description: string) => (await ctl.listJournalEntries(DIV)).find((e) => e.postedDescription === description);
  const getById = async (id: string): Promise<number> => (await fetch(`${sb.url}/accounting/journalEntries/${id}`, { headers: h() })).status;

  test('commit then timeout with commitDelayMs: stored, but invisible to both GETs until the delay has passed', async () => {
    await ctl.commitThenFail({ timeoutMs: 5_000 }, 1, { commitDelayMs: 1_500 });
    await assert.rejects(postEntry('ctf-delay', { signal: AbortSignal.timeout(300) }));
    const e = await storedEntry('ctf-delay');
    assert.ok(e, 'stored');
    assert.ok(e.visibleAfter);
    assert.equal((await listedIds()).has(e.id), false, 'not listed yet');
    assert.equal(await getById(e.id), 404, 'not found by id yet');
    await new Promise((r) => setTimeout(r, Date.parse(e.visibleAfter!) - Date.now() + 50));
    assert.equal((await listedIds()).has(e.id), true, 'listed after the delay');
    assert.equal(await getById(e.id), 200);
  });

  test('visibilityLagMs with mode pass: answered 201, found by id at once, listed only after the lag', async () => {
    await ctl.lagListing(1_500);
    const r = await postEntry('lagging');
    assert.equal(r.status, 201);
    const id = ((await r.json()) as { data: { id: string } }).data.id;
    assert.equal(await getById(id), 200);
    assert.equal((await listedIds()).has(id), false);
    const e = await storedEntry('lagging');
    await new Promise((res) => setTimeout(res, Date.parse(e!.listedAfter!) - Date.now() + 50));
    assert.equal((await listedIds()).has(id), true);
  });

  test('malformed: a 201 no client can read, the entry stored; on a read a 200 with the same body', async () => {
    await ctl.commitThenFail('malformed');
    const r = await postEntry('ctf-malformed');
    assert.equal(r.status, 201);
    assert.match(await r.text(), /^<html>/);
    assert.ok(await storedEntry('ctf-malformed'));
    await ctl.malformedNext('getJournals');
    const g = await fetch(`${sb.url}/accounting/journals`, { headers: h() });
    assert.equal(g.status, 200);
    assert.match(g.headers.get('content-type') ?? '', /text\/html/);
  });

  test('commitDelayMs and visibilityLagMs need commitFirst; pass needs commitFirst', async () => {
    await assert.rejects(ctl.addFault({ operation: 'createJournalEntry', mode: 'status', status: 500, commitDelayMs: 10 }), /400/);
    await assert.rejects(ctl.addFault({ operation: 'createJournalEntry', mode: 'pass' }), /400/);
  });

  test('the request log lists every call with its status and fault, also 401s and injected ones', async () => {
    await ctl.clearRequests();
    await ctl.failNext('getAccounts', 429, 1, { retryAfterSeconds: 1 });
    assert.equal((await getAccounts()).status, 429);
    assert.equal((await getAccounts()).status, 200);
    await ctl.resetNext('getAccounts');
    await assert.rejects(getAccounts());
    assert.equal((await fetch(`${sb.url}/accounting/accounts?limit=5`, { headers: { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'nope' } })).status, 401);
    await ctl.commitThenFail({ status: 502 });
    assert.equal((await postEntry('logged-ctf')).status, 502);
    await new Promise((r) => setTimeout(r, 50));
    const log = await ctl.listRequests();
    assert.deepEqual(
      log.map((r) => [r.operation, r.division, r.status, r.fault, r.committed]),
      [
        ['getAccounts', DIV, 429, 'status', false],
        ['getAccounts', DIV, 200, null, false],
        ['getAccounts', DIV, null, 'reset', false],
        ['getAccounts', null, 401, null, false],
        ['createJournalEntry', DIV, 502, 'status', true],
      ],
    );
    assert.deepEqual((await ctl.listRequests({ operation: 'createJournalEntry' })).length, 1);
  });
});

describe('rate limits', () => {
  let sb: RunningSandbox;
  let ctl: SandboxControl;
  let key: string;
  let key2: string;
  // A fixed clock 30 s into a minute keeps the minute window stable for the whole test.
  const fixedNow = Date.UTC(YEAR, 5, 15, 12, 0, 30);

  before(async () => {
    sb = await startSandbox({ port: 0, dataDir: tmp(), apiKey: API_KEY, signingSecret: 'sandbox-fault-secret', rateLimit: { perMinute: 3, perDay: 100 }, now: () => fixedNow });
    ctl = new SandboxControl(sb.url, API_KEY);
    key = (await ctl.createConnection(DIV)).accountKey;
    key2 = (await ctl.createConnection('234567')).accountKey;
  });
  after(() => sb.close());

  test('normal responses carry X-RateLimit-* headers; the 4th call in a minute gets 429', async () => {
    const call = (k: string): Promise<Response> => fetch(`${sb.url}/accounting/journals`, { headers: { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': k } });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(key);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-ratelimit-limit'), '100');
      assert.equal(r.headers.get('x-ratelimit-minutely-limit'), '3');
      remaining.push(r.headers.get('x-ratelimit-minutely-remaining') as string);
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    const denied = await call(key);
    assert.equal(denied.status, 429);
    assert.equal(denied.headers.get('retry-after'), '30');
    assert.equal(denied.headers.get('x-ratelimit-limit'), '100');
    assert.equal(denied.headers.get('x-ratelimit-remaining'), '97');
    assert.equal(denied.headers.get('x-ratelimit-reset'), String(Date.UTC(YEAR, 5, 16)));
    assert.equal(denied.headers.get('x-ratelimit-minutely-reset'), String(Date.UTC(YEAR, 5, 15, 12, 1, 0)));
    assert.equal(((await denied.json()) as { errors: { code: string } }).errors.code, 'RATE_LIMITED');
    const logged = (await ctl.listRequests({ division: DIV })).map((r) => r.status);
    assert.deepEqual(logged, [200, 200, 200, 429], 'the request log shows the 429 the limiter answered');
    assert.equal((await call(key2)).status, 200, 'limits are per division');
  });

  test('limits are configurable through the control API', async () => {
    await ctl.setRateLimits({ perMinute: 5, perDay: 100 });
    await ctl.resetRateLimitCounters();
    const r = await fetch(`${sb.url}/accounting/journals`, { headers: { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': key } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-ratelimit-minutely-limit'), '5');
    assert.equal(r.headers.get('x-ratelimit-minutely-remaining'), '4');
  });
});
