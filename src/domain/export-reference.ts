/**
 * The export reference: the token every line description of a report's entry starts with, used
 * to find an entry that an earlier posting attempt created.
 */
export const EXPORT_REFERENCE_PREFIX = 'EXP-';

/** The reference written into descriptions, used to find an earlier export: `EXP-<reportId>`. */
export function exportReference(reportId: string): string {
  return `${EXPORT_REFERENCE_PREFIX}${reportId}`;
}

/**
 * True when `text` contains the export reference of `reportId` as a whole token
 * (delimited by start/end or whitespace), so "EXP-R1" is not found in "EXP-R10".
 */
export function hasExportReference(text: string | null | undefined, reportId: string): boolean {
  if (!text) return false;
  const ref = exportReference(reportId);
  let from = 0;
  for (;;) {
    const i = text.indexOf(ref, from);
    if (i < 0) return false;
    const before = i === 0 ? '' : text[i - 1];
    const after = text[i + ref.length] ?? '';
    if ((before === '' || /\s/.test(before)) && (after === '' || /\s/.test(after))) return true;
    from = i + 1;
  }
}

/** Extracts the report id from the first `EXP-<id>` token in `text`, or null. */
export function parseExportReference(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|\s)EXP-(\S+)/.exec(text);
  return m ? m[1] : null;
}

