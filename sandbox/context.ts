/** Shared server context and the API-key check (used by Maesn routes and the control API). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { FaultRegistry } from './faults';
import { unauthorized } from './http-errors';
import { newAccountKey, type MonotonicClock } from './ids';
import type { RateLimiter } from './rate-limit';
import type { SandboxState } from './state';
import type { SandboxTargetSystem } from './types';
import type { WebhookRegistry } from './webhooks';

export function hashKey(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * One Maesn call, as seen by the sandbox (for tests and support: which pages were read, how many
 * calls and retries a client made). Every call is logged, also those refused (401, 429) and those
 * answered by an injected fault.
 */
export interface LoggedRequest {
  at: string;
  operation: string;
  /** The division the call was for; null when it was refused before one was known (401, 403). */
  division: string | null;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The HTTP status answered; null while the call runs, or when no answer was sent (timeout or reset fault). */
  status: number | null;
  /** The injected fault that answered the call (`status`, `timeout`, `reset`, `malformed`, `pass`), or null. */
  fault: string | null;
  /** True when a `commitFirst` fault answered after the entry was stored. */
  committed: boolean;
}

/** The most recent calls, oldest dropped first. */
export class RequestLog {
  private items: LoggedRequest[] = [];
  constructor(private readonly capacity = 50_000) {}
  push(r: LoggedRequest): void {
    this.items.push(r);
    // Trimmed in chunks, so a full log does not copy itself on every call.
    if (this.items.length > this.capacity * 1.1) this.items.splice(0, this.items.length - this.capacity);
  }
  list(filter: { operation?: string; division?: string } = {}): LoggedRequest[] {
    return this.items.slice(-this.capacity).filter((r) => (!filter.operation || r.operation === filter.operation) && (!filter.division || r.division === filter.division));
  }
  clear(): void {
    this.items = [];
  }
}

export interface SandboxContext {
  requests: RequestLog;
  state: SandboxState;
  limiter: RateLimiter;
  faults: FaultRegistry;
  clock: MonotonicClock;
  logger: Logger;
  apiKeyHash: Buffer;
  /** Webhook subscriptions and their deliveries. */
  webhooks: WebhookRegistry;
  toIso(): string;
}

export function checkApiKey(ctx: SandboxContext, req: Request): void {
  const key = header(req, 'x-api-key');
  if (!key) throw unauthorized('Missing X-API-KEY header');
  if (!timingSafeEqual(hashKey(key), ctx.apiKeyHash)) throw unauthorized('Invalid API key');
}

/** Binds a new account key to a division (the hosted login and the control API both connect). */
export function createConnection(ctx: SandboxContext, division: string, targetSystem: SandboxTargetSystem): string {
  const accountKey = newAccountKey();
  ctx.state.addConnection(accountKey, { targetSystem, division, createdDate: ctx.clock.iso(), revokedDate: null });
  return accountKey;
}

export function header(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function q(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(v)) return v.length ? String(v[0]) : undefined;
  return v === undefined ? undefined : String(v);
}
