// The admin page (Integrations → Exact Online): signs in with the one-time link, shows one tenant,
// routes between its views by the URL fragment and keeps the open view fresh.
import { api, onSignedOut, session, tenantPath } from './api.mjs';
import { h, replace } from './dom.mjs';
import { createI18n, LANGUAGES, pickLanguage } from './i18n.mjs';
import { announce } from './ui.mjs';
import { connectionView } from './view-connection.mjs';
import { exportDetailView } from './view-export-detail.mjs';
import { exportsView } from './view-exports.mjs';
import { historyView } from './view-history.mjs';
import { mappingsView, mappingsDirty } from './view-mappings.mjs';

const LANG_KEY = 'exact-export-admin-lang';
const REFRESH_MS = 5000;
const VIEWS = { connection: connectionView, mappings: mappingsView, exports: exportsView, history: historyView };
const $ = (id) => document.getElementById(id);

let i18n = createI18n(pickLanguage(localStorage.getItem(LANG_KEY), navigator.languages), navigator.languages);
let current = null; // { key, view }
let signedOut = false;

/** `#/exports/R-1?x=1` → { name: 'exports', id: 'R-1', params } */
function parseRoute() {
  const m = /^#\/([\w-]+)(?:\/([^?]*))?(?:\?(.*))?$/.exec(location.hash);
  if (!m || !VIEWS[m[1]]) return { name: 'connection', id: null, params: new URLSearchParams() };
  return { name: m[1], id: m[2] ? decodeURIComponent(m[2]) : null, params: new URLSearchParams(m[3] ?? '') };
}

const ctx = {
  get t() { return i18n.t; },
  get i18n() { return i18n; },
  navigate: (hash) => { location.hash = hash; },
  updateNav,
};

function renderChrome() {
  const { t } = i18n;
  document.documentElement.lang = i18n.lang;
  document.title = `${t('app.title')} · Exact Online`;
  $('skip').textContent = t('app.skip');
  replace($('brand'), h('span', { class: 'crumb', text: t('app.integrations') }), ' › ', h('strong', { text: 'Exact Online' }));
  $('langLabel').textContent = t('app.language');
  const lang = $('lang');
  replace(lang, LANGUAGES.map((l) => h('option', { value: l, selected: l === i18n.lang, text: t(`lang.${l}`) })));
  $('signOut').textContent = t('app.signOut');
  $('nav').setAttribute('aria-label', t('app.sections'));
  updateTenant();
  updateNav();
}

function updateTenant() {
  const { t } = i18n;
  replace($('tenant'), session.tenantId ? [h('span', { class: 'tenant-name', text: session.name ?? session.tenantId }), ' ', h('span', { class: 'muted', text: `(${session.tenantId}) · ${t('app.sessionUntil', { time: i18n.dateTime(session.expiresAt) })}` })] : []);
}

function updateNav(counts) {
  const { t } = i18n;
  if (counts !== undefined) updateNav.counts = counts;
  const route = parseRoute();
  const waiting = updateNav.counts;
  replace(
    $('nav'),
    Object.keys(VIEWS).map((name) =>
      h(
        'a',
        { href: `#/${name}`, 'aria-current': route.name === name ? 'page' : null },
        t(`nav.${name}`),
        name === 'mappings' && mappingsDirty() ? h('span', { class: 'dot', title: t('mappings.unsaved'), 'aria-label': t('mappings.unsaved') }) : null,
        name === 'exports' && waiting ? h('span', { class: 'count', 'aria-label': t('nav.needAction', { n: waiting }) }, String(waiting)) : null,
      ),
    ),
  );
}

async function show(force = false) {
  if (!session.tenantId) return;
  const route = parseRoute();
  const key = `${route.name}/${route.id ?? ''}?${route.params}`;
  updateNav();
  if (!force && current?.key === key) return;
  current?.view.leave?.();
  const main = $('main');
  const factory = route.name === 'exports' && route.id ? exportDetailView : VIEWS[route.name];
  const view = factory(ctx, route);
  current = { key, view };
  replace(main, view.el);
  await view.refresh?.();
  // Screen readers and keyboards start at the new view, unless the view focused a field itself.
  if (!force && !main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

function showSignedOut(message) {
  signedOut = true;
  session.tenantId = null;
  $('nav').hidden = true;
  $('signOut').hidden = true;
  updateTenant();
  current?.view.leave?.();
  current = null;
  replace($('main'), h('section', { class: 'card signed-out' }, h('h1', { text: i18n.t('signIn.title') }), h('p', { text: message ?? i18n.t('signIn.needLink') })));
}

/** Exchanges a one-time link's token (in the fragment: never sent to a server or logged) for the session cookie. */
async function signIn() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  let failed = null;
  if (m) {
    history.replaceState(null, '', location.pathname + location.search + '#/connection');
    try {
      await api('POST', '/api/admin-session', { token: decodeURIComponent(m[1]) });
    } catch (err) {
      failed = err.message; // a used or expired link: a session this browser still has goes on working
    }
  }
  try {
    const who = await api('GET', '/api/admin-session');
    if (who.kind !== 'session') throw new Error('not a session');
    Object.assign(session, { tenantId: who.tenantId, expiresAt: who.expiresAt });
    session.name = (await api('GET', tenantPath()).catch(() => null))?.name ?? null;
    signedOut = false;
    return true;
  } catch {
    showSignedOut(failed ?? undefined);
    return false;
  }
}

async function start() {
  renderChrome();
  $('lang').addEventListener('change', (e) => {
    localStorage.setItem(LANG_KEY, e.target.value);
    i18n = createI18n(e.target.value, navigator.languages);
    renderChrome();
    if (session.tenantId) show(true);
    else if (signedOut) showSignedOut();
  });
  $('signOut').addEventListener('click', async () => {
    await api('DELETE', '/api/admin-session').catch(() => undefined);
    showSignedOut(i18n.t('signIn.signedOut'));
  });
  onSignedOut(() => showSignedOut(i18n.t('signIn.expired')));
  window.addEventListener('beforeunload', (e) => {
    if (mappingsDirty()) e.preventDefault();
  });
  if (!(await signIn())) return;
  $('nav').hidden = false;
  $('signOut').hidden = false;
  renderChrome();
  const query = new URLSearchParams(location.search);
  if (query.has('connected')) announce(i18n.t('connection.authorized'), 'ok');
  if (query.has('cancelled')) announce(i18n.t('connection.authorizationCancelled'), 'bad');
  if (query.has('connected') || query.has('cancelled') || query.has('tenant')) history.replaceState(null, '', location.pathname + location.hash);
  window.addEventListener('hashchange', () => show());
  await show();
  setInterval(() => {
    if (!signedOut && document.visibilityState === 'visible' && !document.querySelector('dialog[open]')) current?.view.refresh?.({ poll: true });
  }, REFRESH_MS);
}

start();
