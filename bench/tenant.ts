/**
 * A connected tenant for the export benchmarks: connection stored as onboarding leaves it, master
 * data synced by the product's own sync workflow, the demo mappings saved through the API.
 * Also the reports the benchmarks approve (five expenses, two receipts of realistic size).
 */
import { randomBytes } from 'node:crypto';
import { demoMappings, mixedReport } from '../test/fixtures/demo-data';
import type { ExpenseReport, ReceiptExpense } from '../src/domain';
import { syncMasterData } from '../src/workflows/sync';
import { BENCH_PLATFORM_KEY, type BenchStack } from './stack';

export async function connectBenchTenant(stack: BenchStack, apiUrl: string, o: { tenantId: string; division: string; taskQueue: string }): Promise<void> {
  const { accountKey } = await stack.sandbox.createConnection(o.division);
  await stack.stores.tenants.create(o.tenantId, `Bench ${o.tenantId}`);
  await stack.stores.tenants.setConnection(o.tenantId, { state: 'connected', division: o.division, divisionName: 'Bench', targetSystem: 'exact-nl', accountKey: stack.stores.tenants.sealAccountKey(o.tenantId, accountKey) });
  await stack.temporal.workflow.execute(syncMasterData, { workflowId: `bench-setup-sync-${o.tenantId}`, taskQueue: o.taskQueue, args: [{ tenantId: o.tenantId, mode: 'full', trigger: 'manual' }] });
  const res = await fetch(`${apiUrl}/api/tenants/${o.tenantId}/mappings`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_PLATFORM_KEY}` }, body: JSON.stringify(demoMappings()) });
  if (res.status !== 200) throw new Error(`PUT mappings: ${res.status} ${await res.text()}`);
}

/** A PDF-like receipt of `bytes` bytes. */
function receipt(bytes: number): string {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(bytes)]).toString('base64');
}

const RECEIPT_A = receipt(60_000);
const RECEIPT_B = receipt(40_000);

/** The demo's mixed report: 5 expenses (21/9/0 % VAT, mileage, USD), 2 receipts of 60 and 40 KB. */
export function benchReport(reportId: string, amountCents: number): ExpenseReport {
  const r = mixedReport(reportId);
  const [e1, e2] = r.expenses as unknown as [ReceiptExpense, ReceiptExpense];
  e1.receipts = [{ fileName: 'treinkaartje.pdf', contentType: 'application/pdf', contentBase64: RECEIPT_A }];
  e2.receipts = [{ fileName: 'lunch.pdf', contentType: 'application/pdf', contentBase64: RECEIPT_B }];
  // Distinct amounts, so no two entries look alike.
  e2.amount = (54 + (amountCents % 1000) / 100).toFixed(2);
  return r;
}

/** One approval as the platform saw it. */
export interface Approval {
  /** When the first request was sent. */
  at: number;
  /** When the API accepted it (202). */
  acceptedAt: number;
  /** 503 answers before that (each waited out for its Retry-After). */
  busy: number;
}

/** POSTs one report for export (waiting out 503s); resolves with when it was sent and when it was accepted. */
export async function approve(apiUrl: string, tenantId: string, report: ExpenseReport): Promise<Approval> {
  const at = Date.now();
  let busy = 0;
  // As a platform should: a 503 (database or Temporal busy) is repeated after its Retry-After.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${apiUrl}/api/tenants/${tenantId}/expense-reports/${report.reportId}/export`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_PLATFORM_KEY}` }, body: JSON.stringify(report) });
    if (res.status === 503 && attempt < 5) {
      busy++;
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 5) * 1000));
      continue;
    }
    if (res.status !== 202) throw new Error(`export ${report.reportId}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
    return { at, acceptedAt: Date.now(), busy };
  }
}
