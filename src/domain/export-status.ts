/** The states of an export, in the order a report usually goes through them. */
export const exportStatuses = ['validating', 'waiting_for_mappings', 'waiting_for_reauthorization', 'posting', 'rejected', 'posted', 'cancelled'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** States an export never leaves. */
export const finalExportStatuses: readonly ExportStatus[] = ['posted', 'cancelled'];

/** States in which an export waits for a person: the admin page lists them first. */
export const actionExportStatuses: readonly ExportStatus[] = ['waiting_for_mappings', 'rejected', 'waiting_for_reauthorization'];

/** What a person can do about an export (each an API route of the export, or a page of the admin). */
export const exportActions = ['mapping-fixed', 'retry', 'cancel', 'fix-mappings', 'reconnect'] as const;
export type ExportAction = (typeof exportActions)[number];

const ACTIONS_BY_STATUS: Partial<Record<ExportStatus, readonly ExportAction[]>> = {
  waiting_for_mappings: ['fix-mappings', 'mapping-fixed', 'cancel'],
  rejected: ['retry', 'fix-mappings', 'mapping-fixed', 'cancel'],
  waiting_for_reauthorization: ['reconnect', 'cancel'],
};

/** The actions that apply to an export in `status` (none while it works or once it is final). */
export function exportActionsFor(status: ExportStatus): readonly ExportAction[] {
  return ACTIONS_BY_STATUS[status] ?? [];
}
