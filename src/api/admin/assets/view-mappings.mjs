// The mapping editor (no JSON): journal and credit account; categories → GL account; VAT rates →
// VAT code; cost centres and units; employees and merchants → supplier. Every code is picked from
// the synced master data; unsaved changes show; saving puts each invalid reference next to its
// field and says how many waiting exports were woken.
import { api, ApiError, tenantPath } from './api.mjs';
import { h, replace, uid } from './dom.mjs';
import { kindOfMappingPath } from './domain.mjs';
import { ROW_SECTIONS, GENERAL_FIELDS, draftFrom, draftProblems, ensureRow, isDirty, newRow, pathOf, payloadOf, rowChanged, splitPath } from './mappings-model.mjs';
import { picker } from './picker.mjs';
import { act, announce, badge, confirmDialog } from './ui.mjs';

/** The draft lives as long as the page: switching views does not lose it. */
const model = { saved: null, review: null, draft: null, errors: new Map() };
export const mappingsDirty = () => !!model.draft && isDirty(model.draft, model.saved);

export function mappingsView(ctx, route) {
  const { t } = ctx;
  // No implicit submission: Enter in a field must not save half-edited mappings.
  const form = h('form', { class: 'mappings', novalidate: true, onsubmit: (e) => e.preventDefault() });
  const bar = h('div', { class: 'savebar', role: 'region', 'aria-label': t('mappings.saveBar') });
  const el = h('div', {}, h('h1', { text: t('mappings.title') }), h('p', { class: 'muted', text: t('mappings.intro') }), form);

  const errorsOf = (key) => model.errors.get(key) ?? [];
  const neededOf = (path) => model.review?.needed.find((n) => n.path === path);

  function neededBadge(path) {
    const n = neededOf(path);
    return n ? h('span', { class: 'badge warn', title: n.messages.join('\n'), text: t('mappings.needed', { n: n.reportIds.length }) }) : null;
  }

  function errorBox(id, messages) {
    return h('div', { id, class: 'field-error', role: messages.length ? 'alert' : null }, messages.map((m) => h('div', { text: m })));
  }

  function markInvalid(input, messages) {
    if (messages.length) input.setAttribute('aria-invalid', 'true');
  }

  function generalField(field) {
    const f = model.draft.general[field];
    const errId = uid('err');
    const messages = [...errorsOf(field), ...errorsOf(`${field}:code`)];
    const p = picker({ t, kind: kindOfMappingPath(field), fit: () => field, label: t(`mappings.${field}`), visibleLabel: true, value: f.code, record: f.record, describedBy: errId, onChange: (code, record) => { Object.assign(f, { code, record }); changed(); } });
    markInvalid(p.input, messages);
    return h('div', { class: ['field', messages.length && 'invalid'], dataset: { field } }, p.el, h('div', { class: 'hint muted', text: t(`mappings.${field}Help`) }), neededBadge(field), errorBox(errId, messages));
  }

  function row(section, r) {
    const errId = uid('err');
    const keyId = uid('key');
    const key = r.key.trim();
    const keyMessages = [...errorsOf(`${r.rid}:key`), ...(pathOf(section, key) !== `${section}.${key}` ? errorsOf(`${section}.${key}`) : [])];
    const codeMessages = [...errorsOf(`${r.rid}:code`), ...errorsOf(pathOf(section, key))];
    const messages = [...keyMessages, ...codeMessages];
    const keyInput = h('input', { id: keyId, type: 'text', value: r.key, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': errId, placeholder: t(`mappings.${section}.keyPlaceholder`), dataset: { keyPath: `${section}.${r.key}` } });
    keyInput.addEventListener('input', () => {
      r.key = keyInput.value;
      r.suggested = false;
      keyInput.dataset.keyPath = `${section}.${r.key.trim()}`;
      changed();
    });
    const p = picker({
      t,
      kind: kindOfMappingPath(pathOf(section, 'x')),
      fit: () => pathOf(section, r.key.trim() || (section === 'vatRates' ? '0' : 'x')),
      label: t(`mappings.${section}.codeLabel`, { key: r.key || '…' }),
      value: r.code,
      record: r.record,
      describedBy: errId,
      onChange: (code, record) => {
        Object.assign(r, { code, record, suggested: false });
        changed();
      },
    });
    markInvalid(keyInput, keyMessages);
    markInvalid(p.input, codeMessages);
    const changedNow = rowChanged(section, r, model.saved);
    return h(
      'div',
      { class: ['maprow', messages.length && 'invalid', r.suggested && 'suggested'], dataset: { rid: r.rid } },
      h('div', { class: 'key' }, h('label', { for: keyId, class: 'sr-only', text: t(`mappings.${section}.keyLabel`) }), keyInput),
      h('div', { class: 'arrow', 'aria-hidden': 'true', text: '→' }),
      h('div', { class: 'codecol' }, p.el),
      h('div', { class: 'marks' }, changedNow ? h('span', { class: 'badge busy', text: t('mappings.changed') }) : null, neededBadge(pathOf(section, r.key.trim()))),
      h('button', { type: 'button', class: 'icon', 'aria-label': t('mappings.remove', { key: r.key || '…' }), text: '✕', onclick: () => { model.draft.rows[section] = model.draft.rows[section].filter((x) => x !== r); render(); changed(); } }),
      errorBox(errId, messages),
    );
  }

  function section(name) {
    const legendId = uid('legend');
    const rows = model.draft.rows[name];
    return h(
      'fieldset',
      { class: 'card', 'aria-labelledby': legendId, dataset: { section: name } },
      h('legend', { id: legendId, text: t(`mappings.${name}.title`) }),
      h('p', { class: 'muted', text: t(`mappings.${name}.help`) }),
      rows.length ? h('div', { class: 'maprow head', 'aria-hidden': 'true' }, h('div', { class: 'key', text: t(`mappings.${name}.keyLabel`) }), h('div', { class: 'arrow' }), h('div', { class: 'codecol', text: t(`mappings.${name}.codeHead`) })) : h('p', { class: 'muted', text: t('mappings.noRows') }),
      rows.map((r) => row(name, r)),
      h('button', { type: 'button', class: 'secondary', text: t(`mappings.${name}.add`), onclick: () => { const r = newRow(); rows.push(r); render(); form.querySelector(`[data-rid="${r.rid}"] .key input`)?.focus(); } }),
    );
  }

  function saveBar() {
    const dirty = mappingsDirty();
    replace(
      bar,
      h('span', { class: dirty ? 'unsaved' : 'muted', role: 'status', text: dirty ? t('mappings.unsaved') : model.review?.version ? t('mappings.savedVersion', { version: model.review.version }) : t('mappings.notSaved') }),
      h('button', { type: 'button', class: 'primary', disabled: !dirty && model.review?.version > 0, text: t('mappings.save'), onclick: (e) => save(e.currentTarget) }),
      h('button', { type: 'button', class: 'secondary', disabled: !dirty, text: t('mappings.discard'), onclick: discard }),
    );
  }

  function render() {
    const general = h('fieldset', { class: 'card', dataset: { section: 'general' } }, h('legend', { text: t('mappings.general') }), h('div', { class: 'grid2' }, GENERAL_FIELDS.map(generalField)));
    replace(form, general, ROW_SECTIONS.map(section), bar);
    saveBar();
  }

  function changed() {
    saveBar();
    ctx.updateNav();
    for (const s of ROW_SECTIONS) {
      for (const r of model.draft.rows[s]) {
        const marks = form.querySelector(`[data-rid="${r.rid}"] .marks`);
        if (marks) replace(marks, rowChanged(s, r, model.saved) ? h('span', { class: 'badge busy', text: t('mappings.changed') }) : null, neededBadge(pathOf(s, r.key.trim())));
      }
    }
  }

  async function discard() {
    const ok = await confirmDialog(t, { title: t('mappings.discardTitle'), body: t('mappings.discardBody'), confirm: t('mappings.discard'), danger: true });
    if (!ok) return;
    model.errors.clear();
    model.draft = draftFrom(model.saved, model.review);
    render();
    ctx.updateNav();
  }

  async function save(button) {
    model.errors.clear();
    const problems = draftProblems(model.draft);
    if (problems.length) {
      for (const p of problems) model.errors.set(`${p.rid}:${p.field}`, [...errorsOf(`${p.rid}:${p.field}`), t(`mappings.${p.problem}`)]);
      render();
      announce(t('mappings.fixFirst', { n: problems.length }), 'bad');
      return focusFirstError();
    }
    const payload = payloadOf(model.draft);
    const r = await act(button, t, async () => {
      try {
        return await api('PUT', tenantPath('/mappings'), payload);
      } catch (err) {
        if (err instanceof ApiError && err.status === 400 && err.fields.length) {
          for (const f of err.fields) {
            const path = f.path.replace(/^body\.?/, '') || 'general';
            model.errors.set(path, [...errorsOf(path), f.message]);
          }
          render();
          focusFirstError();
          throw new Error(t('mappings.rejected', { n: err.fields.length }));
        }
        throw err;
      }
    });
    if (!r) return;
    for (const i of r.issues) model.errors.set(i.path, [...errorsOf(i.path), i.message]);
    await load(true);
    const parts = [t('mappings.savedAs', { version: r.version }), r.issues.length ? t('mappings.invalid', { n: r.issues.length }) : t('mappings.allValid'), t('mappings.woken', { n: r.signalledExports })];
    announce(parts.join(' '), r.issues.length ? 'bad' : 'ok');
    if (r.issues.length) focusFirstError();
  }

  function focusFirstError() {
    const first = form.querySelector('.invalid input');
    first?.focus();
    first?.scrollIntoView({ block: 'center' });
  }

  async function load(afterSave = false) {
    const review = await api('GET', tenantPath('/mappings/review'));
    model.review = review;
    if (afterSave || !model.draft || !mappingsDirty()) {
      model.saved = review.mappings;
      model.draft = draftFrom(review.mappings, review);
    } else {
      for (const n of review.needed) ensureRow(model.draft, n.path);
    }
    if (!afterSave) model.errors = new Map(review.issues.map((i) => [i.path, [i.message]]));
    render();
    ctx.updateNav();
  }

  /** `#/mappings?field=categories.travel.glAccount`: the field that fixes an export, added if needed, focused. */
  function focusField(path) {
    const p = splitPath(path);
    if (!p) return;
    const target = ensureRow(model.draft, path);
    render();
    const el = p.section === 'general' ? form.querySelector(`[data-field="${p.key}"] input`) : form.querySelector(`[data-rid="${target.rid}"] .codecol input`);
    if (!el) return;
    el.closest('.field, .maprow')?.classList.add('highlight');
    el.scrollIntoView({ block: 'center' });
    el.focus();
  }

  async function refresh(opts = {}) {
    if (opts.poll) return; // an editor is not refreshed under the user's hands
    try {
      await load();
      const field = route.params.get('field');
      if (field) focusField(field);
    } catch (err) {
      announce(err.message, 'bad');
    }
  }

  return { el, refresh };
}
