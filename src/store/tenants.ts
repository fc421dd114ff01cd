/**
 * Tenants and their Exact Online connection (one current connection per tenant).
 * The Maesn account key is stored sealed (AES-256-GCM, key ring, tenant ID as associated data,
 * see ./crypto) and never leaves this module in clear except through `revealAccountKey` and
 * `adoptPendingCredential`.
 */
import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { KeyRing } from '../crypto';
import { tenantSettingsSchema, type TenantSettings } from '../domain';
import { claimOnce } from './claims';
import { isCurrent, openAccountKey, sealAccountKey, type Sealed } from './crypto';
import { upsertRetrying } from './mongo';

export interface Tenant {
  _id: string;
  name: string;
  /** Booking settings (time zone, booking date, closed-period policy); absent = the defaults. */
  settings?: TenantSettings;
  createdAt: Date;
  updatedAt: Date;
}

export const connectionStates = ['awaiting_authorization', 'syncing', 'connected', 'needs_reauthorization', 'disconnected', 'error', 'division_change_pending'] as const;
/** `division_change_pending` is never stored: it is shown while `divisionChange` is set (see `connectionStateOf`). */
export type ConnectionState = (typeof connectionStates)[number];

/**
 * A reconnect that chose another division than the tenant had: the new credential waits here
 * until an admin confirms (then it replaces the connection's) or rejects it (then it is dropped).
 */
export interface DivisionChange {
  division: string;
  divisionName: string | null;
  accountKey: Sealed;
  previousDivision: string;
  requestedAt: Date;
}

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
  /** When the connection's division became this one: sync runs before it read another administration. */
  divisionSince?: Date;
  updatedAt: Date;
  error?: { message: string; at: Date } | null;
  pendingAuthorization?: { state: string; authorizationUrl?: string; startedAt: Date; workflowId: string } | null;
  /** The state before the pending authorization began (restored if the link expires unused). */
  stateBeforeAuthorization?: ConnectionState;
  lastFullSyncAt?: Date;
  mappingHealth?: MappingHealth;
  /** Set while a switch to another division waits for an admin's confirmation. */
  divisionChange?: DivisionChange | null;
}

/** The state to show and to act on: a pending division change overrides the stored state. */
export function connectionStateOf(conn: Pick<ConnectionDoc, 'state' | 'divisionChange'> | null): ConnectionState {
  if (!conn) return 'disconnected';
  return conn.divisionChange ? 'division_change_pending' : conn.state;
}

/**
 * A credential received on the connect callback, waiting for the onboarding workflow to adopt it.
 * Its `_id` derives from the tenant and the authorization's `state`: one callback per authorization
 * is accepted (inserting it is the claim, see ./claims).
 */
interface PendingCredentialDoc {
  _id: string;
  tenantId: string;
  state: string;
  division: string;
  accountKey: Sealed;
  createdAt: Date;
}

/** Who adopted a pending credential (its `_id`): the first adopter's claim, kept until retention. */
interface AdoptionDoc {
  _id: string;
  tenantId: string;
  adopter: string;
  at: Date;
}

/** What `reseal` did to one collection. */
export interface ResealCounts {
  /** Sealed with an older key or the earlier format, now with the current key. */
  resealed: number;
  /** Already sealed with the current key. */
  current: number;
  /** Did not open (key not in the ring, or altered): left as they are, listed by document ID. */
  failed: { id: string; reason: string }[];
}

export interface TenantStoreOptions {
  keyRing: KeyRing;
  /** How long a credential from the connect callback may wait for its onboarding run. */
  pendingCredentialTtlMs: number;
}

export class TenantStore {
  readonly tenants: Collection<Tenant>;
  readonly connections: Collection<ConnectionDoc>;
  private readonly pending: Collection<PendingCredentialDoc>;
  private readonly adoptions: Collection<AdoptionDoc>;
  private readonly keyRing: KeyRing;
  private readonly pendingTtlMs: number;

  constructor(db: Db, opts: TenantStoreOptions) {
    this.keyRing = opts.keyRing;
    this.pendingTtlMs = opts.pendingCredentialTtlMs;
    this.tenants = db.collection<Tenant>('tenants');
    this.connections = db.collection<ConnectionDoc>('connections');
    this.pending = db.collection<PendingCredentialDoc>('pending_credentials');
    this.adoptions = db.collection<AdoptionDoc>('credential_adoptions');
  }

  async ensureIndexes(): Promise<void> {
    await this.pending.createIndex({ tenantId: 1, createdAt: -1 });
    await this.connections.createIndex({ state: 1 });
    await this.adoptions.createIndex({ at: 1 });
  }

  /** Creates the tenant; an existing one with the same name is returned as is, another name is a conflict. */
  async create(tenantId: string, name: string): Promise<{ tenant: Tenant; created: boolean; conflict: boolean }> {
    const now = new Date();
    // An insert, not an upsert: of concurrent creates exactly one is told it created the tenant.
    const r = await claimOnce(this.tenants, { _id: tenantId, name, createdAt: now, updatedAt: now });
    if (r.won) return { tenant: r.doc, created: true, conflict: false };
    if (!r.holder) throw new Error(`tenant ${tenantId} exists and vanished while it was read`);
    return { tenant: r.holder, created: false, conflict: r.holder.name !== name };
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
    await upsertRetrying(() => this.connections.updateOne({ _id: tenantId }, update as never, { upsert: true }));
  }

  /**
   * Stores the credential from the connect callback of authorization `state`; returns its reference
   * for the workflow signal, or null when a callback of this authorization was stored already
   * (the link opened twice: only the first counts).
   */
  async storePendingCredential(tenantId: string, state: string, division: string, accountKey: string): Promise<string | null> {
    const id = createHash('sha256').update(`${tenantId}\0${state}`).digest('hex');
    const r = await claimOnce(this.pending, { _id: id, tenantId, state, division, accountKey: sealAccountKey(this.keyRing, tenantId, accountKey), createdAt: new Date() });
    return r.won ? id : null;
  }

  /** Forgets one pending credential (its callback could not hand it on): the callback may come again. */
  async deletePendingCredential(tenantId: string, credentialId: string): Promise<void> {
    await this.pending.deleteOne({ _id: credentialId, tenantId });
  }

  /**
   * Hands a pending credential to `adopter` (an onboarding run), once: the first adopter gets it,
   * also again on its retries; any other adopter, an unknown or an expired credential gets null.
   */
  async adoptPendingCredential(tenantId: string, credentialId: string, adopter: string): Promise<{ division: string; accountKey: string } | null> {
    const now = new Date();
    const doc = await this.pending.findOne({ _id: credentialId, tenantId, createdAt: { $gt: this.pendingCutoff(now) } });
    if (!doc) return null;
    const claim = await claimOnce(this.adoptions, { _id: credentialId, tenantId, adopter, at: now });
    if (!claim.won && claim.holder?.adopter !== adopter) return null;
    return { division: doc.division, accountKey: openAccountKey(this.keyRing, tenantId, doc.accountKey) };
  }

  private pendingCutoff(now: Date): Date {
    return new Date(now.getTime() - this.pendingTtlMs);
  }

  /** Deletes credentials from callbacks that no onboarding run adopted in time (retention). */
  async deleteExpiredPendingCredentials(now = new Date()): Promise<number> {
    const cutoff = this.pendingCutoff(now);
    const r = await this.pending.deleteMany({ createdAt: { $lte: cutoff } });
    // An adoption outlives its credential until then, so a late adopter of a deleted one is refused too.
    await this.adoptions.deleteMany({ at: { $lte: cutoff } });
    return r.deletedCount;
  }

  /** Deletes the tenant's pending credentials (only those of one authorization `state` when given). */
  async deletePendingCredentials(tenantId: string, state?: string): Promise<number> {
    const r = await this.pending.deleteMany(state === undefined ? { tenantId } : { tenantId, state });
    return r.deletedCount;
  }

  /** Seals an account key for this tenant's connection (it opens for this tenant only). */
  sealAccountKey(tenantId: string, accountKey: string): Sealed {
    return sealAccountKey(this.keyRing, tenantId, accountKey);
  }

  /**
   * The connection's account key in clear, for a Maesn call; null when disconnected.
   * `divisionChangePending`: another division waits for confirmation (nothing may be posted meanwhile).
   */
  async revealAccountKey(tenantId: string): Promise<{ accountKey: string; division: string; divisionChangePending: boolean; keyId: string } | null> {
    const c = await this.getConnection(tenantId);
    if (!c?.accountKey || !c.division) return null;
    return { accountKey: openAccountKey(this.keyRing, tenantId, c.accountKey), division: c.division, divisionChangePending: !!c.divisionChange, keyId: c.accountKey.iv };
  }

  /**
   * Re-seals every stored account key (connections and pending credentials) with the current key
   * of the ring, and checks that every one opens. Idempotent; a key changed meanwhile by someone
   * else is left to them (the update only applies while the document still holds what was read).
   */
  async resealAll(): Promise<{ connections: ResealCounts; pendingCredentials: ResealCounts }> {
    const run = async (col: Collection<ConnectionDoc> | Collection<PendingCredentialDoc>, tenantOf: (d: { _id: string; tenantId?: string }) => string) => {
      const counts: ResealCounts = { resealed: 0, current: 0, failed: [] };
      const c = col as unknown as Collection<{ _id: string; tenantId?: string; accountKey?: Sealed }>;
      // Read first, then write: a cursor may show a document again after it was updated.
      const docs = await c.find({ accountKey: { $exists: true } }, { projection: { _id: 1, tenantId: 1, accountKey: 1 } }).toArray();
      for (const doc of docs) {
        const sealed = doc.accountKey!;
        const tenantId = tenantOf(doc);
        let plain: string;
        try {
          // Opened even when current: a key that no longer opens (altered, another tenant's) is reported.
          plain = openAccountKey(this.keyRing, tenantId, sealed);
        } catch (err) {
          counts.failed.push({ id: doc._id, reason: (err as Error).message });
          continue;
        }
        if (isCurrent(this.keyRing, sealed)) {
          counts.current++;
          continue;
        }
        const r = await c.updateOne({ _id: doc._id, 'accountKey.data': sealed.data }, { $set: { accountKey: sealAccountKey(this.keyRing, tenantId, plain) } });
        if (r.modifiedCount === 1) counts.resealed++;
      }
      return counts;
    };
    return {
      connections: await run(this.connections, (d) => d._id),
      pendingCredentials: await run(this.pending, (d) => d.tenantId!),
    };
  }

  /** Identifies the stored account key without revealing it (changes on reconnect, null after disconnect). */
  async accountKeyId(tenantId: string): Promise<string | null> {
    const c = await this.connections.findOne({ _id: tenantId }, { projection: { 'accountKey.iv': 1 } });
    return c?.accountKey?.iv ?? null;
  }
}
