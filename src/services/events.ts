/**
 * Events to the platform on the Temporal side: the dispatcher that hands recorded events to the
 * delivery workflows (one per endpoint and ordering key, signal-with-start, so nobody waits for an
 * endpoint), and redelivery of one event. Recording an event is the store's job (stores.webhooks).
 */
import type { EventDispatcher, Stores } from '../store';
import { eventsQueuedSignal, workflowIds } from '../workflows/definitions';
import { deliverWebhooks } from '../workflows/webhooks';
import type { ServiceDeps } from './deps';
import { notFound } from './errors';

/**
 * The dispatcher the worker and the API give the webhook store. It never throws: an event it
 * cannot hand on stays undispatched and goes with the next event of its key, or the hourly sweep.
 */
export function eventDispatcher(deps: Pick<ServiceDeps, 'config' | 'logger' | 'temporal'> & { stores: Pick<Stores, 'webhooks'> }): EventDispatcher {
  return async (orderingKey) => {
    try {
      const events = await deps.stores.webhooks.undispatched(orderingKey);
      if (events.length === 0) return;
      const byEndpoint = new Map<string, string[]>();
      for (const e of events) {
        for (const endpointId of await deps.stores.webhooks.subscribedEndpointIds(e.type)) byEndpoint.set(endpointId, [...(byEndpoint.get(endpointId) ?? []), e._id]);
      }
      for (const [endpointId, eventIds] of byEndpoint) await queueEvents(deps, endpointId, orderingKey, eventIds, false);
      await deps.stores.webhooks.markDispatched(events.map((e) => e._id));
    } catch (err) {
      deps.logger.warn({ orderingKey, err: { message: (err as Error).message } }, 'could not hand events to delivery; retried with the next event or the hourly sweep');
    }
  };
}

async function queueEvents(deps: Pick<ServiceDeps, 'config' | 'temporal'>, endpointId: string, orderingKey: string, eventIds: string[], redelivery: boolean): Promise<string> {
  const workflowId = workflowIds.webhookDelivery(endpointId, orderingKey);
  await deps.temporal.workflow.signalWithStart(deliverWebhooks, {
    workflowId,
    taskQueue: deps.config.temporal.taskQueue,
    args: [{ endpointId, orderingKey }],
    signal: eventsQueuedSignal,
    signalArgs: [{ eventIds, redelivery }],
  });
  return workflowId;
}

/** Sends one event to one endpoint again (same `webhook-id`), after the events queued before it. */
export async function redeliverEvent(deps: ServiceDeps, endpointId: string, eventId: string): Promise<{ workflowId: string }> {
  if (!(await deps.stores.webhooks.getEndpoint(endpointId))) throw notFound(`webhook endpoint ${endpointId}`);
  const event = await deps.stores.webhooks.getEvent(eventId);
  if (!event) throw notFound(`event ${eventId}`);
  return { workflowId: await queueEvents(deps, endpointId, event.orderingKey, [eventId], true) };
}
