/** Standalone sandbox: `npm run sandbox`. Reads SANDBOX_* / MAESN_* env via loadSandboxConfig(). */
import { loadSandboxConfig } from './config';
import { createSandboxLogger } from './logger';
import { startSandbox } from './server';

async function main(): Promise<void> {
  const cfg = loadSandboxConfig();
  const logger = createSandboxLogger({ level: cfg.log.level, pretty: cfg.log.pretty });
  const sb = await startSandbox({
    port: cfg.port,
    host: cfg.host,
    dataDir: cfg.dataDir,
    apiKey: cfg.apiKey,
    signingSecret: cfg.signingSecret,
    // Only an explicit public URL is passed on: the one derived from host:port would point at
    // port 0 with SANDBOX_PORT=0; startSandbox derives it from the port it got.
    publicUrl: cfg.publicUrlSet ? cfg.publicUrl : undefined,
    rateLimit: cfg.rateLimit,
    logger,
  });
  logger.info({ url: sb.url, dataDir: cfg.dataDir }, `Maesn sandbox listening on ${sb.url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Maesn sandbox shutting down');
    sb.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while closing sandbox');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // eslint-disable-next-line no-console
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
