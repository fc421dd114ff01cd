/**
 * The one place that reads the process environment.
 *
 * Every variable is validated with zod; defaults describe the embedded stack that
 * `make dev` starts (dev server, FerretDB, Maesn sandbox on loopback). A bad value
 * stops the process at start-up with a message that names the variable.
 */
import { z } from 'zod';

/**
 * Development defaults of `make dev` and the product. Not secrets in production. The sandbox package
 * has the same API key and signing secret as its own defaults (test/unit/config.test.ts checks).
 */
export const DEV_DEFAULTS = {
  maesnApiKey: 'sandbox-api-key-change-me',
  maesnSigningSecret: 'sandbox-signing-secret-change-me',
  // 32 zero-bytes would be silly even for dev; this is a fixed, documented dev key.
  encryptionKey: 'ZGV2LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzLWxvbmc=',
} as const;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A Temporal/ms-style duration such as `90s`, `15 minutes`, `1h`, `2 days`. */
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i;
const duration = z.string().regex(DURATION_RE, 'must be a duration like 30s, 15m, 1h or 2 days');

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration the schema accepted (`10m` → 600000). */
export function durationMs(d: string): number {
  const m = DURATION_RE.exec(d.trim());
  if (!m) throw new Error(`not a duration: ${d}`);
  const unit = m[2].toLowerCase();
  const key = unit.startsWith('ms') || unit.startsWith('milli') ? 'ms' : unit[0];
  return Math.round(Number(m[1]) * UNIT_MS[key]);
}

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const base64Key32 = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
});

export const targetSystems = ['exact-nl', 'exact-be', 'exact-de', 'exact-gb'] as const;
export type TargetSystem = (typeof targetSystems)[number];

const productSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel.default('info'),
  LOG_PRETTY: bool.optional(),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('exact-export'),
  TEMPORAL_UI_URL: url.default('http://localhost:8233'),

  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').default('mongodb://127.0.0.1:27017'),
  MONGODB_DB: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('exact_export'),

  MAESN_BASE_URL: url.default('http://127.0.0.1:4010'),
  MAESN_API_KEY: z.string().min(8).default(DEV_DEFAULTS.maesnApiKey),
  MAESN_SIGNING_SECRET: z.string().min(8).default(DEV_DEFAULTS.maesnSigningSecret),
  MAESN_TARGET_SYSTEM: z.enum(targetSystems).default('exact-nl'),
  MAESN_TIMEOUT_MS: positiveInt.default(30_000),

  API_PORT: port.default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: url.default('http://localhost:3000'),
  WORKER_METRICS_PORT: port.default(9464),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),

  ENCRYPTION_KEY: base64Key32.default(DEV_DEFAULTS.encryptionKey),

  ONBOARDING_AUTHORIZATION_TIMEOUT: duration.default('1h'),
  RESYNC_INTERVAL: duration.default('1h'),
  FULL_SYNC_EVERY: duration.default('24h'),

  EXPORT_REMINDER_INTERVAL: duration.default('24h'),
  EXPORT_REAUTH_CHECK_INTERVAL: duration.default('1m'),
  EXPORT_SETTLE_PERIOD: duration.default('10m'),
  EXPORT_MAX_UNKNOWN: positiveInt.default(3),
  EXPORT_MAX_RECEIPT_BYTES: positiveInt.default(10 * 1024 * 1024),
  EXPORT_MAX_REPORT_BYTES: positiveInt.default(40 * 1024 * 1024),
});

export type ProductConfig = ReturnType<typeof toProductConfig>;

function toProductConfig(e: z.infer<typeof productSchema>) {
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL,
    },
    mongo: { uri: e.MONGODB_URI, db: e.MONGODB_DB },
    maesn: {
      baseUrl: e.MAESN_BASE_URL,
      apiKey: e.MAESN_API_KEY,
      signingSecret: e.MAESN_SIGNING_SECRET,
      targetSystem: e.MAESN_TARGET_SYSTEM,
      timeoutMs: e.MAESN_TIMEOUT_MS,
    },
    api: { port: e.API_PORT, host: e.API_HOST, publicBaseUrl: e.PUBLIC_BASE_URL },
    worker: { metricsPort: e.WORKER_METRICS_PORT, metricsHost: e.WORKER_METRICS_HOST },
    encryptionKey: Buffer.from(e.ENCRYPTION_KEY, 'base64'),
    onboarding: {
      authorizationTimeout: e.ONBOARDING_AUTHORIZATION_TIMEOUT,
      resyncInterval: e.RESYNC_INTERVAL,
      fullSyncEvery: e.FULL_SYNC_EVERY,
    },
    exports: {
      reminderInterval: e.EXPORT_REMINDER_INTERVAL,
      reauthorizationCheckInterval: e.EXPORT_REAUTH_CHECK_INTERVAL,
      /** No lookup concludes "nothing was posted" earlier than this after the last POST. */
      settlePeriodMs: durationMs(e.EXPORT_SETTLE_PERIOD),
      /** Unanswered POSTs (each looked up in vain) before an export stops in needs_review. */
      maxUnknownOutcomes: e.EXPORT_MAX_UNKNOWN,
      /** Largest receipt file, decoded. */
      maxReceiptBytes: e.EXPORT_MAX_RECEIPT_BYTES,
      /** Largest export request body (JSON with base64 receipts). */
      maxReportBytes: e.EXPORT_MAX_REPORT_BYTES,
    },
  };
}

const devSchema = z.object({
  DEV_DATA_DIR: z.string().min(1).default('.data'),
  DEV_TEMPORAL_PORT: port.default(7233),
  DEV_TEMPORAL_UI_PORT: port.default(8233),
  DEV_MONGO_PORT: port.default(27017),
});

/** Ports and data folder of the embedded stack that `make dev` starts (scripts/dev.ts). */
export function loadDevConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = parse(devSchema, env);
  return { dataDir: e.DEV_DATA_DIR, temporalPort: e.DEV_TEMPORAL_PORT, temporalUiPort: e.DEV_TEMPORAL_UI_PORT, mongoPort: e.DEV_MONGO_PORT };
}

/** Names of every variable the product reads (for docs and deployment checks). */
export const productEnvVars = Object.keys(productSchema.shape);

/** Thrown when the environment is invalid; the message names every bad variable, never its value. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

function parse<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings count as unset, so `FOO= make dev` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  return result.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ProductConfig {
  return toProductConfig(parse(productSchema, env));
}
