/**
 * Declares an HTTP route once: zod schemas validate params, query and body (a 400 names the
 * wrong field) and the same schemas describe the route in the OpenAPI document.
 */
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import { parseOr400 } from './errors';

type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Express-style path, e.g. `/api/tenants/:tenantId`. */
  path: string;
  summary: string;
  tags: string[];
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> },
    req: Request,
    res: Response,
  ) => Promise<unknown> | unknown;
}

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z_]\w*)/g, '{$1}');

export function addRoute<P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodUnknown>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<P, Q, B>,
): void {
  const responses: RouteConfig['responses'] = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = r.schema
      ? { description: r.description, content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
      : { description: r.description };
  }
  registry.registerPath({
    method: spec.method,
    path: toOpenApiPath(spec.path),
    summary: spec.summary,
    tags: spec.tags,
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } }, required: true } } : {}),
    },
    responses,
  });

  router[spec.method](spec.path, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const input = {
        params: spec.params ? parseOr400(spec.params, req.params, 'params') : req.params,
        query: spec.query ? parseOr400(spec.query, req.query, 'query') : req.query,
        body: spec.body ? parseOr400(spec.body, req.body ?? {}, 'body') : req.body,
      };
      const result = await spec.handler(input as never, req, res);
      if (!res.headersSent && result !== undefined) res.json(result);
    } catch (err) {
      next(err);
    }
  });
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
    409: 'conflict with the current state',
    413: 'payload too large',
    502: 'Maesn or Exact Online failed',
    503: 'a dependency is unavailable',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s] ?? 'error', schema: errorBodySchema }]));
}
