/**
 * Benchmark 2: master-data sync throughput. An in-process Maesn sandbox serves a generated
 * division (20 000 suppliers, 2 000 GL accounts); FerretDB (SQLite) runs as a child process.
 *
 *  (a) raw client streaming: `MaesnConnection.listAll('suppliers', { limit: 100, rawData: true })`,
 *      records/s, heap after every page (max − min) and RSS growth;
 *  (b) the product's store path: pages mapped with `supplierRecord` and written with
 *      `MasterDataStore.upsertPage`, records/s of the upserts alone and end to end, first into an
 *      empty collection (inserts), then again (a full resync: every record matched, nothing new);
 *  (c) for comparison only, the same pages written by `_id`-keyed upserts and by insertMany.
 *
 * FerretDB 1.x on SQLite evaluates most filters in its own process after reading the collection,
 * so an upsert costs time proportional to the collection's size. Each write pass therefore has a
 * time budget; the per-page times are fitted against the collection size and extrapolated.
 *
 * The caller owns the services (see `startSyncServices`), so they are stopped in its `finally`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { ProcessGroup, freePort, startFerret } from '../scripts/stack';
import { supplierRecord, type MasterDataRecord } from '../src/domain';
import { MaesnClient, type MaesnConnection, type Supplier } from '../src/maesn';
import { SandboxControl, startSandbox, type RunningSandbox } from '@exact-export/maesn-sandbox';
import { MasterDataStore, createMongo, type Mongo } from '../src/store';
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

export async function runSyncBench(s: SyncServices, opts: { suppliers: number; accounts: number; upsertBudgetMs: number; resyncBudgetMs: number; experimentBudgetMs: number; hangTimeoutMs: number; log: (msg: string) => void }): Promise<BenchResult[]> {
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
      note: `heap after each page: range ${mib(heap.max - heap.min)} MiB; after full GC ${a.heapAfterGcBefore === null ? 'n/a' : `${mib((a.heapAfterGcAfter ?? NaN) - a.heapAfterGcBefore)} MiB`}; RSS +${mib(a.rssMax - a.rssBefore)} MiB`,
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


  // Each write pass streams pages from the sandbox like syncResource does and hands each mapped
  // page to `write`; it stops when the stream ends, after `maxPages`, or when `budgetMs` is spent.
  const writePass = async (write: (records: MasterDataRecord[]) => Promise<number>, o: { budgetMs: number; maxPages?: number; sizeBefore: number; grows: boolean }) => {
    const pages: PageWrite[] = [];
    let size = o.sizeBefore;
    let written = 0;
    let mapMs = 0;
    const t0 = nowMs();
    for await (const page of conn.listAll('suppliers', { limit: 100, rawData: true })) {
      const m0 = nowMs();
      const records = toRecords(page.items, page.raw);
      const w0 = nowMs();
      const n = await write(records);
      const w1 = nowMs();
      mapMs += w0 - m0;
      written += n;
      pages.push({ sizeBefore: size, records: records.length, ms: w1 - w0 });
      if (o.grows) size += records.length;
      if (pages.length >= (o.maxPages ?? Infinity) || w1 - t0 >= o.budgetMs) break;
    }
    return { pages, written, mapMs, totalMs: nowMs() - t0, sizeAfter: size };
  };

  const passResult = (name: string, p: Awaited<ReturnType<typeof writePass>>, extra: Record<string, unknown>): BenchResult => {
    const perPage = distribution(p.pages.map((x) => x.ms));
    const records = p.pages.reduce((a, x) => a + x.records, 0);
    const writeMs = p.pages.reduce((a, x) => a + x.ms, 0);
    const fit = linearFit(p.pages.map((x) => [x.sizeBefore, x.ms]));
    const w = Math.max(1, Math.min(10, Math.floor(p.pages.length / 2)));
    const first = rate(p.pages.slice(0, w));
    const last = rate(p.pages.slice(-w));
    const complete = records >= opts.suppliers;
    return {
      group: 'sync',
      name,
      summary: {
        median: `${fmtUs(perPage.median * 1e3)}/page`,
        p95: `${fmtUs(perPage.p95 * 1e3)}/page`,
        throughput: `${fmtNum(records / (writeMs / 1000))} records/s`,
        note: `${complete ? 'all' : 'budget hit after'} ${records} rec; first/last ${w} pages ${fmtNum(first)}/${fmtNum(last)} rec/s`,
      },
      metrics: {
        records,
        written: p.written,
        pages: p.pages.length,
        complete,
        collectionSizeBefore: p.pages[0]?.sizeBefore ?? null,
        collectionSizeAfter: p.sizeAfter,
        writeMsPerPage: perPage,
        writeRecordsPerSec: records / (writeMs / 1000),
        endToEndRecordsPerSec: records / (p.totalMs / 1000),
        mapMsTotal: p.mapMs,
        writeMsTotal: writeMs,
        totalMs: p.totalMs,
        windowPages: w,
        firstPagesRecordsPerSec: first,
        lastPagesRecordsPerSec: last,
        /** page write ms ≈ interceptMs + msPerExistingDoc × documents already in the collection */
        fit,
        ...extra,
      },
    };
  };

  // (b1) first sync into an empty collection: every upsert inserts.
  const first = await writePass((r) => store.upsertPage('suppliers', TENANT, 'bench-run-1', r), { budgetMs: opts.upsertBudgetMs, sizeBefore: 0, grows: true });
  const firstRecords = first.pages.reduce((a, x) => a + x.records, 0);
  log(`  upsertPage, first sync: ${firstRecords} records in ${fmtNum(first.totalMs / 1000)} s`);
  const fit = linearFit(first.pages.map((x) => [x.sizeBefore, x.ms]));
  results.push(
    passResult(`upsertPage suppliers, first sync (empty collection)`, first, {
      estimates: {
        basis: 'linear fit of page time against collection size, extrapolated (FerretDB scans the collection per upsert)',
        firstSyncMinutes: { '20000': estimateFirstSyncMs(fit, 20_000) / 60_000, '100000': estimateFirstSyncMs(fit, 100_000) / 60_000 },
        resyncMinutes: { '20000': estimateResyncMs(fit, 20_000) / 60_000, '100000': estimateResyncMs(fit, 100_000) / 60_000 },
      },
    }),
  );

  // (c) experiments, not product code: the same pages written another way, for comparison.
  if (opts.experimentBudgetMs > 0) {
    const db = mongo.db;
    const byId = db.collection<Record<string, unknown> & { _id: string }>('bench_suppliers_by_id');
    await byId.createIndex({ tenantId: 1, code: 1 });
    await byId.createIndex({ tenantId: 1, lastSeenRunId: 1 });
    const viaId = await writePass(
      async (records) => {
        if (!records.length) return 0;
        const now = new Date();
        const res = await byId.bulkWrite(
          records.map((r) => ({
            updateOne: { filter: { _id: `${TENANT}:${r.id}` }, update: { $set: { ...r, tenantId: TENANT, syncedAt: now, lastSeenRunId: 'x', removedFromSourceAt: null } }, upsert: true },
          })),
          { ordered: false },
        );
        return res.upsertedCount + res.matchedCount;
      },
      { budgetMs: opts.experimentBudgetMs * 0.6, sizeBefore: 0, grows: true },
    );
    log(`  experiment, upsert by _id: ${viaId.pages.reduce((a, x) => a + x.records, 0)} records in ${fmtNum(viaId.totalMs / 1000)} s`);
    results.push(passResult('experiment: upsert by _id = tenant:id (first sync)', viaId, { experiment: true }));

    const plain = db.collection<Record<string, unknown>>('bench_suppliers_insert');
    await plain.createIndex({ tenantId: 1, id: 1 }, { unique: true });
    await plain.createIndex({ tenantId: 1, code: 1 });
    const inserted = await writePass(
      async (records) => {
        if (!records.length) return 0;
        const now = new Date();
        const res = await plain.insertMany(records.map((r) => ({ ...r, tenantId: TENANT, syncedAt: now, lastSeenRunId: 'x' })), { ordered: false });
        return res.insertedCount;
      },
      { budgetMs: opts.experimentBudgetMs * 0.4, sizeBefore: 0, grows: true },
    );
    log(`  experiment, insertMany: ${inserted.pages.reduce((a, x) => a + x.records, 0)} records in ${fmtNum(inserted.totalMs / 1000)} s`);
    results.push(passResult('experiment: insertMany (no upsert)', inserted, { experiment: true }));
  }

  // (b2) resync of the same records (what every full sync after the first does): every upsert
  // matches. FerretDB 1.24.2 never answers an update command carrying 100 or more upserts that all
  // match existing documents, so the product's page of 100 would hang; this pass hands
  // upsertPage half pages (product code, smaller batches) and the next one probes the hang.
  const resync = await writePass(
    async (r) => (await store.upsertPage('suppliers', TENANT, 'bench-run-2', r.slice(0, 50))) + (await store.upsertPage('suppliers', TENANT, 'bench-run-2', r.slice(50))),
    { budgetMs: opts.resyncBudgetMs, maxPages: first.pages.length, sizeBefore: first.sizeAfter, grows: false },
  );
  log(`  upsertPage, resync in halves: ${resync.pages.reduce((a, x) => a + x.records, 0)} records in ${fmtNum(resync.totalMs / 1000)} s`);
  results.push(passResult(`upsertPage suppliers, resync in pages of 50 (${first.sizeAfter} stored)`, resync, {}));

  // What a full sync does after its last page: mark what it did not see inactive.
  t = nowMs();
  const marked = await withTimeout(store.markUnseenInactive('suppliers', TENANT, 'bench-run-2'), opts.hangTimeoutMs);
  const markMs = nowMs() - t;
  results.push({
    group: 'sync',
    name: `markUnseenInactive (${first.sizeAfter} stored)`,
    summary: marked.ok ? { median: fmtUs(markMs * 1e3), note: `single call; ${marked.value} deactivated` } : { note: marked.timedOut ? `no answer within ${opts.hangTimeoutMs / 1000} s` : `failed: ${marked.error}` },
    metrics: { ms: marked.ok ? markMs : null, deactivated: marked.ok ? marked.value : null, collectionSize: first.sizeAfter },
  });
  // The product's own page size on a resync: one upsertPage of 100 records that all exist.
  let fullPage: string;
  let fullPageMs: number | null = null;
  const fullPageRecords: MasterDataRecord[] = [];
  for await (const page of conn.listAll('suppliers', { limit: 100, rawData: true })) {
    fullPageRecords.push(...toRecords(page.items, page.raw));
    break;
  }
  t = nowMs();
  const outcome = await withTimeout(store.upsertPage('suppliers', TENANT, 'bench-run-3', fullPageRecords), opts.hangTimeoutMs);
  if (outcome.ok) {
    fullPageMs = nowMs() - t;
    fullPage = `returned in ${fmtUs(fullPageMs * 1e3)}`;
  } else {
    fullPage = outcome.timedOut ? `no answer within ${opts.hangTimeoutMs / 1000} s (slow rewrite or hang)` : `failed: ${outcome.error}`;
  }
  log(`  upsertPage of ${fullPageRecords.length} existing records: ${fullPage}`);
  results.push({
    group: 'sync',
    name: `upsertPage suppliers, resync page of ${fullPageRecords.length} (product page size)`,
    summary: { median: fullPageMs === null ? 'n/a' : fmtUs(fullPageMs * 1e3), note: fullPage },
    metrics: { records: fullPageRecords.length, ms: fullPageMs, hung: !outcome.ok && outcome.timedOut, timeoutMs: opts.hangTimeoutMs, outcome: fullPage },
  });

  return results;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; timedOut: boolean; error?: string };

/** Waits for `p` at most `ms`; a promise that never settles is left behind (the caller closes the client). */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, timedOut: true }), ms);
  });
  p.catch(() => undefined); // a late rejection (client closed) must not crash the run
  try {
    return await Promise.race([p.then((value): Outcome<T> => ({ ok: true, value }), (err: unknown): Outcome<T> => ({ ok: false, timedOut: false, error: err instanceof Error ? err.message : String(err) })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface PageWrite {
  /** documents in the collection when the page was written */
  sizeBefore: number;
  records: number;
  ms: number;
}

function rate(pages: PageWrite[]): number {
  const ms = pages.reduce((a, x) => a + x.ms, 0);
  return ms > 0 ? pages.reduce((a, x) => a + x.records, 0) / (ms / 1000) : NaN;
}

/** Least squares y = intercept + slope·x over [x, y] points. */
export function linearFit(points: Array<[number, number]>): { interceptMs: number; msPerExistingDoc: number; points: number } {
  const n = points.length;
  if (n < 2) return { interceptMs: points[0]?.[1] ?? NaN, msPerExistingDoc: NaN, points: n };
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { interceptMs: my - slope * mx, msPerExistingDoc: slope, points: n };
}

/** Pages of 100 into a collection growing from 0 to `total`. */
function estimateFirstSyncMs(fit: { interceptMs: number; msPerExistingDoc: number }, total: number): number {
  let ms = 0;
  for (let size = 0; size < total; size += 100) ms += Math.max(0, fit.interceptMs + fit.msPerExistingDoc * size);
  return ms;
}

/** Pages of 100 into a collection that already holds `total`. */
function estimateResyncMs(fit: { interceptMs: number; msPerExistingDoc: number }, total: number): number {
  return (total / 100) * Math.max(0, fit.interceptMs + fit.msPerExistingDoc * total);
}
