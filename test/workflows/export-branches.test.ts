/**
 * exportExpenseReport's branches under skipped time, with stubbed activities: days of reminders
 * while mappings are missing, a revoked connection, a business rejection, cancel, the happy path.
 * Runs on Temporal's time-skipping test server (test/helpers/time-skipping.ts), no other service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, startTimeSkipping, stubActivities, type ActivityStubs, type TimeSkipping, type WorkerScope } from '../helpers/time-skipping';
import { uniqueId } from '../helpers/ids';
// The workflow under test, its signals and query, and the failure types its activities raise: the
// only place this file names them.
import { exportExpenseReport } from '../../src/workflows/export';
import { cancelSignal, exportStateQuery, mappingFixedSignal, retrySignal, searchAttributes, workflowIds } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
const BUSINESS_REJECTION = FailureType.businessRejection;
const UNAUTHORIZED = FailureType.maesnUnauthorized;

type ExportHandle = WorkflowHandle<typeof exportExpenseReport>;

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

const POSTED = { exactEntryId: 'guid-entry-1', exactEntryNumber: '90001', postedVia: 'created' as const };

/** What the export document says when no POST's outcome is open (cancel and reauthorization read it). */
const nothingOpen = async () => ({ status: 'validating' as const, exactEntryId: null, exactEntryNumber: null, postedVia: null, outcomeOpen: false, lastAttemptAt: null, unknownOutcomes: 0 });

/** Starts an export of a fresh report on the scope's worker. */
async function startExport(w: WorkerScope, extra: { reminderInterval?: string } = {}) {
  const tenantId = uniqueId('tenant');
  const reportId = uniqueId('report');
  const handle = await w.start(exportExpenseReport, {
    workflowId: workflowIds.export(tenantId, reportId),
    args: [{ tenantId, reportId, ...extra }],
  });
  return { handle, tenantId, reportId };
}

/**
 * Waits (real time) until the query shows `status` and the workflow has started its `timers`-th
 * timer: a skip of N days from then on covers N whole intervals.
 */
async function waitingIn(handle: ExportHandle, status: string, timers: number): Promise<void> {
  await eventually(`status ${status}`, async () => ((await handle.query(exportStateQuery)).status === status ? true : undefined));
  await eventually(`timer ${timers} started`, async () => ((await timersStarted(handle)) >= timers ? true : undefined));
}

/**
 * Waits (real time) until `count()` reaches `n`. After a skip the clock stands still, but the
 * workflow tasks and activities of the timers that fired at its very end may still be running.
 */
async function reaches(what: string, count: () => Promise<number> | number, n: number): Promise<number> {
  return eventually(`${what} reaches ${n}`, async () => {
    const c = await count();
    assert.ok(c <= n, `${what}: ${c}, more than ${n}`);
    return c === n ? c : undefined;
  });
}

async function timersStarted(handle: ExportHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.timerStartedEventAttributes).length;
}

function statuses(stubs: ActivityStubs): string[] {
  return stubs.inputsOf('setExportStatus').map((i) => i.status);
}

test('happy path: validated, posted once, result and search attribute say posted', async () => {
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    prepareExport: async () => ({ missing: 0 }),
    postJournalEntry: async () => POSTED,
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId, reportId } = await startExport(w);
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    // The export is stored as validating; prepareExport records posting with the entry.
    assert.deepEqual(stubs.names(), ['prepareExport', 'postJournalEntry']);
    assert.deepEqual(statuses(stubs), []);
    assert.deepEqual(stubs.inputsOf('postJournalEntry'), [{ tenantId, reportId, revision: 1 }]);
    const state = await handle.query(exportStateQuery);
    assert.equal(state.status, 'posted');
    assert.equal(state.exactEntryId, POSTED.exactEntryId);
    const sa = (await handle.describe()).typedSearchAttributes;
    assert.equal(sa.get(searchAttributes.exportStatus), 'posted');
    assert.equal(sa.get(searchAttributes.tenantId), tenantId);
    assert.equal(sa.get(searchAttributes.reportId), reportId);
  });
});

test('a report that is already in Exact is adopted, never posted again', async () => {
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    prepareExport: async () => ({ missing: 0, alreadyPosted: { exactEntryId: 'guid-old', exactEntryNumber: '90000' } }),
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    assert.deepEqual(await handle.result(), { status: 'posted', exactEntryId: 'guid-old', exactEntryNumber: '90000' });
    assert.equal(stubs.inputsOf('postJournalEntry').length, 0);
  });
});

test('missing mappings: one reminder a day (3 after 3 days), then mapping-fixed posts it', async () => {
  let missing = 2;
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    prepareExport: async () => ({ missing }),
    remindMissingMappings: async () => undefined,
    postJournalEntry: async () => POSTED,
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle, tenantId, reportId } = await startExport(w, { reminderInterval: '24 hours' });
    await waitingIn(handle, 'waiting_for_mappings', 1);
    const before = await ts.env.currentTimeMs();

    await ts.env.sleep('3 days');
    assert.ok((await ts.env.currentTimeMs()) - before >= 3 * 86_400_000, 'three days passed on the server');
    await reaches('reminders sent', () => stubs.inputsOf('remindMissingMappings').length, 3);
    const state = await handle.query(exportStateQuery);
    assert.equal(state.status, 'waiting_for_mappings');
    assert.equal(state.missing, 2);
    assert.equal(state.reminders, 3);
    assert.deepEqual(stubs.inputsOf('remindMissingMappings'), [1, 2, 3].map((reminders) => ({ tenantId, reportId, revision: 1, reminders })));
    assert.equal(stubs.inputsOf('postJournalEntry').length, 0, 'nothing posted while mappings are missing');

    missing = 0;
    await handle.signal(mappingFixedSignal);
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    assert.deepEqual(statuses(stubs), ['waiting_for_mappings', 'validating']);
    assert.equal(stubs.inputsOf('prepareExport').length, 2, 'validated again after the fix');
  });
});

test('cancel while waiting for mappings: cancelled, nothing posted, no more reminders', async () => {
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    postingState: nothingOpen,
    prepareExport: async () => ({ missing: 1 }),
    remindMissingMappings: async () => undefined,
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    await waitingIn(handle, 'waiting_for_mappings', 1);
    await ts.env.sleep('25 hours');
    await reaches('reminders sent', () => stubs.inputsOf('remindMissingMappings').length, 1);
    await handle.signal(cancelSignal);
    assert.deepEqual(await handle.result(), { status: 'cancelled' });
    assert.deepEqual(statuses(stubs), ['waiting_for_mappings', 'cancelled']);
    assert.equal(stubs.inputsOf('remindMissingMappings').length, 1);
    assert.equal(stubs.inputsOf('postJournalEntry').length, 0);
    assert.equal((await handle.query(exportStateQuery)).status, 'cancelled');
  });
});

test('business rejection: waits in rejected without posting again, retry posts it', async () => {
  let attempt = 0;
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    prepareExport: async () => ({ missing: 0 }),
    postJournalEntry: async () => {
      if (++attempt === 1) {
        throw ApplicationFailure.create({ message: 'De periode 2026-11 is afgesloten', type: BUSINESS_REJECTION, nonRetryable: true });
      }
      return POSTED;
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    await eventually('rejected', async () => ((await handle.query(exportStateQuery)).status === 'rejected' ? true : undefined));
    // A month later it is still waiting for a fix: a rejected booking is never retried by itself.
    await ts.env.sleep('30 days');
    const state = await handle.query(exportStateQuery);
    assert.equal(state.status, 'rejected');
    assert.equal(state.error, 'De periode 2026-11 is afgesloten');
    assert.equal(stubs.inputsOf('postJournalEntry').length, 1);

    await handle.signal(retrySignal);
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    assert.equal(stubs.inputsOf('postJournalEntry').length, 2);
    assert.deepEqual(statuses(stubs), ['validating']);
  });
});

test('revoked connection: waits for reauthorization, checks every minute, the reconnect (retry) posts it', async () => {
  let connected = false;
  let attempt = 0;
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    postingState: nothingOpen,
    prepareExport: async () => ({ missing: 0 }),
    connectionState: async () => ({ state: connected ? 'connected' : 'needs_reauthorization' }),
    postJournalEntry: async () => {
      if (++attempt === 1) throw ApplicationFailure.nonRetryable('the account key was revoked', UNAUTHORIZED);
      return POSTED;
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    await waitingIn(handle, 'waiting_for_reauthorization', 1);
    assert.equal((await handle.query(exportStateQuery)).error, 'the account key was revoked');

    await ts.env.sleep('10 minutes');
    await reaches('looks at the connection (one a minute)', () => stubs.inputsOf('connectionState').length, 10);
    assert.equal((await handle.query(exportStateQuery)).status, 'waiting_for_reauthorization');
    assert.equal(stubs.inputsOf('postJournalEntry').length, 1);

    // Reconnecting marks the connection connected and sends `retry` to waiting exports.
    connected = true;
    await handle.signal(retrySignal);
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    assert.equal(stubs.inputsOf('connectionState').length, 11);
    assert.deepEqual(statuses(stubs), ['waiting_for_reauthorization', 'validating']);
  });
});

test('revoked connection: a reconnect without the retry signal is noticed at the next check', async () => {
  let connected = false;
  let attempt = 0;
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    postingState: nothingOpen,
    prepareExport: async () => ({ missing: 0 }),
    connectionState: async () => ({ state: connected ? 'connected' : 'needs_reauthorization' }),
    postJournalEntry: async () => {
      if (++attempt === 1) throw ApplicationFailure.nonRetryable('no connection', 'NotConnected');
      return POSTED;
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    await waitingIn(handle, 'waiting_for_reauthorization', 1);
    connected = true;
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    assert.equal(stubs.inputsOf('connectionState').length, 1);
  });
});

test('cancel while waiting for reauthorization: cancelled without posting again', async () => {
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    postingState: nothingOpen,
    prepareExport: async () => ({ missing: 0 }),
    connectionState: async () => ({ state: 'needs_reauthorization' }),
    postJournalEntry: async () => {
      throw ApplicationFailure.nonRetryable('the account key was revoked', UNAUTHORIZED);
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const { handle } = await startExport(w);
    await waitingIn(handle, 'waiting_for_reauthorization', 1);
    await ts.env.sleep('3 minutes');
    await reaches('looks at the connection', () => stubs.inputsOf('connectionState').length, 3);
    await handle.signal(cancelSignal);
    assert.deepEqual(await handle.result(), { status: 'cancelled' });
    assert.equal(stubs.inputsOf('postJournalEntry').length, 1);
    assert.deepEqual(statuses(stubs), ['waiting_for_reauthorization', 'cancelled']);
  });
});
