/**
 * The sandbox's logger: pino, JSON lines unless pretty. Credentials that pass through the sandbox
 * (API key, account keys, the callback signature, the signing secret) are censored wherever a log
 * line carries them, so a stray `log.info({ headers })` cannot leak one.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const redactPaths = [
  'apiKey',
  'accountKey',
  'signingSecret',
  'signature',
  'authorization',
  '*.apiKey',
  '*.accountKey',
  '*.signingSecret',
  '*.signature',
  '*.authorization',
  '*["x-api-key"]',
  '*["x-account-key"]',
  'req.headers["x-api-key"]',
  'req.headers["x-account-key"]',
  'req.query.accountKey',
  'req.query.signature',
];

export function createSandboxLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const base = { name: 'maesn-sandbox', level: opts.level ?? 'info', redact: { paths: redactPaths, censor: '[redacted]' } };
  if (!opts.pretty) return pino(base);
  return pino({
    ...base,
    transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
  });
}
