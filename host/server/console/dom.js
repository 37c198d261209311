// DOM helpers of the console: elements, labelled fields, errors, tables, dialogs, the status line.

export const $ = (id) => document.getElementById(id);
export const enc = encodeURIComponent;
export const clone = (value) => JSON.parse(JSON.stringify(value));

/**
 * A copy of a definition to edit: its top level and each action are copied, deeper values are
 * shared (edits replace them, never change them in place). Cheap for thousands of actions,
 * where a deep copy of megabytes of schemas would block the page.
 */
export const copyDefinition = (d) => ({ ...d, actions: (d.actions || []).map((a) => ({ ...a })) });

/** Whether an edit changed a definition (its actions compared by what the wizard edits). */
export function definitionChanged(next, before) {
  const top = (d) => JSON.stringify({ ...d, actions: undefined, schemas: undefined });
  if (top(next) !== top(before) || next.actions.length !== before.actions.length) return true;
  return next.actions.some((a, i) => a !== before.actions[i] && JSON.stringify({ ...a, parameters: 0, request_body: 0, output_schema: 0 })
    !== JSON.stringify({ ...before.actions[i], parameters: 0, request_body: 0, output_schema: 0 }));
}
export const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
export const formatTime = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '');

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'rows', 'indeterminate']);

/** Creates an element: props (class, text, test → data-test, onX → listeners), then children. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false && c !== '').map((c) => (typeof c === 'number' ? String(c) : c)));
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (/^on[A-Z]/.test(key)) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'test') el.dataset.test = value;
    else if (PROPS.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  return el;
}

let uid = 0;
export const nextId = () => `f${++uid}`;
export const input = (props) => h('input', { type: 'text', ...props });
export const button = (text, onClick, props) => h('button', { type: 'button', text, onClick, ...props });
export const textarea = (props) => h('textarea', { rows: 3, ...props });
export const dl = (pairs) => h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));

export function select(options, value, props) {
  const el = h('select', props, options.map(([v, label]) => h('option', { value: v, text: label })));
  if (value !== undefined) el.value = value;
  return el;
}

/** A labelled control, with optional help text tied to it by aria-describedby. */
export function field(label, control, help) {
  if (!control.id) control.id = nextId();
  const wrap = h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control);
  if (help) {
    wrap.append(h('p', { class: 'help', id: `${control.id}-help`, text: help }));
    control.setAttribute('aria-describedby', `${control.id}-help`);
  }
  return wrap;
}

/** A checkbox with its label after it. */
export function checkbox(label, checked, props) {
  const box = h('input', { type: 'checkbox', checked: !!checked, ...props });
  return { box, el: h('label', { class: 'check' }, box, ` ${label}`) };
}

/** Shows (or, with an empty message, clears) the error of a control; returns whether it is valid. */
export function fieldError(control, message) {
  const wrap = control.closest('.field') || control.parentElement;
  let p = wrap.querySelector(':scope > .error');
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
  if (!message) {
    if (p) p.remove();
    return true;
  }
  if (!p) {
    p = wrap.appendChild(h('p', { class: 'error', test: 'error', id: `${control.id}-error` }));
    const described = control.getAttribute('aria-describedby') || '';
    if (!described.includes(p.id)) control.setAttribute('aria-describedby', `${described} ${p.id}`.trim());
    control.addEventListener('input', () => fieldError(control, ''), { once: true });
  }
  p.textContent = message;
  return false;
}

export const check = (control, message) => fieldError(control, message || '');

export const errorBox = () => h('div', { class: 'error-box' });

/** Shows an error (a string, an Error, or an API error with a `link` to where it is fixed). */
export function showError(box, error) {
  if (!error) return box.replaceChildren();
  const text = typeof error === 'string' ? error : error.message;
  return box.replaceChildren(h('div', { class: 'error', role: 'alert', test: 'error' }, h('span', { text }),
    error && error.fix ? [' ', h('a', { href: error.fix.href, test: 'error-fix', text: error.fix.text })] : ''));
}

export const setStatus = (message) => { $('status').textContent = message; };

/** Runs `work` with `btn` disabled; a failure goes to the error box `box` (or the status region). */
export async function attempt(btn, box, work) {
  if (box) showError(box, null);
  if (btn) btn.disabled = true;
  try {
    return await work();
  } catch (error) {
    if (box) showError(box, error);
    else setStatus(error.message);
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

/** A button that runs `work` through attempt(). */
export function actionButton(text, box, work, props) {
  const btn = button(text, () => attempt(btn, box, work), props);
  return btn;
}

export function table(headers, body, props) {
  return h('div', { class: 'table-wrap' }, h('table', props,
    h('thead', {}, h('tr', {}, headers.map((head) => (head instanceof Node ? h('th', { scope: 'col' }, head) : h('th', { scope: 'col', text: head }))))),
    body instanceof Node ? body : h('tbody', {}, body)));
}

/** A modal <dialog> appended to the body, removed when closed; focus goes back where it was. */
export function modal(title, content, props) {
  const titleId = nextId();
  const opener = document.activeElement;
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, ...props }, h('h2', { id: titleId, text: title }), content);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Resolves true when the confirm button is pressed, false on Cancel or Escape. */
export function confirmDialog(title, body, confirmLabel, confirmTest, danger) {
  return new Promise((resolve) => {
    const dialog = modal(title, [body, h('div', { class: 'buttons' },
      button('Cancel', () => dialog.close('cancel')),
      button(confirmLabel, () => dialog.close('ok'), { class: danger ? 'danger' : 'primary', test: confirmTest }))]);
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'));
  });
}

/** Disables every control inside `el` for callers who cannot edit. */
export function lock(el, editable) {
  if (!editable) el.querySelectorAll('input, select, textarea').forEach((c) => { c.disabled = true; });
  return el;
}

/** Yields to the browser so that a long piece of work does not block input and painting. */
export const nextFrame = () => new Promise((resolve) => { setTimeout(resolve, 0); });

/** Name/value rows (headers, parameters): `read()` gives the object of the non-empty rows. */
export function pairsEditor(legend, values, props = {}) {
  const rows = h('div', { class: 'pairs' });
  const { nameLabel = 'Name', valueLabel = 'Value', test = 'pair', secret = false } = props;
  const row = (name = '', value = '') => {
    const n = input({ value: name, test: `${test}-name`, autocomplete: 'off', 'aria-label': `${legend}: ${nameLabel.toLowerCase()}` });
    const v = input({ value, type: secret ? 'password' : 'text', test: `${test}-value`, autocomplete: secret ? 'new-password' : 'off', 'aria-label': `${legend}: ${valueLabel.toLowerCase()}` });
    const line = h('div', { class: 'row pair' }, field(nameLabel, n), field(valueLabel, v),
      h('div', { class: 'field end' }, button('Remove', () => line.remove(), { 'aria-label': `Remove this ${legend.toLowerCase()} row` })));
    return line;
  };
  Object.entries(values || {}).forEach(([k, v]) => rows.append(row(k, v)));
  const add = button(`Add`, () => {
    const line = row();
    rows.append(line);
    line.querySelector('input').focus();
  }, { test: `${test}-add`, 'aria-label': `Add a row to ${legend}` });
  const read = () => Object.fromEntries([...rows.querySelectorAll('.pair')]
    .map((line) => [...line.querySelectorAll('input')].map((i) => i.value))
    .filter(([name]) => name.trim()).map(([n, v]) => [n.trim(), v]));
  const el = h('fieldset', { class: 'pairs-editor' }, h('legend', { text: legend }), rows, add);
  return { el, read };
}
