/**
 * Maesn's webhooks, as the sandbox imitates them for Exact Online: subscriptions of one connection
 * (`POST /webhooks` with `callbackUrl`, `resource`, optional `eventType`), which expire (a year by
 * default, like Maesn's example) and carry a secret; and the deliveries: when master data changes
 * through the control API, every matching subscription of the division gets a POST with the
 * ping-and-pull body `{ resource, eventType, id, companyId, targetSystem, timestamp }` and
 * `X-MAESN-SIGNATURE` = lowercase hex HMAC-SHA256 of the raw body with the subscription's secret.
 *
 * Exact's webhooks cover accounts and contacts only (CONTACT changes arrive as SUPPLIER); other
 * resources are refused with 400 as Maesn would for Exact. Deliveries are fire-and-forget with two
 * retries a second apart. Subscriptions persist in the data folder (`webhooks.json`).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { MonotonicClock } from './ids';
import type { JsonFileStore } from './persistence';
import type { MasterKind } from './state';
import type { Connection } from './types';

export const WEBHOOK_RESOURCES = ['ACCOUNT', 'CONTACT', 'SUPPLIER'] as const;
export const WEBHOOK_EVENT_TYPES = ['CREATED', 'UPDATED', 'DELETED'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The resource a change of master data is announced as (null: Exact has no webhook for it). */
const RESOURCE_OF: Partial<Record<MasterKind, string>> = { accounts: 'ACCOUNT', suppliers: 'SUPPLIER' };
/** The subscription resources that receive the events of a resource. */
const SUBSCRIBED_AS: Record<string, string[]> = { ACCOUNT: ['ACCOUNT'], SUPPLIER: ['CONTACT', 'SUPPLIER'] };

export interface Subscription {
  id: string;
  /** The connection (hashed account key) that subscribed. */
  keyHash: string;
  division: string;
  targetSystem: string;
  callbackUrl: string;
  resource: string;
  eventType: WebhookEventType | null;
  secret: string;
  createdDate: string;
  updatedDate: string;
  expiresDate: string;
}

/** The signature Maesn puts in `X-MAESN-SIGNATURE` (exported for tests). */
export function signWebhookBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export class WebhookRegistry {
  private readonly subs = new Map<string, Subscription>();

  constructor(
    private readonly store: JsonFileStore,
    private readonly clock: MonotonicClock,
    private readonly logger: Logger,
    private readonly ttlMs = 365 * 24 * 3600_000,
  ) {
    for (const s of store.read<Subscription[]>('webhooks.json') ?? []) this.subs.set(s.id, s);
  }

  private persist(): void {
    this.store.markDirty('webhooks.json', () => [...this.subs.values()]);
  }

  create(conn: Connection, division: string, input: { callbackUrl: string; resource: string; eventType: WebhookEventType | null }): Subscription {
    const now = this.clock.wall();
    const sub: Subscription = {
      id: randomUUID(),
      keyHash: conn.keyHash,
      division,
      targetSystem: conn.targetSystem,
      callbackUrl: input.callbackUrl,
      resource: input.resource,
      eventType: input.eventType,
      secret: randomBytes(32).toString('hex'),
      createdDate: now.toISOString(),
      updatedDate: now.toISOString(),
      expiresDate: new Date(now.getTime() + this.ttlMs).toISOString(),
    };
    this.subs.set(sub.id, sub);
    this.persist();
    return sub;
  }

  list(conn: Connection): Subscription[] {
    return [...this.subs.values()].filter((s) => s.keyHash === conn.keyHash);
  }

  delete(conn: Connection, id: string): boolean {
    const s = this.subs.get(id);
    if (!s || s.keyHash !== conn.keyHash) return false;
    this.subs.delete(id);
    this.persist();
    return true;
  }

  /** Announces a change of master data to the division's matching, unexpired subscriptions. */
  emit(division: string, kind: MasterKind, eventType: WebhookEventType, recordId: string): void {
    const resource = RESOURCE_OF[kind];
    if (!resource) return;
    const now = this.clock.wall();
    for (const s of this.subs.values()) {
      if (s.division !== division || !SUBSCRIBED_AS[resource].includes(s.resource)) continue;
      if (s.eventType && s.eventType !== eventType) continue;
      if (new Date(s.expiresDate).getTime() <= now.getTime()) continue;
      const body = JSON.stringify({ resource, eventType, id: recordId, companyId: division, targetSystem: s.targetSystem, timestamp: now.toISOString() });
      void this.deliver(s, body, 3);
    }
  }

  private async deliver(s: Subscription, body: string, attempts: number): Promise<void> {
    for (let i = 1; i <= attempts; i++) {
      try {
        const res = await fetch(s.callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-maesn-signature': signWebhookBody(body, s.secret) }, body, signal: AbortSignal.timeout(10_000) });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return;
        this.logger.warn({ webhookId: s.id, status: res.status, attempt: i }, 'sandbox webhook answered with an error');
      } catch (err) {
        this.logger.warn({ webhookId: s.id, err: (err as Error).message, attempt: i }, 'sandbox webhook delivery failed');
      }
      if (i < attempts) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
