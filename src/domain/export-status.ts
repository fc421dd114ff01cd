/**
 * The states of an export, in the order a report usually goes through them:
 * - `validating`, `posting`: the workflow is working on it;
 * - `waiting_for_mappings`: a mapping (or master data in Exact) is missing: fix it, then `mapping-fixed`;
 * - `waiting_for_reauthorization`: the tenant must reconnect;
 * - `rejected`: Exact refused the entry, or its content cannot be booked: fix, then `retry` (or `cancel`);
 * - `needs_review`: whether the entry exists in Exact is not known, and the export will not post
 *   on its own again: a person looks, then `retry`, `mark-posted` or `cancel`;
 * - `posted`, `cancelled`: final.
 */
export const exportStatuses = ['validating', 'waiting_for_mappings', 'waiting_for_reauthorization', 'posting', 'rejected', 'needs_review', 'posted', 'cancelled'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** States an export never leaves. */
export const finalExportStatuses: readonly ExportStatus[] = ['posted', 'cancelled'];
