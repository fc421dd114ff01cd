// Connection: state in plain words with the button that fixes it, division, last and next sync
// (progress while one runs), the day's Exact call budget, a division change awaiting a decision,
// and mapping health naming the blocked or vanished codes with a link to their field.
import { api, tenantPath } from './api.mjs';
import { h, uid } from './dom.mjs';
import { KINDS } from './domain.mjs';
import { act, announce, badge, card, confirmDialog, dl, rerender, statusKind } from './ui.mjs';

const CONNECT_STATES = new Set(['disconnected', 'needs_reauthorization', 'error', 'awaiting_authorization', 'connected']);

export function connectionView(ctx) {
  const { t, i18n } = ctx;
  const region = h('div', { class: 'stack', 'aria-busy': 'true' });
  const el = h('div', {}, h('h1', { text: t('connection.title') }), region);
  let last = '';

  async function connect(button) {
    await act(button, t, async () => {
      const r = await api('POST', tenantPath('/exact/connect'));
      window.location.href = r.authorizationUrl;
    });
  }

  async function sync(button, mode) {
    await act(button, t, () => api('POST', tenantPath('/exact/sync'), { mode }), t('connection.syncStarted'));
    refresh();
  }

  async function disconnect(button) {
    const ok = await confirmDialog(t, { title: t('connection.disconnectTitle'), body: t('connection.disconnectBody'), confirm: t('connection.disconnect'), danger: true });
    if (!ok) return button.focus();
    await act(button, t, () => api('DELETE', tenantPath('/exact')), t('connection.disconnected'));
    refresh();
  }

  async function decide(button, decision, change) {
    if (decision === 'reject') {
      const ok = await confirmDialog(t, { title: t('division.rejectTitle'), body: t('division.rejectBody', { division: change.to }), confirm: t('division.reject'), danger: true });
      if (!ok) return button.focus();
    }
    await act(button, t, () => api('POST', tenantPath(`/exact/division-change/${decision}`), decision === 'confirm' ? { division: change.to } : {}), t(decision === 'confirm' ? 'division.confirmed' : 'division.rejected'));
    refresh();
  }

  function stateCard(s) {
    const connectLabel = s.state === 'awaiting_authorization' ? t('connection.continue') : s.state === 'disconnected' ? t('connection.connect') : t('connection.reconnect');
    const primaryConnect = ['disconnected', 'needs_reauthorization', 'error', 'awaiting_authorization'].includes(s.state);
    const buttons = [
      CONNECT_STATES.has(s.state) ? h('button', { type: 'button', class: primaryConnect ? 'primary' : 'secondary', 'data-focus': 'connect', text: connectLabel, onclick: (e) => connect(e.currentTarget) }) : null,
      ['connected', 'error', 'syncing'].includes(s.state) ? h('button', { type: 'button', class: 'secondary', 'data-focus': 'sync', disabled: s.state === 'syncing', text: t('connection.syncNow'), onclick: (e) => sync(e.currentTarget, 'auto') }) : null,
      s.state !== 'disconnected' ? h('button', { type: 'button', class: 'danger-outline', 'data-focus': 'disconnect', text: t('connection.disconnect'), onclick: (e) => disconnect(e.currentTarget) }) : null,
    ];
    return card(
      t('connection.state'),
      h('p', { class: 'state-line' }, badge(i18n.label('state', s.state), statusKind(s.state)), ' ', h('span', { text: t(`stateHelp.${s.state}`) })),
      s.error ? h('p', { class: 'problem', role: 'alert' }, h('strong', { text: `${t('connection.problem')}: ` }), s.error) : null,
      dl([
        [t('connection.division'), s.division ? `${s.divisionName ?? ''}${s.divisionName ? ' · ' : ''}${s.division}` : '—'],
        s.targetSystem ? [t('connection.system'), s.targetSystem] : null,
        s.callBudget ? [t('connection.budget'), budgetText(s.callBudget)] : null,
      ]),
      h('div', { class: 'row' }, buttons),
    );
  }

  function budgetText(b) {
    const parts = [t('budget.day', { remaining: b.day.remaining, limit: b.day.limit })];
    parts.push(t('budget.minute', { remaining: b.minute.remaining, limit: b.minute.limit }));
    if (b.blockedUntil) parts.push(t('budget.paused', { time: i18n.dateTime(b.blockedUntil) }));
    if (b.exportsWaiting) parts.push(t('budget.queued'));
    return parts.join(' · ');
  }

  function divisionCard(change) {
    return h(
      'section',
      { class: 'card notice', 'aria-labelledby': 'division-title' },
      h('h2', { id: 'division-title', text: t('division.title') }),
      h('p', { text: t('division.body', { to: change.to, toName: change.toName ?? '', from: change.from }) }),
      h('p', { class: 'muted', text: t('division.wait') }),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'button', class: 'primary', 'data-focus': 'confirm-division', text: t('division.confirm', { division: change.to }), onclick: (e) => decide(e.currentTarget, 'confirm', change) }),
        h('button', { type: 'button', class: 'danger-outline', 'data-focus': 'reject-division', text: t('division.reject'), onclick: (e) => decide(e.currentTarget, 'reject', change) }),
      ),
    );
  }

  function countsTable(counts, caption) {
    const kinds = KINDS.filter((k) => counts[k.kind]);
    if (!kinds.length) return null;
    return h('div', { class: 'scroll' }, h(
      'table',
      { class: 'data compact' },
      h('caption', { class: 'sr-only', text: caption }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('sync.kind') }), h('th', { scope: 'col', class: 'num', text: t('sync.read') }), h('th', { scope: 'col', class: 'num', text: t('sync.written') }), h('th', { scope: 'col', class: 'num', text: t('sync.deactivated') }))),
      h('tbody', {}, kinds.map((k) => h('tr', {}, h('th', { scope: 'row', text: t(`kind.${k.kind}`) }), h('td', { class: 'num', text: i18n.number(counts[k.kind].fetched) }), h('td', { class: 'num', text: i18n.number(counts[k.kind].upserted) }), h('td', { class: 'num', text: i18n.number(counts[k.kind].deactivated) })))),
    ));
  }

  function syncCard(s, running) {
    const l = s.lastSync;
    const total = running ? Object.values(running.counts).reduce((a, c) => a + c.fetched, 0) : 0;
    return card(
      t('sync.title'),
      running
        ? h('div', { class: 'progress-box' }, h('progress', { 'aria-label': t('sync.running') }), h('p', { role: 'status', text: t('sync.progress', { n: total, time: i18n.dateTime(running.startedAt) }) }), countsTable(running.counts, t('sync.soFar')))
        : null,
      dl([
        [t('sync.last'), l ? h('span', {}, badge(i18n.label('runStatus', l.status), statusKind(l.status)), ' ', `${t(`mode.${l.mode}`)} · ${i18n.dateTime(l.startedAt)}`) : t('sync.never')],
        l?.finishedAt ? [t('sync.duration'), i18n.duration(new Date(l.finishedAt) - new Date(l.startedAt))] : null,
        [t('sync.next'), s.nextSyncAt ? i18n.dateTime(s.nextSyncAt) : '—'],
      ]),
      l && l.status !== 'running' ? countsTable(l.counts, t('sync.lastCounts')) : null,
      h('p', {}, h('a', { href: '#/history', text: t('sync.allRuns') })),
    );
  }

  function healthCard(health) {
    if (!health || health.ok) return card(t('health.title'), h('p', { class: 'ok-text', text: health ? t('health.ok', { time: i18n.dateTime(health.checkedAt) }) : t('health.unknown') }));
    const listId = uid('health');
    return h(
      'section',
      { class: 'card warning', 'aria-labelledby': listId },
      h('h2', { id: listId, text: t('health.title') }),
      h('p', { text: t('health.issues', { n: health.issues.length }) }),
      h('ul', { class: 'issues' }, health.issues.map((i) => h('li', { title: `${i18n.label('kind', i.kind)} ${i.code}` }, `${i.reason} `, h('a', { href: `#/mappings?field=${encodeURIComponent(i.usedIn)}`, text: t('health.fix') })))),
    );
  }

  async function refresh() {
    try {
      const s = await api('GET', tenantPath('/exact'));
      const runs = s.state === 'syncing' || s.lastSync?.status === 'running' ? await api('GET', tenantPath('/sync-runs?limit=1')) : null;
      const running = runs?.items?.[0]?.status === 'running' ? runs.items[0] : null;
      const key = JSON.stringify([s, running, i18n.lang]);
      if (key === last) return;
      last = key;
      rerender(region, s.divisionChange ? divisionCard(s.divisionChange) : null, stateCard(s), syncCard(s, running), healthCard(s.mappingHealth));
      region.setAttribute('aria-busy', 'false');
    } catch (err) {
      announce(err.message, 'bad');
    }
  }

  return { el, refresh };
}
