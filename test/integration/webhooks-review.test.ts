/**
 * Export events of the statuses posting integrity and corrections add, end to end: an export that
 * stops for a person announces export.needs_review exactly once (however many POSTs and lookups
 * led there), and a reversal announces export.reversed exactly once (the original and the
 * reversal revision both show `reversed`, one event tells it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { exportPath, submit, waitForExport } from '../helpers/exports';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let p: Product;
let receiver: WebhookReceiver;
const tenantId = uniqueId('whr');

before(async () => {
  p = await startProduct({ env: { MAESN_TIMEOUT_MS: '3000', EXPORT_SETTLE_PERIOD: '2s', EXPORT_MAX_UNKNOWN: '3' } });
  receiver = await startWebhookReceiver();
  const put = await p.call('PUT', '/api/webhook-endpoints/platform-review', { url: receiver.url });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  receiver.setSecret(put.body.secret);
  await connectTenant(p, tenantId, DEMO_DIVISION);
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).body.valid, true);
});
after(async () => {
  await p?.close();
  await receiver?.close();
});

/** Verified event types of one report of this test's tenant, in arrival order. */
const typesOf = (reportId: string) =>
  receiver
    .accepted()
    .filter((r) => r.verified?.data?.tenantId === tenantId && r.verified.data.objectId === reportId)
    .map((r) => r.verified.type as string);

test('three unanswered POSTs → needs_review, announced once with the reason; retry → posted', async () => {
  await p.sandbox.clearFaults();
  const reportId = uniqueId('NRE');
  await p.sandbox.failNext('createJournalEntry', 503, 3);
  await submit(p, tenantId, simpleReport(reportId));
  const review = await waitForExport(p, tenantId, reportId, 'needs_review', 60_000);
  const announced = await eventually(
    async () => receiver.accepted().find((r) => r.verified?.type === 'export.needs_review' && r.verified.data.objectId === reportId)?.verified,
    'export.needs_review',
  );
  assert.equal(announced.data.tenantId, tenantId);
  assert.equal(announced.data.message, review.review.reason);

  assert.equal((await p.call('POST', `${exportPath(tenantId, reportId)}/retry`)).status, 202);
  await waitForExport(p, tenantId, reportId, 'posted');
  await eventually(async () => (typesOf(reportId).includes('export.posted') ? true : null), 'export.posted');
  assert.deepEqual(typesOf(reportId), ['export.needs_review', 'export.posted'], 'each status change once, in order');
});

test('a reversal announces export.reversed once', async () => {
  await p.sandbox.clearFaults();
  const reportId = uniqueId('RVE');
  await submit(p, tenantId, simpleReport(reportId));
  await waitForExport(p, tenantId, reportId, 'posted');
  const asked = await p.call('POST', `${exportPath(tenantId, reportId)}/reverse`);
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const reversal = await waitForExport(p, tenantId, reportId, ['reversed', 'rejected', 'needs_review']);
  assert.equal(reversal.status, 'reversed', JSON.stringify(reversal.error));
  await eventually(async () => (typesOf(reportId).includes('export.reversed') ? true : null), 'export.reversed');
  // Give a second announcement (of the original's `reversed`) the chance to arrive before counting.
  await new Promise((r) => setTimeout(r, 2_000));
  assert.deepEqual(typesOf(reportId), ['export.posted', 'export.reversed']);
  assert.equal(receiver.received.filter((r) => r.verified === null).length, 0, 'every request verifies');
});
