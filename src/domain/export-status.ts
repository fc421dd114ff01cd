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

/** States in which an export waits for a person: the admin page lists them first. */
export const actionExportStatuses: readonly ExportStatus[] = ['needs_review', 'waiting_for_mappings', 'rejected', 'waiting_for_reauthorization'];

/** What a person can do about an export (each an API route of the export, or a page of the admin). */
export const exportActions = ['mapping-fixed', 'retry', 'mark-posted', 'cancel', 'fix-mappings', 'reconnect'] as const;
export type ExportAction = (typeof exportActions)[number];

const ACTIONS_BY_STATUS: Partial<Record<ExportStatus, readonly ExportAction[]>> = {
  waiting_for_mappings: ['fix-mappings', 'mapping-fixed', 'mark-posted', 'cancel'],
  rejected: ['retry', 'fix-mappings', 'mapping-fixed', 'mark-posted', 'cancel'],
  needs_review: ['retry', 'mark-posted', 'cancel'],
  waiting_for_reauthorization: ['reconnect', 'mark-posted', 'cancel'],
};

/** The actions that apply to an export in `status` (none while it works or once it is final). */
export function exportActionsFor(status: ExportStatus): readonly ExportAction[] {
  return ACTIONS_BY_STATUS[status] ?? [];
}

/** Statuses in which a person may name the Exact entry of an export (mark-posted). */
export const markPostedExportStatuses: readonly ExportStatus[] = exportStatuses.filter((s) => exportActionsFor(s).includes('mark-posted'));
