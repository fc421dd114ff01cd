/**
 * Benchmark 3, pacing: `reports` reports for one division approved at once, Exact's real limit
 * (60 calls a minute, 5,000 a day, enforced by the sandbox), two worker processes sharing the
 * division's call budget. Everything is measured from the sandbox's own request log:
 * posts per minute sustained, 429 answers as a share of all calls, when the last report was posted
 * against its queue position (reports/60 minutes + 30 s), and that every report was posted once.
 * Then again with a scheduled full sync of the same division running: the exports' share of the
 * calls answered while they were being posted.
 */
import type { FerretBackend } from '../scripts/stack';
import { syncMasterData } from '../src/workflows/sync';
import { fmtNum, percentile, type BenchResult } from './lib';
import { startBenchStack, type BenchStack } from './stack';
import { connectBenchTenant } from './tenant';
import { exportBurst } from './export-floor';

export interface PacingBenchOptions {
  reports: number;
  withSync: boolean;
  /** Suppliers added to the division, so the scheduled full sync has pages to read. */
  syncSuppliers: number;
  backend?: FerretBackend;
  log: (msg: string) => void;
}

const DIVISION = '123456';
const TASK_QUEUE = 'bench-pacing';
const PER_MINUTE = 60;

interface Window {
  from: number;
  to: number;
}

async function measure(stack: BenchStack, w: Window, reportIds: string[]) {
  const inWindow = (await stack.sandbox.listRequests({ division: DIVISION })).filter((c) => {
    const t = Date.parse(c.at);
    return t >= w.from - 1000 && t <= w.to + 1000;
  });
  const answered = inWindow.filter((c) => c.status !== 429);
  const refused = inWindow.filter((c) => c.status === 429);
  const posts = answered.filter((c) => c.operation === 'createJournalEntry' && c.status === 201);
  const perMinute = new Map<string, number>();
  for (const p of posts) perMinute.set(p.at.slice(0, 16), (perMinute.get(p.at.slice(0, 16)) ?? 0) + 1);
  const minutes = [...perMinute.keys()].sort();
  // Sustained: the full minutes between the first and the last (which are partial by nature).
  const interior = minutes.slice(1, -1).map((m) => perMinute.get(m)!);
  const sustained = interior.length ? interior.reduce((a, b) => a + b, 0) / interior.length : posts.length / Math.max(1, (w.to - w.from) / 60_000);
  const entries = await stack.sandbox.listJournalEntries(DIVISION);
  const postedOnce = reportIds.filter((id) => entries.filter((e) => e.journalLineItems.some((l) => (l.description ?? '').split(/\s+/).includes(`EXP-${id}`))).length === 1).length;
  return {
    calls: inWindow.length,
    answered: answered.length,
    refused: refused.length,
    refusedShare: refused.length / Math.max(1, inWindow.length),
    posts: posts.length,
    perMinute: Object.fromEntries(minutes.map((m) => [m, perMinute.get(m)!])),
    sustainedPostsPerMinute: sustained,
    minPostsInFullMinute: interior.length ? Math.min(...interior) : null,
    exportShareOfAnswered: posts.length / Math.max(1, answered.length),
    postedOnce,
  };
}

export async function runPacingBench(o: PacingBenchOptions): Promise<BenchResult[]> {
  const stack = await startBenchStack({ backend: o.backend, sandboxRateLimit: { perMinute: PER_MINUTE, perDay: 5000 }, taskQueue: TASK_QUEUE });
  const results: BenchResult[] = [];
  try {
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    const { url } = await stack.startApi();
    const tenantId = 'bench-pacing';
    await connectBenchTenant(stack, url, { tenantId, division: DIVISION, taskQueue: TASK_QUEUE });
    o.log(`  tenant connected on FerretDB/${stack.backend}; two workers`);
    const budgetMs = (o.reports / PER_MINUTE) * 60_000 + 30_000;

    const run = async (label: string, prefix: string) => {
      const t0 = Date.now();
      const burst = await exportBurst(stack, url, tenantId, prefix, o.reports, budgetMs + 5 * 60_000);
      const m = await measure(stack, { from: t0, to: t0 + burst.e2eMs }, burst.reportIds);
      const sorted = [...burst.latenciesMs].sort((a, b) => a - b);
      o.log(`  ${label}: last posted after ${fmtNum(burst.e2eMs / 1000)} s; ${fmtNum(m.sustainedPostsPerMinute)} posts/min sustained; ${m.refused} of ${m.calls} calls refused (429); exports ${fmtNum(m.exportShareOfAnswered * 100)} % of answered calls`);
      return { burst, m, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };

    const plain = await run('exports only', 'pace');
    results.push({
      group: 'pacing',
      name: `3. pacing: ${o.reports} reports, ${PER_MINUTE}/min, two workers`,
      summary: {
        median: `${fmtNum(plain.p50 / 1000)} s`,
        throughput: `${fmtNum(plain.m.sustainedPostsPerMinute)} posts/min`,
        note: `target ≥ 54; 429s ${fmtNum(plain.m.refusedShare * 100)} % of ${plain.m.calls} calls (≤ 1 %); last posted ${fmtNum(plain.burst.e2eMs / 1000)} s (≤ ${fmtNum(budgetMs / 1000)} s); posted once: ${plain.m.postedOnce}/${o.reports}`,
      },
      metrics: { ...plain.m, lastPostedMs: plain.burst.e2eMs, budgetMs, p50Ms: plain.p50, p99Ms: plain.p99, backend: stack.backend },
    });

    if (o.withSync) {
      // A big enough division for the scheduled full sync to still be reading while the exports go.
      const codes = Array.from({ length: o.syncSuppliers }, (_, i) => String(700000 + i));
      for (let i = 0; i < codes.length; i += 25) {
        await Promise.all(codes.slice(i, i + 25).map((code) => stack.sandbox.createRecord(DIVISION, 'suppliers', { code, name: `Leverancier ${code} B.V.` })));
      }
      const sync = await stack.temporal.workflow.start(syncMasterData, { workflowId: 'bench-pacing-scheduled-sync', taskQueue: TASK_QUEUE, args: [{ tenantId, mode: 'full', trigger: 'schedule', pageSize: 20 }] });
      await new Promise((r) => setTimeout(r, 3_000)); // the sync is reading
      const withSync = await run('with a scheduled full sync', 'pace-sync');
      const syncDone = await Promise.race([sync.result().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1_000))]);
      results.push({
        group: 'pacing',
        name: '   … with a scheduled full sync of the division running',
        summary: {
          median: `${fmtNum(withSync.p50 / 1000)} s`,
          throughput: `${fmtNum(withSync.m.sustainedPostsPerMinute)} posts/min`,
          note: `exports ${fmtNum(withSync.m.exportShareOfAnswered * 100)} % of answered calls (≥ 90 %); 429s ${fmtNum(withSync.m.refusedShare * 100)} %; last posted ${fmtNum(withSync.burst.e2eMs / 1000)} s; sync ${syncDone ? 'finished meanwhile' : 'still running after'}`,
        },
        metrics: { ...withSync.m, lastPostedMs: withSync.burst.e2eMs, budgetMs, syncFinishedDuringBurst: syncDone },
      });
      await sync.terminate('benchmark over').catch(() => undefined);
    }
  } finally {
    await stack.stop();
  }
  return results;
}
