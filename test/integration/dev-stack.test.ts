/**
 * `make dev` (scripts/dev.ts) from the outside: it brings every component up without a terminal,
 * /readyz answers 200, and after SIGTERM no process it started is left running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from '../../scripts/stack';
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
  };
  const env: NodeJS.ProcessEnv = { ...process.env, DEV_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'development' };
  for (const k of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'MAESN_BASE_URL', 'SANDBOX_DATA_DIR', 'PUBLIC_BASE_URL', 'PLATFORM_API_KEY', 'ADMIN_LINK_TTL']) delete env[k];
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
