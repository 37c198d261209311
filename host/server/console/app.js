// The Plugboard console: a small single-page app over the platform's REST API.
// Plain ES2020, no dependencies, nothing inline (the server's CSP is `default-src 'self'`).
// Views follow the URL hash:
//   #/                          check, repair and import a spec
//   #/new                       build an integration from scratch
//   #/overview                  integrations, installations and organizations
//   #/integration/<id>/<step>   the wizard: basics, auth, pagination, actions, finalize
//   #/installation/<id>         try the actions, map the API's tenants to organizations
'use strict';

(() => {
  // ------------------------------------------------------------------ state and constants

  const TOKEN_KEY = 'plugboard.token';
  const STEPS = [['basics', 'Basics'], ['auth', 'Auth'], ['pagination', 'Pagination'], ['actions', 'Actions'], ['test', 'Test'], ['finalize', 'Finalize & install']];
  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => [m, m]);
  const NAME_RE = /^[A-Za-z0-9 _-]+$/;
  const AUTH_TYPES = [['none', 'None'], ['api_key', 'API key'], ['basic', 'Basic (username and password)'], ['oauth2', 'OAuth 2.0']];
  const PAGINATION_TYPES = [['none', 'None'], ['index', 'Index (offset)'], ['page', 'Page number'], ['link', 'Next link'], ['pointer', 'Cursor (pointer)']];
  const PAGINATION_EXTRA = {
    none: [], index: ['index_param'], page: ['page_param'], pointer: ['pointer_jsonpath', 'after_param'],
    link: ['next_link_location', 'response_header_name', 'response_header_rel', 'next_page_key'],
  };
  /** The query parameter that moves through the pages, per pagination type. */
  const PAGING_PARAM = { index: 'index_param', page: 'page_param', pointer: 'after_param', link: 'page_size_param' };
  const CREDENTIALS = { none: [''], api_key: ['api_key'], basic: ['username', 'password'], oauth2: ['client_id', 'client_secret'] };

  const state = { token: sessionStorage.getItem(TOKEN_KEY) || '', user: null, orgs: [], org: '', spec: '', summaries: {}, wiz: null, renderId: 0 };

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const clone = (value) => JSON.parse(JSON.stringify(value));
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const canEdit = () => !!state.user && state.user.role !== 'viewer';
  const isAdmin = () => !!state.user && state.user.role === 'admin';
  const formatTime = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : '');

  // ------------------------------------------------------------------ DOM helpers

  const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'rows']);

  /** Creates an element: props (class, text, test → data-test, onX → listeners), then children. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    el.append(...children.flat(Infinity).filter((c) => c != null && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
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
  const nextId = () => `f${++uid}`;
  const input = (props) => h('input', { type: 'text', ...props });
  const button = (text, onClick, props) => h('button', { type: 'button', text, onClick, ...props });
  const textarea = (props) => h('textarea', { rows: 3, ...props });
  const dl = (pairs) => h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));

  function select(options, value, props) {
    const el = h('select', props, options.map(([v, label]) => h('option', { value: v, text: label })));
    if (value !== undefined) el.value = value;
    return el;
  }

  /** A labelled control, with optional help text tied to it by aria-describedby. */
  function field(label, control, help) {
    if (!control.id) control.id = nextId();
    const wrap = h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control);
    if (help) {
      wrap.append(h('p', { class: 'help', id: `${control.id}-help`, text: help }));
      control.setAttribute('aria-describedby', `${control.id}-help`);
    }
    return wrap;
  }

  /** Shows (or, with an empty message, clears) the error of a control; returns whether it is valid. */
  function fieldError(control, message) {
    const wrap = control.closest('.field') || control.parentElement;
    let p = wrap.querySelector(':scope > .error');
    control.toggleAttribute('aria-invalid', !!message);
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

  const errorBox = () => h('div', { class: 'error-box' });

  function showError(box, error) {
    if (!error) return box.replaceChildren();
    const text = typeof error === 'string' ? error : error.message;
    box.replaceChildren(h('p', { class: 'error', role: 'alert', test: 'error', text }));
  }

  const setStatus = (message) => { $('status').textContent = message; };

  /** Runs `work` with `btn` disabled; a failure goes to the error box `box` (or the status region). */
  async function attempt(btn, box, work) {
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
  function actionButton(text, box, work, props) {
    const btn = button(text, () => attempt(btn, box, work), props);
    return btn;
  }

  function table(headers, body, props) {
    return h('div', { class: 'table-wrap' }, h('table', props,
      h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col', text })))),
      body instanceof Node ? body : h('tbody', {}, body)));
  }

  /** A modal <dialog> appended to the body, removed when closed. */
  function modal(title, content, props) {
    const titleId = nextId();
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, ...props }, h('h2', { id: titleId, text: title }), content);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    return dialog;
  }

  /** Resolves true when the confirm button is pressed, false on Cancel or Escape. */
  function confirmDialog(title, body, confirmLabel, confirmTest, danger) {
    return new Promise((resolve) => {
      const dialog = modal(title, [body, h('div', { class: 'buttons' },
        button('Cancel', () => dialog.close('cancel')),
        button(confirmLabel, () => dialog.close('ok'), { class: danger ? 'danger' : 'primary', test: confirmTest }))]);
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'));
    });
  }

  // ------------------------------------------------------------------ API

  /** Calls the REST API; a string body goes as text/plain, anything else as JSON. Throws the problem detail. */
  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${state.token}`, Accept: 'application/json' };
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = typeof body === 'string' ? 'text/plain' : 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(path, init).catch((error) => { throw new Error(`the server cannot be reached (${error.message})`); });
    const raw = await response.text();
    let data = raw;
    try {
      data = raw ? JSON.parse(raw) : null;
    } catch { /* not JSON: keep the text */ }
    if (response.ok) return data;
    const detail = (data && (data.detail || data.title)) || `${response.status} ${response.statusText}`;
    if (response.status === 401 && state.user) signOut(`Signed out: ${detail}`);
    throw new Error(detail);
  }

  /** Every item of a list route (`key` names them), following `next_cursor` page by page. */
  async function listAll(path, key) {
    const items = [];
    let cursor = null;
    do {
      const page = await api('GET', `${path}?limit=1000${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      items.push(...page[key]);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  // ------------------------------------------------------------------ organizations

  const findOrg = (id) => state.orgs.find((o) => o.id === id);
  const orgName = (id) => (findOrg(id) || { name: id }).name;

  /** The organization's ancestors, nearest first (the list is the caller's subtree). */
  function ancestors(org) {
    const out = [];
    for (let o = org && findOrg(org.parent_id); o && out.length < 50; o = findOrg(o.parent_id)) out.push(o);
    return out;
  }

  /** The organization and every one below it. */
  const subtree = (rootId) => state.orgs.filter((o) => o.id === rootId || ancestors(o).some((a) => a.id === rootId));
  const indented = (org) => `${'\u2003'.repeat(ancestors(org).length)}${org.name}`;

  function orgSelect(value, props, orgs = state.orgs, blank) {
    const options = orgs.map((o) => [o.id, indented(o)]);
    if (blank) options.unshift(['', blank]);
    return select(options, value, props);
  }

  // ------------------------------------------------------------------ sign-in and page chrome

  async function signIn(token) {
    state.token = token;
    try {
      const [{ user }, organizations] = await Promise.all([api('GET', '/v1/me'), listAll('/v1/organizations', 'organizations')]);
      Object.assign(state, { user, orgs: organizations });
      if (!findOrg(state.org)) state.org = user.organization_id;
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch (error) {
      Object.assign(state, { token: '', user: null });
      sessionStorage.removeItem(TOKEN_KEY);
      throw error;
    }
  }

  function signOut(message) {
    Object.assign(state, { token: '', user: null, orgs: [], wiz: null, spec: '', renderId: state.renderId + 1 });
    sessionStorage.removeItem(TOKEN_KEY);
    setStatus(message || 'Signed out.');
    renderSignIn();
  }

  function renderSignIn(message) {
    $('nav').replaceChildren();
    $('session').replaceChildren();
    const token = input({ type: 'password', test: 'token-input', autocomplete: 'current-password', required: true });
    const err = errorBox();
    const submit = h('button', { type: 'submit', class: 'primary', test: 'sign-in', text: 'Sign in' });
    const form = h('form', { class: 'card narrow', onSubmit: (event) => {
      event.preventDefault();
      if (!token.value.trim()) return showError(err, 'Enter your API token.');
      return attempt(submit, err, async () => {
        await signIn(token.value.trim());
        setStatus(`Signed in as ${state.user.name} (${state.user.role}).`);
        render();
      });
    } },
    h('h1', { text: 'Sign in', tabindex: '-1' }),
    h('p', { text: 'Use an API token: the first one is printed by `plugboard serve` on a new database; an admin creates the others. It is kept only for this browser tab.' }),
    field('API token', token), err, h('div', { class: 'buttons' }, submit));
    $('main').replaceChildren(form);
    if (message) showError(err, message);
    token.focus();
  }

  function renderChrome(view) {
    const links = [['', 'Import a spec'], ['new', 'Build from scratch'], ['overview', 'Integrations']].filter(([key]) => key !== 'new' || canEdit());
    $('nav').replaceChildren(h('ul', {}, links.map(([key, text]) =>
      h('li', {}, h('a', { href: `#/${key}`, text, 'aria-current': view === key ? 'page' : null })))));
    const org = orgSelect(state.org, { test: 'org-select', onChange: () => {
      state.org = org.value;
      if (['', 'new', 'overview'].includes(view)) render();
    } });
    $('session').replaceChildren(field('Organization', org),
      h('span', { class: 'user' }, `${state.user.name} `, h('span', { class: 'badge', text: state.user.role })),
      button('Sign out', () => signOut()));
  }

  // ------------------------------------------------------------------ router

  const VIEWS = { '': viewSource, new: viewScratch, overview: viewOverview, integration: viewWizard, installation: viewInstallation };

  function go(hash) {
    if (location.hash === hash) render();
    else location.hash = hash;
  }

  async function render() {
    if (!state.user) return renderSignIn();
    const [name = '', a, b] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const view = VIEWS[name] ? name : '';
    if (view !== 'integration' || (state.wiz && state.wiz.integration.id !== a)) state.wiz = null;
    renderChrome(view);
    const id = ++state.renderId;
    $('main').setAttribute('aria-busy', 'true');
    const content = await Promise.resolve().then(() => VIEWS[view](a, b)).catch((error) => {
      const box = errorBox();
      showError(box, error);
      return h('div', {}, h('h1', { text: 'This page cannot be shown', tabindex: '-1' }), box);
    });
    if (id !== state.renderId || !state.user) return;
    $('main').removeAttribute('aria-busy');
    $('main').replaceChildren(content);
    const heading = $('main').querySelector('[data-focus]') || $('main').querySelector('h1');
    if (heading) heading.focus();
  }

  // ------------------------------------------------------------------ view: spec (check, repair, import)

  function viewSource() {
    const text = textarea({ rows: 14, spellcheck: 'false', class: 'code', test: 'spec-input', value: state.spec, onInput: () => { state.spec = text.value; } });
    const err = errorBox();
    const repairs = h('div');
    const report = h('div');
    const file = input({ type: 'file', test: 'spec-file', accept: '.json,.yaml,.yml,application/json,application/yaml' });
    file.addEventListener('change', () => attempt(null, err, async () => {
      if (!file.files[0]) return;
      text.value = state.spec = await file.files[0].text();
      report.replaceChildren();
      setStatus(`Loaded ${file.files[0].name} (${plural(text.value.split('\n').length, 'line')}).`);
    }));
    const spec = () => {
      if (!text.value.trim()) throw new Error('Paste a spec or choose a file first.');
      return text.value;
    };
    const checkSpec = actionButton('Check', err, async () => {
      const source = spec();
      const result = await api('POST', '/v1/lint', source);
      report.replaceChildren(lintReport(result, source));
      setStatus(`Checked: ${lintCounts(result.findings)}.`);
    }, { test: 'check-spec' });
    const repair = actionButton('Repair', err, async () => {
      const result = await api('POST', '/v1/clean', spec());
      text.value = state.spec = result.spec;
      report.replaceChildren();
      repairs.replaceChildren(h('h2', { text: 'Repairs' }), result.changes.length
        ? h('ul', {}, result.changes.map((c) => h('li', { text: c }))) : h('p', { text: 'Nothing needed repairing.' }));
      setStatus(`Repaired the spec: ${plural(result.changes.length, 'change')}. Check it again to see what remains.`);
    }, { test: 'repair-spec' });
    const importSpec = actionButton(`Import into ${orgName(state.org)}`, err, async () => {
      const result = await api('POST', `/v1/organizations/${enc(state.org)}/integrations/import`, spec());
      state.summaries[result.integration.id] = result.summary;
      setStatus(`Imported “${result.integration.name}” with ${plural(result.summary.actions, 'action')}.`);
      go(`#/integration/${enc(result.integration.id)}/basics`);
    }, { test: 'import-spec', class: 'primary' });
    return h('div', {},
      h('h1', { text: 'Import an API spec', tabindex: '-1' }),
      h('p', { class: 'lead', text: 'Paste or upload an OpenAPI 3.x or Swagger 2.0 spec (JSON or YAML). Check it, repair what can be repaired, then import it as a draft integration.' }),
      field('Spec file', file, 'A .json, .yaml or .yml file; its text replaces the spec below.'),
      field('Spec (JSON or YAML)', text), err,
      h('div', { class: 'buttons' }, checkSpec, repair, canEdit() && importSpec),
      repairs, report);
  }

  const SEVERITIES = ['error', 'warning', 'info'];

  function lintCounts(findings) {
    const count = (s) => findings.filter((f) => f.severity === s).length;
    return `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('info')} info`;
  }

  function jumpToLine(line) {
    const el = $(`src-line-${line}`);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }

  /** The findings as a list and the checked source with numbered lines, the lines with findings marked. */
  function lintReport(result, source) {
    const byLine = new Map();
    result.findings.filter((f) => f.line > 0).forEach((f) => byLine.set(f.line, [...(byLine.get(f.line) || []), f]));
    const findings = result.findings.map((f) => {
      const label = `${f.line > 0 ? `line ${f.line}, column ${f.column}` : 'location unknown'} — ${f.message} (${f.rule})`;
      return h('li', { test: 'finding', class: 'finding' }, h('span', { class: `badge sev-${f.severity}`, text: f.severity }), ' ',
        f.line > 0 ? button(label, () => jumpToLine(f.line), { class: 'link' }) : h('span', { text: label }),
        f.hint && h('p', { class: 'hint', text: f.hint }));
    });
    const lines = source.replace(/\r\n?/g, '\n').split('\n').map((line, i) => {
      const marks = byLine.get(i + 1);
      const worst = marks && SEVERITIES.find((s) => marks.some((m) => m.severity === s));
      return h('span', { class: marks ? `line marked sev-${worst}` : 'line', id: `src-line-${i + 1}`, test: 'source-line',
        tabindex: marks ? '-1' : null, title: marks && marks.map((m) => m.message).join('\n') },
      h('span', { class: 'ln', 'aria-hidden': 'true', text: String(i + 1) }),
      marks && h('span', { class: 'sr-only', text: `line ${i + 1}, ${plural(marks.length, 'finding')}: ` }), line || ' ');
    });
    return h('section', { 'aria-labelledby': 'lint-title' },
      h('h2', { id: 'lint-title', text: 'Findings' }), h('p', { class: 'summary', text: `${lintCounts(result.findings)}.` }),
      findings.length ? h('ol', { class: 'findings' }, findings) : h('p', { text: 'No findings: the spec looks good.' }),
      h('h2', { text: 'Checked source' }),
      h('pre', { class: 'source', tabindex: '0', 'aria-label': 'Checked source with line numbers' }, lines));
  }

  // ------------------------------------------------------------------ view: build from scratch

  /** Whether the text is SVG markup (after whitespace, an XML declaration and comments). */
  function isSvg(text) {
    let rest = text.trimStart();
    for (let m; (m = /^(<\?xml[\s\S]*?\?>|<!--[\s\S]*?-->)/i.exec(rest));) rest = rest.slice(m[0].length).trimStart();
    return /^<svg[\s>/]/i.test(rest);
  }

  /** An SVG icon picker; read() resolves to the SVG text, undefined (no file chosen) or null (not SVG). */
  function iconField(current) {
    const file = input({ type: 'file', accept: 'image/svg+xml,.svg', test: 'icon-file' });
    const preview = h('span', { class: 'icon-preview' });
    const show = (svg) => preview.replaceChildren(svg ? h('img', { src: `data:image/svg+xml;charset=utf-8,${enc(svg)}`, alt: 'the icon', width: 32, height: 32 }) : '');
    const read = async () => {
      fieldError(file, '');
      if (!file.files[0]) return undefined;
      const svg = await file.files[0].text();
      if (!isSvg(svg)) {
        fieldError(file, 'the icon must be an SVG file');
        return null;
      }
      show(svg);
      return svg;
    };
    file.addEventListener('change', read);
    show(current);
    const el = field('Icon (SVG, optional)', file, 'The server removes scripts and event handlers.');
    el.append(preview);
    return { el, read };
  }

  const check = (control, message) => fieldError(control, message || '');
  const checkName = (c) => check(c, !c.value.trim() ? 'the name is required' : !NAME_RE.test(c.value.trim()) && 'use letters, digits, spaces, `-` and `_` only');
  const checkRequired = (c, what) => check(c, !c.value.trim() && `the ${what} is required`);
  const checkHostname = (c) => check(c, !c.value.trim() ? 'the hostname is required'
    : c.value.includes('://') && 'enter the host name without a scheme (no `://`), e.g. api.example.com');
  const checkPath = (c) => check(c, !/^\/[^\s?#]*$/.test(c.value.trim()) && 'a path starts with `/` and has no query, fragment or spaces');
  const actionId = (method, path) => `${method}_${path}`.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

  /** A new action; each `{placeholder}` of the path becomes a required path parameter. */
  function newAction(method, path, name) {
    const action = { id: actionId(method, path), name: name || `${method} ${path}`, description: '', method, path, paginated: false };
    const params = [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (params.length) action.parameters = params;
    return action;
  }

  function viewScratch() {
    const title = h('h1', { text: `Build an integration in ${orgName(state.org)}`, tabindex: '-1' });
    if (!canEdit()) return h('div', {}, title, h('p', { text: 'Viewers cannot create integrations.' }));
    const name = input({ autocomplete: 'off', test: 'new-name' });
    const description = textarea({ test: 'new-description' });
    const hostname = input({ placeholder: 'api.example.com', autocomplete: 'off', test: 'new-hostname' });
    const icon = iconField();
    const method = select(METHODS, 'GET', { test: 'new-action-method' });
    const path = input({ placeholder: '/things', autocomplete: 'off', test: 'new-action-path' });
    const actionName = input({ placeholder: 'e.g. List Things', test: 'new-action-name' });
    const err = errorBox();
    const create = h('button', { type: 'submit', class: 'primary', text: 'Create draft', test: 'create' });
    const form = h('form', { class: 'card', novalidate: true, onSubmit: (event) => {
      event.preventDefault();
      attempt(create, err, async () => {
        const valid = [checkName(name), checkRequired(description, 'description'), checkHostname(hostname), checkPath(path)].every(Boolean);
        const svg = await icon.read();
        if (!valid || svg === null) throw new Error('Fix the highlighted fields first.');
        const definition = { definition_version: 1, name: name.value.trim(), description: description.value.trim(), hostname: hostname.value.trim(),
          actions: [newAction(method.value, path.value.trim(), actionName.value.trim())] };
        if (svg) definition.icon = svg;
        const created = await api('POST', `/v1/organizations/${enc(state.org)}/integrations`, definition);
        setStatus(`Created the draft “${created.name}”.`);
        go(`#/integration/${enc(created.id)}/basics`);
      });
    } },
    field('Name', name, 'Letters, digits, spaces, - and _.'), field('Description', description),
    field('Hostname', hostname, 'The API host without a scheme, optionally with :port.'), icon.el,
    h('fieldset', {}, h('legend', { text: 'First action (a definition needs at least one)' }),
      h('div', { class: 'row' }, field('Method', method), field('Path', path, 'Starts with /; {name} marks a path parameter.'), field('Action name', actionName))),
    err, h('div', { class: 'buttons' }, create));
    return h('div', {}, title, form);
  }

  // ------------------------------------------------------------------ view: overview

  async function viewOverview() {
    const org = state.org;
    const [integrations, installations] = await Promise.all([
      listAll(`/v1/organizations/${enc(org)}/integrations`, 'integrations'), listAll(`/v1/organizations/${enc(org)}/installations`, 'installations')]);
    const integrationName = (id) => (integrations.find((i) => i.id === id) || { name: id }).name;
    return h('div', {},
      h('h1', { text: `Integrations of ${orgName(org)}`, tabindex: '-1' }),
      integrations.length ? table(['Name', 'Status', 'Version', 'Updated'], integrations.map((i) => h('tr', {},
        h('td', {}, h('a', { href: `#/integration/${enc(i.id)}/basics`, text: i.name })),
        h('td', {}, h('span', { class: `badge status-${i.status}`, text: i.status })),
        h('td', { text: i.current_version == null ? '—' : String(i.current_version) }), h('td', { text: formatTime(i.updated_at) }))))
        : h('p', { text: 'No integrations yet.' }),
      h('h2', { text: 'Installations' }),
      installations.length ? table(['Integration', 'Version', 'Configurations', 'Installed'], installations.map((i) => h('tr', {},
        h('td', {}, h('a', { href: `#/installation/${enc(i.id)}`, text: integrationName(i.integration_id) })),
        h('td', { text: String(i.version) }), h('td', { text: i.configurations.join(', ') }), h('td', { text: formatTime(i.created_at) }))))
        : h('p', { text: 'Nothing installed here yet.' }),
      h('h2', { text: 'Organizations' }),
      table(['Organization', 'Id', 'Custom integrations'], state.orgs.map(organizationRow)));
  }

  function organizationRow(org) {
    let cell = org.custom_integrations ? 'on' : 'off';
    if (isAdmin()) {
      const toggle = h('input', { type: 'checkbox', role: 'switch', checked: !!org.custom_integrations, test: 'custom-integrations' });
      toggle.addEventListener('change', () => attempt(toggle, null, async () => {
        try {
          await api('PUT', `/v1/organizations/${enc(org.id)}/custom-integrations`, { enabled: toggle.checked });
        } catch (error) {
          toggle.checked = !toggle.checked;
          throw error;
        }
        org.custom_integrations = toggle.checked;
        setStatus(`Custom integrations are ${toggle.checked ? 'on' : 'off'} for ${org.name}.`);
      }));
      cell = h('label', { class: 'check' }, toggle, h('span', { class: 'sr-only', text: `Custom integrations for ${org.name}` }));
    }
    return h('tr', {}, h('td', { text: indented(org) }), h('td', {}, h('code', { text: org.id })), h('td', {}, cell));
  }

  // ------------------------------------------------------------------ view: wizard

  /** Saves a definition: PUT for a draft; otherwise kept here and sent with the next finalize. */
  async function saveDefinition(definition) {
    const wiz = state.wiz;
    if (wiz.integration.status === 'draft') {
      wiz.integration = await api('PUT', `/v1/integrations/${enc(wiz.integration.id)}/definition`, definition);
      wiz.def = clone(wiz.integration.definition);
      setStatus('Saved.');
    } else {
      Object.assign(wiz, { def: clone(definition), pending: true });
      setStatus('Kept for the next version: finalize to save it.');
    }
  }

  /** Applies `mutate` to a copy of the definition and saves it. */
  async function commit(mutate, message) {
    const next = clone(state.wiz.def);
    mutate(next);
    await saveDefinition(next);
    if (message) setStatus(message);
  }

  async function viewWizard(id, stepKey) {
    if (!state.wiz) {
      const integration = await api('GET', `/v1/integrations/${enc(id)}`);
      state.wiz = { integration, def: clone(integration.definition), pending: false, last: null };
    }
    const { integration } = state.wiz;
    if (!Array.isArray(state.wiz.def.actions)) return bundleView(integration);
    const index = Math.max(0, STEPS.findIndex(([key]) => key === stepKey));
    const editable = canEdit() && !!findOrg(integration.organization_id);
    const err = errorBox();
    const ctx = { id, integration, editable, fail: (e) => showError(err, e) };
    const step = STEP_VIEWS[STEPS[index][0]](ctx);
    const leave = (target) => attempt(null, err, async () => {
      if (editable && step.collect) {
        const next = await step.collect();
        if (!next) throw new Error('Fix the highlighted fields before leaving this step.');
        if (JSON.stringify(next) !== JSON.stringify(state.wiz.def)) await saveDefinition(next);
        if (step.note) setStatus(`${$('status').textContent} ${step.note}`);
      }
      go(`#/integration/${enc(id)}/${STEPS[target][0]}`);
    });
    const note = integration.status === 'draft' ? 'Draft: each step is saved when you leave it.'
      : `Finalized (version ${integration.current_version}, ${integration.status}): your edits become the next version when you finalize it.`;
    return h('div', { class: 'wizard' },
      h('h1', { tabindex: '-1' }, integration.name, ' ', h('span', { class: `badge status-${integration.status}`, text: integration.status })),
      h('p', { class: 'lead', text: editable ? note : 'Read only: you cannot change this integration.' }),
      h('nav', { 'aria-label': 'Wizard steps' }, h('ol', { class: 'steps' }, STEPS.map(([key, title], i) => h('li', {},
        button(`${i + 1}. ${title}`, () => leave(i), { 'aria-current': i === index ? 'step' : null, 'data-step': key }))))),
      err,
      h('section', { class: 'step', test: `step-${STEPS[index][0]}`, 'aria-labelledby': 'step-title' },
        h('h2', { id: 'step-title', tabindex: '-1', 'data-focus': true, text: `Step ${index + 1} of ${STEPS.length}: ${STEPS[index][1]}` }), step.el),
      h('div', { class: 'buttons wizard-nav' },
        index > 0 && button('Back', () => leave(index - 1), { test: 'wizard-back' }),
        index < STEPS.length - 1 && button(editable ? 'Save and continue' : 'Next', () => leave(index + 1), { test: 'wizard-next', class: 'primary' })));
  }

  function bundleView(integration) {
    return h('div', {}, h('h1', { text: integration.name, tabindex: '-1' }),
      h('p', { text: 'This integration is an uploaded bundle: it has no definition to edit.' }),
      canEdit() && integration.current_version != null && installForm({ integration }));
  }

  /** Disables every control inside `el` for callers who cannot edit. */
  function lock(el, editable) {
    if (!editable) el.querySelectorAll('input, select, textarea').forEach((c) => { c.disabled = true; });
    return el;
  }

  /** An input bound to `obj[key]`. */
  const bound = (obj, key, props) => input({ value: obj[key] == null ? '' : String(obj[key]), ...props, onInput: (e) => { obj[key] = e.target.value; } });

  function importSummary(summary) {
    return summary && h('div', { class: 'card note' }, h('h3', { text: 'What the importer found' }), h('ul', {},
      h('li', { text: plural(summary.actions, 'action') }), h('li', { text: `Auth: ${summary.auth}` }), h('li', { text: `Pagination: ${summary.pagination}` }),
      (summary.paginated || []).length > 0 && h('li', { text: `Paginated: ${summary.paginated.join(', ')}` }),
      (summary.notes || []).map((n) => h('li', { text: n }))));
  }

  function stepBasics(ctx) {
    const def = state.wiz.def;
    const name = input({ value: def.name || '', test: 'basics-name' });
    const description = textarea({ value: def.description || '', test: 'basics-description' });
    const hostname = input({ value: def.hostname || '', test: 'basics-hostname' });
    const basePath = input({ value: def.base_path || '', placeholder: '/v1', test: 'basics-base-path' });
    const scheme = select([['https', 'https'], ['http', 'http']], def.scheme || 'https', { test: 'basics-scheme' });
    const icon = iconField(def.icon);
    const removeIcon = h('input', { type: 'checkbox' });
    const collect = async () => {
      const base = basePath.value.trim();
      const valid = [checkName(name), checkRequired(description, 'description'), checkHostname(hostname), check(basePath, base && !base.startsWith('/') && 'the base path starts with `/`')];
      const svg = await icon.read();
      if (!valid.every(Boolean) || svg === null) return null;
      const next = { ...clone(def), name: name.value.trim(), description: description.value.trim(), hostname: hostname.value.trim(), scheme: scheme.value };
      if (base) next.base_path = base;
      else delete next.base_path;
      if (svg) next.icon = svg;
      else if (removeIcon.checked) delete next.icon;
      return next;
    };
    return { collect, el: lock(h('div', {}, importSummary(state.summaries[ctx.id]),
      field('Name', name, 'Letters, digits, spaces, - and _.'), field('Description', description),
      h('div', { class: 'row' }, field('Hostname', hostname, 'Without a scheme, e.g. api.example.com.'),
        field('Base path', basePath, 'Optional prefix of every action path.'), field('Scheme', scheme)),
      icon.el, def.icon && h('label', { class: 'check' }, removeIcon, 'Remove the icon')), ctx.editable) };
  }

  function stepAuth(ctx) {
    const def = state.wiz.def;
    const current = def.auth || { type: 'none' };
    const drafts = { none: { type: 'none' }, basic: { type: 'basic' },
      api_key: { type: 'api_key', api_key_header_name: 'Authorization', api_key_preamble: '', location: 'header' },
      oauth2: { type: 'oauth2', grant_type: 'client_credentials', access_token_url: '', scope: '' } };
    drafts[current.type] = clone(current);
    const type = select(AUTH_TYPES, current.type, { test: 'auth-type' });
    const fields = h('div', { class: 'subfields' });
    const c = {};
    const VIEWS_BY_TYPE = {
      none: () => [h('p', { text: 'Requests go out without credentials.' })],
      basic: () => [h('p', { text: 'Each installation supplies the credentials `username` and `password`.' })],
      api_key: (auth) => [h('p', { text: 'Each installation supplies its key as the credential `api_key`.' }),
        field('API key header name', c.header = bound(auth, 'api_key_header_name', { test: 'api-key-header-name' }), 'The header (or query parameter, or cookie) that carries the key.'),
        field('API key preamble', bound(auth, 'api_key_preamble', { test: 'api-key-preamble' }), 'A word sent before the key, such as Bearer; empty for none.'),
        field('Where the key goes', select([['header', 'Header'], ['query', 'Query parameter'], ['cookie', 'Cookie']], auth.location || 'header',
          { test: 'api-key-location', onChange: (e) => { auth.location = e.target.value; } }))],
      oauth2: (auth) => [h('p', { text: 'Installations supply `client_id` and `client_secret`; the platform obtains and refreshes the tokens. Other OAuth settings keep their values (`plugboard definition set` changes them).' }),
        field('Grant type', select([['client_credentials', 'Client credentials'], ['authorization_code', 'Authorization code (consent screen)']], auth.grant_type,
          { test: 'oauth-grant-type', onChange: (e) => { auth.grant_type = e.target.value; draw(); } })),
        field('Access token URL', c.tokenUrl = bound(auth, 'access_token_url', { type: 'url', placeholder: 'https://', test: 'oauth-token-url' })),
        auth.grant_type === 'authorization_code' && field('Authorization code URL',
          c.codeUrl = bound(auth, 'authorization_code_url', { type: 'url', placeholder: 'https://', test: 'oauth-code-url' }), 'Where users consent.'),
        field('Scope', bound(auth, 'scope', { test: 'oauth-scope' }), 'Space-separated; empty for none.')],
    };
    const draw = () => fields.replaceChildren(lock(h('div', {}, VIEWS_BY_TYPE[type.value](drafts[type.value])), ctx.editable));
    type.addEventListener('change', draw);
    draw();
    const collect = () => {
      const auth = clone(drafts[type.value]);
      const code = auth.grant_type === 'authorization_code';
      const valid = auth.type === 'api_key' ? check(c.header, !auth.api_key_header_name.trim() && 'the header name is required')
        : auth.type !== 'oauth2' || [check(c.tokenUrl, !auth.access_token_url.trim() && 'the access token URL is required'),
          !code || check(c.codeUrl, !(auth.authorization_code_url || '').trim() && 'the authorization code URL is required')].every(Boolean);
      if (!valid) return null;
      if (auth.type === 'oauth2' && (!code || !auth.authorization_code_url)) delete auth.authorization_code_url;
      if (auth.type === 'oauth2' && !auth.scope) delete auth.scope;
      return { ...clone(def), auth };
    };
    return { collect, el: lock(h('div', {},
      h('p', { class: 'hint', text: 'Which one? A static key or token → API key; a username and password → Basic; tokens that expire or a consent screen → OAuth 2.0.' }),
      field('Authentication type', type), fields), ctx.editable) };
  }

  /** Marks paginated the actions that take the pagination's paging parameter; `none` unmarks every action. */
  function markPaginated(def, previous) {
    const p = def.pagination;
    const param = p[PAGING_PARAM[p.type]];
    if (p.type === 'none') {
      const unmarked = def.actions.filter((a) => a.paginated && !a.pagination);
      unmarked.forEach((a) => { a.paginated = false; });
      return unmarked.length ? `Pagination is now none: unmarked ${plural(unmarked.length, 'paginated action')}.` : '';
    }
    if (!param || (p.type === previous.type && param === previous[PAGING_PARAM[p.type]])) return '';
    const marked = def.actions.filter((a) => !a.paginated && (a.parameters || []).some((x) => x.in === 'query' && x.name === param));
    marked.forEach((a) => { a.paginated = true; });
    return marked.length ? `Marked paginated: ${marked.map((a) => a.id).join(', ')} (they take \`${param}\`).` : '';
  }

  function stepPagination(ctx) {
    const def = state.wiz.def;
    const p = { type: 'none', default_page_size: 100, default_page_limit: 10, ...clone(def.pagination || {}) };
    const type = select(PAGINATION_TYPES, p.type, { test: 'pagination-type' });
    const size = bound(p, 'default_page_size', { type: 'number', min: 1, max: 1000, inputmode: 'numeric', test: 'default-page-size' });
    const limit = bound(p, 'default_page_limit', { type: 'number', min: 1, max: 20, inputmode: 'numeric', test: 'default-page-limit' });
    const common = h('div', { class: 'subfields' },
      h('div', { class: 'row' },
        field('Results key', bound(p, 'results_key', { test: 'results-key' }), 'Where the items are in a response, e.g. data.items; empty for the whole body.'),
        field('Page size parameter', bound(p, 'page_size_param', { test: 'page-size-param' }), 'The query parameter that sets the page size.')),
      h('div', { class: 'row' }, field('Default page size', size, '1 to 1000 items per page.'), field('Default page limit', limit, 'At most 1 to 20 pages per invocation.')));
    const extra = h('div', { class: 'subfields' });
    const FIELDS_BY_TYPE = {
      none: () => [h('p', { text: 'Every action answers with one response.' })],
      index: () => [field('Index parameter', bound(p, 'index_param', { test: 'index-param' }), 'The query parameter of the first item’s offset.')],
      page: () => [field('Page parameter', bound(p, 'page_param', { test: 'page-param' }), 'The query parameter of the page number.')],
      pointer: () => [field('Cursor JSONPath', bound(p, 'pointer_jsonpath', { test: 'pointer-jsonpath' }), 'Where the next cursor is in a response, e.g. $.meta.next.'),
        field('After parameter', bound(p, 'after_param', { test: 'after-param' }), 'The query parameter that sends the cursor.')],
      link: () => [field('Next link location', select([['header', 'A response header (Link)'], ['body', 'The response body']], p.next_link_location || 'header',
        { test: 'next-link-location', onChange: (e) => { p.next_link_location = e.target.value; draw(); } })),
      ...(p.next_link_location !== 'body'
        ? [field('Response header name', bound(p, 'response_header_name', { placeholder: 'Link', test: 'response-header-name' })),
          field('Link rel', bound(p, 'response_header_rel', { placeholder: 'next', test: 'response-header-rel' }))]
        : [field('Next page key', bound(p, 'next_page_key', { test: 'next-page-key' }), 'Where the next URL is in the body, e.g. links.next.')])],
    };
    const draw = () => {
      p.type = type.value;
      if (p.type === 'link' && !p.next_link_location) p.next_link_location = 'header';
      common.hidden = p.type === 'none';
      extra.replaceChildren(lock(h('div', {}, FIELDS_BY_TYPE[p.type]()), ctx.editable));
    };
    type.addEventListener('change', draw);
    draw();
    const step = { el: lock(h('div', {}, field('Pagination type', type), extra, common), ctx.editable) };
    step.collect = () => {
      const out = { type: p.type };
      if (p.type !== 'none') {
        const inRange = (control, max) => check(control, !(/^\d+$/.test(control.value.trim()) && +control.value >= 1 && +control.value <= max) && `must be 1..=${max}`);
        if (![inRange(size, 1000), inRange(limit, 20)].every(Boolean)) return null;
        const keep = ['results_key', 'page_size_param', ...PAGINATION_EXTRA[p.type].filter((k) => p.type !== 'link'
          || k === 'next_link_location' || (p.next_link_location === 'header') === k.startsWith('response_header'))];
        for (const key of keep) if (String(p[key] || '').trim()) out[key] = String(p[key]).trim();
        Object.assign(out, { default_page_size: +size.value, default_page_limit: +limit.value });
      }
      const next = { ...clone(def), pagination: out };
      step.note = markPaginated(next, def.pagination || { type: 'none' });
      return next;
    };
    return step;
  }

  function stepActions(ctx) {
    const search = input({ type: 'search', test: 'action-search', placeholder: 'id, name or path' });
    const tbody = h('tbody');
    const count = h('p', { class: 'muted' });
    const draw = () => {
      const q = search.value.trim().toLowerCase();
      const all = state.wiz.def.actions;
      const shown = all.filter((a) => [a.id, a.name, a.path].some((v) => String(v || '').toLowerCase().includes(q)));
      tbody.replaceChildren(...shown.map((a) => actionRow(a, ctx, draw)));
      count.textContent = q ? `${shown.length} of ${plural(all.length, 'action')} match.` : `${plural(all.length, 'action')}.`;
    };
    search.addEventListener('input', draw);
    draw();
    return { el: h('div', {},
      h('div', { class: 'toolbar' }, field('Search actions', search), ctx.editable && button('Regex replace…', () => regexDialog(draw), { test: 'regex-open' })),
      count, table(['Id', 'Name', 'Method', 'Path', 'Paginated', ctx.editable && ''].filter((x) => x !== false), tbody, { class: 'actions-table' }),
      ctx.editable && addActionForm(ctx, draw)) };
  }

  function actionRow(action, ctx, redraw) {
    const save = (mutate, message) => attempt(null, null, () => commit((d) => mutate(d.actions.find((a) => a.id === action.id)), message)
      .then(() => ctx.fail(null), ctx.fail).finally(redraw));
    const nameCell = h('td', { text: action.name });
    const paginated = h('input', { type: 'checkbox', checked: !!action.paginated, disabled: !ctx.editable, test: 'action-paginated', 'aria-label': `${action.name} is paginated` });
    paginated.addEventListener('change', () => save((a) => {
      a.paginated = paginated.checked;
      if (!a.paginated) delete a.pagination;
    }, `${action.id} is ${paginated.checked ? '' : 'not '}paginated.`));
    // An action that pages in another style than the integration has its own pagination.
    const own = action.pagination && h('span', { class: 'own-pagination', test: 'action-own-pagination' },
      ` own: ${action.pagination.type}`,
      ctx.editable && button('Use the integration\'s', () => save((a) => { delete a.pagination; },
        `${action.id} uses the integration's pagination.`), { test: 'action-drop-own-pagination', 'aria-label': `${action.id} uses the integration's pagination` }));
    // Its own pagination, edited as the definition's JSON (same fields and ranges as the
    // integration's; the server checks them on save).
    const paginationCell = h('td', {}, paginated, own);
    const editPagination = () => {
      const start = action.pagination || { ...state.wiz.def.pagination };
      const text = textarea({ rows: 6, value: JSON.stringify(start, null, 2), test: 'own-pagination-input', 'aria-label': `Own pagination of ${action.id}` });
      const done = () => {
        let parsed;
        try {
          parsed = JSON.parse(text.value);
        } catch (e) {
          check(text, `not JSON: ${e.message}`);
          return;
        }
        if (!check(text, (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) && 'a pagination object, such as {"type": "page", "page_param": "page"}')) return;
        save((a) => { a.pagination = parsed; a.paginated = true; }, `${action.id} has its own pagination (${parsed.type}).`);
      };
      paginationCell.replaceChildren(h('div', { class: 'field' }, text,
        h('div', { class: 'buttons' }, button('Save', done, { test: 'own-pagination-save' }), button('Cancel', redraw))));
      text.focus();
    };
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
      h('td', {}, h('code', { text: action.id })), nameCell, h('td', { text: action.method }),
      h('td', {}, h('code', { text: action.path })), paginationCell,
      ctx.editable && h('td', { class: 'row-buttons' },
        button('Rename', rename, { test: 'action-rename', 'aria-label': `Rename ${action.id}` }),
        button('Pagination', editPagination, { test: 'action-own-pagination-edit', 'aria-label': `Own pagination of ${action.id}` }),
        button('Delete', remove, { test: 'action-delete', class: 'danger', 'aria-label': `Delete ${action.id}` })));
  }

  function addActionForm(ctx, redraw) {
    const method = select(METHODS, 'GET', { test: 'add-action-method' });
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
        wiz.integration = await api('GET', `/v1/integrations/${enc(wiz.integration.id)}`);
        wiz.def = clone(wiz.integration.definition);
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
          message.replaceChildren(h('p', { text: `${plural(changes.length, 'change')}.` }));
        } catch (error) {
          if (mine !== asked) return;
          changes = [];
          message.replaceChildren(h('p', { class: 'error', test: 'error', text: error.message }));
        }
      }
      tbody.replaceChildren(...changes.map((c) => h('tr', { test: 'regex-preview-row' },
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

  function stepFinalize(ctx) {
    const { integration, def } = state.wiz;
    const finalized = integration.current_version != null;
    const next = (integration.current_version || 0) + 1;
    const err = errorBox();
    const finalize = button(finalized ? `Finalize version ${next}` : 'Finalize', async () => {
      const status = select([['published', 'Published (organizations below may install it)'], ['hidden', 'Hidden']], 'published', { test: 'finalize-status' });
      const text = `Finalizing compiles version ${next} into a component. The definition of a finalized integration can no longer be edited as a draft; later versions must not break installed ones (removed actions, moved paths, new required inputs, another host or auth type are refused while it is installed).`;
      if (!await confirmDialog(`Finalize version ${next}?`, [h('p', { text }), field('Status after finalizing', status)], 'Finalize', 'finalize-confirm')) return;
      await attempt(finalize, err, async () => {
        const body = integration.status === 'draft' ? { status: status.value } : { status: status.value, definition: def };
        const result = await api('POST', `/v1/integrations/${enc(integration.id)}/finalize`, body);
        const fresh = await api('GET', `/v1/integrations/${enc(integration.id)}`);
        Object.assign(state.wiz, { integration: fresh, def: clone(fresh.definition), pending: false, last: result });
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
        ['Actions', String(def.actions.length)], ['Host', `${def.scheme || 'https'}://${def.hostname}${def.base_path || ''}`],
        ['Auth', (def.auth || { type: 'none' }).type], ['Pagination', (def.pagination || { type: 'none' }).type]]),
      !def.hostname && h('p', { class: 'note', test: 'finalize-needs-hostname', text: 'The spec gave no server URL: set the hostname on the Basics step before finalize.' }),
      state.wiz.pending && h('p', { class: 'note', text: 'You have edits that are not saved yet: they become the next version when you finalize.' }),
      state.wiz.last && versionReport(state.wiz.last),
      ctx.editable && h('div', { class: 'buttons' }, finalize,
        finalized && statusButton('published', 'Publish', 'publish'), finalized && statusButton('hidden', 'Hide', 'hide')), err,
      finalized && canEdit() ? installForm(ctx) : h('p', { class: 'muted', text: 'Finalize the integration to install it.' })) };
  }

  function versionReport(result) {
    const v = result.version;
    const r = v.change_report || {};
    const list = (title, items, show) => items && items.length > 0 && [h('h4', { text: title }), h('ul', {}, items.map((i) => h('li', { text: show(i) })))];
    return h('section', { class: 'card note', 'aria-labelledby': 'version-title' },
      h('h3', { id: 'version-title', text: `Version ${v.version} (${result.status})` }),
      h('p', {}, 'Component ', h('code', { text: String(v.bundle_hash).slice(0, 16) }), ` · ${plural(Number(result.actions) || 0, 'action')}`),
      list('Added', r.added, String), list('Removed', r.removed, String), list('Renamed', r.renamed, (x) => `${x.id}: ${x.from} → ${x.to}`),
      list('Changed', r.changed, (x) => `${x.id}: ${(x.what || []).join(', ')}`),
      h('p', { text: r.breaking ? `Breaking: ${(r.breaking_reasons || []).join('; ')}` : 'No breaking changes.' }));
  }

  function credentialRow(name) {
    return h('div', { class: 'row credential' },
      field('Credential name', input({ value: name, test: 'install-credential-name', autocomplete: 'off' })),
      field('Value', input({ type: 'password', test: 'install-credential-value', autocomplete: 'new-password' })));
  }

  function installForm(ctx) {
    const auth = (state.wiz && state.wiz.def.auth) || { type: 'none' };
    const org = orgSelect(state.org, { test: 'install-org' });
    const rows = h('div', {}, (CREDENTIALS[auth.type] || ['']).map(credentialRow));
    const err = errorBox();
    const submit = h('button', { type: 'submit', class: 'primary', test: 'install', text: 'Install' });
    const credentials = () => Object.fromEntries([...rows.querySelectorAll('.credential')]
      .map((row) => [...row.querySelectorAll('input')].map((i) => i.value)).filter(([name]) => name.trim()).map(([n, v]) => [n.trim(), v]));
    const consent = auth.type === 'oauth2' && auth.grant_type === 'authorization_code';
    return h('form', { class: 'card', 'aria-labelledby': 'install-title', onSubmit: (event) => {
      event.preventDefault();
      attempt(submit, err, async () => {
        const created = await api('POST', `/v1/organizations/${enc(org.value)}/installations`,
          { integration_id: ctx.integration.id, configuration: 'default', credentials: credentials(), config: {} });
        setStatus(`Installed version ${created.version} in ${orgName(created.organization_id)}.`);
        go(`#/installation/${enc(created.id)}`);
      });
    } },
    h('h3', { id: 'install-title', text: 'Install' }),
    h('p', { class: 'help', text: consent ? 'After installing, a user connects once on the installation\'s page (consent at the provider).' : 'Credentials are sealed at rest and never shown again.' }),
    field('Organization', org), rows,
    h('div', { class: 'buttons' }, button('Add a credential', () => rows.append(credentialRow(''))), submit), err);
  }

  const STEP_VIEWS = { basics: stepBasics, auth: stepAuth, pagination: stepPagination, actions: stepActions, test: stepTest, finalize: stepFinalize };

  // ------------------------------------------------------------------ wizard step: test (probe)

  const VERDICT_TEXT = { ok: 'ok', warning: 'warning', failed: 'failed' };

  /** Runs the draft's actions against the live API (the server's probe) and shows the verdicts. */
  function stepTest(ctx) {
    const { integration } = state.wiz;
    const auth = state.wiz.def.auth || { type: 'none' };
    const row = (name) => h('div', { class: 'row credential' },
      field('Credential name', input({ value: name, test: 'probe-credential-name', autocomplete: 'off' })),
      field('Value', input({ type: 'password', test: 'probe-credential-value', autocomplete: 'new-password' })));
    const rows = h('div', {}, (CREDENTIALS[auth.type] || ['']).filter(Boolean).map(row));
    const credentials = () => Object.fromEntries([...rows.querySelectorAll('.credential')]
      .map((r) => [...r.querySelectorAll('input')].map((i) => i.value)).filter(([name]) => name.trim()).map(([n, v]) => [n.trim(), v]));
    const out = h('div', { test: 'probe-result', 'aria-live': 'polite' });
    const err = errorBox();
    const route = `/v1/integrations/${enc(integration.id)}/probe`;
    const render = (report) => out.replaceChildren(...report.actions.map((a) => probeAction(a, ctx, async () => {
      const applied = await api('POST', route, { credentials: credentials(), apply: true });
      state.wiz.integration = await api('GET', `/v1/integrations/${enc(integration.id)}`);
      state.wiz.def = clone(state.wiz.integration.definition);
      setStatus(applied.applied.length ? `Applied: ${applied.applied.join('; ')}. Run the probe again to confirm.` : 'Nothing to apply.');
    })));
    const run = actionButton('Run the probe', err, async () => {
      out.replaceChildren(h('p', { class: 'muted', text: 'Calling the API…' }));
      render(await api('POST', route, { credentials: credentials() }));
      setStatus('Probe done.');
    }, { test: 'probe-run', class: 'primary' });
    return { el: h('div', {},
      h('p', { class: 'help', text: 'Runs the paginated actions without required inputs (and one more) against the live API, two pages each, and checks the credentials, the results key and the pagination. The credentials are used for this test only and are not stored.' }),
      rows, h('div', { class: 'buttons' }, button('Add a credential', () => rows.append(row(''))), run), err, out) };
  }

  /** One probed action: its verdicts, hints, the suggestion and the raw pages. */
  function probeAction(report, ctx, apply) {
    const checks = [['Auth', report.auth], ['Results', report.results], ['Pagination', report.pagination]].filter(([, c]) => c);
    const suggestion = report.suggestion && report.suggestion.pagination;
    return h('section', { class: 'card probe-action' },
      h('h3', { test: 'probe-verdict', text: `${report.action}: ${VERDICT_TEXT[report.verdict] || report.verdict}` }),
      table(['Check', 'Verdict', 'What was seen'], checks.map(([name, c]) => h('tr', {},
        h('td', { text: name }), h('td', { class: `verdict-${c.verdict}`, text: VERDICT_TEXT[c.verdict] || c.verdict }),
        h('td', {}, c.message, c.hint ? h('div', { class: 'help', text: `Hint: ${c.hint}` }) : '')))),
      (report.candidates || []).length ? h('p', { text: `Arrays in the first page: ${report.candidates.slice(0, 5).map((c) => `${c.path || '(the body)'} (${c.items})`).join(', ')}` }) : '',
      suggestion ? h('p', { test: 'probe-suggestion' }, `Suggested: ${suggestion.type} pagination, results key “${suggestion.results_key}”. `,
        ctx.editable && state.wiz.integration.status === 'draft' ? actionButton('Apply', null, apply, { test: 'probe-apply' }) : '') : '',
      ...(report.exchanges || []).map((e, i) => h('details', {},
        h('summary', { text: `Page ${i + 1}: ${e.request.method} ${e.request.url} → ${e.response ? e.response.status : 'no response'}` }),
        h('pre', { class: 'output', text: [
          ...e.request.headers.map(([n, v]) => `> ${n}: ${v}`),
          ...(e.response ? e.response.headers.map(([n, v]) => `< ${n}: ${v}`) : []),
          e.response ? `\n${e.response.body.text || e.response.body.base64 || ''}` : '',
        ].join('\n') }))));
  }

  // ------------------------------------------------------------------ view: installation (try it, tenants)

  async function viewInstallation(id) {
    const installation = await api('GET', `/v1/installations/${enc(id)}`);
    const integration = await api('GET', `/v1/integrations/${enc(installation.integration_id)}`).catch(() => null);
    const actions = integration && Array.isArray(integration.definition.actions) ? integration.definition.actions : [];
    return h('div', {},
      h('h1', { text: `Installation of ${integration ? integration.name : installation.integration_id}`, tabindex: '-1' }),
      dl([['Organization', orgName(installation.organization_id)], ['Version', String(installation.version)],
        ['Configurations', installation.configurations.join(', ')], ['Id', h('code', { text: installation.id })]]),
      integration && integration.definition.auth && integration.definition.auth.type === 'oauth2' ? connectionPanel(installation) : '',
      tryPanel(installation, actions), tenantPanel(installation, actions));
  }

  const CONNECTION_TEXT = {
    connected: 'Connected', needs_consent: 'Needs consent', failing: 'Failing', not_connected: 'Not used yet',
    missing_credentials: 'Missing client id', not_oauth: 'Not OAuth',
  };

  /** OAuth 2.0 connections: each configuration's state, and consent at the provider. */
  function connectionPanel(installation) {
    const base = `/v1/installations/${enc(installation.id)}`;
    const body = h('div', {});
    const err = errorBox();
    const connect = (configuration, again) => actionButton(again ? 'Reconnect' : 'Connect', err, async () => {
      const started = await api('POST', `${base}/oauth/authorize`, { configuration });
      window.location.assign(started.consent_url);
    }, { test: `connect-${configuration}` });
    const load = async () => {
      const { connections } = await api('GET', `${base}/connections`);
      body.replaceChildren(table(['Configuration', 'Status', 'Details', ''], connections.map((c) => h('tr', {},
        h('td', { text: c.configuration }),
        h('td', { text: CONNECTION_TEXT[c.status] || c.status, test: `connection-${c.configuration}` }),
        h('td', { text: c.error || (c.expires_at ? `token until ${new Date(c.expires_at * 1000).toLocaleString()}` : '') }),
        h('td', {}, c.consent && canEdit() ? connect(c.configuration, c.status === 'connected') : '')))));
    };
    attempt(null, err, load);
    return h('section', { class: 'card', 'aria-labelledby': 'connection-title' }, h('h2', { id: 'connection-title', text: 'Connection' }),
      h('p', { class: 'help', text: 'Connect sends you to the provider to consent; the platform then keeps and refreshes the tokens.' }),
      body, err);
  }

  /** An input skeleton for an action: its required parameters (and body) with empty values. */
  function inputTemplate(action) {
    const out = {};
    ((action && action.parameters) || []).filter((p) => p.required).forEach((p) => { out[p.name] = ''; });
    if (action && action.request_body && action.request_body.required) out.body = {};
    return JSON.stringify(out, null, 2);
  }

  function actionPicker(actions, test) {
    return actions.length ? select(actions.map((a) => [a.id, `${a.name} (${a.method} ${a.path})`]), actions[0].id, { test }) : input({ test, placeholder: 'action id' });
  }

  function tryPanel(installation, actions) {
    const action = actionPicker(actions, 'try-action');
    const about = h('div', { class: 'help' });
    const text = textarea({ rows: 6, class: 'code', spellcheck: 'false', test: 'try-input' });
    const onBehalf = orgSelect('', { test: 'try-organization' }, subtree(installation.organization_id), '(none)');
    const output = h('pre', { class: 'output', test: 'try-output', tabindex: '0', 'aria-label': 'Output' });
    const err = errorBox();
    let template = '';
    const describe = () => {
      const chosen = actions.find((a) => a.id === action.value);
      if (text.value === template) text.value = template = inputTemplate(chosen);
      about.replaceChildren(chosen ? h('p', { text: chosen.description || `${chosen.method} ${chosen.path}` }) : '',
        h('ul', {}, ((chosen && chosen.parameters) || []).map((p) => h('li', {}, h('code', { text: p.name }),
          ` (${p.in}${p.required ? ', required' : ''})${p.description ? ` — ${p.description}` : ''}`))));
    };
    action.addEventListener('change', describe);
    describe();
    const run = actionButton('Run', err, async () => {
      output.textContent = '';
      let value;
      try {
        value = text.value.trim() ? JSON.parse(text.value) : {};
      } catch (error) {
        throw new Error(`the input is not valid JSON: ${error.message}`);
      }
      const body = onBehalf.value ? { input: value, organization_id: onBehalf.value } : { input: value };
      const result = await api('POST', `/v1/installations/${enc(installation.id)}/actions/${enc(action.value)}/invoke`, body)
        .catch((error) => { setStatus(`${action.value} failed.`); throw error; });
      output.textContent = JSON.stringify(result.output, null, 2);
      setStatus(`${action.value} ran.`);
    }, { test: 'try-run', class: 'primary' });
    return h('section', { class: 'card', 'aria-labelledby': 'try-title' }, h('h2', { id: 'try-title', text: 'Try it' }),
      field('Action', action), about, field('Input (JSON)', text),
      field('On behalf of organization', onBehalf, 'Optional: its mapped tenant id goes into the input.'),
      canEdit() ? h('div', { class: 'buttons' }, run) : h('p', { class: 'muted', text: 'Viewers cannot invoke actions.' }),
      err, h('h3', { text: 'Output' }), output);
  }

  function tenantPanel(installation, actions) {
    const title = h('h2', { id: 'tenants-title', text: 'Organization mapping' });
    const section = (...content) => h('section', { class: 'card', 'aria-labelledby': 'tenants-title' }, title, content);
    if (!canEdit()) return section(h('p', { text: 'Viewers cannot change the mapping.' }));
    const base = `/v1/installations/${enc(installation.id)}`;
    const source = actionPicker(actions, 'tenant-action');
    const idPath = input({ placeholder: '$.data[*].id', test: 'tenant-id-path' });
    const namePath = input({ placeholder: '$.data[*].name', test: 'tenant-name-path' });
    const inputKey = input({ placeholder: 'tenant_id', test: 'tenant-input-key' });
    const err = errorBox();
    const results = h('div');
    const fetchTenants = actionButton('Fetch tenants', err, async () => {
      const { tenants } = await api('POST', `${base}/tenants/fetch`);
      results.replaceChildren(tenants.length ? table(['Tenant id', 'Name', 'Suggestion', 'Organization', ''], tenants.map((t) => tenantRow(t, base, installation)))
        : h('p', { text: 'The action listed no tenants.' }));
      setStatus(`Fetched ${plural(tenants.length, 'tenant')}.`);
    }, { test: 'tenant-fetch' });
    const saveSource = h('button', { type: 'submit', text: 'Save source', test: 'tenant-save-source' });
    const form = h('form', { onSubmit: (e) => {
      e.preventDefault();
      attempt(saveSource, err, async () => {
        await api('PUT', `${base}/tenant-source`, { action_id: source.value, id_path: idPath.value.trim(), name_path: namePath.value.trim(), input_key: inputKey.value.trim() });
        setStatus('Saved the tenant source.');
      });
    } },
    h('div', { class: 'row' }, field('Action that lists the tenants', source), field('Id JSONPath', idPath), field('Name JSONPath', namePath),
      field('Input key', inputKey, 'The input key that carries the tenant id.')), h('div', { class: 'buttons' }, saveSource, fetchTenants));
    return section(h('p', { class: 'help', text: 'Map the API’s tenants (accounts, workspaces…) to platform organizations: an invocation on behalf of an organization then uses its tenant.' }),
      form, err, results);
  }

  function tenantRow(tenant, base, installation) {
    const s = tenant.suggestion;
    const org = orgSelect(tenant.mapped_to || (s && s.organization_id) || '', { 'aria-label': `Organization of ${tenant.tenant_name}`, test: 'tenant-org' },
      subtree(installation.organization_id), '(not mapped)');
    const save = actionButton('Save', null, async () => {
      if (!org.value) throw new Error(`Choose an organization for ${tenant.tenant_name} first.`);
      await api('PUT', `${base}/tenants/${enc(tenant.tenant_id)}`, { organization_id: org.value, tenant_name: tenant.tenant_name });
      setStatus(`Mapped ${tenant.tenant_name} to ${orgName(org.value)}.`);
    }, { test: 'tenant-save', 'aria-label': `Save the organization of ${tenant.tenant_name}` });
    return h('tr', {}, h('td', {}, h('code', { text: tenant.tenant_id })), h('td', { text: tenant.tenant_name }),
      h('td', { text: s ? `${s.organization_name} (${Math.round(s.score * 100)}%)` : '—' }), h('td', {}, org), h('td', {}, save));
  }

  // ------------------------------------------------------------------ start

  window.addEventListener('hashchange', render);
  document.addEventListener('DOMContentLoaded', () => {
    if (!state.token) return renderSignIn();
    return signIn(state.token).then(render, (error) => renderSignIn(error.message));
  });
})();
