/**
 * HTTP plumbing for the Maesn client: pooled keep-alive connections (undici Agent), a timeout
 * on every call, error mapping, and retries with exponential backoff + full jitter for reads.
 * Writes are sent exactly once.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import {
  MaesnError,
  MaesnRateLimitedError,
  MaesnTransientError,
  errorFromNetwork,
  errorFromResponse,
  parseRetryAfter,
} from './errors';

export interface RetryOptions {
  /** Total attempts for reads, including the first (default 4). Writes always get 1. */
  attempts?: number;
  /** First backoff step in ms (default 250); doubles per attempt. */
  baseDelayMs?: number;
  /** Upper bound for one backoff step (default 10 000). */
  maxDelayMs?: number;
  /** Wait used for a 429 without a usable Retry-After (default 1 000). */
  defaultRetryAfterMs?: number;
  /** A 429 asking for a longer wait than this is not waited out in-process (default 30 000). */
  maxRetryAfterMs?: number;
  /** Injectable for tests: returns [0,1). */
  random?: () => number;
  /** Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface MaesnLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TransportOptions {
  baseUrl: string;
  timeoutMs: number;
  retry?: RetryOptions;
  logger?: MaesnLogger;
  /** Values that must never appear in logs or error messages. */
  secrets: () => readonly (string | undefined)[];
  /** Max pooled connections per origin (default 10). */
  connections?: number;
  /** Keep-alive idle timeout in ms (default 30 000). */
  keepAliveTimeoutMs?: number;
  userAgent?: string;
}

/** Exact's rate-limit headers of one answer (resets in epoch ms, as Exact sends them). */
export interface RateLimitInfo {
  minute?: { limit: number; remaining: number; resetAt: number };
  day?: { limit: number; remaining: number; resetAt: number };
}

/** One call of a division, as the governor sees it. */
export interface GovernedCall {
  division: string;
  operation: string;
  write: boolean;
  signal?: AbortSignal;
}

/** What the division's server answered: status, rate-limit headers, a 429's Retry-After. */
export interface CallOutcome {
  status: number;
  rateLimit: RateLimitInfo;
  retryAfterMs: number | null;
  at: number;
}

/**
 * Paces the calls of a division (Exact's limits are per division). `beforeCall` resolves when
 * the call may go out; it throws (a MaesnRateLimitedError: nothing was sent) when the call
 * cannot go out in time. `afterCall` learns from the answer; a 429's block is in place once it
 * resolves. The implementation (shared across processes) lives outside the client.
 */
export interface CallGovernor {
  beforeCall(call: GovernedCall): Promise<void>;
  afterCall(call: GovernedCall, outcome: CallOutcome): void | Promise<void>;
}

function headerInt(headers: Record<string, string | string[] | undefined>, name: string): number | undefined {
  const raw = headers[name.toLowerCase()];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || !/^\s*\d+\s*$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Reads Exact's six `X-RateLimit-*` headers; a window is present only when all three of its values are. */
export function parseRateLimitHeaders(headers: Record<string, string | string[] | undefined>): RateLimitInfo {
  const window = (prefix: string) => {
    const limit = headerInt(headers, `${prefix}-Limit`);
    const remaining = headerInt(headers, `${prefix}-Remaining`);
    const resetAt = headerInt(headers, `${prefix}-Reset`);
    return limit !== undefined && remaining !== undefined && resetAt !== undefined ? { limit, remaining, resetAt } : undefined;
  };
  const info: RateLimitInfo = {};
  const minute = window('X-RateLimit-Minutely');
  const day = window('X-RateLimit');
  if (minute) info.minute = minute;
  if (day) info.day = day;
  return info;
}

export interface MultipartPart {
  name: string;
  value: string | { data: Uint8Array; fileName: string; contentType?: string };
}

export interface CallSpec {
  operation: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path with parameters substituted (and encoded). */
  path: string;
  /** Path template for logs, e.g. /accounting/journalEntries/{id}. */
  pathTemplate: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers: Record<string, string>;
  json?: unknown;
  multipart?: MultipartPart[];
  signal?: AbortSignal;
  accept?: string;
  /** Extra values (e.g. the account key) to scrub from error messages. */
  secrets?: readonly string[];
  /** Paces the call within its division's budget (calls of a connection). */
  governor?: { division: string; governor: CallGovernor };
  /** A POST that only reads (Maesn's passThrough with an upstream GET): retried like a GET, never an unknown write. */
  readOnly?: boolean;
  /**
   * Runs when the call may go (after the governor's wait), right before it is sent (before each
   * attempt of a read; a write has one). A write's caller marks the write as sent here, so
   * nothing is marked while it waits for its minute. What it throws ends the call unsent, and
   * reaches the caller as it is.
   */
  beforeSend?: () => Promise<void>;
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  attempts: number;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Encodes parts as multipart/form-data. Returns the body and the boundary. */
export function encodeMultipart(parts: MultipartPart[]): { body: Buffer; boundary: string } {
  const boundary = `----maesn-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  const quote = (s: string) => s.replace(/["\r\n\\]/g, (c) => (c === '"' ? '%22' : c === '\\' ? '\\\\' : ''));
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n`));
    if (typeof p.value === 'string') {
      chunks.push(Buffer.from(`Content-Disposition: form-data; name="${quote(p.name)}"\r\n\r\n`));
      chunks.push(Buffer.from(p.value, 'utf8'));
    } else {
      chunks.push(
        Buffer.from(
          `Content-Disposition: form-data; name="${quote(p.name)}"; filename="${quote(p.value.fileName)}"\r\n` +
            `Content-Type: ${p.value.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
      );
      chunks.push(Buffer.from(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
    }
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), boundary };
}

export class Transport {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly retry: Required<Omit<RetryOptions, 'random' | 'sleep'>> & Pick<Required<RetryOptions>, 'random' | 'sleep'>;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {
    this.base = new URL(opts.baseUrl);
    this.agent = new Agent({
      connections: opts.connections ?? 10,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
      keepAliveMaxTimeout: Math.max(opts.keepAliveTimeoutMs ?? 30_000, 60_000),
    });
    const r = opts.retry ?? {};
    this.retry = {
      attempts: Math.max(1, r.attempts ?? 4),
      baseDelayMs: r.baseDelayMs ?? 250,
      maxDelayMs: r.maxDelayMs ?? 10_000,
      defaultRetryAfterMs: r.defaultRetryAfterMs ?? 1_000,
      maxRetryAfterMs: r.maxRetryAfterMs ?? 30_000,
      random: r.random ?? Math.random,
      sleep: r.sleep ?? defaultSleep,
    };
  }

  get defaultRetryAfterMs(): number {
    return this.retry.defaultRetryAfterMs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  private url(path: string, query?: CallSpec['query']): URL {
    const u = new URL(this.base.toString());
    u.pathname = `${this.base.pathname.replace(/\/+$/, '')}${path}`;
    u.search = '';
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) u.searchParams.set(k, String(v));
    }
    return u;
  }

  /** Backoff before retry number `retryIndex` (0-based): full jitter over an exponential cap. */
  private backoffMs(retryIndex: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** retryIndex);
    return Math.floor(this.retry.random() * cap);
  }

  /** Sends a call; reads are retried on transient failures and 429, writes are not. */
  async call(spec: CallSpec): Promise<RawResponse> {
    const isWrite = spec.method !== 'GET' && !spec.readOnly;
    const maxAttempts = isWrite ? 1 : this.retry.attempts;
    const governed = spec.governor ? { division: spec.governor.division, operation: spec.operation, write: isWrite, signal: spec.signal } : null;
    for (let attempt = 1; ; attempt++) {
      try {
        if (governed) await this.waitForTurn(spec, governed);
        if (spec.beforeSend) await spec.beforeSend();
        const res = await this.once(spec, isWrite);
        return { ...res, attempts: attempt };
      } catch (err) {
        if (!(err instanceof MaesnError) || !err.retryable || attempt >= maxAttempts) throw err;
        let delay = this.backoffMs(attempt - 1);
        if (err instanceof MaesnRateLimitedError) {
          // A governed call waits for the block in beforeCall (the governor learned the Retry-After).
          if (governed) delay = 0;
          else if (err.retryAfterMs > this.retry.maxRetryAfterMs) throw err;
          // Wait at least what the server asked for, plus a little jitter to spread clients out.
          else delay = err.retryAfterMs + Math.floor(this.retry.random() * Math.min(this.retry.baseDelayMs, 1000));
        }
        this.opts.logger?.warn(
          { operation: spec.operation, method: spec.method, path: spec.pathTemplate, status: err.status, attempt, delayMs: delay, errorKind: err.kind },
          'maesn call failed, retrying',
        );
        await this.retry.sleep(delay, spec.signal);
      }
    }
  }

  /**
   * Waits until the governor lets the call go. Whatever ends the wait early (the activity cancelled
   * or timed out, the budget's database failing) ends it before anything was sent: a write's
   * caller must learn that nothing was created, not that the outcome is unknown.
   */
  private async waitForTurn(spec: CallSpec, governed: GovernedCall): Promise<void> {
    try {
      await spec.governor!.governor.beforeCall(governed);
    } catch (err) {
      if (err instanceof MaesnError) throw err;
      throw new MaesnTransientError({
        operation: spec.operation,
        outcomeUnknown: false,
        what: `not sent (stopped while waiting for the call budget: ${err instanceof Error ? err.message : String(err)})`,
        cause: err,
      });
    }
  }

  private async once(spec: CallSpec, isWrite: boolean): Promise<Omit<RawResponse, 'attempts'>> {
    if (this.closed) throw new Error('MaesnClient is closed');
    const url = this.url(spec.path, spec.query);
    const headers: Record<string, string> = {
      accept: spec.accept ?? 'application/json',
      'user-agent': this.opts.userAgent ?? 'exact-expense-export/maesn-client',
      ...spec.headers,
    };
    let body: string | Buffer | undefined;
    if (spec.multipart) {
      const mp = encodeMultipart(spec.multipart);
      body = mp.body;
      headers['content-type'] = `multipart/form-data; boundary=${mp.boundary}`;
    } else if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    }

    const timeout = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort(new Error('timeout'));
    }, this.opts.timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout.signal]) : timeout.signal;
    const started = Date.now();
    try {
      const res = await request(url, {
        method: spec.method,
        headers,
        body,
        signal,
        dispatcher: this.agent,
      });
      const text = await res.body.text();
      const ra = res.headers['retry-after'];
      const retryAfterHeader = Array.isArray(ra) ? ra[0] : ra;
      if (spec.governor) {
        const { division, governor } = spec.governor;
        const retryAfterMs = res.statusCode === 429 ? (parseRetryAfter(retryAfterHeader) ?? this.retry.defaultRetryAfterMs) : null;
        try {
          await governor.afterCall(
            { division, operation: spec.operation, write: isWrite, signal: spec.signal },
            { status: res.statusCode, rateLimit: parseRateLimitHeaders(res.headers), retryAfterMs, at: Date.now() },
          );
        } catch (err) {
          // Learning is advisory: the answer (perhaps of a write) must reach the caller whatever happens.
          this.opts.logger?.warn({ operation: spec.operation, err: err instanceof Error ? err.message : String(err) }, 'call governor could not record an answer');
        }
      }
      const ctHeader = res.headers['content-type'];
      const contentType = (Array.isArray(ctHeader) ? ctHeader[0] : ctHeader) ?? '';
      this.opts.logger?.debug(
        { operation: spec.operation, method: spec.method, path: spec.pathTemplate, status: res.statusCode, durationMs: Date.now() - started },
        'maesn call',
      );
      if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, contentType, text };
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* keep text */
      }
      throw errorFromResponse({
        operation: spec.operation,
        status: res.statusCode,
        body: parsed,
        retryAfterHeader,
        isWrite,
        defaultRetryAfterMs: this.retry.defaultRetryAfterMs,
        secrets: [...this.opts.secrets(), ...(spec.secrets ?? [])],
      });
    } catch (err) {
      if (err instanceof MaesnError) throw err;
      if (spec.signal?.aborted && !timedOut) throw spec.signal.reason ?? err;
      const mapped = errorFromNetwork({ operation: spec.operation, err, isWrite, timedOut });
      this.opts.logger?.debug(
        { operation: spec.operation, method: spec.method, path: spec.pathTemplate, code: mapped.code, durationMs: Date.now() - started },
        'maesn call network failure',
      );
      throw mapped;
    } finally {
      clearTimeout(timer);
    }
  }
}
