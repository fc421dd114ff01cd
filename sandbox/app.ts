/**
 * The sandbox's express app: Maesn's routes (one module per resource under routes/), the hosted
 * connect page, the sandbox-only control API, and Maesn's error envelope for whatever fails.
 */
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import type { Logger } from 'pino';
import { hashKey, RequestLog, type SandboxContext } from './context';
import { FaultRegistry } from './faults';
import { badRequest, notFound, SandboxHttpError } from './http-errors';
import { MonotonicClock } from './ids';
import { Pipeline, sendError, type RouteDeps } from './pipeline';
import { RateLimiter } from './rate-limit';
import { registerAccountRoutes } from './routes/accounts';
import { registerAuthRoutes } from './routes/auth';
import { registerControlRoutes } from './routes/control';
import { registerDimensionRoutes } from './routes/dimensions';
import { registerJournalEntryRoutes } from './routes/journal-entries';
import { registerJournalRoutes } from './routes/journals';
import { registerPassThroughRoutes } from './routes/pass-through';
import { registerSupplierRoutes } from './routes/suppliers';
import { registerTaxRateRoutes } from './routes/tax-rates';
import { registerWebhookRoutes } from './routes/webhooks';
import { WebhookRegistry } from './webhooks';
import { SandboxState } from './state';

export interface SandboxAppOptions {
  dataDir: string;
  apiKey: string;
  signingSecret: string;
  rateLimit?: { perMinute: number; perDay: number };
  logger: Logger;
  /** Seed the demo divisions when dataDir holds no state. */
  seed: boolean;
  now: () => number;
  /** Base URL of the hosted login page (known once the server listens). */
  publicUrl(): string;
}

export interface SandboxApp {
  app: Express;
  /** Lets go of the requests a `timeout` fault holds (before the server closes). */
  releaseHeld(): void;
  /** Flushes the state to disk (after the server closed). */
  close(): Promise<void>;
}

export function createSandboxApp(opts: SandboxAppOptions): SandboxApp {
  const { logger } = opts;
  const clock = new MonotonicClock(opts.now);
  const defaults = { rateLimit: opts.rateLimit ?? { perMinute: 60, perDay: 5000 } };
  const state = new SandboxState(opts.dataDir, logger, clock, defaults, { seed: opts.seed, rateLimitOverride: opts.rateLimit !== undefined });
  const ctx: SandboxContext = {
    requests: new RequestLog(),
    state,
    limiter: new RateLimiter(state.settings.rateLimit),
    faults: new FaultRegistry(),
    clock,
    logger,
    apiKeyHash: hashKey(opts.apiKey),
    webhooks: new WebhookRegistry(state.store, clock, logger),
    toIso: () => clock.iso(),
  };
  const pipeline = new Pipeline(ctx);
  const deps: RouteDeps = { ctx, pipeline };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'extended');

  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 }, 'sandbox request');
    });
    next();
  });

  app.get('/health', (req, res) => {
    if (pipeline.faulted('check', req, res)) return;
    res.status(200).json({ status: 'ok' });
  });

  registerAuthRoutes(app, deps, { signingSecret: opts.signingSecret, publicUrl: opts.publicUrl });
  registerAccountRoutes(app, deps);
  registerTaxRateRoutes(app, deps);
  registerPassThroughRoutes(app, deps);
  registerSupplierRoutes(app, deps);
  registerJournalRoutes(app, deps);
  registerDimensionRoutes(app, deps);
  registerJournalEntryRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerControlRoutes(app, ctx);

  app.use((req, res) => {
    sendError(res, notFound(`Endpoint ${req.method} ${req.path} is not supported for this target system`), null);
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    void _next;
    if (res.headersSent) return;
    const target = (res.locals.target as string | undefined) ?? null;
    if (err instanceof SandboxHttpError) return sendError(res, err, target);
    if (err instanceof multer.MulterError) return sendError(res, badRequest(`Invalid multipart body: ${err.message}`, [{ code: 'INVALID', message: err.message, field: err.field }]), target);
    const e = err as { type?: string; status?: number; message?: string };
    if (e && (e.type === 'entity.parse.failed' || e.status === 400)) return sendError(res, badRequest(`Invalid request body: ${e.message ?? ''}`), target);
    if (e && e.status === 413) return sendError(res, new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', 'Request body too large'), target);
    logger.error({ err, path: req.path }, 'sandbox internal error');
    sendError(res, new SandboxHttpError(500, 'INTERNAL_ERROR', 'Internal sandbox error'), target);
  });

  return {
    app,
    releaseHeld: () => pipeline.releaseHeld(),
    close: () => state.close(),
  };
}
