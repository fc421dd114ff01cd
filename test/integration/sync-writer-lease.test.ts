/**
 * Two syncs of one tenant at once (say "sync now" while a scheduled one runs: different workflow
 * IDs) write each resource one after the other, never together: on the embedded FerretDB two
 * writers adding different suppliers to one lookup key (a shared name) could lose one of them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProduct, type Product } from '../helpers/product';
import { uniqueId } from '../helpers/stack';
import { SyncWriterLease, syncWriterLeaseKey } from '../../src/activities/sync-writer-lease';

let p: Product;
const DIVISION = '900011';
const SUPPLIERS = 200;
const PAGE = 5;

before(async () => {
  p = await startProduct();
  // 200 generated suppliers share names (the generator draws from about 960 company names).
  await p.sandbox.createDivision({ code: DIVISION, name: 'Twee Syncs B.V.', generate: { suppliers: SUPPLIERS, accounts: 40 } });
});
after(async () => {
  await p?.close();
});

test('two syncs of one tenant at once: each resource is written by one run after the other, and no supplier drops out of a shared key', { timeout: 240_000 }, async () => {
  const tenantId = uniqueId('twosyncs');
  await p.call('POST', '/api/tenants', { tenantId, name: 'Twee Syncs' });
  const conn = await p.sandbox.createConnection(DIVISION);
  await p.stores.tenants.setConnection(tenantId, { state: 'connected', division: DIVISION, accountKey: p.stores.tenants.sealAccountKey(tenantId, conn.accountKey) });
  await p.sandbox.clearRequests();

  const args = { tenantId, mode: 'full' as const, trigger: 'manual' as const, pageSize: PAGE };
  const [a, b] = await Promise.all(
    ['manual', 'scheduled'].map((name) => p.temporal.workflow.start('syncMasterData', { taskQueue: p.taskQueue, workflowId: `sync:${tenantId}:${name}`, args: [args] })),
  );
  const results: any[] = await Promise.all([a.result(), b.result()]);
  for (const r of results) {
    assert.equal(r.status, 'succeeded');
    assert.equal(r.counts.suppliers.fetched, SUPPLIERS);
  }

  // The sandbox's own log, in the order it answered: one run's pages 1…40, then the other's.
  const pages = (await p.sandbox.listRequests({ operation: 'getSuppliers', division: DIVISION })).map((r) => Number(r.query.page));
  const run = Array.from({ length: SUPPLIERS / PAGE }, (_, i) => i + 1);
  assert.deepEqual(pages, [...run, ...run], 'the second run read the suppliers only after the first had written them');

  // Every stored supplier is named by the key of its name, shared names included.
  const stored = await p.db.collection('md_suppliers').find({ tenantId }, { projection: { id: 1, nameNorm: 1 } }).toArray();
  assert.equal(stored.length, SUPPLIERS);
  const byName = new Map<string, string[]>();
  for (const s of stored) byName.set(s.nameNorm, [...(byName.get(s.nameNorm) ?? []), s.id]);
  assert.ok([...byName.values()].some((ids) => ids.length > 1), 'some suppliers share a name');
  for (const [name, ids] of byName) {
    const key = await p.db.collection<{ _id: string; ids: string[] }>('md_keys').findOne({ _id: `${tenantId}|suppliers|nameNorm|${name}` });
    for (const id of ids) assert.ok(key?.ids.includes(id), `supplier ${id} is in the key of its name "${name}"`);
  }
  // Both runs gave the leases back: nobody holds one now.
  for (const resource of ['suppliers', 'accounts']) assert.equal(await p.stores.leases.current(syncWriterLeaseKey(tenantId, resource)), null);
});

test('the writer lease: a second run waits until the first gives it back; an attempt taken over by a later one of its run stops before its next write', async () => {
  const tenantId = uniqueId('lease');
  const waits: (string | null)[] = [];
  const first = await SyncWriterLease.take(p.stores.leases, tenantId, 'suppliers', 'run-a', { onWait: () => assert.fail('free: no wait'), sleep: async () => {} });
  let released = false;
  const second = SyncWriterLease.take(p.stores.leases, tenantId, 'suppliers', 'run-b', {
    onWait: (holder) => waits.push(holder),
    sleep: async () => {
      if (waits.length === 3) {
        released = true;
        await first.release();
      }
    },
  });
  const b = await second;
  assert.equal(released, true, 'run b got the lease only after run a gave it back');
  assert.deepEqual(waits, ['run-a:suppliers', 'run-a:suppliers', 'run-a:suppliers']);
  await b.check();

  // Run b's worker stalls; Temporal starts b's next attempt, which takes the lease over at once.
  const retry = await SyncWriterLease.take(p.stores.leases, tenantId, 'suppliers', 'run-b', { onWait: () => assert.fail('own run: no wait'), sleep: async () => {} });
  await assert.rejects(b.check(), /another run took over writing/);
  await retry.check();
  await b.release(); // the stalled attempt's release does not free the retry's lease
  assert.equal((await p.stores.leases.current(syncWriterLeaseKey(tenantId, 'suppliers')))?.holder, 'run-b:suppliers');
  await retry.release();
  assert.equal(await p.stores.leases.current(syncWriterLeaseKey(tenantId, 'suppliers')), null);
});

test('the writer lease: giving it back never throws (it runs in a finally, where it must not replace the sync error); the lease then expires by itself', async () => {
  const lease = { key: 'sync-writer:t:suppliers', gen: 1, holder: 'run-c:suppliers', expiresAt: new Date(Date.now() + 60_000) };
  const failing = {
    acquire: async () => ({ acquired: true as const, lease }),
    release: async () => {
      throw new Error('database is locked');
    },
  } as unknown as import('../../src/store').LeaseStore;
  const held = await SyncWriterLease.take(failing, 't', 'suppliers', 'run-c', { onWait: () => assert.fail('free: no wait'), sleep: async () => {} });
  await held.release();
});
