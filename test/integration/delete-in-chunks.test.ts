/**
 * deleteInChunks against the test stack's database: more documents than one SQLite statement may
 * name (32,766) go, and only those matching. A single `deleteMany` of them fails on the embedded
 * FerretDB ("too many SQL variables"), which is what forgetting a large tenant ran into.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { deleteInChunks } from '../../src/store/mongo';
import { testStack, uniqueId } from '../helpers/stack';

test('more documents than one statement can name are deleted, and only the matching ones', { timeout: 300_000 }, async () => {
  const client = await MongoClient.connect(testStack().mongoUri, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db(uniqueId('chunks').replace(/-/g, '_'));
  try {
    const col = db.collection<{ _id: string; tenantId: string }>('items');
    const N = 33_000;
    for (let i = 0; i < N; i += 5_000) await col.insertMany(Array.from({ length: Math.min(5_000, N - i) }, (_, k) => ({ _id: `a:${i + k}`, tenantId: 'a' })));
    await col.insertMany(Array.from({ length: 5 }, (_, k) => ({ _id: `b:${k}`, tenantId: 'b' })));
    assert.equal(await deleteInChunks(col, { tenantId: 'a' }), N);
    assert.equal(await col.countDocuments({ tenantId: 'a' }), 0);
    assert.equal(await col.countDocuments({ tenantId: 'b' }), 5, 'the other tenant keeps its documents');
    assert.equal(await deleteInChunks(col, { tenantId: 'a' }), 0, 'nothing left to delete');
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
});
