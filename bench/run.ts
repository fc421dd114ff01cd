/**
 * `npm run bench`: runs the benchmarks, prints a table and writes bench/results/latest.json and
 * bench/results/latest.md. Each group starts (and always stops) what it needs.
 *
 *   npm run bench                          everything (see bench/README.md for how long)
 *   npm run bench -- pacing sync           some groups: domain, codec, export-accept, export, pacing, sync, api
 *   npm run bench -- --quick               development scale: smaller numbers, shorter runs
 *   npm run bench -- sync --backend=sqlite FerretDB's storage (default: the embedded default)
 *
 * Exit code 1 when a group failed (its error is in the results); the other groups still run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runCodecBench } from './codec';
import type { FerretBackend } from '../scripts/stack';
import { runApiBench } from './api';
import { runDomainBench } from './domain';
import { runExportAcceptBench } from './export-accept';
import { runExportBench } from './export-floor';
import { environment, fmtNum, markdownTable, ROOT, type BenchGroupOutcome, type BenchResult } from './lib';
import { runPacingBench } from './pacing';
import { stopAllStacks } from './stack';
import { runSyncBench } from './sync';

const GROUPS = ['domain', 'codec', 'export-accept', 'export', 'pacing', 'sync', 'api'] as const;
type Group = (typeof GROUPS)[number];

interface Args {
  only: Set<Group>;
  quick: boolean;
  backend?: FerretBackend;
}

function parseArgs(argv: string[]): Args {
  const names: string[] = [];
  let quick = false;
  let backend: FerretBackend | undefined;
  for (const a of argv) {
    if (a === '--quick') quick = true;
    else if (a.startsWith('--only=')) names.push(...a.slice('--only='.length).split(',').filter(Boolean));
    else if (a.startsWith('--backend=')) {
      const b = a.slice('--backend='.length);
      if (b !== 'sqlite' && b !== 'postgresql') throw new Error('--backend must be sqlite or postgresql');
      backend = b;
    } else if (!a.startsWith('-')) names.push(a);
    else throw new Error(`unknown argument ${a}; groups: ${GROUPS.join(', ')}; options: --quick, --backend=sqlite|postgresql`);
  }
  const bad = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown benchmark group(s): ${bad.join(', ')}; known: ${GROUPS.join(', ')}`);
  return { only: new Set((names.length ? names : GROUPS) as Group[]), quick, backend };
}

const log = (msg: string) => process.stdout.write(`${msg}\n`);

async function main(): Promise<number> {
  const t0 = Date.now();
  const args = parseArgs(process.argv.slice(2));
  const { only, quick, backend } = args;
  const env = environment();
  log(`benchmarks on ${env.cpus} × ${env.cpuModel}, node ${env.node}, commit ${env.gitCommit?.slice(0, 12) ?? 'unknown'}${env.gitDirty ? ' (+ local changes)' : ''}${quick ? ', quick mode' : ''}`);

  // Hard stop: a run must never hang. Each group stops what it started in its own finally.
  const watchdogMs = (quick ? 30 : 150) * 60_000;
  const abort = (why: string, code: number) => {
    process.stderr.write(`\nbench: ${why}; stopping what it started\n`);
    // Never leave the stack (Temporal, FerretDB, the product's processes) running; bounded.
    const exit = () => process.exit(code);
    setTimeout(exit, 30_000).unref();
    void stopAllStacks().finally(exit);
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(() => abort(`still running after ${watchdogMs / 60_000} minutes`, 1), watchdogMs);

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
    await runGroup('domain', () => runDomainBench({ budgetMs: quick ? 400 : 1500 }));
    await runGroup('codec', () => runCodecBench({ budgetMs: quick ? 400 : 1500 }));
    await runGroup('export-accept', () => runExportAcceptBench({ budgetMs: quick ? 600 : 2000 }));
    await runGroup('export', () => runExportBench({ reports: quick ? 40 : 200, backend, log }));
    await runGroup('pacing', () => runPacingBench({ reports: quick ? 60 : 300, withSync: true, syncSuppliers: quick ? 5_000 : 20_000, backend, log }));
    await runGroup('sync', () => runSyncBench({ scales: quick ? [1_000, 5_000] : [10_000, 100_000], accounts: quick ? 500 : 5_000, changedShare: 0.01, backend, log }));
    await runGroup('api', () => runApiBench({ rate: 100, seconds: quick ? 10 : 30, backend, log }));
  } finally {
    clearTimeout(watchdog);
  }

  const totalMs = Date.now() - t0;
  const report = { environment: env, quick, groups: [...only], totalMs, outcomes };
  const table = renderTable(outcomes);
  const md = renderMarkdown(report, table);
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  // A partial run (some groups) keeps the other groups' last results.
  const file = only.size === GROUPS.length ? 'latest' : `latest-${[...only].join('-')}`;
  fs.writeFileSync(path.join(dir, `${file}.json`), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${file}.md`), md);
  log(`\n${table}\n`);
  for (const o of outcomes.filter((x) => x.status === 'failed')) log(`${o.group} FAILED: ${o.error ?? ''}`);
  log(`total ${fmtNum(totalMs / 1000)} s; results in ${path.relative(process.cwd(), dir) || dir}/${file}.{json,md}`);
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

function renderMarkdown(report: { environment: ReturnType<typeof environment>; quick: boolean; totalMs: number; groups: string[] }, table: string): string {
  const e = report.environment;
  return [
    '# Benchmark results',
    '',
    `${e.date} · ${e.cpus} × ${e.cpuModel} · ${e.totalMemoryMiB} MiB · node ${e.node} · ${e.platform} · load ${e.loadAverage?.map((l) => fmtNum(l)).join('/') ?? '?'} at start · commit \`${e.gitCommit ?? 'unknown'}\`${e.gitDirty ? ' (with local changes)' : ''}${report.quick ? ' · quick mode' : ''} · groups ${report.groups.join(', ')} · total ${fmtNum(report.totalMs / 1000)} s`,
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
