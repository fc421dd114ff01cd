/**
 * MasterDataStore on the real database: idempotent page upserts (also of pages whose records all
 * exist already: FerretDB stops answering a single bulk write of 100 matched upserts), and the
 * full-sync deactivation of records that vanished.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MasterDataRecord } from '../../src/domain';
import { MasterDataStore } from '../../src/store';
import { testDb } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
let store: MasterDataStore;
before(async () => {
  mongo = await testDb('mdstore');
  store = new MasterDataStore(mongo.db);
  await store.ensureIndexes();
  await store.ensureIndexes(); // idempotent
});
after(async () => {
  await mongo?.dispose();
});

const supplier = (i: number, name = `Leverancier ${i}`): MasterDataRecord => ({ id: `s-${i}`, code: String(10000 + i), name, active: true });

test('pages upsert idempotently, records that exist are replaced, other tenants are untouched', { timeout: 120_000 }, async () => {
  const page = Array.from({ length: 100 }, (_, i) => supplier(i));
  assert.equal(await store.upsertPage('suppliers', 'a', 'run-1', page), 100);
  assert.equal(await store.upsertPage('suppliers', 'b', 'run-1', page.slice(0, 10)), 10);
  // The same page again (a crash retried it), then with changes: every record already exists.
  assert.equal(await store.upsertPage('suppliers', 'a', 'run-1', page), 100);
  const changed = page.map((r, i) => (i % 2 ? { ...r, name: `${r.name} (gewijzigd)` } : r));
  assert.equal(await store.upsertPage('suppliers', 'a', 'run-2', changed), 100);
  // Half new, half existing in one page.
  const mixed = [...changed.slice(50, 100), ...Array.from({ length: 50 }, (_, i) => supplier(100 + i))];
  assert.equal(await store.upsertPage('suppliers', 'a', 'run-2', mixed), 100);

  assert.equal(await store.count('suppliers', 'a'), 150);
  assert.equal(await store.count('suppliers', 'b'), 10);
  const [one] = await store.findByCodes('suppliers', 'a', ['10001']);
  assert.equal(one.name, 'Leverancier 1 (gewijzigd)');
  assert.equal(one.lastSeenRunId, 'run-2');
  const list = await store.list('suppliers', 'a', { page: 2, limit: 40, search: 'gewijzigd' });
  assert.equal(list.total, 50);
  assert.equal(list.items.length, 10);
});

test('a full sync deactivates what it did not see, for its tenant only', async () => {
  // run-2 saw all 150 suppliers of tenant a (0..99, then 50..149).
  const deactivated = await store.markUnseenInactive('suppliers', 'a', 'run-2');
  assert.equal(deactivated, 0, 'everything of tenant a was seen in run-2');
  const page = Array.from({ length: 20 }, (_, i) => supplier(i));
  await store.upsertPage('suppliers', 'a', 'run-3', page);
  assert.equal(await store.markUnseenInactive('suppliers', 'a', 'run-3'), 130);
  assert.equal(await store.count('suppliers', 'a', { active: true }), 20);
  assert.equal(await store.count('suppliers', 'b', { active: true }), 10, 'tenant b untouched');
  // A record that comes back is active again.
  await store.upsertPage('suppliers', 'a', 'run-4', [supplier(140)]);
  const [back] = await store.findByCodes('suppliers', 'a', ['10140']);
  assert.equal(back.active, true);
  assert.equal(back.removedFromSourceAt, null);
});
