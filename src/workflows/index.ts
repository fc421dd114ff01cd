/**
 * Every workflow the worker runs, exported from one explicit index (the bundler's entry).
 * Workflow code imports only @temporalio/workflow, src/domain and type-only activity imports.
 */
export { onboardTenant } from './onboarding';
export { syncMasterData } from './sync';
export { exportExpenseReport } from './export';
export { purgeExpiredData } from './retention';
export { deliverWebhooks } from './webhooks';
export { syncChangedMasterData } from './master-data-changes';
