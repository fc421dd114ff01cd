/** Webhook subscriptions of a connection: `POST /webhooks`, `GET /webhooks`, `DELETE /webhooks/{webhookId}` (see ../webhooks.ts). */
import express, { type Express } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../http-errors';
import type { RouteDeps } from '../pipeline';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_RESOURCES, type Subscription } from '../webhooks';

const createSchema = z.object({
  callbackUrl: z.url({ protocol: /^https?$/ }),
  resource: z.enum(WEBHOOK_RESOURCES),
  eventType: z.enum(WEBHOOK_EVENT_TYPES).optional(),
  targetSystem: z.string().optional(),
});

const dto = (s: Subscription, withSecret: boolean) => ({
  id: s.id,
  callbackUrl: s.callbackUrl,
  createdDate: s.createdDate,
  updatedDate: s.updatedDate,
  expiresDate: s.expiresDate,
  ...(withSecret ? { secret: s.secret } : {}),
});

export function registerWebhookRoutes(app: Express, { ctx, pipeline }: RouteDeps): void {
  app.post(
    '/webhooks',
    ...pipeline.api(
      'createWebhook',
      (req, res, { connection, division }) => {
        const r = createSchema.safeParse(req.body ?? {});
        if (!r.success) {
          throw badRequest('Invalid webhook request (Exact Online supports resource ACCOUNT and CONTACT)', r.error.issues.map((i) => ({ code: 'INVALID', message: i.message, field: i.path.join('.') })));
        }
        const sub = ctx.webhooks.create(connection, division.info.code, { callbackUrl: r.data.callbackUrl, resource: r.data.resource, eventType: r.data.eventType ?? null });
        res.status(201).json({ data: dto(sub, true) });
      },
      { body: express.json() },
    ),
  );

  app.get('/webhooks', ...pipeline.api('getWebhooks', (_req, res, { connection }) => {
    res.json({ data: ctx.webhooks.list(connection).map((s) => dto(s, false)) });
  }));

  app.delete('/webhooks/:webhookId', ...pipeline.api('deleteWebhook', (req, res, { connection }) => {
    if (!ctx.webhooks.delete(connection, String(req.params.webhookId))) throw notFound(`Webhook ${String(req.params.webhookId)} not found`);
    res.json({});
  }));
}
