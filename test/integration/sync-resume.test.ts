/**
 * A worker killed (SIGKILL) in the middle of a large sync: the next worker resumes the resource
 * at the page after the last finished one; no finished page is read twice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { MaesnClient } from '../../src/maesn';
import { temporalConnectionOptions } from '../../src/temporal';
import { createProductWorker } from '../../src/worker';
import { ROOT, freePort, httpOk } from '../../scripts/stack';
import { eventually, startProduct, type Product } from '../helpers/product';
import { testStack, uniqueId } from '../helpers/stack';

let p: Product;
const DIVISION = '900001';
const SUPPLIERS = 400;
const PAGE = 5;

before(async () => {
  p = await startProduct({ noWorker: true });
  await p.sandbox.createDivision({ code: DIVISION, name: 'Groothandel Groot B.V.', generate: { suppliers: SUPPLIERS, accounts: 40 } });
});
after(async () => {
  await p?.close();
});

function workerProcess(metricsPort: number): ChildProcess {
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: testStack().temporalAddress,
    TEMPORAL_TASK_QUEUE: p.taskQueue,
    MONGODB_URI: p.config.mongo.uri,
    MONGODB_DB: p.config.mongo.db,
    MAESN_BASE_URL: p.sandboxUrl,
    MAESN_API_KEY: p.config.maesn.apiKey,
    MAESN_SIGNING_SECRET: p.config.maesn.signingSecret,
    WORKER_METRICS_PORT: String(metricsPort),
  };
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/worker.ts')], { env, stdio: 'ignore' });
}

test('a worker killed mid-sync resumes without re-reading finished pages', { timeout: 240_000 }, async () => {
  const tenantId = uniqueId('big');
  await p.call('POST', '/api/tenants', { tenantId, name: 'Groot' });
  const conn = await p.sandbox.createConnection(DIVISION);
  await p.stores.tenants.setConnection(tenantId, { state: 'connected', division: DIVISION, accountKey: p.stores.tenants.sealAccountKey(tenantId, conn.accountKey) });

  const metricsPort = await freePort();
  const child = workerProcess(metricsPort);
  const childExit = new Promise((r) => child.once('exit', r));
  await eventually(() => httpOk(`http://127.0.0.1:${metricsPort}/metrics`), 'worker process up', 60_000);

  await p.sandbox.clearRequests();
  const handle = await p.temporal.workflow.start('syncMasterData', {
    taskQueue: p.taskQueue,
    workflowId: `sync:${tenantId}:resume-test`,
    args: [{ tenantId, mode: 'full', trigger: 'manual', pageSize: PAGE, heartbeatTimeout: '3s' }],
  });

  const supplierPages = async () => (await p.sandbox.listRequests({ operation: 'getSuppliers', division: DIVISION })).map((r) => Number(r.query.page));
  // Let it read a good part of the suppliers, then kill the worker without warning.
  await eventually(async () => (await supplierPages()).length >= 20, "twenty supplier pages read", 120_000);
  child.kill('SIGKILL');
  await childExit;
  const beforeKill = await supplierPages();
  const totalPages = SUPPLIERS / PAGE;
  assert.ok(beforeKill.length < totalPages, 'killed before the end');

  // A new worker takes over once the heartbeat timeout shows the old one is gone.
  const native = await NativeConnection.connect(temporalConnectionOptions(p.config.temporal));
  const maesn = MaesnClient.fromConfig(p.config.maesn, {});
  const worker = await createProductWorker({
    config: p.config,
    logger: pino({ level: 'silent' }),
    db: p.db,
    connection: native,
    temporal: p.temporal,
    maesn,
    overrides: { taskQueue: p.taskQueue, shutdownGraceTime: '1s' },
  });
  const result: any = await worker.runUntil(handle.result());
  await Promise.allSettled([native.close(), maesn.close()]);

  assert.equal(result.status, 'succeeded');
  assert.equal(result.counts.suppliers.fetched, SUPPLIERS, 'every supplier counted exactly once');
  assert.equal(await p.stores.masterData.count('suppliers', tenantId), SUPPLIERS);

  const all = await supplierPages();
  const afterKill = all.slice(beforeKill.length);
  const times = new Map<number, number>();
  for (const pg of all) times.set(pg, (times.get(pg) ?? 0) + 1);
  assert.equal(times.size, totalPages, 'every page was read');
  const rereads = [...times.entries()].filter(([, n]) => n > 1).map(([pg]) => pg);
  // At most the page that was in flight when the worker died is read again.
  assert.ok(rereads.length <= 1, `pages read twice: ${rereads.join(', ')}`);
  assert.ok(afterKill[0] >= Math.max(...beforeKill) && afterKill[0] > 1, `resumed at page ${afterKill[0]}, after ${Math.max(...beforeKill)}`);
});
