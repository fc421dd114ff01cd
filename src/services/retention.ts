/** The retention schedule: created (or brought up to date) by every worker at start-up. */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RETENTION_INTERVAL, scheduleIds, workflowIds } from '../workflows/definitions';
import { purgeExpiredData } from '../workflows/retention';

export async function ensureRetentionSchedule(temporal: Client, taskQueue: string): Promise<{ scheduleId: string }> {
  const scheduleId = scheduleIds.retention(taskQueue);
  const spec = { intervals: [{ every: RETENTION_INTERVAL }] };
  const action = { type: 'startWorkflow' as const, workflowType: purgeExpiredData, workflowId: workflowIds.retention(taskQueue), taskQueue, args: [] as [] };
  try {
    await temporal.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await temporal.schedule.getHandle(scheduleId).update((prev) => ({ ...prev, spec, action }));
  }
  return { scheduleId };
}
