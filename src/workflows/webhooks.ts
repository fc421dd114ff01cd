/**
 * deliverWebhooks (ID `webhook:<endpointId>:<ordering key>`): delivers the events of one ordering
 * key (one export, or one tenant's connection, sync and mapping events) to one endpoint, one after
 * the other, in the order they were queued. Each event is retried with backoff for three days
 * (activityProfiles.webhookDelivery); one that still fails is logged as given up and the next one
 * goes. Exports never wait for this: the dispatcher only signals (with start) this workflow.
 *
 * History carries event IDs only; the payload and the endpoint's secret stay in MongoDB. The run
 * ends after a minute without events (the next event starts a new one).
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import { eventsQueuedSignal } from './definitions';
import { activityProfiles, failureOf } from './failures';

export interface QueuedEvent {
  eventId: string;
  redelivery: boolean;
}

export interface DeliverWebhooksInput {
  endpointId: string;
  orderingKey: string;
  /** Carried over by continue-as-new. */
  queued?: QueuedEvent[];
  /** How long the run waits for more events before it ends (default 1 minute). */
  idleTimeout?: string;
}

const deliver = proxyActivities<WebhookActivities>(activityProfiles.webhookDelivery);
const acts = proxyActivities<WebhookActivities>(activityProfiles.bookkeeping);

/** Continue as new after this many deliveries (or when Temporal suggests it). */
const DELIVERIES_PER_RUN = 200;

export async function deliverWebhooks(input: DeliverWebhooksInput): Promise<{ delivered: number; gaveUp: number }> {
  const { endpointId } = input;
  const queue: QueuedEvent[] = [...(input.queued ?? [])];
  // An event signalled twice (two dispatchers racing) is delivered once by this run.
  const seen = new Set(queue.map((q) => q.eventId));
  setHandler(eventsQueuedSignal, ({ eventIds, redelivery }) => {
    for (const eventId of eventIds) {
      if (redelivery || !seen.has(eventId)) queue.push({ eventId, redelivery: !!redelivery });
      seen.add(eventId);
    }
  });

  let delivered = 0;
  let gaveUp = 0;
  for (;;) {
    if (queue.length === 0 && !(await condition(() => queue.length > 0, input.idleTimeout ?? '1 minute')) && queue.length === 0) break;
    if (delivered + gaveUp >= DELIVERIES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof deliverWebhooks>({ ...input, queued: queue });
    }
    const item = queue[0];
    try {
      await deliver.deliverWebhook({ endpointId, eventId: item.eventId, redelivery: item.redelivery });
      delivered++;
    } catch (err) {
      // Three days of failures: logged, and the next event goes (ordering cannot wait forever).
      await acts.recordDeliveryGaveUp({ endpointId, eventId: item.eventId, redelivery: item.redelivery, message: failureOf(err).message });
      gaveUp++;
    }
    queue.shift();
  }
  await condition(allHandlersFinished);
  return { delivered, gaveUp };
}
