/**
 * The stack the end-to-end benchmarks run on, started and stopped by the bench: a Temporal dev
 * server (in memory), FerretDB on the embedded default backend (or the one asked for), the Maesn
 * sandbox as a process of its own, and — on request — product workers and the API as processes,
 * the way `make dev` runs them. Everything lives in a temporary directory that is removed after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SandboxControl } from '@exact-export/maesn-sandbox';
import { ProcessGroup, ROOT, SANDBOX_MAIN, WORKER_PROCESS_ENV, embeddedFerretBackend, freePort, httpOk, nodeTs, startFerret, startPostgres, startTemporal, waitFor, type FerretBackend } from '../scripts/stack';
import { createMongo, createStores, ensureIndexes, type Mongo, type Stores } from '../src/store';
import { loadConfig } from '../src/config';
import { productDataConverter } from '../src/temporal';

export const API_KEY = 'bench-api-key-0123456789';
export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
/** The product runs with NODE_ENV=production here, which refuses the development key ring and platform key. */
export const BENCH_ENCRYPTION_KEYS = `bench:${Buffer.alloc(32, 0x5a).toString('base64')}`;
export const BENCH_PLATFORM_KEY = 'bench-platform-key-0123456789abcdef0123';

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output: string[];
  stop(): Promise<void>;
}

export interface BenchStack {
  dir: string;
  backend: FerretBackend;
  temporalAddress: string;
  mongoUri: string;
  dbName: string;
  sandboxUrl: string;
  sandbox: SandboxControl;
  temporal: Client;
  mongo: Mongo;
  stores: Stores;
  /** Environment of a product process on this stack. */
  productEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** A product worker as its own process (`src/worker.ts`), started and ready. */
  startWorker(extra?: Record<string, string>): Promise<BenchProcess>;
  /** The API as its own process; resolves with its URL. */
  startApi(extra?: Record<string, string>): Promise<{ url: string; process: BenchProcess }>;
  /** A TypeScript file of the bench as a process (e.g. the floor's worker). */
  startScript(name: string, file: string, env: NodeJS.ProcessEnv, ready: string): Promise<BenchProcess>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  backend?: FerretBackend;
  sandboxRateLimit: { perMinute: number; perDay: number };
  taskQueue?: string;
}

let built: Promise<void> | undefined;

/** The stacks running now: an interrupted or timed-out run stops them before it exits. */
const running = new Set<() => Promise<void>>();

/** Stops every stack still running (SIGINT, SIGTERM, the watchdog). */
export async function stopAllStacks(): Promise<void> {
  await Promise.allSettled([...running].map((stop) => stop()));
}

/** Builds the product once per bench run (`npm run build`): workers and the API run as deployed. */
export function buildProduct(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed: ${out.slice(-800)}`))));
  });
  return built;
}

export async function startBenchStack(o: BenchStackOptions): Promise<BenchStack> {
  await buildProduct();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exact-export-bench-'));
  const group = new ProcessGroup();
  const procs: BenchProcess[] = [];
  const backend = o.backend ?? embeddedFerretBackend();
  let temporal: Client | undefined;
  let mongo: Mongo | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= stopEverything());
  const stopEverything = async () => {
    running.delete(stop);
    for (const p of [...procs].reverse()) await p.stop();
    // BENCH_KEEP_LOGS=<dir>: the product processes' output (the last lines kept) survives the run.
    const keep = process.env.BENCH_KEEP_LOGS;
    if (keep) {
      fs.mkdirSync(keep, { recursive: true });
      for (const p of procs) fs.writeFileSync(path.join(keep, `${p.name}-${p.pid}.log`), p.output.join('\n') + '\n');
    }
    await mongo?.close().catch(() => undefined);
    await temporal?.connection.close().catch(() => undefined);
    await group.stopAll(5_000);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  running.add(stop);
  try {
    const [tPort, mPort, sPort] = [await freePort(), await freePort(), await freePort()];
    const pgUrl = backend === 'postgresql' ? (await startPostgres(group, { port: await freePort(), dataDir: path.join(dir, 'postgres'), logFile: path.join(dir, 'postgres.log'), ephemeral: true })).url : undefined;
    const [t, m] = await Promise.all([
      startTemporal(group, { port: tPort, logFile: path.join(dir, 'temporal.log') }),
      startFerret(group, { port: mPort, dataDir: path.join(dir, 'ferretdb'), logFile: path.join(dir, 'ferretdb.log'), backend, postgresqlUrl: pgUrl }),
    ]);
    const [cmd, args] = nodeTs(SANDBOX_MAIN);
    const sb = group.spawn('sandbox', cmd, args, {
      logFile: path.join(dir, 'sandbox.log'),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        SANDBOX_PORT: String(sPort),
        SANDBOX_DATA_DIR: path.join(dir, 'sandbox'),
        SANDBOX_RATE_LIMIT_PER_MINUTE: String(o.sandboxRateLimit.perMinute),
        SANDBOX_RATE_LIMIT_PER_DAY: String(o.sandboxRateLimit.perDay),
        MAESN_API_KEY: API_KEY,
        MAESN_SIGNING_SECRET: SIGNING_SECRET,
      },
    });
    const sandboxUrl = `http://127.0.0.1:${sPort}`;
    await waitFor('Maesn sandbox', () => httpOk(`${sandboxUrl}/health`), 60_000, sb);
    const dbName = 'exact_export_bench';
    mongo = createMongo(m.uri, dbName);
    const config = loadConfig({ MONGODB_URI: m.uri, MONGODB_DB: dbName, ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS });
    // The product encrypts payloads: the benchmark's client reads them with the same key ring.
    temporal = new Client({ connection: await Connection.connect({ address: t.address }), dataConverter: productDataConverter(config.keyRing) });
    const stores = createStores(mongo.db, config);
    await ensureIndexes(stores);
    const taskQueue = o.taskQueue ?? 'exact-export-bench';

    const startScript = async (name: string, file: string, env: NodeJS.ProcessEnv, ready: string): Promise<BenchProcess> => {
      // Built JavaScript runs on plain node (as deployed); TypeScript through tsx.
      // BENCH_NODE_ARGS: extra node options for the product's processes (for example `--cpu-prof --cpu-prof-dir=…` to profile them).
      const extra = file.startsWith('dist/') && process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(/\s+/).filter(Boolean) : [];
      const args = file.endsWith('.js') ? [...extra, path.join(ROOT, file)] : ['--import', 'tsx', path.join(ROOT, file)];
      const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const output: string[] = [];
      let buf = '';
      const collect = (c: Buffer) => {
        buf += c.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        output.push(...lines);
        if (output.length > 20_000) output.splice(0, output.length - 10_000);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const p: BenchProcess = {
        name,
        child,
        pid: child.pid!,
        output,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            /* gone */
          }
          const t = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              /* gone */
            }
          }, 15_000);
          await exited;
          clearTimeout(t);
        },
      };
      procs.push(p);
      await waitFor(name, async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited: ${output.slice(-20).join('\n')}`);
        return ready === '' || output.some((l) => l.includes(ready));
      }, 180_000);
      return p;
    };

    const productEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: m.uri,
      MONGODB_DB: dbName,
      MAESN_BASE_URL: sandboxUrl,
      MAESN_API_KEY: API_KEY,
      MAESN_SIGNING_SECRET: SIGNING_SECRET,
      ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
      PLATFORM_API_KEY: BENCH_PLATFORM_KEY,
      ...extra,
    });

    return {
      dir,
      backend,
      temporalAddress: t.address,
      mongoUri: m.uri,
      dbName,
      sandboxUrl,
      sandbox: new SandboxControl(sandboxUrl, API_KEY),
      temporal,
      mongo,
      stores,
      productEnv,
      startScript,
      async startWorker(extra = {}) {
        return startScript('worker', 'dist/src/worker.js', { ...WORKER_PROCESS_ENV, ...productEnv({ NODE_ENV: 'production', WORKER_METRICS_PORT: String(await freePort()), ...extra }) }, 'worker started');
      },
      async startApi(extra = {}) {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const p = await startScript('api', 'dist/src/api/main.js', productEnv({ NODE_ENV: 'production', API_PORT: String(port), PUBLIC_BASE_URL: url, LOG_LEVEL: 'warn', ...extra }), '');
        await waitFor('API', () => httpOk(`${url}/readyz`), 60_000);
        return { url, process: p };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resident set size of a process now (MiB), from /proc. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak (MiB). */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = rssMiB(pid) ?? 0;
  const t = setInterval(() => {
    const r = rssMiB(pid);
    if (r !== null && r > peak) peak = r;
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return peak;
    },
  };
}
