/**
 * Per-division rate limiting in Exact's style: a fixed calendar-minute window and a UTC-day
 * window. Headers (values are integers; resets are Unix epoch milliseconds, as Exact sends them):
 *   X-RateLimit-Limit / -Remaining / -Reset                    daily window
 *   X-RateLimit-Minutely-Limit / -Remaining / -Reset           minute window
 * A rejected call gets 429 plus `Retry-After` in whole seconds until the tripped window resets.
 * Rejected calls do not count.
 */
export interface RateLimitConfig {
  perMinute: number;
  perDay: number;
}

interface Counter {
  minuteStart: number;
  minuteCount: number;
  dayStart: number;
  dayCount: number;
}

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
  retryAfterSeconds?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export class RateLimiter {
  private readonly counters = new Map<string, Counter>();

  constructor(public config: RateLimitConfig) {}

  /** The count of every division's current windows, as the headers would say it now. */
  snapshot(nowMs: number): { division: string; minute: { used: number; resetAt: number }; day: { used: number; resetAt: number } }[] {
    const minuteStart = Math.floor(nowMs / MINUTE) * MINUTE;
    const dayStart = Math.floor(nowMs / DAY) * DAY;
    return [...this.counters.entries()].map(([division, c]) => ({
      division,
      minute: { used: c.minuteStart === minuteStart ? c.minuteCount : 0, resetAt: minuteStart + MINUTE },
      day: { used: c.dayStart === dayStart ? c.dayCount : 0, resetAt: dayStart + DAY },
    }));
  }

  reset(division?: string): void {
    if (division === undefined) this.counters.clear();
    else this.counters.delete(division);
  }

  /** Counts one call for `division` at time `nowMs` (if allowed) and returns headers to send. */
  take(division: string, nowMs: number): RateDecision {
    const minuteStart = Math.floor(nowMs / MINUTE) * MINUTE;
    const dayStart = Math.floor(nowMs / DAY) * DAY;
    let c = this.counters.get(division);
    if (!c) {
      c = { minuteStart, minuteCount: 0, dayStart, dayCount: 0 };
      this.counters.set(division, c);
    }
    if (c.minuteStart !== minuteStart) {
      c.minuteStart = minuteStart;
      c.minuteCount = 0;
    }
    if (c.dayStart !== dayStart) {
      c.dayStart = dayStart;
      c.dayCount = 0;
    }
    const { perMinute, perDay } = this.config;
    const dayFull = c.dayCount >= perDay;
    const minuteFull = c.minuteCount >= perMinute;
    const allowed = !dayFull && !minuteFull;
    if (allowed) {
      c.minuteCount++;
      c.dayCount++;
    }
    const headers = {
      'X-RateLimit-Limit': String(perDay),
      'X-RateLimit-Remaining': String(Math.max(0, perDay - c.dayCount)),
      'X-RateLimit-Reset': String(dayStart + DAY),
      'X-RateLimit-Minutely-Limit': String(perMinute),
      'X-RateLimit-Minutely-Remaining': String(Math.max(0, perMinute - c.minuteCount)),
      'X-RateLimit-Minutely-Reset': String(minuteStart + MINUTE),
    };
    if (allowed) return { allowed, headers };
    const resetAt = dayFull ? dayStart + DAY : minuteStart + MINUTE;
    return { allowed, headers, retryAfterSeconds: Math.max(1, Math.ceil((resetAt - nowMs) / 1000)) };
  }
}
