/**
 * The admin page (Integrations → Exact Online): one self-contained HTML page that talks to the
 * JSON API. No build step, no external assets.
 *
 * It works with an admin session: opened through a one-time link (`/admin#token=…`, minted by the
 * platform), it exchanges the token for a session cookie and shows that one tenant. Its inline
 * script and style are allowed by their hashes in the Content-Security-Policy (no 'unsafe-inline').
 */
import { createHash } from 'node:crypto';
import { MASTER_DATA_KINDS, masterDataKinds } from '../domain';

const kindOptions = masterDataKinds.map((k) => `<option value="${k}">${MASTER_DATA_KINDS[k].label}</option>`).join('');

export interface AdminPage {
  html: string;
  /** CSP sources of the inline script and style, e.g. `'sha256-…'`. */
  scriptSource: string;
  styleSource: string;
}

const cspHash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function renderAdminPage(opts: { temporalUiUrl: string; namespace: string }): AdminPage {
  const cfg = JSON.stringify({ temporalUiUrl: opts.temporalUiUrl, namespace: opts.namespace }).replace(/</g, '\\u003c');
  const style = STYLE;
  // Function replacements: the script is full of `$(`, which a replacement string would interpret.
  const script = SCRIPT.replace('__CFG__', () => cfg);
  const html = PAGE.replace('__STYLE__', () => style).replace('__SCRIPT__', () => script);
  return { html, scriptSource: cspHash(script), styleSource: cspHash(style) };
}

/** The page's HTML (for tests and callers that need only the markup). */
export function adminPage(opts: { temporalUiUrl: string; namespace: string }): string {
  return renderAdminPage(opts).html;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integrations · Exact Online</title>
<style>__STYLE__</style>
</head>
<body>
<h1>Integrations · Exact Online</h1>
<div class="muted">Connect a tenant's Exact Online administration through Maesn, keep its master data in sync, and map expense categories to Exact codes.</div>

<section>
  <h2>Tenant</h2>
  <div class="row">
    <input id="tenantId" placeholder="not signed in" aria-label="tenant id" readonly>
    <span id="sessionInfo" class="muted"></span>
    <button id="signOut" class="secondary" hidden>Sign out</button>
  </div>
  <div id="message" role="status"></div>
</section>

<section id="divisionChange" class="notice" hidden>
  <h2>Confirm the new Exact Online division</h2>
  <div id="divisionChangeText"></div>
  <div class="muted">Nothing is exported until you decide. Rejecting keeps the previous connection.</div>
  <div class="row">
    <button id="confirmDivision">Switch to the new division</button>
    <button id="rejectDivision" class="danger">Reject</button>
  </div>
</section>

<section id="connection" hidden>
  <h2>Exact Online connection <span id="state" class="state"></span></h2>
  <dl id="details"></dl>
  <div class="row">
    <button id="connect">Connect to Exact Online</button>
    <button id="sync" class="secondary">Sync now</button>
    <button id="disconnect" class="danger">Disconnect</button>
    <a id="runs" target="_blank" rel="noopener">Runs in the Temporal UI</a>
  </div>
</section>

<section id="masterdata" hidden>
  <h2>Master data</h2>
  <div class="row">
    <select id="kind">${kindOptions}</select>
    <input id="search" placeholder="search code or name">
    <label><input type="checkbox" id="activeOnly" checked> active only</label>
    <button id="browse" class="secondary">Show</button>
    <span id="total" class="muted"></span>
  </div>
  <table><thead><tr><th>Code</th><th>Name</th><th>Details</th><th>Active</th></tr></thead><tbody id="rows"></tbody></table>
</section>

<section id="exports" hidden>
  <h2>Exports</h2>
  <table><thead><tr><th>Report</th><th>Status</th><th>Exact entry</th><th>Problem</th><th></th></tr></thead><tbody id="exportRows"></tbody></table>
</section>

<section id="mappings" hidden>
  <h2>Mappings</h2>
  <div class="muted">Exact codes per category, VAT rate, cost center, cost unit, employee and merchant.</div>
  <textarea id="mappingsJson" spellcheck="false" aria-label="mappings JSON"></textarea>
  <div class="row"><button id="saveMappings">Save mappings</button><span id="mappingsResult"></span></div>
</section>

<script>__SCRIPT__</script>
</body>
</html>`;

const STYLE = `  :root { font-family: system-ui, sans-serif; color: #1d2733; background: #f5f7fa; }
  body { max-width: 1040px; margin: 0 auto; padding: 24px; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 12px; }
  .muted { color: #64748b; font-size: 13px; }
  section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
  input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #cbd5e1; border-radius: 6px; }
  textarea { width: 100%; min-height: 220px; font-family: ui-monospace, monospace; font-size: 12px; }
  button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #1e40af; background: #1e40af; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #1e40af; } button.danger { background: #b91c1c; border-color: #b91c1c; }
  button:disabled { opacity: .5; cursor: default; }
  .row { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
  .state { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; background: #e2e8f0; }
  .state.connected { background: #dcfce7; color: #166534; } .state.needs_reauthorization, .state.error { background: #fee2e2; color: #991b1b; }
  .state.syncing, .state.awaiting_authorization { background: #fef9c3; color: #854d0e; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef2f7; }
  dl { display: grid; grid-template-columns: 180px 1fr; gap: 4px 12px; margin: 0; } dt { color: #64748b; }
  #message { min-height: 20px; } .err { color: #b91c1c; } .ok { color: #166534; }
  .notice { border-color: #f59e0b; background: #fffbeb; }
`;

const SCRIPT = `const CFG = __CFG__;
const $ = (id) => document.getElementById(id);
const tenant = () => $('tenantId').value.trim();
function say(text, cls) { $('message').textContent = text; $('message').className = cls || ''; }
let signedOut = false;
// Writes always send JSON (the API refuses other bodies from a session); the browser adds Origin.
async function api(method, path, body) {
  if (method !== 'GET' && body === undefined) body = {};
  const res = await fetch(path, { method, credentials: 'same-origin', headers: body !== undefined ? { 'content-type': 'application/json', accept: 'application/json' } : { accept: 'application/json' }, body: body !== undefined ? JSON.stringify(body) : undefined });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) { signedOut = true; showSignedOut(); }
  if (!res.ok) throw new Error((data && data.error && data.error.message) || res.statusText);
  return data;
}
function showSignedOut() {
  ['connection', 'masterdata', 'exports', 'mappings', 'divisionChange'].forEach((id) => ($(id).hidden = true));
  $('tenantId').value = ''; $('sessionInfo').textContent = ''; $('signOut').hidden = true;
  say('Not signed in. Open this page through the admin link the platform gives you (it works once and expires soon).', 'err');
}
async function signIn() {
  // A one-time link carries its token in the fragment, which never reaches a server or a log.
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    history.replaceState(null, '', location.pathname + location.search);
    let failed = null;
    try { await api('POST', '/api/admin-session', { token: decodeURIComponent(m[1]) }); } catch (e) { failed = e.message; }
    // A used or expired link: a session this browser still has goes on working.
    if (failed) { signedOut = false; const ok = await signIn(); if (!ok) say(failed, 'err'); return ok; }
  }
  try {
    const who = await api('GET', '/api/admin-session');
    if (who.kind !== 'session') { showSignedOut(); return false; }
    signedOut = false;
    $('tenantId').value = who.tenantId;
    $('sessionInfo').textContent = 'session until ' + new Date(who.expiresAt).toLocaleString();
    $('signOut').hidden = false;
    return true;
  } catch (e) { showSignedOut(); return false; }
}
function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }
async function refresh() {
  const t = tenant(); if (!t) return;
  try {
    const s = await api('GET', '/api/tenants/' + encodeURIComponent(t) + '/exact');
    ['connection', 'masterdata', 'exports', 'mappings'].forEach((id) => ($(id).hidden = false));
    $('state').textContent = s.state.replace(/_/g, ' '); $('state').className = 'state ' + s.state;
    $('divisionChange').hidden = !s.divisionChange;
    if (s.divisionChange) {
      $('divisionChangeText').textContent = 'Exact Online was reconnected to division ' + s.divisionChange.to + (s.divisionChange.toName ? ' (' + s.divisionChange.toName + ')' : '') + ', but this tenant exported to division ' + s.divisionChange.from + ' until now.';
      $('confirmDivision').dataset.division = s.divisionChange.to;
    }
    const rows = [
      ['Division', s.division ? s.division + (s.divisionName ? ' · ' + s.divisionName : '') : '—'],
      ['Last sync', s.lastSync ? s.lastSync.status + ' (' + s.lastSync.mode + ') at ' + new Date(s.lastSync.startedAt).toLocaleString() : '—'],
      ['Records', s.lastSync ? Object.entries(s.lastSync.counts).map(([k, c]) => k + ': ' + c.fetched).join(', ') : '—'],
      ['Next sync', s.nextSyncAt ? new Date(s.nextSyncAt).toLocaleString() : '—'],
      ['Exact calls today', s.callBudget ? s.callBudget.day.remaining + ' of ' + s.callBudget.day.limit + ' left (this minute: ' + s.callBudget.minute.remaining + ' of ' + s.callBudget.minute.limit + ')' + (s.callBudget.blockedUntil ? '; paused by Exact until ' + new Date(s.callBudget.blockedUntil).toLocaleTimeString() : '') + (s.callBudget.exportsWaiting ? '; exports queued' : '') : '—'],
      ['Mapping health', s.mappingHealth ? (s.mappingHealth.ok ? 'all mapped codes usable' : s.mappingHealth.issues.map((i) => i.usedIn + ' = ' + i.code + ': ' + i.reason).join('; ')) : '—'],
      ['Problem', s.error || '—'],
    ];
    $('details').innerHTML = rows.map(([k, v]) => '<dt>' + esc(k) + '</dt><dd>' + esc(v) + '</dd>').join('');
    $('connect').textContent = ['needs_reauthorization', 'connected', 'error'].includes(s.state) ? 'Reconnect' : s.state === 'awaiting_authorization' ? 'Continue authorizing' : 'Connect to Exact Online';
    $('connect').className = s.state === 'connected' ? 'secondary' : '';
    const ex = await api('GET', '/api/tenants/' + encodeURIComponent(t) + '/exports?limit=20').catch(() => null);
    if (ex) $('exportRows').innerHTML = ex.items.map((i) => '<tr><td>' + esc(i.reportId) + '</td><td>' + esc(i.status.replace(/_/g, ' ')) + '</td><td>' + esc(i.exactEntryNumber || '—') + '</td><td>' + esc(i.problem || '') + '</td><td>' +
      ((i.status === 'rejected' || i.status === 'needs_review') ? '<button class="secondary" data-retry="' + esc(i.reportId) + '">Retry</button>' : i.status === 'waiting_for_mappings' ? '<button class="secondary" data-fixed="' + esc(i.reportId) + '">Mapping fixed</button>' : '') + '</td></tr>').join('') || '<tr><td colspan="5" class="muted">no exports yet</td></tr>';
    $('sync').disabled = !['connected', 'error'].includes(s.state);
    $('disconnect').disabled = s.state === 'disconnected';
    $('runs').href = CFG.temporalUiUrl + '/namespaces/' + CFG.namespace + '/workflows?query=' + encodeURIComponent('TenantId="' + t + '"');
    const m = await api('GET', '/api/tenants/' + encodeURIComponent(t) + '/mappings').catch(() => null);
    if (m && document.activeElement !== $('mappingsJson')) $('mappingsJson').value = JSON.stringify(m.mappings || m, null, 2);
  } catch (e) { say(e.message, 'err'); }
}
$('signOut').onclick = async () => { try { await api('DELETE', '/api/admin-session'); } catch (e) { /* signed out anyway */ } showSignedOut(); };
async function decideDivision(decision) {
  const division = $('confirmDivision').dataset.division;
  if (decision === 'reject' && !confirm('Reject division ' + division + '? The previous connection stays.')) return;
  try { await api('POST', '/api/tenants/' + encodeURIComponent(tenant()) + '/exact/division-change/' + decision, decision === 'confirm' ? { division } : {}); say(decision === 'confirm' ? 'Confirmed; the new division is being synced.' : 'Rejected.', 'ok'); setTimeout(refresh, 1000); } catch (e) { say(e.message, 'err'); }
}
$('confirmDivision').onclick = () => decideDivision('confirm');
$('rejectDivision').onclick = () => decideDivision('reject');
$('exportRows').onclick = async (ev) => {
  const b = ev.target.closest('button'); if (!b) return;
  const report = b.dataset.retry || b.dataset.fixed;
  try { await api('POST', '/api/tenants/' + encodeURIComponent(tenant()) + '/expense-reports/' + encodeURIComponent(report) + '/export/' + (b.dataset.retry ? 'retry' : 'mapping-fixed')); say('Sent.', 'ok'); setTimeout(refresh, 1000); } catch (e) { say(e.message, 'err'); }
};
$('connect').onclick = async () => {
  try { const r = await api('POST', '/api/tenants/' + encodeURIComponent(tenant()) + '/exact/connect'); window.location.href = r.authorizationUrl; } catch (e) { say(e.message, 'err'); }
};
$('sync').onclick = async () => {
  try { await api('POST', '/api/tenants/' + encodeURIComponent(tenant()) + '/exact/sync', {}); say('Sync started.', 'ok'); setTimeout(refresh, 1500); } catch (e) { say(e.message, 'err'); }
};
$('disconnect').onclick = async () => {
  if (!confirm('Disconnect this tenant from Exact Online?')) return;
  try { await api('DELETE', '/api/tenants/' + encodeURIComponent(tenant()) + '/exact'); say('Disconnected.', 'ok'); refresh(); } catch (e) { say(e.message, 'err'); }
};
$('browse').onclick = async () => {
  const q = new URLSearchParams({ limit: '100' });
  if ($('search').value.trim()) q.set('search', $('search').value.trim());
  if ($('activeOnly').checked) q.set('active', 'true');
  try {
    const r = await api('GET', '/api/tenants/' + encodeURIComponent(tenant()) + '/master-data/' + $('kind').value + '?' + q);
    $('total').textContent = r.total + ' records';
    $('rows').innerHTML = r.items.map((i) => '<tr><td>' + esc(i.code) + '</td><td>' + esc(i.name) + '</td><td>' + esc([i.kind, i.percentage != null ? i.percentage + '%' : '', i.usage, i.type, i.vatNumber, i.blocked ? 'blocked' : ''].filter(Boolean).join(' · ')) + '</td><td>' + (i.active ? 'yes' : 'no') + '</td></tr>').join('');
  } catch (e) { say(e.message, 'err'); }
};
$('saveMappings').onclick = async () => {
  try {
    const r = await api('PUT', '/api/tenants/' + encodeURIComponent(tenant()) + '/mappings', JSON.parse($('mappingsJson').value));
    $('mappingsResult').textContent = r.issues && r.issues.length ? r.issues.length + ' invalid references: ' + r.issues.map((i) => i.path + ' (' + i.message + ')').join('; ') : 'Saved; every reference is valid.';
    $('mappingsResult').className = r.issues && r.issues.length ? 'err' : 'ok';
  } catch (e) { $('mappingsResult').textContent = e.message; $('mappingsResult').className = 'err'; }
};
const params = new URLSearchParams(location.search);
signIn().then((ok) => {
  if (!ok) return;
  refresh();
  if (params.get('connected')) say('Authorized. The initial sync is running.', 'ok');
  if (params.get('cancelled')) say('Authorization cancelled.', 'err');
});
setInterval(() => { if (!signedOut && tenant() && !$('connection').hidden) refresh(); }, 5000);
`;
