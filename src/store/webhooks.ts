/**
 * Outbound webhooks: the platform's endpoints (secrets sealed with the key ring), the events the
 * service recorded (an outbox: an event is stored before anyone is told), and the delivery log.
 *
 * Recording an event calls the dispatcher (set by the process that can start Temporal workflows):
 * it hands every event of the ordering key that nobody dispatched yet to the delivery workflows.
 * A dispatcher that fails leaves the events undispatched; the next event of the same key, or the
 * hourly sweep (`undispatchedKeys`), takes them along.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { KeyRing } from '../crypto';
import { orderingKeyOf, type EventType, type NewEvent } from '../domain';
import { claimOnce } from './claims';
import { openWebhookSecret, sealWebhookSecret, type SealedV2 } from './crypto';

export interface WebhookEndpointDoc {
  _id: string;
  url: string;
  description: string | null;
  /** Event types delivered to it; empty = every type. */
  events: EventType[];
  enabled: boolean;
  secret: SealedV2;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookEndpoint = Omit<WebhookEndpointDoc, 'secret'>;

export interface EventDoc {
  _id: string;
  type: EventType;
  tenantId: string;
  objectId: string;
  orderingKey: string;
  data: Record<string, unknown>;
  occurredAt: Date;
  /** When it was handed to the delivery workflows (null: not yet). */
  dispatchedAt: Date | null;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'gave_up';

export interface DeliveryDoc {
  _id: string;
  endpointId: string;
  eventId: string;
  eventType: EventType;
  attempt: number;
  redelivery: boolean;
  outcome: DeliveryOutcome;
  httpStatus: number | null;
  /** Why it failed (status line or network error); never a secret. */
  error: string | null;
  durationMs: number;
  at: Date;
}

/** Hands the undispatched events of one ordering key to delivery. */
export type EventDispatcher = (orderingKey: string) => Promise<void>;

export class WebhookStore {
  readonly endpoints: Collection<WebhookEndpointDoc>;
  readonly events: Collection<EventDoc>;
  readonly deliveries: Collection<DeliveryDoc>;
  private dispatcher: EventDispatcher | null = null;

  constructor(
    db: Db,
    private readonly keyRing: KeyRing,
  ) {
    this.endpoints = db.collection<WebhookEndpointDoc>('webhook_endpoints');
    this.events = db.collection<EventDoc>('webhook_events');
    this.deliveries = db.collection<DeliveryDoc>('webhook_deliveries');
  }

  async ensureIndexes(): Promise<void> {
    await this.events.createIndex({ orderingKey: 1, dispatchedAt: 1, occurredAt: 1 });
    await this.deliveries.createIndex({ endpointId: 1, at: -1 });
  }

  /** Who hands recorded events to delivery (the worker and the API set it; without one, events wait for the sweep). */
  setDispatcher(dispatcher: EventDispatcher | null): void {
    this.dispatcher = dispatcher;
  }

  // --- endpoints -------------------------------------------------------------------------------

  /** Creates or replaces an endpoint; `secret` replaces the stored one (required on creation). */
  async putEndpoint(id: string, input: { url: string; description: string | null; events: EventType[]; enabled: boolean; secret?: string }): Promise<{ endpoint: WebhookEndpoint; created: boolean }> {
    const now = new Date();
    const existing = await this.endpoints.findOne({ _id: id });
    if (!existing && input.secret === undefined) throw new Error('a new endpoint needs a secret');
    const secret = input.secret !== undefined ? sealWebhookSecret(this.keyRing, id, input.secret) : existing!.secret;
    const doc: WebhookEndpointDoc = { _id: id, url: input.url, description: input.description, events: input.events, enabled: input.enabled, secret, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.endpoints.replaceOne({ _id: id }, doc, { upsert: true });
    return { endpoint: publicEndpoint(doc), created: !existing };
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint | null> {
    const doc = await this.endpoints.findOne({ _id: id });
    return doc ? publicEndpoint(doc) : null;
  }

  async listEndpoints(): Promise<WebhookEndpoint[]> {
    return (await this.endpoints.find({}).sort({ _id: 1 }).toArray()).map(publicEndpoint);
  }

  /** The endpoint with its secret in clear, for signing a delivery. */
  async endpointForDelivery(id: string): Promise<(WebhookEndpoint & { secret: string }) | null> {
    const doc = await this.endpoints.findOne({ _id: id });
    return doc ? { ...publicEndpoint(doc), secret: openWebhookSecret(this.keyRing, id, doc.secret) } : null;
  }

  /** IDs of the enabled endpoints that take events of `type`. */
  async subscribedEndpointIds(type: EventType): Promise<string[]> {
    const docs = await this.endpoints.find({ enabled: true }, { projection: { _id: 1, events: 1 } }).toArray();
    return docs.filter((d) => d.events.length === 0 || d.events.includes(type)).map((d) => d._id);
  }

  // --- events ----------------------------------------------------------------------------------

  /**
   * Records an event and hands it (with any undispatched one of its key) to delivery. With
   * `onceKey` (e.g. the activity that announces it), recording again under the same key, as a
   * retried activity does, records nothing new. An event no enabled endpoint takes is recorded as
   * handed on (nothing to deliver), without looking for others of its key: those go with the
   * next event that is delivered, or the hourly sweep.
   */
  async record(event: NewEvent, occurredAt = new Date(), onceKey?: string): Promise<EventDoc> {
    const subscribed = this.dispatcher ? (await this.subscribedEndpointIds(event.type)).length > 0 : true;
    const doc: EventDoc = {
      _id: `evt_${onceKey ? createHash('sha256').update(onceKey).digest('hex').slice(0, 32) : randomUUID().replace(/-/g, '')}`,
      type: event.type,
      tenantId: event.tenantId,
      objectId: event.objectId,
      orderingKey: orderingKeyOf(event.type, event.tenantId, event.objectId),
      data: event.data as Record<string, unknown>,
      occurredAt,
      dispatchedAt: subscribed ? null : occurredAt,
    };
    const claim = await claimOnce(this.events, doc);
    if (subscribed) await this.dispatch(doc.orderingKey);
    return claim.won ? doc : (claim.holder ?? doc);
  }

  /** Calls the dispatcher for `orderingKey` (no-op without one). */
  async dispatch(orderingKey: string): Promise<void> {
    await this.dispatcher?.(orderingKey);
  }

  getEvent(id: string): Promise<EventDoc | null> {
    return this.events.findOne({ _id: id });
  }

  /** Events of `orderingKey` not handed to delivery yet, oldest first. */
  undispatched(orderingKey: string): Promise<EventDoc[]> {
    return this.events.find({ orderingKey, dispatchedAt: null }).sort({ occurredAt: 1, _id: 1 }).toArray();
  }

  async markDispatched(ids: string[]): Promise<void> {
    if (ids.length) await this.events.updateMany({ _id: { $in: ids } }, { $set: { dispatchedAt: new Date() } });
  }

  /** Ordering keys with events recorded before `before` and still undispatched (for the sweep). */
  async undispatchedKeys(before: Date, limit = 500): Promise<string[]> {
    const docs = await this.events.find({ dispatchedAt: null, occurredAt: { $lt: before } }, { projection: { orderingKey: 1 } }).limit(limit).toArray();
    return [...new Set(docs.map((d) => d.orderingKey))];
  }

  /** Events of one tenant, newest first (tests and operators). */
  eventsOf(tenantId: string, limit = 100): Promise<EventDoc[]> {
    return this.events.find({ tenantId }).sort({ occurredAt: -1 }).limit(limit).toArray();
  }

  // --- deliveries ------------------------------------------------------------------------------

  async logDelivery(d: Omit<DeliveryDoc, '_id' | 'at'>): Promise<void> {
    await this.deliveries.insertOne({ _id: randomUUID(), at: new Date(), ...d });
  }

  /** The endpoint's delivery log, newest first. */
  listDeliveries(endpointId: string, filter: { eventId?: string; limit: number }): Promise<DeliveryDoc[]> {
    return this.deliveries
      .find({ endpointId, ...(filter.eventId ? { eventId: filter.eventId } : {}) })
      .sort({ at: -1 })
      .limit(filter.limit)
      .toArray();
  }

  /**
   * Deletes the delivery attempts made before `cutoff` and the events handed to delivery before it;
   * an event not yet handed to delivery stays whatever its age. (FerretDB has no TTL indexes: the
   * retention run calls this.)
   */
  async deleteOlderThan(cutoff: Date): Promise<{ events: number; deliveries: number }> {
    const deliveries = await this.deliveries.deleteMany({ at: { $lt: cutoff } });
    const events = await this.events.deleteMany({ dispatchedAt: { $lt: cutoff } });
    return { events: events.deletedCount, deliveries: deliveries.deletedCount };
  }
}

function publicEndpoint(doc: WebhookEndpointDoc): WebhookEndpoint {
  const { secret: _secret, ...rest } = doc;
  return rest;
}
