// The mapping editor's model, without DOM: a draft of rows per section built from the saved
// mappings (and the fields waiting exports need), the document a draft saves, and what changed.
// Also imported by the unit tests.

/** Sections with rows (platform value → Exact code), in the order the editor shows them. */
export const ROW_SECTIONS = ['categories', 'vatRates', 'costCenters', 'costUnits', 'employees', 'merchants'];
export const GENERAL_FIELDS = ['journalCode', 'creditAccount'];
const SUFFIX = { categories: '.glAccount', employees: '.supplier' };
const WRAP = { categories: (code) => ({ glAccount: code }), employees: (code) => ({ supplier: code }) };
const UNWRAP = { categories: (v) => v.glAccount, employees: (v) => v.supplier };

/** The mapping path of a row's code: `categories.travel.glAccount`, `vatRates.21`, … */
export const pathOf = (section, key) => (section === 'general' ? key : `${section}.${key}${SUFFIX[section] ?? ''}`);

/** `categories.travel.glAccount` → { section: 'categories', key: 'travel' }; null for anything else. */
export function splitPath(path) {
  if (GENERAL_FIELDS.includes(path)) return { section: 'general', key: path };
  const section = path.split('.', 1)[0];
  if (!ROW_SECTIONS.includes(section)) return null;
  let key = path.slice(section.length + 1);
  const suffix = SUFFIX[section];
  if (suffix) {
    if (!key.endsWith(suffix)) return null;
    key = key.slice(0, -suffix.length);
  }
  return key ? { section, key } : null;
}

let rowSeq = 0;
export const newRow = (key = '', code = '', extra = {}) => ({ rid: `row${++rowSeq}`, key, code, record: undefined, suggested: false, ...extra });

/**
 * A draft from the saved mappings (or none) and the review: each referenced code with its record,
 * plus an empty suggested row for every field a waiting export needs that has no row yet.
 */
export function draftFrom(mappings, review) {
  const records = new Map((review?.references ?? []).map((r) => [r.path, r.record]));
  const draft = { general: {}, rows: {} };
  for (const f of GENERAL_FIELDS) {
    const code = mappings?.[f] ?? '';
    draft.general[f] = { code, record: code ? records.get(f) : undefined };
  }
  for (const s of ROW_SECTIONS) {
    draft.rows[s] = Object.entries(mappings?.[s] ?? {}).map(([key, v]) => {
      const code = UNWRAP[s] ? UNWRAP[s](v) : v;
      return newRow(key, code, { record: records.get(pathOf(s, key)) });
    });
  }
  for (const n of review?.needed ?? []) ensureRow(draft, n.path);
  return draft;
}

/** The row (or general field) a path names, adding a suggested empty row when there is none. */
export function ensureRow(draft, path) {
  const p = splitPath(path);
  if (!p) return null;
  if (p.section === 'general') return draft.general[p.key];
  const rows = draft.rows[p.section];
  return rows.find((r) => r.key === p.key) ?? (rows.push(newRow(p.key, '', { suggested: true })), rows[rows.length - 1]);
}

/** Rows that say something: a suggested row without a code is left out. */
const meaningful = (r) => !(r.suggested && !r.code) && (r.key.trim() !== '' || r.code !== '');

/** Problems the editor can tell before saving: a row without a key or without a code, a key twice. */
export function draftProblems(draft) {
  const out = [];
  for (const s of ROW_SECTIONS) {
    const seen = new Set();
    for (const r of draft.rows[s].filter(meaningful)) {
      const key = r.key.trim();
      if (!key) out.push({ rid: r.rid, field: 'key', problem: 'keyRequired' });
      else if (seen.has(key)) out.push({ rid: r.rid, field: 'key', problem: 'duplicateKey' });
      else if (!r.code) out.push({ rid: r.rid, field: 'code', problem: 'codeRequired' });
      seen.add(key);
    }
  }
  for (const f of GENERAL_FIELDS) if (!draft.general[f].code) out.push({ rid: f, field: 'code', problem: 'codeRequired' });
  return out;
}

/** The mappings document a draft saves. */
export function payloadOf(draft) {
  const out = { journalCode: draft.general.journalCode.code, creditAccount: draft.general.creditAccount.code };
  for (const s of ROW_SECTIONS) {
    out[s] = {};
    for (const r of draft.rows[s].filter(meaningful)) out[s][r.key.trim()] = WRAP[s] ? WRAP[s](r.code) : r.code;
  }
  return out;
}

/** JSON with sorted keys (two documents that mean the same compare equal). */
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

const EMPTY = { journalCode: '', creditAccount: '', categories: {}, vatRates: {}, costCenters: {}, costUnits: {}, employees: {}, merchants: {} };

/** Whether the draft differs from the saved mappings. */
export const isDirty = (draft, saved) => canonical(payloadOf(draft)) !== canonical({ ...EMPTY, ...(saved ?? {}) });

/** Whether one row differs from what is saved for its key. */
export function rowChanged(section, row, saved) {
  if (!meaningful(row)) return false;
  const v = saved?.[section]?.[row.key.trim()];
  if (v === undefined) return true;
  return (UNWRAP[section] ? UNWRAP[section](v) : v) !== row.code;
}
