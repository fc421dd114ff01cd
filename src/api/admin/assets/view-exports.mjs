// Exports: what needs a person first, a status filter with counts, search by report ID or
// employee, and a page of results; each row opens the export's detail.
import { api, tenantPath } from './api.mjs';
import { h, uid } from './dom.mjs';
import { ACTION_STATUSES, EXPORT_STATUSES } from './domain.mjs';
import { announce, badge, rerender, statusKind } from './ui.mjs';

const LIMIT = 25;
/** The filter and search stay while the page is open (coming back from a detail). */
const state = { status: '', search: '', page: 1 };

export function exportsView(ctx) {
  const { t, i18n } = ctx;
  const searchId = uid('search');
  const searchInput = h('input', { id: searchId, type: 'search', value: state.search, placeholder: t('exports.searchPlaceholder'), autocomplete: 'off' });
  const form = h(
    'form',
    { role: 'search', class: 'row', onsubmit: (e) => { e.preventDefault(); state.search = searchInput.value.trim(); state.page = 1; last = ''; refresh(); } },
    h('label', { for: searchId, text: t('exports.search') }),
    searchInput,
    h('button', { type: 'submit', class: 'secondary', text: t('exports.searchButton') }),
  );
  const filters = h('div', { class: 'filters', role: 'group', 'aria-label': t('exports.filter') });
  const results = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' });
  const el = h('div', {}, h('h1', { text: t('exports.title') }), h('section', { class: 'card' }, form, filters), results);
  let last = '';

  const setStatus = (status) => {
    state.status = status;
    state.page = 1;
    last = '';
    refresh();
  };

  function filterButtons(counts) {
    const all = Object.values(counts).reduce((a, b) => a + b, 0);
    const order = [...ACTION_STATUSES, ...EXPORT_STATUSES.filter((s) => !ACTION_STATUSES.includes(s))];
    const chip = (status, label, n) =>
      h('button', { type: 'button', class: ['chip', status && statusKind(status)], 'aria-pressed': state.status === status ? 'true' : 'false', 'data-focus': `filter-${status}`, onclick: () => setStatus(status) }, label, ' ', h('span', { class: 'n', text: i18n.number(n) }));
    return [chip('', t('exports.all'), all), ...order.filter((s) => counts[s] || s === state.status).map((s) => chip(s, t(`status.${s}`), counts[s] ?? 0))];
  }

  function row(e) {
    const open = `#/exports/${encodeURIComponent(e.reportId)}`;
    return h(
      'tr',
      { class: ACTION_STATUSES.includes(e.status) ? 'needs-action' : null },
      h('th', { scope: 'row', 'data-label': t('exports.report') }, h('a', { href: open, 'data-focus': `open-${e.reportId}`, text: e.reportId }), e.revision > 1 ? h('span', { class: 'muted small', text: ` · ${t('exports.revision', { revision: e.revision })}` }) : null, e.description ? h('div', { class: 'muted small', text: e.description }) : null),
      h('td', { 'data-label': t('exports.employee'), text: e.employee.name }),
      h('td', { class: 'num', 'data-label': t('exports.amount'), text: i18n.amount(e.total, e.currency) }),
      h('td', { 'data-label': t('exports.status') }, badge(i18n.label('status', e.status), statusKind(e.status)), e.problem ? h('div', { class: 'problem small', text: e.problem }) : null),
      h('td', { 'data-label': t('exports.entry'), text: e.exactEntryNumber ?? '—' }),
      h('td', { 'data-label': t('exports.updated'), text: i18n.dateTime(e.updatedAt) }),
    );
  }

  function table(r) {
    if (!r.items.length) return h('section', { class: 'card' }, h('p', { class: 'muted', text: state.search || state.status ? t('exports.noMatch') : t('exports.none') }));
    const from = (state.page - 1) * LIMIT + 1;
    const to = from + r.items.length - 1;
    const pages = Math.max(1, Math.ceil(r.total / LIMIT));
    const go = (p) => { state.page = p; last = ''; refresh(); };
    return h(
      'section',
      { class: 'card' },
      h(
        'table',
        { class: 'data cards' },
        h('caption', { class: 'sr-only', text: t('exports.caption') }),
        h('thead', {}, h('tr', {}, ['report', 'employee', 'amount', 'status', 'entry', 'updated'].map((c) => h('th', { scope: 'col', class: c === 'amount' ? 'num' : null, text: t(`exports.${c}`) })))),
        h('tbody', {}, r.items.map(row)),
      ),
      h(
        'nav',
        { class: 'row pager', 'aria-label': t('exports.pages') },
        h('span', { class: 'muted', text: t('exports.showing', { from, to, total: r.total }) }),
        h('button', { type: 'button', class: 'secondary', 'data-focus': 'prev', disabled: state.page <= 1, text: t('exports.previous'), onclick: () => go(state.page - 1) }),
        h('button', { type: 'button', class: 'secondary', 'data-focus': 'next', disabled: state.page >= pages, text: t('exports.next'), onclick: () => go(state.page + 1) }),
      ),
    );
  }

  async function refresh() {
    const q = new URLSearchParams({ sort: 'action', limit: String(LIMIT), page: String(state.page) });
    if (state.status) q.set('status', state.status);
    if (state.search) q.set('search', state.search);
    try {
      const r = await api('GET', tenantPath(`/exports?${q}`));
      const key = JSON.stringify([r, i18n.lang, state]);
      if (key === last) return;
      last = key;
      ctx.updateNav(ACTION_STATUSES.reduce((a, s) => a + (r.counts[s] ?? 0), 0));
      rerender(filters, filterButtons(r.counts));
      rerender(results, table(r));
      results.setAttribute('aria-busy', 'false');
    } catch (err) {
      announce(err.message, 'bad');
    }
  }

  return { el, refresh };
}
