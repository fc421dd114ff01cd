/** What is derived from a built journal entry: which receipt goes on which line, totals, invariants. */
import { computeExpenseAmounts, DomainError } from './amounts';
import type { JournalEntry } from './journal-entry';
import { type Cents, MoneyError, sumCents } from './money';
import type { ReportCore } from './schemas';

// ---------------------------------------------------------------------------
// Attachments (filesPos)
// ---------------------------------------------------------------------------

export interface AttachmentPlanItem {
  receiptId: string;
  fileName: string;
  contentType: string;
  size: number;
  expenseId: string;
  /** 1-based journal line position (Exact `filesPos`) */
  linePosition: number;
}

/**
 * Lists the receipts to upload with the entry, in expense order then receipt
 * order, each with the line position it belongs to.
 */
export function planAttachments(
  entry: JournalEntry,
  report: { expenses: ReadonlyArray<{ id: string; type: string; receipts?: ReadonlyArray<{ receiptId: string; fileName: string; contentType: string; size: number }> }> },
): AttachmentPlanItem[] {
  const out: AttachmentPlanItem[] = [];
  for (const e of report.expenses) {
    if (e.type !== 'receipt' || !e.receipts) continue;
    const pos = entry.expenseLinePositions[e.id];
    if (pos === undefined) throw new DomainError(`expense ${e.id} has no line in entry ${entry.reference}`);
    for (const r of e.receipts) {
      out.push({ receiptId: r.receiptId, fileName: r.fileName, contentType: r.contentType, size: r.size, expenseId: e.id, linePosition: pos });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Summary and invariants
// ---------------------------------------------------------------------------

export interface VatCodeTotal {
  code: string;
  rate: string;
  netCents: Cents;
  taxCents: Cents;
  grossCents: Cents;
}

export interface EntrySummary {
  lineCount: number;
  debitLineCount: number;
  debitNetCents: Cents;
  debitTaxCents: Cents;
  debitGrossCents: Cents;
  creditCents: Cents;
  balanced: boolean;
  /** per VAT code (sorted by code, then rate) */
  byVatCode: VatCodeTotal[];
}

export function summarizeEntry(entry: JournalEntry): EntrySummary {
  const debits = entry.lines.filter((l) => l.side === 'DEBIT');
  const credits = entry.lines.filter((l) => l.side === 'CREDIT');
  const groups = new Map<string, VatCodeTotal>();
  for (const l of debits) {
    if (!l.vatCode) continue;
    const key = `${l.vatCode.code}\u0000${l.vatCode.rate}`;
    const g = groups.get(key) ?? { code: l.vatCode.code, rate: l.vatCode.rate, netCents: 0, taxCents: 0, grossCents: 0 };
    g.netCents = sumCents([g.netCents, l.netCents]);
    g.taxCents = sumCents([g.taxCents, l.taxCents]);
    g.grossCents = sumCents([g.grossCents, l.grossCents]);
    groups.set(key, g);
  }
  const debitGross = sumCents(debits.map((l) => l.grossCents));
  const creditCents = sumCents(credits.map((l) => l.grossCents));
  return {
    lineCount: entry.lines.length,
    debitLineCount: debits.length,
    debitNetCents: sumCents(debits.map((l) => l.netCents)),
    debitTaxCents: sumCents(debits.map((l) => l.taxCents)),
    debitGrossCents: debitGross,
    creditCents,
    balanced: debitGross === creditCents,
    byVatCode: [...groups.values()].sort((a, b) =>
      a.code < b.code ? -1 : a.code > b.code ? 1 : a.rate < b.rate ? -1 : a.rate > b.rate ? 1 : 0,
    ),
  };
}

/**
 * Returns every violated invariant (empty array = fine): at least one debit line,
 * debits = credits, net + tax = gross per line, all amounts are non-negative
 * safe integers of cents (so never more than 2 decimals), positions are 1..n,
 * every expense position points at its cost line, and no non-deductible or
 * reverse-charge line carries VAT.
 */
export function checkEntryInvariants(entry: JournalEntry): string[] {
  const v: string[] = [];
  const debits = entry.lines.filter((l) => l.side === 'DEBIT');
  if (debits.length === 0) v.push('entry has no debit line');
  entry.lines.forEach((l, i) => {
    const where = `line ${i + 1}`;
    if (l.position !== i + 1) v.push(`${where}: position is ${l.position}`);
    for (const [name, val] of [
      ['net', l.netCents],
      ['tax', l.taxCents],
      ['gross', l.grossCents],
    ] as const) {
      if (!Number.isSafeInteger(val)) v.push(`${where}: ${name} ${val} is not a whole number of cents`);
      else if (val < 0) v.push(`${where}: ${name} ${val} is negative`);
    }
    if (l.netCents + l.taxCents !== l.grossCents) {
      v.push(`${where}: net ${l.netCents} + tax ${l.taxCents} ≠ gross ${l.grossCents}`);
    }
  });
  let debitTotal = 0n;
  let creditTotal = 0n;
  for (const l of entry.lines) {
    if (!Number.isSafeInteger(l.grossCents)) continue;
    if (l.side === 'DEBIT') debitTotal += BigInt(l.grossCents);
    else creditTotal += BigInt(l.grossCents);
  }
  if (debitTotal !== creditTotal) v.push(`unbalanced: debits ${debitTotal} ≠ credits ${creditTotal}`);
  for (const [expenseId, pos] of Object.entries(entry.expenseLinePositions)) {
    const l = entry.lines[pos - 1];
    if (!l || l.expenseId !== expenseId) v.push(`expense ${expenseId}: position ${pos} is not its cost line`);
  }
  entry.lines.forEach((l, i) => {
    // A line on a no-VAT or reverse-charge code never carries a VAT amount.
    if (l.vatTreatment && l.vatTreatment !== 'deductible' && l.taxCents !== 0) v.push(`line ${i + 1}: VAT ${l.taxCents} on a ${l.vatTreatment} line`);
  });
  return v;
}

/**
 * A report's total in its currency (what its credit line books), before any entry is built; null
 * when an amount cannot be computed (the export shows why).
 */
export function reportTotalCents(report: ReportCore): Cents | null {
  try {
    return sumCents(report.expenses.map((e) => computeExpenseAmounts(e, report.currency).grossCents));
  } catch (err) {
    if (err instanceof DomainError || err instanceof MoneyError) return null;
    throw err;
  }
}
