// Sync history: the last runs with mode, trigger, duration, records per kind and errors.
import { api, tenantPath } from './api.mjs';
import { h } from './dom.mjs';
import { KINDS } from './domain.mjs';
import { announce, badge, rerender, statusKind } from './ui.mjs';

export function historyView(ctx) {
  const { t, i18n } = ctx;
  const region = h('div', { 'aria-busy': 'true' });
  const el = h('div', {}, h('h1', { text: t('history.title') }), region);
  let last = '';

  const records = (counts) => {
    const kinds = KINDS.filter((k) => counts[k.kind]);
    if (!kinds.length) return '—';
    const total = kinds.reduce((a, k) => a + counts[k.kind].fetched, 0);
    return h(
      'details',
      {},
      h('summary', { text: t('history.records', { n: total }) }),
      h('ul', { class: 'plain' }, kinds.map((k) => h('li', { text: `${t(`kind.${k.kind}`)}: ${i18n.number(counts[k.kind].fetched)} ${t('history.read')}, ${i18n.number(counts[k.kind].upserted)} ${t('history.written')}${counts[k.kind].deactivated ? `, ${i18n.number(counts[k.kind].deactivated)} ${t('history.deactivated')}` : ''}` }))),
    );
  };

  function table(items) {
    if (!items.length) return h('section', { class: 'card' }, h('p', { class: 'muted', text: t('history.none') }));
    return h(
      'section',
      { class: 'card' },
      h(
        'table',
        { class: 'data cards' },
        h('caption', { class: 'sr-only', text: t('history.title') }),
        h('thead', {}, h('tr', {}, ['started', 'mode', 'trigger', 'status', 'duration', 'records', 'errors'].map((c) => h('th', { scope: 'col', text: t(`history.${c}`) })))),
        h(
          'tbody',
          {},
          items.map((r) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row', 'data-label': t('history.started'), text: i18n.dateTime(r.startedAt) }),
              h('td', { 'data-label': t('history.mode'), text: t(`mode.${r.mode}`) }),
              h('td', { 'data-label': t('history.trigger'), text: i18n.label('trigger', r.trigger) }),
              h('td', { 'data-label': t('history.status') }, badge(i18n.label('runStatus', r.status), statusKind(r.status))),
              h('td', { 'data-label': t('history.duration'), text: r.durationMs === null ? t('sync.running') : i18n.duration(r.durationMs) }),
              h('td', { 'data-label': t('history.records') }, records(r.counts)),
              h('td', { 'data-label': t('history.errors') }, r.errors.length ? h('ul', { class: 'plain problem' }, r.errors.map((e) => h('li', { text: `${e.kind ? `${i18n.label('kind', e.kind)}: ` : ''}${e.message}` }))) : '—'),
            ),
          ),
        ),
      ),
    );
  }

  async function refresh() {
    try {
      const r = await api('GET', tenantPath('/sync-runs?limit=20'));
      const key = JSON.stringify([r, i18n.lang]);
      if (key === last) return;
      last = key;
      rerender(region, table(r.items));
      region.setAttribute('aria-busy', 'false');
    } catch (err) {
      announce(err.message, 'bad');
    }
  }

  return { el, refresh };
}
