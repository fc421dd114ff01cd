/**
 * pino logger with secret redaction. JSON in production, readable lines in development.
 * Keys that can carry credentials are censored wherever they appear (two levels deep),
 * so a stray `log.info({ headers })` cannot leak an API key or account key.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'apiKey',
  'apiKeys',
  'accountKey',
  'signingSecret',
  'encryptionKey',
  'password',
  'token',
  'authorization',
  'cookie',
  'x-api-key',
  'x-account-key',
  'signature',
];

export const redactPaths = [
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`)),
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `*.${k}` : `*["${k}"]`)),
  'req.headers["x-api-key"]',
  'req.headers["x-account-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.query.accountKey',
  'req.query.signature',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  pretty?: boolean;
}

export function createLogger(opts: LoggerOptions): Logger {
  const base = {
    name: opts.name,
    level: opts.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino(base);
}
