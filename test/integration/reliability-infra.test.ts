/**
 * RELIABILITY.md, "Temporal server restarted" and "Database down for 30 s". Each scenario runs the
 * product against a Temporal dev server or a FerretDB of its own (never the shared stack of the
 * test run), stops it while 20 exports are in flight, and starts it again on the same data.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_DIVISION, demoMappings, simpleReport } from '../fixtures/demo-data';
import net from 'node:net';
import { ProcessGroup, startFerret, startTemporal } from '../../scripts/stack';
import { scenario } from '../fixtures/reliability';
import { submit, waitForPosts } from '../helpers/exports';
import { connectTenant } from '../helpers/onboarding';
import { eventually, startProduct, type Product } from '../helpers/product';
import { assertFigures, measure } from '../helpers/reliability';
import { uniqueId } from '../helpers/stack';
import { createMongo, pingMongo } from '../../src/store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-infra-'));
const groups: ProcessGroup[] = [];
const products: Product[] = [];

after(async () => {
  for (const p of products) await p.close().catch(() => undefined);
  for (const g of groups) await g.stopAll(5_000);
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A free port below the range the OS hands out to outgoing connections (32768+ on Linux): a server
 * that is stopped and started again must find its port free, and an outgoing connection of any
 * process on this machine could take an ephemeral one meanwhile.
 */
async function restartablePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A product with a tenant connected and mapped; 20 reports approved while the sandbox answers their first POSTs with 429. */
async function twentyInFlight(p: Product, prefix: string, retryAfterSeconds: number): Promise<{ tenantId: string; reportIds: string[] }> {
  const tenantId = uniqueId(prefix);
  await connectTenant(p, tenantId, DEMO_DIVISION);
  assert.equal((await p.call('PUT', `/api/tenants/${tenantId}/mappings`, demoMappings())).body.valid, true);
  await p.sandbox.clearRequests();
  await p.sandbox.failNext('createJournalEntry', 429, 20, { retryAfterSeconds });
  const reportIds = Array.from({ length: 20 }, () => uniqueId('IF'));
  await Promise.all(reportIds.map((r) => submit(p, tenantId, simpleReport(r))));
  await waitForPosts(p, 20, 90_000);
  return { tenantId, reportIds };
}

async function allPosted(p: Product, tenantId: string, n: number): Promise<void> {
  await eventually(async () => (await p.call('GET', `/api/tenants/${tenantId}/exports?status=posted&limit=200`)).body.total === n, `${n} exports posted`, 240_000).catch(() => undefined);
}

describe('Temporal dev server restarted on the same database file', () => {
  test('20 exports in flight: all posted, 20 entries', async () => {
    const port = await restartablePort();
    const dbFile = path.join(dir, 'temporal.db');
    const start = async () => {
      const g = new ProcessGroup();
      groups.push(g);
      await startTemporal(g, { port, dbFile, logFile: path.join(dir, 'temporal.log') });
      return g;
    };
    const server = await start();
    const p = await startProduct({ temporalAddress: `127.0.0.1:${port}`, env: { EXPORT_SETTLE_PERIOD: '2s' } });
    products.push(p);
    const { tenantId, reportIds } = await twentyInFlight(p, 'trs', 5);

    await server.stopAll(10_000);
    await start();
    await allPosted(p, tenantId, reportIds.length);
    assertFigures('temporal-restart', await measure(p, tenantId, reportIds, DEMO_DIVISION, { 'Temporal dev server restart': 1 }));
  });
});

describe('FerretDB stopped for 30 s', () => {
  test('20 exports in flight: /readyz is 503 meanwhile; all posted once it is back, 20 entries', async () => {
    const port = await restartablePort();
    const dataDir = path.join(dir, 'ferretdb');
    const start = async () => {
      const g = new ProcessGroup();
      groups.push(g);
      return { g, ...(await startFerret(g, { port, dataDir, logFile: path.join(dir, 'ferretdb.log') })) };
    };
    const db = await start();
    const p = await startProduct({ mongoUri: db.uri, env: { EXPORT_SETTLE_PERIOD: '2s' } });
    products.push(p);
    const { tenantId, reportIds } = await twentyInFlight(p, 'mdb', 3);

    await db.g.stopAll(10_000);
    const stoppedAt = Date.now();
    const ready = await eventually(async () => {
      const r = await p.call('GET', '/readyz');
      return r.status === 503 ? r.body : null;
    }, '/readyz to report the database', 20_000);
    assert.deepEqual(ready.failed, ['mongodb']);
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
    assert.equal((await p.call('GET', '/readyz')).status, 503, 'still unavailable after 30 s');
    const back = await start();
    const restartedAt = new Date().toISOString();
    let last: unknown;
    await eventually(
      async () => {
        const r = await p.call('GET', '/readyz');
        last = r.body;
        return r.status === 200;
      },
      '/readyz to recover',
      60_000,
    ).catch(async (err) => {
      // Whether the database answers a client of its own: tells the product's pool from the server.
      const fresh = createMongo(back.uri, 'readyz-probe');
      const own = await pingMongo(fresh.db).then(() => 'answers', (e: Error) => `fails: ${e.message}`);
      await fresh.close().catch(() => undefined);
      throw new Error(`${(err as Error).message} (restarted at ${restartedAt}); a fresh client's ping ${own}; last /readyz: ${JSON.stringify(last)}; FerretDB log: ${fs.readFileSync(path.join(dir, 'ferretdb.log'), 'utf8').slice(-2000)}`);
    });
    await allPosted(p, tenantId, reportIds.length);
    assertFigures('mongo-outage', await measure(p, tenantId, reportIds, DEMO_DIVISION, { 'FerretDB stopped for 30 s': 1 }));
  });
});
