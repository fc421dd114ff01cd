/**
 * Worker process: `npm run worker` (dev, bundles workflows on the fly) or
 * `node dist/src/worker.js` (production, uses the bundle prebuilt by `npm run build`).
 *
 * Exposes the Temporal SDK's own metrics in Prometheus format on WORKER_METRICS_PORT.
 * SIGTERM/SIGINT: stop polling, let running activities finish (grace time), exit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, type WorkerOptions, type LogLevel, type LogMetadata } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { Db } from 'mongodb';
import { loadConfig, type ProductConfig } from './config';
import { createLogger, type Logger } from './logger';
import { createActivities } from './activities';
import { MaesnClient } from './maesn';
import { ensureRetentionSchedule, eventDispatcher } from './services';
import { createMongo, createStores, ensureIndexes, logMongoRecovery } from './store';
import { productDataConverter, temporalConnectionOptions } from './temporal';

export const WORKFLOWS_PATH = require.resolve('./workflows');
/** Where `npm run build` writes the prebuilt workflow bundle. */
export const WORKFLOW_BUNDLE_PATH = path.resolve(__dirname, '../workflow-bundle.js');

export interface ProductWorkerDeps {
  config: ProductConfig;
  logger: Logger;
  db: Db;
  connection: NativeConnection;
  /** Client for what activities do on the Temporal side (schedules). */
  temporal: Client;
  maesn: MaesnClient;
  /** Overrides for tests: task queue, bundle, shutdown grace. */
  overrides?: Partial<WorkerOptions>;
}

/** Builds the product worker: every workflow of src/workflows and every activity of src/activities. */
export async function createProductWorker(deps: ProductWorkerDeps): Promise<Worker> {
  const stores = createStores(deps.db, deps.config);
  await ensureIndexes(stores);
  // Events recorded by activities (export status, connection, sync) go to the delivery workflows.
  stores.webhooks.setDispatcher(eventDispatcher({ config: deps.config, logger: deps.logger, temporal: deps.temporal, stores }));
  const activities = createActivities({ config: deps.config, logger: deps.logger, stores, maesn: deps.maesn, temporal: deps.temporal });
  const bundle =
    deps.config.env === 'production' && fs.existsSync(WORKFLOW_BUNDLE_PATH)
      ? { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } }
      : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    activities,
    // Payloads and failure texts encrypted (the prebuilt bundle carries the same failure converter).
    dataConverter: productDataConverter(deps.config.keyRing),
    ...bundle,
    shutdownGraceTime: '20s',
    shutdownForceTime: '30s',
    ...deps.overrides,
  });
}

/** Adapts pino to the SDK's logger interface. */
export function temporalLogger(logger: Logger) {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => {
    const fn = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' }[level] as 'info';
    logger[fn](meta ?? {}, message);
  };
  return {
    log: (level: LogLevel, message: string, meta?: LogMetadata) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

async function main() {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.log.level, pretty: config.log.pretty });
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      metrics: { prometheus: { bindAddress: `${config.worker.metricsHost}:${config.worker.metricsPort}` } },
    },
    // Server 1.29 has worker heartbeats switched off; don't send them.
    workerHeartbeatInterval: 0,
  });
  const mongo = createMongo(config.mongo.uri, config.mongo.db, { onRecovery: logMongoRecovery(logger) });
  const connectionOptions = temporalConnectionOptions(config.temporal);
  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace, dataConverter: productDataConverter(config.keyRing) });
  const maesn = MaesnClient.fromConfig(config.maesn, { logger: logger.child({ component: 'maesn' }) });
  const worker = await createProductWorker({ config, logger, db: mongo.db, connection, temporal, maesn });
  await ensureRetentionSchedule(temporal, config.temporal.taskQueue);
  logger.info(
    { taskQueue: config.temporal.taskQueue, metrics: `http://${config.worker.metricsHost}:${config.worker.metricsPort}/metrics` },
    'worker started',
  );
  try {
    await worker.run(); // resolves after a shutdown signal (Runtime's default shutdownSignals)
  } finally {
    await Promise.allSettled([connection.close(), clientConnection.close(), mongo.close(), maesn.close()]);
    logger.info('worker stopped');
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
