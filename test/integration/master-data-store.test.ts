/**
 * MasterDataStore's sync writer on the real database: a page writes only what changed (new
 * records inserted, changed ones replaced, unchanged ones not written: the database's write
 * commands are counted), a full sync deactivates what it did not see without rewriting the rest,
 * a record that comes back is active again, an attempt resumed after a crash knows what was seen
 * before it, and a digest that fell behind the records is caught up without rewriting them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, type Db } from 'mongodb';
import type { MasterDataRecord } from '../../src/domain';
import { MasterDataStore } from '../../src/store';
import { touchMasterData } from '../../src/store/master-data-sync';
import { testStack, uniqueId } from '../helpers/stack';

let client: MongoClient;
let db: Db;
let store: MasterDataStore;
/** Documents the database wrote (inserted, modified, upserted, deleted), by collection. */
const writes: { command: string; collection: string; n: number }[] = [];

before(async () => {
  client = new MongoClient(testStack().mongoUri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
  const collectionOf = new Map<number, string>();
  client.on('commandStarted', (e) => {
    if (['insert', 'update', 'delete'].includes(e.commandName)) collectionOf.set(e.requestId, String((e.command as Record<string, unknown>)[e.commandName]));
  });
  client.on('commandSucceeded', (e) => {
    const collection = collectionOf.get(e.requestId);
    if (collection === undefined) return;
    collectionOf.delete(e.requestId);
    const r = e.reply as { n?: number; nModified?: number; upserted?: unknown[] };
    const n = e.commandName === 'update' ? (r.nModified ?? 0) + (r.upserted?.length ?? 0) : (r.n ?? 0);
    writes.push({ command: e.commandName, collection, n });
  });
  client.on('commandFailed', (e) => collectionOf.delete(e.requestId));
  await client.connect();
  db = client.db(uniqueId('mdstore').replace(/-/g, '_'));
  store = new MasterDataStore(db);
  await store.ensureIndexes();
  await store.ensureIndexes(); // idempotent
});
after(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
});

const supplier = (i: number, name = `Leverancier ${i}`): MasterDataRecord => ({ id: `s-${i}`, code: String(10000 + i), name, active: true });
const page = (from: number, to: number, rename: (i: number) => string | undefined = () => undefined) => Array.from({ length: to - from }, (_, k) => supplier(from + k, rename(from + k)));

/** Records written to the suppliers collection by `fn` (inserted + replaced + updated). */
async function recordWrites(fn: () => Promise<unknown>): Promise<number> {
  writes.length = 0;
  await fn();
  return writes.filter((w) => w.collection === 'md_suppliers').reduce((a, w) => a + w.n, 0);
}

async function fullSync(tenant: string, runId: string, pages: MasterDataRecord[][]): Promise<{ written: number; unchanged: number; deactivated: number }> {
  const w = store.syncWriter('suppliers', tenant, runId, { full: true });
  await w.open();
  let written = 0;
  let unchanged = 0;
  for (const [i, p] of pages.entries()) {
    const r = await w.writePage(i + 1, p);
    written += r.written;
    unchanged += r.unchanged;
  }
  return { written, unchanged, deactivated: await w.close({ deactivateUnseen: true }) };
}

test('a first sync inserts; a full resync with nothing changed writes no record', { timeout: 120_000 }, async () => {
  const first = await fullSync('a', 'run-1', [page(0, 100), page(100, 150)]);
  assert.deepEqual(first, { written: 150, unchanged: 0, deactivated: 0 });
  await fullSync('b', 'run-1', [page(0, 10)]);
  const before = await store.all('suppliers', 'a');

  let again: Awaited<ReturnType<typeof fullSync>> | undefined;
  const n = await recordWrites(async () => (again = await fullSync('a', 'run-2', [page(0, 100), page(100, 150)])));
  assert.deepEqual(again, { written: 0, unchanged: 150, deactivated: 0 });
  assert.equal(n, 0, 'no write reached the suppliers collection');
  const after = await store.all('suppliers', 'a');
  assert.deepEqual(after.map((r) => [r.id, r.syncedAt.getTime(), r.lastSeenRunId]), before.map((r) => [r.id, r.syncedAt.getTime(), r.lastSeenRunId]));
});

test('changed records are written, and only they', { timeout: 120_000 }, async () => {
  const renamed = (i: number) => (i % 10 === 0 ? `Leverancier ${i} (gewijzigd)` : undefined);
  let r: Awaited<ReturnType<typeof fullSync>> | undefined;
  const n = await recordWrites(async () => (r = await fullSync('a', 'run-3', [page(0, 100, renamed), page(100, 150, renamed)])));
  assert.deepEqual(r, { written: 15, unchanged: 135, deactivated: 0 });
  assert.equal(n, 15, 'fifteen records written');
  const [one] = await store.findByCodes('suppliers', 'a', ['10010']);
  assert.equal(one.name, 'Leverancier 10 (gewijzigd)');
  assert.equal(one.lastSeenRunId, 'run-3');
  const [other] = await store.findByCodes('suppliers', 'a', ['10011']);
  assert.equal(other.lastSeenRunId, 'run-1', 'an unchanged record is not touched');
});

test('a full sync deactivates what it did not see, for its tenant only; a record that comes back is active', { timeout: 120_000 }, async () => {
  const renamed = (i: number) => (i % 10 === 0 ? `Leverancier ${i} (gewijzigd)` : undefined);
  let r: Awaited<ReturnType<typeof fullSync>> | undefined;
  const n = await recordWrites(async () => (r = await fullSync('a', 'run-4', [page(0, 20, renamed)])));
  assert.deepEqual(r, { written: 0, unchanged: 20, deactivated: 130 });
  assert.equal(n, 130, 'only the vanished records are written');
  assert.equal(await store.count('suppliers', 'a', { active: true }), 20);
  assert.equal(await store.count('suppliers', 'b', { active: true }), 10, 'tenant b untouched');
  const gone = (await store.findByCodes('suppliers', 'a', ['10140']))[0];
  assert.equal(gone.active, false);
  assert.ok(gone.removedFromSourceAt instanceof Date);

  // The next full sync does not deactivate them again; one of them comes back.
  const back = await fullSync('a', 'run-5', [[...page(0, 20, renamed), supplier(140)]]);
  assert.deepEqual(back, { written: 1, unchanged: 20, deactivated: 0 });
  const [returned] = await store.findByCodes('suppliers', 'a', ['10140']);
  assert.equal(returned.active, true);
  assert.equal(returned.removedFromSourceAt, null);
});

test('an incremental sync reads only the digest of what it gets and never deactivates', { timeout: 120_000 }, async () => {
  const w = store.syncWriter('suppliers', 'a', 'run-6', { full: false });
  await w.open();
  const r = await w.writePage(1, [supplier(3, 'Leverancier 3 B.V.'), supplier(4), supplier(500)]);
  assert.deepEqual(r, { written: 2, unchanged: 1 });
  assert.equal(await w.close({ deactivateUnseen: true }), 0);
  assert.equal(await store.count('suppliers', 'a', { active: true }), 22);
});

test('a resumed full sync knows the pages an earlier attempt saw', { timeout: 120_000 }, async () => {
  const all = [...page(0, 20), supplier(140), supplier(500), supplier(3, 'Leverancier 3 B.V.'), supplier(4)];
  const attempt1 = store.syncWriter('suppliers', 'a', 'run-7', { full: true });
  await attempt1.open();
  await attempt1.writePage(1, all.slice(0, 12));
  // The worker dies here; the retry resumes at page 2 with a new writer.
  const attempt2 = store.syncWriter('suppliers', 'a', 'run-7', { full: true });
  await attempt2.open();
  await attempt2.writePage(2, all.slice(12));
  assert.equal(await attempt2.close({ deactivateUnseen: true }), 0, 'nothing seen by attempt 1 is taken for vanished');
  await store.dropSeen('run-7');
  assert.equal(await db.collection('sync_seen').countDocuments({ runId: 'run-7' }), 0);
});

test('a digest that fell behind the records is caught up without rewriting unchanged records', { timeout: 120_000 }, async () => {
  await db.collection('md_digests').deleteMany({ tenantId: 'b' });
  let r: Awaited<ReturnType<typeof fullSync>> | undefined;
  const n = await recordWrites(async () => (r = await fullSync('b', 'run-8', [[...page(0, 9), supplier(9, 'Leverancier 9 (nieuw)')]])));
  assert.deepEqual(r, { written: 1, unchanged: 9, deactivated: 0 });
  assert.equal(n, 1);
  const list = await store.list('suppliers', 'b', { page: 1, limit: 5, search: 'nieuw' });
  assert.equal(list.total, 1);
});

test('a digest bucket in the earlier layout (one string per record) is read, and written anew in the compact one', { timeout: 120_000 }, async () => {
  const tenant = uniqueId('legacy');
  await fullSync(tenant, 'run-l1', [page(0, 40)]);
  const digests = db.collection<{ _id: string; tenantId: string; kind?: string; ids?: string[]; hashes?: { length(): number }; gone?: number[]; e?: string[] }>('md_digests');
  const stored = await digests.find({ tenantId: tenant }).toArray();
  assert.ok(stored.length > 1 && stored.every((d) => d.ids && d.hashes?.length() === d.ids.length * 12 && !d.e), 'compact layout: IDs and 12 hash bytes each');
  // Rewrite every bucket in the earlier layout, one record marked gone.
  const records = await store.all('suppliers', tenant);
  const hashOf = new Map(records.map((r) => [r.id, r.contentHash!]));
  for (const d of stored) {
    const e = d.ids!.map((id) => `${hashOf.get(id)}${id === 's-7' ? '!' : '+'}${id}`);
    await digests.replaceOne({ _id: d._id }, { tenantId: tenant, kind: 'suppliers', e });
  }
  // s-7 counts as gone: it is written again (active); everything else is unchanged; s-39 vanished.
  let r: Awaited<ReturnType<typeof fullSync>> | undefined;
  const n = await recordWrites(async () => (r = await fullSync(tenant, 'run-l2', [page(0, 39)])));
  assert.deepEqual(r, { written: 1, unchanged: 38, deactivated: 1 });
  assert.equal(n, 2);
  const after = await digests.find({ tenantId: tenant }).toArray();
  assert.ok(after.every((d) => d.ids && !d.e), 'every bucket rewritten in the compact layout');
  assert.equal(after.reduce((a, d) => a + d.ids!.length, 0), 40);
  const gone = after.flatMap((d) => (d.gone ?? []).map((i) => d.ids![i]));
  assert.deepEqual(gone, ['s-39']);
  // And the next full resync with nothing changed writes nothing.
  assert.equal(await recordWrites(() => fullSync(tenant, 'run-l3', [page(0, 39)])), 0);
});

test('lookups are cached per process until a sync changes the tenant\'s master data (one read of its version)', { timeout: 120_000 }, async () => {
  const tenant = uniqueId('cache');
  await fullSync(tenant, 'run-c1', [page(0, 5)]);
  const reads: string[] = [];
  const count = (e: { commandName: string; command: Record<string, unknown> }) => e.commandName === 'find' && reads.push(String(e.command.find));
  client.on('commandStarted', count);
  try {
    const first = await store.reader(tenant);
    assert.equal((await first.findByCodes('suppliers', ['10001']))[0].name, 'Leverancier 1');
    reads.length = 0;
    const second = await store.reader(tenant);
    assert.equal((await second.findByCodes('suppliers', ['10001']))[0].name, 'Leverancier 1');
    assert.deepEqual(reads, ['md_versions'], 'answered from the cache after reading the version');

    // A sync that changes a record changes the version: the next reader reads again and sees it.
    await fullSync(tenant, 'run-c2', [page(0, 5, (i) => (i === 1 ? 'Leverancier 1 (nieuw)' : undefined))]);
    reads.length = 0;
    const third = await store.reader(tenant);
    assert.equal((await third.findByCodes('suppliers', ['10001']))[0].name, 'Leverancier 1 (nieuw)');
    assert.deepEqual(reads, ['md_versions', 'md_keys', 'md_suppliers'], 'the code\'s key, then the record');
    // A full sync that changes nothing leaves the cache valid; one that deactivates invalidates it.
    await fullSync(tenant, 'run-c3', [page(0, 5, (i) => (i === 1 ? 'Leverancier 1 (nieuw)' : undefined))]);
    reads.length = 0;
    await (await store.reader(tenant)).findByCodes('suppliers', ['10001']);
    assert.deepEqual(reads, ['md_versions']);
    await fullSync(tenant, 'run-c4', [page(2, 5)]);
    const [gone] = await (await store.reader(tenant)).findByCodes('suppliers', ['10001']);
    assert.equal(gone.active, false, 'the deactivation is seen');
    // A tenant whose data is dropped (division change) is read anew too.
    await store.forgetTenant(tenant);
    assert.deepEqual(await (await store.reader(tenant)).findByCodes('suppliers', ['10003']), []);
  } finally {
    client.off('commandStarted', count);
  }
});

const vatSupplier = (i: number, name = `Leverancier ${i}`): MasterDataRecord => ({ ...supplier(i, name), nameNorm: name.toLowerCase(), vatNumberNorm: `NL${String(i).padStart(9, '0')}B01` });

/** Runs `fn` and returns the filters of the `find` commands it sent to `collection`. */
async function findFilters(collection: string, fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const filters: Record<string, unknown>[] = [];
  const listen = (e: { commandName: string; command: Record<string, unknown> }) => {
    if (e.commandName === 'find' && e.command.find === collection) filters.push(e.command.filter as Record<string, unknown>);
  };
  client.on('commandStarted', listen);
  try {
    await fn();
  } finally {
    client.off('commandStarted', listen);
  }
  return filters;
}

test('lookups by code, VAT number and name read records by _id once a full sync wrote their keys; a stale key is dropped', { timeout: 120_000 }, async () => {
  const tenant = uniqueId('keys');
  // Two suppliers share a name, on different pages: the second adds itself to the first's key.
  await fullSync(tenant, 'run-k1', [[...Array.from({ length: 30 }, (_, i) => vatSupplier(i)), vatSupplier(30, 'Zelfde Naam')], [vatSupplier(31, 'Zelfde Naam')]]);
  const fresh = new MasterDataStore(db); // another process: nothing cached
  let byCode: Awaited<ReturnType<MasterDataStore['findByCodes']>> = [];
  let byMerchant: Awaited<ReturnType<MasterDataStore['findSupplierCandidates']>> = [];
  const filters = await findFilters('md_suppliers', async () => {
    byCode = await fresh.findByCodes('suppliers', tenant, ['10007', '10012', '99999']);
    byMerchant = await fresh.findSupplierCandidates(tenant, { vatNumbersNorm: ['NL000000003B01'], namesNorm: ['zelfde naam', 'onbekend'] });
  });
  assert.deepEqual(byCode.map((r) => r.id).sort(), ['s-12', 's-7']);
  assert.deepEqual(byMerchant.map((r) => r.id).sort(), ['s-3', 's-30', 's-31'], 'one by VAT number, two sharing a name');
  assert.ok(filters.length > 0 && filters.every((f) => Object.keys(f).join() === '_id' && typeof f._id === 'string'), `every read of the suppliers is by _id: ${JSON.stringify(filters)}`);

  // Renamed in Exact: the old name's key still names it, but the record no longer matches.
  await fullSync(tenant, 'run-k2', [[...Array.from({ length: 30 }, (_, i) => vatSupplier(i)), vatSupplier(30, 'Nieuwe Naam'), vatSupplier(31, 'Zelfde Naam')]]);
  assert.deepEqual((await fresh.findSupplierCandidates(tenant, { vatNumbersNorm: [], namesNorm: ['zelfde naam'] })).map((r) => r.id), ['s-31']);
  assert.deepEqual((await fresh.findSupplierCandidates(tenant, { vatNumbersNorm: [], namesNorm: ['nieuwe naam'] })).map((r) => r.id), ['s-30']);
  // A supplier gone from Exact is still found by its code (deactivated, so validation can say so).
  await fullSync(tenant, 'run-k3', [Array.from({ length: 30 }, (_, i) => vatSupplier(i))]);
  const [gone] = await fresh.findByCodes('suppliers', tenant, ['10031']);
  assert.equal(gone?.active, false);
});

test('records stored before keys existed are found by reading the collection, and get their keys at the next full sync', { timeout: 120_000 }, async () => {
  const tenant = uniqueId('backfill');
  await fullSync(tenant, 'run-b1', [Array.from({ length: 20 }, (_, i) => vatSupplier(i))]);
  await db.collection('md_keys').deleteMany({ tenantId: tenant }); // as a database from before keys

  const before = new MasterDataStore(db);
  const scanned = await findFilters('md_suppliers', async () => assert.deepEqual((await before.findByCodes('suppliers', tenant, ['10005'])).map((r) => r.id), ['s-5']));
  assert.deepEqual(scanned, [{ tenantId: tenant, code: { $in: ['10005'] } }], 'no keys yet: the collection is read');

  const r = await fullSync(tenant, 'run-b2', [Array.from({ length: 20 }, (_, i) => vatSupplier(i))]);
  assert.deepEqual(r, { written: 0, unchanged: 20, deactivated: 0 }, 'the backfill writes keys, not records');
  const after = new MasterDataStore(db);
  let found: Awaited<ReturnType<MasterDataStore['findSupplierCandidates']>> = [];
  const keyed = await findFilters('md_suppliers', async () => (found = await after.findSupplierCandidates(tenant, { vatNumbersNorm: ['NL000000011B01'], namesNorm: [] })));
  assert.deepEqual(found.map((x) => x.id), ['s-11']);
  assert.ok(keyed.every((f) => Object.keys(f).join() === '_id'), JSON.stringify(keyed));

  // A division change drops the keys with the records.
  await after.forgetTenant(tenant);
  assert.equal(await db.collection('md_keys').countDocuments({ tenantId: tenant }), 0);
});

test('the first syncs of a tenant, running in parallel, all record their change (no lost race on the version)', { timeout: 120_000 }, async () => {
  // Each resource's first page touches the tenant's version document, which does not exist yet:
  // on FerretDB concurrent upserts of a new `_id` fail all but one unless the loser writes again.
  for (let round = 0; round < 5; round++) {
    const tenant = uniqueId('race');
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => touchMasterData(db.collection('md_versions'), tenant)));
    assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
    assert.equal(await db.collection('md_versions').countDocuments({ _id: tenant as never }), 1);
  }
});
