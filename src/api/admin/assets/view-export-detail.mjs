// One export: what it is waiting for and the actions that apply, the booking lines as built (or
// as posted) with VAT, totals and the receipts on each line, the error with the line it concerns,
// the missing mappings with a link to the field that fixes each, and the run in the Temporal UI.
import { api, exportPath } from './api.mjs';
import { h, uid } from './dom.mjs';
import { act, announce, badge, card, confirmDialog, dl, rerender, statusKind } from './ui.mjs';

const SIGNALS = { 'mapping-fixed': 'mappingFixed', retry: 'retried', cancel: 'cancelled' };

export function exportDetailView(ctx, route) {
  const { t, i18n } = ctx;
  const reportId = route.id;
  const region = h('div', { class: 'stack', 'aria-busy': 'true' });
  const el = h('div', {}, h('p', {}, h('a', { href: '#/exports', text: `← ${t('detail.back')}` })), h('h1', { text: t('detail.title', { reportId }) }), region);
  let last = '';

  async function signal(button, action) {
    if (action === 'cancel') {
      const ok = await confirmDialog(t, { title: t('detail.cancelTitle'), body: t('detail.cancelBody', { reportId }), confirm: t('action.cancel'), danger: true });
      if (!ok) return button.focus();
    }
    await act(button, t, () => api('POST', exportPath(reportId, `/${action}`)), t(`detail.${SIGNALS[action]}`));
    setTimeout(refresh, 800);
  }

  /** Mark posted: the ID is checked here as the API checks it (one word, at most 128 characters). */
  async function markPosted(e, input, error) {
    e.preventDefault();
    const id = input.value.trim();
    const problem = !id ? t('markPosted.required') : /\s/.test(id) || id.length > 128 ? t('markPosted.invalid') : '';
    error.textContent = problem;
    if (problem) {
      input.setAttribute('aria-invalid', 'true');
      return input.focus();
    }
    input.removeAttribute('aria-invalid');
    const ok = await act(e.submitter, t, () => api('POST', exportPath(reportId, '/mark-posted'), { exactEntryId: id }), t('detail.markedPosted'));
    if (ok) input.value = '';
    setTimeout(refresh, 800);
  }

  function actions(d) {
    const firstField = d.missing.find((m) => m.mappingField)?.mappingField;
    const items = d.actions.map((a) => {
      if (a === 'fix-mappings') return h('a', { class: 'button secondary', href: firstField ? `#/mappings?field=${encodeURIComponent(firstField)}` : '#/mappings', text: t('action.fix-mappings') });
      if (a === 'reconnect') return h('a', { class: 'button primary', href: '#/connection', text: t('action.reconnect') });
      if (a === 'mark-posted') return null;
      return h('button', { type: 'button', class: a === 'cancel' ? 'danger-outline' : a === 'retry' ? 'primary' : 'secondary', 'data-focus': `action-${a}`, text: t(`action.${a}`), onclick: (ev) => signal(ev.currentTarget, a) });
    });
    const markForm = d.actions.includes('mark-posted') ? markPostedForm() : null;
    if (!items.some(Boolean) && !markForm) return null;
    return card(t('detail.actions'), h('div', { class: 'row' }, items), markForm);
  }

  function markPostedForm() {
    const id = uid('entry');
    const error = h('p', { id: `${id}-error`, class: 'field-error', 'aria-live': 'polite' });
    const input = h('input', { id, name: 'exactEntryId', type: 'text', maxlength: '128', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': `${id}-hint ${id}-error`, 'data-focus': 'mark-posted-id' });
    return h(
      'form',
      { class: 'mark-posted', novalidate: true, onsubmit: (e) => markPosted(e, input, error) },
      h('label', { for: id, text: t('detail.entryId') }),
      h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'secondary', 'data-focus': 'action-mark-posted', text: t('action.mark-posted') })),
      h('p', { id: `${id}-hint`, class: 'hint muted', text: t('markPosted.hint') }),
      error,
    );
  }

  function summary(d) {
    return card(
      t('detail.summary'),
      h('p', { class: 'state-line' }, badge(i18n.label('status', d.status), statusKind(d.status)), ' ', h('span', { text: t(`statusHelp.${d.status}`) })),
      dl([
        [t('detail.employee'), `${d.report.employee.name} (${d.report.employee.id})`],
        [t('detail.description'), d.report.description || '—'],
        [t('detail.approvedAt'), i18n.dateTime(d.report.approvedAt)],
        [t('detail.total'), i18n.amount(d.totals.gross, d.totals.currency)],
        [t('detail.reference'), h('span', { class: 'code', text: d.reference })],
        [t('detail.entryNumber'), d.exactEntryNumber ?? '—'],
        d.postedAt ? [t('detail.postedAt'), i18n.dateTime(d.postedAt)] : null,
        d.postedVia ? [t('detail.postedVia'), t(`postedVia.${d.postedVia}`)] : null,
        [t('connection.division'), d.division ?? '—'],
        [t('detail.revision'), d.revision < d.currentRevision ? t('detail.olderRevision', { revision: d.revision, current: d.currentRevision }) : String(d.revision)],
        [t('detail.updated'), i18n.dateTime(d.updatedAt)],
        [t('detail.run'), h('a', { href: d.temporalUrl, target: '_blank', rel: 'noopener noreferrer', text: t('detail.temporal') })],
      ]),
    );
  }

  function problems(d) {
    const out = [];
    if (d.status === 'needs_review') out.push(review(d));
    // needs_review keeps its reason as the error too: shown once, in the review card.
    if (d.error && !(d.status === 'needs_review' && d.error.message === d.review?.reason)) {
      out.push(
        h(
          'section',
          { class: 'card problem-card', role: 'alert', 'aria-labelledby': 'err-title' },
          h('h2', { id: 'err-title', text: t(d.status === 'rejected' ? 'detail.error' : 'detail.lastProblem') }),
          h('p', { text: d.error.message }),
          d.error.line ? h('p', {}, h('a', { href: `#line-${d.error.line}`, onclick: (e) => { e.preventDefault(); document.getElementById(`line-${d.error.line}`)?.focus(); }, text: t('detail.errorLine', { line: d.error.line }) })) : null,
        ),
      );
    }
    if (d.missing.length) {
      out.push(
        card(
          t('detail.missing', { n: d.missing.length }),
          h('ul', { class: 'issues' }, d.missing.map((m) => h('li', {}, h('span', { text: m.message ?? `${m.field} ${m.value}` }), m.expenseId ? h('span', { class: 'muted', text: ` (${t('detail.expense')} ${m.expenseId})` }) : null, ' ', m.mappingField ? h('a', { href: `#/mappings?field=${encodeURIComponent(m.mappingField)}`, text: t('detail.fixField') }) : h('span', { class: 'muted', text: t('detail.notMapping') })))),
        ),
      );
    }
    return out;
  }

  const receiptList = (receipts) => (receipts.length ? h('ul', { class: 'receipts' }, receipts.map((r) => h('li', { text: `${r.fileName} (${Math.max(1, Math.round(r.size / 1024))} KB)` }))) : '—');

  function lines(d) {
    if (!d.lines.length) return expenses(d);
    const cur = d.totals.currency;
    const posted = d.status === 'posted';
    return card(
      t(posted ? 'detail.linesPosted' : 'detail.linesBuilt'),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'data lines' },
          h('caption', { class: 'sr-only', text: t(posted ? 'detail.linesPosted' : 'detail.linesBuilt') }),
          h('thead', {}, h('tr', {}, ['line', 'side', 'account', 'description', 'vatCode', 'net', 'vat', 'gross', 'dimensions', 'supplier', 'receipts'].map((c) => h('th', { scope: 'col', class: ['net', 'vat', 'gross'].includes(c) ? 'num' : null, text: t(`lines.${c}`) })))),
          h(
            'tbody',
            {},
            d.lines.map((l) =>
              h(
                'tr',
                { id: `line-${l.position}`, tabindex: '-1', class: d.error?.line === l.position ? 'error-line' : null },
                h('th', { scope: 'row', text: String(l.position) }),
                h('td', { text: t(`side.${l.side}`) }),
                h('td', {}, h('span', { class: 'code', text: l.accountCode }), l.accountName ? ` ${l.accountName}` : ''),
                h('td', { text: l.description }),
                h('td', { text: l.vatCode ?? '—' }),
                h('td', { class: 'num', text: i18n.amount(l.netAmount, cur) }),
                h('td', { class: 'num', text: i18n.amount(l.taxAmount, cur) }),
                h('td', { class: 'num', text: i18n.amount(l.grossAmount, cur) }),
                h('td', { text: [l.costCenter, l.costUnit].filter(Boolean).join(' / ') || '—' }),
                h('td', { text: l.supplier ? `${l.supplier}${l.supplierName ? ` ${l.supplierName}` : ''}` : '—' }),
                h('td', {}, receiptList(l.receipts)),
              ),
            ),
          ),
        ),
      ),
      totals(d),
    );
  }

  function totals(d) {
    const cur = d.totals.currency;
    return h(
      'div',
      { class: 'totals' },
      d.vat.length
        ? h(
            'table',
            { class: 'data compact' },
            h('caption', { text: t('detail.vatBreakdown') }),
            h('thead', {}, h('tr', {}, ['vatCode', 'rate', 'net', 'vat', 'gross'].map((c) => h('th', { scope: 'col', class: c === 'vatCode' || c === 'rate' ? null : 'num', text: t(`lines.${c}`) })))),
            h('tbody', {}, d.vat.map((v) => h('tr', {}, h('th', { scope: 'row', text: v.code }), h('td', { text: v.rate === 'exempt' ? t('vat.exempt') : `${v.rate} %` }), h('td', { class: 'num', text: i18n.amount(v.net, cur) }), h('td', { class: 'num', text: i18n.amount(v.tax, cur) }), h('td', { class: 'num', text: i18n.amount(v.gross, cur) })))),
          )
        : null,
      dl([
        [t('detail.totalNet'), i18n.amount(d.totals.net, cur)],
        [t('detail.totalVat'), i18n.amount(d.totals.tax, cur)],
        [t('detail.totalGross'), i18n.amount(d.totals.gross, cur)],
      ]),
    );
  }

  function expenses(d) {
    const cur = d.report.currency;
    return card(
      t('detail.expenses'),
      h('p', { class: 'muted', text: t('detail.notBuilt') }),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'data' },
          h('caption', { class: 'sr-only', text: t('detail.expenses') }),
          h('thead', {}, h('tr', {}, ['date', 'description', 'category', 'amount', 'vatRate', 'receipts'].map((c) => h('th', { scope: 'col', class: c === 'amount' ? 'num' : null, text: t(`expense.${c}`) })))),
          h('tbody', {}, d.report.expenses.map((e) => h('tr', {}, h('td', { text: i18n.day(e.date) }), h('th', { scope: 'row', text: e.description || e.id }), h('td', { text: e.category }), h('td', { class: 'num', text: i18n.amount(e.amount, cur) }), h('td', { text: e.vatRate === null ? '—' : e.vatRate === 'exempt' ? t('vat.exempt') : `${e.vatRate} %` }), h('td', {}, receiptList(e.receipts))))),
        ),
      ),
      totals(d),
    );
  }

  /** needs_review in plain words: what is known, and what to check in Exact before choosing an action. */
  function review(d) {
    return h(
      'section',
      { class: 'card problem-card', 'aria-labelledby': 'review-title' },
      h('h2', { id: 'review-title', text: t('review.title') }),
      h('p', { text: t('review.known', { n: d.posting.unknownOutcomes || d.posting.attempts }) }),
      d.review ? h('p', {}, h('span', { class: 'muted', text: `${t('detail.review')}: ` }), d.review.reason, h('span', { class: 'muted', text: ` (${i18n.dateTime(d.review.at)})` })) : null,
      h('h3', { text: t('review.check') }),
      h(
        'ol',
        { class: 'steps' },
        h('li', {}, t('review.search'), ' ', h('strong', { class: 'code', text: d.reference }), ' ', t('review.searchWhat', { total: i18n.amount(d.totals.gross, d.totals.currency), employee: d.report.employee.name })),
        h('li', { text: t('review.found') }),
        h('li', { text: t('review.notFound') }),
        h('li', { text: t('review.cancel') }),
      ),
    );
  }

  /** Every POST to Exact and every lookup, oldest first, in plain words. */
  function posting(d) {
    if (!d.posting?.log?.length) return null;
    const step = (l) => {
      const key = `log.${l.kind}.${l.result}`;
      return i18n.has(key) ? t(key) : `${l.kind}: ${l.result}`;
    };
    return card(
      t('detail.attempts', { n: d.posting.attempts }),
      d.posting.outcomeOpen ? h('p', { class: 'muted', text: t('log.open') }) : null,
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'data compact posting-log' },
          h('caption', { class: 'sr-only', text: t('log.caption') }),
          h('thead', {}, h('tr', {}, ['at', 'step', 'detail'].map((c) => h('th', { scope: 'col', text: t(`log.${c}`) })))),
          h('tbody', {}, d.posting.log.map((l) => h('tr', { class: `log-${l.kind}` }, h('td', { text: i18n.dateTime(l.at, { seconds: true }) }), h('th', { scope: 'row', text: step(l) }), h('td', { text: l.detail ?? '—' })))),
        ),
      ),
    );
  }

  async function refresh() {
    try {
      const d = await api('GET', exportPath(reportId, '/detail'));
      const key = JSON.stringify([d, i18n.lang]);
      if (key === last) return;
      last = key;
      // What is wrong comes before what can be done about it.
      rerender(region, summary(d), problems(d), actions(d), lines(d), posting(d));
      region.setAttribute('aria-busy', 'false');
    } catch (err) {
      if (err.status === 404) rerender(region, h('p', { class: 'card', text: t('detail.notFound') }));
      else announce(err.message, 'bad');
    }
  }

  return { el, refresh };
}
