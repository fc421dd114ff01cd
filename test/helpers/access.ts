/**
 * Credentials in tests, used the way the platform and an admin's browser use them: the platform
 * mints a one-time admin link, the "browser" exchanges it for the session cookie and sends that
 * cookie (and its Origin) afterwards; the connect response's cookie goes back on the callback.
 */
import assert from 'node:assert/strict';
import type { Product } from './product';

/** `name=value` of a cookie the response sets, or null. */
export function setCookie(headers: Headers, name: string): string | null {
  for (const c of headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    if (pair.slice(0, i).trim() === name && pair.slice(i + 1) !== '') return pair.trim();
  }
  return null;
}

/** The full Set-Cookie line of `name` (to check its attributes). */
export function setCookieLine(headers: Headers, name: string): string | null {
  return headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) ?? null;
}

export const SESSION_COOKIE = 'exact_export_session';
export const CONNECT_COOKIE = 'exact_export_connect';

/** Mints an admin link for `tenantId` with the platform key and exchanges it: returns the session cookie. */
export async function adminSession(p: Product, tenantId: string): Promise<{ cookie: string; adminUrl: string }> {
  const minted = await p.call('POST', `/api/tenants/${encodeURIComponent(tenantId)}/admin-sessions`);
  assert.equal(minted.status, 201, JSON.stringify(minted.body));
  const exchanged = await p.request('POST', '/api/admin-session', { auth: 'none', body: { token: minted.body.token }, headers: { origin: p.apiUrl } });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
  const cookie = setCookie(exchanged.headers, SESSION_COOKIE);
  assert.ok(cookie, 'the exchange sets the session cookie');
  return { cookie, adminUrl: minted.body.adminUrl };
}

/** Calls the API as an admin's browser with the session `cookie` (Origin of the API on writes). */
export function asAdmin(p: Product, cookie: string) {
  return (method: string, path: string, body?: unknown) => p.request(method, path, { auth: { cookie }, body: body ?? (method === 'GET' ? undefined : {}) });
}
