/**
 * The events the service announces to the platform (outbound webhooks, Standard Webhooks format):
 * THE list of event types, which export status announces which event, how events of one object
 * are ordered, and the payload each type carries. Every other list of event types derives from
 * `eventTypes`.
 */
import { z } from 'zod';

export const eventTypes = [
  'export.posted',
  'export.rejected',
  'export.waiting_for_mappings',
  'export.needs_review',
  'export.reversed',
  'connection.connected',
  'connection.needs_reauthorization',
  'connection.division_change_pending',
  'sync.failed',
  'mapping.health_changed',
] as const;
export type EventType = (typeof eventTypes)[number];

export const eventTypeSchema = z.enum(eventTypes);

/**
 * The event an export announces when its status becomes `status` (null: none). Keyed by status
 * name, so statuses added elsewhere (`needs_review`, `reversed`) announce themselves once they
 * are recorded.
 */
const exportStatusEvents: Readonly<Record<string, EventType>> = {
  posted: 'export.posted',
  rejected: 'export.rejected',
  waiting_for_mappings: 'export.waiting_for_mappings',
  needs_review: 'export.needs_review',
  reversed: 'export.reversed',
};

export function exportEventOf(status: string): EventType | null {
  return Object.prototype.hasOwnProperty.call(exportStatusEvents, status) ? exportStatusEvents[status] : null;
}

/** What an event is about: its kind and ID (an export's ID is its report ID). */
export type EventSubject = 'export' | 'connection' | 'sync' | 'mapping';

export function subjectOf(type: EventType): EventSubject {
  return type.slice(0, type.indexOf('.')) as EventSubject;
}

/**
 * Events with the same ordering key reach an endpoint in the order they happened: every event of
 * one export; the tenant's connection, sync and mapping events.
 */
export function orderingKeyOf(type: EventType, tenantId: string, objectId: string): string {
  return subjectOf(type) === 'export' ? exportOrderingKey(tenantId, objectId) : `tenant:${tenantId}`;
}

export const exportOrderingKey = (tenantId: string, reportId: string) => `export:${tenantId}:${reportId}`;

const missingSchema = z.object({ expenseId: z.string().nullable(), field: z.string(), value: z.string(), reason: z.string(), message: z.string().optional() });

/** The type-specific part of each event's `data` (the common part is in `webhookEventSchema`). */
export const eventDataSchemas = {
  'export.posted': z.object({ exactEntryId: z.string(), exactEntryNumber: z.string() }),
  'export.rejected': z.object({ message: z.string(), line: z.number().int().nullable(), code: z.string().nullable() }),
  'export.waiting_for_mappings': z.object({ missing: z.array(missingSchema) }),
  'export.needs_review': z.object({ message: z.string().nullable() }),
  'export.reversed': z.object({ message: z.string().nullable() }),
  'connection.connected': z.object({ division: z.string().nullable(), divisionName: z.string().nullable() }),
  'connection.needs_reauthorization': z.object({ message: z.string() }),
  'connection.division_change_pending': z.object({ fromDivision: z.string(), toDivision: z.string() }),
  'sync.failed': z.object({ errors: z.array(z.object({ kind: z.string().optional(), message: z.string() })) }),
  'mapping.health_changed': z.object({
    ok: z.boolean(),
    issues: z.array(z.object({ kind: z.string(), code: z.string(), usedIn: z.string(), reason: z.string() })),
  }),
} as const satisfies Record<EventType, z.ZodObject>;

export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** An event as the service records it (before delivery adds the admin link). */
export type NewEvent = { [T in EventType]: { type: T; tenantId: string; objectId: string; data: EventData<T> } }[EventType];

/** The body of a webhook: `type`, `timestamp` and `data` as Standard Webhooks recommends. */
export const webhookEventSchema = z.object({
    type: eventTypeSchema,
    /** When the change happened (ISO 8601). */
    timestamp: z.string(),
    data: z
      .object({
        tenantId: z.string(),
        /** The ID of the object the event is about: the report ID (export.*), the tenant ID (connection.*, mapping.*), the sync run ID (sync.*). */
        objectId: z.string(),
        subject: z.enum(['export', 'connection', 'sync', 'mapping']),
        /** The tenant's admin page (sign in through a one-time link from the platform). */
        adminUrl: z.string(),
      })
      .catchall(z.unknown()),
  });
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** Standard Webhooks secrets: `whsec_` and 24 to 64 random bytes in base64. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;
