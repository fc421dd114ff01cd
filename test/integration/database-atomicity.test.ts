/**
 * What the database under the stores guarantees when callers race, measured on the real one.
 *
 * The embedded FerretDB 1.x applies every update as read, change in its own process, write the
 * whole document back by `_id` (no check that it is unchanged): concurrent updates of one document
 * lose one another, a conditional update can match a document another update is changing, and
 * `modifiedCount` counts what was written, not what held; an upsert of a new `_id` can fail with a
 * duplicate key error when another caller inserted it first. The one write that is exclusive on it
 * (and on MongoDB) is inserting a document whose `_id` exists: exactly one inserter wins. Every
 * "exactly once" and every lease in src/store is therefore built on unique inserts (see
 * test/integration/store-concurrency.test.ts); these tests pin down the behaviour that forces it,
 * and fail on a FerretDB that fixed it (then conditional updates could be used again).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from 'mongodb';
import { isDuplicateKeyError } from '../../src/store/mongo';
import { testDb } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
let db: Db;
let ferret: boolean;

before(async () => {
  mongo = await testDb('atomicity');
  db = mongo.db;
  const info = await db.admin().command({ buildInfo: 1 });
  ferret = typeof info.ferretdbVersion === 'string';
});
after(async () => {
  await mongo?.dispose();
});

const CALLERS = 200;
const all = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

test('inserting one _id from many callers at once: exactly one wins, the others get a duplicate key error', { timeout: 120_000 }, async () => {
  const col = db.collection<{ _id: string; by: number }>('claims');
  const outcomes = await all(CALLERS, async (i) => {
    try {
      await col.insertOne({ _id: 'claim-1', by: i });
      return 'won';
    } catch (err) {
      if (isDuplicateKeyError(err)) return 'duplicate';
      throw err;
    }
  });
  assert.equal(outcomes.filter((o) => o === 'won').length, 1);
  assert.equal(outcomes.filter((o) => o === 'duplicate').length, CALLERS - 1);
  assert.equal(await col.countDocuments({ _id: 'claim-1' }), 1);
});

test('$inc of one document from many callers at once: MongoDB counts every one, FerretDB loses most', { timeout: 120_000 }, async (t) => {
  const col = db.collection<{ _id: string; n: number }>('counters');
  await col.insertOne({ _id: 'c', n: 0 });
  await all(CALLERS, () => col.updateOne({ _id: 'c' }, { $inc: { n: 1 } }));
  const { n } = (await col.findOne({ _id: 'c' }))!;
  t.diagnostic(`${CALLERS} increments, counted ${n}`);
  if (ferret) assert.ok(n < CALLERS, `FerretDB counted ${n} of ${CALLERS} increments: if it counts all now, updates may have become atomic`);
  else assert.equal(n, CALLERS);
});

test('a capped conditional update from many callers at once: FerretDB reports more changes than the cap allows', { timeout: 120_000 }, async (t) => {
  const col = db.collection<{ _id: string; n: number }>('capped');
  const cap = 50;
  await col.insertOne({ _id: 'c', n: 0 });
  const results = await all(CALLERS, () => col.updateOne({ _id: 'c', n: { $lt: cap } }, { $inc: { n: 1 } }));
  const reported = results.reduce((s, r) => s + r.modifiedCount, 0);
  const { n } = (await col.findOne({ _id: 'c' }))!;
  t.diagnostic(`cap ${cap}: ${reported} reported modified, value ${n}`);
  if (ferret) {
    // Either more callers than the cap were told they got through, or the count lost some of them.
    assert.ok(reported > cap || n !== reported, `FerretDB: ${reported} reported modified, value ${n}`);
  } else {
    assert.equal(reported, cap);
    assert.equal(n, cap);
  }
});

test('updates of different fields of one document at once: FerretDB writes the whole document back, so one undoes the other', { timeout: 120_000 }, async (t) => {
  const col = db.collection<{ _id: string; [k: string]: unknown }>('fields');
  const docs = 40;
  await col.insertMany(Array.from({ length: docs }, (_, i) => ({ _id: `d${i}`, secret: 'key' })));
  // Per document: one caller removes `secret`, another sets an unrelated field, at the same time.
  await all(docs, async (i) => {
    await Promise.all([col.updateOne({ _id: `d${i}` }, { $unset: { secret: '' } }), col.updateOne({ _id: `d${i}` }, { $set: { health: 'ok' } })]);
  });
  const after = await col.find({}).toArray();
  const resurrected = after.filter((d) => d.secret !== undefined).length;
  const lostHealth = after.filter((d) => d.health === undefined).length;
  t.diagnostic(`${docs} documents: removed field back on ${resurrected}, other field lost on ${lostHealth}`);
  if (ferret) assert.ok(resurrected + lostHealth > 0, 'FerretDB kept both updates of every document: updates may have become atomic');
  else assert.equal(resurrected + lostHealth, 0);
});

test('upserts of a new _id from several callers at once: FerretDB fails some with a duplicate key error', { timeout: 120_000 }, async (t) => {
  const col = db.collection<{ _id: string; n?: number; at?: Date }>('upserts');
  const docs = 40;
  const perDoc = 10;
  const outcomes = (
    await all(docs, (d) =>
      all(perDoc, async () => {
        try {
          await col.updateOne({ _id: `u${d}` }, { $set: { at: new Date() }, $setOnInsert: { n: 0 } }, { upsert: true });
          return 'ok';
        } catch (err) {
          if (isDuplicateKeyError(err)) return 'duplicate';
          throw err;
        }
      }),
    )
  ).flat();
  const duplicates = outcomes.filter((o) => o === 'duplicate').length;
  t.diagnostic(`${docs} new documents upserted by ${perDoc} callers each: ${duplicates} of ${outcomes.length} upserts failed with a duplicate key error`);
  assert.equal(await col.countDocuments({}), docs);
  // MongoDB retries such an upsert itself; FerretDB inserts after a read that found nothing.
  if (ferret) assert.ok(duplicates > 0, 'FerretDB answered every concurrent upsert: upserts may have become atomic');
  else assert.equal(duplicates, 0);
});
