/**
 * exportExpenseReport waiting for 30 simulated days in each waiting state (waiting_for_mappings,
 * waiting_for_reauthorization, rejected, needs_review): the history of the current run stays under
 * a fixed bound because the run continues as new, carrying what it needs (the reminder count, the
 * reason and the answer shown). On a time-skipping server of its own. The last tests check the
 * harness these rely on (isSettled in ../helpers/time-skipping): queries and signals while runs
 * continue as new, and the runs a test leaves behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { eventually, runChain, startTimeSkipping, stubActivities, type TimeSkipping } from '../helpers/time-skipping';
import { POSTED, exportDoc, exportRuns, type ExportHandle } from '../helpers/export-workflow';
import { cancelSignal, mappingFixedSignal, markPostedSignal, retrySignal } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

// Every query and signal waits until the run is idle: on the test server either one can break a
// run that is continuing as new at that moment (see isSettled in ../helpers/time-skipping).
const { withWorker, startExport, stateOf, statusOf, skipUntil, signal } = exportRuns(() => ts);

describe('30 days in each waiting state: history stays bounded (continue-as-new)', () => {
  const LIMIT = 100;
  /** The current run's history length, and how many runs the export has had. */
  async function bounded(handle: ExportHandle): Promise<{ events: number; run: number }> {
    const events = (await handle.fetchHistory()).events!.length;
    const run = (await stateOf(handle)).run;
    assert.ok(events < LIMIT + 60, `${events} events in the current run`);
    assert.ok(run > 1, `continued as new (run ${run})`);
    return { events, run };
  }

  test('waiting_for_mappings, a reminder a day: 30 reminders over several runs, then mapping-fixed posts it', async () => {
    let missing = 1;
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing }), remindMissingMappings: async () => undefined, postJournalEntry: async () => POSTED });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, { reminderInterval: '24 hours', historyLimit: LIMIT });
      await eventually('waiting', async () => ((await statusOf(handle)) === 'waiting_for_mappings' ? true : undefined));
      await ts.env.sleep('30 days');
      await eventually('30 reminders', () => (stubs.inputsOf('remindMissingMappings').length >= 30 ? true : undefined), 60_000);
      await bounded(handle);
      assert.equal((await stateOf(handle)).reminders, stubs.inputsOf('remindMissingMappings').length, 'the count survives continue-as-new');
      missing = 0;
      await signal(handle, mappingFixedSignal);
      assert.equal((await handle.result()).status, 'posted');
    });
  });

  test('waiting_for_reauthorization, a check a day: bounded, then the reconnect posts it', async () => {
    let connected = false;
    let attempt = 0;
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postingState: d.postingState,
      connectionState: async () => ({ state: connected ? 'connected' : 'needs_reauthorization' }),
      postJournalEntry: async () => {
        if (++attempt === 1) throw ApplicationFailure.nonRetryable('revoked', FailureType.maesnUnauthorized);
        return POSTED;
      },
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, { reauthorizationCheckInterval: '24 hours', historyLimit: LIMIT });
      await eventually('waiting', async () => ((await statusOf(handle)) === 'waiting_for_reauthorization' ? true : undefined));
      await ts.env.sleep('30 days');
      await eventually('30 checks', () => (stubs.inputsOf('connectionState').length >= 30 ? true : undefined), 60_000);
      await bounded(handle);
      connected = true;
      await signal(handle, retrySignal);
      assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    });
  });

  test('rejected for 30 days, then retried 15 times without a fix: bounded, still rejected, then cancel', async () => {
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postingState: exportDoc().postingState,
      postJournalEntry: async () => {
        throw ApplicationFailure.create({ message: 'Period is closed', type: FailureType.businessRejection, nonRetryable: true });
      },
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, { historyLimit: LIMIT });
      const rejected = (i: number) => eventually(`rejected ${i}`, async () => ((await statusOf(handle)) === 'rejected' && stubs.inputsOf('postJournalEntry').length === i ? true : undefined));
      await rejected(1);
      // A month in rejected adds nothing to the history (no timer); each retry without a fix adds a cycle.
      await ts.env.sleep('30 days');
      assert.equal(stubs.inputsOf('postJournalEntry').length, 1, 'never retried by itself');
      for (let i = 2; i <= 16; i++) {
        await signal(handle, retrySignal);
        await rejected(i);
      }
      await bounded(handle);
      assert.equal((await stateOf(handle)).error, 'Period is closed', 'the reason survives continue-as-new');
      await signal(handle, cancelSignal);
      assert.deepEqual(await handle.result(), { status: 'cancelled' });
    });
  });

  test('needs_review for 30 days, then 15 wrong markPosted ids, each answer shown also after continue-as-new: bounded, then the right one posts it', async () => {
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postJournalEntry: d.unansweredPost,
      postingState: d.postingState,
      lookupPostedEntry: d.lookup(null),
      markPostedEntry: async (i) => (i.exactEntryId === 'right' ? { result: 'posted', verified: true, exactEntryId: 'right', exactEntryNumber: '1' } : { result: 'not_found', message: `entry ${i.exactEntryId} was not found in Exact` }),
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, { historyLimit: LIMIT });
      await skipUntil(handle, 'needs_review');
      const { reviewReason } = await stateOf(handle);
      assert.match(reviewReason ?? '', /3 POST\(s\) got no answer/);
      await ts.env.sleep('30 days');
      const runs: number[] = [];
      for (let i = 1; i <= 15; i++) {
        await signal(handle, markPostedSignal, { exactEntryId: `wrong-${i}` });
        // The answer stays what the export shows (query and stored status), also once the run that
        // gave it has continued as new: continue-as-new is no reason to show something else.
        const answer = `entry wrong-${i} was not found in Exact (${reviewReason})`;
        const state = await eventually(`answer ${i} shown`, async () => {
          const s = await stateOf(handle);
          return s.error === answer ? s : undefined;
        });
        assert.equal(state.status, 'needs_review');
        assert.equal(state.reviewReason, reviewReason, 'the review reason stays');
        assert.equal(stubs.inputsOf('setExportStatus').at(-1)!.error?.message, answer, `answer ${i} is the stored status`);
        assert.equal(stubs.inputsOf('markPostedEntry').length, i);
        runs.push(state.run);
      }
      assert.ok(runs.at(-1)! > runs[0], `answers shown across continue-as-new (runs ${runs.join(', ')})`);
      await bounded(handle);
      assert.equal(d.doc.posts.length, 3);
      await signal(handle, markPostedSignal, { exactEntryId: 'right' });
      assert.equal((await handle.result()).postedVia, 'marked');
    });
  });
});

describe('the harness (isSettled): queries and signals while a run continues as new, runs a test leaves', () => {
  test('rejected, continuing as new at every wait: 10 retries while the state is polled all along; every retry taken, no run left open', async () => {
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postingState: exportDoc().postingState,
      postJournalEntry: async () => {
        throw ApplicationFailure.create({ message: 'Period is closed', type: FailureType.businessRejection, nonRetryable: true });
      },
    });
    await withWorker(stubs, async (w) => {
      // A run of one cycle (about 25 events) is over the limit: it continues as new whenever it waits.
      const { handle } = await startExport(w, { historyLimit: 15 });
      let polling = true;
      let polls = 0;
      const poller = (async () => {
        for (; polling; polls++) assert.equal((await stateOf(handle)).revision, 1);
      })();
      try {
        for (let i = 1; i <= 10; i++) {
          await eventually(`attempt ${i}`, () => (stubs.inputsOf('postJournalEntry').length === i ? true : undefined));
          await signal(handle, retrySignal);
        }
        await eventually('attempt 11', () => (stubs.inputsOf('postJournalEntry').length === 11 ? true : undefined));
      } finally {
        polling = false;
        await poller;
      }
      assert.ok(polls > 0, `${polls} queries`);
      const runs = await runChain(handle);
      assert.ok(runs.length > 10, `${runs.length} runs`);
      assert.deepEqual(runs.slice(0, -1).filter((r) => r.end !== 'continued'), [], 'every run but the current one continued as new');
      assert.equal(runs.flatMap((r) => r.signals).length, 10, 'the 10 retries, each once');
      await signal(handle, cancelSignal);
      assert.deepEqual(await handle.result(), { status: 'cancelled' });
    });
  });

  test('a test that ends while its run has a workflow task open: the run is terminated once idle, and the clock still skips', async () => {
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 1 }), remindMissingMappings: async () => undefined });
    await withWorker(stubs, async (w) => {
      await startExport(w); // the test ends at once, the run's first workflow task open
    });
    const skipped = await Promise.race([ts.env.sleep('1 hour').then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
    assert.ok(skipped, 'an hour skips in no time');
  });
});
