/**
 * The sandbox's environment, validated with zod. The only place in the sandbox that reads
 * `process.env`. Defaults describe `make dev`: loopback, port 4010, and the same development API
 * key and signing secret as the product's own defaults (the service keeps its copy in
 * src/config.ts; test/unit/config.test.ts checks that the two agree). A bad value stops the
 * sandbox at start-up with a message that names the variable, never its value.
 */
import { z } from 'zod';

/** Development credentials shared with the product's defaults. Not secrets in production. */
export const SANDBOX_DEV_DEFAULTS = {
  apiKey: 'sandbox-api-key-change-me',
  signingSecret: 'sandbox-signing-secret-change-me',
} as const;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const sandboxSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  SANDBOX_PORT: port.default(4010),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_DATA_DIR: z.string().min(1).default('.data/sandbox'),
  SANDBOX_PUBLIC_URL: z.url().optional(),
  SANDBOX_RATE_LIMIT_PER_MINUTE: positiveInt.default(60),
  SANDBOX_RATE_LIMIT_PER_DAY: positiveInt.default(5000),
  MAESN_API_KEY: z.string().min(8).default(SANDBOX_DEV_DEFAULTS.apiKey),
  MAESN_SIGNING_SECRET: z.string().min(8).default(SANDBOX_DEV_DEFAULTS.signingSecret),
});

/** Names of every variable the sandbox reads (for docs and deployment checks). */
export const sandboxEnvVars = Object.keys(sandboxSchema.shape);

export type SandboxConfig = ReturnType<typeof toSandboxConfig>;

function toSandboxConfig(e: z.infer<typeof sandboxSchema>) {
  return {
    env: e.NODE_ENV,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' },
    port: e.SANDBOX_PORT,
    host: e.SANDBOX_HOST,
    dataDir: e.SANDBOX_DATA_DIR,
    /** As configured, or derived from host and port. */
    publicUrl: e.SANDBOX_PUBLIC_URL ?? `http://${e.SANDBOX_HOST}:${e.SANDBOX_PORT}`,
    /** True when SANDBOX_PUBLIC_URL was set (a derived URL is useless with SANDBOX_PORT=0). */
    publicUrlSet: e.SANDBOX_PUBLIC_URL !== undefined,
    rateLimit: { perMinute: e.SANDBOX_RATE_LIMIT_PER_MINUTE, perDay: e.SANDBOX_RATE_LIMIT_PER_DAY },
    apiKey: e.MAESN_API_KEY,
    signingSecret: e.MAESN_SIGNING_SECRET,
  };
}

/** Thrown when the environment is invalid; the message names every bad variable, never its value. */
export class SandboxConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid sandbox configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'SandboxConfigError';
  }
}

export function loadSandboxConfig(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  // Empty strings count as unset, so `SANDBOX_PORT= npm run sandbox` falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const key of sandboxEnvVars) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const result = sandboxSchema.safeParse(cleaned);
  if (!result.success) {
    throw new SandboxConfigError(result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })));
  }
  return toSandboxConfig(result.data);
}
