/**
 * The floor's worker process: Temporal's own cost of a workflow with N activities on the same dev
 * server, with nothing else in it. Env: TEMPORAL_ADDRESS, FLOOR_TASK_QUEUE.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';

export const floorActivities = {
  async noop(): Promise<void> {},
};
export type FloorActivities = typeof floorActivities;

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN'), workerHeartbeatInterval: 0 });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.FLOOR_TASK_QUEUE ?? 'bench-floor',
    workflowsPath: require.resolve('./workflows'),
    activities: floorActivities,
  });
  process.stdout.write('floor worker started\n');
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`floor worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
