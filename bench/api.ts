/**
 * Benchmark 5, the API: `POST …/expense-reports/{r}/export` at a fixed rate (autocannon), each a
 * new report (so every request stores the export and its receipt and starts its workflow), for
 * `seconds` seconds. Latency p50/p99 and errors, as autocannon measures them.
 *
 * The API runs as its own process (built as deployed) on the bench stack. The workers are stopped
 * before the load, so the figures are the API's, the dev server's and the database's, not a
 * worker's competing for the same two cores; the started workflows wait in the task queue.
 */
import type { FerretBackend } from '../scripts/stack';
import { simpleReport } from '../test/fixtures/demo-data';
import { fmtNum, type BenchResult } from './lib';
import { BENCH_PLATFORM_KEY, startBenchStack } from './stack';
import { connectBenchTenant } from './tenant';

// autocannon ships no types; this is what is used of it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<{
  requests: { average: number; total: number; sent: number };
  latency: { p50: number; p99: number; p90: number; max: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}>;

export interface ApiBenchOptions {
  rate: number;
  seconds: number;
  backend?: FerretBackend;
  log: (msg: string) => void;
}

const TASK_QUEUE = 'bench-api';

export async function runApiBench(o: ApiBenchOptions): Promise<BenchResult[]> {
  const stack = await startBenchStack({ backend: o.backend, sandboxRateLimit: { perMinute: 1e9, perDay: 1e9 }, taskQueue: TASK_QUEUE });
  try {
    const worker = await stack.startWorker();
    const { url } = await stack.startApi();
    const tenantId = 'bench-api';
    await connectBenchTenant(stack, url, { tenantId, division: '123456', taskQueue: TASK_QUEUE });
    await worker.stop();
    o.log(`  API up on FerretDB/${stack.backend}; load: ${o.rate} requests/s for ${o.seconds} s`);
    let n = 0;
    const r = await autocannon({
      url,
      connections: Math.max(10, o.rate),
      overallRate: o.rate,
      duration: o.seconds,
      timeout: 30,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_PLATFORM_KEY}` },
          setupRequest: (req: Record<string, unknown>) => {
            const reportId = `api-${process.pid}-${n++}`;
            return { ...req, path: `/api/tenants/${tenantId}/expense-reports/${reportId}/export`, body: JSON.stringify(simpleReport(reportId)) };
          },
        },
      ],
    });
    const accepted = r.statusCodeStats['202']?.count ?? 0;
    const errors = r.errors + r.timeouts + r.non2xx;
    o.log(`  ${r.requests.total} requests: p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ${accepted} accepted, ${errors} errors`);
    const started = await stack.stores.exports.count(tenantId);
    return [
      {
        group: 'api',
        name: `5. API: POST export at ${o.rate}/s for ${o.seconds} s (workflow start included)`,
        summary: {
          median: `${fmtNum(r.latency.p50)} ms`,
          p95: `p99 ${fmtNum(r.latency.p99)} ms`,
          throughput: `${fmtNum(r.requests.average)} req/s`,
          note: `${r.requests.total} requests, ${accepted} accepted (202), ${errors} errors/timeouts/non-2xx; ${started} exports stored`,
        },
        metrics: { latency: r.latency, requests: r.requests, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, statusCodes: r.statusCodeStats, exportsStored: started, backend: stack.backend },
      },
    ];
  } finally {
    await stack.stop();
  }
}
