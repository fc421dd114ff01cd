/**
 * Declares an HTTP route once: its access rule (who may call it), zod schemas that validate
 * params, query and body (a 400 names the wrong field, unknown keys included) and the same
 * schemas and rule in the OpenAPI document. A route cannot be declared without an access rule.
 */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { securityOf, type AccessControl, type AccessRule, type Principal } from './access';
import { HttpError, TemporalDeadlineError, parseOr400 } from './errors';

type Method = 'get' | 'post' | 'put' | 'delete';

/** Longest a request waits for Temporal; past it the API answers 503 (the call is idempotent to repeat). */
export const TEMPORAL_DEADLINE_MS = 4_000;
/** How long a route with a longer Temporal deadline first waits for the server to answer at all. */
const TEMPORAL_PROBE_MS = 2_000;

/** Where routes are declared: the router, the OpenAPI registry, access control and the Temporal client. */
export interface Api {
  router: Router;
  registry: OpenAPIRegistry;
  access: AccessControl;
  temporal: Client;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Express-style path, e.g. `/api/tenants/:tenantId`. */
  path: string;
  /** Who may call it (see access.ts). */
  access: AccessRule;
  summary: string;
  tags: string[];
  params?: P;
  /** Query parameters (strict: unknown ones are refused). Without it, the route takes none. */
  query?: Q;
  /** JSON body (strict). Without it, a write takes no body or `{}`. */
  body?: B;
  /** Largest body accepted (default 1 MiB); read only after the caller is authorized. */
  bodyLimitBytes?: number;
  /** Keep the raw JSON bytes in `req.rawBody` (to verify a signature over them). */
  rawBody?: boolean;
  /**
   * A longer deadline for Temporal calls that wait for a worker (e.g. an update). The server is
   * probed first with a short deadline, so an unreachable Temporal still answers 503 quickly.
   */
  temporalDeadlineMs?: number;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B>; principal: Principal | null },
    req: Request,
    res: Response,
  ) => Promise<unknown> | unknown;
}

/** A request whose route declared `rawBody`. */
export type RawBodyRequest = Request & { rawBody?: Buffer };

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z_]\w*)/g, '{$1}');
const noQuery = z.strictObject({});
const noBody = z.strictObject({}).optional();

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

export function addRoute<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown>(
  api: Api,
  spec: RouteSpec<P, Q, B>,
): void {
  const responses: RouteConfig['responses'] = {};
  const standard: RouteSpec<P, Q, B>['responses'] = errors(...(spec.access === 'public' ? [] : [401, 429]), ...(spec.access === 'platform' ? [403] : []), 503);
  for (const [status, r] of Object.entries({ ...standard, ...spec.responses })) {
    responses[status] = r.schema
      ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
      : { description: r.description };
  }
  api.registry.registerPath({
    method: spec.method,
    path: toOpenApiPath(spec.path),
    summary: spec.summary,
    tags: spec.tags,
    security: securityOf[spec.access],
    'x-access': spec.access,
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
    },
    responses,
  });

  const takesBody = spec.method !== 'get';
  const parseJson = express.json({
    limit: spec.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    ...(spec.rawBody ? { verify: (req: Request, _res: Response, buf: Buffer) => void ((req as RawBodyRequest).rawBody = Buffer.from(buf)) } : {}),
  });
  api.router[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const principal = await api.access.authorize(spec.access, req, res);
      if (takesBody && hasBody(req)) {
        if (!req.is('application/json')) {
          throw new HttpError(415, 'json_required', 'the body must be JSON (Content-Type: application/json)', [{ path: 'body', message: 'not JSON' }]);
        }
        // Read only now: nobody can make the API read (up to 40 MiB of) a body without a credential.
        await new Promise<void>((resolve, reject) => parseJson(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      }
      const input = {
        params: spec.params ? parseOr400(spec.params, req.params, 'params') : req.params,
        query: parseOr400(spec.query ?? noQuery, req.query, 'query'),
        body: takesBody ? parseOr400(spec.body ?? noBody, spec.body ? (req.body ?? {}) : req.body, 'body') : undefined,
        principal,
      };
      // Every Temporal call the handler makes has a deadline: a hung server cannot hang the request.
      if (spec.temporalDeadlineMs) await withTemporalDeadline(api.temporal, TEMPORAL_PROBE_MS, () => api.temporal.workflowService.getSystemInfo({}));
      const result = await withTemporalDeadline(api.temporal, spec.temporalDeadlineMs ?? TEMPORAL_DEADLINE_MS, async () => spec.handler(input as never, req, res));
      if (!res.headersSent && result !== undefined) res.json(result);
    } catch (err) {
      next(err);
    }
  });
}

/**
 * Runs `fn` with a gRPC deadline on every Temporal call it makes, and gives up (503) shortly after
 * it in any case: gRPC's connection back-off and the client's retries can outlast the deadline by
 * seconds when the server is down. The work itself is idempotent to repeat.
 */
export async function withTemporalDeadline<T>(temporal: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  const work = temporal.connection.withDeadline(Date.now() + ms, fn);
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TemporalDeadlineError(ms)), ms + 250);
  });
  try {
    return await Promise.race([work, giveUp]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // settles later, unobserved
  }
}

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

/** Standard error responses for a route. */
export function errors(...statuses: number[]): Record<number, { description: string; schema: z.ZodType }> {
  const text: Record<number, string> = {
    400: 'invalid input; `fields` names each wrong field',
    404: 'not found',
    401: 'no valid credential (platform key or admin session)',
    403: 'the credential may not use this route (or a cookie write without JSON and a same-origin `Origin`)',
    409: 'conflict with the current state',
    413: 'payload too large',
    415: 'the body is not JSON',
    429: 'too many failed authentication attempts from this client (`Retry-After`)',
    502: 'Maesn or Exact Online failed',
    503: 'MongoDB or Temporal is unavailable (`Retry-After`)',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s] ?? 'error', schema: errorBodySchema }]));
}
