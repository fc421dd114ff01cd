/**
 * The browser side of the access model and the transport hardening: one-time admin links and the
 * session cookie, cross-site writes (form posts, foreign Origin) refused, security headers, failed
 * authentication limited per client, and 503 with Retry-After when MongoDB or Temporal is gone.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { SignJWT } from 'jose';
import { API_MONGO_OPTIONS, apiTemporalConnectionOptions, createApp } from '../../src/api/app';
import { TEMPORAL_DEADLINE_MS } from '../../src/api/route';
import { TokenService } from '../../src/api/tokens';
import { createMongo } from '../../src/store';
import { workflowIds } from '../../src/workflows/definitions';
import { freePort } from '../../scripts/stack';
import { simpleReport } from '../fixtures/demo-data';
import { CONNECT_COOKIE, SESSION_COOKIE, adminSession, asAdmin, setCookie, setCookieLine } from '../helpers/access';
import { listen } from '../helpers/http';
import { connectTenant } from '../helpers/onboarding';
import { startProduct, type Product } from '../helpers/product';
import { testStack, uniqueId } from '../helpers/stack';

let p: Product;
const T = uniqueId('web');
let cookie: string;

before(async () => {
  // TRUST_PROXY: each test below is its own client (X-Forwarded-For), so the failure limit of one does not block another.
  p = await startProduct({ env: { TRUST_PROXY: '1', AUTH_FAILURE_LIMIT: '5' } });
  await connectTenant(p, T);
  cookie = (await adminSession(p, T)).cookie;
});
after(async () => {
  await p?.close();
});

let clientNo = 0;
/** A client address of its own (the API trusts one proxy hop in this test). */
const newClient = () => ({ 'x-forwarded-for': `203.0.113.${++clientNo}` });

describe('one-time admin links and the session cookie', () => {
  test('a link signs in once; the cookie is HttpOnly and SameSite=Strict and reaches only its tenant', async () => {
    const minted = await p.call('POST', `/api/tenants/${T}/admin-sessions`);
    assert.equal(minted.status, 201);
    assert.match(minted.body.adminUrl, new RegExp(`^${p.apiUrl}/admin#token=`), 'the token travels in the fragment (never sent to a server)');
    const headers = { ...newClient(), origin: p.apiUrl };
    const first = await p.request('POST', '/api/admin-session', { auth: 'none', body: { token: minted.body.token }, headers });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.tenantId, T);
    const line = setCookieLine(first.headers, SESSION_COOKIE)!;
    assert.match(line, /HttpOnly/);
    assert.match(line, /SameSite=Strict/);
    assert.match(line, /Path=\//);
    assert.doesNotMatch(line, /Secure/, 'plain http outside production');
    const again = await p.request('POST', '/api/admin-session', { auth: 'none', body: { token: minted.body.token }, headers });
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'link_used');

    const session = setCookie(first.headers, SESSION_COOKIE)!;
    const who = await p.request('GET', '/api/admin-session', { auth: { cookie: session } });
    assert.deepEqual([who.body.kind, who.body.tenantId], ['session', T]);
    assert.equal((await p.request('GET', '/api/tenants/nobody/exact', { auth: { cookie: session } })).status, 404);
    // Signing out removes the cookie.
    const out = await asAdmin(p, session)('DELETE', '/api/admin-session');
    assert.equal(out.status, 200);
    assert.match(setCookieLine(out.headers, SESSION_COOKIE) ?? '', /Expires=Thu, 01 Jan 1970/);
  });

  test('expired, forged, tampered and wrong-kind tokens are refused', async () => {
    const tokens = new TokenService([p.platformKey]);
    const expiredLink = (await tokens.sign('admin-link', T, -1_000)).token;
    const sessionAsLink = (await tokens.sign('admin-session', T, 60_000)).token;
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(T).setJti('x').setAudience('admin-link').setIssuer('exact-expense-export').setExpirationTime('5m').sign(new Uint8Array(32));
    const valid = (await p.call('POST', `/api/tenants/${T}/admin-sessions`)).body.token as string;
    const tampered = valid.slice(0, -3) + (valid.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const token of [expiredLink, sessionAsLink, forged, tampered, 'not-a-jwt']) {
      const r = await p.request('POST', '/api/admin-session', { auth: 'none', body: { token }, headers: newClient() });
      assert.equal(r.status, 401, token);
      assert.equal(setCookie(r.headers, SESSION_COOKIE), null);
    }
    // As a session cookie: a link token, a session of a forged key, a session signed for another audience.
    const linkAsSession = (await tokens.sign('admin-link', T, 60_000)).token;
    const otherKey = (await new TokenService(['x'.repeat(40)]).sign('admin-session', T, 60_000)).token;
    for (const c of [linkAsSession, otherKey, 'garbage']) {
      const r = await p.request('GET', `/api/tenants/${T}/exact`, { auth: { cookie: `${SESSION_COOKIE}=${c}` }, headers: newClient() });
      assert.equal(r.status, 401, c);
    }
    // An expired session: 401 asking to open the page again, and the cookie is cleared.
    const expiredSession = (await tokens.sign('admin-session', T, -1_000)).token;
    const r = await p.request('GET', `/api/tenants/${T}/exact`, { auth: { cookie: `${SESSION_COOKIE}=${expiredSession}` } });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'session_expired');
  });

  test('connect binds the authorization to the browser with a Lax cookie scoped to the callback', async () => {
    const t = uniqueId('bind');
    await p.call('POST', '/api/tenants', { tenantId: t, name: 'Bind BV' });
    const c = (await adminSession(p, t)).cookie;
    const r = await asAdmin(p, c)('POST', `/api/tenants/${t}/exact/connect`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const line = setCookieLine(r.headers, CONNECT_COOKIE)!;
    assert.match(line, /HttpOnly/);
    assert.match(line, /SameSite=Lax/, "Strict would not survive Maesn's cross-site redirect");
    assert.match(line, /Path=\/api\/exact\/callback/);
    await p.call('DELETE', `/api/tenants/${t}/exact`);
  });
});

describe('cross-site writes', () => {
  const syncStarted = async () => {
    try {
      await p.temporal.workflow.getHandle(workflowIds.manualSync(T)).describe();
      return true;
    } catch {
      return false;
    }
  };

  test('a cross-site form POST with the session cookie is refused and changes nothing', async () => {
    assert.equal(await syncStarted(), false);
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' };
    const sync = await p.request('POST', `/api/tenants/${T}/exact/sync`, { auth: { cookie, origin: null }, body: 'mode=full', headers: form });
    assert.equal(sync.status, 415, JSON.stringify(sync.body));
    // Even from this site a form post is refused: session writes are JSON.
    const sameSite = await p.request('POST', `/api/tenants/${T}/exact/sync`, { auth: { cookie }, body: 'mode=full', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(sameSite.status, 415);
    assert.equal(await syncStarted(), false, 'no sync was started');

    const reportId = uniqueId('R');
    await p.call('POST', `/api/tenants/${T}/expense-reports/${reportId}/export`, simpleReport(reportId, { category: 'never-mapped' }));
    const cancel = await p.request('POST', `/api/tenants/${T}/expense-reports/${reportId}/export/cancel`, { auth: { cookie, origin: null }, body: '', headers: form });
    assert.ok([403, 415].includes(cancel.status), `${cancel.status}`);
    const status = await p.call('GET', `/api/tenants/${T}/expense-reports/${reportId}/export`);
    assert.notEqual(status.body.status, 'cancelled');
  });

  test('JSON with a foreign Origin, or without one, is refused; from this origin it works', async () => {
    const foreign = await p.request('POST', `/api/tenants/${T}/exact/sync`, { auth: { cookie, origin: 'https://evil.example' }, body: { mode: 'full' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'foreign_origin');
    const none = await p.request('POST', `/api/tenants/${T}/exact/sync`, { auth: { cookie, origin: null }, body: { mode: 'full' } });
    assert.equal(none.status, 403);
    assert.equal(await syncStarted(), false);
    const ok = await p.request('POST', `/api/tenants/${T}/exact/sync`, { auth: { cookie }, body: { mode: 'incremental' } });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    // The platform key is not a browser credential: no Origin needed.
    assert.equal((await p.call('GET', `/api/tenants/${T}/exact`)).status, 200);
  });

  test('the link exchange refuses another site and non-JSON bodies', async () => {
    const token = (await p.call('POST', `/api/tenants/${T}/admin-sessions`)).body.token;
    const foreign = await p.request('POST', '/api/admin-session', { auth: 'none', body: { token }, headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    const form = await p.request('POST', '/api/admin-session', { auth: 'none', body: `token=${token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
  });
});

describe('security headers', () => {
  test('the admin page: CSP allowing only its own inline script and style, no framing, nosniff, no referrer', async () => {
    const res = await fetch(`${p.apiUrl}/admin`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "connect-src 'self'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    assert.ok(csp.includes(`script-src ${hash(script)}`), 'the inline script is allowed by its hash');
    assert.ok(csp.includes(`style-src ${hash(style)}`), 'the inline style is allowed by its hash');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('strict-transport-security'), null, 'no HSTS on plain http in development and tests');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  test('the admin page signs in with the token in its link fragment and offers the division decision', async () => {
    const html = await (await fetch(`${p.apiUrl}/admin`)).text();
    assert.ok(html.includes("location.hash") && html.includes("'/api/admin-session'"), 'exchanges the one-time token for the session cookie');
    assert.ok(html.includes('history.replaceState'), 'and removes the token from the address bar');
    assert.ok(html.includes('/exact/division-change/'), 'confirm / reject a division change');
    assert.doesNotMatch(html, /id="create"/, 'tenants are created by the platform, not on the page');
  });

  test('API answers (errors included) carry the headers too', async () => {
    for (const path of ['/healthz', `/api/tenants/${T}/exact`, '/nope']) {
      const res = await fetch(`${p.apiUrl}${path}`);
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
  });

  test('outside development: HSTS and Secure cookies', async () => {
    const config = { ...p.config, env: 'production' as const, access: { ...p.config.access, secureTransport: true } };
    const connection = await Connection.connect({ address: testStack().temporalAddress });
    const server = await listen(createApp({ config, logger: pino({ level: 'silent' }), db: p.db, stores: p.stores, temporal: { client: new Client({ connection }), connection } }));
    try {
      const health = await fetch(`${server.url}/healthz`);
      assert.match(health.headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
      const token = (await p.call('POST', `/api/tenants/${T}/admin-sessions`)).body.token;
      const res = await fetch(`${server.url}/api/admin-session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
      assert.equal(res.status, 200);
      assert.match(setCookieLine(res.headers, SESSION_COOKIE)!, /; Secure/);
    } finally {
      await server.close();
      await connection.close();
    }
  });
});

describe('failed authentication is limited per client', () => {
  test('after the limit every attempt of that client is 429 (a valid key too); other clients go on', async () => {
    const attacker = newClient();
    for (let i = 0; i < 5; i++) {
      const r = await p.request('GET', `/api/tenants/${T}/exact`, { auth: 'none', headers: { ...attacker, authorization: `Bearer wrong-key-${i}` } });
      assert.equal(r.status, 401, `attempt ${i + 1}`);
    }
    const blocked = await p.request('GET', `/api/tenants/${T}/exact`, { auth: 'none', headers: { ...attacker, authorization: 'Bearer wrong-again' } });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    const evenValid = await p.request('GET', `/api/tenants/${T}/exact`, { headers: attacker });
    assert.equal(evenValid.status, 429, 'guessing right does not help once blocked');
    // Wrong link tokens and forged cookies count too; another client is not affected.
    assert.equal((await p.request('GET', `/api/tenants/${T}/exact`, { headers: newClient() })).status, 200);
  });

  test('requests without any credential are not counted', async () => {
    const c = newClient();
    for (let i = 0; i < 8; i++) assert.equal((await p.request('GET', `/api/tenants/${T}/exact`, { auth: 'none', headers: c })).status, 401);
    assert.equal((await p.request('GET', `/api/tenants/${T}/exact`, { headers: c })).status, 200);
  });
});

describe('a dependency is down', () => {
  async function appWith(opts: { mongoUri: string; temporalAddress: string }) {
    const mongo = createMongo(opts.mongoUri, p.db.databaseName, API_MONGO_OPTIONS);
    const connection = Connection.lazy({ address: opts.temporalAddress, ...apiTemporalConnectionOptions() });
    const server = await listen(createApp({ config: p.config, logger: pino({ level: 'silent' }), db: mongo.db, temporal: { client: new Client({ connection }), connection } }));
    return {
      async call(method: string, path: string, body?: unknown) {
        const t0 = Date.now();
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${p.platformKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any, ms: Date.now() - t0 };
      },
      async close() {
        await server.close();
        // A call the API gave up on may still retry once or twice: let it end before the channel closes.
        await new Promise((r) => setTimeout(r, 3_000));
        await Promise.allSettled([mongo.close(), connection.close()]);
      },
    };
  }

  test('the API bounds its waits below 5 s', () => {
    assert.ok(API_MONGO_OPTIONS.serverSelectionTimeoutMS < 5_000);
    assert.ok(TEMPORAL_DEADLINE_MS < 5_000);
  });

  test('MongoDB unreachable: 503 with Retry-After, not 500', async (t) => {
    const api = await appWith({ mongoUri: `mongodb://127.0.0.1:${await freePort()}/?directConnection=true`, temporalAddress: testStack().temporalAddress });
    try {
      for (const [method, path, body] of [
        ['GET', `/api/tenants/${T}/exact`],
        ['POST', '/api/tenants', { tenantId: 'down', name: 'Down BV' }],
        ['POST', '/api/admin-session', { token: (await p.call('POST', `/api/tenants/${T}/admin-sessions`)).body.token }],
      ] as const) {
        const r = await api.call(method, path, body);
        assert.equal(r.status, 503, `${method} ${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.retryAfter, '5');
        assert.equal(r.body.error.code, 'unavailable');
        assert.match(r.body.error.message, /MongoDB/);
        assert.doesNotMatch(r.body.error.message, /127\.0\.0\.1|ECONNREFUSED/);
        t.diagnostic(`${method} ${path} with MongoDB down: 503 after ${r.ms} ms`);
      }
    } finally {
      await api.close();
    }
  });

  test('Temporal unreachable or hung: 503 with Retry-After', async (t) => {
    // Connected tenant with a resync schedule: its status reads the schedule from Temporal.
    const closed = await freePort();
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((sock) => void sockets.add(sock)); // accepts connections, never answers
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
    try {
      for (const address of [`127.0.0.1:${closed}`, `127.0.0.1:${(hung.address() as net.AddressInfo).port}`]) {
        const api = await appWith({ mongoUri: testStack().mongoUri, temporalAddress: address });
        try {
          for (const [method, path, body] of [
            ['GET', `/api/tenants/${T}/exact`],
            ['POST', `/api/tenants/${T}/exact/sync`, { mode: 'incremental' }],
            ['POST', `/api/tenants/${T}/exact/connect`],
          ] as const) {
            const r = await api.call(method, path, body);
            assert.equal(r.status, 503, `${address} ${method} ${path}: ${JSON.stringify(r.body)}`);
            assert.equal(r.retryAfter, '5');
            assert.match(r.body.error.message, /Temporal/);
            t.diagnostic(`${method} ${path} with Temporal ${address.endsWith(String(closed)) ? 'down' : 'hung'}: 503 after ${r.ms} ms`);
          }
        } finally {
          await api.close();
        }
      }
    } finally {
      for (const sock of sockets) sock.destroy();
      hung.close();
    }
  });
});
