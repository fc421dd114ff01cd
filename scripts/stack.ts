/**
 * Starts and stops the processes of the embedded stack (Temporal dev server, FerretDB,
 * Maesn sandbox, worker, API) for `make dev` and `make test`.
 *
 * Every process is spawned in its own process group so that stopping it also stops
 * whatever it spawned; `ProcessGroup.stopAll()` sends SIGTERM, waits, then SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { allSearchAttributeKeys } from '../src/workflows/definitions';

export const ROOT = path.resolve(__dirname, '..');

/** `--search-attribute Name=Type` values for the product's custom search attributes. */
export function searchAttributeArgs(): string[] {
  const cliType: Record<string, string> = {
    KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', DOUBLE: 'Double', BOOL: 'Bool', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList',
  };
  return allSearchAttributeKeys.flatMap((k) => ['--search-attribute', `${k.name}=${cliType[k.type]}`]);
}

/** The variable that points each tool elsewhere (scripts/tools.sh honours the same ones). */
const TOOL_OVERRIDES = { temporal: 'TEMPORAL_CLI', ferretdb: 'FERRETDB_BIN', 'temporal-test-server': 'TEMPORAL_TEST_SERVER' } as const;

export function toolPath(name: keyof typeof TOOL_OVERRIDES): string {
  const p = process.env[TOOL_OVERRIDES[name]] || path.join(ROOT, '.tools', 'bin', name);
  if (!fs.existsSync(p)) {
    throw new Error(`${name} not found at ${p}: run 'make tools' (or set ${TOOL_OVERRIDES[name]})`);
  }
  return p;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export async function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child?.exited) throw new Error(`${what}: process exited early (code ${child.exitCode}); see ${child.logFile ?? 'output above'}`);
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs} ms${child?.logFile ? `; see ${child.logFile}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.body?.cancel();
  return res.ok;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile?: string;
  exited: boolean;
  exitCode: number | null;
  done: Promise<void>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Write output to this file instead of prefixing it onto our stdout. */
  logFile?: string;
}

const COLORS = [36, 35, 33, 32, 34, 31];

export class ProcessGroup {
  private readonly procs: ManagedProcess[] = [];
  private stopping = false;
  /** Called when a process exits while the group is not stopping. */
  onUnexpectedExit?: (p: ManagedProcess) => void;

  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ManagedProcess {
    const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'pipe';
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, out],
      detached: true, // own process group: we can signal it and its children as a whole
    });
    if (typeof out === 'number') fs.closeSync(out);
    const color = COLORS[this.procs.length % COLORS.length];
    const prefix = process.stdout.isTTY ? `\x1b[${color}m${name.padEnd(8)}\x1b[0m| ` : `${name.padEnd(8)}| `;
    const pipeLines = (stream: NodeJS.ReadableStream | null) => {
      if (!stream) return;
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          process.stdout.write(prefix + buf.slice(0, i) + '\n');
          buf = buf.slice(i + 1);
        }
      });
      stream.on('end', () => buf && process.stdout.write(prefix + buf + '\n'));
    };
    pipeLines(child.stdout);
    pipeLines(child.stderr);
    const mp: ManagedProcess = { name, child, logFile: opts.logFile, exited: false, exitCode: null, done: Promise.resolve() };
    mp.done = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        mp.exited = true;
        mp.exitCode = code ?? (signal ? 128 : null);
        if (!this.stopping) this.onUnexpectedExit?.(mp);
        resolve();
      });
      child.once('error', (err) => {
        process.stderr.write(`${name}: failed to start: ${err.message}\n`);
        mp.exited = true;
        mp.exitCode = 127;
        resolve();
      });
    });
    this.procs.push(mp);
    return mp;
  }

  private stopped?: Promise<void>;

  /**
   * Stops every process, newest first: SIGTERM to its group, SIGKILL after `graceMs`.
   * Safe to call more than once (a signal during a normal teardown): every call waits for the same stop.
   */
  stopAll(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.stopped ??= (async () => {
      for (const p of [...this.procs].reverse()) {
        await stopProcess(p, graceMs);
      }
    })();
    return this.stopped;
  }
}

function signalGroup(p: ManagedProcess, sig: NodeJS.Signals) {
  if (p.child.pid === undefined) return;
  try {
    process.kill(-p.child.pid, sig);
  } catch {
    try {
      p.child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

async function stopProcess(p: ManagedProcess, graceMs: number): Promise<void> {
  if (!p.exited) {
    signalGroup(p, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([p.done.then(() => 'done' as const), timer])) === 'timeout') {
      process.stderr.write(`${p.name} did not stop within ${graceMs} ms; killing it\n`);
    }
  }
  // Whatever the main process left behind in its group goes too.
  signalGroup(p, 'SIGKILL');
  await p.done;
}

export interface TemporalOptions {
  port: number;
  /** UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file; omit for in-memory. */
  dbFile?: string;
  logFile?: string;
  /** Remote codec the UI calls from the browser to show encrypted payloads. */
  uiCodecEndpoint?: string;
}

export async function startTemporal(group: ProcessGroup, o: TemporalOptions): Promise<{ address: string; uiUrl?: string }> {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(o.port),
    '--namespace', 'default',
    '--log-level', 'warn',
    // Nothing phones home: the version check is the only outbound call the dev server makes.
    '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
    ...searchAttributeArgs(),
  ];
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  if (o.uiPort) args.push('--ui-port', String(o.uiPort), '--ui-ip', '127.0.0.1');
  if (o.uiPort && o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  else args.push('--headless');
  const bin = toolPath('temporal');
  const p = group.spawn('temporal', bin, args, { logFile: o.logFile });
  const address = `127.0.0.1:${o.port}`;
  await waitFor('Temporal dev server', () => commandOk(bin, ['operator', 'cluster', 'health', '--address', address]), 60_000, p);
  return { address, uiUrl: o.uiPort ? `http://localhost:${o.uiPort}` : undefined };
}

export interface FerretOptions {
  port: number;
  dataDir: string;
  logFile?: string;
  /** Storage: SQLite files in dataDir (default), or a PostgreSQL database (`postgresqlUrl`). */
  backend?: FerretBackend;
  postgresqlUrl?: string;
}

export async function startFerret(group: ProcessGroup, o: FerretOptions): Promise<{ uri: string }> {
  fs.mkdirSync(o.dataDir, { recursive: true });
  const storage =
    o.backend === 'postgresql'
      ? ['--handler=postgresql', `--postgresql-url=${o.postgresqlUrl ?? ''}`]
      : ['--handler=sqlite', `--sqlite-url=file:${o.dataDir.replace(/\/?$/, '/')}`];
  const args = [
    ...storage,
    `--state-dir=${o.dataDir}`,
    `--listen-addr=127.0.0.1:${o.port}`,
    process.env.FERRET_DEBUG_ADDR ? `--debug-addr=${process.env.FERRET_DEBUG_ADDR}` : '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
  ];
  const p = group.spawn('ferretdb', toolPath('ferretdb'), args, { logFile: o.logFile });
  const uri = `mongodb://127.0.0.1:${o.port}/?directConnection=true`;
  await waitFor('FerretDB', () => mongoPing(uri), 30_000, p);
  return { uri };
}

export type FerretBackend = 'sqlite' | 'postgresql';

/** FerretDB's storage in the embedded stack: FERRETDB_HANDLER when set, else the default. */
export function embeddedFerretBackend(): FerretBackend {
  const v = process.env.FERRETDB_HANDLER;
  if (v === 'sqlite' || v === 'postgresql') return v;
  if (v) throw new Error(`FERRETDB_HANDLER must be sqlite or postgresql`);
  return 'sqlite';
}

/** PostgreSQL's server binaries (Debian's `postgresql` package), or null when it is not installed. */
export function postgresBinDir(): string | null {
  if (process.env.POSTGRES_BIN_DIR) return fs.existsSync(path.join(process.env.POSTGRES_BIN_DIR, 'postgres')) ? process.env.POSTGRES_BIN_DIR : null;
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : null;
}

/**
 * Runs a PostgreSQL binary as an unprivileged user: PostgreSQL refuses to run as root, so under
 * root it runs as the `postgres` user Debian's package creates (setpriv execs, so signals reach it).
 */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

export interface PostgresOptions {
  port: number;
  dataDir: string;
  logFile?: string;
  /** Throw-away data (tests, benchmarks): no fsync. */
  ephemeral?: boolean;
}

/** Starts PostgreSQL on loopback (initialising `dataDir` on first use) with a `ferretdb` database; returns its URL. */
export async function startPostgres(group: ProcessGroup, o: PostgresOptions): Promise<{ url: string }> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql); or set FERRETDB_HANDLER=sqlite');
  fs.mkdirSync(o.dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    await run('chown', ['-R', 'postgres:postgres', o.dataDir]);
    reachableByOthers(path.dirname(o.dataDir));
  }
  if (!fs.existsSync(path.join(o.dataDir, 'PG_VERSION'))) {
    const [cmd, args] = asPostgresUser(path.join(bin, 'initdb'), ['-D', o.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    await run(cmd, args);
  }
  const settings = ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${o.dataDir}`, '-c', 'max_connections=200'];
  if (o.ephemeral) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const [cmd, args] = asPostgresUser(path.join(bin, 'postgres'), ['-D', o.dataDir, '-p', String(o.port), ...settings]);
  const p = group.spawn('postgres', cmd, args, { logFile: o.logFile });
  const url = `postgres://postgres@127.0.0.1:${o.port}/ferretdb`;
  await waitFor('PostgreSQL', () => commandOk(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres']), 60_000, p);
  const psql = (sql: string) => run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres', '-d', 'postgres', '-tAc', sql]);
  if (!(await psql("SELECT 1 FROM pg_database WHERE datname = 'ferretdb'")).trim()) await psql('CREATE DATABASE ferretdb');
  return { url };
}

/**
 * The `postgres` user must be able to reach its data directory: directories of ours on the way
 * (a private temporary directory, the project's .data) get the search bit for others.
 */
function reachableByOthers(dir: string): void {
  for (let d = path.resolve(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = fs.statSync(d).mode;
    if (mode & 0o001) continue;
    const ours = d.startsWith(fs.realpathSync(os.tmpdir()) + path.sep) || d.startsWith(os.tmpdir() + path.sep) || d === ROOT || d.startsWith(ROOT + path.sep);
    if (!ours) throw new Error(`PostgreSQL runs as user postgres and cannot reach ${dir}: ${d} is not searchable by others (chmod o+x ${d})`);
    fs.chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.filter((a) => !a.startsWith('--re')).slice(0, 3).join(' ')} failed (${code}): ${out.trim().slice(-500)}`);
  return out;
}

async function commandOk(cmd: string, args: string[]): Promise<boolean> {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code === 0;
}

export async function mongoPing(uri: string): Promise<boolean> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.connect();
    const r = await client.db('admin').command({ ping: 1 });
    return r.ok === 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * What a product worker process gets in its environment wherever our scripts start one (`make dev`,
 * the benchmarks; docker-compose.yml sets the same). glibc gives threads that allocate at once
 * arenas of their own, up to eight per core, and each keeps what was freed in it; the worker's
 * threads (Temporal's core runtime, the workflow thread, libuv's pool) leave memory spread over
 * many. With two arenas the 100,000-supplier sync's peak RSS fell by 7–51 MiB per run (README,
 * "Worker memory"). A value set by the caller wins.
 */
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The Maesn sandbox's entry point (its own package in sandbox/, run from source like the product). */
export const SANDBOX_MAIN = 'sandbox/main.ts';

/** `node --import tsx <file>`: one process, so signals reach the program itself. */
export function nodeTs(file: string): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', path.join(ROOT, file)]];
}
