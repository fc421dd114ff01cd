/**
 * Webhooks to the platform, end to end (API, worker, Temporal, FerretDB, the sandbox): a receiver
 * in this process registered with PUT /api/webhook-endpoints gets every event once per state
 * change, each verified with the `standardwebhooks` library; a redelivery arrives with the same
 * webhook-id and is in the delivery log; a dead endpoint next to it slows nothing down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createSyncActivities } from '../../src/activities/sync';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { authorizeInSandbox, connectTenant, openCallback, startConnect, waitForState, waitForSyncRun } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let p: Product;
let receiver: WebhookReceiver;
const tenantId = uniqueId('wh');

before(async () => {
  p = await startProduct();
  receiver = await startWebhookReceiver();
  const put = await p.call('PUT', '/api/webhook-endpoints/platform', { url: receiver.url, description: 'the platform' });
  assert.equal(put.status, 201, JSON.stringify(put.body));
  assert.match(put.body.secret, /^whsec_/);
  receiver.setSecret(put.body.secret);
  // A dead endpoint (nothing listens there) takes every event too: it must slow nothing down.
  const dead = await p.call('PUT', '/api/webhook-endpoints/dead', { url: 'http://127.0.0.1:9/hooks' });
  assert.equal(dead.status, 201);
});
after(async () => {
  await p?.close();
  await receiver?.close();
});

/** Verified events of this test's tenant, in arrival order. */
const eventsOf = (type?: string) => receiver.accepted().filter((r) => r.verified?.data?.tenantId === tenantId && (!type || r.verified.type === type));

async function waitForEvent(type: string, match: (e: any) => boolean = () => true, timeoutMs = 60_000): Promise<any> {
  return eventually(async () => eventsOf(type).find((r) => match(r.verified))?.verified, `event ${type}`, timeoutMs);
}

const exportPath = (reportId: string) => `/api/tenants/${tenantId}/expense-reports/${reportId}/export`;
async function waitForExport(reportId: string, status: string): Promise<any> {
  return eventually(async () => {
    const r = await p.call('GET', exportPath(reportId));
    return r.body?.status === status ? r.body : null;
  }, `export ${reportId} to be ${status}`);
}

test('endpoints: listed without secrets; bad input is a 400 naming the field', async () => {
  const list = await p.call('GET', '/api/webhook-endpoints');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.endpoints.map((e: any) => e.endpointId), ['dead', 'platform']);
  assert.ok(!JSON.stringify(list.body).includes('whsec_'), 'no secret in the listing');
  const bad = await p.call('PUT', '/api/webhook-endpoints/x', { url: 'ftp://example.com', events: ['export.exploded'] });
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.error.fields.map((f: any) => f.path).sort(), ['body.events.0', 'body.url']);
  const stored = await p.db.collection('webhook_endpoints').findOne({ _id: 'platform' as never });
  assert.ok(stored && !JSON.stringify(stored).includes(receiver.url.length ? 'whsec_' : ''), 'the secret is stored sealed');
});

test('connect, a report waiting for a mapping, posted, rejected: each event once, in order, signed', async () => {
  await connectTenant(p, tenantId, DEMO_DIVISION);
  const connected = await waitForEvent('connection.connected');
  assert.equal(connected.data.division, DEMO_DIVISION);
  assert.equal(connected.data.objectId, tenantId);
  assert.match(connected.data.adminUrl, new RegExp(`/admin\\?tenant=${tenantId}$`));
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).status, 200);

  const reportId = uniqueId('M');
  await p.call('POST', exportPath(reportId), simpleReport(reportId, { category: 'coworking' }));
  const waiting = await waitForEvent('export.waiting_for_mappings', (e) => e.data.objectId === reportId);
  assert.deepEqual(waiting.data.missing.map((m: any) => [m.field, m.value, m.reason]), [['category', 'coworking', 'not_mapped']]);
  const mappings = demoMappings();
  mappings.categories = { ...mappings.categories, coworking: { glAccount: '4100' } };
  await p.call('PUT', `/api/tenants/${tenantId}/mappings`, mappings);
  const posted = await waitForEvent('export.posted', (e) => e.data.objectId === reportId);
  const doc = await waitForExport(reportId, 'posted');
  assert.equal(posted.data.exactEntryId, doc.exactEntryId);
  assert.equal(posted.data.exactEntryNumber, doc.exactEntryNumber);

  const year = new Date().getUTCFullYear();
  const rejectedId = uniqueId('P');
  await p.sandbox.closePeriod(DEMO_DIVISION, `${year}-10`);
  await p.call('POST', exportPath(rejectedId), simpleReport(rejectedId, { approvedAt: `${year}-10-15T12:00:00Z` }));
  const rejected = await waitForEvent('export.rejected', (e) => e.data.objectId === rejectedId);
  assert.match(rejected.data.message, /period|periode/i);
  await p.sandbox.reopenPeriod(DEMO_DIVISION, `${year}-10`);

  // Once per state change: no event twice, and one export's events in the order they happened.
  const ids = eventsOf().map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no event delivered twice');
  assert.deepEqual(eventsOf().filter((r) => r.verified.data.objectId === reportId).map((r) => r.verified.type), ['export.waiting_for_mappings', 'export.posted']);
  assert.equal(eventsOf('connection.connected').length, 1, 'syncs after connecting do not announce it again');
  assert.equal(receiver.received.filter((r) => r.verified === null).length, 0, 'every request verifies');
});

test('mapping health, a failed sync and a revoked key are announced', async () => {
  const accounts = await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=4230`);
  const parking = accounts.body.items.find((a: any) => a.code === '4230');
  await p.sandbox.blockAccount(DEMO_DIVISION, parking.id);
  const fullSync = await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'full' });
  assert.equal(fullSync.status, 202);
  await waitForSyncRun(p, tenantId, fullSync.body.runId);
  const health = await waitForEvent('mapping.health_changed', (e) => e.data.ok === false);
  assert.ok(health.data.issues.some((i: any) => i.code === '4230'));
  await p.sandbox.unblockAccount(DEMO_DIVISION, parking.id);

  // A failed sync as the sync workflow records it (Maesn's transient errors would take 20 retries first).
  const sync = createSyncActivities({ config: p.config, logger: pino({ level: 'silent' }), stores: p.stores, maesn: null as never, temporal: p.temporal });
  await sync.finishSyncRun({ runId: 'run-failed-1', tenantId, mode: 'full', status: 'failed', counts: {}, errors: [{ kind: 'gl-accounts', message: 'Maesn answered 500' }] });
  const failed = await waitForEvent('sync.failed');
  assert.deepEqual([failed.data.objectId, failed.data.errors], ['run-failed-1', [{ kind: 'gl-accounts', message: 'Maesn answered 500' }]]);

  await p.sandbox.revokeAccountKey((await p.stores.tenants.revealAccountKey(tenantId))!.accountKey);
  await p.call('POST', `/api/tenants/${tenantId}/exact/sync`, { mode: 'incremental' });
  await waitForEvent('connection.needs_reauthorization');
  // Reconnecting to another division waits for the admin: announced as pending.
  const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
  const callback = await authorizeInSandbox(authorizationUrl, '234567');
  assert.equal((await openCallback(callback, connectCookie)).status, 200);
  const pending = await waitForEvent('connection.division_change_pending');
  assert.deepEqual([pending.data.fromDivision, pending.data.toDivision], [DEMO_DIVISION, '234567']);
  await waitForState(p, tenantId, 'division_change_pending');
});

test('a redelivered event arrives with the same webhook-id and is in the delivery log; the dead endpoint logs failures', async () => {
  const original = eventsOf('export.posted')[0];
  const r = await p.call('POST', `/api/webhook-endpoints/platform/events/${original.id}/redeliver`);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  await eventually(async () => (receiver.accepted().filter((x) => x.id === original.id).length === 2 ? true : null), 'the redelivery');
  const again = receiver.accepted().filter((x) => x.id === original.id)[1];
  assert.deepEqual(again.verified, original.verified, 'the same event');
  const log = await p.call('GET', `/api/webhook-endpoints/platform/deliveries?eventId=${original.id}`);
  assert.equal(log.status, 200);
  assert.deepEqual(log.body.deliveries.map((d: any) => [d.outcome, d.redelivery, d.httpStatus]), [['delivered', true, 204], ['delivered', false, 204]]);
  const dead = await p.call('GET', '/api/webhook-endpoints/dead/deliveries');
  assert.ok(dead.body.deliveries.length > 0 && dead.body.deliveries.every((d: any) => d.outcome === 'failed' && d.httpStatus === null));
  assert.equal((await p.call('POST', '/api/webhook-endpoints/nope/events/evt_00000000000000000000000000000000/redeliver')).status, 404);
});
