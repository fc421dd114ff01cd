/**
 * The export reference: the token every line description of an export's entry starts with. It is
 * how a person finds the entry in Exact, and how the lookup finds an entry an earlier POST created
 * (Exact's general journal entries have no entry-level description, so only the lines carry it).
 *
 * Rules:
 * - `EXP-<reportId>` for the first revision of a report whose ID is short enough (a UUID fits);
 * - otherwise (a long ID, a correction revision, an ID starting with `#`) a short reference
 *   `EXP-#<20 hex digits>` from SHA-256 over tenant, report and revision: 80 bits, so two exports of
 *   one administration never share it, and it never needs cutting;
 * - a line description is the reference, a space and free text, at most 60 characters: the free
 *   text is cut, never the reference.
 */

export const EXPORT_REFERENCE_PREFIX = 'EXP-';

/**
 * Longest reference written in plain form: `EXP-` and a 36-character UUID, which leaves 20 of a
 * line's 60 characters for text.
 */
export const MAX_PLAIN_REFERENCE_LENGTH = 40;

/** Marks a hashed reference (`EXP-#…`); a report ID starting with it always gets the hashed form. */
const HASH_MARKER = '#';
const HASH_HEX_DIGITS = 20;

/**
 * Maximum description length the builder produces. Exact's limit for entry-line descriptions is
 * not documented publicly; 60 is the longest description limit known from its lookups.
 */
export const MAX_DESCRIPTION_LENGTH = 60;

/** What identifies one export revision. */
export interface ReferenceKey {
  tenantId: string;
  reportId: string;
  revision: number;
}

/** The text hashed for a short reference (a JSON array: no two keys give the same text). */
export function referenceHashInput(k: ReferenceKey): string {
  return JSON.stringify([k.tenantId, k.reportId, k.revision]);
}

/** The plain reference `EXP-<reportId>`, or null when it cannot be used for this key. */
export function plainExportReference(k: Pick<ReferenceKey, 'reportId' | 'revision'>): string | null {
  const plain = `${EXPORT_REFERENCE_PREFIX}${k.reportId}`;
  if (k.revision !== 1 || plain.length > MAX_PLAIN_REFERENCE_LENGTH || k.reportId.startsWith(HASH_MARKER)) return null;
  return plain;
}

/**
 * The reference of one export revision. `sha256Hex` returns the SHA-256 of a UTF-8 string as hex:
 * the domain does no I/O and no crypto itself, the caller passes Node's.
 */
export function exportReference(k: ReferenceKey, sha256Hex: (text: string) => string): string {
  return plainExportReference(k) ?? `${EXPORT_REFERENCE_PREFIX}${HASH_MARKER}${sha256Hex(referenceHashInput(k)).slice(0, HASH_HEX_DIGITS).toUpperCase()}`;
}

/** True when `reference` has the shape of a reference this module produces (and fits on a line). */
export function isExportReference(reference: string): boolean {
  return reference.startsWith(EXPORT_REFERENCE_PREFIX) && reference.length <= MAX_PLAIN_REFERENCE_LENGTH && !/\s/.test(reference) && reference.length > EXPORT_REFERENCE_PREFIX.length;
}

/**
 * A line description: the reference, a space and `rest` (whitespace collapsed), cut to
 * MAX_DESCRIPTION_LENGTH. Only the free text is ever cut.
 */
export function describeLine(reference: string, rest: string): string {
  const text = rest.trim().replace(/\s+/g, ' ');
  if (text === '') return reference;
  return `${reference} ${text}`.slice(0, Math.max(MAX_DESCRIPTION_LENGTH, reference.length)).trimEnd();
}

/**
 * True when `text` contains `reference` as a whole token (delimited by start/end or whitespace),
 * so "EXP-R1" is not found in "EXP-R10".
 */
export function hasExportReference(text: string | null | undefined, reference: string): boolean {
  if (!text) return false;
  let from = 0;
  for (;;) {
    const i = text.indexOf(reference, from);
    if (i < 0) return false;
    const before = i === 0 ? '' : text[i - 1];
    const after = text[i + reference.length] ?? '';
    if ((before === '' || /\s/.test(before)) && (after === '' || /\s/.test(after))) return true;
    from = i + 1;
  }
}

/** The first `EXP-…` token in `text` (the reference), or null. */
export function parseExportReference(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|\s)(EXP-\S+)/.exec(text);
  return m ? m[1] : null;
}
