/** Starts the sandbox app on a port and stops it: the entry point of tests, scripts and main.ts. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { createSandboxApp } from './app';

export interface SandboxOptions {
  /** 0 = any free port. Default 0. */
  port?: number;
  host?: string;
  dataDir: string;
  apiKey: string;
  signingSecret: string;
  /** Base URL the hosted login page is reachable at; default `http://<host>:<port>`. */
  publicUrl?: string;
  rateLimit?: { perMinute: number; perDay: number };
  logger?: Logger;
  /** Seed the demo divisions when dataDir holds no state. Default true. */
  seed?: boolean;
  /** Clock override (tests). */
  now?: () => number;
}

export interface RunningSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<RunningSandbox> {
  let publicUrl = opts.publicUrl?.replace(/\/+$/, '') ?? '';
  const sandbox = createSandboxApp({
    dataDir: opts.dataDir,
    apiKey: opts.apiKey,
    signingSecret: opts.signingSecret,
    rateLimit: opts.rateLimit,
    logger: opts.logger ?? pino({ level: 'silent' }),
    seed: opts.seed ?? true,
    now: opts.now ?? Date.now,
    publicUrl: () => publicUrl,
  });

  const host = opts.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = sandbox.app.listen(opts.port ?? 0, host, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${port}`;
  if (!publicUrl) publicUrl = url;

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close(): Promise<void> {
      closing ??= (async () => {
        sandbox.releaseHeld();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await sandbox.close();
      })();
      return closing;
    },
  };
}
