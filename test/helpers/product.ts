/**
 * The whole product in one test process, wired to the real stack: a worker on its own task queue,
 * the API on a free port, a fresh database, and a Maesn sandbox of its own (over HTTP).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino from 'pino';
import type { Express } from 'express';
import { createApp } from '../../src/api/app';
import { loadConfig, type ProductConfig } from '../../src/config';
import { MaesnClient } from '../../src/maesn';
import { SandboxControl, startSandbox } from '@exact-export/maesn-sandbox';
import { createStores, logMongoRecovery, type Stores } from '../../src/store';
import { productDataConverter, temporalConnectionOptions } from '../../src/temporal';
import { createProductWorker } from '../../src/worker';
import { listen } from './http';
import { testDb, testStack, uniqueId } from './stack';

export interface Product {
  config: ProductConfig;
  apiUrl: string;
  sandboxUrl: string;
  sandbox: SandboxControl;
  stores: Stores;
  db: import('mongodb').Db;
  temporal: Client;
  worker: Worker;
  taskQueue: string;
  /** The platform key the API accepts (`Authorization: Bearer …`). */
  platformKey: string;
  /** The express app (its declared routes are checked against the OpenAPI document). */
  app: Express;
  /** fetch against the API with the platform key; JSON in and out; a GET answered 503 `unavailable` is asked again (twice at most). */
  call(method: string, p: string, body?: unknown): Promise<ApiResponse>;
  /** fetch against the API with other credentials (`auth: 'none'`, or an admin session cookie) and headers. */
  request(method: string, p: string, opts?: RequestOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** `platform` (default), `none`, or a session: the cookie header value and the Origin to send on writes. */
  auth?: 'platform' | 'none' | { cookie: string; origin?: string | null };
  headers?: Record<string, string>;
}

/** The platform key of the tests (not the development key). */
export const TEST_PLATFORM_KEY = 'test-platform-key-0123456789abcdef-0123456789';

export interface ProductOptions {
  /** Extra environment for loadConfig (durations, etc.). */
  env?: Record<string, string>;
  /** Sandbox rate limits (default: high, so tests are not throttled unless they want to be). */
  rateLimit?: { perMinute: number; perDay: number };
  /** Start no worker (a test that runs its own, e.g. in a child process). */
  noWorker?: boolean;
  /** A Temporal server of the test's own (one it restarts) instead of the shared one. */
  temporalAddress?: string;
  /** A MongoDB of the test's own (one it stops) instead of the shared one. */
  mongoUri?: string;
  /** Passed to the worker (e.g. a prebuilt workflow bundle). */
  workerOverrides?: Partial<import('@temporalio/worker').WorkerOptions>;
}

export async function startProduct(opts: ProductOptions = {}): Promise<Product> {
  const stack = testStack();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const sandboxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
  const apiKey = 'product-test-api-key';
  const signingSecret = 'product-test-signing-secret';
  const sandbox = await startSandbox({
    port: 0,
    dataDir: sandboxDir,
    apiKey,
    signingSecret,
    rateLimit: opts.rateLimit ?? { perMinute: 100_000, perDay: 10_000_000 },
    logger,
  });
  const temporalAddress = opts.temporalAddress ?? stack.temporalAddress;
  const mongoUri = opts.mongoUri ?? stack.mongoUri;
  const mongo = await testDb('product', mongoUri, { onRecovery: logMongoRecovery(logger) });
  const taskQueue = uniqueId('tq');

  // The API's public URL is needed in config before it listens: reserve it by listening first.
  let config = loadConfig({
    NODE_ENV: 'test',
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGODB_URI: mongoUri,
    MONGODB_DB: mongo.db.databaseName,
    MAESN_BASE_URL: sandbox.url,
    MAESN_API_KEY: apiKey,
    MAESN_SIGNING_SECRET: signingSecret,
    MAESN_TIMEOUT_MS: '10000',
    PLATFORM_API_KEY: TEST_PLATFORM_KEY,
    // A tenant's resync schedule fires once a year here, not every hour: a sync nobody asked for,
    // in the middle of a test that counts calls or writes, would fail it at random. Tests of the
    // schedule itself say RESYNC_INTERVAL; the others start syncs themselves.
    RESYNC_INTERVAL: '365d',
    ...opts.env,
  });
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  // The product's data converter: what the test client starts, signals and reads is encrypted too.
  const temporal = new Client({ connection, dataConverter: productDataConverter(config.keyRing) });
  const stores = createStores(mongo.db, config);
  const maesn = MaesnClient.fromConfig(config.maesn, {});

  let apiServer: Awaited<ReturnType<typeof listen>> | undefined;
  const placeholder = createApp({ config, logger, db: mongo.db, temporal: { client: temporal, connection }, stores });
  apiServer = await listen(placeholder);
  // Now that the port is known, rebuild the app with the right public URL on the same server.
  config = { ...config, api: { ...config.api, publicBaseUrl: apiServer.url } };
  const app = createApp({ config, logger, db: mongo.db, temporal: { client: temporal, connection }, stores });
  apiServer.setHandler(app);
  const apiUrl = apiServer.url;

  async function request(method: string, p: string, ro: RequestOptions = {}): Promise<ApiResponse> {
    const { body } = ro;
    const auth = ro.auth ?? 'platform';
    const headers: Record<string, string> = { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
    if (auth === 'platform') headers.authorization = `Bearer ${config.access.platformKeys[0]}`;
    else if (auth !== 'none') {
      headers.cookie = auth.cookie;
      // A browser sends Origin on every write; a test can leave it out (null) or fake another.
      if (method !== 'GET' && auth.origin !== null) headers.origin = auth.origin ?? apiUrl;
    }
    const res = await fetch(`${apiUrl}${p}`, {
      method,
      headers: { ...headers, ...ro.headers },
      body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  let worker: Worker | undefined;
  let nativeConnection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  if (!opts.noWorker) {
    nativeConnection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    worker = await createProductWorker({ config, logger, db: mongo.db, connection: nativeConnection, temporal, maesn, overrides: { taskQueue, shutdownGraceTime: '1s', ...opts.workerOverrides } });
    running = worker.run();
  }

  return {
    config,
    apiUrl: apiServer.url,
    sandboxUrl: sandbox.url,
    sandbox: new SandboxControl(sandbox.url, apiKey),
    stores,
    db: mongo.db,
    temporal,
    worker: worker!,
    taskQueue,
    platformKey: config.access.platformKeys[0],
    app,
    call: async (method, p, body) => {
      // As the platform does: a read answered 503 `unavailable` (a dependency did not answer within
      // the API's deadline, which happens on this 2-core machine when the suite is busiest) is asked
      // again after Retry-After, twice at most. Writes are not asked again; tests of the 503 itself
      // use `request`.
      for (let attempt = 0; ; attempt++) {
        const res = await request(method, p, { body });
        if (method !== 'GET' || res.status !== 503 || res.body?.error?.code !== 'unavailable' || attempt === 2) return res;
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
      }
    },
    request,
    async close() {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await running?.catch(() => undefined);
      await apiServer?.close();
      await Promise.allSettled([sandbox.close(), maesn.close(), connection.close(), nativeConnection?.close()]);
      await mongo.dispose();
      fs.rmSync(sandboxDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
