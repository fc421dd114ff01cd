/**
 * purgeExpiredData: run by the retention schedule (hourly, one per deployment). Deletes receipts
 * RECEIPT_RETENTION after their export was posted or cancelled, and credentials from connect
 * callbacks that no onboarding run adopted in time. Only counts travel through history.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities, RetentionResult } from '../activities/retention';
import { activityProfiles } from './failures';

const { deleteExpiredData } = proxyActivities<RetentionActivities>(activityProfiles.bookkeeping);

export async function purgeExpiredData(): Promise<RetentionResult> {
  return deleteExpiredData();
}
