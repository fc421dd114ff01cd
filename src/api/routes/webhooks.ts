/**
 * Webhook endpoints of the platform (platform key): create or change one (`PUT`, its secret is
 * generated and shown once unless the platform brings its own), list them, read an endpoint's
 * delivery log, and send one event again.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { WEBHOOK_SECRET_PATTERN, eventTypeSchema, eventTypes } from '../../domain';
import { redeliverEvent } from '../../services';
import type { DeliveryDoc, WebhookEndpoint } from '../../store';
import { notFound } from '../errors';
import { addRoute, errors, type Api } from '../route';
import type { RouteDeps } from './shared';

const endpointParams = z.object({ endpointId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (1-64 characters, starting with a letter or digit)') });

const endpointSchema = z
  .object({
    endpointId: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(eventTypeSchema),
    enabled: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WebhookEndpoint' });

const deliverySchema = z
  .object({
    eventId: z.string(),
    eventType: eventTypeSchema,
    attempt: z.number().int(),
    redelivery: z.boolean(),
    outcome: z.enum(['delivered', 'failed', 'gave_up']),
    httpStatus: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    at: z.string(),
  })
  .meta({ id: 'WebhookDelivery' });

const putBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).max(2048),
  /** Event types to deliver; omitted or empty: all of them. */
  events: z.array(eventTypeSchema).max(eventTypes.length).optional(),
  description: z.string().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
  /** Your own Standard Webhooks secret (`whsec_` + base64 of 24-64 bytes); omitted: one is generated for a new endpoint. */
  secret: z.string().regex(WEBHOOK_SECRET_PATTERN, 'whsec_ followed by 24 to 64 bytes in base64').optional(),
  /** Generate a new secret (shown once in the answer). */
  rotateSecret: z.boolean().optional(),
});

const toJson = (e: WebhookEndpoint) => ({ endpointId: e._id, url: e.url, description: e.description, events: e.events, enabled: e.enabled, createdAt: e.createdAt.toISOString(), updatedAt: e.updatedAt.toISOString() });
const deliveryJson = (d: DeliveryDoc) => ({ eventId: d.eventId, eventType: d.eventType, attempt: d.attempt, redelivery: d.redelivery, outcome: d.outcome, httpStatus: d.httpStatus, error: d.error, durationMs: d.durationMs, at: d.at.toISOString() });

export function webhookRoutes(deps: RouteDeps, api: Api): void {
  const { stores } = deps;

  addRoute(api, {
    method: 'put',
    path: '/api/webhook-endpoints/:endpointId',
    access: 'platform',
    summary: 'Create or change a webhook endpoint (Standard Webhooks); a generated secret is in the answer only once',
    tags: ['webhooks'],
    params: endpointParams,
    body: putBody,
    responses: {
      200: { description: 'changed', schema: z.object({ endpoint: endpointSchema, secret: z.string().optional() }) },
      201: { description: 'created', schema: z.object({ endpoint: endpointSchema, secret: z.string().optional() }) },
      ...errors(400),
    },
    handler: async ({ params, body }, _req, res) => {
      const existing = await stores.webhooks.getEndpoint(params.endpointId);
      const generated = body.secret === undefined && (!existing || body.rotateSecret) ? `whsec_${randomBytes(32).toString('base64')}` : undefined;
      const { endpoint, created } = await stores.webhooks.putEndpoint(params.endpointId, {
        url: body.url,
        description: body.description ?? existing?.description ?? null,
        events: body.events ?? existing?.events ?? [],
        enabled: body.enabled ?? existing?.enabled ?? true,
        secret: body.secret ?? generated,
      });
      deps.logger.info({ endpointId: endpoint._id, created, events: endpoint.events, secretChanged: body.secret !== undefined || generated !== undefined }, 'webhook endpoint saved');
      res.status(created ? 201 : 200).json({ endpoint: toJson(endpoint), ...(generated ? { secret: generated } : {}) });
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/webhook-endpoints',
    access: 'platform',
    summary: 'The webhook endpoints (without their secrets)',
    tags: ['webhooks'],
    responses: { 200: { description: 'endpoints', schema: z.object({ endpoints: z.array(endpointSchema), eventTypes: z.array(eventTypeSchema) }) } },
    handler: async () => ({ endpoints: (await stores.webhooks.listEndpoints()).map(toJson), eventTypes: [...eventTypes] }),
  });

  addRoute(api, {
    method: 'get',
    path: '/api/webhook-endpoints/:endpointId',
    access: 'platform',
    summary: 'One webhook endpoint (without its secret)',
    tags: ['webhooks'],
    params: endpointParams,
    responses: { 200: { description: 'the endpoint', schema: endpointSchema }, ...errors(400, 404) },
    handler: async ({ params }) => {
      const e = await stores.webhooks.getEndpoint(params.endpointId);
      if (!e) throw notFound(`webhook endpoint ${params.endpointId}`);
      return toJson(e);
    },
  });

  addRoute(api, {
    method: 'get',
    path: '/api/webhook-endpoints/:endpointId/deliveries',
    access: 'platform',
    summary: "The endpoint's delivery log, newest first: every attempt with its outcome",
    tags: ['webhooks'],
    params: endpointParams,
    query: z.strictObject({ eventId: z.string().max(100).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
    responses: { 200: { description: 'attempts', schema: z.object({ deliveries: z.array(deliverySchema) }) }, ...errors(400, 404) },
    handler: async ({ params, query }) => {
      if (!(await stores.webhooks.getEndpoint(params.endpointId))) throw notFound(`webhook endpoint ${params.endpointId}`);
      return { deliveries: (await stores.webhooks.listDeliveries(params.endpointId, query)).map(deliveryJson) };
    },
  });

  addRoute(api, {
    method: 'post',
    path: '/api/webhook-endpoints/:endpointId/events/:eventId/redeliver',
    access: 'platform',
    summary: 'Send one event to the endpoint again (the same `webhook-id`, so a receiver recognises it)',
    tags: ['webhooks'],
    params: endpointParams.extend({ eventId: z.string().regex(/^evt_[a-f0-9]{32}$/, 'an event ID (evt_…)') }),
    responses: { 202: { description: 'queued', schema: z.object({ eventId: z.string(), workflowId: z.string() }) }, ...errors(400, 404) },
    handler: async ({ params }, _req, res) => {
      const r = await redeliverEvent(deps, params.endpointId, params.eventId);
      res.status(202).json({ eventId: params.eventId, workflowId: r.workflowId });
    },
  });
}
