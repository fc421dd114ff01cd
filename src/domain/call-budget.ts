/**
 * The call budget of one Exact division: the rules of the call governor, without any I/O.
 *
 * Exact allows a number of calls per calendar minute and per UTC day, per app and division
 * (60 and 5,000 by default), and says so in `X-RateLimit-*` headers. Both are fixed windows, so
 * the governor counts calls per window as Exact does: a window's calls are booked against the
 * limit learned from the headers, and nothing is sent beyond it. (A continuously refilled bucket
 * would have to run below the limit to be safe at window edges; mirroring the windows uses all
 * of it.) The state lives in one MongoDB document per division (src/store), so every worker
 * process shares it and it survives restarts; this module decides, the store applies the decision
 * with one conditional update.
 *
 * Priorities: an export may use every call of a window and book calls in the coming windows
 * (first come, first served), so a burst of approvals is paced instead of answered with 429s.
 * "Sync now" and scheduled syncs only take calls of the current window, leave a share of it
 * unused for exports, and while exports wait (booked ahead) they get only a trickle. Scheduled
 * syncs also leave a larger share of the day unused, so exports never run out of the day.
 *
 * Pure and deterministic (times are passed in): safe in workflows and unit tests.
 */

export const CALL_PRIORITIES = ['export', 'sync-now', 'scheduled'] as const;
/** Who is calling: an export (posting, duplicate lookup), a sync an admin asked for, a scheduled sync. */
export type CallPriority = (typeof CALL_PRIORITIES)[number];

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export interface CallBudgetPolicy {
  /** Share of a minute window a priority must leave unused (for higher priorities). */
  minuteReserve: Record<CallPriority, number>;
  /** Share of the day a priority must leave unused. */
  dayReserve: Record<CallPriority, number>;
  /** Share of a minute a sync may still use while exports wait (booked ahead), or scheduled syncs while a "sync now" runs. */
  contendedShare: number;
  /** A booked window is used only this long after it opens on our clock (clock skew to Exact). */
  guardMs: number;
  /** How long a "sync now" call holds scheduled syncs back. */
  syncNowHoldMs: number;
}

export const DEFAULT_CALL_BUDGET_POLICY: CallBudgetPolicy = {
  minuteReserve: { export: 0, 'sync-now': 0.1, scheduled: 0.3 },
  dayReserve: { export: 0, 'sync-now': 0.1, scheduled: 0.3 },
  contendedShare: 0.05,
  guardMs: 250,
  syncNowHoldMs: 15_000,
};

/** Calls counted in one minute window; `lo` are those of syncs (lower priorities). */
export interface WindowCount {
  n: number;
  lo?: number;
}

/** What the store keeps per division. */
export interface CallBudgetState {
  /** Calls per minute and per day (learned from X-RateLimit-*; configured until the first answer). */
  minuteLimit: number;
  dayLimit: number;
  /** Where Exact's minute window starts within a minute, in ms (0: calendar minutes). */
  minutePhaseMs: number;
  /** Booked or sent calls per minute window, by `windowKey`. */
  windows: Record<string, WindowCount>;
  /** Start of the day window `dayUsed` counts (UTC midnight for Exact). */
  dayStart: number;
  dayUsed: number;
  /** Nothing is sent before this (Retry-After of a 429). */
  blockedUntil: number;
  /** Start of the furthest window an export booked or had to wait for (exports are waiting while it lies ahead). */
  exportBacklogUntil: number;
  /** Scheduled syncs yield to a "sync now" until then. */
  syncNowUntil: number;
}

export function initialCallBudgetState(limits: { perMinute: number; perDay: number }, now: number): CallBudgetState {
  return {
    minuteLimit: limits.perMinute,
    dayLimit: limits.perDay,
    minutePhaseMs: 0,
    windows: {},
    dayStart: dayWindowStart(now),
    dayUsed: 0,
    blockedUntil: 0,
    exportBacklogUntil: 0,
    syncNowUntil: 0,
  };
}

export function minuteWindowStart(now: number, phaseMs = 0): number {
  return Math.floor((now - phaseMs) / MINUTE_MS) * MINUTE_MS + phaseMs;
}

/** Exact's day window: 00:00 UTC to 00:00 UTC. */
export function dayWindowStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

/** Field name of a minute window in `CallBudgetState.windows` (a plain name, safe in a MongoDB path). */
export function windowKey(windowStart: number): string {
  return `w${windowStart}`;
}

/** Calls of the day already used (0 once the day in the state has passed). */
export function dayUsedAt(state: CallBudgetState, now: number): number {
  return state.dayStart === dayWindowStart(now) ? state.dayUsed : 0;
}

function capOf(limit: number, reserveShare: number): number {
  return Math.max(0, limit - Math.ceil(limit * reserveShare));
}

/** Book one call in window `windowStart`, if the window still has fewer than the caps when the store applies it. */
export interface CallBooking {
  kind: 'book';
  windowStart: number;
  key: string;
  /** The window's count must be below this. */
  windowCap: number;
  /** When set, the window's sync count (`lo`) must be below this too (and is incremented). */
  syncCap: number | null;
  dayStart: number;
  /** The day's count must be below this. */
  dayCap: number;
  /** Send at (ms): now, or when a booked window opens, or when a Retry-After block ends. */
  sendAt: number;
  /** A booking not used by then is stale (its window is over on Exact's side): book again. */
  validUntil: number;
  /** Exports booked ahead: lower priorities hold back until this window. */
  backlogUntil: number | null;
  /** A "sync now" call: scheduled syncs hold back until then. */
  syncNowUntil: number | null;
}

/** Nothing can be booked within the horizon: ask again at `retryAt`. */
export interface CallWait {
  kind: 'wait';
  retryAt: number;
  reason: 'minute' | 'day' | 'blocked' | 'yield';
  backlogUntil: number | null;
  syncNowUntil: number | null;
}

export type CallPlan = CallBooking | CallWait;

/**
 * Decides where one call of `priority` goes. `horizonMs`: how long the caller can wait (an export
 * books ahead within it; a call that could only go later waits and asks again).
 */
export function planCall(state: CallBudgetState, priority: CallPriority, now: number, horizonMs: number, policy: CallBudgetPolicy = DEFAULT_CALL_BUDGET_POLICY): CallPlan {
  const phase = state.minutePhaseMs;
  const current = minuteWindowStart(now, phase);
  const dayStart = dayWindowStart(now);
  const dayCap = capOf(state.dayLimit, policy.dayReserve[priority]);
  const syncNowUntil = priority === 'sync-now' ? now + policy.syncNowHoldMs : null;
  const wait = (retryAt: number, reason: CallWait['reason'], backlogUntil: number | null = null): CallWait => ({ kind: 'wait', retryAt: Math.max(retryAt, now + 1), reason, backlogUntil, syncNowUntil });

  if (dayUsedAt(state, now) >= dayCap) return wait(dayStart + DAY_MS + policy.guardMs, 'day');

  const windowCap = capOf(state.minuteLimit, policy.minuteReserve[priority]);
  if (windowCap <= 0) return wait(dayStart + DAY_MS + policy.guardMs, 'minute');
  const book = (windowStart: number, syncCap: number | null, sendAt: number): CallBooking => ({
    kind: 'book',
    windowStart,
    key: windowKey(windowStart),
    windowCap,
    syncCap,
    dayStart,
    dayCap,
    sendAt,
    validUntil: windowStart + MINUTE_MS - policy.guardMs,
    backlogUntil: priority === 'export' ? windowStart : null,
    syncNowUntil,
  });

  if (priority === 'export') {
    const last = now + horizonMs;
    for (let w = current; w <= last; w += MINUTE_MS) {
      if (w + MINUTE_MS - policy.guardMs <= state.blockedUntil) continue;
      if ((state.windows[windowKey(w)]?.n ?? 0) >= windowCap) continue;
      const sendAt = Math.max(now, w === current ? now : w + policy.guardMs, state.blockedUntil);
      if (sendAt > last) break;
      return book(w, null, sendAt);
    }
    // Every window within reach is full: come back when the next one is within reach.
    let next = current + MINUTE_MS;
    const unusable = (w: number) => w + MINUTE_MS - policy.guardMs <= state.blockedUntil || (state.windows[windowKey(w)]?.n ?? 0) >= windowCap;
    for (let i = 0; i < 100_000 && unusable(next); i++) next += MINUTE_MS;
    const opensAt = Math.max(next + policy.guardMs, state.blockedUntil);
    return wait(opensAt - horizonMs, state.blockedUntil > now ? 'blocked' : 'minute', next);
  }

  // Syncs use only the current window.
  if (state.blockedUntil > now) return wait(state.blockedUntil, 'blocked');
  const contended = state.exportBacklogUntil > current || (priority === 'scheduled' && state.syncNowUntil > now);
  const syncCap = contended ? Math.max(1, Math.floor(state.minuteLimit * policy.contendedShare)) : windowCap;
  const count = state.windows[windowKey(current)];
  if ((count?.n ?? 0) < windowCap && (count?.lo ?? 0) < syncCap) return book(current, syncCap, now);
  return wait(current + MINUTE_MS + policy.guardMs, contended ? 'yield' : 'minute');
}

/** Rate-limit facts from one answer (the `X-RateLimit-*` headers and a 429's Retry-After). */
export interface RateLimitObservation {
  at: number;
  status: number;
  minute?: { limit: number; remaining: number; resetAt: number };
  day?: { limit: number; remaining: number; resetAt: number };
  retryAfterMs?: number;
}

/** What an observation changes, for the store to apply with `$set`/`$max` (counts only ever go up). */
export interface ObservationUpdate {
  set: Partial<Pick<CallBudgetState, 'minuteLimit' | 'dayLimit' | 'minutePhaseMs'>>;
  /** Window key → the count Exact reports for it. */
  windowCounts: Record<string, number>;
  /** The day Exact's count belongs to, and the count. */
  day: { start: number; used: number } | null;
  blockedUntil: number | null;
}

export function observationUpdate(obs: RateLimitObservation, state: Pick<CallBudgetState, 'minuteLimit'>): ObservationUpdate {
  const u: ObservationUpdate = { set: {}, windowCounts: {}, day: null, blockedUntil: null };
  if (obs.minute) {
    const start = obs.minute.resetAt - MINUTE_MS;
    u.set.minuteLimit = obs.minute.limit;
    u.set.minutePhaseMs = ((obs.minute.resetAt % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
    u.windowCounts[windowKey(start)] = Math.max(0, obs.minute.limit - obs.minute.remaining);
  }
  if (obs.day) {
    u.set.dayLimit = obs.day.limit;
    u.day = { start: obs.day.resetAt - DAY_MS, used: Math.max(0, obs.day.limit - obs.day.remaining) };
  }
  if (obs.status === 429) {
    u.blockedUntil = obs.at + (obs.retryAfterMs ?? 1_000);
    // The window Exact refused in is full, whatever was counted before.
    if (!obs.minute && !obs.day) u.windowCounts[windowKey(minuteWindowStart(obs.at))] = state.minuteLimit;
  }
  return u;
}

/** The budget as shown to admins. */
export interface CallBudgetView {
  minute: { limit: number; used: number; remaining: number; resetsAt: number };
  day: { limit: number; used: number; remaining: number; resetsAt: number };
  blockedUntil: number | null;
  /** Exports are queued for later minutes. */
  exportsWaiting: boolean;
}

export function callBudgetView(state: CallBudgetState, now: number): CallBudgetView {
  const current = minuteWindowStart(now, state.minutePhaseMs);
  const minuteUsed = Math.min(state.minuteLimit, state.windows[windowKey(current)]?.n ?? 0);
  const dayUsed = Math.min(state.dayLimit, dayUsedAt(state, now));
  return {
    minute: { limit: state.minuteLimit, used: minuteUsed, remaining: state.minuteLimit - minuteUsed, resetsAt: current + MINUTE_MS },
    day: { limit: state.dayLimit, used: dayUsed, remaining: state.dayLimit - dayUsed, resetsAt: dayWindowStart(now) + DAY_MS },
    blockedUntil: state.blockedUntil > now ? state.blockedUntil : null,
    exportsWaiting: state.exportBacklogUntil > current,
  };
}

/** Window keys that are over (the store drops them). */
export function staleWindowKeys(state: CallBudgetState, now: number): string[] {
  const current = minuteWindowStart(now, state.minutePhaseMs);
  return Object.keys(state.windows).filter((k) => Number(k.slice(1)) < current - MINUTE_MS);
}
