/**
 * Maesn webhook subscriptions of each tenant (one per subscribed resource; the signing secret
 * sealed with the key ring, bound to the subscription's ID) and the signatures of deliveries
 * already accepted (a replayed delivery is recognised and ignored).
 */
import type { Collection, Db } from 'mongodb';
import type { KeyRing } from '../crypto';
import { openWebhookSecret, sealWebhookSecret, type SealedV2 } from './crypto';
import { isDuplicateKeyError } from './mongo';

export interface MaesnSubscriptionDoc {
  _id: string; // Maesn's webhook ID
  tenantId: string;
  resource: string;
  callbackUrl: string;
  secret: SealedV2;
  expiresAt: Date;
  createdAt: Date;
}

export type MaesnSubscription = Omit<MaesnSubscriptionDoc, 'secret'>;

interface SeenDelivery {
  _id: string; // SHA-256 of the signature
  at: Date;
}

export class MaesnSubscriptionStore {
  readonly col: Collection<MaesnSubscriptionDoc>;
  private readonly seen: Collection<SeenDelivery>;

  constructor(
    db: Db,
    private readonly keyRing: KeyRing,
  ) {
    this.col = db.collection<MaesnSubscriptionDoc>('maesn_subscriptions');
    this.seen = db.collection<SeenDelivery>('maesn_webhook_deliveries');
  }

  async ensureIndexes(): Promise<void> {
    await this.col.createIndex({ tenantId: 1 });
    await this.col.createIndex({ expiresAt: 1 });
  }

  async put(sub: { id: string; tenantId: string; resource: string; callbackUrl: string; secret: string; expiresAt: Date }): Promise<void> {
    const doc: MaesnSubscriptionDoc = { _id: sub.id, tenantId: sub.tenantId, resource: sub.resource, callbackUrl: sub.callbackUrl, secret: sealWebhookSecret(this.keyRing, sub.id, sub.secret), expiresAt: sub.expiresAt, createdAt: new Date() };
    await this.col.replaceOne({ _id: sub.id }, doc, { upsert: true });
  }

  async list(tenantId: string): Promise<MaesnSubscription[]> {
    return (await this.col.find({ tenantId }).toArray()).map(({ secret: _s, ...rest }) => rest);
  }

  /** The tenant's subscriptions with their secrets in clear (to verify a delivery). */
  async secretsOf(tenantId: string): Promise<{ id: string; resource: string; secret: string }[]> {
    const docs = await this.col.find({ tenantId }).toArray();
    return docs.map((d) => ({ id: d._id, resource: d.resource, secret: openWebhookSecret(this.keyRing, d._id, d.secret) }));
  }

  async delete(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }

  async deleteAllOf(tenantId: string): Promise<number> {
    return (await this.col.deleteMany({ tenantId })).deletedCount;
  }

  /** Subscriptions that expire before `before` (to renew). */
  async expiringBefore(before: Date): Promise<MaesnSubscription[]> {
    return (await this.col.find({ expiresAt: { $lt: before } }).toArray()).map(({ secret: _s, ...rest }) => rest);
  }

  /** Remembers a delivery by its signature; false when it was seen before (a replay). */
  async markDelivered(signatureHash: string): Promise<boolean> {
    try {
      await this.seen.insertOne({ _id: signatureHash, at: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** Forgets deliveries older than the replay window (they are refused by their timestamp anyway). */
  async deleteDeliveredBefore(before: Date): Promise<number> {
    return (await this.seen.deleteMany({ at: { $lt: before } })).deletedCount;
  }
}
