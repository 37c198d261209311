// The wizard's actions step: a paged, filtered table of the actions (by text, tag, path prefix
// and method) with bulk delete and bulk mark-paginated over the selection, per-action editing
// (description, method, path, parameters, body and output schemas, own pagination), renaming,
// adding, and regex replace (previewed and applied by the server).
import { h, input, select, textarea, field, check, button, table, modal, confirmDialog, errorBox, attempt, actionButton, setStatus, plural, enc } from './dom.js';
import { state, api } from './api.js';
import { commit, saveDefinition, reloadIntegration } from './wizard.js';
import { methods, newAction, checkPath } from './scratch.js';
import { paginationForm } from './steps.js';

const PAGE_SIZE = 50;

export function stepActions(ctx) {
  const view = { page: 0, selected: new Set() };
  const search = input({ type: 'search', test: 'action-search', placeholder: 'id, name, path or description' });
  const tag = select([], '', { test: 'action-tag' });
  const prefix = input({ test: 'action-path-prefix', placeholder: '/repos', spellcheck: 'false' });
  const method = select([['', 'Any'], ...methods()], '', { test: 'action-method' });
  const tbody = h('tbody');
  const count = h('p', { class: 'muted', test: 'action-count', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager buttons' });
  const bulk = h('div', { class: 'bulk buttons', test: 'bulk-bar' });
  const all = h('input', { type: 'checkbox', test: 'select-all', 'aria-label': 'Select every action that matches the filters' });
  const fillTags = () => {
    const counts = new Map();
    state.wiz.def.actions.forEach((a) => (a.tags || []).forEach((t) => counts.set(t, (counts.get(t) || 0) + 1)));
    const chosen = tag.value;
    tag.replaceChildren(...[['', 'Any tag'], ...[...counts.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([t, n]) => [t, `${t} (${n})`])]
      .map(([v, label]) => h('option', { value: v, text: label })));
    tag.value = counts.has(chosen) ? chosen : '';
  };
  const filtered = () => {
    const q = search.value.trim().toLowerCase();
    const p = prefix.value.trim();
    return state.wiz.def.actions.filter((a) => (!q || [a.id, a.name, a.path, a.description].some((v) => String(v || '').toLowerCase().includes(q)))
      && (!tag.value || (a.tags || []).includes(tag.value)) && (!p || a.path.startsWith(p)) && (!method.value || a.method === method.value));
  };
  const draw = () => {
    const actions = state.wiz.def.actions;
    const ids = new Set(actions.map((a) => a.id));
    [...view.selected].forEach((id) => { if (!ids.has(id)) view.selected.delete(id); });
    const shown = filtered();
    const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
    view.page = Math.min(view.page, pages - 1);
    const slice = shown.slice(view.page * PAGE_SIZE, (view.page + 1) * PAGE_SIZE);
    tbody.replaceChildren(...slice.map((a) => actionRow(a, ctx, view, draw)));
    const picked = shown.filter((a) => view.selected.has(a.id)).length;
    all.checked = shown.length > 0 && picked === shown.length;
    all.indeterminate = picked > 0 && picked < shown.length;
    const filtering = shown.length !== actions.length;
    count.textContent = `${filtering ? `${shown.length.toLocaleString('en')} of ` : ''}${plural(actions.length, 'action')}${filtering ? ' match' : ''}; ${view.selected.size.toLocaleString('en')} selected.`;
    pager.replaceChildren(
      button('Previous', () => { view.page -= 1; draw(); }, { disabled: view.page === 0, test: 'page-previous' }),
      h('span', { test: 'page-info', text: `Page ${view.page + 1} of ${pages}` }),
      button('Next', () => { view.page += 1; draw(); }, { disabled: view.page >= pages - 1, test: 'page-next' }));
    bulk.hidden = !ctx.editable || view.selected.size === 0;
  };
  const redrawFilters = () => { view.page = 0; draw(); };
  let timer = null;
  [search, prefix].forEach((c) => c.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(redrawFilters, 120); }));
  [tag, method].forEach((c) => c.addEventListener('change', redrawFilters));
  all.addEventListener('change', () => {
    filtered().forEach((a) => (all.checked ? view.selected.add(a.id) : view.selected.delete(a.id)));
    draw();
  });
  const bulkSave = (mutate, message) => attempt(null, null, () => commit(mutate, message).then(() => ctx.fail(null), ctx.fail).finally(() => { fillTags(); draw(); }));
  bulk.append(
    button('Delete selected', async () => {
      const n = view.selected.size;
      if (!await confirmDialog(`Delete ${plural(n, 'action')}?`, h('p', { text: `The selected ${plural(n, 'action')} are removed from the definition.` }), 'Delete', 'bulk-delete-confirm', true)) return;
      const gone = new Set(view.selected);
      view.selected.clear();
      bulkSave((d) => { d.actions = d.actions.filter((a) => !gone.has(a.id)); }, `Deleted ${plural(gone.size, 'action')}.`);
    }, { class: 'danger', test: 'bulk-delete' }),
    button('Mark paginated', () => {
      const ids = new Set(view.selected);
      bulkSave((d) => d.actions.forEach((a) => { if (ids.has(a.id)) a.paginated = true; }), `Marked ${plural(ids.size, 'action')} paginated.`);
    }, { test: 'bulk-paginated' }),
    button('Mark not paginated', () => {
      const ids = new Set(view.selected);
      bulkSave((d) => d.actions.forEach((a) => { if (ids.has(a.id)) { a.paginated = false; delete a.pagination; } }), `Marked ${plural(ids.size, 'action')} not paginated.`);
    }, { test: 'bulk-unpaginated' }),
    button('Clear selection', () => { view.selected.clear(); draw(); }, { test: 'bulk-clear' }));
  fillTags();
  draw();
  return { el: h('div', {},
    h('div', { class: 'toolbar row' }, field('Search actions', search), field('Tag', tag), field('Path starts with', prefix), field('Method', method),
      ctx.editable && h('div', { class: 'field end' }, button('Regex replace…', () => regexDialog(draw), { test: 'regex-open' }))),
    count, bulk,
    table([ctx.editable ? all : '', 'Id', 'Name', 'Method', 'Path', 'Paginated', ctx.editable ? '' : null].filter((x) => x !== null), tbody, { class: 'actions-table' }),
    pager, ctx.editable && addActionForm(ctx, () => { fillTags(); draw(); })) };
}

function actionRow(action, ctx, view, redraw) {
  const save = (mutate, message) => attempt(null, null, () => commit((d) => mutate(d.actions.find((a) => a.id === action.id)), message)
    .then(() => ctx.fail(null), ctx.fail).finally(redraw));
  const nameCell = h('td', { text: action.name });
  const pick = h('input', { type: 'checkbox', checked: view.selected.has(action.id), test: 'action-select', 'aria-label': `Select ${action.id}` });
  pick.addEventListener('change', () => { if (pick.checked) view.selected.add(action.id); else view.selected.delete(action.id); redraw(); });
  const paginated = h('input', { type: 'checkbox', checked: !!action.paginated, disabled: !ctx.editable, test: 'action-paginated', 'aria-label': `${action.id} is paginated` });
  paginated.addEventListener('change', () => save((a) => {
    a.paginated = paginated.checked;
    if (!a.paginated) delete a.pagination;
  }, `${action.id} is ${paginated.checked ? '' : 'not '}paginated.`));
  const own = action.pagination && h('span', { class: 'own-pagination', test: 'action-own-pagination', text: ` own: ${action.pagination.type}` });
  const rename = () => {
    const name = input({ value: action.name, test: 'rename-input', 'aria-label': `New name of ${action.id}` });
    const done = () => check(name, !name.value.trim() && 'the name is required') && save((a) => { a.name = name.value.trim(); }, `Renamed ${action.id}.`);
    name.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') done();
      if (e.key === 'Escape') redraw();
    });
    nameCell.replaceChildren(h('div', { class: 'field inline' }, name, button('Save', done, { test: 'rename-save' }), button('Cancel', redraw)));
    name.focus();
  };
  const remove = async () => {
    const body = h('p', { text: `“${action.name}” (${action.method} ${action.path}) is removed from the definition.` });
    if (await confirmDialog('Delete this action?', body, 'Delete', 'delete-confirm', true)) {
      commit((d) => { d.actions = d.actions.filter((a) => a.id !== action.id); }, `Deleted ${action.id}.`).then(() => ctx.fail(null), ctx.fail).finally(redraw);
    }
  };
  return h('tr', { test: 'action-row' },
    ctx.editable && h('td', {}, pick),
    h('td', {}, h('code', { text: action.id })), nameCell, h('td', { text: action.method }),
    h('td', {}, h('code', { text: action.path }), (action.tags || []).length ? h('div', { class: 'muted small', text: action.tags.join(', ') }) : ''),
    h('td', {}, paginated, own),
    ctx.editable && h('td', { class: 'row-buttons' },
      button('Edit', () => editDialog(action, redraw), { test: 'action-edit', 'aria-label': `Edit ${action.id}` }),
      button('Rename', rename, { test: 'action-rename', 'aria-label': `Rename ${action.id}` }),
      button('Delete', remove, { test: 'action-delete', class: 'danger', 'aria-label': `Delete ${action.id}` })));
}

/** A JSON editor: read() gives the parsed value (undefined when empty) or throws with where. */
function jsonField(label, value, test, help) {
  const control = textarea({ rows: 6, class: 'code', spellcheck: 'false', test, value: value === undefined ? '' : JSON.stringify(value, null, 2) });
  const read = () => {
    if (!control.value.trim()) return undefined;
    try {
      return JSON.parse(control.value);
    } catch (e) {
      check(control, `not JSON: ${e.message}`);
      throw new Error(`${label}: not JSON (${e.message})`);
    }
  };
  return { el: field(label, control, help), control, read };
}

/** Edits one action: description, method, path, parameters, body and output schemas, own pagination. */
function editDialog(action, redraw) {
  const description = textarea({ value: action.description || '', test: 'edit-description' });
  const method = select(methods(), action.method, { test: 'edit-method' });
  const path = input({ value: action.path, test: 'edit-path', spellcheck: 'false' });
  const parameters = jsonField('Parameters (JSON array)', action.parameters || [], 'edit-parameters', 'Each {"name", "in": path|query|header, "required", "schema"}; path placeholders need a path parameter.');
  const body = jsonField('Request body (JSON)', action.request_body, 'edit-request-body', 'Such as {"required": true, "schema": {...}}; empty for none.');
  const output = jsonField('Output schema (JSON Schema)', action.output_schema, 'edit-output-schema', 'Of one page\'s items for paginated actions; empty for none.');
  const ownBox = h('input', { type: 'checkbox', checked: !!action.pagination, test: 'own-pagination-enabled', id: `own-${action.id}` });
  const own = paginationForm(action.pagination || state.wiz.def.pagination, true);
  const ownWrap = h('div', { hidden: !action.pagination }, own.el);
  ownBox.addEventListener('change', () => { ownWrap.hidden = !ownBox.checked; });
  const err = errorBox();
  const saveBtn = actionButton('Save', err, async () => {
    const valid = checkPath(path);
    const values = { parameters: parameters.read(), body: body.read(), output: output.read() };
    if (values.parameters !== undefined && !Array.isArray(values.parameters)) {
      check(parameters.control, 'a JSON array of parameters');
      throw new Error('Fix the highlighted fields first.');
    }
    const pagination = ownBox.checked ? own.read() : null;
    if (!valid || (ownBox.checked && !pagination)) throw new Error('Fix the highlighted fields first.');
    await commit((d) => {
      const a = d.actions.find((x) => x.id === action.id);
      a.description = description.value.trim();
      a.method = method.value;
      a.path = path.value.trim();
      if (values.parameters && values.parameters.length) a.parameters = values.parameters; else delete a.parameters;
      if (values.body !== undefined) a.request_body = values.body; else delete a.request_body;
      if (values.output !== undefined) a.output_schema = values.output; else delete a.output_schema;
      if (pagination) { a.pagination = pagination; a.paginated = true; } else delete a.pagination;
    }, `Saved ${action.id}.`);
    dialog.close();
    redraw();
  }, { class: 'primary', test: 'edit-save' });
  const dialog = modal(`Edit ${action.name}`, [
    h('p', { class: 'help' }, 'Id ', h('code', { text: action.id }), ' (kept across edits: installations call it by this id). The server checks the action when it is saved.'),
    field('Description', description), h('div', { class: 'row' }, field('Method', method), field('Path', path, 'Below the base path; {name} marks a path parameter.')),
    parameters.el, body.el, output.el,
    h('fieldset', { class: 'group' }, h('legend', { text: 'Pagination' }),
      h('label', { class: 'check', for: ownBox.id }, ownBox, ' This action pages in its own style (otherwise the integration\'s pagination, when marked paginated)'), ownWrap),
    err, h('div', { class: 'buttons' }, button('Cancel', () => dialog.close()), saveBtn)], { class: 'dialog wide', test: 'edit-dialog' });
}

function addActionForm(ctx, redraw) {
  const method = select(methods(), 'GET', { test: 'add-action-method' });
  const path = input({ placeholder: '/things/{id}', test: 'add-action-path' });
  const name = input({ placeholder: 'Get Thing', test: 'add-action-name' });
  const add = actionButton('Add action', null, async () => {
    const action = newAction(method.value, path.value.trim(), name.value.trim());
    const taken = state.wiz.def.actions.some((a) => a.id === action.id) && `an action with the id ${action.id} exists`;
    if (!checkPath(path) || !check(path, taken)) return;
    await commit((d) => d.actions.push(action), `Added ${action.id}.`).then(() => { path.value = name.value = ''; ctx.fail(null); }, ctx.fail);
    redraw();
  }, { test: 'add-action' });
  return h('fieldset', { class: 'add-action' }, h('legend', { text: 'Add an action' }),
    h('div', { class: 'row' }, field('Method', method), field('Path', path), field('Name', name), h('div', { class: 'field end' }, add)));
}

/** The regex replace dialog: the server previews and applies (its regex dialect, as the CLI's). */
function regexDialog(redraw) {
  const wiz = state.wiz;
  const route = `/v1/integrations/${enc(wiz.integration.id)}/actions/regex-replace`;
  const pattern = input({ test: 'regex-pattern', spellcheck: 'false', autocomplete: 'off' });
  const replacement = input({ test: 'regex-replacement', spellcheck: 'false', autocomplete: 'off' });
  const which = select([['name', 'Name'], ['description', 'Description'], ['both', 'Name and description']], 'name', { test: 'regex-field' });
  const message = h('div', { 'aria-live': 'polite' });
  const tbody = h('tbody');
  const err = errorBox();
  let changes = [];
  let timer = null;
  let asked = 0;
  // A finalized integration's next definition is kept here until finalize: the server edits
  // the copy sent and hands it back.
  const request = (apply) => {
    const body = { pattern: pattern.value, replacement: replacement.value, field: which.value };
    if (wiz.integration.status === 'draft') return { ...body, apply };
    return { ...body, definition: wiz.def };
  };
  const apply = actionButton('Apply', err, async () => {
    const result = await api('POST', route, request(true));
    if (wiz.integration.status === 'draft') {
      await reloadIntegration();
      setStatus(`Regex replace: ${plural(new Set(result.changes.map((c) => c.id)).size, 'action')} updated.`);
    } else {
      await saveDefinition(result.definition);
    }
    dialog.close();
    redraw();
  }, { test: 'regex-apply', class: 'primary' });
  const preview = async () => {
    const mine = ++asked;
    if (!pattern.value) {
      changes = [];
      message.replaceChildren(h('p', { class: 'muted', text: 'Enter a pattern to see what changes.' }));
    } else {
      try {
        const result = await api('POST', route, request(false));
        if (mine !== asked) return;
        changes = result.changes;
        message.replaceChildren(h('p', { text: `${plural(changes.length, 'change')}${changes.length > 200 ? ' (the first 200 shown)' : ''}.` }));
      } catch (error) {
        if (mine !== asked) return;
        changes = [];
        message.replaceChildren(h('p', { class: 'error', test: 'error', text: error.message }));
      }
    }
    tbody.replaceChildren(...changes.slice(0, 200).map((c) => h('tr', { test: 'regex-preview-row' },
      h('td', {}, h('code', { text: c.id })), h('td', { text: c.field }), h('td', { text: c.old }), h('td', { text: c.new }))));
    apply.disabled = changes.length === 0;
  };
  const update = () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 150);
  };
  [pattern, replacement].forEach((c) => c.addEventListener('input', update));
  which.addEventListener('change', update);
  const dialog = modal('Regex replace', [
    h('p', { class: 'help', text: 'A regular expression in the server\'s syntax (Rust regex, as `plugboard actions replace`); every match is replaced, and the replacement may use $1, ${name}… for groups. Example: (.*?) Get → Get $1.' }),
    h('div', { class: 'row' }, field('Pattern', pattern), field('Replacement', replacement), field('Field', which)),
    message, table(['Action', 'Field', 'Before', 'After'], tbody, { class: 'preview' }), err,
    h('div', { class: 'buttons' }, button('Cancel', () => dialog.close()), apply)], { class: 'dialog wide' });
  apply.disabled = true;
  preview();
}
