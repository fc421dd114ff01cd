/**
 * The call governor's rules (src/domain/call-budget.ts): windows, booking ahead, priorities,
 * the day's reserves, learning from X-RateLimit-* headers and Retry-After.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  DEFAULT_CALL_BUDGET_POLICY,
  MINUTE_MS,
  callBudgetView,
  initialCallBudgetState,
  observationUpdate,
  planCall,
  windowKey,
  type CallBooking,
  type CallBudgetState,
  type CallPlan,
} from '../../src/domain';

const T0 = Date.UTC(2026, 10, 30, 9, 15, 0); // a whole minute
const at = (s: number) => T0 + s * 1000;
const fresh = (over: Partial<CallBudgetState> = {}): CallBudgetState => ({ ...initialCallBudgetState({ perMinute: 60, perDay: 5000 }, T0), ...over });

/** Applies a booking as the store does (count + 1, sync count + 1, day + 1, markers). */
function apply(s: CallBudgetState, p: CallPlan): CallBudgetState {
  if (p.kind !== 'book') return s;
  const w = s.windows[p.key] ?? { n: 0, lo: 0 };
  return {
    ...s,
    windows: { ...s.windows, [p.key]: { n: w.n + 1, lo: (w.lo ?? 0) + (p.syncCap !== null ? 1 : 0) } },
    dayUsed: s.dayUsed + 1,
    exportBacklogUntil: Math.max(s.exportBacklogUntil, p.backlogUntil ?? 0),
    syncNowUntil: Math.max(s.syncNowUntil, p.syncNowUntil ?? 0),
  };
}

function book(s: CallBudgetState, p: CallPlan): CallBooking {
  assert.equal(p.kind, 'book', `expected a booking, got ${JSON.stringify(p)}`);
  return p as CallBooking;
}

test('an export takes the current minute until its limit, then books the next minutes in order', () => {
  let s = fresh();
  const sendAts: number[] = [];
  for (let i = 0; i < 150; i++) {
    const p = book(s, planCall(s, 'export', at(5), 5 * MINUTE_MS));
    sendAts.push(p.sendAt);
    s = apply(s, p);
  }
  assert.equal(s.windows[windowKey(T0)].n, 60, 'the current minute is used up to its limit');
  assert.equal(s.windows[windowKey(T0 + MINUTE_MS)].n, 60);
  assert.equal(s.windows[windowKey(T0 + 2 * MINUTE_MS)].n, 30);
  assert.deepEqual(sendAts.slice(0, 60), Array(60).fill(at(5)), 'the first 60 go now');
  assert.equal(sendAts[60], T0 + MINUTE_MS + DEFAULT_CALL_BUDGET_POLICY.guardMs, 'the 61st waits for the next minute (plus the clock guard)');
  assert.ok(sendAts.every((t, i) => i === 0 || t >= sendAts[i - 1]), 'first come, first served');
  assert.equal(s.exportBacklogUntil, T0 + 2 * MINUTE_MS, 'exports are known to wait');
});

test('an export that cannot be booked within its horizon is told when to come back', () => {
  let s = fresh();
  for (let i = 0; i < 120; i++) s = apply(s, planCall(s, 'export', at(10), 90_000));
  const p = planCall(s, 'export', at(10), 90_000);
  assert.equal(p.kind, 'wait');
  // Minutes 0 and 1 are full; minute 2 opens at T0+120s, reachable with a 90 s horizon from T0+30s.
  assert.equal(p.kind === 'wait' && p.retryAt, T0 + 2 * MINUTE_MS + DEFAULT_CALL_BUDGET_POLICY.guardMs - 90_000);
  assert.equal(p.kind === 'wait' && p.backlogUntil, T0 + 2 * MINUTE_MS);
});

test('syncs leave part of the minute to exports: sync-now 10 %, scheduled 30 %', () => {
  let s = fresh();
  let n = 0;
  while (planCall(s, 'scheduled', at(1), 0).kind === 'book') {
    s = apply(s, planCall(s, 'scheduled', at(1), 0));
    n++;
  }
  assert.equal(n, 42, 'scheduled syncs stop at 70 % of 60');
  const waited = planCall(s, 'scheduled', at(1), 0);
  assert.deepEqual([waited.kind, waited.kind === 'wait' && waited.retryAt], ['wait', T0 + MINUTE_MS + DEFAULT_CALL_BUDGET_POLICY.guardMs]);
  while (planCall(s, 'sync-now', at(2), 0).kind === 'book') {
    s = apply(s, planCall(s, 'sync-now', at(2), 0));
    n++;
  }
  assert.equal(n, 54, 'sync now goes on to 90 %');
  for (let i = 0; i < 6; i++) s = apply(s, book(s, planCall(s, 'export', at(3), 0)));
  assert.equal(s.windows[windowKey(T0)].n, 60, 'exports use the rest');
  assert.equal(planCall(s, 'export', at(3), 0).kind, 'wait', 'nothing beyond the limit, and no horizon to book ahead');
});

test('while exports wait, syncs get only a trickle; a "sync now" holds scheduled syncs back', () => {
  // 150 exports at once with a 90 s horizon: 120 booked (this minute and the next), 30 told to come back.
  let s = fresh();
  for (let i = 0; i < 150; i++) {
    const p = planCall(s, 'export', at(0), 90_000);
    s = p.kind === 'book' ? apply(s, p) : { ...s, exportBacklogUntil: Math.max(s.exportBacklogUntil, p.backlogUntil ?? 0) };
  }
  assert.equal(s.exportBacklogUntil, T0 + 2 * MINUTE_MS);
  // In the next minute (its 60 booked calls went out at its start) exports still wait: syncs get 5 % (3).
  const next = T0 + MINUTE_MS;
  s = { ...s, windows: { ...s.windows, [windowKey(next)]: { n: 40 } } };
  let syncs = 0;
  for (let i = 0; i < 20; i++) {
    const p = planCall(s, 'sync-now', next + 1000, 0);
    if (p.kind === 'wait') break;
    s = apply(s, p);
    syncs++;
  }
  assert.equal(syncs, 3);
  const waited = planCall(s, 'scheduled', next + 1000, 0);
  assert.equal(waited.kind === 'wait' && waited.reason, 'yield');

  // No exports waiting, but a "sync now" ran a moment ago: scheduled syncs get the trickle too.
  let t = fresh();
  t = apply(t, book(t, planCall(t, 'sync-now', at(1), 0)));
  assert.ok(t.syncNowUntil > at(1));
  let scheduled = 0;
  while (planCall(t, 'scheduled', at(2), 0).kind === 'book') {
    t = apply(t, planCall(t, 'scheduled', at(2), 0));
    scheduled++;
  }
  assert.equal(scheduled, 2, 'syncs together get 3 calls of the minute while the sync-now hold lasts (1 was the sync now)');
  assert.equal(planCall(t, 'scheduled', t.syncNowUntil + MINUTE_MS, 0).kind, 'book', 'and all of a later minute once it ended');
});

test("the day's budget: scheduled syncs stop at 70 %, sync now at 90 %, exports go to the end", () => {
  const s = fresh({ dayUsed: 3500 });
  assert.deepEqual(
    (['scheduled', 'sync-now', 'export'] as const).map((p) => planCall(s, p, at(1), 0).kind),
    ['wait', 'book', 'book'],
  );
  const late = fresh({ dayUsed: 4500 });
  const w = planCall(late, 'sync-now', at(1), 0);
  assert.equal(w.kind === 'wait' && w.reason, 'day');
  assert.equal(w.kind === 'wait' && w.retryAt, T0 - (T0 % DAY_MS) + DAY_MS + DEFAULT_CALL_BUDGET_POLICY.guardMs, 'until the UTC day resets');
  assert.equal(planCall(fresh({ dayUsed: 4999 }), 'export', at(1), 0).kind, 'book');
  assert.equal(planCall(fresh({ dayUsed: 5000 }), 'export', at(1), 0).kind, 'wait');
  // Yesterday's count does not hold today.
  assert.equal(planCall(fresh({ dayUsed: 5000, dayStart: T0 - (T0 % DAY_MS) - DAY_MS }), 'scheduled', at(1), 0).kind, 'book');
});

test('learning from X-RateLimit-* headers: limits, the window phase, the counts Exact reports', () => {
  const minuteReset = T0 + MINUTE_MS; // Exact sends the next whole minute, in epoch ms
  const dayReset = T0 - (T0 % DAY_MS) + DAY_MS;
  const u = observationUpdate(
    { at: at(20), status: 200, minute: { limit: 100, remaining: 58, resetAt: minuteReset }, day: { limit: 10_000, remaining: 9_700, resetAt: dayReset } },
    fresh(),
  );
  assert.deepEqual(u.set, { minuteLimit: 100, dayLimit: 10_000, minutePhaseMs: 0 });
  assert.deepEqual(u.windowCounts, { [windowKey(T0)]: 42 });
  assert.deepEqual(u.day, { start: dayReset - DAY_MS, used: 300 });
  assert.equal(u.blockedUntil, null);
  // A window that is not a calendar minute is learned from its reset time.
  assert.equal(observationUpdate({ at: at(1), status: 200, minute: { limit: 60, remaining: 1, resetAt: T0 + 17_000 } }, fresh()).set.minutePhaseMs, 17_000);
  // With a learned limit of 100 an export gets 100 calls of the minute.
  let s = fresh({ minuteLimit: 100 });
  for (let i = 0; i < 100; i++) s = apply(s, book(s, planCall(s, 'export', at(30), 0)));
  assert.equal(planCall(s, 'export', at(30), 0).kind, 'wait');
});

test('Retry-After blocks the division: nothing is booked before it ends', () => {
  const u = observationUpdate({ at: at(10), status: 429, retryAfterMs: 50_000 }, fresh());
  assert.equal(u.blockedUntil, at(60));
  assert.equal(u.windowCounts[windowKey(T0)], 60, 'a 429 without headers marks the minute full');
  const s = fresh({ blockedUntil: at(60) + 500 });
  const p = book(s, planCall(s, 'export', at(11), 5 * MINUTE_MS));
  assert.equal(p.sendAt, at(60) + 500, 'an export is booked for when the block ends');
  const sync = planCall(s, 'scheduled', at(11), 0);
  assert.deepEqual([sync.kind, sync.kind === 'wait' && sync.reason, sync.kind === 'wait' && sync.retryAt], ['wait', 'blocked', at(60) + 500]);
  // A block spanning whole minutes skips them.
  const long = fresh({ blockedUntil: T0 + 3 * MINUTE_MS + 10_000 });
  assert.equal(book(long, planCall(long, 'export', at(1), 10 * MINUTE_MS)).windowStart, T0 + 3 * MINUTE_MS);
});

test('the view shows what is left of the minute and the day', () => {
  const s = fresh({ dayUsed: 1234, windows: { [windowKey(T0)]: { n: 17 } }, blockedUntil: at(40), exportBacklogUntil: T0 + MINUTE_MS });
  const v = callBudgetView(s, at(30));
  assert.deepEqual(v.minute, { limit: 60, used: 17, remaining: 43, resetsAt: T0 + MINUTE_MS });
  assert.deepEqual(v.day, { limit: 5000, used: 1234, remaining: 3766, resetsAt: T0 - (T0 % DAY_MS) + DAY_MS });
  assert.equal(v.blockedUntil, at(40));
  assert.equal(v.exportsWaiting, true);
  assert.equal(callBudgetView(s, at(50)).blockedUntil, null);
});
