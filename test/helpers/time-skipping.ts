/**
 * Workflow tests under skipped time (test/workflows): the product's workflows on Temporal's
 * time-skipping test server, with stubbed activities.
 *
 * One server per test process (node's test runner gives every file its own process): the server's
 * clock is global, so two files must never share one. The helper starts the server itself
 * (`.tools/bin/temporal-test-server`, see scripts/tools.sh) and waits for it as long as a loaded
 * machine needs; the SDK's own `createTimeSkipping({ server: { executable } })` gives a JVM only a
 * fixed 5 s, which two test files starting at once on 2 cores do not always meet. It then attaches
 * a time-skipping environment to that server, registers the product's custom search attributes
 * (the test server rejects upserts of undefined ones), and bundles the workflow code once.
 *
 *   const ts = await startTimeSkipping();                     // in before()
 *   const stubs = stubActivities({ prepareExport: async () => ({ missing: 0 }) });
 *   await ts.withWorker(stubs, async (w) => { const handle = await w.start(exportExpenseReport, {...}); ... });
 *   await ts.stop();                                           // in after()
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { ApplicationFailure, type Workflow } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type Activities, type ActivityDeps } from '../../src/activities';
import { KeyRing } from '../../src/crypto';
import { FAILURE_CONVERTER_PATH, productDataConverter } from '../../src/temporal';
import { WORKFLOWS_PATH } from '../../src/worker';
import { allSearchAttributeKeys } from '../../src/workflows/definitions';
import { freePort, toolPath } from '../../scripts/stack';
import { uniqueId } from './ids';

const READY_TIMEOUT_MS = 60_000;

/** The product's data converter (encrypted payloads and failure texts), with a key of this process. */
const dataConverter = productDataConverter(new KeyRing([{ id: 'test', key: randomBytes(32) }]));

// One Runtime per test process. These tests make activities fail and workflows warn on purpose, so
// the SDK reports errors only; TEMPORAL_TEST_LOG_LEVEL=WARN (or DEBUG) shows the rest.
const logLevel = (process.env.TEMPORAL_TEST_LOG_LEVEL ?? 'ERROR') as LogLevel;
try {
  Runtime.install({
    logger: new DefaultLogger(logLevel),
    telemetryOptions: { logging: { filter: { core: logLevel, other: logLevel } } },
    workerHeartbeatInterval: 0,
  });
} catch {
  /* already installed in this process (test/helpers/stack.ts was imported first) */
}

export interface TimeSkipping {
  env: TestWorkflowEnvironment;
  /**
   * Runs `fn` with the process's worker (the product's workflows, bundled once) answering
   * activities with `stubs`. Afterwards, also when `fn` throws, the runs it started that are still
   * open are terminated once idle: an open run's timers would hold up the clock for the next test
   * (the server does not skip time while a workflow task is waiting).
   * Tests of one file run one after the other; the worker and the clock are shared.
   */
  withWorker<T>(stubs: ActivityStubs, fn: (scope: WorkerScope) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export interface WorkerScope {
  taskQueue: string;
  /** `client.workflow.start` on the worker's task queue. */
  start<W extends Workflow>(workflow: W, options: Omit<WorkflowStartOptions<W>, 'taskQueue'>): Promise<WorkflowHandleWithFirstExecutionRunId<W>>;
}

let started: Promise<TimeSkipping> | undefined;

/** The process's time-skipping environment; started on the first call, the same one afterwards. */
export function startTimeSkipping(): Promise<TimeSkipping> {
  started ??= start().catch((err) => {
    started = undefined;
    throw err;
  });
  return started;
}

async function start(): Promise<TimeSkipping> {
  workflowBundle().catch(() => undefined); // bundles while the JVM starts; awaited (and reported) by the worker
  const server = await startServer();
  let env: TestWorkflowEnvironment | undefined;
  try {
    env = await attach(server.address, server.exited);
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(allSearchAttributeKeys.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!])),
    });
  } catch (err) {
    await env?.teardown();
    await server.stop();
    throw err;
  }
  const ready = env;

  // One worker for the process (creating one costs a second or two); each test plugs in its stubs.
  let current: ActivityStubs['activities'] | undefined;
  const activities = Object.fromEntries(
    activityNames.map((name) => [
      name,
      (input: unknown) => {
        const fn = current?.[name];
        if (!fn) throw ApplicationFailure.nonRetryable(`activity ${name} ran outside of a test`, 'UnexpectedActivity');
        return fn(input);
      },
    ]),
  );
  const taskQueue = uniqueId('wf');
  let worker: Promise<{ worker: Worker; running: Promise<never> }> | undefined;
  const startWorker = () =>
    (worker ??= (async () => {
      const w = await Worker.create({ connection: ready.nativeConnection, namespace: ready.namespace, taskQueue, workflowBundle: await workflowBundle(), activities, dataConverter });
      const running = w.run().then(() => {
        throw new Error('the test worker stopped');
      });
      running.catch(() => undefined); // raced by every test; never an unhandled rejection
      return { worker: w, running };
    })());

  let stopped: Promise<void> | undefined;
  return {
    env: ready,
    async withWorker(stubs, fn) {
      const { running } = await startWorker();
      const handles: WorkflowHandle<Workflow>[] = [];
      const scope: WorkerScope = {
        taskQueue,
        async start(workflow, options) {
          const handle = await ready.client.workflow.start(workflow, { ...options, taskQueue } as WorkflowStartOptions<typeof workflow>);
          handles.push(handle as WorkflowHandle<Workflow>);
          return handle;
        },
      };
      current = stubs.activities;
      try {
        return await Promise.race([fn(scope), running, server.exited]);
      } finally {
        // Once idle: a run terminated with a workflow task open keeps the clock locked (isSettled).
        await Promise.all(
          handles.map(async (h) => {
            await settled(h, 10_000).catch(() => undefined);
            await h.terminate('the test ended').catch(() => undefined);
          }),
        );
        current = undefined;
      }
    },
    stop: () =>
      (stopped ??= (async () => {
        started = undefined;
        if (worker) {
          const { worker: w, running } = await worker;
          if (w.getState() === 'RUNNING') w.shutdown();
          await running.catch(() => undefined);
        }
        await ready.teardown();
        await server.stop();
      })()),
  };
}

interface RunningServer {
  address: string;
  /** Rejects with the server's output when it exits before `stop()`. */
  exited: Promise<never>;
  stop(): Promise<void>;
}

async function startServer(): Promise<RunningServer> {
  const bin = toolPath('temporal-test-server');
  const port = await freePort();
  // Same process group as this test process: whatever stops the test run stops the server too.
  const child: ChildProcess = spawn(bin, [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopping = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const exited = new Promise<never>((_, reject) => {
    const fail = (why: string) => !stopping && reject(new Error(`temporal-test-server (${bin}) ${why}; its output:\n${output}`));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (err) => fail(`did not start: ${err.message}`));
  });
  exited.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  // A test process that ends without after() hooks (a crash) still takes its server along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    stopping = true;
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
  };
  try {
    await Promise.race([waitForPort(port, READY_TIMEOUT_MS), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { address: `127.0.0.1:${port}`, exited, stop };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (Date.now() > deadline) throw new Error(`temporal-test-server did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

type CreateOptions = {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: boolean;
  client: { dataConverter: typeof dataConverter };
  connectionOptions?: { channelArgs?: Record<string, number> };
};

/**
 * The client's gRPC keepalive, relaxed for the Java test server: it allows a ping only every 5
 * minutes while calls are open (none while idle) and answers more with GOAWAY ("excess pings"),
 * which stalls the calls in flight for a minute or more. The SDK pings every 30 s, also when idle.
 */
const TEST_SERVER_CHANNEL_ARGS = { 'grpc.keepalive_time_ms': 6 * 60_000, 'grpc.keepalive_permit_without_calls': 0 };

/**
 * A time-skipping environment on a server this helper started. The SDK builds one only around a
 * server it spawns itself; its general factory (`create`, private in the typings of the exactly
 * pinned @temporalio/testing) takes `supportsTimeSkipping` with an existing address.
 */
async function attach(address: string, exited: Promise<never>): Promise<TestWorkflowEnvironment> {
  const create = (TestWorkflowEnvironment as unknown as { create?: (o: CreateOptions) => Promise<TestWorkflowEnvironment> }).create;
  if (typeof create !== 'function') {
    throw new Error('@temporalio/testing no longer has TestWorkflowEnvironment.create: adapt test/helpers/time-skipping.ts to the new SDK');
  }
  const env = await Promise.race([create.call(TestWorkflowEnvironment, {
      server: { type: 'existing' },
      address,
      namespace: 'default',
      supportsTimeSkipping: true,
      client: { dataConverter },
      connectionOptions: { channelArgs: TEST_SERVER_CHANNEL_ARGS },
    }), exited]);
  if (!env.supportsTimeSkipping) throw new Error('the test environment does not skip time');
  return env;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The product's workflow code (what the worker runs), bundled once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface ActivityCall {
  name: string;
  input: unknown;
}

export interface ActivityStubs {
  /** Every activity of the product: the given implementations, the others fail as unexpected. */
  activities: Record<string, (input: unknown) => Promise<unknown>>;
  /** Every call, in order. */
  calls: ActivityCall[];
  /** The inputs of the calls to one activity, in order. */
  inputsOf<K extends keyof Activities>(name: K): Parameters<Activities[K]>[0][];
  /** The names of the activities called, in order. */
  names(): string[];
}

/** The names of all the product's activities, from the same factory the worker uses (it does no I/O when called). */
export const activityNames = Object.keys(createActivities({} as ActivityDeps)) as (keyof Activities)[];

/**
 * Stand-ins for the product's activities that record every call. An activity the test did not
 * implement fails with a non-retryable `UnexpectedActivity` error, so a workflow that calls
 * something it should not fails instead of hanging on retries.
 */
export function stubActivities(impl: Partial<Activities>): ActivityStubs {
  const calls: ActivityCall[] = [];
  const activities: ActivityStubs['activities'] = {};
  for (const name of activityNames) {
    const fn = impl[name] as ((input: unknown) => Promise<unknown>) | undefined;
    activities[name] = async (input: unknown) => {
      calls.push({ name, input });
      if (!fn) throw ApplicationFailure.nonRetryable(`activity ${name} was not expected in this test`, 'UnexpectedActivity');
      return fn(input);
    };
  }
  return {
    activities,
    calls,
    inputsOf: (name) => calls.filter((c) => c.name === name).map((c) => c.input as never),
    names: () => calls.map((c) => c.name),
  };
}

/**
 * Whether the workflow's current run is idle: no workflow task scheduled or running and no activity
 * pending (or the run has ended, other than by continuing as new). Read from the history, which
 * leaves the run alone.
 *
 * Queries and signals of tests whose runs continue as new must wait for this (see `settled`): the
 * Java test server (1.31) mishandles both when they meet a workflow task that continues as new.
 * - A query that arrives while that task runs is parked with it; completing the task then starts
 *   the next run but fails before the old run is closed. The old run stays open for ever without
 *   its continued-as-new event, so `handle.result()` (which walks the chain from the first run)
 *   never returns, the parked query is never answered, and the task's time-skipping lock is never
 *   released, so no later `env.sleep` or timer of the file skips again.
 * - A signal that arrives while that task runs makes the server fail the task (unhandled command),
 *   as a real server does, but it answers the worker with success instead of an error. The SDK then
 *   takes the run as finished and answers the next task with the same continue-as-new: the signal,
 *   recorded in the old run, never reaches the workflow. A real server rejects the completion, the
 *   SDK replays the run with the signal, and the workflow takes it.
 * - A cancel that arrives while an activity's result is on its way makes the workflow ask to
 *   cancel an activity the server has already closed: the test server answers the completion with
 *   an error (ACTIVITY_UNKNOWN) and keeps the task's time-skipping lock, so no timer of the file
 *   fires again.
 * - A cancel requested while an activity attempt runs: when the attempt then fails with a
 *   retryable error, the test server schedules the retry instead of closing the activity as a real
 *   server does: the workflow keeps waiting for the cancellation (a `result()` skips ahead to the
 *   run's timeout). Cancel an activity that waits for its retry once that wait is recorded
 *   (describe: attempt, lastFailure).
 * - A run terminated while one of its workflow tasks is scheduled or running keeps that task's
 *   time-skipping lock for good: `withWorker` terminates the runs a test left once they are idle.
 * Once the run is idle, only the test's own query or signal can start the next workflow task, so
 * neither meets a continue-as-new or an activity's result. (A time-skipping sleep or `result()`
 * lets timers fire: wait for them to return first.)
 */
export async function isSettled(handle: WorkflowHandle<Workflow>): Promise<boolean> {
  // One snapshot of the current run: two reads (describe, then the history) could each see an idle
  // moment of a run that is busy in between.
  const { events } = await handle.fetchHistory();
  let taskOpen = true;
  const activities = new Set<string>();
  for (const e of events ?? []) {
    if (e.workflowExecutionContinuedAsNewEventAttributes) return false; // the next run is the current one now
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes || e.workflowExecutionCanceledEventAttributes || e.workflowExecutionTerminatedEventAttributes || e.workflowExecutionTimedOutEventAttributes) return true;
    if (e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) taskOpen = true;
    if (e.workflowTaskCompletedEventAttributes) taskOpen = false;
    if (e.activityTaskScheduledEventAttributes) activities.add(String(e.eventId));
    const closed = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (closed) activities.delete(String(closed.scheduledEventId));
  }
  return !taskOpen && activities.size === 0;
}

export interface RunOfChain {
  runId: string;
  /** How the run ended: continued as new, closed otherwise, or still open. */
  end: 'continued' | 'closed' | 'open';
  /** The signals recorded in the run, by name. */
  signals: string[];
}

/** The runs of a workflow started by `handle`, from the first one along its continue-as-new chain. */
export async function runChain(handle: WorkflowHandleWithFirstExecutionRunId<Workflow>): Promise<RunOfChain[]> {
  const runs: RunOfChain[] = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  while (runId) {
    const events: NonNullable<History['events']> = (await handle.client.getHandle(handle.workflowId, runId).fetchHistory()).events ?? [];
    const last = events.at(-1);
    const next: string | undefined = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    const closed = last?.workflowExecutionCompletedEventAttributes || last?.workflowExecutionFailedEventAttributes || last?.workflowExecutionCanceledEventAttributes || last?.workflowExecutionTerminatedEventAttributes || last?.workflowExecutionTimedOutEventAttributes;
    const signals = events.flatMap((e) => (e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName ?? ''] : []));
    runs.push({ runId, end: next ? 'continued' : closed ? 'closed' : 'open', signals });
    runId = next;
  }
  return runs;
}

/** Waits (real time) until the workflow's current run is idle; see `isSettled`. */
export const settled = (handle: WorkflowHandle<Workflow>, timeoutMs?: number): Promise<true> =>
  eventually('the run to settle', async () => ((await isSettled(handle)) ? true : undefined), timeoutMs);

/** Polls `check` (real time) until it returns a value that is not undefined. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
