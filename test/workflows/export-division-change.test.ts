/**
 * exportExpenseReport while the tenant's switch to another division waits for an admin, under
 * skipped time with stubbed activities: posting is refused (DivisionChangePending), the export
 * waits, looks at the connection now and then, posts nothing, and goes on once the decision woke it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { eventually, startTimeSkipping, stubActivities, type TimeSkipping } from '../helpers/time-skipping';
import { uniqueId } from '../helpers/ids';
import { exportExpenseReport } from '../../src/workflows/export';
import { exportStateQuery, retrySignal, workflowIds } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

const POSTED = { exactEntryId: 'guid-entry-1', exactEntryNumber: '90001', postedVia: 'created' as const };

test('a pending division change: waits without posting, checks the connection, posts after the decision', async () => {
  let decided = false;
  let posts = 0;
  const stubs = stubActivities({
    setExportStatus: async () => undefined,
    prepareExport: async () => ({ missing: 0 }),
    // Nothing was sent (the POST was refused before sending): no outcome is open.
    postingState: async () => ({ status: 'waiting_for_reauthorization', exactEntryId: null, exactEntryNumber: null, postedVia: null, outcomeOpen: false, lastAttemptAt: null, unknownOutcomes: 0 }),
    connectionState: async () => ({ state: decided ? 'connected' : 'division_change_pending' }),
    postJournalEntry: async () => {
      posts++;
      if (!decided) throw ApplicationFailure.nonRetryable('an admin must confirm the change before anything is posted', FailureType.divisionChangePending);
      return POSTED;
    },
  });
  await ts.withWorker(stubs, async (w) => {
    const tenantId = uniqueId('tenant');
    const reportId = uniqueId('report');
    const handle = await w.start(exportExpenseReport, { workflowId: workflowIds.export(tenantId, reportId), args: [{ tenantId, reportId }] });
    await eventually('waiting', async () => ((await handle.query(exportStateQuery)).status === 'waiting_for_reauthorization' ? true : undefined));
    assert.match((await handle.query(exportStateQuery)).error ?? '', /confirm/);

    await ts.env.sleep('5 minutes');
    await eventually('checked the connection', () => (stubs.inputsOf('connectionState').length >= 5 ? true : undefined));
    assert.equal((await handle.query(exportStateQuery)).status, 'waiting_for_reauthorization');
    assert.equal(posts, 1, 'the refused attempt only; nothing retried while the change is pending');

    // The admin decided: the connection is connected again and waiting exports get `retry`.
    decided = true;
    await handle.signal(retrySignal);
    assert.deepEqual(await handle.result(), { status: 'posted', ...POSTED });
    assert.equal(posts, 2);
  });
});
