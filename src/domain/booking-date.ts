/**
 * The date an entry is booked on: zone-less (`YYYY-MM-DD`, what Exact takes), computed in the
 * tenant's time zone, so a report approved at 00:30 on 1 February in Amsterdam (23:30 UTC on 31
 * January) books on 1 February.
 */
import type { ReportCore } from './schemas';
import { DEFAULT_TENANT_SETTINGS, type TenantSettings } from './settings';

/** Formatters per time zone (creating one is costly; the result depends only on the zone). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of the instant `isoDateTime` in `timeZone`, as `YYYY-MM-DD`. */
export function localDate(isoDateTime: string, timeZone: string): string {
  const t = Date.parse(isoDateTime);
  if (Number.isNaN(t)) throw new RangeError(`not a date-time: ${isoDateTime}`);
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year').padStart(4, '0')}-${get('month')}-${get('day')}`;
}

/** The entry's booking date per the tenant's settings: the approval date or the latest expense date. */
export function bookingDate(report: Pick<ReportCore, 'approvedAt' | 'expenses'>, settings: TenantSettings = DEFAULT_TENANT_SETTINGS): string {
  if (settings.bookingDate === 'last_expense' && report.expenses.length > 0) {
    return report.expenses.map((e) => e.date).reduce((a, b) => (b > a ? b : a));
  }
  return localDate(report.approvedAt, settings.timeZone);
}
