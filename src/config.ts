/**
 * The one place that reads the process environment.
 *
 * Every variable is validated with zod; defaults describe the embedded stack that
 * `make dev` starts (dev server, FerretDB, Maesn sandbox on loopback). A bad value
 * stops the process at start-up with a message that names the variable.
 */
import fs from 'node:fs';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { KEY_ID_PATTERN, KeyRing, type RingKey } from './crypto';

/**
 * Development defaults of `make dev` and the product. Not secrets in production. The sandbox package
 * has the same API key and signing secret as its own defaults (test/unit/config.test.ts checks).
 */
export const DEV_DEFAULTS = {
  maesnApiKey: 'sandbox-api-key-change-me',
  maesnSigningSecret: 'sandbox-signing-secret-change-me',
  // 32 zero-bytes would be silly even for dev; this is a fixed, documented dev key.
  encryptionKey: 'ZGV2LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzLWxvbmc=',
  /** The platform key of `make dev`, `npm run demo` and tests; refused with NODE_ENV=production. */
  platformApiKey: 'dev-platform-key-change-me-0123456789abcdef',
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

const isKey32 = (v: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32;
const KEY32_HINT = '32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)';
const base64Key32 = z.string().refine(isKey32, { message: `must be ${KEY32_HINT}` });

/**
 * `ENCRYPTION_KEYS`: `<id>:<base64 key>` entries separated by commas (or whitespace), the first is
 * current. Messages name the entry by position, never its content.
 */
const keyRingSpec = z.string().transform((v, ctx): RingKey[] => {
  const entries = v.split(/[\s,]+/).filter(Boolean);
  const keys: RingKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const key = entry.slice(colon + 1);
    if (colon < 0 || !KEY_ID_PATTERN.test(id)) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: expected <id>:<base64 key>, the ID of letters, digits, '.', '_' or '-'` });
    } else if (!isKey32(key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1} (${id}): the key must be ${KEY32_HINT}` });
    } else if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: 'custom', message: `entry ${i + 1}: key ID ${id} appears twice` });
    } else keys.push({ id, key: Buffer.from(key, 'base64') });
  });
  if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one <id>:<base64 key>' });
  return keys;
});

const readableFile = z.string().refine(
  (p) => {
    try {
      fs.accessSync(p, fs.constants.R_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  { message: 'is not a readable file' },
);
const pem = z.string().refine((v) => v.includes('-----BEGIN '), { message: 'must be PEM (-----BEGIN …)' });

const origins = z.string().transform((v, ctx) => {
  const list = v.split(',').map((o) => o.trim()).filter(Boolean);
  for (const o of list) {
    let ok = false;
    try {
      ok = new URL(o).origin === o;
    } catch {
      /* not a URL */
    }
    if (!ok) ctx.addIssue({ code: 'custom', message: `"${o}" is not an origin like http://localhost:8233` });
  }
  return list;
});

export const targetSystems = ['exact-nl', 'exact-be', 'exact-de', 'exact-gb'] as const;
export type TargetSystem = (typeof targetSystems)[number];

// --- access (platform keys, admin sessions; issue 10, access half) ---------------------------

/** One or more platform keys, comma-separated (the first is current; the others are accepted during a rotation). */
const platformKeys = z
  .string()
  .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.string().min(32, 'each key must be at least 32 characters (e.g. `openssl rand -base64 32`)').regex(/^[\x21-\x7e]+$/, 'keys are printable ASCII without spaces'))
      .min(1, 'at least one key'),
  );

/** `false` (default: use the socket address), a hop count, or a list of trusted proxy addresses/subnets. */
const trustProxy = z
  .string()
  .regex(/^(false|true|\d+|[0-9a-fA-F.:/,\s]+|loopback|linklocal|uniquelocal)$/, 'false, true, a hop count, or addresses/subnets separated by commas')
  .transform((v): boolean | number | string => (v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v));

function accessVariables() {
  return {
    /** Unset: the development key, except with NODE_ENV=production, which refuses to start (see `accessIssues`). */
    PLATFORM_API_KEY: platformKeys.optional(),
    ADMIN_SESSION_TTL: duration.default('8h'),
    ADMIN_LINK_TTL: duration.default('10m'),
    AUTH_FAILURE_LIMIT: positiveInt.default(20),
    TRUST_PROXY: trustProxy.default(false),
  };
}

/** Access settings that cannot be checked one variable at a time. Names the variable, never its value. */
function accessIssues(e: z.infer<typeof productSchema>): { variable: string; message: string }[] {
  if (e.NODE_ENV !== 'production') return [];
  if (!e.PLATFORM_API_KEY) return [{ variable: 'PLATFORM_API_KEY', message: 'required when NODE_ENV=production (no development key is used)' }];
  if (e.PLATFORM_API_KEY.includes(DEV_DEFAULTS.platformApiKey)) return [{ variable: 'PLATFORM_API_KEY', message: 'the development key is refused when NODE_ENV=production' }];
  return [];
}

function toAccessConfig(e: z.infer<typeof productSchema>) {
  return {
    /** Accepted platform keys; the first is current. */
    platformKeys: e.PLATFORM_API_KEY ?? [DEV_DEFAULTS.platformApiKey],
    /** Lifetime of the session cookie an admin page gets. */
    sessionTtl: e.ADMIN_SESSION_TTL,
    /** Lifetime of a one-time admin page link. */
    linkTtl: e.ADMIN_LINK_TTL,
    /** Failed authentication attempts per client and 15 minutes before 429. */
    authFailureLimit: e.AUTH_FAILURE_LIMIT,
    trustProxy: e.TRUST_PROXY,
    /** Secure cookies and HSTS (everywhere but development and tests, which run on plain http). */
    secureTransport: e.NODE_ENV === 'production',
  };
}

// --- end of access ------------------------------------------------------------------------------

const productSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel.default('info'),
  LOG_PRETTY: bool.optional(),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('exact-export'),
  TEMPORAL_UI_URL: url.default('http://localhost:8233'),
  /** Temporal Cloud / secured clusters: API key and TLS (names as the temporal CLI reads them). */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: readableFile.optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: readableFile.optional(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: pem.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: readableFile.optional(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: pem.optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),

  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').default('mongodb://127.0.0.1:27017'),
  MONGODB_DB: z.string().min(1).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only').default('exact_export'),

  MAESN_BASE_URL: url.default('http://127.0.0.1:4010'),
  MAESN_API_KEY: z.string().min(8).default(DEV_DEFAULTS.maesnApiKey),
  MAESN_SIGNING_SECRET: z.string().min(8).default(DEV_DEFAULTS.maesnSigningSecret),
  MAESN_TARGET_SYSTEM: z.enum(targetSystems).default('exact-nl'),
  MAESN_TIMEOUT_MS: positiveInt.default(30_000),
  /** Maesn webhooks in: events within this time after each other start one sync. */
  MAESN_WEBHOOK_DEBOUNCE: duration.default('3s'),
  /** Maesn webhooks in: a delivery whose timestamp is further from now is refused (replay window). */
  MAESN_WEBHOOK_TOLERANCE: duration.default('5m'),
  /** Maesn webhook subscriptions are renewed when they expire within this time. */
  MAESN_WEBHOOK_RENEW_BEFORE: duration.default('7 days'),
  EXACT_CALLS_PER_MINUTE: positiveInt.default(60),
  EXACT_CALLS_PER_DAY: positiveInt.default(5000),

  API_PORT: port.default(3000),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: url.default('http://localhost:3000'),
  WORKER_METRICS_PORT: port.default(9464),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),

  /** Key ring for account keys at rest and Temporal payloads; unset = the development key. */
  ENCRYPTION_KEYS: keyRingSpec.optional(),
  /** Earlier single key: still read as a ring of one key with ID `legacy`. */
  ENCRYPTION_KEY: base64Key32.optional(),

  /** Second listener for operators (Temporal UI codec endpoint); off unless a port is set. */
  OPS_HOST: z.string().min(1).default('127.0.0.1'),
  OPS_PORT: port.optional(),
  /** Origins of the Temporal UI allowed to call the codec endpoint; default: TEMPORAL_UI_URL's. */
  CODEC_CORS_ORIGINS: origins.optional(),

  RECEIPT_RETENTION: duration.default('30 days'),
  /** Outbound webhook events and their delivery log are kept this long (redelivery works within it). */
  WEBHOOK_LOG_RETENTION: duration.default('30 days'),

  ONBOARDING_AUTHORIZATION_TIMEOUT: duration.default('1h'),
  RESYNC_INTERVAL: duration.default('1h'),
  FULL_SYNC_EVERY: duration.default('24h'),

  EXPORT_REMINDER_INTERVAL: duration.default('24h'),
  EXPORT_REAUTH_CHECK_INTERVAL: duration.default('1m'),
  EXPORT_SETTLE_PERIOD: duration.default('10m'),
  EXPORT_MAX_UNKNOWN: positiveInt.default(3),
  EXPORT_MAX_RECEIPT_BYTES: positiveInt.default(10 * 1024 * 1024),
  EXPORT_MAX_REPORT_BYTES: positiveInt.default(40 * 1024 * 1024),

  ...accessVariables(),
});

type ProductEnv = z.infer<typeof productSchema>;

/** The ring from ENCRYPTION_KEYS, the earlier ENCRYPTION_KEY, or the development key. */
function keyRingOf(e: ProductEnv): KeyRing {
  if (e.ENCRYPTION_KEYS) return new KeyRing(e.ENCRYPTION_KEYS);
  if (e.ENCRYPTION_KEY) return new KeyRing([{ id: LEGACY_KEY_ID, key: Buffer.from(e.ENCRYPTION_KEY, 'base64') }]);
  return new KeyRing([{ id: DEV_KEY_ID, key: Buffer.from(DEV_DEFAULTS.encryptionKey, 'base64') }]);
}

/** Key ID of the ring made from a single ENCRYPTION_KEY. */
export const LEGACY_KEY_ID = 'legacy';
/** Key ID of the development key. */
export const DEV_KEY_ID = 'dev';

/**
 * Development defaults the service refuses with NODE_ENV=production, each with the variable that
 * must be set instead. An unset variable falls back to its default, so it is refused too.
 */
const DEVELOPMENT_DEFAULTS: { variable: string; isDevelopmentDefault: (e: ProductEnv) => boolean }[] = [
  { variable: 'MAESN_API_KEY', isDevelopmentDefault: (e) => e.MAESN_API_KEY === DEV_DEFAULTS.maesnApiKey },
  { variable: 'MAESN_SIGNING_SECRET', isDevelopmentDefault: (e) => e.MAESN_SIGNING_SECRET === DEV_DEFAULTS.maesnSigningSecret },
  {
    variable: 'ENCRYPTION_KEYS',
    isDevelopmentDefault: (e) => !e.ENCRYPTION_KEY && keyRingOf(e).contains(Buffer.from(DEV_DEFAULTS.encryptionKey, 'base64')),
  },
  { variable: 'ENCRYPTION_KEY', isDevelopmentDefault: (e) => !e.ENCRYPTION_KEYS && e.ENCRYPTION_KEY === DEV_DEFAULTS.encryptionKey },
];

/** Rules across variables; each issue names the variable. */
function crossChecks(e: ProductEnv): { variable: string; message: string }[] {
  const issues: { variable: string; message: string }[] = [];
  if (e.ENCRYPTION_KEYS && e.ENCRYPTION_KEY) {
    issues.push({ variable: 'ENCRYPTION_KEY', message: `set only ENCRYPTION_KEYS (put this key in it as "${LEGACY_KEY_ID}:<key>")` });
  }
  for (const item of ['SERVER_CA_CERT', 'CLIENT_CERT', 'CLIENT_KEY'] as const) {
    if (e[`TEMPORAL_TLS_${item}_PATH`] && e[`TEMPORAL_TLS_${item}_DATA`]) {
      issues.push({ variable: `TEMPORAL_TLS_${item}_DATA`, message: `set either TEMPORAL_TLS_${item}_PATH or _DATA, not both` });
    }
  }
  const cert = !!(e.TEMPORAL_TLS_CLIENT_CERT_PATH || e.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const key = !!(e.TEMPORAL_TLS_CLIENT_KEY_PATH || e.TEMPORAL_TLS_CLIENT_KEY_DATA);
  if (cert !== key) {
    issues.push({ variable: cert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH', message: 'a client certificate needs its key and the other way round' });
  }
  if (e.NODE_ENV === 'production') {
    for (const d of DEVELOPMENT_DEFAULTS) {
      if (d.isDevelopmentDefault(e)) issues.push({ variable: d.variable, message: 'is the development default, refused with NODE_ENV=production: set your own value' });
    }
  }
  return issues;
}

/** Temporal connection settings: address, and TLS / API key for secured clusters such as Temporal Cloud. */
function temporalOf(e: ProductEnv) {
  const material = (p?: string, data?: string) => (p ? { path: p } : data ? { pem: data } : undefined);
  const serverCa = material(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH, e.TEMPORAL_TLS_SERVER_CA_CERT_DATA);
  const clientCert = material(e.TEMPORAL_TLS_CLIENT_CERT_PATH, e.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const clientKey = material(e.TEMPORAL_TLS_CLIENT_KEY_PATH, e.TEMPORAL_TLS_CLIENT_KEY_DATA);
  // TLS is on when asked for, or when anything implies it (an API key is only ever sent over TLS).
  const tlsEnabled = e.TEMPORAL_TLS ?? !!(e.TEMPORAL_API_KEY || serverCa || clientCert || e.TEMPORAL_TLS_SERVER_NAME);
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    uiUrl: e.TEMPORAL_UI_URL,
    apiKey: e.TEMPORAL_API_KEY,
    tls: tlsEnabled ? { serverCa, clientCert, clientKey, serverName: e.TEMPORAL_TLS_SERVER_NAME } : null,
  };
}

/** Where a PEM comes from: a file (read at connect time) or the variable itself. */
export type PemSource = { path: string } | { pem: string };

export type ProductConfig = ReturnType<typeof toProductConfig>;

function toProductConfig(e: ProductEnv) {
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' },
    temporal: temporalOf(e),
    mongo: { uri: e.MONGODB_URI, db: e.MONGODB_DB },
    maesn: {
      baseUrl: e.MAESN_BASE_URL,
      apiKey: e.MAESN_API_KEY,
      signingSecret: e.MAESN_SIGNING_SECRET,
      targetSystem: e.MAESN_TARGET_SYSTEM,
      timeoutMs: e.MAESN_TIMEOUT_MS,
    },
    /** Maesn's change webhooks (subscribed on connect). */
    maesnWebhooks: {
      debounce: e.MAESN_WEBHOOK_DEBOUNCE,
      toleranceMs: msToNumber(e.MAESN_WEBHOOK_TOLERANCE as Duration),
      renewBeforeMs: msToNumber(e.MAESN_WEBHOOK_RENEW_BEFORE as Duration),
    },
    /** Exact's limits per division, assumed until its X-RateLimit headers tell the real ones. */
    callLimits: { perMinute: e.EXACT_CALLS_PER_MINUTE, perDay: e.EXACT_CALLS_PER_DAY },
    api: { port: e.API_PORT, host: e.API_HOST, publicBaseUrl: e.PUBLIC_BASE_URL },
    worker: { metricsPort: e.WORKER_METRICS_PORT, metricsHost: e.WORKER_METRICS_HOST },
    /** ENCRYPTION_KEYS (first = current). Prints only its key IDs. */
    keyRing: keyRingOf(e),
    ops: { host: e.OPS_HOST, port: e.OPS_PORT ?? null },
    codec: { corsOrigins: e.CODEC_CORS_ORIGINS ?? [new URL(e.TEMPORAL_UI_URL).origin] },
    retention: {
      /** Receipts are deleted this long after their export was posted (or cancelled). */
      receiptsMs: msToNumber(e.RECEIPT_RETENTION as Duration),
      /** Outbound webhook events (once dispatched) and delivery attempts are deleted after this. */
      webhookLogMs: msToNumber(e.WEBHOOK_LOG_RETENTION as Duration),
      /** A credential from the connect callback not adopted within the link's lifetime expires. */
      pendingCredentialsMs: msToNumber(e.ONBOARDING_AUTHORIZATION_TIMEOUT as Duration),
    },
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
    access: toAccessConfig(e),
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
  const e = parse(productSchema, env);
  const issues = crossChecks(e);
  if (issues.length) throw new ConfigError(issues);
  return toProductConfig(e);
}

/** The API's configuration: as `loadConfig`, and with NODE_ENV=production a platform key is required. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ProductConfig {
  const e = parse(productSchema, env);
  const issues = [...crossChecks(e), ...accessIssues(e)];
  if (issues.length) throw new ConfigError(issues);
  return toProductConfig(e);
}
