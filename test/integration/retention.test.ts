/**
 * Retention, run by its schedule on the product worker: receipts go RECEIPT_RETENTION after their
 * export was posted (or cancelled), never before and never for an export still in progress;
 * credentials from connect callbacks expire after the link's lifetime (refused at once, deleted
 * by the next run). Works on FerretDB, which has no TTL indexes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleIds } from '../../src/workflows/definitions';
import { ensureRetentionSchedule } from '../../src/services';
import type { ExportDoc } from '../../src/store';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
const tenantId = uniqueId('ret');
const DAY = 24 * 3600_000;

before(async () => {
  p = await startProduct({ env: { RECEIPT_RETENTION: '30 days', ONBOARDING_AUTHORIZATION_TIMEOUT: '1h' } });
});
after(async () => {
  await p?.close();
});

async function exportWithReceipts(reportId: string, set: Partial<ExportDoc>): Promise<void> {
  const now = new Date();
  await p.stores.exports.putReceipts(tenantId, reportId, `hash-${reportId}`, [
    { receiptId: 'r1', expenseId: 'e1', fileName: 'a.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 a') },
    { receiptId: 'r2', expenseId: 'e2', fileName: 'b.jpg', contentType: 'image/jpeg', data: Buffer.from('jpg b') },
  ]);
  await p.stores.exports.insertOrGet({
    _id: `${tenantId}:${reportId}`,
    tenantId,
    reportId,
    contentHash: `hash-${reportId}`,
    report: {} as never,
    status: 'validating',
    workflowId: `export:${tenantId}:${reportId}`,
    division: '123456',
    missing: [],
    entry: null,
    exactEntryId: null,
    exactEntryNumber: null,
    postedAt: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    ...set,
  });
}

const receiptsOf = async (reportId: string) => p.stores.exports.receipts.countDocuments({ tenantId, reportId });
const ago = (ms: number) => new Date(Date.now() - ms);

test('the retention schedule deletes what is past its retention, and only that', { timeout: 120_000 }, async () => {
  await exportWithReceipts('posted-31d', { status: 'posted', postedAt: ago(31 * DAY), updatedAt: ago(31 * DAY) });
  await exportWithReceipts('posted-29d', { status: 'posted', postedAt: ago(29 * DAY), updatedAt: ago(29 * DAY) });
  await exportWithReceipts('cancelled-40d', { status: 'cancelled', updatedAt: ago(40 * DAY) });
  await exportWithReceipts('waiting-40d', { status: 'waiting_for_mappings', createdAt: ago(40 * DAY), updatedAt: ago(40 * DAY) });
  await exportWithReceipts('rejected-40d', { status: 'rejected', createdAt: ago(40 * DAY), updatedAt: ago(40 * DAY) });

  // Webhook events and their delivery log: past WEBHOOK_LOG_RETENTION (30 days) they go, unless
  // the event was never handed to delivery.
  const webhookEvent = async (id: string, daysAgo: number, dispatched: boolean) =>
    p.stores.webhooks.events.insertOne({ _id: `${tenantId}-${id}`, type: 'export.posted', tenantId, objectId: id, orderingKey: `export:${tenantId}:${id}`, data: {}, occurredAt: ago(daysAgo * DAY), dispatchedAt: dispatched ? ago(daysAgo * DAY) : null });
  await webhookEvent('old', 31, true);
  await webhookEvent('old-undispatched', 31, false);
  await webhookEvent('recent', 29, true);
  const attempt = (eventId: string, daysAgo: number) => ({ _id: uniqueId('dl'), endpointId: `${tenantId}-ep`, eventId, eventType: 'export.posted' as const, attempt: 1, redelivery: false, outcome: 'delivered' as const, httpStatus: 204, error: null, durationMs: 5, at: ago(daysAgo * DAY) });
  await p.stores.webhooks.deliveries.insertMany([attempt(`${tenantId}-old`, 31), attempt(`${tenantId}-old`, 31), attempt(`${tenantId}-recent`, 29)]);

  const fresh = await p.stores.tenants.storePendingCredential(tenantId, 'state-new', '123456', 'acc-fresh-0123456789');
  const stale = await p.stores.tenants.storePendingCredential(tenantId, 'state-old', '123456', 'acc-stale-0123456789');
  await p.db.collection('pending_credentials').updateOne({ _id: stale as never }, { $set: { createdAt: ago(2 * 3600_000) } });
  // An expired credential is refused at once, before any cleanup ran.
  assert.equal(await p.stores.tenants.adoptPendingCredential(tenantId, stale!, 'test'), null);
  assert.equal((await p.stores.tenants.adoptPendingCredential(tenantId, fresh!, 'test'))?.accountKey, 'acc-fresh-0123456789');

  const { scheduleId } = await ensureRetentionSchedule(p.temporal, p.taskQueue);
  assert.equal(scheduleId, scheduleIds.retention(p.taskQueue));
  await ensureRetentionSchedule(p.temporal, p.taskQueue); // a second worker start only updates it
  const schedule = p.temporal.schedule.getHandle(scheduleId);
  const described = await schedule.describe();
  assert.equal((described.spec.intervals ?? [])[0]?.every, 3600_000, 'hourly');
  // Paused, so the run checked below is the one triggered here, even when the hour strikes meanwhile.
  await schedule.pause('retention test: only the triggered run');
  await schedule.trigger();

  await eventually(async () => (await receiptsOf('posted-31d')) === 0 && (await receiptsOf('cancelled-40d')) === 0, 'the scheduled run to delete the receipts', 60_000);
  const runs = (await schedule.describe()).info.recentActions;
  const result = await eventually(async () => {
    const h = p.temporal.workflow.getHandle(runs.at(-1)!.action.workflow.workflowId);
    return (await h.describe()).status.name === 'COMPLETED' ? h.result() : null;
  }, 'the run to complete');
  assert.deepEqual(result, { exports: 2, receipts: 4, pendingCredentials: 1, webhookEvents: 1, webhookDeliveries: 2 });
  assert.deepEqual((await p.stores.webhooks.events.find({ tenantId }).toArray()).map((e) => e.objectId).sort(), ['old-undispatched', 'recent']);
  assert.deepEqual((await p.stores.webhooks.listDeliveries(`${tenantId}-ep`, { limit: 10 })).map((d) => d.eventId), [`${tenantId}-recent`]);

  assert.equal(await receiptsOf('posted-29d'), 2, 'within retention: kept');
  assert.equal(await receiptsOf('waiting-40d'), 2, 'an export in progress keeps its receipts');
  assert.equal(await receiptsOf('rejected-40d'), 2, 'a rejected export may still be retried');
  assert.ok((await p.stores.exports.get(tenantId, 'posted-31d'))?.receiptsDeletedAt instanceof Date, 'the export says when');
  assert.equal(await p.db.collection('pending_credentials').countDocuments({ _id: stale as never }), 0);
  assert.equal(await p.db.collection('pending_credentials').countDocuments({ _id: fresh as never }), 1);

  // Nothing left to do: a second run deletes nothing.
  assert.deepEqual(await p.stores.exports.deleteExpiredReceipts(ago(30 * DAY)), { exports: 0, receipts: 0 });
  await schedule.delete();
});
