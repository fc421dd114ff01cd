/**
 * purgeExpiredData: run by the retention schedule (hourly, one per deployment). Deletes receipts
 * RECEIPT_RETENTION after their export was posted or cancelled, and credentials from connect
 * callbacks that no onboarding run adopted in time. Also hands on webhook events whose dispatch
 * failed, and renews Maesn webhook subscriptions that expire soon. Only counts travel through history.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities, RetentionResult } from '../activities/retention';
import type { MaesnWebhookActivities } from '../activities/maesn-webhooks';
import type { WebhookActivities } from '../activities/webhooks';
import { activityProfiles } from './failures';

const { deleteExpiredData, dispatchPendingEvents, renewMaesnSubscriptions } = proxyActivities<RetentionActivities & WebhookActivities & MaesnWebhookActivities>(activityProfiles.bookkeeping);

export async function purgeExpiredData(): Promise<RetentionResult> {
  await dispatchPendingEvents();
  await renewMaesnSubscriptions();
  return deleteExpiredData();
}
