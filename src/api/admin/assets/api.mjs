// JSON calls to the API with the session cookie. Writes always send JSON (the API refuses other
// bodies from a session); the browser adds Origin.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? null;
    /** [{path, message}] with paths such as `body.categories.travel.glAccount` */
    this.fields = body?.error?.fields ?? [];
  }
}

const listeners = new Set();
/** Called when the API answers 401: the session ended. */
export const onSignedOut = (fn) => listeners.add(fn);

export async function api(method, path, body) {
  if (method !== 'GET' && body === undefined) body = {};
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && path !== '/api/admin-session') for (const fn of listeners) fn();
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** The signed-in tenant; paths of its API. */
export const session = { tenantId: null, expiresAt: null, name: null };
export const tenantPath = (p = '') => `/api/tenants/${encodeURIComponent(session.tenantId)}${p}`;
export const exportPath = (reportId, p = '') => tenantPath(`/expense-reports/${encodeURIComponent(reportId)}/export${p}`);
