/**
 * Maesn's webhook signature: `X-MAESN-SIGNATURE` is the hex HMAC-SHA256 of the raw request body
 * with the subscription's secret. Compared in constant time against every subscription of the
 * tenant (all of them, so the time does not tell which one matched).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The ID of the subscription whose secret signed `raw`, or null. */
export function matchMaesnSignature(raw: Buffer, signature: string | undefined, subscriptions: { id: string; secret: string }[]): string | null {
  if (!signature || !/^[0-9a-fA-F]{64}$/.test(signature)) return null;
  const given = Buffer.from(signature, 'hex');
  let match: string | null = null;
  for (const s of subscriptions) {
    const expected = createHmac('sha256', s.secret).update(raw).digest();
    if (timingSafeEqual(expected, given) && match === null) match = s.id;
  }
  return match;
}

/** What a delivery is remembered by (a replay carries the same signature). */
export function signatureKey(signature: string): string {
  return createHash('sha256').update(signature.toLowerCase()).digest('hex');
}
