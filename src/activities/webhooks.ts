/**
 * Webhook activities: one signed delivery of one event to one endpoint (Standard Webhooks:
 * `webhook-id` = the event ID, the same on every retry and redelivery; `webhook-timestamp`;
 * `webhook-signature` by the `standardwebhooks` library), the delivery log, and the sweep that
 * hands on events whose dispatch failed.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import { subjectOf, type WebhookEvent } from '../domain';
import type { EventDoc } from '../store';
import { FailureType } from '../workflows/failures';
import type { ActivityDeps } from './common';

/** Time for one HTTP delivery (within the activity's 30 s attempt). */
export const WEBHOOK_HTTP_TIMEOUT_MS = 10_000;

/** The webhook body of a recorded event. */
export function webhookBody(event: EventDoc, publicBaseUrl: string): WebhookEvent {
  const adminUrl = new URL(`${publicBaseUrl.replace(/\/$/, '')}/admin`);
  adminUrl.searchParams.set('tenant', event.tenantId);
  return {
    type: event.type,
    timestamp: event.occurredAt.toISOString(),
    data: { ...event.data, tenantId: event.tenantId, objectId: event.objectId, subject: subjectOf(event.type), adminUrl: adminUrl.toString() },
  };
}

export interface SendResult {
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
}

/** POSTs one signed message; never throws (the result says what happened). */
export async function sendWebhook(target: { url: string; secret: string }, msg: { id: string; payload: string }, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<SendResult> {
  const now = new Date();
  const signature = new Webhook(target.secret).sign(msg.id, now, msg.payload);
  const started = Date.now();
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'exact-expense-export-webhooks/1',
        'webhook-id': msg.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: msg.payload,
      redirect: 'manual',
      signal,
    });
    await res.body?.cancel().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, httpStatus: res.status, error: ok ? null : `HTTP ${res.status}`, durationMs: Date.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, httpStatus: null, error: e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.message), durationMs: Date.now() - started };
  }
}

export function createWebhookActivities(deps: ActivityDeps) {
  const { stores, config, logger } = deps;
  return {
    /** Delivers one event; throws (retried) unless the endpoint answered 2xx. Skips a removed endpoint or event. */
    async deliverWebhook({ endpointId, eventId, redelivery }: { endpointId: string; eventId: string; redelivery: boolean }): Promise<{ outcome: 'delivered' | 'skipped'; httpStatus?: number }> {
      const ctx = Context.current();
      const [endpoint, event] = await Promise.all([stores.webhooks.endpointForDelivery(endpointId), stores.webhooks.getEvent(eventId)]);
      if (!endpoint || !event) return { outcome: 'skipped' };
      // Switched off or unsubscribed meanwhile: not sent (a redelivery was asked for explicitly).
      if (!redelivery && (!endpoint.enabled || (endpoint.events.length > 0 && !endpoint.events.includes(event.type)))) return { outcome: 'skipped' };
      const payload = JSON.stringify(webhookBody(event, config.api.publicBaseUrl));
      const r = await sendWebhook({ url: endpoint.url, secret: endpoint.secret }, { id: event._id, payload }, { timeoutMs: WEBHOOK_HTTP_TIMEOUT_MS, signal: ctx.cancellationSignal });
      await stores.webhooks.logDelivery({ endpointId, eventId, eventType: event.type, attempt: ctx.info.attempt, redelivery, outcome: r.ok ? 'delivered' : 'failed', httpStatus: r.httpStatus, error: r.error, durationMs: r.durationMs });
      if (!r.ok) throw ApplicationFailure.retryable(`webhook endpoint ${endpointId}: ${r.error}`, FailureType.webhookDeliveryFailed);
      return { outcome: 'delivered', httpStatus: r.httpStatus ?? undefined };
    },

    /** Three days of failures: the delivery log says so. */
    async recordDeliveryGaveUp({ endpointId, eventId, redelivery, message }: { endpointId: string; eventId: string; redelivery: boolean; message: string }): Promise<void> {
      const event = await stores.webhooks.getEvent(eventId);
      if (!event) return;
      await stores.webhooks.logDelivery({ endpointId, eventId, eventType: event.type, attempt: 0, redelivery, outcome: 'gave_up', httpStatus: null, error: message, durationMs: 0 });
      logger.warn({ endpointId, eventId, eventType: event.type }, 'webhook delivery given up after its retry period');
    },

    /** Hands on events whose dispatch failed (recorded more than a minute ago and still undispatched). */
    async dispatchPendingEvents(): Promise<{ keys: number }> {
      const keys = await stores.webhooks.undispatchedKeys(new Date(Date.now() - 60_000));
      for (const key of keys) await stores.webhooks.dispatch(key);
      return { keys: keys.length };
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
