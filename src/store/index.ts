/** MongoDB storage: the one public entry of the store folder. */
import type { Db } from 'mongodb';
import type { KeyRing } from '../crypto';
import { AdminLinkStore } from './admin-links';
import { CallBudgetStore } from './call-budget';
import { LeaseStore } from './claims';
import { ExportStore } from './exports';
import { MappingStore } from './mappings';
import { MasterDataStore } from './master-data';
import { SyncRunStore } from './sync-runs';
import { TenantStore } from './tenants';
import { WebhookStore } from './webhooks';
import { MaesnSubscriptionStore } from './maesn-subscriptions';

export { createMongo, logMongoRecovery, pingMongo, isDatabaseBusy, isDuplicateKeyError, retryWhileBusy, upsertRetrying, watchServerChecks, type Mongo, type MongoOptions } from './mongo';
export { claimOnce, LeaseStore, type ClaimResult, type Lease, type LeaseResult } from './claims';
export { isCurrent, openAccountKey, sealAccountKey, type Sealed, type SealedV1, type SealedV2 } from './crypto';
export {
  TenantStore,
  type ResealCounts,
  connectionStateOf,
  connectionStates,
  type ConnectionDoc,
  type ConnectionState,
  type DivisionChange,
  type MappingHealth,
  type MappingHealthIssue,
  type Tenant,
} from './tenants';
export { MasterDataStore, type MasterDataReader, type StoredMasterDataRecord } from './master-data';
export { MasterDataSyncWriter, contentHashOf, recordKey, type PageWriteResult } from './master-data-sync';
export { SyncRunStore, type KindCounts, type SyncMode, type SyncRunDoc, type SyncRunStatus } from './sync-runs';
export { MappingStore } from './mappings';
export { AdminLinkStore } from './admin-links';
export { CallBudgetStore, type CallReservation } from './call-budget';
export {
  ExportStore,
  exportDocId,
  isOutcomeOpen,
  postingLeaseKey,
  receiptKey,
  refOf,
  revisionOf,
  type ExportDoc,
  type MissingMapping,
  type PostingLeaseResult,
  type PostingLogEntry,
  type PostingState,
  type ReceiptDoc,
} from './exports';
export { MaesnSubscriptionStore, type MaesnSubscription } from './maesn-subscriptions';
export { WebhookStore, type DeliveryDoc, type DeliveryOutcome, type EventDispatcher, type EventDoc, type WebhookEndpoint } from './webhooks';

export interface Stores {
  tenants: TenantStore;
  masterData: MasterDataStore;
  syncRuns: SyncRunStore;
  mappings: MappingStore;
  exports: ExportStore;
  adminLinks: AdminLinkStore;
  callBudget: CallBudgetStore;
  /** Exclusive holders with expiry (see ./claims); e.g. the posting of one export. */
  leases: LeaseStore;
  webhooks: WebhookStore;
  maesnSubscriptions: MaesnSubscriptionStore;
}

/** Exact's documented limits per division, assumed until its X-RateLimit headers say otherwise. */
export const DEFAULT_CALL_LIMITS = { perMinute: 60, perDay: 5000 } as const;

/** What the stores need from the configuration (a ProductConfig fits). */
export interface StoreConfig {
  /** ENCRYPTION_KEYS. */
  keyRing: KeyRing;
  retention: { pendingCredentialsMs: number };
  /** Exact's limits assumed per division until its headers say otherwise (default: the documented ones). */
  callLimits?: { perMinute: number; perDay: number };
}

export function createStores(db: Db, config: StoreConfig): Stores {
  const leases = new LeaseStore(db);
  const webhooks = new WebhookStore(db, config.keyRing);
  return {
    webhooks,
    maesnSubscriptions: new MaesnSubscriptionStore(db, config.keyRing),
    callBudget: new CallBudgetStore(db, config.callLimits ?? DEFAULT_CALL_LIMITS),
    tenants: new TenantStore(db, { keyRing: config.keyRing, pendingCredentialTtlMs: config.retention.pendingCredentialsMs }),
    masterData: new MasterDataStore(db),
    syncRuns: new SyncRunStore(db),
    mappings: new MappingStore(db),
    exports: new ExportStore(db, leases, webhooks),
    adminLinks: new AdminLinkStore(db),
    leases,
  };
}

/** Creates every index; idempotent, run at start-up by the worker and the API. */
export async function ensureIndexes(stores: Stores): Promise<void> {
  await stores.tenants.ensureIndexes();
  await stores.masterData.ensureIndexes();
  await stores.syncRuns.ensureIndexes();
  await stores.exports.ensureIndexes();
  await stores.callBudget.ensureIndexes();
  await stores.leases.ensureIndexes();
  await stores.webhooks.ensureIndexes();
  await stores.maesnSubscriptions.ensureIndexes();
}
