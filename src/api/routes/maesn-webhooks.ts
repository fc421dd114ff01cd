/**
 * Maesn's change events (`POST /api/maesn/webhooks?tenantId=…`): public, authenticated by the
 * signature of the tenant's subscription (`X-MAESN-SIGNATURE`, constant-time), refused outside
 * the replay window (MAESN_WEBHOOK_TOLERANCE), a replay (same signature) is acknowledged and
 * ignored. An accepted event starts the tenant's debounced incremental sync of that resource.
 */
import { z } from 'zod';
import { syncResourceOfWebhook } from '../../domain';
import { masterDataChanged } from '../../services';
import { HttpError } from '../errors';
import { matchMaesnSignature, signatureKey } from '../maesn-signature';
import { addRoute, errors, type Api, type RawBodyRequest } from '../route';
import { tenantIdSchema, type RouteDeps } from './shared';

const eventSchema = z.strictObject({
  resource: z.string().min(1).max(64),
  eventType: z.string().max(64).optional(),
  id: z.string().max(200).optional(),
  companyId: z.string().max(64).optional(),
  targetSystem: z.string().max(64).optional(),
  timestamp: z.iso.datetime({ offset: true }),
});

const resultSchema = z.object({ status: z.enum(['accepted', 'duplicate', 'ignored']) });

export function maesnWebhookRoutes(deps: RouteDeps, api: Api): void {
  const { stores, config } = deps;
  addRoute(api, {
    method: 'post',
    path: '/api/maesn/webhooks',
    access: 'public',
    summary: "Maesn's change events (signed with the tenant's subscription secret): a changed record starts a debounced incremental sync of its kind",
    tags: ['exact connection'],
    // Optional only so that a delivery without it is refused as unsigned (403), like any other.
    query: z.strictObject({ tenantId: tenantIdSchema.optional() }),
    body: eventSchema,
    bodyLimitBytes: 64 * 1024,
    rawBody: true,
    responses: {
      202: { description: 'accepted (or ignored: a resource we do not sync, another division)', schema: resultSchema },
      200: { description: 'a delivery seen before: nothing done', schema: resultSchema },
      403: { description: 'the signature does not match a subscription of the tenant, or the timestamp is outside the replay window', schema: errors(403)[403].schema },
      ...errors(400),
    },
    handler: async ({ query, body }, req, res) => {
      const tenantId = query.tenantId;
      const signature = req.get('x-maesn-signature');
      const raw = (req as RawBodyRequest).rawBody ?? Buffer.alloc(0);
      const subscription = tenantId ? matchMaesnSignature(raw, signature, await stores.maesnSubscriptions.secretsOf(tenantId)) : null;
      if (!subscription || !tenantId) throw new HttpError(403, 'invalid_signature', 'X-MAESN-SIGNATURE does not match a subscription of this tenant', [{ path: 'headers.x-maesn-signature', message: 'invalid' }]);
      if (Math.abs(Date.now() - Date.parse(body.timestamp)) > config.maesnWebhooks.toleranceMs) {
        throw new HttpError(403, 'stale_event', 'the event is outside the replay window', [{ path: 'body.timestamp', message: 'too old or in the future' }]);
      }
      if (!(await stores.maesnSubscriptions.markDelivered(signatureKey(signature!)))) {
        req.log?.info({ tenantId, subscription }, 'Maesn webhook replayed: ignored');
        return res.status(200).json({ status: 'duplicate' });
      }
      const resource = syncResourceOfWebhook(body.resource);
      const division = (await stores.tenants.getConnection(tenantId))?.division;
      if (!resource || (body.companyId && division && body.companyId !== division)) return res.status(202).json({ status: 'ignored' });
      await masterDataChanged(deps, tenantId, resource);
      res.status(202).json({ status: 'accepted' });
    },
  });
}
