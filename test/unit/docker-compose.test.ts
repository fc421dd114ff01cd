/**
 * No Docker engine runs on the build machines, so the production-like compose file is checked
 * statically: services, ports and the environment wiring the product relies on, and the
 * deployment rules: ports on loopback, MongoDB with authentication, no secret in the file (each
 * comes from .env, listed in .env.example), restart policies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadSandboxConfig, sandboxEnvVars } from '@exact-export/maesn-sandbox';
import { DEV_DEFAULTS, loadConfig, productEnvVars } from '../../src/config';
import { allSearchAttributeKeys } from '../../src/workflows/definitions';
import { WORKER_PROCESS_ENV } from '../../scripts/stack';

const ROOT = path.resolve(__dirname, '../..');
const composeText = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true });
const services: Record<string, any> = compose.services;

/** The variables .env.example lists (with their values, which must be empty). */
const envExample = Object.fromEntries(
  fs
    .readFileSync(path.join(ROOT, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);

/** A filled-in .env: fresh values of the right shape for every variable of .env.example. */
const dotEnv: Record<string, string> = Object.fromEntries(
  Object.keys(envExample).map((k) => [k, k === 'ENCRYPTION_KEYS' ? `k1:${randomBytes(32).toString('base64')}` : randomBytes(24).toString('hex')]),
);

/** Interpolates `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as compose does, from `vars`. */
function interpolate(value: unknown, vars: Record<string, string>): string {
  return String(value).replace(/\$\{([A-Z_]+)(?:(:-|:\?)([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (vars[name] !== undefined && vars[name] !== '') return vars[name];
    if (op === ':-') return arg ?? '';
    throw new Error(`compose would stop: ${name} is unset (${arg ?? ''})`);
  });
}

function resolveEnv(env: Record<string, unknown>, vars: Record<string, string> = dotEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, vars)]));
}

/** `${VAR:?…}` references: the values compose requires from .env. */
const required = new Set([...composeText.replace(/^\s*#.*$/gm, '').matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1]));

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
    const env = resolveEnv(services[name].environment);
    // Besides the product's own variables, the worker gets the process environment (read by the C library).
    for (const key of Object.keys(env)) assert.ok(productEnvVars.includes(key) || (name === 'worker' && key in WORKER_PROCESS_ENV), `${name}: ${key} is not a variable the product reads`);
    const config = loadConfig(env); // throws if anything is invalid
    assert.equal(config.env, 'production');
    assert.ok(services[hostPort(config.temporal.address).hostname], `${name}: TEMPORAL_ADDRESS names a service`);
    const mongo = new URL(config.mongo.uri);
    assert.ok(services[mongo.hostname.split(':')[0]], `${name}: MONGODB_URI names a service`);
    assert.equal(mongo.searchParams.get('replicaSet'), 'rs0');
    const maesn = new URL(config.maesn.baseUrl);
    assert.equal(maesn.hostname, 'sandbox');
    assert.equal(maesn.port, services.sandbox.environment.SANDBOX_PORT, 'MAESN_BASE_URL uses the sandbox port');
    assert.equal(config.maesn.apiKey, loadSandboxConfig(resolveEnv(services.sandbox.environment)).apiKey, 'product and sandbox share the API key');
  }
  assert.match(String(services.api.environment.PLATFORM_API_KEY), /^\$\{PLATFORM_API_KEY:\?/, 'the API needs a platform key from the operator (no default in the file)');
  const apiEnv = resolveEnv(services.api.environment);
  assert.ok(services.api.ports.includes(`127.0.0.1:${apiEnv.API_PORT}:${apiEnv.API_PORT}`), 'API port published');
  assert.equal(apiEnv.API_HOST, '0.0.0.0', 'API listens beyond loopback inside its container');
  const workerEnv = resolveEnv(services.worker.environment);
  assert.ok(services.worker.ports.includes(`127.0.0.1:${workerEnv.WORKER_METRICS_PORT}:${workerEnv.WORKER_METRICS_PORT}`), 'worker metrics published');
});

test('the worker runs with the process environment our scripts give it (malloc arenas)', () => {
  const workerEnv = resolveEnv(services.worker.environment);
  for (const [k, v] of Object.entries(WORKER_PROCESS_ENV)) assert.equal(workerEnv[k], v, `worker ${k}`);
});

test('every published port listens on 127.0.0.1 only', () => {
  const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p: unknown) => [name, String(p)] as const));
  assert.ok(published.length >= 6);
  for (const [name, p] of published) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${p} is published beyond loopback`);
});

test('no secret is written in the compose file: each comes from .env, listed empty in .env.example', () => {
  const secretName = /KEY|SECRET|PASSWORD|PWD|TOKEN/;
  for (const [name, s] of Object.entries(services)) {
    for (const [k, v] of Object.entries<unknown>(s.environment ?? {})) {
      if (!secretName.test(k) || /USERNAME|PATH/.test(k)) continue;
      assert.match(String(v), /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name}: ${k} must be \${VAR:?…} from .env`);
    }
  }
  // The MongoDB connection string carries its password from .env too.
  assert.match(services.worker.environment.MONGODB_URI, /:\$\{MONGO_APP_PASSWORD:\?[^}]+\}@/);
  assert.deepEqual([...required].sort(), Object.keys(envExample).sort(), '.env.example lists exactly the variables compose requires');
  for (const [k, v] of Object.entries(envExample)) assert.equal(v, '', `.env.example must not carry a value for ${k}`);
  // Nothing of the development defaults is left in the file.
  for (const v of Object.values(DEV_DEFAULTS)) assert.ok(!composeText.includes(v), 'a development default in docker-compose.yml');
  assert.ok(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n').includes('.env'), '.env is never committed');
});

test('without .env compose stops, and with development values the product refuses to start', () => {
  assert.throws(() => resolveEnv(services.api.environment, {}), /compose would stop: \w+ is unset/);
  const devValues = { ...dotEnv, MAESN_API_KEY: DEV_DEFAULTS.maesnApiKey };
  assert.throws(() => loadConfig(resolveEnv(services.api.environment, devValues)), /MAESN_API_KEY: is the development default/);
});

test('MongoDB runs with authentication and the service logs in as its own user', () => {
  const mongo = services.mongo;
  assert.ok(mongo.command.includes('--keyFile'), 'a replica set with users needs a key file');
  const env = resolveEnv(mongo.environment);
  assert.ok(env.MONGO_INITDB_ROOT_USERNAME && env.MONGO_INITDB_ROOT_PASSWORD, 'root user created on first start');
  assert.ok(mongo.volumes.includes('./deploy/mongo-init:/docker-entrypoint-initdb.d:ro'));
  const init = fs.readFileSync(path.join(ROOT, 'deploy/mongo-init/create-app-user.js'), 'utf8');
  assert.match(init, /createUser/);
  assert.match(init, /role: 'readWrite', db: dbName/);
  const uri = new URL(loadConfig(resolveEnv(services.api.environment)).mongo.uri);
  assert.equal(decodeURIComponent(uri.username), env.MONGO_APP_USERNAME);
  assert.equal(decodeURIComponent(uri.password), env.MONGO_APP_PASSWORD);
  assert.equal(uri.searchParams.get('authSource'), env.MONGO_APP_DB);
  assert.equal(uri.pathname.slice(1), env.MONGO_APP_DB);
  // The healthcheck authenticates from the container's environment, not with a password argument.
  const health: string = mongo.healthcheck.test.join(' ');
  assert.match(health, /process\.env\.MONGO_INITDB_ROOT_PASSWORD/);
  assert.ok(!/--password|-p /.test(health));
});

test('long-running services restart; the one-shot setup does not', () => {
  for (const [name, s] of Object.entries(services)) {
    if (name === 'temporal-setup') assert.equal(s.restart, 'no');
    else assert.equal(s.restart, 'unless-stopped', `${name} has no restart policy`);
  }
});

test('the Temporal UI decodes payloads through the API ops listener, and only its origin may', () => {
  const api = loadConfig(resolveEnv(services.api.environment));
  assert.ok(api.ops.port !== null, 'the API opens its ops listener');
  const codecEndpoint = new URL(services['temporal-ui'].environment.TEMPORAL_CODEC_ENDPOINT);
  assert.equal(codecEndpoint.pathname, '/codec');
  assert.ok(services.api.ports.includes(`127.0.0.1:${codecEndpoint.port}:${api.ops.port}`), 'the codec endpoint is the published ops port');
  const uiPort = String(services['temporal-ui'].ports[0]).split(':')[1];
  assert.deepEqual(api.codec.corsOrigins, [`http://localhost:${uiPort}`]);
});

test('sandbox environment is valid sandbox config', () => {
  const env = resolveEnv(services.sandbox.environment);
  for (const key of Object.keys(env)) assert.ok(sandboxEnvVars.includes(key) || key === 'NODE_ENV', `sandbox: ${key} is not a variable it reads`);
  const c = loadSandboxConfig(env);
  assert.ok(services.sandbox.ports.includes(`127.0.0.1:${c.port}:${c.port}`));
});

test('the custom search attributes the workflows use are registered', () => {
  const cmd: string = services['temporal-setup'].command.join(' ');
  const registered = /for sa in ([^;]+); do/.exec(cmd)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(registered.sort(), allSearchAttributeKeys.map((k) => k.name).sort());
  assert.ok(allSearchAttributeKeys.every((k) => k.type === 'KEYWORD'), 'the setup registers them as Keyword');
});
