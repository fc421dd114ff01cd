/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results/latest.json and
 * bench/results/latest.md. Starts (and always stops) the FerretDB and sandbox it needs.
 *
 *   npm run bench                      # everything (about 2–3 minutes on 2 cores)
 *   npm run bench -- --only=domain     # some groups: domain, codec, export-accept, sync
 *   npm run bench -- --quick           # shorter budgets, for trying changes out
 *
 * Exit code 1 when a group failed (its error is in the results); the other groups still run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCodecBench } from './codec';
import { runDomainBench } from './domain';
import { runExportAcceptBench } from './export-accept';
import { environment, fmtNum, markdownTable, ROOT, type BenchGroupOutcome, type BenchResult } from './lib';
import { runSyncBench, startSyncServices, type SyncServices } from './sync';

const GROUPS = ['domain', 'codec', 'export-accept', 'sync'] as const;
type Group = (typeof GROUPS)[number];

/** Hard stop: the run must never hang (FerretDB can stop answering, see sync.ts). */
const WATCHDOG_MS = 6 * 60_000;

function parseArgs(argv: string[]): { only: Set<Group>; quick: boolean } {
  let only = new Set<Group>(GROUPS);
  let quick = false;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a.startsWith('--only=')) {
      const names = a.slice('--only='.length).split(',').filter(Boolean);
      const bad = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
      if (bad.length) throw new Error(`unknown benchmark group(s): ${bad.join(', ')}; known: ${GROUPS.join(', ')}`);
      only = new Set(names as Group[]);
    } else throw new Error(`unknown argument ${a}; use --only=${GROUPS.join(',')} and/or --quick`);
  }
  return { only, quick };
}

const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function main(): Promise<number> {
  const t0 = Date.now();
  const { only, quick } = parseArgs(process.argv.slice(2));
  const env = environment();
  log(`benchmarks on ${env.cpus} × ${env.cpuModel}, node ${env.node}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}${env.gitDirty ? ' (+ local changes)' : ''}${quick ? ', quick mode' : ''}`);

  let services: SyncServices | undefined;
  let stopping: Promise<void> | undefined;
  const stopServices = () => (stopping ??= services ? services.stop() : Promise.resolve());
  const abort = (why: string, code: number) => {
    process.stderr.write(`\nbench: ${why}; stopping services\n`);
    void stopServices().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60_000} minutes`, 1), WATCHDOG_MS);

  const cpuBudget = quick ? 400 : 1500;
  const outcomes: BenchGroupOutcome[] = [];
  const runGroup = async (group: Group, fn: () => Promise<BenchResult[]> | BenchResult[]) => {
    if (!only.has(group)) {
      outcomes.push({ group, status: 'skipped', durationMs: 0, results: [] });
      return;
    }
    log(`\n▶ ${group}`);
    const g0 = Date.now();
    try {
      const results = await fn();
      outcomes.push({ group, status: 'ok', durationMs: Date.now() - g0, results });
      log(`  done in ${fmtNum((Date.now() - g0) / 1000)} s`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      outcomes.push({ group, status: 'failed', durationMs: Date.now() - g0, error: message, results: [] });
      log(`  FAILED: ${message}`);
    }
  };

  try {
    await runGroup('domain', () => runDomainBench({ budgetMs: cpuBudget }));
    await runGroup('codec', () => runCodecBench({ budgetMs: quick ? 400 : 1500 }));
    await runGroup('export-accept', () => runExportAcceptBench({ budgetMs: quick ? 600 : 2000 }));
    await runGroup('sync', async () => {
      services = await startSyncServices();
      try {
        return await runSyncBench(services, {
          suppliers: 20_000,
          accounts: 2_000,
          upsertBudgetMs: quick ? 8_000 : 40_000,
          experimentBudgetMs: quick ? 6_000 : 20_000,
          resyncBudgetMs: quick ? 4_000 : 15_000,
          hangTimeoutMs: quick ? 5_000 : 10_000,
          log,
        });
      } finally {
        await stopServices();
      }
    });
  } finally {
    clearTimeout(watchdog);
    await stopServices();
  }

  const totalMs = Date.now() - t0;
  const report = { environment: env, quick, totalMs, groups: outcomes };
  const table = renderTable(outcomes);
  const md = renderMarkdown(report, table);
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'latest.md'), md);
  log(`\n${table}\n`);
  for (const o of outcomes.filter((x) => x.status === 'failed')) log(`${o.group} FAILED: ${o.error}`);
  log(`total ${fmtNum(totalMs / 1000)} s; results in ${path.relative(process.cwd(), dir) || dir}/latest.{json,md}`);
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

function renderTable(outcomes: BenchGroupOutcome[]): string {
  const rows: string[][] = [];
  for (const o of outcomes) {
    if (o.status === 'skipped') continue;
    if (o.status === 'failed') {
      rows.push([`**${o.group}**`, '', '', '', `FAILED: ${o.error ?? ''}`.replace(/\|/g, '/').slice(0, 160)]);
      continue;
    }
    rows.push([`**${o.group}**`, '', '', '', `${fmtNum(o.durationMs / 1000)} s`]);
    for (const r of o.results) rows.push([r.name, r.summary.median ?? '', r.summary.p95 ?? '', r.summary.throughput ?? '', (r.summary.note ?? '').replace(/\|/g, '/')]);
  }
  return markdownTable(['benchmark', 'median', 'p95', 'throughput', 'notes'], rows);
}

function renderMarkdown(report: { environment: ReturnType<typeof environment>; quick: boolean; totalMs: number }, table: string): string {
  const e = report.environment;
  return [
    '# Benchmark results',
    '',
    `${e.date} · ${e.cpus} × ${e.cpuModel} · ${e.totalMemoryMiB} MiB · node ${e.node} · ${e.platform} · commit \`${e.gitCommit ?? 'unknown'}\`${e.gitDirty ? ' (with local changes)' : ''}${report.quick ? ' · quick mode' : ''} · total ${fmtNum(report.totalMs / 1000)} s`,
    '',
    table,
    '',
    'How to read this: see bench/README.md. Full numbers (sample counts, min/max, fits, memory) are in latest.json.',
    '',
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
