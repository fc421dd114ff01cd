/**
 * API process: `npm run api` (dev) or `node dist/src/api/main.js` (production).
 * Starts even while MongoDB or Temporal are unreachable; `/readyz` says which one is missing.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '../config';
import { createLogger } from '../logger';
import { createMongo } from '../store';
import { API_MONGO_OPTIONS, apiTemporalConnectionOptions, createApp } from './app';

async function main() {
  const config = loadApiConfig();
  const logger = createLogger({ name: 'api', level: config.log.level, pretty: config.log.pretty });
  const mongo = createMongo(config.mongo.uri, config.mongo.db, API_MONGO_OPTIONS);
  const connection = Connection.lazy({ address: config.temporal.address, ...apiTemporalConnectionOptions() });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({ config, logger, db: mongo.db, temporal: { client: temporal, connection } });

  const server: Server = app.listen(config.api.port, config.api.host, () => {
    logger.info({ url: `http://${config.api.host}:${config.api.port}` }, 'API listening');
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'API server failed');
    process.exit(1);
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'API shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.closeIdleConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await Promise.allSettled([mongo.close(), connection.close()]);
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  // Config errors name the variable, never its value.
  process.stderr.write(`API failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
