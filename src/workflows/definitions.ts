/**
 * What the workflows, the worker, the services and the API share: search attributes, workflow and
 * schedule IDs, and the signals, queries and updates of each workflow. The one place where these
 * names are written. Safe to import from workflow code (no Node APIs).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ExportStatus } from '../domain';

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
  /** The initial sync, a child of one onboarding run. */
  onboardingSync: (tenantId: string, onboardingRunId: string) => `sync:${tenantId}:onboarding-${onboardingRunId}`,
  manualSync: (tenantId: string) => `sync:${tenantId}:manual`,
  /** Collects Maesn's change events of a tenant and runs the debounced syncs they ask for. */
  masterDataChanges: (tenantId: string) => `sync:${tenantId}:changes`,
  /** One sync started by Maesn's change events (a child of the collector; `n` counts them per run). */
  changeSync: (tenantId: string, collectorRunId: string, n: number) => `sync:${tenantId}:webhook-${collectorRunId}-${n}`,
  scheduledSync: (tenantId: string) => `sync:${tenantId}:scheduled`,
  /**
   * One run per export revision: `export:<tenant>:<report>` for the first, `export-r<n>:<tenant>:<report>`
   * for a correction. The revision is in the prefix because a report ID may contain any character
   * but whitespace, so no suffix could tell "report A, revision 2" from a report named "A…2"; the
   * prefix never depends on either ID. All revisions carry the same ReportId search attribute.
   */
  export: (tenantId: string, reportId: string, revision = 1) => `${revision === 1 ? 'export' : `export-r${revision}`}:${tenantId}:${reportId}`,
  /** Delivers the events of one ordering key (an export, or a tenant's other events) to one endpoint, in order. */
  webhookDelivery: (endpointId: string, orderingKey: string) => `webhook:${endpointId}:${orderingKey}`,
  /** Runs of the retention schedule (the schedule appends the time). */
  retention: (taskQueue: string) => `retention:${taskQueue}`,
} as const;

/** Schedule IDs. */
export const scheduleIds = {
  resync: (tenantId: string) => `resync:${tenantId}`,
  /** One per deployment (task queue): deletes receipts and credentials past their retention. */
  retention: (taskQueue: string) => `retention:${taskQueue}`,
} as const;

/** How often the retention schedule runs. */
export const RETENTION_INTERVAL = '1 hour';

// --- exportExpenseReport --------------------------------------------------------------------

export interface ExportState {
  status: ExportStatus;
  revision: number;
  missing: number;
  reminders: number;
  error?: string;
  exactEntryId?: string;
  /** A POST's outcome is open: the workflow waits the settle period, then looks the entry up. */
  outcomeOpen?: boolean;
  /** Why the export needs a person (status needs_review). */
  reviewReason?: string;
  /** A cancel arrived while an outcome was open: it takes effect once the lookup found nothing. */
  cancelRequested?: boolean;
  /** Runs of this export so far (continue-as-new keeps history short while it waits). */
  run: number;
}

/** Mappings were changed: validate again. */
export const mappingFixedSignal = defineSignal('mappingFixed');
/**
 * Something was fixed in Exact (or the connection restored): try again. From needs_review: look
 * the entry up once more, then post if it is not there.
 */
export const retrySignal = defineSignal('retry');
/**
 * Stop the export unless it is posted. While a POST's outcome is open the entry is looked up first:
 * an entry that exists wins and the export ends posted.
 */
export const cancelSignal = defineSignal('cancel');

export interface MarkPostedSignal {
  /** The Exact entry (Maesn journal entry id) a person found for this export. */
  exactEntryId: string;
}
/** needs_review: a person found the entry in Exact; it is verified through Maesn when possible and adopted. */
export const markPostedSignal = defineSignal<[MarkPostedSignal]>('markPosted');
export const exportStateQuery = defineQuery<ExportState>('state');

/** A signal without arguments an export's workflow takes from outside (API, Temporal UI). */
export type ExportSignal = typeof mappingFixedSignal | typeof retrySignal | typeof cancelSignal;

// --- onboardTenant --------------------------------------------------------------------------

export type OnboardingStep =
  | 'creating_link'
  | 'awaiting_authorization'
  | 'verifying'
  | 'awaiting_division_confirmation'
  | 'syncing'
  | 'scheduling'
  | 'connected'
  | 'needs_reauthorization'
  | 'expired'
  | 'division_change_rejected'
  | 'failed';

export interface SyncCounts {
  fetched: number;
  upserted: number;
  unchanged?: number;
  dbMs?: number;
  deactivated: number;
  pages: number;
}

export interface SyncMasterDataResult {
  /** `skipped`: a scheduled run found too few of the day's Exact calls left (see src/domain/sync-plan.ts). */
  status: 'succeeded' | 'needs_reauthorization' | 'skipped';
  runId: string;
  mode: 'full' | 'incremental';
  counts: Record<string, SyncCounts>;
  mappingHealthOk?: boolean;
}

export interface OnboardingStatus {
  tenantId: string;
  step: OnboardingStep;
  authorizationUrl?: string;
  division?: string;
  /** The division the tenant had, when this reconnect chose another one (needs confirmation). */
  previousDivision?: string;
  error?: string;
  sync?: SyncMasterDataResult;
}

export interface AuthorizedSignal {
  /** The `state` this run put in the callback URL (rejects callbacks of older links). */
  state: string;
  /** Reference to the credential the API stored, encrypted, when the callback arrived. */
  credentialId: string;
}

export const authorizedSignal = defineSignal<[AuthorizedSignal]>('authorized');

export interface DivisionDecision {
  decision: 'confirm' | 'reject';
  /** The division the admin decided about (a decision about another one is ignored). */
  division: string;
}

/** An admin confirmed or rejected switching the tenant to another division. */
export const divisionDecisionSignal = defineSignal<[DivisionDecision]>('divisionDecision');
export const onboardingStatusQuery = defineQuery<OnboardingStatus>('status');
/** Returns the hosted-auth link once it exists (used with update-with-start by the API). */
export const authorizationUrlUpdate = defineUpdate<{ authorizationUrl: string }>('authorizationUrl');

// --- deliverWebhooks ------------------------------------------------------------------------

export interface EventsQueued {
  /** Recorded events (IDs only: the payload stays in MongoDB), in the order they happened. */
  eventIds: string[];
  /** Sent again on request (delivered even if this run delivered it before, or the endpoint's filter changed). */
  redelivery?: boolean;
}

/** Events to deliver to the run's endpoint (signal-with-start by the event dispatcher). */
export const eventsQueuedSignal = defineSignal<[EventsQueued]>('eventsQueued');

// --- syncChangedMasterData ------------------------------------------------------------------

/** Maesn said records of a sync resource (e.g. `accounts`) changed. */
export const masterDataChangedSignal = defineSignal<[{ resource: string }]>('masterDataChanged');
