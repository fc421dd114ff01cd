/**
 * Operations and the admin page: liveness and readiness (public; readiness names what is missing,
 * never the error text), Prometheus metrics and the OpenAPI document (platform key), and the
 * admin page shell (public: it holds no data; its API calls need a session).
 */
import type client from 'prom-client';
import type { Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { pingMongo } from '../../store';
import type { AdminPage } from '../admin-page';
import { addRoute, errors, type Api } from '../route';

const READY_CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]);
}

export interface OperationsDeps {
  db: Db;
  connection: Connection;
  metrics: client.Registry;
  /** The OpenAPI document (built once every route is declared). */
  openApiDocument: () => unknown;
  adminPage: AdminPage;
}

export function operationsRoutes(ops: OperationsDeps, api: Api): void {
  addRoute(api, {
    method: 'get',
    path: '/healthz',
    access: 'public',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: () => ({ status: 'ok' as const }),
  });

  addRoute(api, {
    method: 'get',
    path: '/readyz',
    access: 'public',
    summary: 'Readiness: MongoDB and Temporal answer (names what is missing; details are in the log)',
    tags: ['operations'],
    responses: {
      200: { description: 'ready', schema: z.object({ status: z.string(), failed: z.array(z.string()), checks: z.record(z.string(), z.object({ ok: z.boolean() })) }) },
      ...errors(503),
    },
    handler: async (_input, req, res) => {
      const checks: Record<string, { ok: boolean }> = {};
      const fail = (name: string) => (err: Error) => {
        // The cause is for operators, not for whoever can reach this public route.
        req.log?.warn({ check: name, err: { message: err.message } }, 'readiness check failed');
        checks[name] = { ok: false };
      };
      await Promise.all([
        withTimeout(pingMongo(ops.db), READY_CHECK_TIMEOUT_MS, 'MongoDB')
          .then(() => (checks.mongodb = { ok: true }))
          .catch(fail('mongodb')),
        // The gRPC deadline bounds the call (connection set-up included), so no call outlives the request.
        ops.connection
          .withDeadline(Date.now() + READY_CHECK_TIMEOUT_MS, () => ops.connection.healthService.check({}))
          .then((r) => {
            // SERVING = 1 in grpc.health.v1
            if (r.status === 1) checks.temporal = { ok: true };
            else fail('temporal')(new Error(`health status ${r.status}`));
          })
          .catch(fail('temporal')),
      ]);
      const failed = Object.entries(checks)
        .filter(([, c]) => !c.ok)
        .map(([k]) => k);
      res.status(failed.length ? 503 : 200).json({ status: failed.length ? 'unavailable' : 'ready', failed, checks });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/metrics',
    access: 'platform',
    summary: 'Prometheus metrics of the API process',
    tags: ['operations'],
    responses: { 200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain' } },
    handler: async (_input, _req, res) => {
      res.setHeader('Content-Type', ops.metrics.contentType);
      res.send(await ops.metrics.metrics());
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/openapi.json',
    access: 'platform',
    summary: 'This document',
    tags: ['operations'],
    responses: { 200: { description: 'OpenAPI 3.0 document', schema: z.record(z.string(), z.unknown()) } },
    handler: () => ops.openApiDocument(),
  });

  addRoute(api, {
    method: 'get',
    path: '/admin',
    access: 'public',
    summary: 'The admin page (Integrations → Exact Online); open it through a one-time link from `POST /api/tenants/{tenantId}/admin-sessions`',
    tags: ['admin sessions'],
    query: z.strictObject({
      tenant: z.string().max(64).optional(),
      connected: z.literal('1').optional(),
      cancelled: z.literal('1').optional(),
    }),
    responses: { 200: { description: 'the page', schema: z.string(), contentType: 'text/html' } },
    handler: (_input, _req, res) => {
      res.type('html').send(ops.adminPage.html);
    },
  });
}
