/**
 * Benchmark 3: the pure-CPU part of accepting an export (POST …/export) for a report with
 * 20 receipts of 200 KB each (≈ 5.3 MB of base64): receipt sizes (`base64DecodedSize`), the
 * content hash (the route's canonical JSON + SHA-256) and `toReportRef`. The other CPU steps of that route
 * (JSON body parsing, zod validation with base64 checks, decoding the receipts into Buffers) are
 * measured alongside so the headline number can be put in context.
 */
import { createHash, randomBytes } from 'node:crypto';
import { base64DecodedSize, canonicalJson, expenseReportSchema, toReportRef, type ExpenseReport } from '../src/domain';
import { fmtNum, fmtUs, measureCpu, prng, type BenchResult } from './lib';

export const RECEIPTS = 20;
export const RECEIPT_BYTES = 200 * 1024;

export function contentHash(report: unknown): string {
  return createHash('sha256').update(canonicalJson(report)).digest('hex');
}

export function makeReportWithReceipts(seed = 11): ExpenseReport {
  const r = prng(seed);
  return {
    reportId: 'R-receipts-20',
    employee: { id: 'emp-1', name: 'Medewerker 1', email: 'medewerker@example.com' },
    approvedAt: '2025-06-30T16:45:00+02:00',
    currency: 'EUR',
    description: 'Declaratie met bonnen',
    expenses: Array.from({ length: RECEIPTS }, (_, i) => ({
      type: 'receipt' as const,
      id: `e${i + 1}`,
      date: '2025-06-12',
      description: `Hotel nacht ${i + 1}`,
      category: 'lodging',
      amount: `${r.int(20, 400)}.${String(r.int(0, 99)).padStart(2, '0')}`,
      currency: 'EUR',
      vatRate: '9',
      merchant: { name: `Hotel ${i}` },
      // Random bytes: incompressible, like a scanned receipt.
      receipts: [{ fileName: `bon-${i + 1}.jpg`, contentType: 'image/jpeg', contentBase64: randomBytes(RECEIPT_BYTES).toString('base64') }],
    })),
  };
}

export function runExportAcceptBench(opts: { budgetMs: number }): BenchResult[] {
  const report = makeReportWithReceipts();
  const body = JSON.stringify(report);
  const base64Bytes = report.expenses.reduce((n, e) => n + (e.type === 'receipt' ? e.receipts.reduce((m, x) => m + x.contentBase64.length, 0) : 0), 0);
  const parsed = expenseReportSchema.safeParse(JSON.parse(body));
  if (!parsed.success) throw new Error(`bench report does not validate: ${parsed.error.message}`);
  const ref = toReportRef(report);
  const sizes = ref.expenses.flatMap((e) => (e.type === 'receipt' ? e.receipts.map((x) => x.size) : []));
  if (sizes.some((s) => s !== RECEIPT_BYTES)) throw new Error(`base64DecodedSize disagrees with the receipt size: ${sizes.join(',')}`);

  const sizesOf = (rep: ExpenseReport) => {
    let total = 0;
    for (const e of rep.expenses) if (e.type === 'receipt') for (const x of e.receipts) total += base64DecodedSize(x.contentBase64);
    return total;
  };

  const facts = { receipts: RECEIPTS, receiptBytes: RECEIPT_BYTES, base64Bytes, bodyBytes: Buffer.byteLength(body) };
  const mb = base64Bytes / 1e6;
  const row = (name: string, fn: () => unknown, budgetMs: number, note?: string): BenchResult => {
    const m = measureCpu(fn, { budgetMs, warmupMs: Math.min(200, budgetMs / 4) });
    return {
      group: 'export-accept',
      name,
      summary: { median: fmtUs(m.perOpUs.median), p95: fmtUs(m.perOpUs.p95), throughput: `${fmtNum(m.opsPerSec)} reports/s`, note: note ?? `${fmtNum(mb / (m.perOpUs.median / 1e6))} MB/s of base64` },
      metrics: { ...facts, ...m, msPerReportMedian: m.perOpUs.median / 1e3, msPerReportP95: m.perOpUs.p95 / 1e3 },
    };
  };

  const results: BenchResult[] = [];
  // The headline: the three pure steps the brief names, together, as the route runs them.
  results.push(
    row(
      `hash + toReportRef + sizes, ${RECEIPTS}×200 KB`,
      () => {
        const total = sizesOf(report);
        const hash = contentHash(report);
        const r2 = toReportRef(report);
        return total + hash.length + r2.expenses.length;
      },
      opts.budgetMs,
    ),
  );
  results.push(row('  canonical JSON + SHA-256', () => contentHash(report), opts.budgetMs / 2));
  results.push(row('  toReportRef', () => toReportRef(report), opts.budgetMs / 2));
  results.push(row('  base64DecodedSize ×20', () => sizesOf(report), opts.budgetMs / 2));
  // Context: the rest of the route's CPU work on the same body.
  results.push(row('  (context) JSON.parse of the body', () => JSON.parse(body), opts.budgetMs / 2, `${fmtNum(facts.bodyBytes / 1e6)} MB body`));
  results.push(row('  (context) zod expenseReportSchema', () => expenseReportSchema.safeParse(report).success, opts.budgetMs / 2));
  results.push(
    row(
      '  (context) Buffer.from(base64) ×20',
      () => {
        let n = 0;
        for (const e of report.expenses) if (e.type === 'receipt') for (const x of e.receipts) n += Buffer.from(x.contentBase64, 'base64').length;
        return n;
      },
      opts.budgetMs / 2,
    ),
  );
  return results;
}
