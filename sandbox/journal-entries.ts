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
import { fmtEur, isObj, parseAmount, PERIOD_RE, str, type IncomingFile } from './entry-input';
import { periodOfDate, periodState } from './periods';
import { SandboxHttpError, type ValidationIssue } from './http-errors';
import { randomGuid } from './ids';
import { checkLine, type CheckedLine, type LineContext } from './journal-lines';
import type { DivisionState } from './state';
import type { Journal, StoredFile, StoredJournalEntry, StoredLine } from './types';

export interface CreateInput {
  journalEntry: unknown;
  files: IncomingFile[];
  filesPos: string[];
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
    if (!PERIOD_RE.test(periodId)) add('INVALID', `Invalid: Period '${periodId}' (expected YYYY-PP, the financial year and period; YYYY-MM for a calendar year)`, 'accountingPeriodId');
    else {
      validPeriod = periodId;
      checkPeriod(periodId, 'accountingPeriodId');
    }
  }
  if (transactionDate) {
    const p = periodOfDate(div, transactionDate);
    if (!p) add('INVALID', `Invalid: Date '${transactionDate}' (expected ISO 8601)`, 'transactionDate');
    else if (p.id !== validPeriod) {
      checkPeriod(p.id, 'transactionDate');
      // Exact's date check (Verplicht): the date must lie in the chosen period.
      if (validPeriod) add('INVALID', `Invalid: Date ${transactionDate.slice(0, 10)} is not in period ${validPeriod.replace('-', ' / ')} (it falls in ${p.id.replace('-', ' / ')})`, 'transactionDate');
    }
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
    const lc: LineContext = { div, now, journal, headerDci, currency, date: transactionDate && /^\d{4}-\d{2}-\d{2}/.test(transactionDate) ? transactionDate.slice(0, 10) : null, add };
    rawLines.forEach((rl: unknown, i: number) => {
      const r = checkLine(rl, i, lc, amountsOk);
      checked.push(r.checked);
      amountsOk = r.amountsOk;
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
    if (c.vat?.charged && c.tax === 0 && c.vat.transactionType !== 'S') {
      // Reverse charge: Exact creates the VAT to pay and the VAT to claim (they cancel out).
      const vatCents = Math.round((c.net * c.vat.percentageBp) / 10000);
      post(c.vat.glToClaim, sign * vatCents);
      post(c.vat.glToPay, -sign * vatCents);
    }
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
