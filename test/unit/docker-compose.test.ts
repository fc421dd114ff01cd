/**
 * No Docker engine runs on the build machines, so the production-like compose file is checked
 * statically: services, ports and the environment wiring the product relies on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadSandboxConfig, sandboxEnvVars } from '@exact-export/maesn-sandbox';
import { loadConfig, productEnvVars } from '../../src/config';
import { allSearchAttributeKeys } from '../../src/workflows/definitions';

const ROOT = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services: Record<string, any> = compose.services;

/** Resolves `${VAR:-default}` the way compose does when VAR is unset. */
/** Compose's `${VAR:-default}` as the default; `${VAR:?message}` (required) as a value an operator would set. */
function resolveDefaults(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1').replace(/\$\{([A-Z_]+):\?[^}]*\}/g, 'operator-set-$1-0123456789abcdef')]),
  );
}

const hostPort = (s: string) => new URL(s.includes('://') ? s : `tcp://${s}`);

test('the services the deployment needs are all there', () => {
  for (const name of ['mongo', 'postgresql', 'temporal', 'temporal-setup', 'temporal-ui', 'sandbox', 'worker', 'api']) {
    assert.ok(services[name], `service ${name} missing`);
  }
  assert.match(services.mongo.image, /^mongo:/, 'official MongoDB image');
  assert.ok(services.mongo.command.includes('--replSet'), 'MongoDB runs as a replica set');
  assert.match(services.temporal.environment.DB, /^postgres/, 'Temporal on PostgreSQL');
  assert.equal(services.temporal.environment.POSTGRES_SEEDS, 'postgresql');
  assert.equal(services['temporal-ui'].environment.TEMPORAL_ADDRESS, 'temporal:7233');
});

test('worker and API are built from the project Dockerfile and run compiled entry points', () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'Dockerfile')));
  for (const [name, src] of [['worker', 'src/worker.ts'], ['api', 'src/api/main.ts']]) {
    assert.equal(services[name].build, '.', `${name} builds from the Dockerfile`);
    assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists`);
    const entry: string = services[name].command.at(-1);
    assert.equal(entry, `dist/${src.replace(/\.ts$/, '.js')}`, `${name} runs the build output of ${src}`);
  }
});

test('the sandbox has its own image, built from its package; the service image does not contain it', () => {
  const build = services.sandbox.build;
  assert.equal(build.context, '.', 'built from the repository root (the workspace lockfile is there)');
  assert.equal(build.dockerfile, 'sandbox/Dockerfile');
  const sandboxDockerfile = fs.readFileSync(path.join(ROOT, build.dockerfile), 'utf8');
  assert.match(sandboxDockerfile, /npm run build --workspace=@exact-export\/maesn-sandbox/);
  assert.match(sandboxDockerfile, /^WORKDIR \/app\/sandbox$/m, 'the entry point is relative to the package');
  // The sandbox's tsconfig compiles sandbox/main.ts to sandbox/dist/main.js.
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'sandbox/tsconfig.json'), 'utf8'));
  assert.deepEqual([tsconfig.compilerOptions.rootDir, tsconfig.compilerOptions.outDir], ['.', 'dist']);
  assert.ok(fs.existsSync(path.join(ROOT, 'sandbox/main.ts')));
  assert.equal(services.sandbox.command.at(-1), 'dist/main.js', 'the sandbox runs its build output');
  const serviceDockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  assert.doesNotMatch(serviceDockerfile, /^COPY[ \t][^\n]*\bsandbox\b/m, 'the service image copies nothing of the sandbox');
  assert.match(serviceDockerfile, /npm ci --workspaces=false/, 'nor installs its workspace');
});

test('product environment points at the compose services and is valid config', () => {
  for (const name of ['worker', 'api']) {
    const env = resolveDefaults(services[name].environment);
    for (const key of Object.keys(env)) assert.ok(productEnvVars.includes(key), `${name}: ${key} is not a variable the product reads`);
    const config = loadConfig(env); // throws if anything is invalid
    assert.equal(config.env, 'production');
    assert.ok(services[hostPort(config.temporal.address).hostname], `${name}: TEMPORAL_ADDRESS names a service`);
    const mongo = new URL(config.mongo.uri);
    assert.ok(services[mongo.hostname.split(':')[0]], `${name}: MONGODB_URI names a service`);
    assert.equal(mongo.searchParams.get('replicaSet'), 'rs0');
    const maesn = new URL(config.maesn.baseUrl);
    assert.equal(maesn.hostname, 'sandbox');
    assert.equal(maesn.port, services.sandbox.environment.SANDBOX_PORT, 'MAESN_BASE_URL uses the sandbox port');
    assert.equal(config.maesn.apiKey, loadSandboxConfig(resolveDefaults(services.sandbox.environment)).apiKey, 'product and sandbox share the API key');
  }
  assert.match(services.api.environment.PLATFORM_API_KEY, /^\$\{PLATFORM_API_KEY:\?/, 'the API needs a platform key from the operator (no default in the file)');
  assert.equal(services.worker.environment.PLATFORM_API_KEY, undefined, 'the worker has no use for it');
  const apiEnv = resolveDefaults(services.api.environment);
  assert.ok(services.api.ports.includes(`${apiEnv.API_PORT}:${apiEnv.API_PORT}`), 'API port published');
  assert.equal(apiEnv.API_HOST, '0.0.0.0', 'API listens beyond loopback inside its container');
  const workerEnv = resolveDefaults(services.worker.environment);
  assert.ok(services.worker.ports.includes(`${workerEnv.WORKER_METRICS_PORT}:${workerEnv.WORKER_METRICS_PORT}`), 'worker metrics published');
});

test('sandbox environment is valid sandbox config', () => {
  const env = resolveDefaults(services.sandbox.environment);
  for (const key of Object.keys(env)) assert.ok(sandboxEnvVars.includes(key) || key === 'NODE_ENV', `sandbox: ${key} is not a variable it reads`);
  const c = loadSandboxConfig(env);
  assert.ok(services.sandbox.ports.includes(`${c.port}:${c.port}`));
});

test('the custom search attributes the workflows use are registered', () => {
  const cmd: string = services['temporal-setup'].command.join(' ');
  const registered = /for sa in ([^;]+); do/.exec(cmd)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(registered.sort(), allSearchAttributeKeys.map((k) => k.name).sort());
  assert.ok(allSearchAttributeKeys.every((k) => k.type === 'KEYWORD'), 'the setup registers them as Keyword');
});
