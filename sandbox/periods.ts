/**
 * Exact's financial periods in the sandbox: twelve monthly periods per financial year, the year
 * starting on day 1 of the division's `fiscalYearStartMonth` (1 = calendar year; the seed has one
 * division starting on 1 July). A financial year is named after the calendar year it starts in.
 * `accountingPeriodId` is `YYYY-PP`: the financial year and the period number (for a calendar year
 * that is `YYYY-MM`). The financial year containing today, the one before and the next one exist
 * and are open unless the control API closes a period; other years are missing. (Last year stays:
 * in January an administration still books December's costs, until its year is closed.)
 */
import type { DivisionState } from './state';

export type PeriodState = 'open' | 'closed' | 'missing';

export interface FinPeriod {
  year: number;
  period: number;
  /** YYYY-PP */
  id: string;
  startDate: string;
  endDate: string;
}

const iso = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10);
const startMonth = (div: DivisionState) => div.info.fiscalYearStartMonth ?? 1;

export function periodId(year: number, period: number): string {
  return `${year}-${String(period).padStart(2, '0')}`;
}

export function periodBounds(div: DivisionState, year: number, period: number): FinPeriod {
  const m0 = startMonth(div) - 1 + (period - 1);
  const cy = year + Math.floor(m0 / 12);
  const cm = (m0 % 12) + 1;
  return { year, period, id: periodId(year, period), startDate: iso(cy, cm, 1), endDate: iso(cy, cm + 1, 0) };
}

/** The financial period containing a date (`YYYY-MM-DD…`), or null when the text is no date. */
export function periodOfDate(div: DivisionState, s: string): FinPeriod | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
  if (!m || Number.isNaN(Date.parse(s))) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const start = startMonth(div);
  const year = mo >= start ? y : y - 1;
  return periodBounds(div, year, ((mo - start + 12) % 12) + 1);
}

/** The financial years that exist: the one containing `now`, the one before and the next. */
export function existingYears(div: DivisionState, now: Date): number[] {
  const y = (periodOfDate(div, now.toISOString()) as FinPeriod).year;
  return [y - 1, y, y + 1];
}

/** A period's state: a control-API override, else open in the existing years, else missing. */
export function periodState(div: DivisionState, period: string, now: Date): PeriodState {
  const o = div.ledger.periods[period];
  if (o) return o;
  return existingYears(div, now).includes(Number(period.slice(0, 4))) ? 'open' : 'missing';
}

/** Every period of the existing years, in order. */
export function listPeriods(div: DivisionState, now: Date): FinPeriod[] {
  return existingYears(div, now).flatMap((y) => Array.from({ length: 12 }, (_, i) => periodBounds(div, y, i + 1)));
}
