/**
 * Verifies the signature Maesn appends to the connect callback (`include_signature=true`).
 *
 * Scheme (as the sandbox implements it; Maesn does not publish theirs): lowercase hex
 * HMAC-SHA256, keyed with the tenant signing secret, over every query parameter of the redirect
 * except `signature`, sorted by name, each as `encodeURIComponent(name)=encodeURIComponent(value)`,
 * joined with `&`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function canonicalQuery(params: URLSearchParams): string {
  return [...params.entries()]
    .filter(([k]) => k !== 'signature')
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export function signQuery(params: URLSearchParams, secret: string): string {
  return createHmac('sha256', secret).update(canonicalQuery(params)).digest('hex');
}

export function verifyQuerySignature(params: URLSearchParams, secret: string): boolean {
  const names = [...params.keys()];
  // A repeated parameter would make the canonical form ambiguous.
  if (new Set(names).size !== names.length) return false;
  const given = params.get('signature') ?? '';
  if (!/^[0-9a-f]{64}$/i.test(given)) return false;
  const expected = Buffer.from(signQuery(params, secret), 'hex');
  return timingSafeEqual(expected, Buffer.from(given.toLowerCase(), 'hex'));
}
