import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { createMongo } from '../../src/store';
import { listen } from '../helpers/http';
import { testStack } from '../helpers/stack';
import { freePort } from '../../scripts/stack';

const logger = pino({ level: 'silent' });

async function appWith(mongoUri: string, temporalAddress: string) {
  const config = loadConfig({ MONGODB_URI: mongoUri, TEMPORAL_ADDRESS: temporalAddress, NODE_ENV: 'test' });
  const mongo = createMongo(mongoUri, 'api_health');
  const connection = Connection.lazy({ address: temporalAddress });
  const client = new Client({ connection });
  const app = createApp({ config, logger, db: mongo.db, temporal: { client, connection } });
  const server = await listen(app);
  return {
    url: server.url,
    platformKey: config.access.platformKeys[0],
    async close() {
      await server.close();
      await Promise.allSettled([mongo.close(), connection.close()]);
    },
  };
}

describe('with MongoDB and Temporal up', () => {
  let api: Awaited<ReturnType<typeof appWith>>;
  before(async () => {
    const s = testStack();
    api = await appWith(s.mongoUri, s.temporalAddress);
  });
  after(() => api.close());

  test('GET /healthz answers 200', async () => {
    const res = await fetch(`${api.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('GET /readyz answers 200 when both are reachable', async () => {
    const res = await fetch(`${api.url}/readyz`);
    const body: any = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.failed, []);
    assert.equal(body.checks.mongodb.ok, true);
    assert.equal(body.checks.temporal.ok, true);
  });

  test('every response carries a request ID; a sane incoming one is kept', async () => {
    const a = await fetch(`${api.url}/healthz`);
    assert.match(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const b = await fetch(`${api.url}/healthz`, { headers: { 'X-Request-Id': 'trace-123' } });
    assert.equal(b.headers.get('x-request-id'), 'trace-123');
    const c = await fetch(`${api.url}/healthz`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    assert.notEqual(c.headers.get('x-request-id'), 'bad id with spaces');
  });

  test('GET /metrics is Prometheus text with process and HTTP metrics (platform key only)', async () => {
    await fetch(`${api.url}/readyz`);
    assert.equal((await fetch(`${api.url}/metrics`)).status, 401);
    const res = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${api.platformKey}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/readyz",status="200"\} \d+/);
  });

  test('unknown routes get a JSON 404 with the request ID', async () => {
    const res = await fetch(`${api.url}/nope`, { headers: { 'X-Request-Id': 'r-404' } });
    assert.equal(res.status, 404);
    const body: any = await res.json();
    assert.equal(body.error.code, 'not_found');
    assert.equal(body.error.requestId, 'r-404');
  });
});

describe('with a dependency down', () => {
  test('MongoDB unreachable: 503 naming mongodb', async () => {
    const api = await appWith(`mongodb://127.0.0.1:${await freePort()}/?directConnection=true&serverSelectionTimeoutMS=500`, testStack().temporalAddress);
    try {
      const res = await fetch(`${api.url}/readyz`);
      const body: any = await res.json();
      assert.equal(res.status, 503);
      assert.deepEqual(body.failed, ['mongodb']);
      assert.equal(body.checks.temporal.ok, true);
      // Which dependency is missing, never its error text (the route is public).
      assert.deepEqual(body.checks.mongodb, { ok: false });
      assert.doesNotMatch(JSON.stringify(body), /ECONNREFUSED|127\.0\.0\.1|Server selection|timed out/i);
    } finally {
      await api.close();
    }
  });

  test('Temporal unreachable: 503 naming temporal', async () => {
    const api = await appWith(testStack().mongoUri, `127.0.0.1:${await freePort()}`);
    try {
      const res = await fetch(`${api.url}/readyz`);
      const body: any = await res.json();
      assert.equal(res.status, 503);
      assert.deepEqual(body.failed, ['temporal']);
      assert.equal(body.checks.mongodb.ok, true);
      assert.deepEqual(body.checks.temporal, { ok: false });
    } finally {
      await api.close();
    }
  });
});
