/**
 * With NODE_ENV=production the processes refuse every development default: the API, the worker
 * and the re-seal command exit non-zero before connecting to anything, naming the variable and
 * never printing its value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ROOT, freePort } from '../../scripts/stack';
import { DEV_DEFAULTS } from '../../src/config';

/** Everything set to values of one's own. */
const production = async () => ({
  NODE_ENV: 'production',
  MAESN_API_KEY: `prod-key-${randomBytes(8).toString('hex')}`,
  MAESN_SIGNING_SECRET: `prod-secret-${randomBytes(8).toString('hex')}`,
  ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  PLATFORM_API_KEY: randomBytes(24).toString('hex'),
  // Nothing listens there: a process that got past its configuration would hang or fail differently.
  TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
  MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}`,
  API_PORT: String(await freePort()),
  WORKER_METRICS_PORT: String(await freePort()),
});

function run(file: string, env: Record<string, string | undefined>): Promise<{ code: number | null; output: string }> {
  const clean = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete clean[k];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', path.join(ROOT, file)], { cwd: ROOT, env: clean, timeout: 60_000 }, (_err, stdout, stderr) =>
      resolve({ code: child.exitCode, output: stdout + stderr }),
    );
  });
}

// Every development default is covered by test/unit/config.test.ts; here each process and each kind of refusal once.
const cases: { file: string; change: Record<string, string | undefined>; variable: string; value?: string }[] = [
  { file: 'src/api/main.ts', change: { MAESN_API_KEY: undefined }, variable: 'MAESN_API_KEY' },
  { file: 'src/api/main.ts', change: { ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')},dev:${DEV_DEFAULTS.encryptionKey}` }, variable: 'ENCRYPTION_KEYS', value: DEV_DEFAULTS.encryptionKey },
  { file: 'src/worker.ts', change: { MAESN_SIGNING_SECRET: DEV_DEFAULTS.maesnSigningSecret }, variable: 'MAESN_SIGNING_SECRET', value: DEV_DEFAULTS.maesnSigningSecret },
  { file: 'src/reseal.ts', change: { ENCRYPTION_KEYS: undefined, ENCRYPTION_KEY: DEV_DEFAULTS.encryptionKey }, variable: 'ENCRYPTION_KEY', value: DEV_DEFAULTS.encryptionKey },
];

test('NODE_ENV=production with a development default: the process exits non-zero naming the variable', { timeout: 120_000 }, async () => {
  const results = await Promise.all(cases.map(async (c) => ({ c, r: await run(c.file, { ...(await production()), ...c.change }) })));
  for (const { c, r } of results) {
    const what = `${c.file} with ${Object.keys(c.change).join(', ')}`;
    assert.ok(r.code !== null && r.code !== 0, `${what}: exit code ${r.code}\n${r.output}`);
    assert.match(r.output, new RegExp(`${c.variable}: is the development default, refused with NODE_ENV=production`), what);
    if (c.value) assert.ok(!r.output.includes(c.value), `${what}: the value is printed`);
  }
});
