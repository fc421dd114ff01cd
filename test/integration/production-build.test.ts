/**
 * `npm run build` output runs as in production: the compiled worker loads the prebuilt workflow
 * bundle, runs workflows and activities, and both processes stop cleanly on SIGTERM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ROOT, freePort, httpOk } from '../../scripts/stack';
import { loadConfig } from '../../src/config';
import { productDataConverter, temporalConnectionOptions } from '../../src/temporal';
import { eventually } from '../helpers/product';
import { testDb, testStack, uniqueId } from '../helpers/stack';

let mongo: Awaited<ReturnType<typeof testDb>>;
before(async () => {
  mongo = await testDb('prod');
});
after(async () => {
  await mongo?.dispose();
});

function run(file: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(ROOT, file)], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out, exit: new Promise((r) => child.once('exit', (code) => r(code))) };
}

test('the production build runs the worker from the prebuilt bundle and the API; both stop on SIGTERM', { timeout: 180_000 }, async () => {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/workflow-bundle.js')));
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/src/worker.js')));

  const stack = testStack();
  const taskQueue = uniqueId('prod');
  const metricsPort = await freePort();
  const apiPort = await freePort();
  const env = {
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: mongo.db.databaseName,
    WORKER_METRICS_PORT: String(metricsPort),
    API_PORT: String(apiPort),
    // Production refuses the development defaults.
    MAESN_API_KEY: 'prod-build-api-key-0123',
    MAESN_SIGNING_SECRET: 'prod-build-signing-secret-0123',
    ENCRYPTION_KEYS: `p1:${randomBytes(32).toString('base64')}`,
    // Production refuses to start without one (the worker ignores it).
    PLATFORM_API_KEY: 'production-build-test-platform-key-0123456789',
  };
  const config = loadConfig({ ...env, NODE_ENV: 'production' });
  const worker = run('dist/src/worker.js', env);
  const api = run('dist/src/api/main.js', env);
  try {
    await eventually(() => httpOk(`http://127.0.0.1:${metricsPort}/metrics`), 'compiled worker up', 60_000);
    await eventually(() => httpOk(`http://127.0.0.1:${apiPort}/readyz`), 'compiled API ready', 60_000);
    // The compiled access layer: no credential 401; the platform key mints a one-time admin link (signed token).
    assert.equal((await fetch(`http://127.0.0.1:${apiPort}/api/tenants/nobody/exact`)).status, 401);
    const auth = { authorization: `Bearer ${env.PLATFORM_API_KEY}`, 'content-type': 'application/json' };
    await fetch(`http://127.0.0.1:${apiPort}/api/tenants`, { method: 'POST', headers: auth, body: JSON.stringify({ tenantId: 'prod-build', name: 'Prod BV' }) });
    const link = await fetch(`http://127.0.0.1:${apiPort}/api/tenants/prod-build/admin-sessions`, { method: 'POST', headers: auth });
    assert.equal(link.status, 201, await link.clone().text());
    assert.equal(link.headers.get('strict-transport-security')?.startsWith('max-age='), true, 'HSTS in production');

    // A workflow from the bundle runs an activity: an export that does not exist fails as a business error.
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    try {
      const client = new Client({ connection, dataConverter: productDataConverter(config.keyRing) });
      const workflowId = uniqueId('export:none');
      const err = await client.workflow
        .execute('exportExpenseReport', { taskQueue, workflowId, args: [{ tenantId: 't', reportId: 'missing' }] })
        .then(() => null, (e) => e);
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.match(String((err as any).cause?.cause?.message ?? (err as any).cause?.message), /not found/);
      // In the stored history the failure texts are encrypted: the prebuilt bundle has the failure converter.
      const raw = JSON.stringify(await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
      assert.ok(raw.includes('"Encoded failure"'), 'failures are stored encoded');
      assert.ok(!/not found/.test(raw), 'a failure text is readable in the history');
    } finally {
      await connection.close();
    }

    // JSON logs in production.
    assert.match(worker.output(), /^\{"level":30,.*"msg":"worker started"/m);

    // Indexes were created at start-up.
    const idx = await mongo.db.collection('md_suppliers').indexes();
    assert.ok(idx.some((i) => i.name === 'tenant_id_unique' && i.unique));

    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    assert.equal(await worker.exit, 0, worker.output().slice(-2000));
    assert.equal(await api.exit, 0, api.output().slice(-2000));
    assert.match(worker.output(), /worker stopped/);
  } finally {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    if (api.child.exitCode === null) api.child.kill('SIGKILL');
  }
});

test('the sandbox package builds on its own and its build output serves and stops on SIGTERM', { timeout: 180_000 }, async () => {
  // What sandbox/Dockerfile runs: `npm run build` of the workspace, then `node dist/main.js`.
  execFileSync('npm', ['run', 'build:sandbox'], { cwd: ROOT, stdio: 'ignore' });
  assert.ok(fs.existsSync(path.join(ROOT, 'sandbox/dist/main.js')));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-build-'));
  const port = await freePort();
  const sandbox = run('sandbox/dist/main.js', { SANDBOX_PORT: String(port), SANDBOX_DATA_DIR: dataDir, MAESN_API_KEY: 'build-test-api-key' });
  try {
    await eventually(() => httpOk(`http://127.0.0.1:${port}/health`), 'compiled sandbox up', 60_000);
    const divisions = await fetch(`http://127.0.0.1:${port}/_sandbox/divisions`, { headers: { 'X-API-KEY': 'build-test-api-key' } });
    assert.equal(divisions.status, 200);
    assert.ok(((await divisions.json()) as { data: unknown[] }).data.length > 0, 'seeded with the demo divisions');
    assert.match(sandbox.output(), /^\{"level":30,.*"name":"maesn-sandbox".*"msg":"Maesn sandbox listening/m, 'JSON logs in production');
    sandbox.child.kill('SIGTERM');
    assert.equal(await sandbox.exit, 0, sandbox.output().slice(-2000));
  } finally {
    if (sandbox.child.exitCode === null) sandbox.child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
