/**
 * Financial periods: the booking date's period comes from Exact's own period table (a financial
 * year need not be a calendar year), and whether it is closed from Exact's status per journal.
 *
 * ASSUMPTION (Maesn does not document it): `accountingPeriodId` is the financial year and the
 * period number within that year, `YYYY-PP` (Exact's FinYear and FinPeriod). For a calendar
 * financial year this equals `YYYY-MM`; for a year starting on 1 July, 1 July is period 01.
 * `accountingPeriodId()` below is the only place that encodes it.
 */
import type { TenantSettings } from './settings';

type ClosedPeriodPolicies = TenantSettings['closedPeriod'];

/** One of Exact's financial periods, with the journals it is closed for (JournalStatusList). */
export interface FinancialPeriod {
  /** accountingPeriodId(year, period) */
  id: string;
  /** the same as `id`: what the master-data store indexes by */
  code: string;
  name: string;
  active: boolean;
  /** Exact's FinYear */
  year: number;
  /** Exact's FinPeriod, 1-based within the year */
  period: number;
  /** first day, YYYY-MM-DD */
  startDate: string;
  /** last day, YYYY-MM-DD */
  endDate: string;
  /** journal codes (trimmed) for which the period is closed */
  closedJournals: readonly string[];
}

/** How Maesn's `accountingPeriodId` encodes a period: the financial year and the period number, `YYYY-PP`. */
export function accountingPeriodId(year: number, period: number): string {
  return `${String(year).padStart(4, '0')}-${String(period).padStart(2, '0')}`;
}

/** A period's label for people: `2026-07 (2026-01-01 – 2026-01-31)`. */
export function describePeriod(p: Pick<FinancialPeriod, 'id' | 'startDate' | 'endDate'>): string {
  return `${p.id} (${p.startDate} – ${p.endDate})`;
}

/** The period whose StartDate ≤ date ≤ EndDate, or null. */
export function periodOf(date: string, periods: readonly FinancialPeriod[]): FinancialPeriod | null {
  return periods.find((p) => p.startDate <= date && date <= p.endDate) ?? null;
}

export function isClosedFor(p: FinancialPeriod, journalCode: string): boolean {
  return p.closedJournals.includes(journalCode.trim());
}

export type PeriodResolution =
  | { ok: true; period: FinancialPeriod; date: string; movedFrom: string | null }
  | { ok: false; reason: 'periods_not_synced' | 'period_closed' | 'period_missing'; message: string };

/**
 * Where an entry dated `date` in `journalCode` is booked. An open period containing the date: there.
 * Closed or missing: `reject` says so; `next_open` books on the start date of the first open period
 * after the date (the caller keeps the original date in the line text).
 */
export function resolvePeriod(date: string, journalCode: string, periods: readonly FinancialPeriod[], policy: ClosedPeriodPolicies): PeriodResolution {
  if (periods.length === 0) {
    return { ok: false, reason: 'periods_not_synced', message: "no financial periods are known for this administration: sync master data (Exact's FinancialPeriods)" };
  }
  const p = periodOf(date, periods);
  if (p && !isClosedFor(p, journalCode)) return { ok: true, period: p, date, movedFrom: null };
  const why = p ? `financial period ${describePeriod(p)} is closed for journal ${journalCode.trim()}` : `no financial period in Exact contains ${date}`;
  if (policy === 'reject') return { ok: false, reason: p ? 'period_closed' : 'period_missing', message: why };
  const next = [...periods]
    .filter((q) => q.startDate > date && !isClosedFor(q, journalCode))
    .sort((a, b) => (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0))[0];
  if (!next) return { ok: false, reason: p ? 'period_closed' : 'period_missing', message: `${why}, and no open period follows it` };
  return { ok: true, period: next, date: next.startDate, movedFrom: date };
}
