/**
 * The rules of posting an export at most once, as pure functions (safe in workflows):
 * - which entry found in Exact is the one an earlier POST created (`judgeLookup`);
 * - what a change of the tenant's division means for an export (`divisionDecision`);
 * - when a built entry may still be replaced (`mayRebuildEntry`).
 */
import { hasExportReference } from './export-reference';
import type { JournalEntry } from './journal-entry';
import { normalizeCode } from './master-data';
import { addDecimal, compareDecimal, formatCents, isDecimalString, sumCents, type Cents, type Decimal } from './money';

/** One export revision of a report. */
export interface ExportRef {
  tenantId: string;
  reportId: string;
  /** 1 for the first export of the report; a correction after `cancel` is the next one. */
  revision: number;
}

// ---------------------------------------------------------------------------
// Lookup: is this the entry an earlier POST created?
// ---------------------------------------------------------------------------

/** What a lookup compares: the entry as frozen at the first POST. */
export interface EntryFingerprint {
  reference: string;
  journalCode: string;
  lineCount: number;
  debitCents: Cents;
}

export function entryFingerprint(entry: JournalEntry): EntryFingerprint {
  return {
    reference: entry.reference,
    journalCode: normalizeCode(entry.journalCode),
    lineCount: entry.lines.length,
    debitCents: sumCents(entry.lines.filter((l) => l.side === 'DEBIT').map((l) => l.grossCents)),
  };
}

/** A journal entry as Maesn returns it (the fields a lookup reads); amounts are decimal strings. */
export interface FoundEntry {
  id: string | null;
  number: string | null;
  journalCode: string | null;
  lines: { description: string | null; side: string | null; grossAmount: string | null }[];
}

export interface CandidateComparison {
  /** `none`: no line carries the reference; `match`: ours; `mismatch`: carries it but differs. */
  kind: 'none' | 'match' | 'mismatch';
  differences: string[];
}

/**
 * Compares an entry found in Exact with the frozen one. Only the lines that carry the reference
 * count (Exact may add lines of its own, such as generated VAT lines): their number and debit
 * total must equal ours, and the journal code (trimmed) too.
 */
export function compareCandidate(fp: EntryFingerprint, found: FoundEntry): CandidateComparison {
  const ours = found.lines.filter((l) => hasExportReference(l.description, fp.reference));
  if (ours.length === 0) return { kind: 'none', differences: [] };
  const differences: string[] = [];
  const journal = normalizeCode(found.journalCode ?? '');
  if (journal !== fp.journalCode) differences.push(`journal ${journal || '(none)'} instead of ${fp.journalCode}`);
  if (ours.length !== fp.lineCount) differences.push(`${ours.length} line(s) instead of ${fp.lineCount}`);
  let debit: Decimal = { units: 0n, scale: 0 };
  let readable = true;
  for (const l of ours) {
    if (l.side !== 'DEBIT') continue;
    if (l.grossAmount === null || !isDecimalString(l.grossAmount)) readable = false;
    else debit = addDecimal(debit, l.grossAmount);
  }
  if (!readable) differences.push('a debit line without a readable amount');
  else if (compareDecimal(debit, formatCents(fp.debitCents)) !== 0) differences.push(`debit total differs from ${formatCents(fp.debitCents)}`);
  return { kind: differences.length ? 'mismatch' : 'match', differences };
}

export type LookupVerdict =
  | { kind: 'found'; id: string; number: string }
  | { kind: 'not_found' }
  /** Entries carry the reference but are not exactly one match: a person must look. */
  | { kind: 'conflict'; reason: string; ids: string[] };

/** Decides what a lookup's candidates (every entry modified in the window) say. */
export function judgeLookup(fp: EntryFingerprint, candidates: readonly FoundEntry[]): LookupVerdict {
  const matches: FoundEntry[] = [];
  const mismatches: { e: FoundEntry; differences: string[] }[] = [];
  for (const c of candidates) {
    const r = compareCandidate(fp, c);
    if (r.kind === 'match') matches.push(c);
    else if (r.kind === 'mismatch') mismatches.push({ e: c, differences: r.differences });
  }
  const ids = [...matches, ...mismatches.map((m) => m.e)].map((e) => e.id ?? '(no id)');
  if (mismatches.length > 0) {
    const m = mismatches[0];
    return { kind: 'conflict', reason: `an entry in Exact carries ${fp.reference} but differs from this export: ${m.differences.join('; ')}`, ids };
  }
  if (matches.length > 1) return { kind: 'conflict', reason: `${matches.length} entries in Exact carry ${fp.reference}`, ids };
  if (matches.length === 1) {
    const [m] = matches;
    if (!m.id) return { kind: 'conflict', reason: `an entry carrying ${fp.reference} has no id`, ids };
    return { kind: 'found', id: m.id, number: m.number ?? '' };
  }
  return { kind: 'not_found' };
}

// ---------------------------------------------------------------------------
// Division
// ---------------------------------------------------------------------------

export type DivisionDecision =
  /** Post (or look up) in `division`; `pin` when the export had none yet. */
  | { kind: 'proceed'; division: string; pin: boolean }
  /** Another division while nothing can have been posted: refuse, the export is rejected. */
  | { kind: 'changed'; message: string }
  /** Another division while an earlier POST may have created the entry: a person must decide. */
  | { kind: 'changed_while_open'; message: string };

/**
 * What the tenant's current division means for an export. The one place this rule lives: the
 * connect flow may add an admin confirmation before a division change reaches exports.
 */
export function divisionDecision(pinned: string | null, current: string, outcomeOpen: boolean): DivisionDecision {
  if (pinned === null) return { kind: 'proceed', division: current, pin: true };
  if (pinned === current) return { kind: 'proceed', division: current, pin: false };
  const message = `the tenant is now connected to division ${current}, but this export was posted to division ${pinned}`;
  if (outcomeOpen) return { kind: 'changed_while_open', message: `${message}, and whether that POST created the entry is not known yet` };
  return { kind: 'changed', message: `the tenant is now connected to division ${current}, but this export belongs to division ${pinned}` };
}

// ---------------------------------------------------------------------------
// Frozen content
// ---------------------------------------------------------------------------

/**
 * The built entry is frozen at the first POST. It may be replaced only when the last answer was a
 * definite rejection (`rejected`) and no POST's outcome is open: then nothing was created.
 */
export function mayRebuildEntry(state: { frozen: boolean; status: string; outcomeOpen: boolean }): boolean {
  return !state.frozen || (state.status === 'rejected' && !state.outcomeOpen);
}
