/**
 * Reading Maesn's CreateJournalEntryRequestDto the way Exact does: amounts as JSON numbers or
 * decimal strings in cents (at most two decimals), periods `YYYY-PP` (financial year and period, see
 * periods.ts), dates, `filesPos`, and the uploaded files as the rules see them.
 */

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

export function fmtEur(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)},${String(a % 100).padStart(2, '0')}`;
}

export function fmtAmount(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const a = Math.abs(cents);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface IncomingFile {
  name: string;
  contentType: string;
  size: number;
  sha256: string;
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
