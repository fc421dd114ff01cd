// Dutch and English: the language (the one the user chose, else the browser's, else Dutch), its
// messages, and dates, amounts and durations in its locale through Intl (`30-11-2026 00:06`,
// `€ 1.234,56`). Pure apart from reading its arguments: also imported by the unit tests.
import { en } from './messages-en.mjs';
import { nl } from './messages-nl.mjs';

export const MESSAGES = { en, nl };
export const LANGUAGES = ['nl', 'en'];
const DEFAULT_LOCALE = { nl: 'nl-NL', en: 'en-GB' };

/** The language to use: a stored choice, else the first supported browser language, else Dutch. */
export function pickLanguage(stored, browserLanguages = []) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const l of browserLanguages) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'nl';
}

/** The formatting locale of `lang`: the browser's own variant of it (en-US, nl-BE) when it has one. */
export function localeFor(lang, browserLanguages = []) {
  return browserLanguages.find((l) => String(l).toLowerCase().split('-')[0] === lang && String(l).includes('-')) ?? DEFAULT_LOCALE[lang];
}

/**
 * Messages and formats of one language. `timeZone` is for tests (the browser's own by default).
 * t(KEY, {n: 3, name: 'x'}): `{name}` placeholders; a message `{one, other}` picks by `n`.
 */
export function createI18n(lang, browserLanguages = [], timeZone) {
  const locale = localeFor(lang, browserLanguages);
  const messages = MESSAGES[lang];
  const plural = new Intl.PluralRules(locale);
  const numberFmt = new Intl.NumberFormat(locale);
  const tz = timeZone ? { timeZone } : {};
  const dayFmt = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', ...tz });
  const timeFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', ...tz });
  const secondsFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', ...tz });
  const utcDayFmt = new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' });
  const money = new Map();

  function t(key, params = {}) {
    let m = messages[key] ?? MESSAGES.en[key] ?? key;
    if (typeof m === 'object') m = m[plural.select(Number(params.n ?? 0))] ?? m.other;
    return m.replace(/\{(\w+)\}/g, (whole, name) => {
      const v = params[name];
      if (v === undefined || v === null) return whole;
      return typeof v === 'number' ? numberFmt.format(v) : String(v);
    });
  }

  return {
    lang,
    locale,
    t,
    /** Whether a message exists (in this language or in English). */
    has: (key) => key in messages || key in MESSAGES.en,
    /** The message `prefix.value`, or the value itself when there is none (a status this page does not know yet). */
    label: (prefix, value) => (`${prefix}.${value}` in messages || `${prefix}.${value}` in MESSAGES.en ? t(`${prefix}.${value}`) : String(value)),
    number: (n) => numberFmt.format(n),
    /** A moment (ISO 8601) in local time: `30-11-2026 00:06` (with `seconds`: `00:06:07`). */
    dateTime(iso, { seconds = false } = {}) {
      if (!iso) return '—';
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? String(iso) : `${dayFmt.format(d)} ${(seconds ? secondsFmt : timeFmt).format(d)}`;
    },
    /** A calendar date (`2026-11-30`) as it is, whatever the time zone: `30-11-2026`. */
    day(isoDate) {
      if (!isoDate) return '—';
      const d = new Date(`${String(isoDate).slice(0, 10)}T00:00:00Z`);
      return Number.isNaN(d.getTime()) ? String(isoDate) : utcDayFmt.format(d);
    },
    /** A decimal string amount (`1234.56`) in a currency: `€ 1.234,56`. Exact: Intl formats the string itself, no float. */
    amount(decimal, currency) {
      if (decimal === null || decimal === undefined || decimal === '') return '—';
      if (!money.has(currency)) money.set(currency, new Intl.NumberFormat(locale, { style: 'currency', currency }));
      return money.get(currency).format(String(decimal));
    },
    /** A duration: `0,8 s`, `42 s`, `3 min 5 s`. */
    duration(ms) {
      if (ms === null || ms === undefined) return '—';
      const s = ms / 1000;
      if (s < 10) return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(s)} s`;
      if (s < 60) return `${Math.round(s)} s`;
      const m = Math.floor(s / 60);
      return `${m} min ${Math.round(s - m * 60)} s`;
    },
  };
}
