/** Retention activity: deletes what the service must not keep (receipts after posting, expired pending credentials, old webhook logs). */
import type { ActivityDeps } from './common';

export interface RetentionResult {
  /** Exports whose receipts were deleted, and how many receipts that was. */
  exports: number;
  receipts: number;
  pendingCredentials: number;
  /** Outbound webhook events and delivery attempts past WEBHOOK_LOG_RETENTION. */
  webhookEvents: number;
  webhookDeliveries: number;
}

export function createRetentionActivities(deps: ActivityDeps) {
  const { stores, config, logger } = deps;
  return {
    async deleteExpiredData(): Promise<RetentionResult> {
      const now = Date.now();
      const r = await stores.exports.deleteExpiredReceipts(new Date(now - config.retention.receiptsMs));
      const pendingCredentials = await stores.tenants.deleteExpiredPendingCredentials(new Date(now));
      const webhooks = await stores.webhooks.deleteOlderThan(new Date(now - config.retention.webhookLogMs));
      const result = { ...r, pendingCredentials, webhookEvents: webhooks.events, webhookDeliveries: webhooks.deliveries };
      if (r.receipts || pendingCredentials || webhooks.events || webhooks.deliveries) logger.info(result, 'retention: expired data deleted');
      return result;
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
