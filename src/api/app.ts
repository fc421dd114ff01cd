/**
 * The product's HTTP API (express): security headers, request IDs and logs, metrics, and every
 * route, each declared with its access rule (see access.ts and route.ts).
 */
import { randomUUID } from 'node:crypto';
import cookieParser from 'cookie-parser';
import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import client from 'prom-client';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client as TemporalClient, type Connection, type ConnectionOptions } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Db } from 'mongodb';
import type { ProductConfig } from '../config';
import type { Logger } from '../logger';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { webhookEventSchema } from '../domain';
import { eventDispatcher } from '../services';
import { createStores, type Stores } from '../store';
import { PayloadEncryptionCodec } from '../temporal';
import { AccessControl, securitySchemes } from './access';
import { loadAdminPage } from './admin/page';
import { codecCors, codecRoutes } from './codec';
import { errorHandler, notFoundHandler } from './errors';
import type { Api } from './route';
import { exportDetailRoutes } from './routes/export-detail';
import { exportRoutes } from './routes/exports';
import { mappingReviewRoutes } from './routes/mapping-review';
import { maesnWebhookRoutes } from './routes/maesn-webhooks';
import { operationsRoutes } from './routes/operations';
import { sessionRoutes } from './routes/sessions';
import { syncRunRoutes } from './routes/sync-runs';
import { tenantRoutes } from './routes/tenants';
import { webhookRoutes } from './routes/webhooks';

export interface ApiDeps {
  config: ProductConfig;
  logger: Logger;
  db: Db;
  temporal: { client: TemporalClient; connection: Connection };
  /** Prometheus registry; a fresh one per app keeps tests independent. */
  registry?: client.Registry;
  stores?: Stores;
  /** The Temporal payload codec (default: the one of ENCRYPTION_KEYS). */
  codec?: PayloadCodec;
}

/**
 * The API's MongoDB client gives up quickly: a request answers 503 (Retry-After) within a few
 * seconds when the database cannot be reached, instead of hanging or failing with 500.
 */
export const API_MONGO_OPTIONS = { serverSelectionTimeoutMS: 2_000, socketTimeoutMS: 30_000 } as const;

/**
 * The API's Temporal connection retries a failed call a few times only (the client's default is
 * ten, with back-off): a request answers 503 instead, and no call keeps retrying long after it.
 */
export function apiTemporalConnectionOptions(): Pick<ConnectionOptions, 'interceptors'> {
  return { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] };
}

/** Masks query values that can carry credentials (the OAuth-style callback brings an account key). */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:accountKey|signature|apiKey|token|code)=)[^&#]*/gi, '$1[redacted]');
}

/**
 * Security headers on every response (helmet): a CSP that allows scripts and styles only from this
 * origin (the admin page's modules; no inline script or style at all) and same-origin API calls,
 * no framing, no sniffing, no referrer, and HSTS outside development.
 */
function securityHeaders(hsts: boolean) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
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
  const page = loadAdminPage();

  const app = express();
  app.disable('x-powered-by');
  // Which address is the client's (per-client limits of failed authentication): see TRUST_PROXY.
  app.set('trust proxy', deps.config.access.trustProxy);

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Short request lines; query values that may carry credentials are masked; no headers (credentials, cookies).
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: redactUrl(String(req.url)) }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(securityHeaders(deps.config.access.secureTransport));

  app.use((req, res, next) => {
    const end = httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      // Route pattern, not the raw URL, so IDs don't explode label cardinality.
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });

  app.use(cookieParser());

  const stores = deps.stores ?? createStores(deps.db, deps.config);
  // Events the API records (mapping health after saving mappings) go to the delivery workflows.
  stores.webhooks.setDispatcher(eventDispatcher({ config: deps.config, logger: deps.logger, temporal: deps.temporal.client, stores }));
  const access = new AccessControl(deps.config);
  const openapi = new OpenAPIRegistry();
  openapi.registerComponent('securitySchemes', 'platformKey', securitySchemes.platformKey);
  openapi.registerComponent('securitySchemes', 'adminSession', securitySchemes.adminSession);
  // The body of every webhook the service sends (for generated clients).
  openapi.registerComponent('schemas', 'WebhookEvent', z.toJSONSchema(webhookEventSchema, { target: 'openapi-3.0', io: 'output' }) as never);
  const router = Router();
  const api: Api = { router, registry: openapi, access, temporal: deps.temporal.client };
  const routeDeps = { config: deps.config, logger: deps.logger, stores, temporal: deps.temporal.client, access };

  let document: unknown;
  operationsRoutes({ db: deps.db, connection: deps.temporal.connection, metrics: registry, openApiDocument: () => document, adminPage: page }, api);
  sessionRoutes(routeDeps, api);
  tenantRoutes(routeDeps, api);
  exportRoutes(routeDeps, api);
  exportDetailRoutes(routeDeps, api);
  mappingReviewRoutes(routeDeps, api);
  syncRunRoutes(routeDeps, api);
  webhookRoutes(routeDeps, api);
  maesnWebhookRoutes(routeDeps, api);
  // The Temporal UI / CLI codec endpoint, for holders of the platform key (see ./codec and ./ops).
  codecRoutes(api, deps.codec ?? new PayloadEncryptionCodec(deps.config.keyRing));
  document = new OpenApiGeneratorV3(openapi.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'Exact Online expense export API', version: '1.0.0', description: 'Connect tenants to Exact Online through Maesn and export approved expense reports.' },
  });
  app.use('/codec', codecCors(deps.config.codec.corsOrigins));
  app.use(router);


  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
