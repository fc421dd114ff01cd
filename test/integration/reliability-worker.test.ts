/**
 * RELIABILITY.md, "Worker killed in the middle of posting": the worker runs as its own process
 * (`src/worker.ts`, as in production); it is killed with SIGKILL while five POSTs are in flight
 * (the sandbox has stored the entries and holds the answers), and a new worker process takes over.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import { freePort } from '../../scripts/stack';
import { scenario } from '../fixtures/reliability';
import { postCount, submit, waitForExport, waitForPosts } from '../helpers/exports';
import { connectTenant } from '../helpers/onboarding';
import { startProduct, type Product } from '../helpers/product';
import { assertFigures, measure } from '../helpers/reliability';
import { testStack, uniqueId } from '../helpers/stack';

const ROOT = path.resolve(__dirname, '../..');
let p: Product;
const tenantId = uniqueId('kill');
const workers: ChildProcess[] = [];

/** Starts `src/worker.ts` in a process (group) of its own, on the product's task queue and database; resolves once it polls. */
async function startWorker(): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    TEMPORAL_ADDRESS: testStack().temporalAddress,
    TEMPORAL_TASK_QUEUE: p.taskQueue,
    MONGODB_URI: testStack().mongoUri,
    MONGODB_DB: p.db.databaseName,
    MAESN_BASE_URL: p.sandboxUrl,
    MAESN_API_KEY: p.config.maesn.apiKey,
    MAESN_SIGNING_SECRET: p.config.maesn.signingSecret,
    MAESN_TIMEOUT_MS: String(p.config.maesn.timeoutMs),
    PUBLIC_BASE_URL: p.apiUrl,
    WORKER_METRICS_PORT: String(await freePort()),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/worker.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  workers.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 120 s:\n${output.slice(-3000)}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('worker started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (code ${code}):\n${output.slice(-3000)}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* gone already */
  }
}

before(async () => {
  p = await startProduct({ noWorker: true, env: { MAESN_TIMEOUT_MS: '10000', EXPORT_SETTLE_PERIOD: '3s' } });
});
after(async () => {
  for (const w of workers) {
    if (w.exitCode === null && w.signalCode === null) {
      killGroup(w, 'SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          killGroup(w, 'SIGKILL');
          r(undefined);
        }, 15_000);
        w.once('exit', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
  }
  await p?.close();
});

test('SIGKILL while five POSTs are in flight, a new worker takes over: five exports posted, five entries, no second POST', async () => {
  const first = await startWorker();
  await connectTenant(p, tenantId, DEMO_DIVISION);
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).body.valid, true);

  const { exports } = scenario('worker-kill').figures;
  await p.sandbox.clearRequests();
  // Stored at once, answered never (the sandbox holds each answer for a minute).
  await p.sandbox.commitThenFail({ timeoutMs: 60_000 }, exports);
  const reportIds = Array.from({ length: exports }, () => uniqueId('WK'));
  await Promise.all(reportIds.map((r) => submit(p, tenantId, simpleReport(r))));
  await waitForPosts(p, exports, 60_000);
  killGroup(first, 'SIGKILL');
  await new Promise((r) => first.once('exit', r));

  await startWorker();
  for (const r of reportIds) await waitForExport(p, tenantId, r, ['posted', 'needs_review', 'rejected'], 180_000);
  assert.equal(await postCount(p), exports, 'no POST was sent again');
  assertFigures('worker-kill', await measure(p, tenantId, reportIds, DEMO_DIVISION, { 'worker SIGKILL': 1 }));
});
