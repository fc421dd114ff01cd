// Shared pieces of the page: status badges, the message area, a confirmation dialog, form helpers.
import { h, replace, uid } from './dom.mjs';

/** A status badge; `kind` picks the colour (ok, warn, bad, busy, muted). */
export const badge = (text, kind = 'muted') => h('span', { class: `badge ${kind}`, text });

const STATUS_KIND = {
  posted: 'ok', connected: 'ok', succeeded: 'ok',
  waiting_for_mappings: 'warn', waiting_for_reauthorization: 'warn', needs_review: 'warn', division_change_pending: 'warn', awaiting_authorization: 'warn', skipped: 'muted',
  rejected: 'bad', error: 'bad', needs_reauthorization: 'bad', failed: 'bad',
  validating: 'busy', posting: 'busy', syncing: 'busy', running: 'busy', connecting: 'busy',
};
export const statusKind = (status) => STATUS_KIND[status] ?? 'muted';

/** Announces a result in the page's live region (screen readers read it) and shows it. */
export function announce(text, kind = 'ok') {
  const el = document.getElementById('toast');
  replace(el, h('div', { class: `toast ${kind}`, text }));
  clearTimeout(announce.timer);
  if (kind === 'ok') announce.timer = setTimeout(() => el.replaceChildren(), 8000);
}

/**
 * Asks for a confirmation in a modal dialog (keyboard: Tab between the buttons, Escape cancels).
 * Resolves true when confirmed.
 */
export function confirmDialog(t, { title, body, confirm, danger = false }) {
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': uid('dlg') });
  const titleId = dialog.getAttribute('aria-labelledby');
  return new Promise((resolve) => {
    const close = (ok) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    const cancelBtn = h('button', { type: 'button', class: 'secondary', text: t('common.cancel'), onclick: () => close(false) });
    replace(
      dialog,
      h('h2', { id: titleId, text: title }),
      h('p', { text: body }),
      h('div', { class: 'row end' }, cancelBtn, h('button', { type: 'button', class: danger ? 'danger' : 'primary', text: confirm, onclick: () => close(true) })),
    );
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelBtn.focus();
  });
}

/** Runs an action of a button: disables it meanwhile, announces the result or the error. */
export async function act(button, t, fn, success) {
  if (button) button.disabled = true;
  try {
    const r = await fn();
    if (success) announce(typeof success === 'function' ? success(r) : success, 'ok');
    return r;
  } catch (err) {
    announce(err.message || t('common.failed'), 'bad');
    return undefined;
  } finally {
    if (button?.isConnected) button.disabled = false;
  }
}

/** A description list from [label, value] pairs (values: text or nodes). */
export const dl = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v ?? '—')]));

/** A card with a heading. */
export const card = (title, ...children) => {
  const id = uid('card');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), ...children);
};

/**
 * Replaces the content of a region that is refreshed while the page is open, keeping the keyboard
 * focus on the element with the same `data-focus` key (a refresh never throws a user off).
 */
export function rerender(region, ...children) {
  const focused = document.activeElement;
  const key = region.contains(focused) ? focused?.dataset?.focus : undefined;
  replace(region, ...children);
  if (key) region.querySelector(`[data-focus="${CSS.escape(key)}"]`)?.focus();
}
