/**
 * Typed failures of Maesn calls.
 *
 * Every error carries the HTTP status (undefined when no response arrived), the client
 * operation name, and whether retrying can help. Messages never contain header values,
 * keys or query strings: they are built from the operation name, the status and the
 * target system's own message (with any known secret scrubbed out).
 */

export type MaesnErrorKind =
  | 'invalid_request'
  | 'unauthorized'
  | 'not_found'
  | 'rate_limited'
  | 'transient'
  | 'invalid_response';

export interface MaesnErrorInit {
  operation: string;
  status?: number;
  /** The target system's / Maesn's own explanation, already scrubbed. */
  targetMessage?: string;
  cause?: unknown;
}

export abstract class MaesnError extends Error {
  abstract readonly kind: MaesnErrorKind;
  abstract readonly retryable: boolean;
  readonly operation: string;
  readonly status: number | undefined;
  readonly targetMessage: string | undefined;

  protected constructor(message: string, init: MaesnErrorInit) {
    super(message, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = new.target.name;
    this.operation = init.operation;
    this.status = init.status;
    this.targetMessage = init.targetMessage;
  }

  /** Safe, serialisable summary (for logs, workflow state, Temporal failure details). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      operation: this.operation,
      status: this.status,
      retryable: this.retryable,
    };
  }
}

function describe(operation: string, status: number | undefined, what: string, targetMessage?: string): string {
  const s = status !== undefined ? ` (HTTP ${status})` : '';
  return `Maesn ${operation}${s}: ${what}${targetMessage ? ` — ${targetMessage}` : ''}`;
}

export interface FieldError {
  /** Property path as reported, e.g. "journal_entry.journalLineItems[1].accountId". */
  field?: string;
  /** 1-based journal line the problem is on, when the path points into `journalLineItems`. */
  line?: number;
  message: string;
}

/** 400/405/409/422 and other 4xx: the request or a business rule was rejected. Not retryable. */
export class MaesnInvalidRequestError extends MaesnError {
  readonly kind = 'invalid_request' as const;
  readonly retryable = false;
  readonly fieldErrors: FieldError[];
  /** First field error's field/line, for convenience. */
  readonly field: string | undefined;
  readonly line: number | undefined;

  constructor(init: MaesnErrorInit & { fieldErrors?: FieldError[] }) {
    const first = init.fieldErrors?.[0];
    const where = first ? [first.line !== undefined ? `line ${first.line}` : '', first.field ?? ''].filter(Boolean).join(' ') : '';
    const firstText = first ? `${where ? `${where}: ` : ''}${first.message}` : undefined;
    const text = [init.targetMessage, firstText && firstText !== init.targetMessage ? firstText : undefined].filter(Boolean).join('; ');
    super(describe(init.operation, init.status, 'request rejected', text || undefined), init);
    this.fieldErrors = init.fieldErrors ?? [];
    this.field = this.fieldErrors.find((f) => f.field)?.field;
    this.line = this.fieldErrors.find((f) => f.line !== undefined)?.line;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), targetMessage: this.targetMessage, fieldErrors: this.fieldErrors };
  }
}

/** 401/403: the connection (account key) is invalid or expired and must be re-authorized. */
export class MaesnUnauthorizedError extends MaesnError {
  readonly kind = 'unauthorized' as const;
  readonly retryable = false;
  readonly reauthorizationRequired = true;
  constructor(init: MaesnErrorInit) {
    super(describe(init.operation, init.status, 'not authorized, the connection must be re-authorized', init.targetMessage), init);
  }
}

/** 404: the record does not exist in the target system, or the endpoint is unsupported for it. */
export class MaesnNotFoundError extends MaesnError {
  readonly kind = 'not_found' as const;
  readonly retryable = false;
  constructor(init: MaesnErrorInit) {
    super(describe(init.operation, init.status, 'not found', init.targetMessage), init);
  }
}

/** 429: rate limited. `retryAfterMs` comes from Retry-After, or a default when absent. */
export class MaesnRateLimitedError extends MaesnError {
  readonly kind = 'rate_limited' as const;
  readonly retryable = true;
  readonly retryAfterMs: number;
  /** True when Retry-After was present and parseable. */
  readonly retryAfterFromHeader: boolean;
  /** True when the call was held back by our own call governor (nothing was sent; no HTTP status). */
  readonly heldBack: boolean;
  constructor(init: MaesnErrorInit & { retryAfterMs: number; retryAfterFromHeader: boolean; heldBack?: boolean }) {
    const what = init.heldBack ? `not sent (call budget), retry after ${init.retryAfterMs} ms` : `rate limited, retry after ${init.retryAfterMs} ms`;
    super(describe(init.operation, init.heldBack ? undefined : (init.status ?? 429), what, init.targetMessage), init);
    this.retryAfterMs = init.retryAfterMs;
    this.retryAfterFromHeader = init.retryAfterFromHeader;
    this.heldBack = init.heldBack ?? false;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/**
 * 5xx, timeouts, connection resets, socket errors. Retryable, but when the request was a write
 * that may have reached the server, `outcomeUnknown` is true: the caller must look the record
 * up before sending it again.
 */
export class MaesnTransientError extends MaesnError {
  readonly kind = 'transient' as const;
  readonly retryable = true;
  readonly outcomeUnknown: boolean;
  /** Low-level error code (ECONNRESET, UND_ERR_SOCKET, TIMEOUT…), when there was no response. */
  readonly code: string | undefined;
  constructor(init: MaesnErrorInit & { outcomeUnknown: boolean; code?: string; what?: string }) {
    const what = init.what ?? (init.status !== undefined ? 'server error' : `network failure${init.code ? ` (${init.code})` : ''}`);
    super(describe(init.operation, init.status, `${what}${init.outcomeUnknown ? '; the write may or may not have been applied' : ''}`, init.targetMessage), init);
    this.outcomeUnknown = init.outcomeUnknown;
    this.code = init.code;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), outcomeUnknown: this.outcomeUnknown, code: this.code };
  }
}

/**
 * A 2xx response whose body does not match the expected shape. Not retryable. On a write,
 * `writeAccepted` is true: the server said it created the record, so it must not be re-sent.
 */
export class MaesnResponseFormatError extends MaesnError {
  readonly kind = 'invalid_response' as const;
  readonly retryable = false;
  readonly writeAccepted: boolean;
  readonly issues: string[];
  constructor(init: MaesnErrorInit & { issues: string[]; writeAccepted: boolean }) {
    super(describe(init.operation, init.status, `unexpected response shape: ${init.issues.slice(0, 3).join('; ')}`), init);
    this.issues = init.issues;
    this.writeAccepted = init.writeAccepted;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues, writeAccepted: this.writeAccepted };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers used by the transport
// ---------------------------------------------------------------------------------------------

/** Parses Retry-After (delta seconds or HTTP-date). Returns undefined when absent/unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Replaces every occurrence of a secret with "[redacted]". Secrets shorter than 4 chars are ignored. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}

const MAX_MESSAGE = 500;

function asString(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (Array.isArray(v)) {
    const parts = v.map(asString).filter((x): x is string => !!x);
    return parts.length ? parts.join('; ') : undefined;
  }
  return undefined;
}

function lineFromPath(path: string): number | undefined {
  const m = /journalLineItems(?:\[(\d+)\]|\.(\d+))/.exec(path);
  if (!m) return undefined;
  return Number(m[1] ?? m[2]) + 1;
}

/**
 * Pulls a human message and field errors out of an error body. Maesn does not publish its error
 * shape, so this accepts: the envelope with `errors` as object/string/array, NestJS-style
 * `{ statusCode, message, error }`, `validationErrors: [{ property, constraints }]`, and Exact's
 * OData `{ error: { message: { value } } }`.
 */
export function extractErrorDetails(body: unknown): { message?: string; fieldErrors: FieldError[] } {
  const fieldErrors: FieldError[] = [];
  if (typeof body === 'string') return { message: body.trim().slice(0, MAX_MESSAGE) || undefined, fieldErrors };
  if (!body || typeof body !== 'object') return { fieldErrors };
  const b = body as Record<string, unknown>;
  const candidates: unknown[] = [];
  const errs = b.errors;
  const inner: Record<string, unknown>[] = [];
  if (errs && typeof errs === 'object' && !Array.isArray(errs)) inner.push(errs as Record<string, unknown>);
  if (Array.isArray(errs)) {
    for (const e of errs) {
      if (e && typeof e === 'object') inner.push(e as Record<string, unknown>);
      else candidates.push(e);
    }
  }
  if (typeof errs === 'string') candidates.push(errs);
  inner.push(b);

  for (const o of inner) {
    const tse = o.targetSystemError;
    if (tse && typeof tse === 'object') candidates.push((tse as Record<string, unknown>).message);
    else candidates.push(tse);
    candidates.push(o.message, o.detail, o.error_description);
    const odata = o.error;
    if (odata && typeof odata === 'object') {
      const msg = (odata as Record<string, unknown>).message;
      candidates.push(msg && typeof msg === 'object' ? (msg as Record<string, unknown>).value : msg);
    } else {
      candidates.push(odata);
    }
    const ve = o.validationErrors;
    if (Array.isArray(ve)) {
      for (const item of ve) {
        if (typeof item === 'string') {
          fieldErrors.push({ message: item });
          continue;
        }
        if (!item || typeof item !== 'object') continue;
        const it = item as Record<string, unknown>;
        const field = asString(it.property) ?? asString(it.field) ?? asString(it.path);
        const c = it.constraints;
        const msg =
          asString(it.message) ??
          (Array.isArray(c) ? asString(c) : c && typeof c === 'object' ? asString(Object.values(c)) : undefined) ??
          'invalid';
        const explicitLine = typeof it.line === 'number' && Number.isInteger(it.line) && it.line > 0 ? it.line : undefined;
        const line = explicitLine ?? (field ? lineFromPath(field) : undefined);
        fieldErrors.push({ ...(field ? { field } : {}), ...(line !== undefined ? { line } : {}), message: msg.slice(0, MAX_MESSAGE) });
      }
    }
  }
  const message = candidates.map(asString).find((x) => x !== undefined);
  return { message: message?.slice(0, MAX_MESSAGE), fieldErrors };
}

/** Maps an HTTP error response to the matching error class. */
export function errorFromResponse(args: {
  operation: string;
  status: number;
  body: unknown;
  retryAfterHeader?: string | null;
  isWrite: boolean;
  defaultRetryAfterMs: number;
  secrets: readonly (string | undefined)[];
}): MaesnError {
  const { operation, status } = args;
  const details = extractErrorDetails(args.body);
  const targetMessage = details.message ? scrubSecrets(details.message, args.secrets) : undefined;
  const fieldErrors = details.fieldErrors.map((f) => ({
    ...f,
    message: scrubSecrets(f.message, args.secrets),
    ...(f.field ? { field: scrubSecrets(f.field, args.secrets) } : {}),
  }));
  if (status === 401 || status === 403) return new MaesnUnauthorizedError({ operation, status, targetMessage });
  if (status === 404) return new MaesnNotFoundError({ operation, status, targetMessage });
  if (status === 429) {
    const parsed = parseRetryAfter(args.retryAfterHeader);
    return new MaesnRateLimitedError({
      operation,
      status,
      targetMessage,
      retryAfterMs: parsed ?? args.defaultRetryAfterMs,
      retryAfterFromHeader: parsed !== undefined,
    });
  }
  if (status === 408 || status >= 500) {
    // A write that got a 5xx may have been applied upstream before the failure.
    return new MaesnTransientError({ operation, status, targetMessage, outcomeUnknown: args.isWrite });
  }
  return new MaesnInvalidRequestError({ operation, status, targetMessage, fieldErrors });
}

/** Error codes that mean the request never left this process / never reached the server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'CERT_HAS_EXPIRED',
]);

function findCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps a thrown network-level error (no HTTP response) to a transient error. */
export function errorFromNetwork(args: { operation: string; err: unknown; isWrite: boolean; timedOut: boolean }): MaesnTransientError {
  if (args.timedOut) {
    return new MaesnTransientError({
      operation: args.operation,
      outcomeUnknown: args.isWrite,
      code: 'TIMEOUT',
      what: 'timed out',
    });
  }
  const code = findCode(args.err);
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  return new MaesnTransientError({ operation: args.operation, outcomeUnknown: args.isWrite && !notSent, code: code ?? 'NETWORK' });
}

// ---------------------------------------------------------------------------------------------
// Classification for callers (Temporal activities)
// ---------------------------------------------------------------------------------------------

export interface MaesnErrorClassification {
  kind: MaesnErrorKind | 'unknown';
  /** Error class name; suitable for Temporal `nonRetryableErrorTypes` / ApplicationFailure type. */
  type: string;
  retryable: boolean;
  status?: number;
  /** Minimum wait before a retry makes sense (rate limiting). */
  retryAfterMs?: number;
  /** A write may have been applied: look it up before re-sending. */
  outcomeUnknown: boolean;
  /** The end user must reconnect (new account key). */
  reauthorizationRequired: boolean;
  message: string;
}

/**
 * Decides what a caller should do with an error thrown by the client. Errors that are not
 * Maesn errors are reported as `unknown` and retryable (Temporal's default behaviour).
 */
export function classifyMaesnError(err: unknown): MaesnErrorClassification {
  if (err instanceof MaesnError) {
    return {
      kind: err.kind,
      type: err.name,
      retryable: err.retryable,
      ...(err.status !== undefined ? { status: err.status } : {}),
      ...(err instanceof MaesnRateLimitedError ? { retryAfterMs: err.retryAfterMs } : {}),
      outcomeUnknown: err instanceof MaesnTransientError ? err.outcomeUnknown : false,
      reauthorizationRequired: err instanceof MaesnUnauthorizedError,
      message: err.message,
    };
  }
  return {
    kind: 'unknown',
    type: err instanceof Error ? err.name : 'Error',
    retryable: true,
    outcomeUnknown: false,
    reauthorizationRequired: false,
    message: err instanceof Error ? err.message : String(err),
  };
}
