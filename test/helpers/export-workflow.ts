/**
 * What the exportExpenseReport workflow tests share (test/workflows/export-*.test.ts): starting an
 * export on a worker with stubbed activities, a stand-in for the export document's posting
 * bookkeeping, and reading the workflow's state on the time-skipping test server.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type SignalDefinition } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { eventually, isSettled, settled, type ActivityStubs, type TimeSkipping, type WorkerScope } from './time-skipping';
import { uniqueId } from './ids';
import { exportExpenseReport, type ExportExpenseReportInput } from '../../src/workflows/export';
import { exportStateQuery, workflowIds } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
import type { LookupResult, PostingStateResult } from '../../src/activities/export';

export type ExportHandle = WorkflowHandle<typeof exportExpenseReport>;

export const SETTLE_MS = 10 * 60_000;
/**
 * For tests that poll the workflow's state: a settle period that passes in real time. The test
 * server skips time only while a client waits for a result or sleeps, and such skips are what
 * the settle-period tests themselves check.
 */
export const SHORT_SETTLE = { settlePeriodMs: 1 };
export const POSTED = { exactEntryId: 'guid-entry-1', exactEntryNumber: '90001', postedVia: 'created' as const };

/** The server's time when the current activity attempt was scheduled (the skipped clock, not ours). */
export const serverNow = () => Context.current().info.currentAttemptScheduledTimestampMs;

/**
 * A stand-in for the export document's posting bookkeeping, driven by the stubs like the real
 * activities drive MongoDB: a POST marks the outcome open (counted as unknown), a lookup closes it.
 */
export function exportDoc() {
  const doc = { outcomeOpen: false, lastAttemptAt: null as number | null, unknownOutcomes: 0, exactEntryId: null as string | null, posts: [] as number[], lookups: [] as number[] };
  return {
    doc,
    postingState: async (): Promise<PostingStateResult> => ({
      status: 'posting',
      exactEntryId: doc.exactEntryId,
      exactEntryNumber: doc.exactEntryId ? '90001' : null,
      postedVia: doc.exactEntryId ? 'adopted' : null,
      outcomeOpen: doc.outcomeOpen,
      lastAttemptAt: doc.lastAttemptAt,
      unknownOutcomes: doc.unknownOutcomes,
    }),
    /** A POST whose answer never comes (the activity reports an unknown outcome). */
    unansweredPost: async () => {
      doc.outcomeOpen = true;
      doc.lastAttemptAt = serverNow();
      doc.unknownOutcomes++;
      doc.posts.push(doc.lastAttemptAt);
      throw ApplicationFailure.create({ message: 'timed out', type: FailureType.outcomeUnknown, nonRetryable: true });
    },
    /** A lookup that finds the entry once `findOnPost` POSTs were sent (null: never), else nothing. */
    lookup: (findOnPost: number | null) => async (input: { resetUnknownOutcomes?: boolean; settlePeriodMs: number }): Promise<LookupResult> => {
      const now = serverNow();
      doc.lookups.push(now);
      if (input.resetUnknownOutcomes) doc.unknownOutcomes = 0;
      if (doc.lastAttemptAt !== null && now - doc.lastAttemptAt < input.settlePeriodMs) return { result: 'too_early', waitMs: doc.lastAttemptAt + input.settlePeriodMs - now };
      if (findOnPost !== null && doc.posts.length >= findOnPost) {
        doc.exactEntryId = 'guid-found';
        doc.outcomeOpen = false;
        return { result: 'found', exactEntryId: 'guid-found', exactEntryNumber: '90007', postedVia: 'adopted' };
      }
      doc.outcomeOpen = false;
      return { result: 'not_found', unknownOutcomes: doc.unknownOutcomes };
    },
  };
}

export const statuses = (stubs: ActivityStubs) => stubs.inputsOf('setExportStatus').map((i) => i.status);

/** The export's last recorded status once it is `status` (the query may show it before the activity ran). */
export const lastStatus = (stubs: ActivityStubs, status: string) =>
  eventually(`status ${status} recorded`, () => {
    const last = stubs.inputsOf('setExportStatus').at(-1);
    return last?.status === status ? last : undefined;
  });

/** Starting and watching exports on one file's time-skipping server. */
export function exportRuns(ts: () => TimeSkipping) {
  const started: ExportHandle[] = [];

  /**
   * Runs `fn` with a worker for `stubs`; the runs it left waiting are terminated while the worker
   * still polls, once they are idle (`settled`: no workflow task open, no activity in flight). The
   * server's clock is shared: a leftover run's timers would make the next test's skips jump, an
   * activity a stopped worker never finished holds the clock until it times out, and a run
   * terminated with a workflow task open holds it for good (see `isSettled`).
   */
  async function withWorker(stubs: ActivityStubs, fn: (w: WorkerScope) => Promise<void>): Promise<void> {
    await ts().withWorker(stubs, async (w) => {
      try {
        await fn(w);
      } finally {
        for (const h of started.splice(0)) {
          await settled(h).catch(() => undefined);
          await h.terminate('test over').catch(() => undefined);
        }
      }
    });
  }

  async function startExport(w: WorkerScope, extra: Partial<ExportExpenseReportInput> = {}) {
    const tenantId = uniqueId('tenant');
    const reportId = uniqueId('report');
    const handle = await w.start(exportExpenseReport, {
      workflowId: workflowIds.export(tenantId, reportId),
      args: [{ tenantId, reportId, settlePeriodMs: SETTLE_MS, maxUnknownOutcomes: 3, ...extra }],
    });
    started.push(handle);
    return { handle, tenantId, reportId };
  }

  /**
   * The workflow's state, queried once the run is idle: a query that meets a continue-as-new breaks
   * the test server (see `isSettled` in ./time-skipping). Each query still has a deadline.
   */
  const stateOf = (h: ExportHandle) =>
    eventually('the state', async () => ((await isSettled(h)) ? ts().env.client.connection.withDeadline(Date.now() + 3_000, () => h.query(exportStateQuery)) : undefined));
  const statusOf = async (h: ExportHandle) => (await stateOf(h)).status;
  /** Waits (real time) until the export shows `status`. */
  const reach = (h: ExportHandle, status: string) => eventually(`status ${status}`, async () => ((await statusOf(h)) === status ? true : undefined));

  /** Skips time ten minutes at a time until the export shows `status` (the settle period is a timer). */
  async function skipUntil(h: ExportHandle, status: string, steps = 60): Promise<void> {
    for (let i = 0; i < steps; i++) {
      if ((await statusOf(h)) === status) return;
      await ts().env.sleep('10 minutes');
    }
    throw new Error(`the export did not reach ${status} (it is ${await statusOf(h)})`);
  }

  /**
   * Sends a signal once the run is idle: on the test server a signal that meets a continue-as-new
   * is lost (see `isSettled` in ./time-skipping). Tests whose runs continue as new signal this way.
   */
  async function signal<Args extends unknown[]>(h: ExportHandle, def: SignalDefinition<Args>, ...args: Args): Promise<void> {
    await settled(h);
    await h.signal(def, ...args);
  }

  return { withWorker, startExport, stateOf, statusOf, reach, skipUntil, signal };
}
