/**
 * Posting integrity (issue 9): the five ways the promise "one Exact entry per approved report, or a
 * state a person can act on" broke, each reproduced end to end with the real worker, activities,
 * Temporal dev server and FerretDB against the Maesn sandbox behaving as Exact does (commits after
 * our timeout, no header description on general journal entries, lagging lists).
 *
 * Timings: Maesn calls time out after 3 s; a lost commit becomes visible 6 s after it was stored;
 * the settle period is 7 s (production: 10 minutes, both configurable).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { carries, entriesWith, exportPath, postCount, submit, waitForExport, waitForPosts } from '../helpers/exports';
import { authorizeInSandbox, connectTenant, openCallback, startConnect, switchDivision, waitForState } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

const SECOND_DIVISION = '234567';
const TIMEOUT_MS = 3_000;
const COMMIT_DELAY_MS = 6_000;
const SETTLE = '7s';
/** A POST that times out on our side while Exact commits the entry a few seconds later. */
const LATE_COMMIT = [{ timeoutMs: TIMEOUT_MS + 1_000 }, 1, { commitDelayMs: COMMIT_DELAY_MS }] as const;

let p: Product;
const tenantId = uniqueId('pi');

before(async () => {
  p = await startProduct({
    env: { MAESN_TIMEOUT_MS: String(TIMEOUT_MS), EXPORT_SETTLE_PERIOD: SETTLE, EXPORT_MAX_UNKNOWN: '3', EXPORT_REAUTH_CHECK_INTERVAL: '1s' },
  });
  await connectTenant(p, tenantId, DEMO_DIVISION);
  const put = await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
  assert.equal(put.body.valid, true, JSON.stringify(put.body));
});
after(async () => {
  await p?.close();
});

/** Runs `fn` with a clean request log and no armed faults; clears the faults afterwards too. */
async function fresh(): Promise<void> {
  await p.sandbox.clearFaults();
  await p.sandbox.clearRequests();
}

/**
 * The final state of an export. The sandbox's control list shows entries a late commit still hides
 * from Maesn, so a second POST shows up in the counts at once, late commit or not.
 */
async function settled(t: string, reportId: string): Promise<any> {
  return waitForExport(p, t, reportId, ['posted', 'needs_review', 'cancelled', 'rejected'], 90_000);
}

const ref = (reportId: string) => `EXP-${reportId}`;

describe('1. re-post right after a timeout', () => {
  test('the POST times out and Exact commits seconds later: the lookup waits the settle period and adopts the entry', async () => {
    await fresh();
    const reportId = uniqueId('S1');
    await p.sandbox.commitThenFail(...LATE_COMMIT);
    await submit(p, tenantId, simpleReport(reportId));
    const done = await settled(tenantId, reportId);
    const entries = await entriesWith(p, DEMO_DIVISION, ref(reportId));
    assert.equal(entries.length, 1, `one entry, got ${entries.length}`);
    assert.equal(done.status, 'posted');
    assert.equal(done.exactEntryId, entries[0].id);
    assert.equal(done.postedVia, 'adopted');
    assert.equal(await postCount(p), 1, 'posted once');
    // The lookup ran no earlier than the settle period after the POST.
    const calls = await p.sandbox.listRequests();
    const postAt = Date.parse(calls.find((c) => c.operation === 'createJournalEntry')!.at);
    const lookups = calls.filter((c) => c.operation === 'getJournalEntries');
    assert.ok(lookups.length >= 1);
    assert.ok(Date.parse(lookups[0].at) - postAt >= 7_000, `first lookup ${Date.parse(lookups[0].at) - postAt} ms after the POST`);
  });
});

describe('2. a later answer never erases an earlier unknown outcome', () => {
  test('a 429 after a timed-out POST does not clear the unknown outcome: no POST goes out before a lookup', async () => {
    await fresh();
    const reportId = uniqueId('S2');
    await p.sandbox.commitThenFail(...LATE_COMMIT);
    await submit(p, tenantId, simpleReport(reportId));
    await waitForPosts(p, 1);
    // Whatever is sent next gets a definite "nothing created": the lookup's read, then a POST.
    await p.sandbox.failNext('getJournalEntries', 429, 1, { retryAfterSeconds: 1 });
    await p.sandbox.failNext('createJournalEntry', 429, 1, { retryAfterSeconds: 1 });
    const done = await settled(tenantId, reportId);
    assert.equal((await entriesWith(p, DEMO_DIVISION, ref(reportId))).length, 1);
    assert.equal(done.status, 'posted');
    assert.equal(await postCount(p), 1, 'no second POST');
    const lookup429 = (await p.sandbox.listRequests({ operation: 'getJournalEntries' })).filter((c) => c.status === 429);
    assert.equal(lookup429.length, 1, 'the lookup got the 429 and was retried');
  });
});

describe('3. a lookup that works on Exact', () => {
  test('general journal entries have no header description: the lookup matches the reference in the lines', async () => {
    await fresh();
    const reportId = uniqueId('S3');
    await p.sandbox.commitThenFail({ status: 502 });
    await submit(p, tenantId, simpleReport(reportId));
    const done = await settled(tenantId, reportId);
    const entries = await entriesWith(p, DEMO_DIVISION, ref(reportId));
    assert.equal(entries.length, 1);
    assert.equal(entries[0].description, null, 'Exact returns no header description');
    assert.equal(done.status, 'posted');
    assert.equal(done.exactEntryId, entries[0].id);
  });

  test('a report ID of 100 characters: a short reference that is never cut, lines of at most 60 characters, found again', async () => {
    await fresh();
    const reportId = `LONG-${'0123456789'.repeat(10)}`.slice(0, 100);
    await p.sandbox.commitThenFail({ status: 502 });
    await submit(p, tenantId, simpleReport(reportId));
    const done = await settled(tenantId, reportId);
    assert.equal(done.status, 'posted');
    assert.ok(done.reference, 'the export shows its reference');
    assert.ok(done.reference.length <= 30, done.reference);
    const entries = await entriesWith(p, DEMO_DIVISION, done.reference);
    assert.equal(entries.length, 1);
    for (const l of entries[0].journalLineItems) {
      assert.ok((l.description ?? '').length <= 60, `line description of ${(l.description ?? '').length} characters`);
      assert.ok(carries(l.description, done.reference), l.description ?? '');
    }
  });
});

describe('4. content and division are frozen once posting started', () => {
  test('a 401 and a journal mapping change while the outcome is open: the frozen entry is looked up, not rebuilt and posted again', async () => {
    await fresh();
    // A second VAT-enabled general journal, synced, so that a mapping to it is valid.
    await p.sandbox.createRecord(DEMO_DIVISION, 'journals', { code: '91', description: 'Memoriaal 2', type: 90, allowVat: true, allowVariableCurrency: false, currency: 'EUR', glAccountId: null, isBlocked: false } as never);
    const sync = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'full' });
    assert.ok(sync.status < 300, JSON.stringify(sync.body));
    await eventually(async () => (await p.call('GET', `/api/tenants/${tenantId}/master-data/journals?search=91`)).body?.items?.some((j: any) => j.code === '91'), 'journal 91 synced');

    const reportId = uniqueId('S4');
    await p.sandbox.commitThenFail(...LATE_COMMIT);
    await submit(p, tenantId, simpleReport(reportId));
    await waitForPosts(p, 1);
    await p.sandbox.revokeAccountKey((await p.stores.tenants.revealAccountKey(tenantId))!.accountKey);
    const moved = { ...demoMappings(), journalCode: '91' };
    assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, moved)).body.valid, true);
    await waitForExport(p, tenantId, reportId, 'waiting_for_reauthorization');

    const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
    const callbackUrl = await authorizeInSandbox(authorizationUrl, DEMO_DIVISION);
    assert.equal((await openCallback(callbackUrl, connectCookie)).status, 200);
    await waitForState(p, tenantId, 'connected');
    const done = await settled(tenantId, reportId);
    await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());

    const entries = await entriesWith(p, DEMO_DIVISION, ref(reportId));
    assert.deepEqual(entries.map((e) => e.journalCode), ['90'], 'one entry, in the journal it was first posted to');
    assert.equal(done.status, 'posted');
    assert.equal(done.exactEntryId, entries[0].id);
  });

  test('a division that was unknown at acceptance is pinned at the first POST; reconnecting elsewhere while the outcome is open → needs_review', async () => {
    await fresh();
    // A new tenant: mappings saved and a report approved before it ever connected to Exact.
    const t = uniqueId('pidiv');
    assert.equal((await p.call('POST', '/api/tenants', { tenantId: t, name: `Tenant ${t}` })).status, 201);
    await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings());
    const reportId = uniqueId('S4D');
    await submit(p, t, simpleReport(reportId));
    const accepted = await waitForExport(p, t, reportId, 'waiting_for_mappings');
    assert.equal(accepted.division, null, 'accepted while not connected');

    await p.sandbox.commitThenFail(...LATE_COMMIT);
    await connectTenant(p, t, DEMO_DIVISION);
    assert.equal((await p.call('PUT', `/api/tenants/${t}/mappings`, demoMappings())).body.valid, true);
    await waitForPosts(p, 1);
    await p.sandbox.revokeAccountKey((await p.stores.tenants.revealAccountKey(t))!.accountKey);
    await waitForExport(p, t, reportId, 'waiting_for_reauthorization');
    // The admin reconnects to another administration and confirms the switch.
    await switchDivision(p, t, SECOND_DIVISION);
    const done = await settled(t, reportId);

    const inFirst = await entriesWith(p, DEMO_DIVISION, ref(reportId));
    const inSecond = await entriesWith(p, SECOND_DIVISION, ref(reportId));
    assert.equal(inSecond.length, 0, 'nothing posted into the other division');
    assert.equal(inFirst.length, 1);
    assert.equal(done.division, DEMO_DIVISION, 'pinned at the first POST');
    assert.equal(done.status, 'needs_review');
    assert.match(done.review?.reason ?? '', /division/i);
  });
});

describe('5. no run dies, none waits on what nobody can fix', () => {
  test('a 201 whose body cannot be read is an unknown outcome, resolved by the lookup', async () => {
    await fresh();
    const reportId = uniqueId('S5M');
    await p.sandbox.commitThenFail('malformed');
    await submit(p, tenantId, simpleReport(reportId));
    const done = await settled(tenantId, reportId);
    assert.equal(done.status, 'posted');
    assert.equal((await entriesWith(p, DEMO_DIVISION, ref(reportId))).length, 1);
    assert.equal(done.postedVia, 'adopted');
  });

  test('a zero amount and an amount out of range end in rejected with the reason, not in waiting_for_mappings', async () => {
    await fresh();
    const zero = uniqueId('S5Z');
    const report = simpleReport(zero) as any;
    report.expenses = [{ type: 'mileage', id: 'm1', date: report.approvedAt.slice(0, 10), description: 'Om de hoek', category: 'mileage', distanceKm: '0.01', ratePerKm: '0.19' }];
    await submit(p, tenantId, report);
    const z = await waitForExport(p, tenantId, zero, ['rejected', 'waiting_for_mappings']);
    assert.equal(z.status, 'rejected');
    assert.match(z.error.message, /0\.00|zero/i);

    const huge = uniqueId('S5R');
    const big = simpleReport(huge) as any;
    big.expenses[0] = { ...big.expenses[0], amount: '999999999999.00', currency: 'USD', exchangeRate: '100000', vatRate: 'exempt' };
    await submit(p, tenantId, big);
    const h = await waitForExport(p, tenantId, huge, ['rejected', 'waiting_for_mappings']);
    assert.equal(h.status, 'rejected');
    assert.match(h.error.message, /range/i);
    assert.equal(await postCount(p), 0);
  });

  test('cancel interrupts a POST that is being retried (429 with a long Retry-After)', async () => {
    await fresh();
    const reportId = uniqueId('S5C');
    await p.sandbox.failNext('createJournalEntry', 429, 50, { retryAfterSeconds: 60 });
    await submit(p, tenantId, simpleReport(reportId));
    await waitForPosts(p, 1);
    const started = Date.now();
    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/cancel`)).status, 202);
    await waitForExport(p, tenantId, reportId, 'cancelled', 20_000);
    assert.ok(Date.now() - started < 20_000);
    await p.sandbox.clearFaults();
    assert.equal((await entriesWith(p, DEMO_DIVISION, ref(reportId))).length, 0);
  });

  test('cancel while the outcome is unknown looks first: the entry that exists wins → posted', async () => {
    await fresh();
    const reportId = uniqueId('S5U');
    await p.sandbox.commitThenFail(...LATE_COMMIT);
    await submit(p, tenantId, simpleReport(reportId));
    await waitForPosts(p, 1);
    assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/cancel`)).status, 202);
    const done = await settled(tenantId, reportId);
    assert.equal(done.status, 'posted');
    assert.equal((await entriesWith(p, DEMO_DIVISION, ref(reportId))).length, 1);
    assert.equal(await postCount(p), 1);
  });

  test('a run that ended abnormally can be started again by submitting the report again', async () => {
    await fresh();
    const reportId = uniqueId('S5F');
    await submit(p, tenantId, simpleReport(reportId, { category: 'unmapped-category' }));
    await waitForExport(p, tenantId, reportId, 'waiting_for_mappings');
    const doc = await p.stores.exports.get(tenantId, reportId);
    await p.temporal.workflow.getHandle(doc!.workflowId).terminate('test: the run died');
    await submit(p, tenantId, simpleReport(reportId, { category: 'unmapped-category' }));
    await eventually(async () => (await p.temporal.workflow.getHandle(doc!.workflowId).describe()).status.name === 'RUNNING', 'a new run');
    const m = demoMappings();
    m.categories = { ...m.categories, 'unmapped-category': { glAccount: '4230' } };
    await p.call('PUT', `/api/tenants/${tenantId}/mappings`, m);
    await waitForExport(p, tenantId, reportId, 'posted');
    await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings());
    assert.equal((await entriesWith(p, DEMO_DIVISION, ref(reportId))).length, 1);
  });
});
