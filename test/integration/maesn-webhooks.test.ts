/**
 * Maesn's change events, end to end: connecting subscribes the tenant at Maesn (the sandbox);
 * an account added in Exact (the sandbox's control API) is in GET …/master-data/gl-accounts within
 * 10 s without a scheduled sync; several changes within a few seconds make one sync; a forged,
 * stale or replayed delivery changes nothing; a subscription close to expiry is renewed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import pino from 'pino';
import { createMaesnWebhookActivities } from '../../src/activities/maesn-webhooks';
import { MaesnClient } from '../../src/maesn';
import { DEMO_DIVISION } from '../fixtures/demo-data';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';

let p: Product;
const tenantId = uniqueId('mw');

before(async () => {
  p = await startProduct();
  await connectTenant(p, tenantId, DEMO_DIVISION);
});
after(async () => {
  await p?.close();
});

const webhookSyncs = () => p.db.collection('sync_runs').countDocuments({ tenantId, trigger: 'webhook' });
const scheduledSyncs = () => p.db.collection('sync_runs').countDocuments({ tenantId, trigger: 'schedule' });
const glAccount = async (code: string) => (await p.call('GET', `/api/tenants/${tenantId}/master-data/gl-accounts?search=${code}`)).body.items.find((a: any) => a.code === code);

async function sandboxWebhooks(): Promise<any[]> {
  const key = (await p.stores.tenants.revealAccountKey(tenantId))!.accountKey;
  const res = await fetch(`${p.sandboxUrl}/webhooks?companyId=${DEMO_DIVISION}`, { headers: { 'x-api-key': 'product-test-api-key', 'x-account-key': key } });
  assert.equal(res.status, 200);
  return ((await res.json()) as any).data;
}

/** Posts a delivery as Maesn would, signed with `secret`. */
function deliver(body: unknown, secret: string, opts: { signature?: string; raw?: string } = {}) {
  const raw = opts.raw ?? JSON.stringify(body);
  const signature = opts.signature ?? createHmac('sha256', secret).update(raw).digest('hex');
  return fetch(`${p.apiUrl}/api/maesn/webhooks?tenantId=${tenantId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-maesn-signature': signature }, body: raw });
}

test('connecting subscribed the tenant to account and contact changes, secrets sealed', async () => {
  const stored = await p.stores.maesnSubscriptions.list(tenantId);
  assert.deepEqual(stored.map((s) => s.resource).sort(), ['ACCOUNT', 'CONTACT']);
  const atMaesn = await sandboxWebhooks();
  assert.deepEqual(atMaesn.map((w) => w.id).sort(), stored.map((s) => s._id).sort());
  assert.ok(stored.every((s) => s.callbackUrl === `${p.apiUrl}/api/maesn/webhooks?tenantId=${tenantId}`));
  const raw = await p.db.collection('maesn_subscriptions').find({ tenantId }).toArray();
  const secrets = await p.stores.maesnSubscriptions.secretsOf(tenantId);
  assert.ok(secrets.every((s) => !JSON.stringify(raw).includes(s.secret)), 'no secret in clear in MongoDB');
});

test('an account added in Exact is listed within 10 s, without a scheduled sync; several changes make one sync', async () => {
  const syncsBefore = await webhookSyncs();
  const started = Date.now();
  await p.sandbox.createRecord(DEMO_DIVISION, 'accounts', { code: '4999', description: 'Webhook test account', type: 110, balanceType: 'W', balanceSide: 'D' });
  await p.sandbox.createRecord(DEMO_DIVISION, 'accounts', { code: '4998', description: 'Webhook test account 2', type: 110, balanceType: 'W', balanceSide: 'D' });
  await p.sandbox.createRecord(DEMO_DIVISION, 'suppliers', { code: '88777', name: 'Webhook Leverancier BV' });
  const found = await eventually(() => glAccount('4999'), 'account 4999 in the master data', 10_000);
  const elapsed = Date.now() - started;
  console.log(`[measured] account visible ${elapsed} ms after it was added in the sandbox`);
  assert.equal(found.name, 'Webhook test account');
  assert.ok(await glAccount('4998'));
  await eventually(async () => (await p.call('GET', `/api/tenants/${tenantId}/master-data/suppliers?search=88777`)).body.items.length === 1, 'supplier 88777', 10_000);
  await eventually(async () => ((await p.db.collection('sync_runs').countDocuments({ tenantId, trigger: 'webhook', finishedAt: { $ne: null } })) > syncsBefore ? true : null), 'the webhook sync to finish');
  assert.equal((await webhookSyncs()) - syncsBefore, 1, 'three changes within the debounce window: one sync');
  const run = await p.db.collection('sync_runs').findOne({ tenantId, trigger: 'webhook' });
  assert.equal(run?.mode, 'incremental');
  assert.equal(await scheduledSyncs(), 0, 'no scheduled sync ran');
});

test('a forged, a stale and a replayed delivery change nothing', async () => {
  const [sub] = await p.stores.maesnSubscriptions.secretsOf(tenantId);
  const event = { resource: 'ACCOUNT', eventType: 'CREATED', id: 'x', companyId: DEMO_DIVISION, targetSystem: 'exact-nl', timestamp: new Date().toISOString() };
  await new Promise((r) => setTimeout(r, 4_000)); // the previous test's debounce window is over
  const syncsBefore = await webhookSyncs();

  const forged = await deliver(event, 'not-the-secret');
  assert.equal(forged.status, 403);
  assert.equal(((await forged.json()) as any).error.code, 'invalid_signature');
  assert.equal((await deliver(event, sub.secret, { signature: 'ab'.repeat(32) })).status, 403);
  assert.equal((await deliver(event, sub.secret, { signature: 'not-hex' })).status, 403);
  const stale = await deliver({ ...event, timestamp: new Date(Date.now() - 3_600_000).toISOString() }, sub.secret);
  assert.equal(stale.status, 403);

  const genuine = await deliver(event, sub.secret);
  assert.equal(genuine.status, 202);
  assert.deepEqual(await genuine.json(), { status: 'accepted' });
  const replay = await deliver(event, sub.secret);
  assert.equal(replay.status, 200);
  assert.deepEqual(await replay.json(), { status: 'duplicate' });
  await eventually(async () => ((await webhookSyncs()) === syncsBefore + 1 ? true : null), 'the genuine delivery\'s sync');
  await new Promise((r) => setTimeout(r, 5_000)); // longer than the debounce: a second sync would have started
  assert.equal(await webhookSyncs(), syncsBefore + 1, 'only the genuine delivery started a sync');
});

test('a subscription close to expiry is renewed (new subscription at Maesn, the old one deleted)', async () => {
  const [old] = await p.stores.maesnSubscriptions.list(tenantId);
  await p.db.collection('maesn_subscriptions').updateOne({ _id: old._id as never }, { $set: { expiresAt: new Date(Date.now() + 3_600_000) } });
  const acts = createMaesnWebhookActivities({ config: p.config, logger: pino({ level: 'silent' }), stores: p.stores, maesn: MaesnClient.fromConfig(p.config.maesn, {}), temporal: p.temporal });
  assert.deepEqual(await acts.renewMaesnSubscriptions(), { renewed: 1, failed: 0 });
  const now = await p.stores.maesnSubscriptions.list(tenantId);
  assert.equal(now.length, 2);
  assert.ok(!now.some((s) => s._id === old._id), 'the old subscription is gone here');
  const renewed = now.find((s) => s.resource === old.resource)!;
  assert.ok(renewed.expiresAt.getTime() > Date.now() + 300 * 24 * 3_600_000, 'the new one runs for about a year');
  const atMaesn = (await sandboxWebhooks()).map((w) => w.id);
  assert.ok(atMaesn.includes(renewed._id) && !atMaesn.includes(old._id), 'and at Maesn');
  assert.deepEqual(await acts.renewMaesnSubscriptions(), { renewed: 0, failed: 0 }, 'nothing else is due');
});
