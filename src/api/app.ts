/**
 * The product's HTTP API (express). Health, readiness and metrics live here; feature routers
 * are mounted by `createApp`.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import client from 'prom-client';
import type { Client as TemporalClient, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { createStores, pingMongo, type Stores } from '../store';
import { adminPage } from './admin-page';
import { errorHandler, notFoundHandler } from './errors';
import { exportRoutes } from './routes/exports';
import { tenantRoutes } from './routes/tenants';

export interface ApiDeps {
  config: ProductConfig;
  logger: Logger;
  db: Db;
  temporal: { client: TemporalClient; connection: Connection };
  /** Prometheus registry; a fresh one per app keeps tests independent. */
  registry?: client.Registry;
  stores?: Stores;
}

/** Masks query values that can carry credentials (the OAuth-style callback brings an account key). */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:accountKey|signature|apiKey|token|code)=)[^&#]*/gi, '$1[redacted]');
}

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

export function createApp(deps: ApiDeps): Express {
  const registry = deps.registry ?? new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Short request lines; query values that may carry credentials are masked.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: redactUrl(String(req.url)) }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  app.use((req, res, next) => {
    const end = httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      // Route pattern, not the raw URL, so IDs don't explode label cardinality.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    await Promise.all([
      withTimeout(pingMongo(deps.db), READY_CHECK_TIMEOUT_MS, 'MongoDB')
        .then(() => (checks.mongodb = { ok: true }))
        .catch((e: Error) => (checks.mongodb = { ok: false, error: e.message })),
      // The gRPC deadline bounds the call (connection set-up included), so no call outlives the request.
      deps.temporal.connection
        .withDeadline(Date.now() + READY_CHECK_TIMEOUT_MS, () => deps.temporal.connection.healthService.check({}))
        .then((r) => {
          // SERVING = 1 in grpc.health.v1
          checks.temporal = r.status === 1 ? { ok: true } : { ok: false, error: `health status ${r.status}` };
        })
        .catch((e: Error) => (checks.temporal = { ok: false, error: e.message })),
    ]);
    const failed = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([k]) => k);
    res.status(failed.length ? 503 : 200).json({ status: failed.length ? 'unavailable' : 'ready', failed, checks });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });

  const stores = deps.stores ?? createStores(deps.db, deps.config.encryptionKey, { callLimits: deps.config.callLimits });
  const openapi = new OpenAPIRegistry();
  // Expense reports carry receipts (base64): their own, larger body limit.
  app.use('/api/tenants/:tenantId/expense-reports', express.json({ limit: deps.config.exports.maxReportBytes }));
  app.use('/api', express.json({ limit: '1mb' }));
  const routeDeps = { config: deps.config, logger: deps.logger, stores, temporal: deps.temporal.client };
  app.use(tenantRoutes(routeDeps, openapi));
  app.use(exportRoutes(routeDeps, openapi));

  const document = new OpenApiGeneratorV3(openapi.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Exact Online expense export API', version: '1.0.0', description: 'Connect tenants to Exact Online through Maesn and export approved expense reports.' },
  });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.get('/admin', (_req, res) => {
    res.type('html').send(adminPage({ temporalUiUrl: deps.config.temporal.uiUrl, namespace: deps.config.temporal.namespace }));
  });

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
