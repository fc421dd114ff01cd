/**
 * CallBudgetStore on the real database: two stores on one database stand for two worker
 * processes. A minute never gets more bookings than its limit however many calls race for it
 * (FerretDB loses concurrent updates of one document, so the store books by unique inserts),
 * exports book the following minutes in order, what Exact's headers say is learned and shared,
 * a Retry-After blocks every process, and a restarted process picks up where the others are.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, MINUTE_MS } from '../../src/domain';
import { CallBudgetStore, type CallReservation } from '../../src/store';
import { testDb } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
let now = 0;
const clock = () => now;
const T0 = Date.UTC(2026, 10, 30, 9, 15, 0);
let a: CallBudgetStore;
let b: CallBudgetStore;

before(async () => {
  mongo = await testDb('callbudget');
  a = new CallBudgetStore(mongo.db, { perMinute: 60, perDay: 5000 }, undefined, clock);
  b = new CallBudgetStore(mongo.db, { perMinute: 60, perDay: 5000 }, undefined, clock);
  await a.ensureIndexes();
});
after(async () => {
  await mongo?.dispose();
});

const granted = (rs: CallReservation[]) => rs.filter((r): r is Extract<CallReservation, { granted: true }> => r.granted);

test('two processes racing for one minute never book more than its limit', { timeout: 120_000 }, async () => {
  now = T0 + 5_000;
  const rs = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).reserve('div-race', 'export', 0)));
  assert.equal(granted(rs).length, 60, 'exactly the minute limit, no more');
  assert.ok(granted(rs).every((r) => r.sendAt === now));
  assert.ok(rs.filter((r) => !r.granted).every((r) => !r.granted && r.retryAt >= T0 + MINUTE_MS), 'the rest is told to come back next minute');
  assert.equal(await mongo.db.collection('call_slots').countDocuments({ d: 'div-race' }), 60);
});

test('exports book the next minutes in order, both processes together', { timeout: 120_000 }, async () => {
  now = T0 + 10_000;
  const rs = await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 3 ? a : b).reserve('div-ahead', 'export', 3 * MINUTE_MS)));
  const g = granted(rs);
  assert.equal(g.length, 150);
  const perMinute = new Map<number, number>();
  for (const r of g) perMinute.set(Math.floor(r.sendAt / MINUTE_MS), (perMinute.get(Math.floor(r.sendAt / MINUTE_MS)) ?? 0) + 1);
  assert.deepEqual([...perMinute.values()].sort((x, y) => y - x), [60, 60, 30]);
  // A sync in the first minute after the booked ones finds the minute full, and exports waiting.
  const sync = await a.reserve('div-ahead', 'scheduled', 0);
  assert.equal(sync.granted, false);
});

test('learned limits, a Retry-After and the day count are shared; a restart keeps them', { timeout: 120_000 }, async () => {
  now = T0 + 2 * MINUTE_MS + 1_000;
  const current = T0 + 2 * MINUTE_MS;
  await a.observe('div-learn', {
    at: now,
    status: 200,
    minute: { limit: 100, remaining: 99, resetAt: current + MINUTE_MS },
    day: { limit: 10_000, remaining: 9_000, resetAt: T0 - (T0 % DAY_MS) + DAY_MS },
  });
  b.forget(); // b restarts: it knows only what is stored
  const rs = await Promise.all(Array.from({ length: 120 }, () => b.reserve('div-learn', 'export', 0)));
  assert.equal(granted(rs).length, 99, 'the learned limit of 100, less the call Exact already counted (learned by the other process)');
  const view = await a.view('div-learn');
  assert.equal(view.minute.limit, 100);
  assert.equal(view.day.limit, 10_000);
  assert.ok(view.day.used >= 1_000, `the day's count Exact reported (${view.day.used})`);

  now = T0 + 4 * MINUTE_MS;
  await a.observe('div-learn', { at: now, status: 429, retryAfterMs: 30_000 });
  now += 1_500; // b reads the division again after its copy expired
  const blocked = await b.reserve('div-learn', 'sync-now', 0);
  assert.deepEqual(blocked, { granted: false, retryAt: T0 + 4 * MINUTE_MS + 30_000, reason: 'blocked' });
  const exp = await b.reserve('div-learn', 'export', 2 * MINUTE_MS);
  // Exact refused in this minute, so it is full: the export goes to the next minute, after the block.
  assert.ok(exp.granted && exp.sendAt >= T0 + 5 * MINUTE_MS, `an export is booked after the block (${JSON.stringify(exp)})`);
  assert.equal((await a.view('div-learn')).blockedUntil, T0 + 4 * MINUTE_MS + 30_000);
});

test('syncs get a capped share of a minute, also across processes', { timeout: 120_000 }, async () => {
  now = T0 + 10 * MINUTE_MS + 1_000;
  const rs = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).reserve('div-sync', 'scheduled', 0)));
  assert.equal(granted(rs).length, 42, 'scheduled syncs leave 30 % of the minute');
  const exports = await Promise.all(Array.from({ length: 30 }, () => a.reserve('div-sync', 'export', 0)));
  assert.equal(granted(exports).length, 18, 'exports get the rest');
});

test('a burst in one process is booked in a few inserts, exports ahead of syncs that asked first', { timeout: 120_000 }, async () => {
  const watched = await testDb('callbudget_batch', undefined, { monitorCommands: true });
  try {
    const inserts: number[] = [];
    watched.client.on('commandStarted', (e) => {
      if (e.commandName === 'insert' && e.command.insert === 'call_slots') inserts.push((e.command.documents as unknown[]).length);
    });
    const store = new CallBudgetStore(watched.db, { perMinute: 60, perDay: 5000 }, undefined, clock);
    now = T0 + 20 * MINUTE_MS + 1_000;
    const syncs = Array.from({ length: 40 }, () => store.reserve('div-batch', 'scheduled', 0));
    const exports = Array.from({ length: 50 }, () => store.reserve('div-batch', 'export', 0));
    const [s, e] = [await Promise.all(syncs), await Promise.all(exports)];
    // The first sync went alone (nothing else was waiting); the 89 requests behind it form one
    // batch, exports first. In arrival order the syncs would have taken 42 slots, leaving 18.
    assert.equal(granted(e).length, 50, 'every export of the burst gets the minute');
    assert.equal(granted(s).length, 1, 'after 51 calls the minute is past the 70 % that scheduled syncs may use');
    assert.ok(inserts.length <= 3, `booked in ${inserts.length} inserts (${inserts.join(', ')} slots), not one per call`);
    assert.equal(await watched.db.collection('call_slots').countDocuments({ d: 'div-batch', _id: /\|n\d+$/ }), 51, 'one slot per granted call');
  } finally {
    await watched.dispose();
  }
});

test('a process that books late learns every minute it considers: none gets more than its limit', { timeout: 120_000 }, async () => {
  now = T0 + 30 * MINUTE_MS + 1_000;
  const first = T0 + 30 * MINUTE_MS;
  const early = new CallBudgetStore(mongo.db, { perMinute: 60, perDay: 5000 }, undefined, clock);
  const late = new CallBudgetStore(mongo.db, { perMinute: 60, perDay: 5000 }, undefined, clock);
  assert.equal(granted(await Promise.all(Array.from({ length: 130 }, () => early.reserve('div-late', 'export', 3 * MINUTE_MS)))).length, 130);
  // The late process knows none of the three minutes: the first two are full, the third has room.
  const r = await late.reserve('div-late', 'export', 3 * MINUTE_MS);
  assert.ok(r.granted && r.sendAt >= first + 2 * MINUTE_MS, 'booked in the third minute');
  for (const [i, expected] of [60, 60, 11].entries()) {
    assert.equal(await mongo.db.collection('call_slots').countDocuments({ d: 'div-late', w: first + i * MINUTE_MS }), expected, `minute ${i + 1}`);
  }
});
