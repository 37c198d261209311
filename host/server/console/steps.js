// Wizard steps: basics, pagination, finalize (with the install form).
import { copyDefinition, h, input, select, textarea, field, check, errorBox, attempt, actionButton, button, confirmDialog, setStatus, dl, lock, clone, plural, enc } from './dom.js';
import { state, api, canEdit, orgName, orgSelect } from './api.js';
import { go, render } from './app.js';
import { rules, def, paginationTypes, schemaControl } from './meta.js';
import { checkName, checkRequired, checkHostname, iconField } from './scratch.js';
import { reloadIntegration } from './wizard.js';

// ------------------------------------------------------------------ basics

/** A note's kind: its text with the specific parts (code spans, JSON pointers, numbers) taken out. */
export function noteKind(note) {
  return note.replace(/^\/[^\s:]*: /, '').replace(/`[^`]*`/g, '…').replace(/\([^)]*\)/g, '').replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim();
}

/** The importer's notes, grouped by kind with counts, collapsed. */
export function groupedNotes(notes, test = 'note-group') {
  const groups = new Map();
  notes.forEach((n) => { const k = noteKind(n); groups.set(k, [...(groups.get(k) || []), n]); });
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length).map(([kind, list]) => {
    const body = h('ul');
    const details = h('details', { class: 'note-group', test }, h('summary', {}, `${kind} `, h('span', { class: 'count', test: 'note-count', text: `(${list.length.toLocaleString('en')})` })), body);
    details.addEventListener('toggle', () => {
      if (details.open && !body.childElementCount) {
        body.append(...list.slice(0, 500).map((n) => h('li', { text: n })), list.length > 500 ? h('li', { class: 'muted', text: `and ${plural(list.length - 500, 'more')}` }) : '');
      }
    });
    return details;
  });
}

function importSummary(summary) {
  if (!summary) return '';
  const notes = summary.notes || [];
  return h('div', { class: 'card note' }, h('h3', { text: 'What the importer found' }), h('ul', {},
    h('li', { text: plural(summary.actions, 'action') }), h('li', { text: `Auth: ${summary.auth}` }), h('li', { text: `Pagination: ${summary.pagination}` }),
    (summary.paginated || []).length > 0 && h('li', { text: `Paginated: ${plural(summary.paginated.length, 'action')}` })),
  notes.length ? [h('h4', { text: `${plural(notes.length, 'note')}, by kind` }), h('div', { class: 'note-groups' }, groupedNotes(notes))] : '');
}

export function stepBasics(ctx) {
  const d = state.wiz.def;
  const name = input({ value: d.name || '', test: 'basics-name' });
  const description = textarea({ value: d.description || '', test: 'basics-description' });
  const hostname = input({ value: d.hostname || '', test: 'basics-hostname', placeholder: 'api.example.com' });
  const basePath = input({ value: d.base_path || '', placeholder: '/v1', test: 'basics-base-path' });
  const scheme = select([['https', 'https'], ['http', 'http']], d.scheme || 'https', { test: 'basics-scheme' });
  const icon = iconField(d.icon);
  const removeIcon = h('input', { type: 'checkbox', id: 'remove-icon' });
  const collect = async () => {
    const base = basePath.value.trim();
    const valid = [checkName(name), checkRequired(description, 'description'), !hostname.value.trim() || checkHostname(hostname), check(basePath, base && !base.startsWith('/') && 'the base path starts with `/`')];
    const svg = await icon.read();
    if (!valid.every(Boolean) || svg === null) return null;
    const next = { ...copyDefinition(d), name: name.value.trim(), description: description.value.trim(), hostname: hostname.value.trim(), scheme: scheme.value };
    if (base) next.base_path = base;
    else delete next.base_path;
    if (svg) next.icon = svg;
    else if (removeIcon.checked) delete next.icon;
    return next;
  };
  const missingHost = !d.hostname && h('p', { class: 'note', test: 'basics-needs-hostname', role: 'note',
    text: 'The spec gave no server URL: enter the API\'s hostname (such as api.example.com). The draft is kept without it, but it cannot be finalized until it has one.' });
  return { collect, el: lock(h('div', {}, importSummary(state.summaries[ctx.id]), missingHost,
    field('Name', name, 'Letters, digits, spaces, - and _.'), field('Description', description),
    h('div', { class: 'row' }, field('Hostname', hostname, 'Without a scheme, e.g. api.example.com.'),
      field('Base path', basePath, 'Optional prefix of every action path.'), field('Scheme', scheme)),
    icon.el, d.icon && h('label', { class: 'check', for: 'remove-icon' }, removeIcon, ' Remove the icon')), ctx.editable) };
}

// ------------------------------------------------------------------ pagination

/** The query parameter that moves through the pages, per pagination type. */
const PAGING_PARAM = { index: 'index_param', page: 'page_param', pointer: 'after_param', link: 'page_size_param' };
const COMMON = ['results_key', 'page_size_param', 'default_page_size', 'default_page_limit'];

/** Marks paginated the actions that take the pagination's paging parameter; `none` unmarks every action. */
function markPaginated(d, previous) {
  const p = d.pagination;
  const param = p[PAGING_PARAM[p.type]];
  if (p.type === 'none') {
    const unmarked = d.actions.filter((a) => a.paginated && !a.pagination);
    unmarked.forEach((a) => { a.paginated = false; });
    return unmarked.length ? `Pagination is now none: unmarked ${plural(unmarked.length, 'paginated action')}.` : '';
  }
  if (!param || (p.type === previous.type && param === previous[PAGING_PARAM[p.type]])) return '';
  const marked = d.actions.filter((a) => !a.paginated && (a.parameters || []).some((x) => x.in === 'query' && x.name === param));
  marked.forEach((a) => { a.paginated = true; });
  return marked.length ? `Marked paginated: ${plural(marked.length, 'action')} (they take \`${param}\`).` : '';
}

/** A pagination form from the server's rules; { el, read() → pagination or null }. */
export function paginationForm(initial, editable) {
  const props = def('Pagination').properties;
  const p = { type: 'none', ...clone(initial || {}) };
  const type = select(paginationTypes(), p.type, { test: 'pagination-type' });
  const common = COMMON.map((n) => [n, schemaControl(n, props[n], p[n])]);
  const commonEl = h('div', { class: 'subfields' }, h('div', { class: 'row' }, common.slice(0, 2).map(([, c]) => c.el)), h('div', { class: 'row' }, common.slice(2).map(([, c]) => c.el)));
  const extraEl = h('div', { class: 'subfields' });
  let extra = [];
  const draw = () => {
    extra.forEach(([n, c]) => { const v = c.read(); if (v !== undefined) p[n] = v; });
    p.type = type.value;
    let names = rules().pagination_fields[p.type] || [];
    if (p.type === 'link') {
      const where = p.next_link_location || 'header';
      names = names.filter((n) => n === 'next_link_location' || (where === 'header' ? n.startsWith('response_header') : n === 'next_page_key'));
    }
    extra = names.map((n) => [n, schemaControl(n, props[n], n === 'next_link_location' ? (p[n] || 'header') : p[n])]);
    const location = extra.find(([n]) => n === 'next_link_location');
    if (location) location[1].control.addEventListener('change', () => { p.next_link_location = location[1].control.value; draw(); });
    commonEl.hidden = p.type === 'none';
    extraEl.replaceChildren(lock(h('div', {}, p.type === 'none' ? h('p', { text: 'Every action answers with one response.' }) : extra.map(([, c]) => c.el)), editable));
  };
  type.addEventListener('change', draw);
  draw();
  const read = () => {
    const out = { type: type.value };
    if (out.type === 'none') return out;
    const all = [...common, ...extra];
    if (!all.map(([, c]) => c.validate()).every(Boolean)) return null;
    for (const [n, c] of all) {
      const v = c.read();
      if (v !== undefined && v !== '') out[n] = typeof v === 'string' ? v.trim() : v;
    }
    return out;
  };
  return { el: lock(h('div', {}, field('Pagination type', type), extraEl, commonEl), editable), read };
}

export function stepPagination(ctx) {
  const d = state.wiz.def;
  const form = paginationForm(d.pagination, ctx.editable);
  const step = { el: form.el };
  step.collect = () => {
    const pagination = form.read();
    if (!pagination) return null;
    const next = { ...copyDefinition(d), pagination };
    step.note = markPaginated(next, d.pagination || { type: 'none' });
    return next;
  };
  return step;
}

// ------------------------------------------------------------------ finalize and install

export function stepFinalize(ctx) {
  const { integration, def: d } = state.wiz;
  const finalized = integration.current_version != null;
  const next = (integration.current_version || 0) + 1;
  const err = errorBox();
  const finalize = button(finalized ? `Finalize version ${next}` : 'Finalize', async () => {
    const status = select([['published', 'Published (organizations below may install it)'], ['hidden', 'Hidden']], 'published', { test: 'finalize-status' });
    const text = `Finalizing compiles version ${next} into a component. The definition of a finalized integration can no longer be edited as a draft; later versions must not break installed ones (removed actions, moved paths, new required inputs, another host or auth type are refused while it is installed).`;
    if (!await confirmDialog(`Finalize version ${next}?`, [h('p', { text }), field('Status after finalizing', status)], 'Finalize', 'finalize-confirm')) return;
    await attempt(finalize, err, async () => {
      const body = integration.status === 'draft' ? { status: status.value } : { status: status.value, definition: d };
      const result = await api('POST', `/v1/integrations/${enc(integration.id)}/finalize`, body);
      await reloadIntegration();
      Object.assign(state.wiz, { pending: false, last: result });
      setStatus(`Finalized version ${result.version.version} (${result.status}).`);
      render();
    });
  }, { test: 'finalize', class: 'primary' });
  const statusButton = (status, label, test) => actionButton(label, err, async () => {
    state.wiz.integration = await api('PUT', `/v1/integrations/${enc(integration.id)}/status`, { status });
    setStatus(`${integration.name} is ${status}.`);
    render();
  }, { test });
  return { el: h('div', {},
    dl([['Status', integration.status], ['Current version', finalized ? String(integration.current_version) : 'none yet'],
      ['Actions', String(d.actions.length)], ['Host', d.hostname ? `${d.scheme || 'https'}://${d.hostname}${d.base_path || ''}` : 'not set'],
      ['Auth', (d.auth || { type: 'none' }).type], ['Pagination', (d.pagination || { type: 'none' }).type]]),
    !d.hostname && h('p', { class: 'note', test: 'finalize-needs-hostname', role: 'note' }, 'The spec gave no server URL, so the integration has no hostname and cannot be finalized: set it on the ',
      h('a', { href: `#/integration/${enc(integration.id)}/basics`, text: 'Basics step' }), '.'),
    state.wiz.pending && h('p', { class: 'note', text: 'You have edits that are not saved yet: they become the next version when you finalize.' }),
    state.wiz.last && versionReport(state.wiz.last),
    ctx.editable && h('div', { class: 'buttons' }, finalize,
      finalized && statusButton('published', 'Publish', 'publish'), finalized && statusButton('hidden', 'Hide', 'hide')), err,
    finalized && canEdit() ? installForm(ctx) : h('p', { class: 'muted', text: 'Finalize the integration to install it.' })) };
}

function versionReport(result) {
  const v = result.version;
  const r = v.change_report || {};
  const list = (title, items, show) => items && items.length > 0 && [h('h4', { text: title }), h('ul', {}, items.slice(0, 200).map((i) => h('li', { text: show(i) })))];
  return h('section', { class: 'card note', 'aria-labelledby': 'version-title' },
    h('h3', { id: 'version-title', text: `Version ${v.version} (${result.status})` }),
    h('p', {}, 'Component ', h('code', { text: String(v.bundle_hash).slice(0, 16) }), ` · ${plural(Number(result.actions) || 0, 'action')}`),
    list('Added', r.added, String), list('Removed', r.removed, String), list('Renamed', r.renamed, (x) => `${x.id}: ${x.from} → ${x.to}`),
    list('Changed', r.changed, (x) => `${x.id}: ${(x.what || []).join(', ')}`),
    list('Recorded calls replayed', r.regressions, (x) => (typeof x === 'string' ? x : `${x.action || ''}: ${x.verdict || x.message || JSON.stringify(x)}`)),
    h('p', { text: r.breaking ? `Breaking: ${(r.breaking_reasons || []).join('; ')}` : 'No breaking changes.' }));
}

/** Credential rows for an auth type, named as the server says that type needs. */
export function credentialRows(authType, test) {
  const creds = rules().credentials[authType] || { required: [], optional: [] };
  const row = (name, required) => h('div', { class: 'row credential' },
    field('Credential name', input({ value: name, test: `${test}-credential-name`, autocomplete: 'off' })),
    field(required ? 'Value (required)' : 'Value (optional)', input({ type: 'password', test: `${test}-credential-value`, autocomplete: 'new-password' })));
  const rows = h('div', {}, creds.required.map((n) => row(n, true)), creds.optional.filter((n) => n === 'client_secret').map((n) => row(n, false)));
  const add = button('Add a credential', () => rows.append(row('', false)), { test: `${test}-credential-add` });
  const read = () => Object.fromEntries([...rows.querySelectorAll('.credential')]
    .map((r) => [...r.querySelectorAll('input')].map((i) => i.value)).filter(([name, value]) => name.trim() && value !== '').map(([n, v]) => [n.trim(), v]));
  return { rows, add, read };
}

export function installForm(ctx) {
  const auth = (state.wiz && state.wiz.def.auth) || { type: 'none' };
  const org = orgSelect(state.org, { test: 'install-org' });
  const creds = credentialRows(auth.type, 'install');
  const err = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', test: 'install', text: 'Install' });
  const consent = auth.type === 'oauth2' && auth.grant_type === 'authorization_code';
  return h('form', { class: 'card', 'aria-labelledby': 'install-title', onSubmit: (event) => {
    event.preventDefault();
    attempt(submit, err, async () => {
      const created = await api('POST', `/v1/organizations/${enc(org.value)}/installations`,
        { integration_id: ctx.integration.id, configuration: 'default', credentials: creds.read(), config: {} });
      setStatus(`Installed version ${created.version} in ${orgName(created.organization_id)}.`);
      go(`#/installation/${enc(created.id)}`);
    });
  } },
  h('h3', { id: 'install-title', text: 'Install' }),
  h('p', { class: 'help', text: consent ? 'After installing, a user connects once on the installation\'s page (consent at the provider).' : 'Credentials are sealed at rest and never shown again.' }),
  field('Organization', org), creds.rows,
  h('div', { class: 'buttons' }, creds.add, submit), err);
}
