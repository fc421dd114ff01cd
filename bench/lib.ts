/**
 * Small measuring kit for the benchmarks: a seeded PRNG, a sampling loop with a time budget,
 * order statistics, machine facts and the result types written to bench/results/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------

/** mulberry32: tiny, fast, good enough for test data; same seed → same sequence. */
export function prng(seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** integer in [lo, hi] */
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}
export type Prng = ReturnType<typeof prng>;

/** `work`, or an error with `message` once `ms` have passed (the timer never outlives the race). */
export async function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Distribution {
  samples: number;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}

export function distribution(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return { samples: s.length, min: s[0] ?? NaN, median: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? NaN, mean: s.length ? sum / s.length : NaN };
}

// ---------------------------------------------------------------------------
// Sampling loop for synchronous CPU work
// ---------------------------------------------------------------------------

const nowNs = () => process.hrtime.bigint();
const nsToMs = (ns: bigint) => Number(ns) / 1e6;

export interface CpuMeasurement {
  /** Operations per timed sample (1 for slow operations; >1 so tiny ones stay above timer noise). */
  batch: number;
  /** Per-operation time in microseconds: one value per sample (batch time / batch). */
  perOpUs: Distribution;
  /** operations / measured wall time */
  opsPerSec: number;
  totalOps: number;
  totalMs: number;
}

/**
 * Runs `fn` for about `budgetMs` after a short warm-up and returns per-operation times.
 * Each sample times `batch` consecutive calls, with `batch` chosen so a sample lasts at least
 * `minSampleMs`. `fn` should return something derived from its work so it cannot be optimised
 * away; the result is folded into a sink.
 */
export function measureCpu(fn: () => unknown, opts: { budgetMs?: number; warmupMs?: number; minSampleMs?: number; maxSamples?: number } = {}): CpuMeasurement {
  const budgetMs = opts.budgetMs ?? 1500;
  const warmupMs = opts.warmupMs ?? Math.min(300, budgetMs / 4);
  const minSampleMs = opts.minSampleMs ?? 1;
  const maxSamples = opts.maxSamples ?? 5000;
  let sink = 0;
  const consume = (v: unknown) => {
    sink = (sink + (v === undefined || v === null ? 0 : typeof v === 'object' ? 1 : String(v).length)) | 0;
  };

  // Warm-up (lets the JIT settle) and calibration of the batch size.
  let calls = 0;
  const w0 = nowNs();
  do {
    consume(fn());
    calls++;
  } while (nsToMs(nowNs() - w0) < warmupMs);
  const perCallMs = nsToMs(nowNs() - w0) / calls;
  const batch = Math.max(1, Math.ceil(minSampleMs / Math.max(perCallMs, 1e-6)));

  const perOp: number[] = [];
  let totalNs = 0n;
  let totalOps = 0;
  const start = nowNs();
  while (perOp.length < maxSamples && (perOp.length < 5 || nsToMs(nowNs() - start) < budgetMs)) {
    const t0 = nowNs();
    for (let i = 0; i < batch; i++) consume(fn());
    const dt = nowNs() - t0;
    totalNs += dt;
    totalOps += batch;
    perOp.push(Number(dt) / 1e3 / batch);
  }
  if (sink === 42.5) console.log('unreachable'); // keep the sink alive
  const totalMs = nsToMs(totalNs);
  return { batch, perOpUs: distribution(perOp), opsPerSec: totalOps / (totalMs / 1000), totalOps, totalMs };
}

// ---------------------------------------------------------------------------
// Environment and results
// ---------------------------------------------------------------------------

/**
 * CPU-seconds (user + system) each process descended from this one has used so far, from
 * /proc (Linux; an empty map elsewhere), plus this process itself under pid 0 ("bench").
 */
export function processTreeCpu(): Map<number, { cmd: string; cpuS: number }> {
  const out = new Map<number, { cmd: string; cpuS: number }>();
  const own = process.cpuUsage();
  out.set(0, { cmd: 'bench', cpuS: (own.user + own.system) / 1e6 });
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  const hz = 100; // USER_HZ: 100 on every Linux this runs on
  const info = new Map<number, { ppid: number; cmd: string; cpuS: number }>();
  for (const d of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      info.set(Number(d), { ppid: Number(f[1]), cmd, cpuS: (Number(f[11]) + Number(f[12])) / hz });
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
      const i = info.get(p);
      if (!i) return false;
      if (i.ppid === process.pid) return true;
      p = i.ppid;
    }
    return false;
  };
  for (const [pid, i] of info) if (mine(pid)) out.set(pid, { cmd: i.cmd, cpuS: i.cpuS });
  return out;
}

/** CPU-seconds per process name between two `processTreeCpu` snapshots; `name` names a command line. */
export function cpuBetween(before: ReturnType<typeof processTreeCpu>, after: ReturnType<typeof processTreeCpu>, name: (cmd: string) => string): Record<string, number> {
  const by: Record<string, number> = {};
  for (const [pid, a] of after) {
    const used = a.cpuS - (before.get(pid)?.cpuS ?? 0);
    if (used <= 0) continue;
    const k = name(a.cmd);
    by[k] = (by[k] ?? 0) + used;
  }
  // Tenths of a second; a process that used less than that is left out.
  for (const k of Object.keys(by)) {
    by[k] = Math.round(by[k] * 10) / 10;
    if (by[k] === 0) delete by[k];
  }
  return by;
}

export interface Environment {
  date: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMiB: number;
  node: string;
  platform: string;
  gitCommit: string | null;
  /** Uncommitted changes in the working tree when the run started. */
  gitDirty: boolean | null;
  /** 1, 5 and 15 minute load averages when the run started (others' work on a shared machine). */
  loadAverage?: number[];
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function environment(): Environment {
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status !== '',
    loadAverage: os.loadavg(),
  };
}

/** One row of the results table; `metrics` holds everything machine-readable. */
export interface BenchResult {
  group: string;
  name: string;
  /** Headline numbers for the table, already formatted. */
  summary: { median?: string; p95?: string; throughput?: string; note?: string };
  metrics: Record<string, unknown>;
}

export interface BenchGroupOutcome {
  group: string;
  status: 'ok' | 'failed' | 'skipped';
  durationMs: number;
  error?: string;
  results: BenchResult[];
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

export function fmtNum(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${Math.round(n).toLocaleString('en-US')}`;
  if (abs >= 100) return n.toFixed(0);
  return Number(n.toPrecision(digits)).toString();
}

/** A duration given in microseconds, printed in the most readable unit. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return String(us);
  if (us >= 1e6) return `${fmtNum(us / 1e6)} s`;
  if (us >= 1e3) return `${fmtNum(us / 1e3)} ms`;
  return `${fmtNum(us)} µs`;
}

export const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** A GitHub-flavoured markdown table (also readable as plain text). */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
