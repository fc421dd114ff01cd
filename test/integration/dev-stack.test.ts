/**
 * `make dev` (scripts/dev.ts) from the outside: it brings every component up without a terminal,
 * /readyz answers 200, the Temporal UI decodes encrypted payloads through the codec endpoint, and
 * after SIGTERM no process it started is left running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ROOT, freePort } from '../../scripts/stack';
import { loadConfig } from '../../src/config';
import { productDataConverter, temporalConnectionOptions } from '../../src/temporal';
import { DEV_DEFAULTS } from '../../src/config';

function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of rows) if (pp === p) (out.push(c), walk(c));
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('make dev starts the whole stack, is ready, and leaves nothing behind after SIGTERM', { timeout: 180_000 }, async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-stack-'));
  const ports = {
    DEV_TEMPORAL_PORT: await freePort(),
    DEV_TEMPORAL_UI_PORT: await freePort(),
    DEV_MONGO_PORT: await freePort(),
    SANDBOX_PORT: await freePort(),
    API_PORT: await freePort(),
    WORKER_METRICS_PORT: await freePort(),
    OPS_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development' };
  for (const k of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'MAESN_BASE_URL', 'SANDBOX_DATA_DIR', 'PUBLIC_BASE_URL', 'CODEC_CORS_ORIGINS', 'PLATFORM_API_KEY', 'ADMIN_LINK_TTL']) delete env[k];
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);

  const dev = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/dev.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  dev.stdout.on('data', (d) => (output += d));
  dev.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));

  try {
    const deadline = Date.now() + 150_000;
    while (!output.includes('[dev] ready')) {
      if (dev.exitCode !== null) assert.fail(`dev exited early:\n${output.slice(-3000)}`);
      if (Date.now() > deadline) assert.fail(`dev not ready in time:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const api = `http://127.0.0.1:${ports.API_PORT}`;
    const ready = await fetch(`${api}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    assert.match(output, new RegExp(`Temporal UI\\s+http://localhost:${ports.DEV_TEMPORAL_UI_PORT}`));
    // The development platform key and a ready, one-time admin page link for the demo tenant.
    assert.ok(output.includes(`Platform key  ${DEV_DEFAULTS.platformApiKey} (development key`), output.slice(-2000));
    const adminUrl = /Admin page\s+(http\S+#token=(\S+))/.exec(output);
    assert.ok(adminUrl, `admin link printed:\n${output.slice(-2000)}`);
    assert.ok(adminUrl[1].startsWith(`http://localhost:${ports.API_PORT}/admin#token=`));
    const exchange = () =>
      fetch(`${api}/api/admin-session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: adminUrl[2] }) });
    const signedIn = await exchange();
    assert.equal(signedIn.status, 200, await signedIn.clone().text());
    assert.deepEqual(((await signedIn.json()) as { tenantId: string }).tenantId, 'demo');
    assert.equal((await exchange()).status, 401, 'the link works once');
    const ui = await fetch(`http://127.0.0.1:${ports.DEV_TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200, 'Temporal UI serves');
    const metrics = await fetch(`http://127.0.0.1:${ports.WORKER_METRICS_PORT}/metrics`);
    assert.match(await metrics.text(), /temporal_/, 'worker exposes the SDK metrics');
    await uiDecodesPayloads(env, ports);

    // Temporal keeps its state in the data folder, FerretDB too.
    assert.ok(fs.existsSync(path.join(dataDir, 'temporal.db')));
    assert.ok(fs.existsSync(path.join(dataDir, 'ferretdb')));

    const children = descendants(dev.pid!);
    assert.ok(children.length >= 4, `expected the stack's processes, found ${children.length}`);
    dev.kill('SIGTERM');
    assert.equal(await exited, 0, output.slice(-2000));
    const left = children.filter(alive).map((pid) => {
      try {
        return `${pid} ${execFileSync('ps', ['-o', 'stat=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim()}`;
      } catch {
        return '';
      }
    }).filter((l) => l && !/^\d+ Z/.test(l)); // a zombie has exited; only its parent's reaping is pending
    assert.deepEqual(left, [], `processes left running: ${left.join(', ')}`);
    await assert.rejects(fetch(`${api}/healthz`), 'API is gone');
  } finally {
    if (dev.exitCode === null) dev.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/**
 * What the Temporal UI does in the browser: it reads its settings (the codec endpoint `make dev`
 * gave the dev server), fetches a history whose payloads are encrypted, and posts them to the
 * codec endpoint from its own origin, with the headers it always sends and no credential.
 */
async function uiDecodesPayloads(env: NodeJS.ProcessEnv, ports: Record<string, number>) {
  const ui = `http://127.0.0.1:${ports.DEV_TEMPORAL_UI_PORT}`;
  const uiOrigin = `http://localhost:${ports.DEV_TEMPORAL_UI_PORT}`;
  const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
  const endpoint = settings.Codec.Endpoint;
  assert.equal(endpoint, `http://127.0.0.1:${ports.OPS_PORT}/codec`, 'the UI knows the codec endpoint');

  // A workflow started with the product's data converter (the development key ring); no worker runs it.
  const config = loadConfig({ ...env, TEMPORAL_ADDRESS: `127.0.0.1:${ports.DEV_TEMPORAL_PORT}` });
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const workflowId = `codec-probe-${Date.now()}`;
  try {
    const client = new Client({ connection, dataConverter: productDataConverter(config.keyRing) });
    const handle = await client.workflow.start('codecProbe', { taskQueue: 'codec-probe', workflowId, args: [{ employee: 'Jan de Vries', amount: '121.00' }] });
    const history = (await (await fetch(`${ui}/api/v1/namespaces/default/workflows/${workflowId}/history`)).json()) as any;
    const started = history.history.events.find((e: any) => e.workflowExecutionStartedEventAttributes).workflowExecutionStartedEventAttributes;
    const raw = JSON.stringify(started.input);
    assert.ok(!raw.includes('Jan de Vries') && !raw.includes('121.00'));
    assert.ok(!started.input.payloads.some((p: any) => Buffer.from(p.data, 'base64').toString('utf8').includes('Jan de Vries')), 'the input is encrypted');

    const preflight = await fetch(`${endpoint}/decode`, {
      method: 'OPTIONS',
      headers: { origin: uiOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), uiOrigin);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-namespace/);

    const decode = (origin: string) =>
      fetch(`${endpoint}/decode`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: started.input.payloads }),
      });
    const res = await decode(uiOrigin);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('access-control-allow-origin'), uiOrigin);
    const [decoded] = ((await res.json()) as any).payloads;
    assert.equal(Buffer.from(decoded.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(decoded.data, 'base64').toString()), { employee: 'Jan de Vries', amount: '121.00' });
    // Another site's page cannot use the operator's browser to decrypt.
    assert.equal((await decode('http://evil.example')).status, 403);
    await handle.terminate('codec probe done');
  } finally {
    await connection.close();
  }
}
