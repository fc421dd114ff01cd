/**
 * exportExpenseReport under skipped time, with stubbed activities: the settle period before a
 * lookup, needs_review after the maximum of unanswered POSTs and what a person does there, cancel
 * while a POST is retried or an outcome is open, a long database outage. (Bounded history after 30
 * days in each waiting state: export-history.test.ts, on a server of its own.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { eventually, startTimeSkipping, stubActivities, type ActivityStubs, type TimeSkipping, type WorkerScope } from '../helpers/time-skipping';
import { POSTED, SETTLE_MS, SHORT_SETTLE, exportDoc, exportRuns, lastStatus, serverNow, statuses } from '../helpers/export-workflow';
import { cancelSignal, markPostedSignal, retrySignal } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

const { withWorker, startExport, stateOf, statusOf, reach, skipUntil, signal } = exportRuns(() => ts);

describe('unknown outcomes', () => {
  test('the lookup waits the settle period after the POST (a durable timer), then adopts the entry; one POST', async () => {
    const d = exportDoc();
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 0 }), postJournalEntry: d.unansweredPost, postingState: d.postingState, lookupPostedEntry: d.lookup(1) });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      assert.deepEqual(await handle.result(), { status: 'posted', exactEntryId: 'guid-found', exactEntryNumber: '90007', postedVia: 'adopted' });
      assert.equal(d.doc.posts.length, 1);
      assert.equal(d.doc.lookups.length, 1);
      assert.ok(d.doc.lookups[0] - d.doc.posts[0] >= SETTLE_MS, `looked ${d.doc.lookups[0] - d.doc.posts[0]} ms after the POST`);
      const timers = (await handle.fetchHistory()).events!.filter((e) => e.timerStartedEventAttributes);
      assert.equal(timers.length, 1, 'one durable timer for the settle period');
      assert.deepEqual(statuses(stubs), [], 'stored as validating; posting recorded by prepareExport, posted by the lookup');
    });
  });

  test('nothing found, POST again; after three unanswered POSTs → needs_review, and no POST on its own for 30 days', async () => {
    const d = exportDoc();
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 0 }), postJournalEntry: d.unansweredPost, postingState: d.postingState, lookupPostedEntry: d.lookup(null) });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      await skipUntil(handle, 'needs_review');
      assert.equal(d.doc.posts.length, 3);
      assert.equal(d.doc.lookups.length, 3);
      d.doc.lookups.forEach((l, i) => assert.ok(l - d.doc.posts[i] >= SETTLE_MS && (d.doc.posts[i + 1] === undefined || l <= d.doc.posts[i + 1]), `lookup ${i + 1} between its POST + settle and the next POST`));
      const review = await lastStatus(stubs, 'needs_review');
      assert.match(review.error!.message, /3 POST\(s\) got no answer/);
      await ts.env.sleep('30 days');
      assert.equal(await statusOf(handle), 'needs_review');
      assert.equal(d.doc.posts.length, 3, 'never posts on its own again');
    });
  });

  test('an unexpected failure of the POST activity never guesses: outcome open → lookup, closed → needs_review', async () => {
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postJournalEntry: async () => {
        throw ApplicationFailure.nonRetryable('a bug', 'TypeError');
      },
      postingState: d.postingState,
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      assert.match((await lastStatus(stubs, 'needs_review')).error!.message, /posting stopped unexpectedly: a bug/);
    });
  });

  test('a lookup that finds an entry carrying the reference but different → needs_review with the reason', async () => {
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postJournalEntry: d.unansweredPost,
      postingState: d.postingState,
      lookupPostedEntry: async () => ({ result: 'conflict', reason: 'an entry in Exact carries EXP-R-1 but differs from this export: journal 91 instead of 90' }),
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, SHORT_SETTLE);
      await reach(handle, 'needs_review');
      assert.match((await stateOf(handle)).reviewReason ?? '', /journal 91 instead of 90/);
      assert.equal(d.doc.posts.length, 1);
    });
  });
});

describe('needs_review: what a person does', () => {
  /** Three unanswered POSTs, then the test's signal. */
  async function reviewing(w: WorkerScope, d: ReturnType<typeof exportDoc>, stubs: ActivityStubs) {
    const started = await startExport(w, SHORT_SETTLE);
    await reach(started.handle, 'needs_review');
    assert.equal(d.doc.posts.length, 3);
    void stubs;
    return started;
  }

  test('retry: looks once more (the count starts over), then posts', async () => {
    const d = exportDoc();
    let answer = false;
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postJournalEntry: async () => (answer ? POSTED : d.unansweredPost()),
      postingState: d.postingState,
      lookupPostedEntry: d.lookup(null),
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await reviewing(w, d, stubs);
      answer = true;
      await handle.signal(retrySignal);
      assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
      assert.equal(stubs.inputsOf('lookupPostedEntry').at(-1)!.resetUnknownOutcomes, true);
      assert.equal(stubs.inputsOf('postJournalEntry').length, 4);
    });
  });

  test('markPosted: adopts the entry a person found; an empty payload is ignored', async () => {
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postJournalEntry: d.unansweredPost,
      postingState: d.postingState,
      lookupPostedEntry: d.lookup(null),
      markPostedEntry: async (i) => ({ result: 'posted', verified: true, exactEntryId: i.exactEntryId, exactEntryNumber: '90123' }),
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await reviewing(w, d, stubs);
      await handle.signal(markPostedSignal, {} as never);
      await handle.signal(markPostedSignal, { exactEntryId: ' guid-person ' });
      assert.deepEqual(await handle.result(), { status: 'posted', exactEntryId: 'guid-person', exactEntryNumber: '90123', postedVia: 'marked' });
      assert.deepEqual(stubs.inputsOf('markPostedEntry').map((i) => i.exactEntryId), ['guid-person']);
    });
  });

  test('cancel: looks once more without starting the count over; nothing there → cancelled', async () => {
    const d = exportDoc();
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 0 }), postJournalEntry: d.unansweredPost, postingState: d.postingState, lookupPostedEntry: d.lookup(null) });
    await withWorker(stubs, async (w) => {
      const { handle } = await reviewing(w, d, stubs);
      await handle.signal(cancelSignal);
      assert.deepEqual(await handle.result(), { status: 'cancelled' });
      assert.equal(stubs.inputsOf('lookupPostedEntry').at(-1)!.resetUnknownOutcomes, false);
      assert.equal(d.doc.posts.length, 3);
    });
  });
});

describe('cancel', () => {
  test('interrupts a POST being retried (429, Retry-After an hour): cancelled at once, one attempt', async () => {
    const d = exportDoc();
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => ({ missing: 0 }),
      postingState: d.postingState,
      postJournalEntry: async () => {
        throw ApplicationFailure.create({ message: 'rate limited', type: FailureType.maesnRateLimited, nextRetryDelay: '1 hour' });
      },
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      // The cancel goes out once the 429 is recorded and the POST waits out its Retry-After: one that
      // meets the attempt still running is retried by the test server (isSettled in ../helpers).
      // (The failure's message is encrypted by the product's codec; its type is not.)
      await eventually('the POST waits for its retry', async () => {
        const post = (await handle.describe()).raw.pendingActivities?.[0];
        return post?.attempt === 2 && post.lastFailure?.applicationFailureInfo?.type === FailureType.maesnRateLimited ? true : undefined;
      });
      await handle.signal(cancelSignal);
      assert.deepEqual(await handle.result(), { status: 'cancelled' });
      assert.equal(stubs.inputsOf('postJournalEntry').length, 1);
    });
  });

  test('while an outcome is open: waits the settle period and looks first; the entry that exists wins', async () => {
    const d = exportDoc();
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 0 }), postJournalEntry: d.unansweredPost, postingState: d.postingState, lookupPostedEntry: d.lookup(1) });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      await eventually('the POST', () => (d.doc.posts.length === 1 ? true : undefined));
      // Sent once the run is idle (waiting out the settle period, the outcome open): the test
      // server loses a signal that meets a workflow task in flight on a loaded machine.
      await signal(handle, cancelSignal);
      assert.equal((await handle.result()).status, 'posted');
      assert.ok(d.doc.lookups[0] - d.doc.posts[0] >= SETTLE_MS);
    });
  });

  test('while an outcome is open and the connection is gone: waits for the reconnect, looks, then cancels', async () => {
    const d = exportDoc();
    let connected = false;
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => (d.doc.outcomeOpen ? { missing: 0, outcomeOpen: true } : { missing: 0 }),
      postJournalEntry: d.unansweredPost,
      postingState: d.postingState,
      connectionState: async () => ({ state: connected ? 'connected' : 'needs_reauthorization' }),
      lookupPostedEntry: async (i) => {
        if (!connected) throw ApplicationFailure.nonRetryable('revoked', FailureType.maesnUnauthorized);
        return d.lookup(null)(i);
      },
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w, { ...SHORT_SETTLE, reauthorizationCheckInterval: '1 second' });
      await reach(handle, 'waiting_for_reauthorization');
      await handle.signal(cancelSignal);
      await eventually('three more connection checks', () => (stubs.inputsOf('connectionState').length >= 3 ? true : undefined));
      assert.equal(await statusOf(handle), 'waiting_for_reauthorization', 'a cancel needs the lookup first');
      connected = true;
      await handle.signal(retrySignal);
      assert.deepEqual(await handle.result(), { status: 'cancelled' });
      assert.equal(d.doc.posts.length, 1);
    });
  });
});

describe('no run dies', () => {
  test('the database is down for two hours: the export only waits, then posts', async () => {
    let downUntil = 0;
    const stubs = stubActivities({
      setExportStatus: async () => undefined,
      prepareExport: async () => {
        downUntil ||= serverNow() + 2 * 3_600_000;
        if (serverNow() < downUntil) throw new Error('MongoServerSelectionError: connect ECONNREFUSED');
        return { missing: 0 };
      },
      postJournalEntry: async () => POSTED,
    });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
      assert.ok(stubs.inputsOf('prepareExport').length > 100, `${stubs.inputsOf('prepareExport').length} attempts`);
    });
  });

  test('content no mapping can fix → rejected with the reason, not waiting for mappings', async () => {
    const stubs = stubActivities({ setExportStatus: async () => undefined, prepareExport: async () => ({ missing: 1, unfixable: 'the report cannot be booked: m1 amount 0: amount rounds to 0.00' }) });
    await withWorker(stubs, async (w) => {
      const { handle } = await startExport(w);
      await reach(handle, 'rejected');
      assert.match((await stateOf(handle)).error ?? '', /rounds to 0.00/);
      assert.deepEqual(statuses(stubs), [], 'prepareExport recorded the rejection with its reason');
      assert.deepEqual(stubs.names(), ['prepareExport'], 'nothing posted');
    });
  });
});

