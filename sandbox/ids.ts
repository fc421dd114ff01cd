import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** Deterministic GUID (name-based, v5 layout) so seeded records keep their ids across resets. */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export function randomGuid(): string {
  return randomUUID();
}

/** New account key: 32 random bytes, base64url. */
export function newAccountKey(): string {
  return randomBytes(32).toString('base64url');
}

export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Monotonic ISO clock: every call returns a strictly later millisecond than the previous one. */
export class MonotonicClock {
  private last = 0;
  constructor(private readonly now: () => number = Date.now) {}
  nowMs(): number {
    const t = Math.max(this.now(), this.last + 1);
    this.last = t;
    return t;
  }
  iso(): string {
    return new Date(this.nowMs()).toISOString();
  }
  /** Wall-clock time without advancing the monotonic counter. */
  wall(): Date {
    return new Date(this.now());
  }
}
