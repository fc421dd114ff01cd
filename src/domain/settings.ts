/**
 * A tenant's booking settings: the time zone its dates are read in, which date an entry is booked
 * on, and what happens when that date falls in a closed financial period.
 */
import { z } from 'zod';

export const BOOKING_DATE_SOURCES = ['approval', 'last_expense'] as const;
export const CLOSED_PERIOD_POLICIES = ['reject', 'next_open'] as const;
export const DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

/** True when `tz` is an IANA time zone the runtime knows ("Europe/Amsterdam", "UTC"). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const tenantSettingsSchema = z.strictObject({
  /** IANA time zone in which approval times become booking dates. */
  timeZone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as "Europe/Amsterdam"' }).default(DEFAULT_TIME_ZONE),
  /** `approval`: the approval date; `last_expense`: the latest expense date. */
  bookingDate: z.enum(BOOKING_DATE_SOURCES).default('approval'),
  /** `reject`: an entry dated in a closed period is rejected; `next_open`: booked in the first open period after it. */
  closedPeriod: z.enum(CLOSED_PERIOD_POLICIES).default('reject'),
});

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;
export type TenantSettingsInput = z.input<typeof tenantSettingsSchema>;

export const DEFAULT_TENANT_SETTINGS: TenantSettings = Object.freeze(tenantSettingsSchema.parse({}));
