// A searchable picker of synced master data (ARIA 1.2 combobox with a listbox popup): typing
// searches code and name on the API, which returns only what fits the mapping field (`fit`);
// arrows move, Enter picks, Escape closes. Blocked records are shown marked and cannot be picked.
import { api, tenantPath } from './api.mjs';
import { h, replace, uid } from './dom.mjs';
import { badge } from './ui.mjs';

const LIMIT = 20;

/** Badges for a record's state: blocked, vanished from Exact, inactive, or not in Exact at all (null). */
export function recordState(t, record) {
  if (record === null) return [badge(t('picker.unknown'), 'bad')];
  if (!record) return [];
  if (record.vanished || record.removedFromSourceAt) return [badge(t('picker.vanished'), 'bad')];
  if (record.blocked) return [badge(t('picker.blocked'), 'bad')];
  if (record.active === false) return [badge(t('picker.inactive'), 'bad')];
  return [];
}

/**
 * opts: { t, kind, fit: () => mapping path, label, value, record, onChange(code, record), describedBy }
 * Returns { el, input, setValue(code, record) }.
 */
export function picker(opts) {
  const { t } = opts;
  const inputId = uid('pick');
  const listId = `${inputId}-list`;
  const currentId = `${inputId}-current`;
  let value = opts.value ?? '';
  let options = [];
  let active = -1;
  let timer;
  let seq = 0;

  const input = h('input', {
    id: inputId,
    type: 'text',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    'aria-describedby': [currentId, opts.describedBy].filter(Boolean).join(' '),
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: t('picker.placeholder'),
    value,
    dataset: { path: opts.fit() },
  });
  const list = h('ul', { id: listId, role: 'listbox', class: 'options', hidden: true, 'aria-label': opts.label });
  const current = h('div', { id: currentId, class: 'current' });
  const label = h('label', { for: inputId, class: opts.visibleLabel ? 'field-label' : 'sr-only', text: opts.label });
  const el = h('div', { class: 'picker' }, label, input, list, current);

  function showCurrent(record) {
    if (!value) return replace(current, h('span', { class: 'muted', text: t('picker.none') }));
    replace(current, record ? h('span', { text: record.name }) : record === null ? null : h('span', { class: 'muted', text: '' }), ...recordState(t, record));
  }

  function open(items, total) {
    options = items;
    active = -1;
    input.removeAttribute('aria-activedescendant');
    replace(
      list,
      items.length
        ? items.map((r, i) => {
            const disabled = !!r.blocked;
            return h(
              'li',
              { id: `${listId}-${i}`, role: 'option', 'aria-selected': r.code === value ? 'true' : 'false', 'aria-disabled': disabled ? 'true' : null, class: disabled ? 'disabled' : null, onmousedown: (e) => { e.preventDefault(); choose(i); } },
              h('span', { class: 'code', text: r.code }),
              h('span', { class: 'name', text: r.name }),
              ...recordState(t, r),
            );
          })
        : h('li', { class: 'empty', role: 'presentation', text: t('picker.noMatch') }),
      total > items.length ? h('li', { class: 'more', role: 'presentation', text: t('picker.more', { n: total - items.length }) }) : null,
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  async function search() {
    const mine = ++seq;
    const q = new URLSearchParams({ limit: String(LIMIT), fit: opts.fit() });
    const text = input.value.trim();
    if (text && text !== value) q.set('search', text);
    input.dataset.path = opts.fit();
    try {
      const r = await api('GET', tenantPath(`/master-data/${opts.kind}?${q}`));
      if (mine === seq && document.activeElement === input) open(r.items, r.total);
    } catch (err) {
      if (mine === seq) open([], 0), replace(list, h('li', { class: 'empty', role: 'presentation', text: err.message }));
    }
  }

  function move(delta) {
    if (list.hidden) return search();
    if (!options.length) return;
    active = (active + delta + options.length) % options.length;
    list.querySelectorAll('[role=option]').forEach((li, i) => li.classList.toggle('active', i === active));
    const li = document.getElementById(`${listId}-${active}`);
    input.setAttribute('aria-activedescendant', li.id);
    li.scrollIntoView({ block: 'nearest' });
  }

  function choose(i) {
    const r = options[i];
    if (!r || r.blocked) return;
    setValue(r.code, r);
    close();
    opts.onChange(r.code, r);
  }

  function setValue(code, record) {
    value = code ?? '';
    input.value = value;
    showCurrent(record);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener('focus', () => {
    input.select(); // typing replaces the code shown
    search();
  });
  input.addEventListener('blur', () => {
    close();
    // Typed text that was not picked: back to the value (a picker holds only real codes).
    if (input.value.trim() === '' && value) {
      setValue('', undefined);
      opts.onChange('', undefined);
    } else input.value = value;
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') (e.preventDefault(), move(1));
    else if (e.key === 'ArrowUp') (e.preventDefault(), move(-1));
    else if (e.key === 'Enter' && !list.hidden) {
      e.preventDefault();
      if (active >= 0) choose(active);
      else if (options.length === 1) choose(0);
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();
      close();
      input.value = value;
    }
  });

  showCurrent(opts.record);
  return { el, input, setValue };
}
