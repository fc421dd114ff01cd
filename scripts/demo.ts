/**
 * `npm run demo`: the whole flow against a running product (start it with `make dev` first).
 *
 *  1. create a demo tenant
 *  2. connect it to Exact Online through the sandbox's hosted login page
 *  3. save the demo mappings
 *  4. approve three expense reports; one uses a category without a mapping
 *  5. add the missing mapping, which wakes the waiting export
 *  6. show every Exact entry and the link to its run in the Temporal UI
 *
 * Only the product's HTTP API is used, exactly as the expense platform (with its platform key,
 * through the generated typed client in client/) and an admin's browser (with the session cookie
 * it gets from a one-time admin link, plain fetch) would use it. The platform does not poll: the
 * demo registers a webhook endpoint (a small server in this process) and waits for the signed
 * events (verified with standardwebhooks). Every run creates a new tenant and new reports.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPlatformClient, verifyWebhook, type WebhookEvent } from '../client';
import type { ExpenseReport, MappingsInput } from '../src/domain';
import { loadConfig } from '../src/config';
import { DEMO_DIVISION, demoMappings, mixedReport, simpleReport } from '../test/fixtures/demo-data';

export interface DemoOptions {
  /** The product's API, e.g. http://localhost:3000 */
  apiUrl: string;
  /** The platform key the API accepts (`PLATFORM_API_KEY`). */
  platformKey: string;
  /** The Temporal UI, for links to runs. */
  temporalUiUrl: string;
  /** Temporal namespace of the runs (default `default`). */
  namespace?: string;
  /** Where output goes (default: console.log). */
  log?: (line: string) => void;
  /** Longest wait for one state change, in ms (default 90 s). */
  timeoutMs?: number;
}

export interface DemoReportResult {
  reportId: string;
  exactEntryNumber: string;
  exactEntryId: string;
  runUrl: string;
}

export interface DemoResult {
  tenantId: string;
  reports: DemoReportResult[];
}

/** A failure the demo explains itself; main prints the message without a stack trace. */
export class DemoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoError';
  }
}

const DEFAULT_TIMEOUT_MS = 90_000;
const workerHint = 'Is the worker running? (`make dev` starts it; its output shows activity errors)';

/**
 * The platform's webhook receiver: a server on a free loopback port that keeps every event whose
 * signature verifies, and lets the demo wait for one.
 */
async function startReceiver() {
  let secret = '';
  const events: WebhookEvent[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        events.push(verifyWebhook(secret, Buffer.concat(chunks), req.headers));
        res.statusCode = 204;
      } catch {
        res.statusCode = 401; // not signed with our secret
      }
      res.end();
      for (const w of waiters) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    setSecret: (s: string) => void (secret = s),
    /** The first event matching `match` (received before or after the call), or a timeout. */
    next(match: (e: WebhookEvent) => boolean, timeoutMs: number): Promise<WebhookEvent | null> {
      return new Promise((resolve) => {
        const check = () => {
          const e = events.find(match);
          if (!e) return;
          done(e);
        };
        const done = (e: WebhookEvent | null) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(e);
        };
        const timer = setTimeout(() => done(null), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `demo-20261125-194500` (local time): a new tenant every run. */
export function demoTenantId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `demo-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Link to a workflow run in the Temporal UI. */
export function temporalRunUrl(temporalUiUrl: string, namespace: string, workflowId: string): string {
  return `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

interface ExportStatus {
  reportId: string;
  status: string;
  division: string | null;
  missing: { expenseId: string | null; field: string; value: string; reason: string; message?: string }[];
  lines: { position: number; side: string; accountCode: string; description: string; netAmount: string; taxAmount: string; grossAmount: string; vatCode: string | null; vatTreatment?: string | null }[];
  exactEntryId: string | null;
  exactEntryNumber: string | null;
  error: { message: string; line?: number | null; code?: string | null } | null;
  workflowId: string;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const apiUrl = opts.apiUrl.replace(/\/+$/, '');
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? ((line: string) => console.log(line));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const runUrl = (workflowId: string) => temporalRunUrl(opts.temporalUiUrl, namespace, workflowId);

  let stepNo = 0;
  const step = (title: string) => {
    stepNo++;
    log('');
    log(`[${stepNo}/6] ${title}`);
  };
  const say = (line = '') => log(line === '' ? '' : `      ${line}`);

  /** The admin's browser: its session cookie and the connect cookie, once it has them. */
  const browser: { session?: string; connect?: string } = {};

  /** As the platform (platform key) or as the admin's browser (session cookie, Origin, JSON writes). */
  async function call(method: string, path: string, body?: unknown, who: Caller = 'platform'): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (who === 'platform') headers.authorization = `Bearer ${opts.platformKey}`;
    else {
      if (browser.session) headers.cookie = browser.session;
      if (method !== 'GET') {
        headers.origin = apiUrl;
        body ??= {};
      }
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${apiUrl}${path}`, {
        method,
        headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
        redirect: 'manual',
      });
    } catch (err) {
      throw new DemoError(`could not reach the API at ${apiUrl} (${method} ${path}): ${causeOf(err)}`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** Calls the API and insists on one of the expected statuses. */
  async function expect(method: string, path: string, okStatuses: number[], body?: unknown, who: Caller = 'platform'): Promise<ApiResponse> {
    const r = await call(method, path, body, who);
    if (!okStatuses.includes(r.status)) throw new DemoError(`${method} ${path} answered ${r.status}: ${describeError(r.body)}`);
    return r;
  }

  const api = createPlatformClient(apiUrl, opts.platformKey);
  const receiver = await startReceiver();
  try {
    return await demoSteps();
  } finally {
    await receiver.close();
  }

  /** Waits for the webhook event `type` about `objectId`; a timeout says what to check. */
  async function eventFor(type: WebhookEvent['type'] | WebhookEvent['type'][], objectId: string, what: string): Promise<WebhookEvent> {
    const types = Array.isArray(type) ? type : [type];
    const e = await receiver.next((x) => types.includes(x.type) && x.data.objectId === objectId, timeoutMs);
    if (!e) throw new DemoError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (webhook ${types.join(' or ')}). ${workerHint}`);
    return e;
  }

  async function demoSteps(): Promise<DemoResult> {

    // --- 1. tenant -----------------------------------------------------------------------------
    step('Create a demo tenant');
    const base = demoTenantId();
    let tenantId = base;
    for (let attempt = 2; ; attempt++) {
      const created = await expect('POST', '/api/tenants', [200, 201], { tenantId, name: `Demo Advies (${tenantId})` });
      if (created.status === 201) break;
      // Created earlier in this very second: take the next free id.
      tenantId = `${base}-${attempt}`;
    }
    say(`POST /api/tenants → 201, tenant "${tenantId}"`);
    // The platform hears about every change through a webhook instead of polling.
    const endpointId = `demo-${tenantId}`;
    const endpoint = await api.PUT('/api/webhook-endpoints/{endpointId}', {
      params: { path: { endpointId } },
      body: { url: receiver.url, events: ['connection.connected', 'export.posted', 'export.waiting_for_mappings', 'export.rejected'], description: `npm run demo (${tenantId})` },
    });
    if (!endpoint.data?.secret) throw new DemoError(`PUT /api/webhook-endpoints/${endpointId} answered ${endpoint.response.status}: ${describeError(endpoint.error)}`);
    receiver.setSecret(endpoint.data.secret);
    say(`PUT /api/webhook-endpoints/${endpointId} → ${endpoint.response.status}: webhooks to ${receiver.url} (signing secret returned once)`);

    // --- 2. connect ----------------------------------------------------------------------------
    step('An admin opens the admin page and connects Exact Online (through the Maesn sandbox)');
    const link = await expect('POST', `/api/tenants/${tenantId}/admin-sessions`, [201]);
    say(`POST /api/tenants/${tenantId}/admin-sessions (platform key) → one-time admin link:`);
    say(`  ${link.body.adminUrl.replace(/#token=.*/, '#token=…')}`);
    const signIn = await expect('POST', '/api/admin-session', [200], { token: link.body.token }, 'admin');
    browser.session = cookieFrom(signIn.headers, 'exact_export_session');
    if (!browser.session) throw new DemoError('signing in with the admin link set no session cookie');
    say(`The page exchanges it: POST /api/admin-session → session cookie for tenant ${signIn.body.tenantId} (HttpOnly, SameSite=Strict)`);
    const connect = await expect('POST', `/api/tenants/${tenantId}/exact/connect`, [200], undefined, 'admin');
    browser.connect = cookieFrom(connect.headers, 'exact_export_connect');
    const authorizationUrl: string = connect.body.authorizationUrl;
    say(`POST /api/tenants/${tenantId}/exact/connect (session) → authorization link, bound to this browser:`);
    say(`  ${authorizationUrl}`);
    say('An admin would open this link in a browser, log in to Exact Online and pick the');
    say('administration. The demo fills in that form itself:');

    let page: Response;
    try {
      page = await fetch(authorizationUrl);
    } catch (err) {
      throw new DemoError(`could not open the hosted login page ${authorizationUrl}: ${causeOf(err)}. Is the sandbox running?`);
    }
    const html = await page.text();
    if (page.status !== 200) throw new DemoError(`the hosted login page answered ${page.status}`);
    const divisionName = new RegExp(`value="${DEMO_DIVISION}"[^>]*>\\s*<strong>[^<]*</strong>\\s*([^<]+)<`).exec(html)?.[1]?.trim();
    if (!html.includes(`value="${DEMO_DIVISION}"`)) throw new DemoError(`the hosted login page does not offer division ${DEMO_DIVISION}`);
    say(`  GET  login page → 200, division ${DEMO_DIVISION}${divisionName ? ` (${decodeEntities(divisionName)})` : ''} offered`);

    const login = await fetch(authorizationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ division: DEMO_DIVISION, action: 'login' }).toString(),
      redirect: 'manual',
    });
    await login.body?.cancel();
    const callbackUrl = login.headers.get('location');
    if (login.status !== 302 || !callbackUrl) throw new DemoError(`logging in on the hosted page answered ${login.status} instead of a redirect to the product`);
    say(`  POST login (division=${DEMO_DIVISION}) → 302 to the product's callback`);
    // The browser comes back with the cookie the connect response set (nothing else may complete it).
    const callbackRes = await fetch(`${apiUrl}${relativeTo(apiUrl, callbackUrl)}`, { headers: { accept: 'application/json', ...(browser.connect ? { cookie: browser.connect } : {}) } });
    const callback = { status: callbackRes.status, body: (await callbackRes.json().catch(() => null)) as any };
    if (callback.status !== 200) throw new DemoError(`the product's callback answered ${callback.status}: ${describeError(callback.body)}`);
    say(`  GET  /api/exact/callback → 200, signature and browser verified, ${callback.body.status}`);
    say(`Onboarding run: ${runUrl(connect.body.workflowId)}`);

    say('Waiting for the onboarding to sync the master data ...');
    const connected = await eventFor('connection.connected', tenantId, `tenant ${tenantId} to be connected`);
    say(`Webhook ${connected.type} (signature verified)`);
    const status = await api.GET('/api/tenants/{tenantId}/exact', { params: { path: { tenantId } } });
    if (!status.data) throw new DemoError(`GET /api/tenants/${tenantId}/exact answered ${status.response.status}: ${describeError(status.error)}`);
    const connection = status.data as any;
    say(`Connected to division ${connection.division}${connection.divisionName ? ` (${connection.divisionName})` : ''}, ${connection.targetSystem ?? ''}`.trimEnd());
    const counts: Record<string, { fetched: number; upserted: number; deactivated: number }> = connection.lastSync?.counts ?? {};
    if (connection.lastSync) say(`First sync (${connection.lastSync.mode}): ${connection.lastSync.status}`);
    for (const [kind, c] of Object.entries(counts)) {
      say(`  ${pad(kind, 14)} ${String(c.fetched).padStart(4)} fetched, ${String(c.upserted).padStart(4)} stored, ${c.deactivated} deactivated`);
    }
    if (connection.nextSyncAt) say(`Next scheduled sync: ${connection.nextSyncAt}`);

    // --- 3. mappings ---------------------------------------------------------------------------
    step('Map expense categories, VAT rates, cost centres and employees to Exact codes');
    const mappings: MappingsInput = demoMappings();
    const put = await expect('PUT', `/api/tenants/${tenantId}/mappings`, [200], mappings, 'admin');
    say(`PUT /api/tenants/${tenantId}/mappings (admin session) → version ${put.body.version}`);
    say(
      `journal ${mappings.journalCode}, credit account ${mappings.creditAccount}, ${Object.keys(mappings.categories).length} categories ` +
        `(${Object.keys(mappings.categories).join(', ')}), ${Object.keys(mappings.vatRates).length} VAT rates, ` +
        `${Object.keys(mappings.costCenters ?? {}).length} cost centres, ${Object.keys(mappings.employees ?? {}).length} employees`,
    );
    if (put.body.valid) {
      say('Every reference exists in the synced Exact master data: valid');
    } else {
      say('Some references do not exist in Exact:');
      for (const i of put.body.issues as { path: string; value: string; reason: string; message: string }[]) say(`  ${i.path} = ${i.value}: ${i.reason} (${i.message})`);
      throw new DemoError('the demo mappings do not match the sandbox administration; is the sandbox seeded with the demo division?');
    }

    // --- 4. approve reports --------------------------------------------------------------------
    step('Approve three expense reports (as the expense platform would, with its platform key)');
    // Report ids are unique per run as well (Exact is searched for them to avoid double posts),
    // and short: they start every line description, which Exact limits to 60 characters.
    const reportBase = tenantId.replace(/^demo-/, 'R');
    const coworking = simpleReport(`${reportBase}-3`, { category: 'coworking', amount: '35.00' });
    coworking.description = 'Werkplek op locatie';
    coworking.expenses[0].description = 'Flexplek coworking';
    const reports: { report: ExpenseReport; label: string }[] = [
      { report: mixedReport(`${reportBase}-1`), label: 'mixed: 21/9/0 % VAT, mileage, USD, 2 receipts' },
      { report: simpleReport(`${reportBase}-2`), label: 'simple: parking, 1 receipt' },
      { report: coworking, label: 'category "coworking", not mapped yet' },
    ];
    const exportPath = (reportId: string) => `/api/tenants/${tenantId}/expense-reports/${encodeURIComponent(reportId)}/export`;
    for (const { report, label } of reports) {
      const r = await expect('POST', exportPath(report.reportId), [202], report);
      say(`POST .../expense-reports/${report.reportId}/export → 202 ${r.body.status}   (${label}; ${report.employee.name}, ${expenseCount(report)})`);
    }

    /** Waits for the webhook saying the export reached `wanted`, then reads it (typed client). */
    const waitForExport = async (reportId: string, wanted: 'posted' | 'waiting_for_mappings', stillMissingIsFatal = false): Promise<ExportStatus> => {
      const e = await eventFor(['export.posted', 'export.waiting_for_mappings', 'export.rejected'].filter((t) => t === `export.${wanted}` || t === 'export.rejected' || stillMissingIsFatal) as WebhookEvent['type'][], reportId, `report ${reportId} to be ${wanted}`);
      if (e.type === 'export.rejected') throw new DemoError(`report ${reportId} was rejected by Exact: ${String(e.data.message ?? 'no message')}`);
      if (e.type !== `export.${wanted}`) throw new DemoError(`report ${reportId} waits for mappings: ${JSON.stringify(e.data.missing)}`);
      say(`webhook ${e.type} for ${reportId}`);
      const r = await api.GET('/api/tenants/{tenantId}/expense-reports/{reportId}/export', { params: { path: { tenantId, reportId } } });
      if (!r.data) throw new DemoError(`GET ${exportPath(reportId)} answered ${r.response.status}: ${describeError(r.error)}`);
      return r.data as ExportStatus;
    };

    say('');
    say('Waiting for the exports ...');
    const posted = new Map<string, ExportStatus>();
    for (const { report } of reports.slice(0, 2)) {
      const s = await waitForExport(report.reportId, 'posted', true);
      posted.set(report.reportId, s);
      say(`${report.reportId}: posted as Exact entry ${s.exactEntryNumber}`);
    }
    const third = reports[2].report.reportId;
    const waiting = await waitForExport(third, 'waiting_for_mappings');
    say(`${third}: waiting_for_mappings; missing:`);
    for (const m of waiting.missing) {
      say(`  expense ${m.expenseId ?? '(report)'}: ${m.field} "${m.value}" → ${m.reason}${m.message ? ` (${m.message})` : ''}`);
    }
    say('The export waits (durably, in Temporal) until someone fixes the mapping.');

    // --- 5. fix the mapping --------------------------------------------------------------------
    step('Fix the mapping: coworking → GL account 4100');
    const fixed: MappingsInput = { ...mappings, categories: { ...mappings.categories, coworking: { glAccount: '4100' } } };
    const put2 = await expect('PUT', `/api/tenants/${tenantId}/mappings`, [200], fixed, 'admin');
    say(`PUT /api/tenants/${tenantId}/mappings → version ${put2.body.version}, valid: ${put2.body.valid}, signalled ${put2.body.signalledExports} waiting export(s)`);
    if (!put2.body.valid) throw new DemoError(`the fixed mappings are not valid: ${JSON.stringify(put2.body.issues)}`);
    if (put2.body.signalledExports === 0) {
      // Only if the PUT raced the export's own status change: signal it directly.
      await expect('POST', `${exportPath(third)}/mapping-fixed`, [202], undefined, 'admin');
      say(`POST .../expense-reports/${third}/export/mapping-fixed → 202`);
    }
    const thirdDone = await waitForExport(third, 'posted');
    posted.set(third, thirdDone);
    say(`${third}: posted as Exact entry ${thirdDone.exactEntryNumber}`);

    // --- 6. results ----------------------------------------------------------------------------
    step('Result: one journal entry per report in Exact Online');
    const results: DemoReportResult[] = [];
    for (const { report } of reports) {
      const s = posted.get(report.reportId)!;
      if (!s.exactEntryNumber || !s.exactEntryId) throw new DemoError(`report ${report.reportId} is posted but has no Exact entry number`);
      const url = runUrl(s.workflowId);
      results.push({ reportId: report.reportId, exactEntryNumber: s.exactEntryNumber, exactEntryId: s.exactEntryId, runUrl: url });
      say('');
      say(`${report.reportId}  →  entry ${s.exactEntryNumber} in division ${s.division ?? '?'} (id ${s.exactEntryId})`);
      say(`  ${pad('', 6)} ${pad('account', 8)} ${'net'.padStart(9)} ${'tax'.padStart(8)} ${'gross'.padStart(9)}  VAT  description`);
      for (const l of s.lines) {
        say(
          `  ${pad(l.side, 6)} ${pad(l.accountCode, 8)} ${l.netAmount.padStart(9)} ${l.taxAmount.padStart(8)} ${l.grossAmount.padStart(9)}  ${pad(l.vatCode ?? '-', 4)} ${l.description}${TREATMENT_NOTE[l.vatTreatment ?? ''] ?? ''}`,
        );
      }
      say(`  Run in Temporal: ${url}`);
    }
    say('');
    const pageLink = await expect('POST', `/api/tenants/${tenantId}/admin-sessions`, [201]);
    say(`Admin page for this tenant (one-time link, valid until ${pageLink.body.expiresAt}):`);
    say(`  ${pageLink.body.adminUrl}`);
    say(`All runs of this tenant: ${opts.temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(`TenantId = "${tenantId}"`)}`);
    log('');
    log(`Done: ${results.length} reports exported for tenant ${tenantId}.`);
    // The demo's receiver goes away with it: switch its endpoint off.
    await api.PUT('/api/webhook-endpoints/{endpointId}', { params: { path: { endpointId } }, body: { url: receiver.url, enabled: false } });
    return { tenantId, reports: results };
  }
}

// --- helpers -------------------------------------------------------------------------------

/** What the demo says next to a line whose VAT is not claimed as usual. */
const TREATMENT_NOTE: Record<string, string> = {
  non_deductible: '  (VAT not deductible: gross, no-VAT code)',
  reverse_charge: '  (reverse charge: VAT shifted to us)',
};

type Caller = 'platform' | 'admin';

/** `name=value` of a cookie a response sets (what a browser would keep). */
function cookieFrom(headers: Headers, name: string): string | undefined {
  return headers
    .getSetCookie()
    .map((c) => c.split(';')[0].trim())
    .find((c) => c.startsWith(`${name}=`) && c.length > name.length + 1);
}

function pad(s: string, n: number) {
  return s.padEnd(n);
}

function causeOf(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function describeError(body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (e?.message) return e.code ? `${e.code}: ${e.message}` : e.message;
  return typeof body === 'string' ? body.slice(0, 300) : JSON.stringify(body)?.slice(0, 300) ?? 'no body';
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** The callback URL points at PUBLIC_BASE_URL; call it through the API address the demo uses. */
function relativeTo(apiUrl: string, location: string): string {
  const u = new URL(location, apiUrl);
  return `${u.pathname}${u.search}`;
}

/** "3 expenses", for the output only. */
function expenseCount(report: ExpenseReport): string {
  const count = report.expenses.length;
  return `${count} expense${count === 1 ? '' : 's'}`;
}

// --- main ----------------------------------------------------------------------------------

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    return 1;
  }
  const apiUrl = `http://localhost:${config.api.port}`;
  console.log(`Demo against the product at ${apiUrl} (Temporal UI ${config.temporal.uiUrl})`);

  let ready: Response;
  try {
    ready = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(10_000) });
  } catch {
    console.error('');
    console.error(`The API is not reachable at ${apiUrl}.`);
    console.error('Start the product first, in another terminal:  make dev');
    console.error('(and wait for "[dev] ready"). Using another port? Set API_PORT for the demo too.');
    return 1;
  }
  if (ready.status !== 200) {
    const body = await ready.text();
    console.error('');
    console.error(`The API at ${apiUrl} is up but not ready (GET /readyz → ${ready.status}): ${body.slice(0, 500)}`);
    console.error('Wait until `make dev` prints "[dev] ready", then run the demo again.');
    return 1;
  }
  await ready.body?.cancel();

  try {
    await runDemo({ apiUrl, platformKey: config.access.platformKeys[0], temporalUiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace });
    return 0;
  } catch (err) {
    console.error('');
    if (err instanceof DemoError) console.error(`Demo failed: ${err.message}`);
    else console.error('Demo failed unexpectedly:', err);
    return 1;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
