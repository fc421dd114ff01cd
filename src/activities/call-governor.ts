/**
 * The call governor as the activities use it: books each Maesn call of a division in the shared
 * call budget (src/store, rules in src/domain/call-budget.ts) before the client sends it, waits
 * for its turn while heartbeating (so a cancelled activity stops waiting), and reports Exact's
 * rate-limit headers back.
 *
 * An activity never waits past its own time: a write must go out early enough to finish within
 * the attempt (the same margin the posting activity checks before it posts), so when the budget
 * has no call for it in time, the call is refused before anything is sent (a
 * MaesnRateLimitedError whose Retry-After is when the budget will have room) and the activity's
 * retry comes back then.
 */
import { Context } from '@temporalio/activity';
import type { CallPriority } from '../domain';
import { MaesnRateLimitedError, type CallGovernor } from '../maesn';
import type { ActivityDeps } from './common';

/** A POST must start at least this long, plus the Maesn timeout, before its attempt's time is up. */
export const POST_SAFETY_MARGIN_MS = 5_000;
/** A read keeps this much of its attempt's time. */
const READ_MARGIN_MS = 5_000;
/** An export books calls at most this far ahead; later ones retry (no activity slot held meanwhile). */
export const EXPORT_BOOKING_HORIZON_MS = 90_000;
/** How long a sync waits inside one activity before its attempt gives the slot back. */
const SYNC_MAX_WAIT_MS = 10 * 60_000;
/** Heartbeat at least this often while waiting. */
const HEARTBEAT_EVERY_MS = 5_000;

const attemptStarts = new WeakMap<Context, number>();

/** Remembers when the current activity attempt started (called first thing by every activity). */
export function markAttemptStart(): void {
  const ctx = currentContext();
  if (ctx && !attemptStarts.has(ctx)) attemptStarts.set(ctx, Date.now());
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Latest moment a call may go out so that the attempt still ends in time (Infinity outside an activity). */
export function sendDeadline(deps: Pick<ActivityDeps, 'config'>, write: boolean, ctx = currentContext()): number {
  if (!ctx) return Infinity;
  const started = attemptStarts.get(ctx) ?? Date.now();
  const margin = write ? deps.config.maesn.timeoutMs + POST_SAFETY_MARGIN_MS : READ_MARGIN_MS;
  return started + ctx.info.startToCloseTimeoutMs - margin;
}

/** Sleeps `ms`, heartbeating in between; rejects when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal | undefined, heartbeat: (() => void) | undefined): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) return;
    heartbeat?.();
    await new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.min(left, HEARTBEAT_EVERY_MS));
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export interface GovernorOptions {
  priority: CallPriority;
  /** Heartbeat while waiting (default: a heartbeat without details). */
  heartbeat?: () => void;
}

/** Where a connection's calls spent their time before going out (for the activity's log line). */
export interface GovernorStats {
  /** Booking in the shared budget (database round trips, this process's queue for the division). */
  bookingMs: number;
  /** Waiting for the booked minute. */
  waitMs: number;
}

/** The governor for one activity's connection. */
export function callGovernor(deps: ActivityDeps, opts: GovernorOptions): CallGovernor & { stats: GovernorStats } {
  const { stores, logger } = deps;
  const stats: GovernorStats = { bookingMs: 0, waitMs: 0 };
  return {
    stats,
    async beforeCall(call) {
      const ctx = currentContext();
      const signal = call.signal ?? ctx?.cancellationSignal;
      // Heartbeats carry cancellation to the activity (also without a heartbeat timeout, throttled by the SDK).
      const heartbeat = opts.heartbeat ?? (ctx ? () => ctx.heartbeat() : undefined);
      const deadline = sendDeadline(deps, call.write, ctx);
      const maxWait = opts.priority === 'export' ? EXPORT_BOOKING_HORIZON_MS : SYNC_MAX_WAIT_MS;
      for (;;) {
        const now = Date.now();
        const horizon = Math.max(0, Math.min(deadline, now + maxWait) - now);
        const r = await stores.callBudget.reserve(call.division, opts.priority, horizon);
        const booked = Date.now();
        stats.bookingMs += booked - now;
        if (r.granted) {
          await pause(r.sendAt - Date.now(), signal, heartbeat);
          stats.waitMs += Date.now() - booked;
          if (Date.now() <= r.validUntil) return;
          continue; // woke up too late for the booked minute: book again
        }
        if (r.retryAt > Math.min(deadline, now + maxWait)) {
          throw new MaesnRateLimitedError({
            operation: call.operation,
            retryAfterMs: Math.max(1_000, r.retryAt - now),
            retryAfterFromHeader: false,
            heldBack: true,
            targetMessage: `the call budget of division ${call.division} has no call for this ${opts.priority} ${r.reason === 'day' ? 'today' : 'in time'}; nothing was sent`,
          });
        }
        // Spread the syncs that wait for the same minute.
        await pause(r.retryAt - Date.now() + Math.floor(Math.random() * 500), signal, heartbeat);
        stats.waitMs += Date.now() - booked;
      }
    },
    afterCall(call, outcome) {
      const done = stores.callBudget.observe(call.division, {
        at: outcome.at,
        status: outcome.status,
        minute: outcome.rateLimit.minute,
        day: outcome.rateLimit.day,
        retryAfterMs: outcome.retryAfterMs ?? undefined,
      });
      // A 429's block must be in place before the call is tried again; the rest is learned in the background.
      if (outcome.status === 429) return done;
      done.catch((err: unknown) => logger.warn({ division: call.division, err: err instanceof Error ? err.message : String(err) }, 'call budget: answer not recorded'));
    },
  };
}
