/**
 * `make dev`: runs the product on embedded defaults.
 *
 *   Temporal dev server  127.0.0.1:7233, UI http://localhost:8233, SQLite in .data/temporal.db
 *   FerretDB             127.0.0.1:27017, SQLite in .data/ferretdb/
 *   Maesn sandbox        http://127.0.0.1:4010, state in .data/sandbox/
 *   worker               metrics http://127.0.0.1:9464/metrics
 *   API + admin page     http://localhost:3000
 *   ops listener         http://127.0.0.1:3001/codec, the codec endpoint the Temporal UI decodes with
 *
 * TEMPORAL_ADDRESS, MONGODB_URI or MAESN_BASE_URL, when set, are used instead of starting
 * the embedded service. Waits until each component is healthy, prints the URLs, the platform key
 * (PLATFORM_API_KEY, or the development key) and a ready admin page link for the tenant `demo`,
 * and stops everything it started on Ctrl-C, SIGTERM or SIGHUP. Needs no terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSandboxConfig } from '@exact-export/maesn-sandbox';
import { loadConfig, loadDevConfig } from '../src/config';
import { ProcessGroup, ROOT, SANDBOX_MAIN, WORKER_PROCESS_ENV, embeddedFerretBackend, httpOk, mongoPing, nodeTs, portInUse, startFerret, startPostgres, startTemporal, waitFor } from './stack';


async function ensureFree(port: number, what: string, override: string) {
  if (await portInUse(port)) {
    throw new Error(`port ${port} (${what}) is already in use: stop whatever listens there, or set ${override} to use it`);
  }
}

const DEMO_TENANT = 'demo';

/** Creates the tenant `demo` (if needed) and mints a one-time admin page link for it, with the platform key. */
async function demoTenantAccess(apiUrl: string, platformKey: string): Promise<{ adminUrl: string; expiresAt: string }> {
  const headers = { authorization: `Bearer ${platformKey}`, 'content-type': 'application/json', accept: 'application/json' };
  const created = await fetch(`${apiUrl}/api/tenants`, { method: 'POST', headers, body: JSON.stringify({ tenantId: DEMO_TENANT, name: 'Demo Advies BV' }) });
  if (created.status !== 200 && created.status !== 201) throw new Error(`creating the demo tenant answered ${created.status}: ${await created.text()}`);
  await created.body?.cancel();
  const link = await fetch(`${apiUrl}/api/tenants/${DEMO_TENANT}/admin-sessions`, { method: 'POST', headers });
  if (link.status !== 201) throw new Error(`minting an admin link answered ${link.status}: ${await link.text()}`);
  return (await link.json()) as { adminUrl: string; expiresAt: string };
}

async function main() {
  const started = Date.now();
  // Validate the environment first: a bad variable stops us before anything starts.
  const config = loadConfig();
  const sandboxConfig = loadSandboxConfig();
  const dev = loadDevConfig();
  const DATA = path.resolve(ROOT, dev.dataDir);
  fs.mkdirSync(DATA, { recursive: true });
  const logs = path.join(DATA, 'logs');
  fs.mkdirSync(logs, { recursive: true });

  const group = new ProcessGroup();
  let stopping = false;
  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[dev] ${reason}: stopping everything`);
    await group.stopAll();
    console.log('[dev] stopped');
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig, 0));
  group.onUnexpectedExit = (p) => void stop(`${p.name} exited (code ${p.exitCode})`, 1);

  // The API's ops listener serves the codec endpoint the Temporal UI calls from the browser.
  const opsPort = config.ops.port ?? 3001;
  const codecEndpoint = `http://127.0.0.1:${opsPort}/codec`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL ?? `http://localhost:${config.api.port}`,
    OPS_PORT: String(opsPort),
    // The dev UI is reached as localhost or 127.0.0.1.
    CODEC_CORS_ORIGINS: process.env.CODEC_CORS_ORIGINS || `http://localhost:${dev.temporalUiPort},http://127.0.0.1:${dev.temporalUiPort}`,
    // The printed admin link stays usable for a working day (it still works only once).
    ADMIN_LINK_TTL: process.env.ADMIN_LINK_TTL || '8h',
  };
  const urls: [string, string][] = [];

  try {
    // Infrastructure first, in parallel.
    const infra: Promise<void>[] = [];
    if (process.env.TEMPORAL_ADDRESS) {
      urls.push(['Temporal', `${config.temporal.address} (external)`]);
    } else {
      infra.push(
        (async () => {
          await ensureFree(dev.temporalPort, 'Temporal', 'TEMPORAL_ADDRESS');
          await ensureFree(dev.temporalUiPort, 'Temporal UI', 'TEMPORAL_ADDRESS');
          const t = await startTemporal(group, {
            port: dev.temporalPort,
            uiPort: dev.temporalUiPort,
            dbFile: path.join(DATA, 'temporal.db'),
            logFile: path.join(logs, 'temporal.log'),
            uiCodecEndpoint: codecEndpoint,
          });
          env.TEMPORAL_ADDRESS = t.address;
          env.TEMPORAL_UI_URL = t.uiUrl;
          urls.push(['Temporal', t.address], ['Temporal UI', t.uiUrl!]);
        })(),
      );
    }
    if (process.env.MONGODB_URI) {
      urls.push(['MongoDB', 'external (MONGODB_URI)']);
      infra.push(waitFor('MongoDB', () => mongoPing(config.mongo.uri), 30_000));
    } else {
      infra.push(
        (async () => {
          await ensureFree(dev.mongoPort, 'FerretDB', 'MONGODB_URI');
          const backend = embeddedFerretBackend();
          const pg = backend === 'postgresql' ? await startPostgres(group, { port: dev.mongoPort + 1, dataDir: path.join(DATA, 'postgres'), logFile: path.join(logs, 'postgres.log') }) : undefined;
          const m = await startFerret(group, { port: dev.mongoPort, dataDir: path.join(DATA, backend === 'postgresql' ? 'ferretdb-pg' : 'ferretdb'), logFile: path.join(logs, 'ferretdb.log'), backend, postgresqlUrl: pg?.url });
          env.MONGODB_URI = m.uri;
          urls.push(['MongoDB (FerretDB)', m.uri]);
        })(),
      );
    }
    if (process.env.MAESN_BASE_URL) {
      urls.push(['Maesn', `${config.maesn.baseUrl} (external)`]);
    } else if (fs.existsSync(path.join(ROOT, SANDBOX_MAIN))) {
      infra.push(
        (async () => {
          await ensureFree(sandboxConfig.port, 'Maesn sandbox', 'MAESN_BASE_URL');
          const [cmd, args] = nodeTs(SANDBOX_MAIN);
          const p = group.spawn('sandbox', cmd, args, {
            env: { ...env, SANDBOX_DATA_DIR: process.env.SANDBOX_DATA_DIR ?? path.join(DATA, 'sandbox') },
          });
          const url = sandboxConfig.publicUrl;
          await waitFor('Maesn sandbox', () => httpOk(`${url}/health`), 60_000, p);
          env.MAESN_BASE_URL = url;
          urls.push(['Maesn sandbox', url]);
        })(),
      );
    }
    await Promise.all(infra);

    // Then the product.
    await ensureFree(config.worker.metricsPort, 'worker metrics', 'WORKER_METRICS_PORT');
    await ensureFree(config.api.port, 'API', 'API_PORT');
    await ensureFree(opsPort, 'ops listener (codec endpoint)', 'OPS_PORT');
    const [wCmd, wArgs] = nodeTs('src/worker.ts');
    const worker = group.spawn('worker', wCmd, wArgs, { env: { ...WORKER_PROCESS_ENV, ...env } });
    const metricsUrl = `http://${config.worker.metricsHost}:${config.worker.metricsPort}/metrics`;
    await waitFor('worker', () => httpOk(metricsUrl), 120_000, worker);
    urls.push(['Worker metrics', metricsUrl]);

    const [aCmd, aArgs] = nodeTs('src/api/main.ts');
    const api = group.spawn('api', aCmd, aArgs, { env });
    const apiUrl = `http://localhost:${config.api.port}`;
    await waitFor('API', () => httpOk(`${apiUrl}/readyz`), 60_000, api);
    urls.push(['API', apiUrl], ['Admin page', `${apiUrl}/admin`], ['Readiness', `${apiUrl}/readyz`], ['Codec endpoint', codecEndpoint]);

    const access = await demoTenantAccess(apiUrl, config.access.platformKeys[0]);

    const width = Math.max(...urls.map(([k]) => k.length));
    console.log(`\n[dev] ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const [k, v] of urls) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log(`\n  Platform key  ${config.access.platformKeys[0]}${process.env.PLATFORM_API_KEY ? ' (PLATFORM_API_KEY)' : ' (development key; set PLATFORM_API_KEY to use your own)'}`);
    console.log(`  Admin page    ${access.adminUrl}`);
    console.log(`                one-time link for tenant "${DEMO_TENANT}", valid until ${access.expiresAt}; a new one:`);
    console.log(`                curl -s -X POST -H "Authorization: Bearer ${config.access.platformKeys[0]}" ${apiUrl}/api/tenants/${DEMO_TENANT}/admin-sessions`);
    console.log(`\n  logs: ${path.relative(ROOT, logs)}/   stop: Ctrl-C\n`);
  } catch (err) {
    console.error(`[dev] ${(err as Error).message}`);
    await stop('start-up failed', 1);
  }
}

void main();
