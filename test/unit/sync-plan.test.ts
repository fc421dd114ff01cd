/**
 * How the kind of sync is chosen (src/domain/sync-plan.ts): the interval of full syncs adapts to
 * what a full sync costs and the day's budget; scheduled runs step down when the day runs low.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, callsOfRun, planSyncMode, syncResources, type SyncPlanInput } from '../../src/domain';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const base = (over: Partial<SyncPlanInput> = {}): SyncPlanInput => ({
  requested: 'auto',
  trigger: 'schedule',
  now: NOW,
  fullSyncEveryMs: 24 * H,
  lastFull: { startedAt: NOW - 25 * H, calls: 8 },
  lastSuccessAt: NOW - H,
  resources: 5,
  day: { limit: 5000, used: 100 },
  ...over,
});

test('the first sync is full; asked-for modes are honoured', () => {
  assert.equal(planSyncMode(base({ lastFull: null })).mode, 'full');
  assert.equal(planSyncMode(base({ requested: 'incremental' })).mode, 'incremental');
  assert.equal(planSyncMode(base({ requested: 'full', lastFull: { startedAt: NOW - H, calls: 8 } })).mode, 'full');
});

test('a small administration gets its daily full sync; a large one further apart', () => {
  const small = planSyncMode(base());
  assert.deepEqual([small.mode, small.fullSyncIntervalMs], ['full', 24 * H]);
  // 100,000 suppliers + 5,000 GL accounts: ~1,055 calls; 20 % of 5,000 a day → every 1.055 days.
  const large = planSyncMode(base({ lastFull: { startedAt: NOW - 25 * H, calls: 1055 } }));
  assert.equal(large.fullSyncIntervalMs, Math.ceil((1055 / 1000) * DAY_MS));
  assert.equal(large.mode, 'incremental', '25 hours is not yet 1.055 days');
  assert.equal(planSyncMode(base({ lastFull: { startedAt: NOW - 26 * H, calls: 1055 } })).mode, 'full');
  // With 50,000 calls a day (a larger Exact contract) the configured interval holds again.
  assert.equal(planSyncMode(base({ lastFull: { startedAt: NOW - 25 * H, calls: 1055 }, day: { limit: 50_000, used: 0 } })).fullSyncIntervalMs, 24 * H);
});

test('a scheduled run steps down when the day runs low; sync now does not', () => {
  const lastFull = { startedAt: NOW - 3 * DAY_MS, calls: 1055 };
  assert.equal(planSyncMode(base({ lastFull, day: { limit: 5000, used: 2000 } })).mode, 'full', '3,000 left: 1,055 fit above the 1,500 reserve');
  const low = planSyncMode(base({ lastFull, day: { limit: 5000, used: 3000 } }));
  assert.equal(low.mode, 'incremental');
  assert.match(low.reason, /2000 calls left/);
  const empty = planSyncMode(base({ lastFull, day: { limit: 5000, used: 3499 } }));
  assert.equal(empty.mode, 'skip');
  assert.equal(empty.estimatedCalls, 0);
  assert.equal(planSyncMode(base({ lastFull, trigger: 'manual', day: { limit: 5000, used: 4900 } })).mode, 'full', 'an admin asked: the governor paces it');
});

test("a run's calls are its resources' pages (kinds of one resource share them)", () => {
  assert.equal(syncResources.length, 6);
  // financial periods: two passThrough reads (periods and closed journals)
  const counts = { 'gl-accounts': { pages: 50 }, journals: { pages: 1 }, 'vat-codes': { pages: 1 }, suppliers: { pages: 1000 }, 'cost-centers': { pages: 2 }, 'cost-units': { pages: 2 }, 'financial-periods': { pages: 2 } };
  assert.equal(callsOfRun(counts), 1056);
});
