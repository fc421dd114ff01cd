import assert from 'node:assert/strict';
import { CONNECT_COOKIE, setCookie } from './access';
import { eventually, type Product } from './product';

/** Drives the hosted-auth page like an admin would: returns the callback URL Maesn redirects to. */
export async function authorizeInSandbox(authorizationUrl: string, division: string): Promise<string> {
  const page = await fetch(authorizationUrl);
  const html = await page.text();
  assert.equal(page.status, 200);
  assert.match(html, new RegExp(`value="${division}"`), 'the hosted page lists the division');
  const res = await fetch(authorizationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ division, action: 'login' }).toString(),
    redirect: 'manual',
  });
  await res.body?.cancel();
  assert.equal(res.status, 302);
  return res.headers.get('location')!;
}

/**
 * Starts connecting (platform key): the authorization link and the cookie that binds the
 * authorization to this client (the callback needs it back).
 */
export async function startConnect(p: Product, tenantId: string): Promise<{ authorizationUrl: string; connectCookie: string; body: any }> {
  const connect = await p.call('POST', `/api/tenants/${tenantId}/exact/connect`);
  assert.equal(connect.status, 200, JSON.stringify(connect.body));
  const connectCookie = setCookie(connect.headers, CONNECT_COOKIE);
  assert.ok(connectCookie, 'connect sets the browser-binding cookie');
  return { authorizationUrl: connect.body.authorizationUrl, connectCookie, body: connect.body };
}

/** Opens the callback URL Maesn redirected to, as the browser that started the connect (its cookie). */
export function openCallback(callbackUrl: string | URL, connectCookie: string | null, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(connectCookie ? { cookie: connectCookie } : {}), ...(init.headers as Record<string, string> | undefined) };
  return fetch(callbackUrl, { ...init, headers });
}

/** Creates (if needed) and connects a tenant through the whole flow; waits until it is connected. */
export async function connectTenant(p: Product, tenantId: string, division = '123456'): Promise<{ callbackUrl: string; connectCookie: string }> {
  const created = await p.call('POST', '/api/tenants', { tenantId, name: `Tenant ${tenantId}` });
  assert.ok(created.status === 201 || created.status === 200, JSON.stringify(created.body));
  const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
  const callbackUrl = await authorizeInSandbox(authorizationUrl, division);
  const cb = await openCallback(callbackUrl, connectCookie);
  assert.equal(cb.status, 200, await cb.clone().text());
  await waitForState(p, tenantId, 'connected');
  return { callbackUrl, connectCookie };
}

/**
 * Reconnects a connected tenant to another division and confirms the switch (platform key), as
 * its admin would; waits until it is connected there.
 */
export async function switchDivision(p: Product, tenantId: string, division: string): Promise<any> {
  const { authorizationUrl, connectCookie } = await startConnect(p, tenantId);
  const cb = await openCallback(await authorizeInSandbox(authorizationUrl, division), connectCookie);
  assert.equal(cb.status, 200, await cb.clone().text());
  await waitForState(p, tenantId, 'division_change_pending');
  const confirm = await p.call('POST', `/api/tenants/${tenantId}/exact/division-change/confirm`, { division });
  assert.equal(confirm.status, 202, JSON.stringify(confirm.body));
  const connected = await waitForState(p, tenantId, 'connected');
  assert.equal(connected.division, division);
  return connected;
}

export async function waitForState(p: Product, tenantId: string, state: string, timeoutMs = 90_000): Promise<any> {
  return eventually(
    async () => {
      const s = await p.call('GET', `/api/tenants/${tenantId}/exact`);
      return s.body?.state === state ? s.body : null;
    },
    `tenant ${tenantId} to be ${state}`,
    timeoutMs,
  );
}

/**
 * Waits for the sync run `runId` (the run ID `POST …/exact/sync` answers) to finish; returns it as
 * `GET …/sync-runs` lists it. Unlike `lastSync`, not confused by a sync a Maesn webhook started meanwhile.
 */
export async function waitForSyncRun(p: Product, tenantId: string, runId: string, timeoutMs = 90_000): Promise<any> {
  return eventually(
    async () => {
      const runs = (await p.call('GET', `/api/tenants/${tenantId}/sync-runs?limit=100`)).body?.items ?? [];
      const run = runs.find((r: any) => r.runId === runId);
      return run?.finishedAt ? run : null;
    },
    `sync run ${runId} of ${tenantId} to finish`,
    timeoutMs,
  );
}

