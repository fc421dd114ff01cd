/**
 * createMongo's way out of a stuck server check (see test/unit/mongo-watch.test.ts): the client
 * closes and connects again, and the `db` handles the stores hold keep working. The stuck check is
 * simulated by its monitoring event (the driver's race cannot be provoked on demand); the rest is
 * the real driver against the test stack's database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMongo, pingMongo } from '../../src/store';
import { testStack, uniqueId } from '../helpers/stack';

test('a stuck server check: the client reconnects, the same db handle reads and writes again, recovery is reported', async () => {
  const recoveries: { address: string; error?: Error }[] = [];
  const mongo = createMongo(testStack().mongoUri, uniqueId('mongo_watch').replace(/-/g, '_'), { stuckCheckMs: 200, onRecovery: (r) => recoveries.push(r) });
  try {
    const items = mongo.db.collection<{ _id: string; n: number }>('items');
    await items.insertOne({ _id: 'a', n: 1 });
    const address = new URL(testStack().mongoUri).host;
    const topologyBefore = (mongo.client as unknown as { topology: unknown }).topology;
    mongo.client.emit('serverHeartbeatStarted', { connectionId: address } as never);

    const deadline = Date.now() + 20_000;
    while (recoveries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(recoveries.map((r) => [r.address, r.error?.message]), [[address, undefined]], 'reconnected once, without error');
    assert.notEqual((mongo.client as unknown as { topology: unknown }).topology, topologyBefore, 'a new topology (monitor and pool)');

    await pingMongo(mongo.db);
    await items.updateOne({ _id: 'a' }, { $inc: { n: 1 } });
    assert.equal((await items.findOne({ _id: 'a' }))?.n, 2);
    await mongo.db.dropDatabase();
  } finally {
    await mongo.close();
  }
});
