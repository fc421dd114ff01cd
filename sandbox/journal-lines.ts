/**
 * Exact's checks of one journal line: G/L account, debit/credit, net + VAT = gross with at most two
 * decimals, VAT code (exists, not blocked, allowed on the journal, percentage), cost centre and cost
 * unit (category, exists, active, required or forbidden by the account), supplier, customer and
 * currency. Issues are reported through `add`; see journal-entries.ts for the whole entry.
 */
import { fmtAmount, isObj, parseAmount, str } from './entry-input';
import { bpOn, isDimensionActive, JOURNAL_TYPE_NAMES, percentFromBp } from './mapping';
import type { DivisionState } from './state';
import type { DimensionValue, GlAccount, Journal, VatCode } from './types';

const CC_ALIASES = new Set(['costcenter', 'cost_center', 'kostenplaats', 'costcentre']);
const CU_ALIASES = new Set(['costunit', 'cost_unit', 'kostendrager']);

export type AddIssue = (code: string, message: string, field?: string, line?: number) => void;

export interface CheckedLine {
  account: GlAccount;
  dci: 'DEBIT' | 'CREDIT';
  net: number;
  tax: number;
  gross: number;
  vat: VatCode | null;
  costCenter: DimensionValue | null;
  costUnit: DimensionValue | null;
  supplierId: string | null;
  raw: Record<string, unknown>;
}

/** What a line is checked against: the entry's header and the division. */
export interface LineContext {
  div: DivisionState;
  now: Date;
  journal: Journal | undefined;
  headerDci: string | undefined;
  currency: string;
  /** The entry's date (YYYY-MM-DD): VAT percentages are those valid then. */
  date: string | null;
  add: AddIssue;
}

/**
 * Checks line `i` (0-based). `amountsOkSoFar` is false once an earlier line's amounts were unusable
 * (a missing VAT code is then not reported); the result says whether that still holds after this line.
 */
export function checkLine(rl: unknown, i: number, lc: LineContext, amountsOkSoFar: boolean): { checked: CheckedLine | null; amountsOk: boolean } {
  const { div, now, journal, headerDci, currency, date, add } = lc;
  let amountsOk = amountsOkSoFar;
  const line = i + 1;
  const f = (name: string): string => `journalLineItems[${i}].${name}`;
  if (!isObj(rl)) {
    add('INVALID', `Invalid: line ${line} is not an object`, `journalLineItems[${i}]`, line);
    return { checked: null, amountsOk: false };
  }
  let ok = true;
  // G/L account
  let account: GlAccount | undefined;
  const accId = str(rl.accountId);
  const accCode = str(rl.accountCode) ?? (rl.accountNumber !== undefined ? str(rl.accountNumber) : undefined);
  if (!accId && !accCode) {
    add('MANDATORY', `Mandatory: G/L account (line ${line})`, f('accountId'), line);
    ok = false;
  } else {
    account = accId ? div.accounts.getById(accId) ?? div.accounts.getByCode(accId) : div.accounts.getByCode(accCode as string);
    const field = accId ? f('accountId') : rl.accountCode !== undefined ? f('accountCode') : f('accountNumber');
    if (!account) {
      add('INVALID_REFERENCE', `Invalid reference: G/L account '${accId ?? accCode}' (line ${line})`, field, line);
      ok = false;
    } else if (account.isBlocked) {
      add('BLOCKED', `Blocked: Ledger account: ${account.code} - ${account.description} (line ${line})`, field, line);
      ok = false;
    }
  }
  // direction
  const dciRaw = str(rl.debitCreditIndicator) ?? headerDci;
  let dci: 'DEBIT' | 'CREDIT' = 'DEBIT';
  if (!dciRaw) {
    add('MANDATORY', `Mandatory: Debit/credit (line ${line})`, f('debitCreditIndicator'), line);
    ok = false;
    amountsOk = false;
  } else if (dciRaw !== 'DEBIT' && dciRaw !== 'CREDIT') {
    add('INVALID', `Invalid: Debit/credit '${dciRaw}' (line ${line})`, f('debitCreditIndicator'), line);
    ok = false;
    amountsOk = false;
  } else dci = dciRaw;
  // amounts
  const amt = (name: 'totalNetAmount' | 'totalTaxAmount' | 'totalGrossAmount'): number | null | undefined => {
    const v = rl[name];
    if (v === undefined || v === null) return null;
    const r = parseAmount(v);
    if ('error' in r) {
      add(
        r.error === 'decimals' ? 'TOO_MANY_DECIMALS' : 'INVALID',
        r.error === 'decimals' ? `Invalid: Amount ${String(v)} has more than 2 decimals (line ${line})` : `Invalid: Amount '${String(v)}' (line ${line})`,
        f(name),
        line,
      );
      return undefined;
    }
    return r.cents;
  };
  const netIn = amt('totalNetAmount');
  const taxIn = amt('totalTaxAmount');
  const grossIn = amt('totalGrossAmount');
  let net = 0;
  let tax = 0;
  let gross = 0;
  if (netIn === undefined || taxIn === undefined || grossIn === undefined) {
    ok = false;
    amountsOk = false;
  } else if (netIn === null && grossIn === null) {
    add('MANDATORY', `Mandatory: Amount (line ${line})`, f('totalGrossAmount'), line);
    ok = false;
    amountsOk = false;
  } else {
    tax = taxIn ?? 0;
    net = netIn ?? (grossIn as number) - tax;
    gross = grossIn ?? net + tax;
    if (net + tax !== gross) {
      add('AMOUNT_MISMATCH', `Invalid: net ${fmtAmount(net)} + VAT ${fmtAmount(tax)} does not equal gross ${fmtAmount(gross)} (line ${line})`, f('totalGrossAmount'), line);
      ok = false;
      amountsOk = false;
    }
  }
  // VAT code
  let vat: VatCode | null = null;
  const tr = rl.taxRate;
  const vatRef = isObj(tr) ? str(tr.code) ?? str(tr.id) : undefined;
  if (vatRef) {
    const v = div.taxRates.getByCode(vatRef) ?? div.taxRates.getById(vatRef);
    if (!v) {
      add('INVALID_REFERENCE', `Invalid reference: VAT code '${vatRef}' (line ${line})`, f('taxRate'), line);
      ok = false;
    } else if (v.isBlocked) {
      add('BLOCKED', `Blocked: VAT code: ${v.code} - ${v.description} (line ${line})`, f('taxRate'), line);
      ok = false;
    } else if (journal && !journal.allowVat) {
      add('NOT_ALLOWED', `Not allowed: VAT code (journal ${journal.code} - ${journal.description} does not allow VAT) (line ${line})`, f('taxRate'), line);
      ok = false;
    } else if (journal && v.transactionType !== 'B' && (journal.type === 20 ? v.transactionType !== 'S' : v.transactionType !== 'P')) {
      const kind = v.transactionType === 'S' ? 'sales' : 'purchase';
      add(
        'NOT_ALLOWED',
        `Not allowed: VAT code ${v.code} - ${v.description} is a ${kind} VAT code and cannot be used in ${JOURNAL_TYPE_NAMES[journal.type]?.toLowerCase() ?? 'this'} journal ${journal.code} (line ${line})`,
        f('taxRate'),
        line,
      );
      ok = false;
    } else {
      vat = v;
      const pct = isObj(tr) ? str(tr.taxRatePercentage) : undefined;
      const bp = bpOn(v, date);
      if (pct !== undefined && Number(pct) !== percentFromBp(bp)) {
        add('INVALID', `Invalid: VAT percentage ${pct} does not match VAT code ${v.code} (${percentFromBp(bp)}%${date ? ` on ${date}` : ''}) (line ${line})`, f('taxRate.taxRatePercentage'), line);
        ok = false;
      }
      if (amountsOk && tax !== 0 && (v.type === 'N' || v.type === 'B')) {
        add('NOT_ALLOWED', `A VAT amount is not allowed if you use a VAT code of type 'No VAT' or 'VAT 0%' (VAT code ${v.code}, line ${line})`, f('totalTaxAmount'), line);
        ok = false;
      }
    }
  } else if (amountsOk && tax !== 0) {
    add('MANDATORY', `Missing: VAT code (line ${line} has a VAT amount)`, f('taxRate'), line);
    ok = false;
  }
  // dimensions
  let costCenter: DimensionValue | null = null;
  let costUnit: DimensionValue | null = null;
  const dims = rl.dimensions;
  if (dims !== undefined && dims !== null) {
    if (!Array.isArray(dims)) {
      add('INVALID', `Invalid: dimensions must be an array (line ${line})`, f('dimensions'), line);
      ok = false;
    } else {
      dims.forEach((d: unknown, k: number) => {
        const df = f(`dimensions[${k}]`);
        if (!isObj(d)) {
          add('INVALID', `Invalid: dimension ${k + 1} (line ${line})`, df, line);
          ok = false;
          return;
        }
        const cat = (str(d.categoryName) ?? '').toLowerCase().replace(/[\s-]/g, '');
        const isCc = CC_ALIASES.has(cat);
        const isCu = CU_ALIASES.has(cat);
        if (!isCc && !isCu) {
          add('INVALID', `Invalid: dimension category '${str(d.categoryName) ?? ''}' (line ${line}); expected CostCenter or CostUnit`, `${df}.categoryName`, line);
          ok = false;
          return;
        }
        const label = isCc ? 'Cost center' : 'Cost unit';
        const coll = isCc ? div.costCenters : div.costUnits;
        const ref = str(d.id) ?? str(d.code);
        if (!ref) {
          add('MANDATORY', `Mandatory: ${label} code or id (line ${line})`, df, line);
          ok = false;
          return;
        }
        const v = coll.getById(ref) ?? coll.getByCode(ref);
        if (!v) {
          add('INVALID_REFERENCE', `Invalid reference: ${label} '${ref}' (line ${line})`, df, line);
          ok = false;
        } else if (!isDimensionActive(v, now)) {
          add('BLOCKED', `Blocked: ${label}: ${v.code} - ${v.description} is inactive (line ${line})`, df, line);
          ok = false;
        } else if (isCc) costCenter = v;
        else costUnit = v;
      });
    }
  }
  if (account) {
    if (account.useCostcenter === 1 && !costCenter && ok) {
      add('MANDATORY', `Mandatory: Cost center for ledger account ${account.code} (line ${line})`, f('dimensions'), line);
      ok = false;
    }
    if (account.useCostunit === 1 && !costUnit && ok) {
      add('MANDATORY', `Mandatory: Cost unit for ledger account ${account.code} (line ${line})`, f('dimensions'), line);
      ok = false;
    }
    if (account.useCostcenter === 2 && costCenter) {
      add('NOT_ALLOWED', `Not allowed: Cost center on ledger account ${account.code} (line ${line})`, f('dimensions'), line);
      ok = false;
    }
    if (account.useCostunit === 2 && costUnit) {
      add('NOT_ALLOWED', `Not allowed: Cost unit on ledger account ${account.code} (line ${line})`, f('dimensions'), line);
      ok = false;
    }
  }
  // relations
  let supplierId: string | null = null;
  const supRef = str(rl.supplierId);
  if (supRef) {
    const s = div.suppliers.getById(supRef) ?? div.suppliers.getByCode(supRef);
    if (!s) {
      add('INVALID_REFERENCE', `Invalid reference: Account (supplier) '${supRef}' (line ${line})`, f('supplierId'), line);
      ok = false;
    } else if (s.blocked) {
      add('BLOCKED', `Blocked: Account: ${s.code} - ${s.name} (line ${line})`, f('supplierId'), line);
      ok = false;
    } else supplierId = s.id;
  }
  const custRef = str(rl.customerId);
  if (custRef) {
    add('INVALID_REFERENCE', `Invalid reference: Account (customer) '${custRef}' (line ${line})`, f('customerId'), line);
    ok = false;
  }
  const lineCurrency = str(rl.currency);
  if (lineCurrency && lineCurrency !== currency) {
    add('NOT_ALLOWED', `Not allowed: Currency ${lineCurrency} on line ${line} differs from entry currency ${currency}`, f('currency'), line);
    ok = false;
  }
  return { checked: ok && account ? { account, dci, net, tax, gross, vat, costCenter, costUnit, supplierId, raw: rl } : null, amountsOk };
}
