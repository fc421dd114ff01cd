/**
 * Exact Online's rules for booking a journal entry, applied to Maesn's CreateJournalEntryRequestDto.
 * Every violation becomes a ValidationIssue with an Exact-style message ("Mandatory: …",
 * "Invalid reference: …", "Blocked: …", "Not allowed: …") naming the 1-based line; all issues are
 * collected and returned together (Exact joins multiple messages too).
 *
 * VAT rule: a journal without AllowVAT (bank, cash, "Memoriaal zonder BTW") accepts no VAT code.
 * Sales journals accept sales (S) and both (B) codes; purchase and general journals accept
 * purchase (P) and both (B) codes (expense claims are purchases). In Maesn terms: usage INVOICE
 * only on sales journals, BILL only on purchase/general journals, ALL everywhere VAT is allowed.
 */
import { randomGuid } from './ids';
import { SandboxHttpError, type ValidationIssue } from './http-errors';
import { isDimensionActive, JOURNAL_TYPE_NAMES, percentFromBp } from './mapping';
import type { DivisionState } from './state';
import type { DimensionValue, GlAccount, Journal, StoredFile, StoredJournalEntry, StoredLine, VatCode } from './types';

export type PeriodState = 'open' | 'closed' | 'missing';

/** Periods exist and are open for the current and next calendar year unless overridden. */
export function periodState(div: DivisionState, period: string, now: Date): PeriodState {
  const o = div.ledger.periods[period];
  if (o) return o;
  const y = Number(period.slice(0, 4));
  const ny = now.getUTCFullYear();
  return y === ny || y === ny + 1 ? 'open' : 'missing';
}

export const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Parses an amount (JSON number or decimal string) into cents; rejects more than 2 decimals. */
export function parseAmount(v: unknown): { cents: number } | { error: 'decimals' | 'invalid' } {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { error: 'invalid' };
    s = String(v);
  } else if (typeof v === 'string') {
    s = v.trim();
  } else return { error: 'invalid' };
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return /e-/i.test(s) ? { error: 'decimals' } : { error: 'invalid' };
  const frac = m[3] ?? '';
  if (frac.length > 2 && !/^0+$/.test(frac.slice(2))) return { error: 'decimals' };
  const cents = Number(m[2]) * 100 + Number((frac + '00').slice(0, 2));
  if (!Number.isSafeInteger(cents)) return { error: 'invalid' };
  return { cents: m[1] ? -cents : cents };
}

function fmtEur(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)},${String(a % 100).padStart(2, '0')}`;
}

function fmtAmount(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function datePeriod(s: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m || Number.isNaN(Date.parse(s))) return null;
  return `${m[1]}-${m[2]}`;
}

const CC_ALIASES = new Set(['costcenter', 'cost_center', 'kostenplaats', 'costcentre']);
const CU_ALIASES = new Set(['costunit', 'cost_unit', 'kostendrager']);

export interface IncomingFile {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

export interface CreateInput {
  journalEntry: unknown;
  files: IncomingFile[];
  filesPos: string[];
}

/** Parses the `filesPos` parts: repeated fields, a JSON array or a comma-separated list. */
export function flattenFilesPos(raw: unknown): string[] {
  const vals = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const v of vals) {
    const s = String(v).trim();
    if (s === '') continue;
    if (s.startsWith('[')) {
      try {
        const arr = JSON.parse(s) as unknown;
        if (Array.isArray(arr)) {
          for (const x of arr) out.push(String(x));
          continue;
        }
      } catch {
        /* fall through: reported as invalid position below */
      }
    }
    for (const p of s.split(',')) out.push(p.trim());
  }
  return out;
}

interface CheckedLine {
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

/**
 * Validates and books a journal entry in `div`. Throws SandboxHttpError(400) listing every
 * violation; on success the entry is stored, balances and the entry-number sequence are updated.
 */
export function createJournalEntry(div: DivisionState, input: CreateInput, nowIso: string, now: Date): StoredJournalEntry {
  const issues: ValidationIssue[] = [];
  const add = (code: string, message: string, field?: string, line?: number): void => {
    const i: ValidationIssue = { code, message };
    if (field !== undefined) i.field = field;
    if (line !== undefined) i.line = line;
    issues.push(i);
  };
  const je = input.journalEntry;
  if (!isObj(je)) {
    throw new SandboxHttpError(400, 'VALIDATION_FAILED', 'journal_entry must be a JSON object', [{ code: 'INVALID', message: 'Invalid: journal_entry is not a JSON object', field: 'journal_entry' }]);
  }

  // --- header ---------------------------------------------------------------------------------
  const periodId = str(je.accountingPeriodId);
  const description = str(je.description);
  const journalCode = str(je.journalCode);
  const transactionDate = str(je.transactionDate);
  if (!periodId) add('MANDATORY', 'Mandatory: Period (accountingPeriodId)', 'accountingPeriodId');
  if (!description) add('MANDATORY', 'Mandatory: Description (description)', 'description');
  if (!journalCode) add('MANDATORY', 'Mandatory: Journal (journalCode)', 'journalCode');
  if (!transactionDate) add('MANDATORY', 'Mandatory: Date (transactionDate)', 'transactionDate');

  const checkPeriod = (p: string, field: string): void => {
    const st = periodState(div, p, now);
    const [y, m] = p.split('-');
    if (st === 'missing') add('PERIOD_UNKNOWN', `Unknown: Fiscal year (Period - date table): ${y} - ${m}`, field);
    else if (st === 'closed') add('PERIOD_CLOSED', `Period is closed: ${y} - ${m}`, field);
  };
  let validPeriod: string | null = null;
  if (periodId) {
    if (!PERIOD_RE.test(periodId)) add('INVALID', `Invalid: Period '${periodId}' (expected YYYY-MM)`, 'accountingPeriodId');
    else {
      validPeriod = periodId;
      checkPeriod(periodId, 'accountingPeriodId');
    }
  }
  if (transactionDate) {
    const p = datePeriod(transactionDate);
    if (!p) add('INVALID', `Invalid: Date '${transactionDate}' (expected ISO 8601)`, 'transactionDate');
    else if (p !== validPeriod) checkPeriod(p, 'transactionDate');
  }

  let journal: Journal | undefined;
  if (journalCode) {
    journal = div.journals.getByCode(journalCode);
    if (!journal) add('INVALID_REFERENCE', `Invalid reference: Journal '${journalCode}'`, 'journalCode');
    else if (journal.isBlocked) add('BLOCKED', `Blocked: Journal: ${journal.code} - ${journal.description}`, 'journalCode');
  }
  const currency = str(je.currency) ?? journal?.currency ?? 'EUR';
  if (journal && !journal.allowVariableCurrency && currency !== journal.currency) {
    add('NOT_ALLOWED', `Not allowed: Currency ${currency} in journal ${journal.code} (journal currency ${journal.currency})`, 'currency');
  }
  const headerDci = str(je.debitCreditIndicator);

  // --- lines ----------------------------------------------------------------------------------
  const rawLines = je.journalLineItems;
  const checked: (CheckedLine | null)[] = [];
  let amountsOk = true;
  if (!Array.isArray(rawLines) || rawLines.length === 0) {
    add('MANDATORY', 'Mandatory: Lines (journalLineItems)', 'journalLineItems');
  } else {
    rawLines.forEach((rl: unknown, i: number) => {
      const line = i + 1;
      const f = (name: string): string => `journalLineItems[${i}].${name}`;
      if (!isObj(rl)) {
        add('INVALID', `Invalid: line ${line} is not an object`, `journalLineItems[${i}]`, line);
        checked.push(null);
        amountsOk = false;
        return;
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
          if (pct !== undefined && Number(pct) !== percentFromBp(v.percentageBp)) {
            add('INVALID', `Invalid: VAT percentage ${pct} does not match VAT code ${v.code} (${percentFromBp(v.percentageBp)}%) (line ${line})`, f('taxRate.taxRatePercentage'), line);
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
      checked.push(ok && account ? { account, dci, net, tax, gross, vat, costCenter, costUnit, supplierId, raw: rl } : null);
    });

    if (amountsOk) {
      let sum = 0;
      rawLines.forEach((rl: unknown, i: number) => {
        if (!isObj(rl)) return;
        const c = checked[i];
        const dci = (str(rl.debitCreditIndicator) ?? headerDci) === 'CREDIT' ? -1 : 1;
        if (c) sum += dci * c.gross;
        else {
          const g = parseAmount(rl.totalGrossAmount ?? null);
          const n = parseAmount(rl.totalNetAmount ?? null);
          const t = parseAmount(rl.totalTaxAmount ?? 0);
          const gross = 'cents' in g ? g.cents : ('cents' in n ? n.cents : 0) + ('cents' in t ? t.cents : 0);
          sum += dci * gross;
        }
      });
      if (sum !== 0) {
        const [y, m] = (validPeriod ?? '????-??').split('-');
        add('UNBALANCED', `Entry is out of balance on: ${y} / ${m} - difference: ${currency} ${fmtEur(sum)} (debits must equal credits)`, 'journalLineItems');
      }
    }
  }

  // --- files ----------------------------------------------------------------------------------
  const lineCount = Array.isArray(rawLines) ? rawLines.length : 0;
  const positions: number[] = [];
  if (input.files.length > 0 && input.filesPos.length === 0) {
    add('MANDATORY', `Mandatory: filesPos (one journal line position per uploaded file; ${input.files.length} file(s) sent)`, 'filesPos');
  } else if (input.filesPos.length !== input.files.length) {
    add('INVALID', `Invalid: filesPos has ${input.filesPos.length} position(s) for ${input.files.length} file(s)`, 'filesPos');
  }
  input.filesPos.forEach((p, k) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > lineCount) {
      add('FILE_POSITION', `Invalid: filesPos[${k}] = ${p} points at no journal line (entry has ${lineCount} line(s); positions are 1-based)`, `filesPos[${k}]`, Number.isInteger(n) ? n : undefined);
    }
    positions.push(n);
  });

  if (issues.length > 0) {
    const exactText = issues.map((i) => i.message).join('\r\n');
    throw new SandboxHttpError(400, 'VALIDATION_FAILED', issues.length === 1 ? issues[0].message : `${issues.length} validation errors: ${issues[0].message}`, issues, {
      error: { code: '', message: { lang: '', value: exactText } },
    });
  }

  // --- book -----------------------------------------------------------------------------------
  const lines = checked as CheckedLine[];
  const jr = journal as Journal;
  const year = (validPeriod as string).slice(0, 4);
  const seqKey = `${jr.code}:${year}`;
  const seq = (div.ledger.sequences[seqKey] ?? 0) + 1;
  div.ledger.sequences[seqKey] = seq;
  const entryNumber = `${year.slice(2)}${jr.code.padStart(2, '0')}${String(seq).padStart(4, '0')}`;

  const storedLines: StoredLine[] = lines.map((c, i) => ({
    id: randomGuid(),
    lineNumber: i + 1,
    accountId: c.account.id,
    accountCode: c.account.code,
    debitCreditIndicator: c.dci,
    description: str(c.raw.description) ?? null,
    currency,
    netCents: c.net,
    taxCents: c.tax,
    grossCents: c.gross,
    vatCode: c.vat?.code ?? null,
    supplierId: c.supplierId,
    customerId: null,
    costCenterCode: c.costCenter?.code ?? null,
    costUnitCode: c.costUnit?.code ?? null,
    documentNumber: str(c.raw.documentNumber) ?? null,
    thirdPartyCode: str(c.raw.thirdPartyCode) ?? null,
  }));
  const bal = div.ledger.balances;
  const post = (accountId: string | null, cents: number): void => {
    if (!accountId || cents === 0) return;
    bal[accountId] = (bal[accountId] ?? 0) + cents;
  };
  for (const c of lines) {
    const sign = c.dci === 'DEBIT' ? 1 : -1;
    if (c.vat && c.tax !== 0) {
      post(c.account.id, sign * c.net);
      post(c.vat.transactionType === 'S' || jr.type === 20 ? c.vat.glToPay : c.vat.glToClaim, sign * c.tax);
    } else post(c.account.id, sign * c.gross);
  }
  div.persistLedger();

  const files: StoredFile[] = input.files.map((f, k) => ({ id: randomGuid(), ...f, linePosition: positions[k], createdDate: nowIso }));
  const entry: StoredJournalEntry = {
    id: randomGuid(),
    entryNumber,
    journalCode: jr.code,
    journalType: str(je.journalType) ?? null,
    accountingPeriodId: validPeriod as string,
    transactionDate: transactionDate as string,
    description: description as string,
    currency,
    documentId: files.length > 0 ? randomGuid() : null,
    dueDate: str(je.dueDate) ?? null,
    deliveryDate: str(je.deliveryDate) ?? null,
    isProvisional: je.isProvisional === true,
    lines: storedLines,
    files,
    request: je,
    createdDate: nowIso,
    updatedDate: nowIso,
  };
  div.addEntry(entry);
  return entry;
}
