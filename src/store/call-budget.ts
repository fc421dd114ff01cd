/**
 * The call budget of each Exact division, shared by every worker process and kept across
 * restarts: the store side of the call governor (rules in src/domain/call-budget.ts).
 *
 * Booking a call inserts a *slot* document whose `_id` names the division, the minute window and
 * the slot's number (`<division>|<window>|n<i>`, below the window's cap). A unique `_id` is the
 * one write that is atomic on every database this product runs on: FerretDB 1.x applies updates
 * (`$inc`, conditional `findOneAndUpdate`) as read-modify-write in its own process, so two
 * concurrent increments of one document can lose one another (measured: 200 concurrent `$inc`
 * left the counter at 9), while two inserts of one `_id` never both succeed. Within a process the
 * bookings of a division are made in batches, one after the other: each batch takes the next
 * slot numbers in one insert, so two processes collide only with each other, and a burst costs
 * a few round trips instead of one per call. Syncs also take a slot of the window's sync count
 * (`…|s<j>`), so their share of a window is capped the same way.
 *
 * What is learned from Exact's headers (limits, the day's count, a Retry-After block) and the
 * markers that make syncs yield (exports waiting, a "sync now" running) are advisory and live in
 * one document per division (`call_budgets`), written with `$max`/`$set`; a lost write there
 * costs at most a 429 that the next answer corrects, never a double booking.
 */
import type { Collection, Db } from 'mongodb';
import {
  CALL_PRIORITIES,
  DEFAULT_CALL_BUDGET_POLICY,
  MINUTE_MS,
  callBudgetView,
  dayWindowStart,
  initialCallBudgetState,
  minuteWindowStart,
  observationUpdate,
  planCall,
  windowKey,
  type CallBudgetPolicy,
  type CallBudgetState,
  type CallBooking,
  type CallBudgetView,
  type CallPriority,
  type RateLimitObservation,
} from '../domain';
import { duplicateKeyIndexes, isDuplicateKeyError, upsertRetrying } from './mongo';

interface BudgetDoc {
  _id: string; // division
  minuteLimit: number;
  dayLimit: number;
  minutePhaseMs: number;
  dayStart: number;
  dayUsed: number;
  blockedUntil: number;
  exportBacklogUntil: number;
  syncNowUntil: number;
  updatedAt: Date;
}

interface SlotDoc {
  _id: string;
  /** division */
  d: string;
  /** minute window start (ms) */
  w: number;
  /** Who booked it; `counted-by-exact`: a call Exact reported that was not booked here. */
  p: CallPriority | 'counted-by-exact';
  at: Date;
}

export type CallReservation =
  | { granted: true; sendAt: number; validUntil: number }
  | { granted: false; retryAt: number; reason: 'minute' | 'day' | 'blocked' | 'yield' };

interface DivisionCache {
  doc: BudgetDoc;
  loadedAt: number;
  /** Per window: the first slot number not known to be taken (total, and syncs). */
  next: Map<number, number>;
  nextSync: Map<number, number>;
  /** Bookings of this process since the day count was last learned. */
  dayLocal: number;
  lastDayWrite: number;
  /** Requests waiting for the next batch, and whether a batch is being booked. */
  pending: PendingReservation[];
  draining: boolean;
}

interface PendingReservation {
  priority: CallPriority;
  horizonMs: number;
  resolve: (r: CallReservation) => void;
  reject: (err: unknown) => void;
}

type Markers = { backlogUntil: number | null; syncNowUntil: number | null };

/** Keeps the later of each marker. */
function raise(into: Markers, m: Markers): void {
  if (m.backlogUntil !== null) into.backlogUntil = Math.max(into.backlogUntil ?? m.backlogUntil, m.backlogUntil);
  if (m.syncNowUntil !== null) into.syncNowUntil = Math.max(into.syncNowUntil ?? m.syncNowUntil, m.syncNowUntil);
}

/** How long a process trusts its copy of a division's document. */
const DOC_TTL_MS = 1_000;
/** Slots of windows older than this are deleted. */
const SLOT_RETENTION_MS = 5 * MINUTE_MS;
/** At most this many calls are booked in one insert. */
const MAX_BATCH = 100;
/** The day's count (learned from headers) is written at most this often per process and division. */
const DAY_WRITE_EVERY_MS = 5_000;

export class CallBudgetStore {
  private readonly docs: Collection<BudgetDoc>;
  private readonly slots: Collection<SlotDoc>;
  private readonly cache = new Map<string, DivisionCache>();
  private lastCleanup = 0;

  constructor(
    db: Db,
    /** Assumed limits until Exact's headers say otherwise. */
    private readonly defaults: { perMinute: number; perDay: number },
    private readonly policy: CallBudgetPolicy = DEFAULT_CALL_BUDGET_POLICY,
    private readonly clock: () => number = Date.now,
  ) {
    this.docs = db.collection<BudgetDoc>('call_budgets');
    this.slots = db.collection<SlotDoc>('call_slots');
  }

  async ensureIndexes(): Promise<void> {
    await this.slots.createIndex({ d: 1, w: 1 }, { name: 'division_window' });
  }

  /**
   * Books one call of `priority` for `division`, at most `horizonMs` ahead. Granted: send at
   * `sendAt`, and book again if it is not sent by `validUntil`. Not granted: ask again at `retryAt`.
   */
  reserve(division: string, priority: CallPriority, horizonMs: number): Promise<CallReservation> {
    const c = this.cacheOf(division);
    return new Promise<CallReservation>((resolve, reject) => {
      c.pending.push({ priority, horizonMs, resolve, reject });
      if (!c.draining) void this.drain(division, c);
    });
  }

  /**
   * Books what this process asked for, a batch at a time: the requests that arrived while the
   * previous batch was being written go in the next one, in one insert. A burst of exports costs
   * a few round trips, not one per call queued behind the others.
   */
  private async drain(division: string, c: DivisionCache): Promise<void> {
    c.draining = true;
    try {
      while (c.pending.length) {
        // Exports first, then "sync now", then scheduled syncs (stable within a priority).
        const batch = c.pending.splice(0, MAX_BATCH).sort((a, b) => CALL_PRIORITIES.indexOf(a.priority) - CALL_PRIORITIES.indexOf(b.priority));
        try {
          await this.reserveBatch(division, c, batch);
        } catch (err) {
          for (const r of batch) r.reject(err); // a request already answered ignores this
        }
      }
    } finally {
      c.draining = false;
    }
  }

  private async reserveBatch(division: string, c: DivisionCache, batch: PendingReservation[]): Promise<void> {
    // Syncs decide on fresh markers (exports waiting, "sync now"); exports may use a second-old copy.
    await this.refresh(division, c, batch.every((r) => r.priority === 'export') ? DOC_TTL_MS : 0);
    let todo = batch;
    for (let round = 0; todo.length && round < 1_000; round++) {
      const now = this.clock();
      const markers: Markers = { backlogUntil: null, syncNowUntil: null };
      const granted: { r: PendingReservation; plan: CallBooking; call: SlotDoc; share: SlotDoc | null }[] = [];
      for (const r of todo) {
        let plan = planCall(this.stateOf(c, now), r.priority, now, r.horizonMs, this.policy);
        while (plan.kind === 'book' && !c.next.has(plan.windowStart)) {
          // This process's first booking in the window: count what others booked there, then plan again.
          await this.learnWindow(division, c, plan.windowStart);
          plan = planCall(this.stateOf(c, now), r.priority, now, r.horizonMs, this.policy);
        }
        if (plan.kind === 'wait') {
          raise(markers, plan);
          r.resolve({ granted: false, retryAt: plan.retryAt, reason: plan.reason });
          continue;
        }
        const w = plan.windowStart;
        // The plan saw room below the caps, counted from these numbers: take the next of each.
        const n = c.next.get(w) ?? 0;
        c.next.set(w, n + 1);
        let share: SlotDoc | null = null;
        if (plan.syncCap !== null) {
          const j = c.nextSync.get(w) ?? 0;
          c.nextSync.set(w, j + 1);
          share = this.slotDoc(division, w, 's', j, r.priority);
        }
        granted.push({ r, plan, call: this.slotDoc(division, w, 'n', n, r.priority), share });
      }
      if (!granted.length) {
        await this.mark(division, c, markers);
        return;
      }
      // One insert for the batch's sync shares, then one for its calls. A slot another process
      // took first fails alone (its number is skipped from then on); its request gives back the
      // share it got, if any, and is planned again.
      const lost = new Set<PendingReservation>();
      const giveBack: string[] = [];
      const shares = granted.filter((g) => g.share !== null);
      const sharesTaken = await this.insertSlots(shares.map((g) => g.share!));
      shares.forEach((g, i) => sharesTaken.has(i) && lost.add(g.r));
      const calls = granted.filter((g) => !lost.has(g.r));
      const callsTaken = await this.insertSlots(calls.map((g) => g.call));
      const current = minuteWindowStart(now, c.doc.minutePhaseMs);
      calls.forEach((g, i) => {
        if (callsTaken.has(i)) {
          lost.add(g.r);
          if (g.share) giveBack.push(g.share._id);
          return;
        }
        c.dayLocal += 1;
        raise(markers, { backlogUntil: g.plan.windowStart > current ? g.plan.backlogUntil : null, syncNowUntil: g.plan.syncNowUntil });
      });
      if (giveBack.length) await this.slots.deleteMany({ _id: { $in: giveBack } });
      await this.mark(division, c, markers);
      for (const g of granted) if (!lost.has(g.r)) g.r.resolve({ granted: true, sendAt: g.plan.sendAt, validUntil: g.plan.validUntil });
      void this.cleanup(now);
      todo = [...lost];
    }
    if (todo.length) throw new Error(`call budget of division ${division}: no decision after 1000 rounds`);
  }

  private slotDoc(division: string, w: number, space: 'n' | 's', i: number, priority: CallPriority): SlotDoc {
    return { _id: slotId(division, w, space, i), d: division, w, p: priority, at: new Date(this.clock()) };
  }

  /** Inserts the slots; returns the positions of those another process had taken already. */
  private async insertSlots(docs: SlotDoc[]): Promise<Set<number>> {
    if (!docs.length) return new Set();
    try {
      await this.slots.insertMany(docs, { ordered: false });
      return new Set();
    } catch (err) {
      const taken = duplicateKeyIndexes(err);
      if (!taken) throw err;
      return new Set(taken);
    }
  }

  /** The first time this process books in a window, it counts what others booked there already. */
  private async learnWindow(division: string, c: DivisionCache, w: number): Promise<void> {
    if (c.next.has(w)) return;
    const taken = await this.slots.find({ d: division, w }, { projection: { _id: 1 } }).toArray();
    let n = 0;
    let s = 0;
    for (const { _id } of taken) {
      const m = /\|([ns])(\d+)$/.exec(_id);
      if (!m) continue;
      if (m[1] === 'n') n = Math.max(n, Number(m[2]) + 1);
      else s = Math.max(s, Number(m[2]) + 1);
    }
    c.next.set(w, Math.max(c.next.get(w) ?? 0, n));
    c.nextSync.set(w, Math.max(c.nextSync.get(w) ?? 0, s));
    for (const k of c.next.keys()) if (k < w - 2 * MINUTE_MS) c.next.delete(k);
    for (const k of c.nextSync.keys()) if (k < w - 2 * MINUTE_MS) c.nextSync.delete(k);
  }

  /** Learns from one answer of Exact: limits, the counts it reports, a Retry-After block. */
  async observe(division: string, obs: RateLimitObservation): Promise<void> {
    const c = this.cacheOf(division);
    if (!c.loadedAt) await this.refresh(division, c, 0);
    this.rollDay(c, obs.at);
    const u = observationUpdate(obs, c.doc);
    for (const [key, count] of Object.entries(u.windowCounts)) await this.fill(division, c, Number(key.slice(1)), count);
    const set: Partial<BudgetDoc> = {};
    for (const [k, v] of Object.entries(u.set) as [keyof typeof u.set, number][]) if (c.doc[k] !== v) set[k] = v;
    const max: Partial<BudgetDoc> = {};
    if (u.blockedUntil !== null && u.blockedUntil > c.doc.blockedUntil) max.blockedUntil = u.blockedUntil;
    const now = this.clock();
    if (u.day && u.day.start === c.doc.dayStart && u.day.used > c.doc.dayUsed + c.dayLocal) {
      c.doc.dayUsed = u.day.used;
      c.dayLocal = 0;
      if (obs.status === 429 || now - c.lastDayWrite >= DAY_WRITE_EVERY_MS) {
        max.dayUsed = u.day.used;
        c.lastDayWrite = now;
      }
    }
    Object.assign(c.doc, set, max);
    if (!Object.keys(set).length && !Object.keys(max).length) return;
    await upsertRetrying(() =>
      this.docs.updateOne(
        { _id: division },
        { $set: { ...set, updatedAt: new Date(now) }, ...(Object.keys(max).length ? { $max: max } : {}), $setOnInsert: this.insertDefaults(division, set, max) } as never,
        { upsert: true },
      ),
    );
  }

  /**
   * Exact counted more calls in a window than were booked here (a 429, or calls from elsewhere):
   * the missing slots are taken, so every process sees the window as Exact does.
   */
  private async fill(division: string, c: DivisionCache, w: number, count: number): Promise<void> {
    await this.learnWindow(division, c, w);
    const from = c.next.get(w) ?? 0;
    if (from >= count) return;
    const docs: SlotDoc[] = [];
    for (let i = from; i < count; i++) docs.push({ _id: slotId(division, w, 'n', i), d: division, w, p: 'counted-by-exact', at: new Date(this.clock()) });
    try {
      await this.slots.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    c.next.set(w, count);
  }

  /** A new UTC day: the day's count starts again. */
  private rollDay(c: DivisionCache, now: number): void {
    const today = dayWindowStart(now);
    if (c.doc.dayStart >= today) return;
    c.doc.dayStart = today;
    c.doc.dayUsed = 0;
    c.dayLocal = 0;
  }

  /** The division's budget as admins see it. */
  async view(division: string): Promise<CallBudgetView> {
    const now = this.clock();
    const doc = (await this.docs.findOne({ _id: division })) ?? this.defaultDoc(division, now);
    const state = toState(doc, now);
    const current = minuteWindowStart(now, doc.minutePhaseMs);
    const used = await this.slots.countDocuments({ d: division, w: current, _id: /\|n\d+$/ });
    state.windows[windowKey(current)] = { n: used };
    return callBudgetView(state, now);
  }

  /** Forgets this process's copy (tests: simulate a restart). */
  forget(): void {
    this.cache.clear();
  }

  private cacheOf(division: string): DivisionCache {
    let c = this.cache.get(division);
    if (!c) {
      c = { doc: this.defaultDoc(division, this.clock()), loadedAt: 0, next: new Map(), nextSync: new Map(), dayLocal: 0, lastDayWrite: 0, pending: [], draining: false };
      this.cache.set(division, c);
    }
    return c;
  }

  private async refresh(division: string, c: DivisionCache, maxAgeMs: number): Promise<void> {
    const now = this.clock();
    if (c.loadedAt && now - c.loadedAt < maxAgeMs) return;
    const doc = await this.docs.findOne({ _id: division });
    if (doc) {
      // Fold this process's bookings into the day's count; the larger of the two counts wins.
      const local = doc.dayStart === c.doc.dayStart ? c.doc.dayUsed + c.dayLocal : doc.dayStart < c.doc.dayStart ? c.doc.dayUsed + c.dayLocal : 0;
      const dayStart = Math.max(doc.dayStart, c.doc.dayStart);
      c.doc = { ...doc, dayStart, dayUsed: doc.dayStart === dayStart ? Math.max(doc.dayUsed, local) : local };
      c.dayLocal = 0;
    }
    c.loadedAt = now;
    this.rollDay(c, now);
  }

  private stateOf(c: DivisionCache, now: number): CallBudgetState {
    this.rollDay(c, now);
    const state = toState(c.doc, now);
    state.dayUsed = c.doc.dayUsed + c.dayLocal;
    for (const [w, n] of c.next) state.windows[windowKey(w)] = { n, lo: c.nextSync.get(w) ?? 0 };
    return state;
  }

  /** Writes the markers that make syncs yield, when they move forward. */
  private async mark(division: string, c: DivisionCache, m: Markers): Promise<void> {
    const max: Partial<BudgetDoc> = {};
    if (m.backlogUntil !== null && m.backlogUntil > c.doc.exportBacklogUntil) max.exportBacklogUntil = m.backlogUntil;
    // A "sync now" renews its hold when half of it is gone.
    if (m.syncNowUntil !== null && m.syncNowUntil - c.doc.syncNowUntil > this.policy.syncNowHoldMs / 2) max.syncNowUntil = m.syncNowUntil;
    if (!Object.keys(max).length) return;
    Object.assign(c.doc, max);
    await upsertRetrying(() => this.docs.updateOne({ _id: division }, { $max: max, $set: { updatedAt: new Date() }, $setOnInsert: this.insertDefaults(division, {}, max) } as never, { upsert: true }));
  }

  private defaultDoc(division: string, now: number): BudgetDoc {
    const s = initialCallBudgetState(this.defaults, now);
    return {
      _id: division,
      minuteLimit: s.minuteLimit,
      dayLimit: s.dayLimit,
      minutePhaseMs: s.minutePhaseMs,
      dayStart: s.dayStart,
      dayUsed: s.dayUsed,
      blockedUntil: s.blockedUntil,
      exportBacklogUntil: s.exportBacklogUntil,
      syncNowUntil: s.syncNowUntil,
      updatedAt: new Date(now),
    };
  }

  /** The fields of a new document that the same update does not set. */
  private insertDefaults(division: string, set: Partial<BudgetDoc>, max: Partial<BudgetDoc>): Partial<BudgetDoc> {
    const { _id: _ignored, updatedAt: _u, ...defaults } = this.defaultDoc(division, this.clock());
    void _ignored;
    void _u;
    for (const k of [...Object.keys(set), ...Object.keys(max)]) delete (defaults as Record<string, unknown>)[k];
    return defaults;
  }

  private async cleanup(now: number): Promise<void> {
    if (now - this.lastCleanup < MINUTE_MS) return;
    this.lastCleanup = now;
    await this.slots.deleteMany({ w: { $lt: now - SLOT_RETENTION_MS } }).catch(() => undefined);
  }
}

function slotId(division: string, w: number, space: 'n' | 's', i: number): string {
  return `${division}|${w}|${space}${i}`;
}

function toState(doc: BudgetDoc, now: number): CallBudgetState {
  return {
    minuteLimit: doc.minuteLimit,
    dayLimit: doc.dayLimit,
    minutePhaseMs: doc.minutePhaseMs,
    windows: {},
    dayStart: doc.dayStart === dayWindowStart(now) ? doc.dayStart : dayWindowStart(now),
    dayUsed: doc.dayStart === dayWindowStart(now) ? doc.dayUsed : 0,
    blockedUntil: doc.blockedUntil,
    exportBacklogUntil: doc.exportBacklogUntil,
    syncNowUntil: doc.syncNowUntil,
  };
}
