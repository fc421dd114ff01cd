/**
 * Benchmark 2: master-data sync throughput. An in-process Maesn sandbox serves a generated
 * division (20 000 suppliers, 2 000 GL accounts); FerretDB (SQLite) runs as a child process.
 *
 *  (a) raw client streaming: `MaesnConnection.listAll('suppliers', { limit: 100, rawData: true })`,
 *      records/s, heap after every page (max − min) and RSS growth;
 *  (b) the product's store path: pages mapped with `supplierRecord` and written with
 *      `MasterDataStore.upsertPage`, records/s of the upserts alone and end to end, first into an
 *      empty collection (inserts), then again (a full resync: every record matched, nothing new).
 *
 * The caller owns the services (see `startSyncServices`), so they are stopped in its `finally`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ProcessGroup, freePort, startFerret } from '../scripts/stack';
import { supplierRecord } from '../src/activities/master-data-mapping';
import { MaesnClient, type MaesnConnection, type Supplier } from '../src/maesn';
import { SandboxControl, startSandbox, type RunningSandbox } from '../src/sandbox';
import { MasterDataStore, createMongo, type MasterDataRecord, type Mongo } from '../src/store';
import { distribution, fmtNum, fmtUs, mib, type BenchResult } from './lib';

const API_KEY = 'bench-api-key';
const SIGNING_SECRET = 'bench-signing-secret';
const DIVISION = '424242';
const TENANT = 'bench-tenant';

export interface SyncServices {
  group: ProcessGroup;
  tmpDir: string;
  sandbox?: RunningSandbox;
  mongo?: Mongo;
  mongoUri?: string;
  maesn?: MaesnClient;
  /** Stops everything that was started (safe to call after a partial start). */
  stop(): Promise<void>;
}

/** Starts FerretDB on a free port with a temp data dir, and the sandbox in-process on port 0. */
export async function startSyncServices(): Promise<SyncServices> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exact-export-bench-'));
  const s: SyncServices = {
    group: new ProcessGroup(),
    tmpDir,
    async stop() {
      await s.maesn?.close().catch(() => undefined);
      await s.mongo?.close().catch(() => undefined);
      await s.sandbox?.close().catch(() => undefined);
      await s.group.stopAll(5_000);
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
  const port = await freePort();
  const { uri } = await startFerret(s.group, { port, dataDir: path.join(tmpDir, 'ferretdb'), logFile: path.join(tmpDir, 'ferretdb.log') });
  s.mongoUri = uri;
  s.mongo = createMongo(uri, 'exact_export_bench');
  s.sandbox = await startSandbox({
    port: 0,
    dataDir: path.join(tmpDir, 'sandbox'),
    apiKey: API_KEY,
    signingSecret: SIGNING_SECRET,
    rateLimit: { perMinute: 1e9, perDay: 1e9 },
    seed: false,
  });
  s.maesn = new MaesnClient({ baseUrl: s.sandbox.url, apiKey: API_KEY, timeoutMs: 60_000 });
  return s;
}

/** A full GC, when V8 lets us trigger one (flag set at run time; no node flags needed). */
let gcFn: (() => void) | null | undefined;
function fullGc(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      gcFn = null;
    }
  }
  gcFn?.();
  return !!gcFn;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

interface StreamStats {
  records: number;
  pages: number;
  ms: number;
  pageMs: number[];
  heapAfterPage: number[];
  rssBefore: number;
  rssMax: number;
  heapAfterGcBefore: number | null;
  heapAfterGcAfter: number | null;
}

async function streamSuppliers(conn: MaesnConnection, onPage?: (items: Supplier[], raw: unknown[] | null) => Promise<void>): Promise<StreamStats> {
  const gc = fullGc();
  const before = process.memoryUsage();
  const st: StreamStats = {
    records: 0,
    pages: 0,
    ms: 0,
    pageMs: [],
    heapAfterPage: [],
    rssBefore: before.rss,
    rssMax: before.rss,
    heapAfterGcBefore: gc ? before.heapUsed : null,
    heapAfterGcAfter: null,
  };
  const t0 = nowMs();
  let tPage = t0;
  for await (const page of conn.listAll('suppliers', { limit: 100, rawData: true })) {
    st.records += page.items.length;
    st.pages += 1;
    if (onPage) await onPage(page.items, page.raw);
    const now = nowMs();
    st.pageMs.push(now - tPage);
    tPage = now;
    const m = process.memoryUsage();
    st.heapAfterPage.push(m.heapUsed);
    if (m.rss > st.rssMax) st.rssMax = m.rss;
  }
  st.ms = nowMs() - t0;
  if (fullGc()) st.heapAfterGcAfter = process.memoryUsage().heapUsed;
  return st;
}

function toRecords(items: Supplier[], raw: unknown[] | null): MasterDataRecord[] {
  const out: MasterDataRecord[] = [];
  items.forEach((item, i) => {
    const r = raw?.[i];
    const rec = supplierRecord(item, r && typeof r === 'object' ? (r as Record<string, unknown>) : undefined);
    if (rec) out.push(rec);
  });
  return out;
}

/** Records/s over a window of pages: the first and last `n` pages show whether upserts slow down as the collection grows. */
function windowRate(pageMs: number[], pageRecords: number[], from: number, to: number): number {
  let ms = 0;
  let recs = 0;
  for (let i = Math.max(0, from); i < Math.min(to, pageMs.length); i++) {
    ms += pageMs[i];
    recs += pageRecords[i];
  }
  return ms > 0 ? recs / (ms / 1000) : NaN;
}

export async function runSyncBench(s: SyncServices, opts: { suppliers: number; accounts: number; resyncPages: number; log: (msg: string) => void }): Promise<BenchResult[]> {
  const { log } = opts;
  const sandbox = s.sandbox!;
  const mongo = s.mongo!;
  const results: BenchResult[] = [];
  const ctl = new SandboxControl(sandbox.url, API_KEY);

  let t = nowMs();
  await ctl.createDivision({ code: DIVISION, name: 'Bench Groothandel B.V.', generate: { suppliers: opts.suppliers, accounts: opts.accounts } });
  const { accountKey } = await ctl.createConnection(DIVISION);
  const setupMs = nowMs() - t;
  log(`  sandbox division with ${opts.suppliers} suppliers generated in ${fmtNum(setupMs / 1000)} s`);
  const conn = s.maesn!.forConnection({ accountKey, companyId: DIVISION });

  // (a) raw streaming: nothing is kept between pages.
  const a = await streamSuppliers(conn);
  if (a.records !== opts.suppliers) throw new Error(`streamed ${a.records} suppliers, expected ${opts.suppliers}`);
  const heap = distribution(a.heapAfterPage);
  const pages = distribution(a.pageMs);
  log(`  streamed ${a.records} suppliers in ${fmtNum(a.ms / 1000)} s`);
  results.push({
    group: 'sync',
    name: 'Maesn listAll suppliers (limit 100, rawData)',
    summary: {
      median: `${fmtUs(pages.median * 1e3)}/page`,
      p95: `${fmtUs(pages.p95 * 1e3)}/page`,
      throughput: `${fmtNum(a.records / (a.ms / 1000))} records/s`,
      note: `heap range ${mib(heap.max - heap.min)} MiB, RSS +${mib(a.rssMax - a.rssBefore)} MiB`,
    },
    metrics: {
      records: a.records,
      pages: a.pages,
      totalMs: a.ms,
      recordsPerSec: a.records / (a.ms / 1000),
      pageMs: pages,
      heapUsedAfterPageMiB: { min: mib(heap.min), max: mib(heap.max), range: mib(heap.max - heap.min), first: mib(a.heapAfterPage[0]), last: mib(a.heapAfterPage[a.heapAfterPage.length - 1]) },
      heapAfterFullGcMiB: a.heapAfterGcBefore === null ? null : { before: mib(a.heapAfterGcBefore), after: mib(a.heapAfterGcAfter ?? NaN), growth: mib((a.heapAfterGcAfter ?? NaN) - a.heapAfterGcBefore) },
      rssMiB: { before: mib(a.rssBefore), max: mib(a.rssMax), growth: mib(a.rssMax - a.rssBefore) },
      note: 'the sandbox runs in the same process, so its request handling is part of these heap figures',
    },
  });

  // (b) the store path, as syncResource runs it: map each page, upsert it, next page.
  const store = new MasterDataStore(mongo.db);
  t = nowMs();
  await store.ensureIndexes();
  log(`  indexes created in ${fmtNum((nowMs() - t) / 1000)} s`);

  const upsertPass = async (runId: string, maxPages: number) => {
    const upsertMs: number[] = [];
    const pageRecords: number[] = [];
    let mapMs = 0;
    let written = 0;
    const t0 = nowMs();
    for await (const page of conn.listAll('suppliers', { limit: 100, rawData: true })) {
      const m0 = nowMs();
      const records = toRecords(page.items, page.raw);
      const u0 = nowMs();
      written += await store.upsertPage('suppliers', TENANT, runId, records);
      upsertMs.push(nowMs() - u0);
      mapMs += u0 - m0;
      pageRecords.push(records.length);
      if (upsertMs.length >= maxPages) break;
    }
    const totalMs = nowMs() - t0;
    const records = pageRecords.reduce((x, y) => x + y, 0);
    const upsertTotal = upsertMs.reduce((x, y) => x + y, 0);
    return { records, written, pages: upsertMs.length, totalMs, upsertTotal, mapMs, upsertMs, pageRecords };
  };

  const passResult = (label: string, p: Awaited<ReturnType<typeof upsertPass>>, extra: Record<string, unknown>): BenchResult => {
    const d = distribution(p.upsertMs);
    const n = p.pages;
    const first = windowRate(p.upsertMs, p.pageRecords, 0, 10);
    const last = windowRate(p.upsertMs, p.pageRecords, n - 10, n);
    return {
      group: 'sync',
      name: label,
      summary: {
        median: `${fmtUs(d.median * 1e3)}/page`,
        p95: `${fmtUs(d.p95 * 1e3)}/page`,
        throughput: `${fmtNum(p.records / (p.upsertTotal / 1000))} records/s`,
        note: `end to end ${fmtNum(p.records / (p.totalMs / 1000))} rec/s; first/last 10 pages ${fmtNum(first)}/${fmtNum(last)} rec/s`,
      },
      metrics: {
        records: p.records,
        written: p.written,
        pages: p.pages,
        upsertMsPerPage: d,
        upsertRecordsPerSec: p.records / (p.upsertTotal / 1000),
        endToEndRecordsPerSec: p.records / (p.totalMs / 1000),
        mapMsTotal: p.mapMs,
        upsertMsTotal: p.upsertTotal,
        totalMs: p.totalMs,
        firstTenPagesRecordsPerSec: first,
        lastTenPagesRecordsPerSec: last,
        estimatedMinutesFor100kSuppliers: 100_000 / (p.records / (p.totalMs / 1000)) / 60,
        ...extra,
      },
    };
  };

  const first = await upsertPass('bench-run-1', Number.MAX_SAFE_INTEGER);
  if (first.written !== opts.suppliers) throw new Error(`upserted ${first.written} suppliers, expected ${opts.suppliers}`);
  log(`  first sync (inserts): ${first.records} records, upserts ${fmtNum(first.upsertTotal / 1000)} s of ${fmtNum(first.totalMs / 1000)} s`);
  results.push(passResult(`upsertPage suppliers, empty collection (${first.records})`, first, { kind: 'insert' }));

  const again = await upsertPass('bench-run-2', opts.resyncPages);
  log(`  resync (updates): ${again.records} records, upserts ${fmtNum(again.upsertTotal / 1000)} s of ${fmtNum(again.totalMs / 1000)} s`);
  results.push(passResult(`upsertPage suppliers, resync (${again.records} of ${opts.suppliers})`, again, { kind: 'update', collectionSize: opts.suppliers }));

  // What a full sync does after the last page: mark records not seen in this run inactive.
  t = nowMs();
  const deactivated = await store.markUnseenInactive('suppliers', TENANT, 'bench-run-2');
  const markMs = nowMs() - t;
  results.push({
    group: 'sync',
    name: `markUnseenInactive over ${opts.suppliers} suppliers`,
    summary: { median: fmtUs(markMs * 1e3), note: `single run; ${deactivated} records deactivated` },
    metrics: { ms: markMs, deactivated, collectionSize: opts.suppliers },
  });
  return results;
}
