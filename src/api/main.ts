/**
 * API process: `npm run api` (dev) or `node dist/src/api/main.js` (production).
 * Starts even while MongoDB or Temporal are unreachable; `/readyz` says which one is missing.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { loadApiConfig } from '../config';
import { createLogger } from '../logger';
import { createMongo, logMongoRecovery } from '../store';
import { PayloadEncryptionCodec, productDataConverter, temporalConnectionOptions } from '../temporal';
import { API_MONGO_OPTIONS, apiTemporalConnectionOptions, createApp } from './app';
import { createOpsApp } from './ops';

async function main() {
  const config = loadApiConfig();
  const logger = createLogger({ name: 'api', level: config.log.level, pretty: config.log.pretty });
  const mongo = createMongo(config.mongo.uri, config.mongo.db, { ...API_MONGO_OPTIONS, onRecovery: logMongoRecovery(logger) });
  const connection = Connection.lazy({ ...temporalConnectionOptions(config.temporal), ...apiTemporalConnectionOptions() });
  const temporal = new Client({ connection, namespace: config.temporal.namespace, dataConverter: productDataConverter(config.keyRing) });
  const codec = new PayloadEncryptionCodec(config.keyRing);
  const app = createApp({ config, logger, db: mongo.db, temporal: { client: temporal, connection }, codec });

  const servers: Server[] = [];
  const listen = (what: string, handler: ReturnType<typeof createApp>, port: number, host: string) => {
    const server: Server = handler.listen(port, host, () => {
      logger.info({ url: `http://${host}:${port}` }, `${what} listening`);
    });
    server.on('error', (err) => {
      logger.fatal({ err }, `${what} server failed`);
      process.exit(1);
    });
    servers.push(server);
  };
  listen('API', app, config.api.port, config.api.host);
  if (config.ops.port !== null) listen('ops', createOpsApp({ config, logger, codec }), config.ops.port, config.ops.host);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'API shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await Promise.all(
      servers.map((server) => {
        server.closeIdleConnections();
        return new Promise<void>((r) => server.close(() => r()));
      }),
    );
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
