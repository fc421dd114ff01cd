/**
 * Services: the logic that both the API and the activities need, on top of the stores, the
 * domain and the workflow definitions. The API imports services, never activities.
 */
export type { ServiceDeps } from './deps';
export { ServiceError, notFound, type ServiceErrorKind, type ServiceFieldError } from './errors';
export { assessMappings, loadMasterDataFor, reviewMappings, saveMappings, toHealthIssues, type MappingReview } from './mappings';
export { MARK_POSTED_STATUSES, acceptExport, decodeReceipts, markExportPosted, reportContentHash, reverseExport, signalExport, startExportWorkflow, wakeExports } from './exports';
export { connectTenant, decideDivisionChange, disconnectTenant, nextResyncAt, pauseResync, resyncOffsetMs, startManualSync, upsertResyncSchedule } from './connections';
export { ensureRetentionSchedule } from './retention';
export { eventDispatcher, redeliverEvent } from './events';
export { masterDataChanged } from './master-data-changes';
