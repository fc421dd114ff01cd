/**
 * The states of an export, in the order a report usually goes through them:
 * - `validating`, `posting`: the workflow is working on it;
 * - `waiting_for_mappings`: a mapping (or master data in Exact) is missing: fix it, then `mapping-fixed`;
 * - `waiting_for_reauthorization`: the tenant must reconnect;
 * - `rejected`: Exact refused the entry, or its content cannot be booked: fix, then `retry` (or `cancel`);
 * - `needs_review`: whether the entry exists in Exact is not known, and the export will not post
 *   on its own again: a person looks, then `retry`, `mark-posted` or `cancel`;
 * - `posted`, `cancelled`: final;
 * - `reversed`: a posted export whose mirror entry was posted (POST …/export/reverse); the reversal
 *   revision shows `reversed` too. Final.
 */
export const exportStatuses = ['validating', 'waiting_for_mappings', 'waiting_for_reauthorization', 'posting', 'rejected', 'needs_review', 'posted', 'cancelled', 'reversed'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** States an export never leaves. */
export const finalExportStatuses: readonly ExportStatus[] = ['posted', 'cancelled', 'reversed'];

/**
 * Whether the report's current revision lets the report be exported again with new content (as
 * the next revision): after `reversed`, or `cancelled` — but not a cancelled reversal, whose
 * original entry is still in the books (reverse it again instead).
 */
export function mayExportAgain(current: { status: ExportStatus; reverses?: number }): boolean {
  return current.status === 'reversed' || (current.status === 'cancelled' && current.reverses === undefined);
}
