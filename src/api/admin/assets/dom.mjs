// Building DOM without innerHTML: text is always text, so data from the API can never become markup.

/**
 * h('button', { class: 'primary', onclick: fn, 'aria-label': 'x' }, 'text', child, [more])
 * Attributes: `class`, `text`, `on<event>` handlers, booleans (hidden, disabled, …: true sets,
 * false/null/undefined leaves out), `dataset` (object), everything else as an attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
/** A document-unique id with a readable prefix. */
export const uid = (prefix) => `${prefix}-${++seq}`;

/** A visually hidden text for screen readers. */
export const srOnly = (text) => h('span', { class: 'sr-only', text });
