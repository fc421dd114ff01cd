/**
 * planSync after a switch of division: the previous administration's sync runs say nothing about
 * the new one, so its first sync is full even when the full sync right after the switch failed
 * (an incremental sync "since" the old division's last run would leave the new one half-read).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { createSyncActivities } from '../../src/activities/sync';
import { loadConfig } from '../../src/config';
import { createStores, type Stores } from '../../src/store';
import { testDb, testStack, uniqueId } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
let stores: Stores;
let planSync: ReturnType<typeof createSyncActivities>['planSync'];

before(async () => {
  mongo = await testDb('sync_plan_division');
  const config = loadConfig({ NODE_ENV: 'test', MONGODB_URI: testStack().mongoUri, MONGODB_DB: mongo.db.databaseName });
  stores = createStores(mongo.db, config);
  ({ planSync } = createSyncActivities({ config, logger: pino({ level: 'silent' }), stores, maesn: null as never, temporal: null as never }));
});
after(async () => {
  await mongo?.dispose();
});

test("a division switch: the old division's full run no longer counts, the next sync is full; later runs count again", async () => {
  const tenantId = uniqueId('spd');
  await stores.tenants.create(tenantId, 'Plan BV');
  const hourAgo = new Date(Date.now() - 3_600_000);
  await stores.tenants.setConnection(tenantId, { state: 'connected', division: '123456', divisionSince: new Date(Date.now() - 86_400_000) });
  await stores.syncRuns.start({ _id: uniqueId('run'), tenantId, mode: 'full', since: null, trigger: 'onboarding', startedAt: hourAgo });
  const fullRun = (await stores.syncRuns.latest(tenantId))!;
  await stores.syncRuns.finish(fullRun._id, 'succeeded', {}, []);
  const ask = () => planSync({ tenantId, requested: 'auto', fullSyncEvery: '24h', trigger: 'manual' });
  assert.equal((await ask()).mode, 'incremental', 'same division, a recent full run: incremental');

  // Switched (confirmed) a minute ago; the full sync that followed failed.
  await stores.tenants.setConnection(tenantId, { division: '234567', divisionSince: new Date(Date.now() - 60_000) });
  const failed = uniqueId('run');
  await stores.syncRuns.start({ _id: failed, tenantId, mode: 'full', since: null, trigger: 'onboarding', startedAt: new Date(Date.now() - 30_000) });
  await stores.syncRuns.finish(failed, 'failed', {}, []);
  const after = await ask();
  assert.deepEqual([after.mode, after.since], ['full', null], after.reason);

  const ok = uniqueId('run');
  await stores.syncRuns.start({ _id: ok, tenantId, mode: 'full', since: null, trigger: 'manual', startedAt: new Date(Date.now() - 10_000) });
  await stores.syncRuns.finish(ok, 'succeeded', {}, []);
  assert.equal((await ask()).mode, 'incremental', "the new division's own full run counts");
});
