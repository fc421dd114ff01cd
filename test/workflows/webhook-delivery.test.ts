/**
 * deliverWebhooks under skipped time, with the real delivery activity (signing with
 * standardwebhooks, HTTP to a receiver in this process) over an in-memory event store: a receiver
 * answering 500 for a minute gets every event afterwards, in order; an endpoint that fails for
 * three days gets the next event after the first is given up; an event queued twice goes once,
 * a redelivery goes again with the same ID.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWebhookActivities } from '../../src/activities/webhooks';
import type { ActivityDeps } from '../../src/activities';
import type { EventType } from '../../src/domain';
import type { DeliveryDoc, EventDoc } from '../../src/store';
import { eventsQueuedSignal, workflowIds } from '../../src/workflows/definitions';
import { deliverWebhooks } from '../../src/workflows/webhooks';
import { uniqueId } from '../helpers/ids';
import { startTimeSkipping, stubActivities, type TimeSkipping } from '../helpers/time-skipping';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

let ts: TimeSkipping;
before(async () => {
  ts = await startTimeSkipping();
});
after(async () => {
  await ts?.stop();
});

/** The webhook store's part the activities use, in memory: one endpoint, the given events, the log. */
function memoryWebhooks(url: string, events: EventDoc[]) {
  const log: Omit<DeliveryDoc, '_id' | 'at'>[] = [];
  const webhooks = {
    endpointForDelivery: async (id: string) => ({ _id: id, url, secret: SECRET, enabled: true, events: [] as EventType[], description: null, createdAt: new Date(), updatedAt: new Date() }),
    getEvent: async (id: string) => events.find((e) => e._id === id) ?? null,
    logDelivery: async (d: Omit<DeliveryDoc, '_id' | 'at'>) => void log.push(d),
  };
  const deps = { stores: { webhooks }, config: { api: { publicBaseUrl: 'http://admin.test' } }, logger: { warn: () => undefined } } as unknown as ActivityDeps;
  return { activities: createWebhookActivities(deps), log };
}

function event(n: number, tenantId: string, reportId: string): EventDoc {
  return {
    _id: `evt_${String(n).padStart(32, '0')}`,
    type: n === 1 ? 'export.waiting_for_mappings' : n === 2 ? 'export.rejected' : 'export.posted',
    tenantId,
    objectId: reportId,
    orderingKey: `export:${tenantId}:${reportId}`,
    data: { n },
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    dispatchedAt: new Date(),
  };
}

async function withReceiver<T>(respond: (req: { id: string }) => number | Promise<number>, fn: (r: WebhookReceiver) => Promise<T>): Promise<T> {
  const r = await startWebhookReceiver({ secret: SECRET, respond });
  try {
    return await fn(r);
  } finally {
    await r.close();
  }
}

test('a receiver answering 500 for a minute gets the events afterwards, in order, each signed', async () => {
  const t0 = await ts.env.currentTimeMs();
  let firstSuccessAt = 0;
  await withReceiver(
    async () => {
      const now = await ts.env.currentTimeMs();
      if (now - t0 < 60_000) return 500;
      firstSuccessAt ||= now;
      return 200;
    },
    async (receiver) => {
      const tenantId = uniqueId('t');
      const reportId = uniqueId('r');
      const events = [1, 2, 3].map((n) => event(n, tenantId, reportId));
      const mem = memoryWebhooks(receiver.url, events);
      const stubs = stubActivities({ deliverWebhook: mem.activities.deliverWebhook as never, recordDeliveryGaveUp: mem.activities.recordDeliveryGaveUp as never });
      await ts.withWorker(stubs, async (w) => {
        const orderingKey = events[0].orderingKey;
        const handle = await w.start(deliverWebhooks, { workflowId: workflowIds.webhookDelivery('ep', orderingKey), args: [{ endpointId: 'ep', orderingKey }] });
        await handle.signal(eventsQueuedSignal, { eventIds: [events[0]._id, events[1]._id] });
        await handle.signal(eventsQueuedSignal, { eventIds: [events[2]._id] });
        assert.deepEqual(await handle.result(), { delivered: 3, gaveUp: 0 });
      });
      const accepted = receiver.accepted();
      assert.deepEqual(accepted.map((r) => r.id), events.map((e) => e._id), 'each event once, in the order queued');
      for (const r of accepted) {
        assert.ok(r.verified, 'the signature verifies with standardwebhooks');
        assert.equal(r.verified.data.adminUrl, `http://admin.test/admin?tenant=${tenantId}`);
        assert.equal(r.verified.data.objectId, reportId);
      }
      assert.deepEqual([...new Set(receiver.received.filter((r) => r.status === 500).map((r) => r.id))], [events[0]._id], 'only the first event was tried while the receiver failed');
      assert.ok(receiver.received.filter((r) => r.status === 500).length >= 3, 'retried with backoff during the minute');
      assert.ok(firstSuccessAt - t0 >= 60_000 && firstSuccessAt - t0 < 5 * 60_000, `delivered soon after the minute (${firstSuccessAt - t0} ms)`);
      assert.ok(mem.log.some((l) => l.outcome === 'failed' && l.httpStatus === 500) && mem.log.filter((l) => l.outcome === 'delivered').length === 3, 'the log has the failed and the delivered attempts');
    },
  );
});

test('an endpoint failing for three days: the event is given up and logged, the next one still goes', async () => {
  let elapsed = 0;
  const tenantId = uniqueId('t');
  const reportId = uniqueId('r');
  const events = [1, 2].map((n) => event(n, tenantId, reportId));
  await withReceiver(
    ({ id }) => (id === events[0]._id ? 503 : 200),
    async (receiver) => {
      const mem = memoryWebhooks(receiver.url, events);
      const stubs = stubActivities({ deliverWebhook: mem.activities.deliverWebhook as never, recordDeliveryGaveUp: mem.activities.recordDeliveryGaveUp as never });
      await ts.withWorker(stubs, async (w) => {
        const handle = await w.start(deliverWebhooks, { workflowId: workflowIds.webhookDelivery('ep', events[0].orderingKey), args: [{ endpointId: 'ep', orderingKey: events[0].orderingKey }] });
        await handle.signal(eventsQueuedSignal, { eventIds: events.map((e) => e._id) });
        assert.deepEqual(await handle.result(), { delivered: 1, gaveUp: 1 });
        // The run's own times: the test server may skip far ahead once nothing is left to run.
        const d = await handle.describe();
        elapsed = d.closeTime!.getTime() - d.startTime.getTime();
      });
      // Given up at the three days' deadline, or earlier by less than one backoff (1 hour at most):
      // Temporal does not start a retry that would begin after the schedule-to-close deadline.
      const threeDays = 3 * 24 * 3600_000;
      assert.ok(elapsed > threeDays - 3600_000 && elapsed <= threeDays + 60_000, `retried for three days (${(elapsed / 3600_000).toFixed(2)} h)`);
      const attempts = receiver.received.filter((r) => r.id === events[0]._id).length;
      assert.ok(attempts > 20 && attempts < 150, `backoff, not a hammer: ${attempts} attempts in three days`);
      assert.deepEqual(receiver.accepted().map((r) => r.id), [events[1]._id]);
      assert.deepEqual(mem.log.filter((l) => l.outcome === 'gave_up').map((l) => l.eventId), [events[0]._id]);
    },
  );
});

test('an event queued twice is delivered once; a redelivery goes again with the same webhook-id', async () => {
  const tenantId = uniqueId('t');
  const events = [event(3, tenantId, 'r1')];
  await withReceiver(
    () => 200,
    async (receiver) => {
      const mem = memoryWebhooks(receiver.url, events);
      const stubs = stubActivities({ deliverWebhook: mem.activities.deliverWebhook as never });
      await ts.withWorker(stubs, async (w) => {
        const handle = await w.start(deliverWebhooks, { workflowId: workflowIds.webhookDelivery('ep', events[0].orderingKey), args: [{ endpointId: 'ep', orderingKey: events[0].orderingKey }] });
        await handle.signal(eventsQueuedSignal, { eventIds: [events[0]._id] });
        await handle.signal(eventsQueuedSignal, { eventIds: [events[0]._id] });
        await handle.signal(eventsQueuedSignal, { eventIds: [events[0]._id], redelivery: true });
        assert.deepEqual(await handle.result(), { delivered: 2, gaveUp: 0 });
      });
      assert.deepEqual(receiver.accepted().map((r) => r.id), [events[0]._id, events[0]._id]);
      assert.deepEqual(mem.log.map((l) => l.redelivery), [false, true]);
      assert.ok(receiver.accepted().every((r) => r.verified));
    },
  );
});
