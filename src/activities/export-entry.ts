/** The entry of an export as Maesn takes it: the DTO, the receipts on their lines, the master data it refers to. */
import {
  centsToDecimalString,
  createMasterDataLookup,
  normalizeName,
  normalizeVatNumber,
  planAttachments,
  reportCodes,
  toMasterData,
  type JournalEntry,
  type Mappings,
  type ReportCore,
  type ReportRef,
} from '../domain';
import type { JournalEntryCreateInput, JournalEntryFile } from '../maesn';
import { loadMasterDataFor } from '../services';
import type { ExportDoc, Stores } from '../store';

export function toMaesnJournalEntry(entry: JournalEntry): JournalEntryCreateInput {
  return {
    journalCode: entry.journalCode,
    transactionDate: entry.transactionDate,
    accountingPeriodId: entry.accountingPeriodId,
    currency: entry.currency,
    description: entry.description,
    journalLineItems: entry.lines.map((l) => ({
      accountId: l.account.id,
      accountCode: l.account.code,
      debitCreditIndicator: l.side,
      description: l.description,
      currency: entry.currency,
      totalNetAmount: centsToDecimalString(l.netCents),
      totalTaxAmount: centsToDecimalString(l.taxCents),
      totalGrossAmount: centsToDecimalString(l.grossCents),
      ...(l.vatCode ? { taxRate: { code: l.vatCode.code, taxRatePercentage: l.vatCode.rate === 'exempt' ? '0' : l.vatCode.rate } } : {}),
      ...(l.dimensions.length ? { dimensions: l.dimensions.map((d) => ({ categoryName: d.categoryName, code: d.code })) } : {}),
      ...(l.supplier ? { supplierId: l.supplier.id } : {}),
    })),
  };
}

/** The master data this report and the mappings refer to, plus the suppliers its merchants may match. */
export async function loadLookup(stores: Stores, tenantId: string, mappings: Mappings, report: ReportCore) {
  const md = await stores.masterData.reader(tenantId);
  const data = await loadMasterDataFor(stores, tenantId, mappings, reportCodes(report, mappings), md);
  // Merchants are matched by VAT number, then by name: load the candidates for this report only.
  const merchants = report.expenses.flatMap((e) => (e.type === 'receipt' && e.merchant ? [e.merchant] : []));
  if (merchants.length) {
    const candidates = await md.findSupplierCandidates({
      vatNumbersNorm: merchants.map((m) => m.vatNumber).filter((v): v is string => !!v).map(normalizeVatNumber),
      namesNorm: merchants.map((m) => normalizeName(m.name)),
    });
    const known = new Set((data.suppliers ?? []).map((s) => s.id));
    const more = toMasterData({ suppliers: candidates.filter((c) => !known.has(c.id)) }).suppliers ?? [];
    data.suppliers = [...(data.suppliers ?? []), ...more];
  }
  return createMasterDataLookup(data);
}

/** The receipts to attach, in line order, with the line each belongs to. */
export async function receiptFiles(stores: Stores, doc: ExportDoc, entry: JournalEntry): Promise<JournalEntryFile[]> {
  const plan = planAttachments(entry, doc.report as ReportRef);
  const stored = new Map((await stores.exports.getReceipts(doc.tenantId, doc.reportId, doc.contentHash, plan.map((a) => a.receiptId))).map((r) => [r.receiptId, r]));
  return plan.flatMap((a) => {
    const r = stored.get(a.receiptId);
    // A BSON Binary's buffer can be longer than its content.
    return r ? [{ fileName: r.fileName, contentType: r.contentType, data: r.data.buffer.subarray(0, r.data.position), linePosition: a.linePosition }] : [];
  });
}
