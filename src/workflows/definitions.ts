/**
 * Names shared by workflows, the worker and the API: search attributes, signals, queries.
 * Safe to import from workflow code (no Node APIs).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes; registered on the dev server by `make dev`/`make test`, and in production by the deploy. */
export const searchAttributes = {
  tenantId: defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD),
  reportId: defineSearchAttributeKey('ReportId', SearchAttributeType.KEYWORD),
  exportStatus: defineSearchAttributeKey('ExportStatus', SearchAttributeType.KEYWORD),
  onboardingStatus: defineSearchAttributeKey('OnboardingStatus', SearchAttributeType.KEYWORD),
} as const;

export const allSearchAttributeKeys = Object.values(searchAttributes);

/** Workflow IDs: business keys, so a repeated start finds the same run. */
export const workflowIds = {
  onboarding: (tenantId: string) => `onboarding:${tenantId}`,
  manualSync: (tenantId: string) => `sync:${tenantId}:manual`,
  export: (tenantId: string, reportId: string) => `export:${tenantId}:${reportId}`,
} as const;
