/**
 * HTTP errors with a JSON body: `{ error: { code, message, requestId, fields? } }`.
 * `fields` lists each invalid input as `{ path, message }` so a client can see which field is wrong.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError } from 'mongodb';
import { z } from 'zod';
import { ServiceError, type ServiceErrorKind } from '../services';
import { isDatabaseBusy } from '../store';

export interface FieldError {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: FieldError[],
    readonly extra?: Record<string, unknown>,
    /** Response headers that belong to the error (WWW-Authenticate, Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, extra?: Record<string, unknown>) => new HttpError(409, 'conflict', message, undefined, extra);

/** Converts a zod error into field errors; `where` prefixes paths (body, query, params). */
export function zodFields(err: z.ZodError, where: string): FieldError[] {
  return err.issues.flatMap((i) =>
    // An unknown key is named itself, not the object that holds it.
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: [where, ...i.path.map(String), k].join('.'), message: 'unknown field' }))
      : [{ path: [where, ...i.path.map(String)].join('.'), message: i.message }],
  );
}

export function validationError(err: z.ZodError, where: string): HttpError {
  const fields = zodFields(err, where);
  const first = fields[0];
  return new HttpError(400, 'invalid_request', first ? `${first.path}: ${first.message}` : 'invalid request', fields);
}

/** Parses `schema` against a part of the request or throws a 400 naming the fields. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

const statusOf: Record<ServiceErrorKind, number> = { invalid: 400, not_found: 404, conflict: 409, too_large: 413, unavailable: 502 };

/** How long a client should wait before retrying when a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

/** gRPC codes of a Temporal call that did not reach the server or ran out of time. */
const GRPC_UNAVAILABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

/** A request gave up waiting (its deadline passed; gRPC's own retries may overrun it). */
export class TemporalDeadlineError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TemporalDeadlineError';
  }
}

/** Which dependency an error says is unreachable: MongoDB, Temporal, or neither. */
export function unavailableDependency(err: unknown): 'MongoDB' | 'Temporal' | 'MongoDB or Temporal' | null {
  for (let e = err as { code?: unknown; cause?: unknown; name?: string } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof MongoServerSelectionError || e instanceof MongoNetworkError || e instanceof MongoNotConnectedError || e instanceof MongoTopologyClosedError) return 'MongoDB';
    // The embedded FerretDB's SQLite is busy: a passing condition, and the request can be repeated.
    if (isDatabaseBusy(e)) return 'MongoDB';
    if (typeof e.code === 'number' && GRPC_UNAVAILABLE.has(e.code) && ('details' in e || 'metadata' in e)) return 'Temporal';
    // The request's deadline passed while it waited: for Temporal mostly, but it cannot tell.
    if (e instanceof TemporalDeadlineError) return 'MongoDB or Temporal';
    if (e.name === 'TransportError') return 'Temporal';
  }
  return null;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const requestId = String(req.id ?? '');
  let status = 500;
  let body: Record<string, unknown>;
  if (err instanceof ServiceError) err = new HttpError(statusOf[err.kind], err.code, err.message, err.fields, err.extra);
  const down = err instanceof HttpError || err instanceof ServiceError ? null : unavailableDependency(err);
  if (down) {
    // The cause goes to the log; the client learns only which dependency is missing.
    req.log?.warn({ err, dependency: down }, 'dependency unavailable');
    err = new HttpError(503, 'unavailable', `${down} ${down.includes(' or ') ? 'did not answer in time' : 'is unavailable'}; retry later`, undefined, undefined, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
  if (err instanceof HttpError) {
    status = err.status;
    for (const [k, v] of Object.entries(err.headers ?? {})) res.setHeader(k, v);
    body = { code: err.code, message: err.message, requestId, ...(err.fields ? { fields: err.fields } : {}), ...(err.extra ?? {}) };
  } else if (err?.type === 'entity.parse.failed') {
    status = 400;
    body = { code: 'invalid_json', message: 'request body is not valid JSON', requestId, fields: [{ path: 'body', message: 'malformed JSON' }] };
  } else if (err?.type === 'entity.too.large') {
    status = 413;
    body = { code: 'payload_too_large', message: `request body exceeds the limit of ${err.limit} bytes`, requestId, limitBytes: err.limit };
  } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    status = err.status;
    body = { code: 'bad_request', message: String(err.message ?? 'bad request'), requestId };
  } else {
    req.log?.error({ err }, 'unhandled error');
    body = { code: 'internal', message: 'internal error', requestId };
  }
  res.status(status).json({ error: body });
};
