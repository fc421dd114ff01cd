/**
 * Benchmark 4, sync at scale: the `syncMasterData` workflow on the embedded stack (dev server,
 * FerretDB, the sandbox as its own process with its limit off, a product worker process as
 * `make dev` runs it) against generated administrations of 10,000 and 100,000 suppliers with
 * 5,000 GL accounts.
 *
 * For each size: the initial (full) sync, a full resync with nothing changed, and a full resync
 * after 1 % of the suppliers changed. Per run: records read per second, records written and the
 * time spent in the database (the run's own counts: `upserted`, `dbMs` summed over kinds, which
 * sync in parallel), the worker process's peak RSS while the run lasted (from /proc), and the
 * workflow history (events, bytes). Then, per size, how long an export's lookups take in that
 * administration (uncached, as after a sync changed its master data): a supplier by code, and a
 * merchant's candidate suppliers by VAT number and name.
 */
import type { FerretBackend } from '../scripts/stack';
import { syncMasterData } from '../src/workflows/sync';
import { distribution, fmtNum, type BenchResult } from './lib';
import { rssMiB, sampleRss, startBenchStack } from './stack';

export interface SyncBenchOptions {
  scales: number[];
  accounts: number;
  changedShare: number;
  backend?: FerretBackend;
  log: (msg: string) => void;
}

export async function runSyncBench(o: SyncBenchOptions): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const stack = await startBenchStack({ backend: o.backend, sandboxRateLimit: { perMinute: 1e9, perDay: 1e9 }, taskQueue: 'bench-sync' });
  try {
    const worker = await stack.startWorker();
    const baseRss = rssMiB(worker.pid) ?? 0;
    o.log(`  worker up on FerretDB/${stack.backend}, RSS ${fmtNum(baseRss)} MiB`);

    for (const n of o.scales) {
      const division = String(600000 + n);
      const tenantId = `bench-sync-${n}`;
      let t = Date.now();
      await stack.sandbox.createDivision({ code: division, name: `Bench ${n} B.V.`, generate: { suppliers: n, accounts: o.accounts, seed: 7 } });
      const { accountKey } = await stack.sandbox.createConnection(division);
      await stack.stores.tenants.create(tenantId, `Bench ${n}`);
      await stack.stores.tenants.setConnection(tenantId, { state: 'connected', division, divisionName: `Bench ${n}`, targetSystem: 'exact-nl', accountKey: stack.stores.tenants.sealAccountKey(tenantId, accountKey) });
      o.log(`  ${n} suppliers + ${o.accounts} GL accounts generated in ${fmtNum((Date.now() - t) / 1000)} s`);

      const sync = async (label: string) => {
        const rss = sampleRss(worker.pid);
        const started = Date.now();
        const handle = await stack.temporal.workflow.start(syncMasterData, { workflowId: `${tenantId}-${label}`, taskQueue: 'bench-sync', args: [{ tenantId, mode: 'full', trigger: 'manual' }] });
        const r = await handle.result();
        const ms = Date.now() - started;
        const peak = rss.stop();
        const history = await handle.fetchHistory();
        const historyBytes = Buffer.byteLength(JSON.stringify(history));
        const fetched = Object.values(r.counts).reduce((a, c) => a + c.fetched, 0);
        const written = Object.values(r.counts).reduce((a, c) => a + c.upserted + c.deactivated, 0);
        const dbMs = Object.values(r.counts).reduce((a, c) => a + (c.dbMs ?? 0), 0);
        const row = { label, ms, fetched, written, dbMs, peakRssMiB: peak, historyEvents: history.events?.length ?? 0, historyBytes, counts: r.counts };
        o.log(`  ${n}: ${label}: ${fmtNum(ms / 1000)} s, ${fetched} read, ${written} written, db ${fmtNum(dbMs / 1000)} s, RSS peak ${fmtNum(peak)} MiB, history ${row.historyEvents} events`);
        return row;
      };
      const first = await sync('initial');
      const same = await sync('resync-unchanged');
      // 1 % of the suppliers change in Exact (generated codes are 10000 + i).
      t = Date.now();
      const changed = Math.round(n * o.changedShare);
      const codes = Array.from({ length: changed }, (_, k) => String(10000 + Math.floor((k * n) / changed)));
      for (let i = 0; i < codes.length; i += 20) {
        await Promise.all(codes.slice(i, i + 20).map((c) => stack.sandbox.updateRecord(division, 'suppliers', c, { name: `Gewijzigd ${c} B.V.` })));
      }
      o.log(`  ${changed} suppliers changed in ${fmtNum((Date.now() - t) / 1000)} s`);
      const onePct = await sync('resync-1pct-changed');

      // An export's lookups in this administration, uncached: by code, then merchant candidates by VAT number and name.
      const LOOKUPS = 20;
      const byCode: number[] = [];
      const byMerchant: number[] = [];
      for (let k = 0; k < LOOKUPS; k++) {
        const code = String(10000 + Math.floor((k * n) / LOOKUPS) + 7);
        let t0 = performance.now();
        const [s] = await stack.stores.masterData.findByCodes('suppliers', tenantId, [code]);
        byCode.push(performance.now() - t0);
        if (!s) throw new Error(`supplier ${code} not found`);
        t0 = performance.now();
        const found = await stack.stores.masterData.findSupplierCandidates(tenantId, { vatNumbersNorm: s.vatNumberNorm ? [String(s.vatNumberNorm)] : [], namesNorm: [String(s.nameNorm)] });
        byMerchant.push(performance.now() - t0);
        if (!found.some((f) => f.id === s.id)) throw new Error(`supplier ${code} not found as a merchant candidate`);
      }
      const codeMs = distribution(byCode);
      const merchantMs = distribution(byMerchant);
      o.log(`  ${n}: lookups: by code median ${fmtNum(codeMs.median)} ms (max ${fmtNum(codeMs.max)}), merchant candidates median ${fmtNum(merchantMs.median)} ms (max ${fmtNum(merchantMs.max)})`);

      for (const r of [first, same, onePct]) {
        results.push({
          group: 'sync',
          name: `${n} suppliers: ${r.label === 'initial' ? 'initial sync' : r.label === 'resync-unchanged' ? 'full resync, nothing changed' : `full resync, ${changed} changed`}`,
          summary: {
            median: `${fmtNum(r.ms / 1000)} s`,
            throughput: `${fmtNum(r.fetched / (r.ms / 1000))} records/s`,
            note: `${r.written} written; db ${fmtNum(r.dbMs / 1000)} s; worker RSS peak ${fmtNum(r.peakRssMiB)} MiB (idle ${fmtNum(baseRss)}); history ${r.historyEvents} events / ${fmtNum(r.historyBytes / 1024)} KiB`,
          },
          metrics: { suppliers: n, accounts: o.accounts, backend: stack.backend, baseRssMiB: baseRss, ...r },
        });
      }
      results.push({
        group: 'sync',
        name: `${n} suppliers: an export's lookups, uncached`,
        summary: { median: `${fmtNum(codeMs.median)} ms`, p95: `${fmtNum(codeMs.p95)} ms`, note: `supplier by code (${LOOKUPS}); merchant candidates by VAT number and name: median ${fmtNum(merchantMs.median)} ms, max ${fmtNum(merchantMs.max)} ms` },
        metrics: { suppliers: n, lookups: LOOKUPS, byCodeMs: codeMs, merchantCandidatesMs: merchantMs },
      });
    }
  } finally {
    await stack.stop();
  }
  return results;
}
