/**
 * Signature the sandbox appends to the post-connect redirect (`include_signature=true`).
 *
 * Canonical string: every query parameter of the final redirect URL except `signature`, sorted by
 * key (plain code-unit order), each rendered as `encodeURIComponent(key)=encodeURIComponent(value)`,
 * joined with `&`. The signature is the lowercase hex HMAC-SHA256 of that string keyed with the
 * tenant's signing secret. Pure helpers, no I/O; the product keeps its own verifier.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PARAM = 'signature';

/** Builds the canonical string that gets signed (exported for tests and debugging). */
export function canonicalCallbackString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== SIGNATURE_PARAM)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
    .join('&');
}

/** Lowercase hex HMAC-SHA256 over the canonical string of `params` (a `signature` key is ignored). */
export function signCallbackParams(params: Record<string, string>, secret: string): string {
  return createHmac('sha256', secret).update(canonicalCallbackString(params), 'utf8').digest('hex');
}

/**
 * True when `url` carries exactly one `signature` parameter matching its other query parameters.
 * A URL with a repeated parameter name is rejected (the canonical form would be ambiguous).
 */
export function verifyCallbackSignature(url: URL, secret: string): boolean {
  const params: Record<string, string> = {};
  const given: string[] = [];
  for (const [k, v] of url.searchParams) {
    if (k === SIGNATURE_PARAM) {
      given.push(v);
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(params, k)) return false;
    params[k] = v;
  }
  if (given.length !== 1 || !/^[0-9a-f]{64}$/.test(given[0])) return false;
  const expected = Buffer.from(signCallbackParams(params, secret), 'hex');
  return timingSafeEqual(expected, Buffer.from(given[0], 'hex'));
}
