/**
 * The embedded database finds a document by `_id` through its unique index, also when the filter
 * has more conditions (a compare-and-set: `{_id, status}`). Stock FerretDB 1.24.2 on SQLite
 * scanned the whole collection for both; scripts/tools.sh builds it with two one-line patches.
 * `explain` shows SQLite's plan, so this checks the plan, not a time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testDb } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
let ferret = false;

before(async () => {
  mongo = await testDb('idlookup');
  const build = await mongo.db.admin().command({ buildInfo: 1 });
  ferret = Boolean(build.ferretdbVersion ?? build.ferretdb);
  await mongo.db.collection<{ _id: string; status: string }>('docs').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `d${i}`, status: i % 2 ? 'a' : 'b' })));
});
after(async () => {
  await mongo?.dispose();
});

async function plan(filter: Record<string, unknown>): Promise<{ pushdown: unknown; plan: string }> {
  const r = await mongo.db.command({ explain: { find: 'docs', filter }, verbosity: 'queryPlanner' });
  return { pushdown: r.filterPushdown, plan: JSON.stringify(r.queryPlanner) };
}

test('a lookup by `_id` alone, and with more conditions, searches the `_id` index', async (t) => {
  if (!ferret) return t.skip('the test database is not FerretDB');
  for (const filter of [{ _id: 'd7' }, { _id: 'd7', status: 'a' }, { status: 'a', _id: 'd7' }]) {
    const p = await plan(filter);
    assert.equal(p.pushdown, true, `${JSON.stringify(filter)}: narrowed in SQL`);
    assert.match(p.plan, /SEARCH .*USING INDEX/, `${JSON.stringify(filter)}: ${p.plan}`);
  }
  const scan = await plan({ status: 'a' });
  assert.match(scan.plan, /SCAN/, 'without `_id` it still reads the table (so the check above can fail)');
});

test('the extra conditions still decide: a compare-and-set on `_id` matches only when they hold', async () => {
  const docs = mongo.db.collection<{ _id: string; status: string }>('docs');
  assert.equal((await docs.updateOne({ _id: 'd3', status: 'b' }, { $set: { status: 'c' } })).matchedCount, 0);
  assert.equal((await docs.updateOne({ _id: 'd3', status: 'a' }, { $set: { status: 'c' } })).matchedCount, 1);
  assert.equal((await docs.findOneAndUpdate({ _id: 'd3', status: 'a' }, { $set: { status: 'x' } })), null);
  assert.equal((await docs.findOne({ _id: 'd3', status: 'c' }))?._id, 'd3');
  assert.equal(await docs.countDocuments({ _id: 'd4', status: 'a' }), 0);
  assert.equal((await docs.deleteOne({ _id: 'd5', status: 'b' })).deletedCount, 0);
  assert.equal((await docs.deleteOne({ _id: 'd5', status: 'a' })).deletedCount, 1);
});
