/**
 * Benchmarks 1 and 2: the export path against Temporal's floor, and Maesn calls per posted report.
 *
 * On one stack (dev server, FerretDB, the sandbox with its limit off, the product's worker and API
 * as processes, built as deployed): `reports` reports of five expenses with two receipts are
 * approved at once through the API, and timed from each approval to its `posted` (the export's
 * `postedAt`). Beside it, on the same server in the same run, the floor: as many workflows that
 * run the same number of do-nothing activities (counted from an export's history), started at
 * once by a worker of their own, timed from start to close (server times).
 * Ratio = our end-to-end time (first approval → last posted) / the floor's (first start → last close).
 * Maesn calls per posted report come from the sandbox's own request log.
 */
import os from 'node:os';
import { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { workflowIds } from '../src/workflows/definitions';
import type { FerretBackend } from '../scripts/stack';
import { cpuBetween, distribution, fmtNum, percentile, processTreeCpu, within, type BenchResult } from './lib';
import { floorWorkflow } from './floor/workflows';
import { startBenchStack, type BenchStack } from './stack';
import { approve, benchReport, connectBenchTenant } from './tenant';

export interface ExportBenchOptions {
  reports: number;
  backend?: FerretBackend;
  log: (msg: string) => void;
}

const DIVISION = '123456';
const TASK_QUEUE = 'bench-export';

export interface Timed {
  e2eMs: number;
  latenciesMs: number[];
}

function summary(t: Timed, n: number) {
  const s = [...t.latenciesMs].sort((a, b) => a - b);
  return { reportsPerSec: n / (t.e2eMs / 1000), e2eMs: t.e2eMs, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), latency: distribution(s) };
}

/**
 * Approves `reports` at once and waits for every one to be posted: for each export's workflow to
 * end (a long poll on Temporal), then reads each export's `postedAt` by `_id`. Never a query that
 * scans the exports collection while the burst runs: on the embedded FerretDB that would compete
 * with the product for the database (an earlier version polled every 500 ms and did).
 */
export async function exportBurst(
  stack: BenchStack,
  apiUrl: string,
  tenantId: string,
  prefix: string,
  reports: number,
  timeoutMs: number,
): Promise<Timed & { reportIds: string[]; approvedAt: Map<string, number>; approvals: ApprovalSummary }> {
  const reportIds = Array.from({ length: reports }, (_, i) => `${prefix}-${i}`);
  // Built before the first is sent, so building them does not spread the approvals out.
  const bodies = reportIds.map((id, i) => benchReport(id, i));
  const approvedAt = new Map<string, number>();
  const answers = await Promise.all(bodies.map((b) => approve(apiUrl, tenantId, b)));
  answers.forEach((a, i) => approvedAt.set(reportIds[i], a.at));
  await within(
    Promise.all(reportIds.map((id) => stack.temporal.workflow.getHandle(workflowIds.export(tenantId, id)).result())),
    timeoutMs,
    `not every one of ${reports} exports ended within ${timeoutMs / 1000} s`,
  );
  const docs = await Promise.all(reportIds.map((id) => stack.stores.exports.get(tenantId, id, 1)));
  const notPosted = docs.filter((d) => d?.status !== 'posted' || !d.postedAt);
  if (notPosted.length) throw new Error(`${notPosted.length} of ${reports} exports ended without being posted (${notPosted.slice(0, 3).map((d) => `${d?.reportId}: ${d?.status}`).join(', ')})`);
  const first = Math.min(...approvedAt.values());
  const last = Math.max(...docs.map((d) => d!.postedAt!.getTime()));
  const accepted = answers.map((a) => a.acceptedAt - a.at).sort((x, y) => x - y);
  const approvals: ApprovalSummary = {
    sentOverMs: Math.max(...answers.map((a) => a.at)) - first,
    acceptedP50Ms: percentile(accepted, 50),
    acceptedP99Ms: percentile(accepted, 99),
    busyAnswers: answers.reduce((n, a) => n + a.busy, 0),
  };
  return { reportIds, approvedAt, approvals, e2eMs: last - first, latenciesMs: docs.map((d) => d!.postedAt!.getTime() - approvedAt.get(d!.reportId)!) };
}

/** How the API took the burst: the spread of the first requests, the time to a 202, the 503s waited out. */
export interface ApprovalSummary {
  sentOverMs: number;
  acceptedP50Ms: number;
  acceptedP99Ms: number;
  busyAnswers: number;
}

/**
 * Starts `n` floor workflows of `activities` activities at once; server start → close times.
 * Through a client without the product's payload codec: the floor is Temporal's own cost (and the
 * floor worker could not read encrypted arguments).
 */
async function floorBurst(stack: BenchStack, prefix: string, n: number, activities: number, timeoutMs = 5 * 60_000): Promise<Timed & { workflowIds: string[] }> {
  const client = new Client({ connection: stack.temporal.connection });
  const handles = await Promise.all(
    Array.from({ length: n }, (_, i) => client.workflow.start(floorWorkflow, { workflowId: `${prefix}-${i}`, taskQueue: 'bench-floor', args: [activities] })),
  );
  await within(Promise.all(handles.map((h) => h.result())), timeoutMs, `the floor's ${n} workflows did not all close within ${timeoutMs / 1000} s (see the floor worker's output)`);
  const infos = await Promise.all(handles.map((h) => h.describe()));
  const starts = infos.map((d) => d.startTime.getTime());
  const closes = infos.map((d) => d.closeTime!.getTime());
  return { e2eMs: Math.max(...closes) - Math.min(...starts), latenciesMs: infos.map((_, i) => closes[i] - starts[i]), workflowIds: handles.map((h) => h.workflowId) };
}

/** Where an export's time goes, from its history: the API (approval → start), queueing and running per activity, the rest. */
export interface Breakdown {
  /** Mean ms per phase over the exports. */
  meanMs: Record<string, number>;
}

/** The stack's processes by command line (bench/stack.ts starts them). */
function processName(cmd: string): string {
  if (cmd === 'bench') return 'bench (client)';
  if (/\btemporal\b.*\bserver\b/.test(cmd)) return 'Temporal dev server';
  if (/ferretdb/i.test(cmd)) return 'FerretDB';
  if (/postgres/.test(cmd)) return 'PostgreSQL';
  if (cmd.includes('floor/worker')) return 'floor worker';
  if (cmd.includes('dist/src/worker.js')) return 'worker';
  if (cmd.includes('dist/src/api/')) return 'API';
  if (/sandbox/.test(cmd)) return 'sandbox';
  return 'other';
}

/** Not the product's: Temporal's server, the floor's worker and the bench's own client (load and waiting). */
const NOT_PRODUCT = new Set(['Temporal dev server', 'floor worker', 'bench (client)']);

/** CPU-seconds per process over a burst, and what the product's own processes (API, worker, database, sandbox) used. */
function cpuOf(before: ReturnType<typeof processTreeCpu>): { byProcess: Record<string, number>; total: number; product: number } {
  const byProcess = cpuBetween(before, processTreeCpu(), processName);
  const sum = (keys: string[]) => Math.round(keys.reduce((n, k) => n + byProcess[k], 0) * 10) / 10;
  return { byProcess, total: sum(Object.keys(byProcess)), product: sum(Object.keys(byProcess).filter((k) => !NOT_PRODUCT.has(k))) };
}

const fmtCpu = (c: ReturnType<typeof cpuOf>) =>
  `${fmtNum(c.total)} CPU-s (${Object.entries(c.byProcess)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtNum(v)}`)
    .join(', ')})`;

async function breakdown(stack: BenchStack, runs: { workflowId: string; approvedAt?: number }[]): Promise<Breakdown> {
  const sums: Record<string, number> = {};
  const add = (k: string, ms: number) => (sums[k] = (sums[k] ?? 0) + ms);
  const ms = (t: Parameters<typeof optionalTsToMs>[0]) => optionalTsToMs(t) ?? 0;
  for (const run of runs) {
    const events = (await stack.temporal.workflow.getHandle(run.workflowId).fetchHistory()).events ?? [];
    const start = ms(events[0]?.eventTime);
    if (run.approvedAt !== undefined) add('api (approval → workflow start)', start - run.approvedAt);
    const scheduled = new Map<string, { type: string; at: number }>();
    const started = new Map<string, number>();
    let accounted = 0;
    let taskScheduled = 0;
    let taskStarted = 0;
    let tasks = 0;
    for (const e of events) {
      const at = ms(e.eventTime);
      const sid = String(e.eventId);
      // Workflow tasks: waiting for a worker to poll, then the worker running the workflow code.
      if (e.workflowTaskScheduledEventAttributes) taskScheduled = at;
      if (e.workflowTaskStartedEventAttributes) {
        taskStarted = at;
        add('workflow tasks: queued', at - taskScheduled);
        add(`workflow task ${++tasks}: queued`, at - taskScheduled);
        accounted += at - taskScheduled;
      }
      if (e.workflowTaskTimedOutEventAttributes) add('workflow tasks timed out (count)', 1);
      if (e.workflowTaskFailedEventAttributes) add('workflow tasks failed (count)', 1);
      if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
        add('workflow tasks: running', at - taskStarted);
        accounted += at - taskStarted;
      }
      if (e.activityTaskScheduledEventAttributes) scheduled.set(sid, { type: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', at });
      if (e.activityTaskStartedEventAttributes) started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), at);
      const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
      if (done) {
        const key = String(done.scheduledEventId);
        const sch = scheduled.get(key)!;
        const st = started.get(key) ?? sch.at;
        add(`${sch.type}: queued`, st - sch.at);
        add(`${sch.type}: running`, at - st);
        accounted += at - sch.at;
      }
    }
    add('the rest', ms(events[events.length - 1]?.eventTime) - start - accounted);
  }
  const meanMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) meanMs[k] = Math.round(v / runs.length);
  return { meanMs };
}

export async function runExportBench(o: ExportBenchOptions): Promise<BenchResult[]> {
  const stack = await startBenchStack({ backend: o.backend, sandboxRateLimit: { perMinute: 1e9, perDay: 1e9 }, taskQueue: TASK_QUEUE });
  try {
    await stack.startWorker();
    const { url } = await stack.startApi();
    await stack.startScript('floor-worker', 'bench/floor/worker.ts', { ...process.env, TEMPORAL_ADDRESS: stack.temporalAddress, FLOOR_TASK_QUEUE: 'bench-floor' }, 'floor worker started');
    const tenantId = 'bench-export';
    await connectBenchTenant(stack, url, { tenantId, division: DIVISION, taskQueue: TASK_QUEUE });
    o.log(`  tenant connected and synced on FerretDB/${stack.backend}`);

    // Warm-up (first calls, JIT, connections), then count an export's activities.
    const warm = await exportBurst(stack, url, tenantId, 'warm', 5, 120_000);
    const history = await stack.temporal.workflow.getHandle(workflowIds.export(tenantId, warm.reportIds[0])).fetchHistory();
    const activities = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    const historyEvents = history.events?.length ?? 0;
    await floorBurst(stack, 'floor-warm', 5, activities);
    o.log(`  an export runs ${activities} activities (${historyEvents} history events)`);

    let cpuBefore = processTreeCpu();
    const floor = await floorBurst(stack, 'floor', o.reports, activities);
    const floorCpu = cpuOf(cpuBefore);
    o.log(`  floor: ${o.reports} workflows of ${activities} activities in ${fmtNum(floor.e2eMs / 1000)} s; ${fmtCpu(floorCpu)}`);
    await stack.sandbox.clearRequests();
    cpuBefore = processTreeCpu();
    const ours = await exportBurst(stack, url, tenantId, 'burst', o.reports, 15 * 60_000);
    const oursCpu = cpuOf(cpuBefore);
    o.log(`  ours: ${fmtCpu(oursCpu)}`);
    const calls = await stack.sandbox.listRequests({ division: DIVISION });
    o.log(`  ours: ${o.reports} reports posted in ${fmtNum(ours.e2eMs / 1000)} s (${calls.length} Maesn calls)`);
    const a = ours.approvals;
    o.log(`  approvals: sent within ${fmtNum(a.sentOverMs / 1000)} s; 202 after p50 ${fmtNum(a.acceptedP50Ms / 1000)} s, p99 ${fmtNum(a.acceptedP99Ms / 1000)} s; ${a.busyAnswers} answers 503 (waited out)`);
    const entries = await stack.sandbox.listJournalEntries(DIVISION);
    const where = await breakdown(stack, ours.reportIds.map((id) => ({ workflowId: workflowIds.export(tenantId, id), approvedAt: ours.approvedAt.get(id)! })));
    o.log(`  where an export's time goes (mean ms): ${Object.entries(where.meanMs).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    const floorWhere = await breakdown(stack, floor.workflowIds.map((workflowId) => ({ workflowId })));
    o.log(`  where a floor workflow's time goes (mean ms): ${Object.entries(floorWhere.meanMs).map(([k, v]) => `${k} ${v}`).join('; ')}`);
    const once = ours.reportIds.every((id) => entries.filter((e) => e.journalLineItems.some((l) => (l.description ?? '').split(/\s+/).includes(`EXP-${id}`))).length === 1);

    const s = summary(ours, o.reports);
    const f = summary(floor, o.reports);
    const ratio = ours.e2eMs / floor.e2eMs;
    const cpus = os.cpus().length;
    const byOperation: Record<string, number> = {};
    for (const c of calls) byOperation[c.operation] = (byOperation[c.operation] ?? 0) + 1;
    return [
      {
        group: 'export',
        name: `1. export vs floor: ${o.reports} reports (5 lines, 2 receipts) at once`,
        summary: {
          median: `${fmtNum(s.p50 / 1000)} s`,
          p95: `${fmtNum(s.p95 / 1000)} s`,
          throughput: `${fmtNum(s.reportsPerSec)} reports/s`,
          note:
            `ours/floor = ${fmtNum(ratio)} (target ≤ 1.5); p99 ${fmtNum(s.p99 / 1000)} s; end to end ${fmtNum(ours.e2eMs / 1000)} s vs floor ${fmtNum(floor.e2eMs / 1000)} s; ` +
            `CPU ${fmtNum(oursCpu.total)} vs ${fmtNum(floorCpu.total)} CPU-s, of which the product's processes (API, worker, database, sandbox) ${fmtNum(oursCpu.product)}: ` +
            `${fmtNum(oursCpu.product / cpus / (floor.e2eMs / 1000))}× the floor's time on ${cpus} cores by themselves`,
        },
        metrics: {
          ours: s,
          floor: f,
          ratio,
          cpuSeconds: { cores: cpus, ours: oursCpu, floor: floorCpu, productAloneVsFloor: oursCpu.product / cpus / (floor.e2eMs / 1000) },
          approvals: ours.approvals,
          meanMsPerPhase: where.meanMs,
          floorMeanMsPerPhase: floorWhere.meanMs,
          activitiesPerExport: activities,
          historyEventsPerExport: historyEvents,
          backend: stack.backend,
        },
      },
      {
        group: 'export',
        name: `   floor: ${o.reports} workflows of ${activities} do-nothing activities`,
        summary: { median: `${fmtNum(f.p50 / 1000)} s`, p95: `${fmtNum(f.p95 / 1000)} s`, throughput: `${fmtNum(f.reportsPerSec)} workflows/s`, note: `p99 ${fmtNum(f.p99 / 1000)} s` },
        metrics: f,
      },
      {
        group: 'export',
        name: '2. Maesn calls per posted report (happy path)',
        summary: { median: fmtNum(calls.length / o.reports, 3), note: `${calls.length} calls for ${o.reports} reports (${Object.entries(byOperation).map(([k, v]) => `${k} ${v}`).join(', ')}); each posted once: ${once ? 'yes' : 'NO'}` },
        metrics: { calls: calls.length, reports: o.reports, perReport: calls.length / o.reports, byOperation, eachPostedOnce: once },
      },
    ];
  } finally {
    await stack.stop();
  }
}
