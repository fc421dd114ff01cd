/**
 * Maesn webhooks in: subscribing a tenant's connection to Exact's change events (on connect) and
 * renewing subscriptions before they expire (hourly, by the retention schedule). Maesn has no
 * renew call: a new subscription replaces the old one, which is then deleted. A failure here
 * never fails onboarding: the scheduled sync stays the safety net.
 */
import { webhookSubscriptionResources } from '../domain';
import type { MaesnConnection } from '../maesn';
import { connectionFor, type ActivityDeps } from './common';

/** Where Maesn delivers a tenant's change events. */
export function maesnWebhookCallbackUrl(publicBaseUrl: string, tenantId: string): string {
  const url = new URL(`${publicBaseUrl.replace(/\/$/, '')}/api/maesn/webhooks`);
  url.searchParams.set('tenantId', tenantId);
  return url.toString();
}

export function createMaesnWebhookActivities(deps: ActivityDeps) {
  const { stores, config, logger } = deps;

  async function subscribe(conn: MaesnConnection, tenantId: string, resource: string): Promise<void> {
    const created = await conn.createWebhook({ callbackUrl: maesnWebhookCallbackUrl(config.api.publicBaseUrl, tenantId), resource });
    if (!created.secret) throw new Error(`Maesn returned no secret for the ${resource} subscription`);
    await stores.maesnSubscriptions.put({ id: created.id, tenantId, resource, callbackUrl: created.callbackUrl, secret: created.secret, expiresAt: new Date(created.expiresDate) });
  }

  async function unsubscribe(conn: MaesnConnection | null, id: string): Promise<void> {
    await conn?.deleteWebhook(id).catch((err: Error) => logger.warn({ webhookId: id, err: { message: err.message } }, 'could not delete a Maesn webhook subscription'));
    await stores.maesnSubscriptions.delete(id);
  }

  return {
    /** Subscribes the tenant's connection to every resource Exact announces (replacing earlier subscriptions). */
    async subscribeMaesnWebhooks({ tenantId }: { tenantId: string }): Promise<{ subscribed: number; failed: number }> {
      const { conn } = await connectionFor(deps, tenantId, { priority: 'sync-now' });
      for (const old of await stores.maesnSubscriptions.list(tenantId)) await unsubscribe(conn, old._id);
      let subscribed = 0;
      let failed = 0;
      for (const resource of webhookSubscriptionResources) {
        try {
          await subscribe(conn, tenantId, resource);
          subscribed++;
        } catch (err) {
          failed++;
          logger.warn({ tenantId, resource, err: { message: (err as Error).message } }, 'could not subscribe to Maesn webhooks; the scheduled sync still reads the changes');
        }
      }
      return { subscribed, failed };
    },

    /** Renews the subscriptions that expire within MAESN_WEBHOOK_RENEW_BEFORE; forgets old delivery signatures. */
    async renewMaesnSubscriptions(): Promise<{ renewed: number; failed: number }> {
      const due = await stores.maesnSubscriptions.expiringBefore(new Date(Date.now() + config.maesnWebhooks.renewBeforeMs));
      let renewed = 0;
      let failed = 0;
      for (const sub of due) {
        try {
          const { conn } = await connectionFor(deps, sub.tenantId, { priority: 'scheduled' });
          await subscribe(conn, sub.tenantId, sub.resource);
          await unsubscribe(conn, sub._id);
          renewed++;
        } catch (err) {
          failed++;
          logger.warn({ tenantId: sub.tenantId, webhookId: sub._id, err: { message: (err as Error).message } }, 'could not renew a Maesn webhook subscription');
        }
      }
      await stores.maesnSubscriptions.deleteDeliveredBefore(new Date(Date.now() - 2 * config.maesnWebhooks.toleranceMs));
      if (renewed || failed) logger.info({ renewed, failed }, 'Maesn webhook subscriptions renewed');
      return { renewed, failed };
    },
  };
}

export type MaesnWebhookActivities = ReturnType<typeof createMaesnWebhookActivities>;
