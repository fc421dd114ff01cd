/**
 * `make test`: runs test files with node's test runner, starting only what the selected files
 * need (by folder):
 *   test/unit         nothing: no server, no stack (`npm run test:unit`)
 *   test/workflows    nothing here: each file starts its own time-skipping test server
 *                     (test/helpers/time-skipping.ts, needs .tools/bin/temporal-test-server)
 *   anything else     the throw-away stack: a dedicated Temporal dev server, FerretDB and Maesn
 *                     sandbox on free ports with throw-away data, always torn down, also on
 *                     failure or Ctrl-C
 *
 *   npm test                         all tests
 *   npm test -- test/unit/x.test.ts  only the given files (or folders)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ProcessGroup, ROOT, SANDBOX_MAIN, freePort, httpOk, nodeTs, startFerret, startTemporal, waitFor } from './stack';

const TEST_API_KEY = 'test-api-key-0123456789';
const TEST_SIGNING_SECRET = 'test-signing-secret-0123456789';

/** Whether a test file needs the throw-away stack; see the top of this file. */
function needsStack(file: string): boolean {
  const rel = path.relative(path.join(ROOT, 'test'), path.resolve(file)).split(path.sep);
  return !(rel[0] === 'unit' || rel[0] === 'workflows');
}

function findTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'helpers' || e.name === 'fixtures' ? [] : findTests(p);
      return e.name.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

async function main() {
  const selected = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = selected.length
    ? selected.flatMap((f) => (fs.statSync(f, { throwIfNoEntry: false })?.isDirectory() ? findTests(path.resolve(f)) : [path.resolve(f)]))
    : findTests(path.join(ROOT, 'test'));
  if (files.length === 0) throw new Error(`no test files found in ${selected.length ? selected.join(', ') : 'test/'}`);

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exact-export-test-'));
  const group = new ProcessGroup();
  let exitCode = 1;
  let child: ChildProcess | undefined; // the test runner
  let tornDown: Promise<void> | undefined;
  const teardown = () =>
    (tornDown ??= (async () => {
      if (child?.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // the test runner's group: anything the tests left running
        } catch {
          /* the group is empty */
        }
      }
      await group.stopAll(5_000);
      if (process.env.KEEP_TEST_DATA) console.log(`[test] kept ${runDir}`);
      else fs.rmSync(runDir, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      console.error(`[test] ${sig}: tearing down`);
      void teardown().then(() => process.exit(130));
    });
  }

  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      TEST_RUN_DIR: runDir,
    };
    if (files.some(needsStack)) Object.assign(env, await startStack(group, runDir, env));
    else console.log(`[test] ${files.length} file(s), none needs the stack: nothing started`);

    // Its own process group, so that whatever the test files started (a time-skipping server
    // whose test process died) goes when the run ends, and a Ctrl-C here reaches all of it.
    child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? '300000'}`, `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`, ...files],
      { cwd: ROOT, env, stdio: 'inherit', detached: true },
    );
    const testRun = child;
    exitCode = await new Promise<number>((resolve) => testRun.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  } catch (err) {
    console.error(`[test] ${(err as Error).message}`);
    for (const f of ['temporal.log', 'ferretdb.log', 'sandbox.log']) {
      const p = path.join(runDir, f);
      if (fs.existsSync(p)) console.error(`--- ${f} (tail) ---\n${fs.readFileSync(p, 'utf8').split('\n').slice(-30).join('\n')}`);
    }
    exitCode = 1;
  } finally {
    await teardown();
  }
  process.exit(exitCode);
}

/** Starts Temporal, FerretDB and the Maesn sandbox; returns the variables that point the tests at them. */
async function startStack(group: ProcessGroup, runDir: string, baseEnv: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const started = Date.now();
  const [temporalPort, ferretPort, sandboxPort] = [await freePort(), await freePort(), await freePort()];
  const [temporal, mongo] = await Promise.all([
    startTemporal(group, { port: temporalPort, logFile: path.join(runDir, 'temporal.log') }),
    startFerret(group, { port: ferretPort, dataDir: path.join(runDir, 'ferretdb'), logFile: path.join(runDir, 'ferretdb.log') }),
  ]);
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: temporal.address,
    MONGODB_URI: mongo.uri,
    MAESN_API_KEY: TEST_API_KEY,
    MAESN_SIGNING_SECRET: TEST_SIGNING_SECRET,
  };
  if (fs.existsSync(path.join(ROOT, SANDBOX_MAIN))) {
    const [cmd, args] = nodeTs(SANDBOX_MAIN);
    const p = group.spawn('sandbox', cmd, args, {
      logFile: path.join(runDir, 'sandbox.log'),
      env: {
        ...baseEnv,
        ...env,
        SANDBOX_PORT: String(sandboxPort),
        SANDBOX_DATA_DIR: path.join(runDir, 'sandbox'),
        // The shared sandbox serves many test files at once: Exact's limits would throttle them.
        SANDBOX_RATE_LIMIT_PER_MINUTE: '100000',
        SANDBOX_RATE_LIMIT_PER_DAY: '10000000',
      },
    });
    env.MAESN_BASE_URL = `http://127.0.0.1:${sandboxPort}`;
    await waitFor('Maesn sandbox', () => httpOk(`${env.MAESN_BASE_URL}/health`), 60_000, p);
  }
  console.log(`[test] stack up in ${Date.now() - started} ms: temporal ${temporal.address}, mongo ${mongo.uri}${env.MAESN_BASE_URL ? `, sandbox ${env.MAESN_BASE_URL}` : ''}`);
  return env;
}

void main();
