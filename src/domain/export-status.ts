/** The states of an export, in the order a report usually goes through them. */
export const exportStatuses = ['validating', 'waiting_for_mappings', 'waiting_for_reauthorization', 'posting', 'rejected', 'posted', 'cancelled'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** States an export never leaves. */
export const finalExportStatuses: readonly ExportStatus[] = ['posted', 'cancelled'];
