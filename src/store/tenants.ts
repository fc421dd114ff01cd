/**
 * Tenants and their Exact Online connection (one current connection per tenant).
 * The Maesn account key is stored sealed (AES-256-GCM) and never leaves this module in clear
 * except through `revealAccountKey`.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { tenantSettingsSchema, type TenantSettings } from '../domain';
import { seal, unseal, type Sealed } from './crypto';

export interface Tenant {
  _id: string;
  name: string;
  /** Booking settings (time zone, booking date, closed-period policy); absent = the defaults. */
  settings?: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

export const connectionStates = ['awaiting_authorization', 'syncing', 'connected', 'needs_reauthorization', 'disconnected', 'error'] as const;
export type ConnectionState = (typeof connectionStates)[number];

export interface MappingHealthIssue {
  /** Master-data kind, e.g. gl-accounts. */
  kind: string;
  code: string;
  /** Where the mapping uses it, e.g. `categories.travel.glAccount`. */
  usedIn: string;
  reason: string;
}

export interface MappingHealth {
  checkedAt: Date;
  ok: boolean;
  issues: MappingHealthIssue[];
}

export interface ConnectionDoc {
  _id: string; // tenantId
  state: ConnectionState;
  targetSystem: string;
  division?: string;
  divisionName?: string | null;
  accountKey?: Sealed;
  connectedAt?: Date;
  updatedAt: Date;
  error?: { message: string; at: Date } | null;
  pendingAuthorization?: { state: string; authorizationUrl?: string; startedAt: Date; workflowId: string } | null;
  /** The state before the pending authorization began (restored if the link expires unused). */
  stateBeforeAuthorization?: ConnectionState;
  lastFullSyncAt?: Date;
  mappingHealth?: MappingHealth;
}

/** A credential received on the connect callback, waiting for the onboarding workflow to adopt it. */
interface PendingCredentialDoc {
  _id: string;
  tenantId: string;
  state: string;
  division: string;
  accountKey: Sealed;
  createdAt: Date;
}

export class TenantStore {
  readonly tenants: Collection<Tenant>;
  readonly connections: Collection<ConnectionDoc>;
  private readonly pending: Collection<PendingCredentialDoc>;

  constructor(
    db: Db,
    private readonly encryptionKey: Buffer,
  ) {
    this.tenants = db.collection<Tenant>('tenants');
    this.connections = db.collection<ConnectionDoc>('connections');
    this.pending = db.collection<PendingCredentialDoc>('pending_credentials');
  }

  async ensureIndexes(): Promise<void> {
    await this.pending.createIndex({ tenantId: 1, createdAt: -1 });
    await this.connections.createIndex({ state: 1 });
  }

  /** Creates the tenant; an existing one with the same name is returned as is, another name is a conflict. */
  async create(tenantId: string, name: string): Promise<{ tenant: Tenant; created: boolean; conflict: boolean }> {
    const now = new Date();
    const r = await this.tenants.findOneAndUpdate(
      { _id: tenantId },
      { $setOnInsert: { name, createdAt: now, updatedAt: now } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    const tenant = r.value!;
    const created = !r.lastErrorObject?.updatedExisting;
    return { tenant, created, conflict: !created && tenant.name !== name };
  }

  get(tenantId: string): Promise<Tenant | null> {
    return this.tenants.findOne({ _id: tenantId });
  }

  /** The tenant's booking settings (defaults where none were saved); null when the tenant does not exist. */
  async getSettings(tenantId: string): Promise<TenantSettings | null> {
    const t = await this.tenants.findOne({ _id: tenantId }, { projection: { settings: 1 } });
    return t ? tenantSettingsSchema.parse(t.settings ?? {}) : null;
  }

  /** Replaces the tenant's settings; false when the tenant does not exist. */
  async putSettings(tenantId: string, settings: TenantSettings): Promise<boolean> {
    const r = await this.tenants.updateOne({ _id: tenantId }, { $set: { settings, updatedAt: new Date() } });
    return r.matchedCount === 1;
  }

  getConnection(tenantId: string): Promise<ConnectionDoc | null> {
    return this.connections.findOne({ _id: tenantId });
  }

  async setConnection(tenantId: string, set: Partial<Omit<ConnectionDoc, '_id'>>, unset: (keyof ConnectionDoc)[] = []): Promise<void> {
    const update: Record<string, unknown> = { $set: { ...set, updatedAt: new Date() } };
    if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    if (set.targetSystem === undefined) update.$setOnInsert = { targetSystem: 'exact-nl' };
    await this.connections.updateOne({ _id: tenantId }, update as never, { upsert: true });
  }

  /** Stores a credential from the connect callback; returns its reference for the workflow signal. */
  async storePendingCredential(tenantId: string, state: string, division: string, accountKey: string): Promise<string> {
    const id = randomUUID();
    await this.pending.insertOne({ _id: id, tenantId, state, division, accountKey: seal(accountKey, this.encryptionKey), createdAt: new Date() });
    return id;
  }

  /** Moves a pending credential onto the connection; returns the division, or null if it is unknown. */
  async adoptPendingCredential(tenantId: string, credentialId: string): Promise<{ division: string; accountKey: string } | null> {
    const doc = await this.pending.findOne({ _id: credentialId, tenantId });
    if (!doc) return null;
    return { division: doc.division, accountKey: unseal(doc.accountKey, this.encryptionKey) };
  }

  async deletePendingCredentials(tenantId: string): Promise<void> {
    await this.pending.deleteMany({ tenantId });
  }

  sealAccountKey(accountKey: string): Sealed {
    return seal(accountKey, this.encryptionKey);
  }

  /** The connection's account key in clear, for a Maesn call; null when disconnected. */
  async revealAccountKey(tenantId: string): Promise<{ accountKey: string; division: string } | null> {
    const c = await this.getConnection(tenantId);
    if (!c?.accountKey || !c.division) return null;
    return { accountKey: unseal(c.accountKey, this.encryptionKey), division: c.division };
  }
}
