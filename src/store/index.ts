/** MongoDB storage: the one public entry of the store folder. */
import type { Db } from 'mongodb';
import { ExportStore } from './exports';
import { MappingStore } from './mappings';
import { MasterDataStore } from './master-data';
import { SyncRunStore } from './sync-runs';
import { TenantStore } from './tenants';

export { createMongo, pingMongo, type Mongo } from './mongo';
export { seal, unseal, type Sealed } from './crypto';
export {
  TenantStore,
  connectionStates,
  type ConnectionDoc,
  type ConnectionState,
  type MappingHealth,
  type MappingHealthIssue,
  type Tenant,
} from './tenants';
export { MasterDataStore, type StoredMasterDataRecord } from './master-data';
export { SyncRunStore, type KindCounts, type SyncMode, type SyncRunDoc, type SyncRunStatus } from './sync-runs';
export { MappingStore } from './mappings';
export {
  ExportStore,
  exportDocId,
  isOutcomeOpen,
  receiptKey,
  refOf,
  revisionOf,
  type ExportDoc,
  type MissingMapping,
  type PostingLogEntry,
  type PostingState,
  type ReceiptDoc,
} from './exports';

export interface Stores {
  tenants: TenantStore;
  masterData: MasterDataStore;
  syncRuns: SyncRunStore;
  mappings: MappingStore;
  exports: ExportStore;
}

export function createStores(db: Db, encryptionKey: Buffer): Stores {
  return {
    tenants: new TenantStore(db, encryptionKey),
    masterData: new MasterDataStore(db),
    syncRuns: new SyncRunStore(db),
    mappings: new MappingStore(db),
    exports: new ExportStore(db),
  };
}

/** Creates every index; idempotent, run at start-up by the worker and the API. */
export async function ensureIndexes(stores: Stores): Promise<void> {
  await stores.tenants.ensureIndexes();
  await stores.masterData.ensureIndexes();
  await stores.syncRuns.ensureIndexes();
  await stores.exports.ensureIndexes();
}
