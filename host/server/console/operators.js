// The operators' views (#/admin/<tab>): the organization tree and its custom-integrations
// switch, the users of an organization, API tokens (everyone's own; an admin also those of the
// users they reach) and the audit log with its filters. A token is shown once, in a dialog, when
// it is made or rotated; lists never carry it.
import { h, input, button, select, field, fieldError, check, table, modal, confirmDialog, errorBox, showError, attempt,
  setStatus, formatTime, enc } from './dom.js';
import { state, api, listAll, isAdmin, orgName, orgSelect, treeOrder, indented, reloadOrgs, findOrg, TOKEN_KEY } from './api.js';
import { render } from './app.js';

const TABS = [
  ['organizations', 'Organizations', true],
  ['users', 'Users', true],
  ['tokens', 'API tokens', false],
  ['audit', 'Audit log', true],
];

const ROLES = [
  ['viewer', 'Viewer: reads'],
  ['editor', 'Editor: also authors, installs and invokes'],
  ['admin', 'Admin: also manages organizations and users'],
];

const a = (role) => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;
const count = (n, one, many) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
const code = (text) => h('code', { text });
const time = (seconds) => (seconds ? h('time', { datetime: new Date(seconds * 1000).toISOString(), text: formatTime(seconds) }) : '');

/** The Administration view of the URL hash `#/admin/<tab>` (default: organizations; API tokens
 * for those who are not admins, the only tab they may use). */
export async function viewAdmin(tab) {
  const [key, title, adminOnly] = TABS.find(([k]) => k === tab) || TABS.find(([k]) => k === (isAdmin() ? 'organizations' : 'tokens'));
  const nav = h('nav', { 'aria-label': 'Administration' }, h('ul', { class: 'steps admin-tabs' }, TABS.map(([k, text]) =>
    h('li', {}, h('a', { href: `#/admin/${k}`, text, test: `admin-tab-${k}`, 'aria-current': k === key ? 'page' : null })))));
  const heading = (text) => h('h1', { tabindex: '-1', text });
  if (adminOnly && !isAdmin()) {
    return h('div', { class: 'admin', test: `admin-${key}` }, heading(title), nav,
      h('p', { class: 'note', test: 'admin-only' },
        `Only admins see the ${title.toLowerCase()}: you are signed in as ${state.user.name}, ${a(state.user.role)}. `,
        'Ask an admin of your organization, or manage ', h('a', { href: '#/admin/tokens', text: 'your own API tokens' }), '.'));
  }
  const views = { organizations: organizationsTab, users: usersTab, tokens: tokensTab, audit: auditTab };
  const { title: longTitle, body } = await views[key]();
  return h('div', { class: 'admin', test: `admin-${key}` }, heading(longTitle), nav, body);
}

// ------------------------------------------------------------------ helpers

/** Marks the controls named by an API error's `fields`; rethrows it when none matches. */
function fieldFailure(error, controls) {
  const hit = (error.fields || []).filter((f) => controls[f]);
  if (!hit.length) throw error;
  hit.forEach((f) => fieldError(controls[f], error.message));
  controls[hit[0]].focus();
}

/** A list section that reloads in place; after an action of one of its rows (`fromRow`), focus
 * goes to its heading when it is no longer inside the list (the row's button is gone or was
 * disabled while it worked). */
function section(title, build, props) {
  const heading = h('h2', { tabindex: '-1', text: title });
  const content = h('div', {});
  const reload = async (fromRow = false) => {
    content.replaceChildren(...[await build()].flat().filter(Boolean));
    if (fromRow && !content.contains(document.activeElement) && !document.querySelector('dialog[open]')) heading.focus();
  };
  return { el: h('section', { class: 'card', ...props }, heading, content), content, reload, heading };
}

/** Shows a new API token once, with a copy button; resolves when the dialog is closed. */
function showOnce(title, token, about) {
  const value = input({ value: token, readonly: true, class: 'code', test: 'token-once', autocomplete: 'off', spellcheck: 'false' });
  value.addEventListener('focus', () => value.select());
  const hint = h('p', { class: 'help', role: 'status', test: 'token-once-hint' });
  const copy = button('Copy', async () => {
    try {
      await navigator.clipboard.writeText(token);
      hint.textContent = 'Copied to the clipboard.';
    } catch {
      value.focus();
      value.select();
      hint.textContent = 'Selected: press Ctrl+C (⌘C on a Mac) to copy it.';
    }
  }, { test: 'token-once-copy', 'aria-label': 'Copy the token' });
  return new Promise((resolve) => {
    const dialog = modal(title, [
      h('p', { class: 'note', test: 'token-once-note' }, h('strong', { text: 'Copy it now: it is shown only this once.' }),
        ` ${about} Lost it? Rotate it to get a new one.`),
      field('API token', value, 'Send it as the header Authorization: Bearer <token>, or paste it in the sign-in page of this console.'),
      h('div', { class: 'buttons' }, copy), hint,
      h('div', { class: 'buttons' }, button('Done, I have copied it', () => dialog.close('done'), { class: 'primary', test: 'token-once-done' })),
    ], { test: 'token-once-dialog' });
    dialog.addEventListener('close', () => resolve());
    value.focus();
  });
}

// ------------------------------------------------------------------ organizations

function organizationsTab() {
  const err = errorBox();
  const rows = treeOrder().map((org) => {
    const toggle = h('input', { type: 'checkbox', role: 'switch', checked: !!org.custom_integrations, test: 'custom-integrations' });
    toggle.addEventListener('change', () => attempt(toggle, err, async () => {
      const enabled = toggle.checked;
      try {
        const updated = await api('PUT', `/v1/organizations/${enc(org.id)}/custom-integrations`, { enabled });
        Object.assign(org, updated);
      } catch (error) {
        toggle.checked = !enabled;
        throw error;
      }
      toggle.checked = !!org.custom_integrations;
      setStatus(`Custom integrations are ${org.custom_integrations ? 'on' : 'off'} for ${org.name}.`);
    }).then(() => toggle.focus()));
    const chosen = org.id === state.org;
    return h('tr', { test: 'org-row', 'data-id': org.id },
      h('td', {}, h('span', { text: indented(org) }), chosen ? [' ', h('span', { class: 'badge', text: 'chosen' })] : ''),
      h('td', {}, code(org.id)),
      h('td', {}, time(org.created_at)),
      h('td', {}, h('label', { class: 'check' }, toggle, h('span', { class: 'sr-only', text: `Custom integrations for ${org.name}` }))),
      h('td', { class: 'row-buttons' },
        h('a', { href: '#/admin/users', text: 'Users', 'aria-label': `Users of ${org.name}`, onClick: () => { state.org = org.id; } }), ' · ',
        h('a', { href: '#/admin/audit', text: 'Audit log', 'aria-label': `Audit log of ${org.name}`, onClick: () => { state.org = org.id; } })));
  });

  const name = input({ test: 'org-create-name', required: true, maxlength: 200, autocomplete: 'off' });
  const parent = orgSelect(state.org, { test: 'org-create-parent' });
  const createErr = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', test: 'org-create', text: 'Create the organization' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'org-create-title', onSubmit: (event) => {
    event.preventDefault();
    if (!check(name, !name.value.trim() && 'Enter a name.')) return name.focus();
    return attempt(submit, createErr, async () => {
      let created;
      try {
        created = await api('POST', '/v1/organizations', { name: name.value.trim(), parent_id: parent.value });
      } catch (error) {
        return fieldFailure(error, { name, parent_id: parent });
      }
      await reloadOrgs();
      setStatus(`Created ${created.name} under ${orgName(created.parent_id)}. Its users cannot author their own integrations until you switch them on.`);
      return render();
    });
  } },
  h('h2', { id: 'org-create-title', text: 'Create a sub-organization' }),
  h('div', { class: 'row' },
    field('Name', name),
    field('Under', parent, 'Its admins manage it and everything below it.')),
  createErr, h('div', { class: 'buttons' }, submit));

  return {
    title: 'Organizations',
    body: [
      h('section', { class: 'card', 'aria-labelledby': 'org-tree-title' },
        h('h2', { id: 'org-tree-title', text: 'Your organization and those below it' }),
        h('p', { class: 'help', id: 'custom-help', text: 'Custom integrations: when on, the editors of the organization may import specs and build their own integrations; when off, they install the published ones only.' }),
        err,
        table(['Organization', 'Id', 'Created', 'Custom integrations', h('span', { class: 'sr-only', text: 'Links' })], rows, { 'aria-describedby': 'custom-help', test: 'org-table' })),
      form,
    ],
  };
}

// ------------------------------------------------------------------ users

let tokenUser = 'me';

async function usersTab() {
  const org = state.org;
  const err = errorBox();
  const list = section('Members', async () => {
    const users = await listAll(`/v1/organizations/${enc(org)}/users`, 'users');
    if (!users.length) return h('p', { class: 'muted', text: 'No users here yet.' });
    return table(['Name', 'Id', 'Role', h('span', { class: 'sr-only', text: 'Actions' })], users.map((user) => userRow(user, err, () => list.reload(true))), { test: 'user-table' });
  });
  await list.reload();

  const name = input({ test: 'user-create-name', required: true, autocomplete: 'off' });
  const role = select(ROLES, 'editor', { test: 'user-create-role' });
  const createErr = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', test: 'user-create', text: 'Create the user' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'user-create-title', onSubmit: (event) => {
    event.preventDefault();
    if (!check(name, !name.value.trim() && 'Enter a name.')) return name.focus();
    return attempt(submit, createErr, async () => {
      let created;
      try {
        created = await api('POST', `/v1/organizations/${enc(org)}/users`, { name: name.value.trim(), role: role.value });
      } catch (error) {
        return fieldFailure(error, { name, role });
      }
      name.value = '';
      await list.reload();
      setStatus(`Created ${created.user.name} (${created.user.role}) in ${orgName(org)}.`);
      await showOnce(`The API token of ${created.user.name}`, created.token,
        `${created.user.name} signs in to this console or calls the API with it. Give it to them over a safe channel.`);
      name.focus();
    });
  } },
  h('h2', { id: 'user-create-title', text: `Add a user to ${orgName(org)}` }),
  h('div', { class: 'row' }, field('Name', name), field('Role', role)),
  h('p', { class: 'help', text: 'The new user gets an API token, shown once. Users of the organizations below are listed there: choose one in Organization at the top.' }),
  createErr, h('div', { class: 'buttons' }, submit));

  list.content.before(err);
  return { title: `Users of ${orgName(org)}`, body: [list.el, form] };
}

function userRow(user, err, reload) {
  const me = user.id === state.user.id;
  const role = select(ROLES.map(([v]) => [v, v]), user.role, { test: 'user-role', 'aria-label': `Role of ${user.name}` });
  role.addEventListener('change', () => attempt(role, err, async () => {
    const next = role.value;
    if (me && next !== 'admin' && !(await confirmDialog('Give up your admin role?', h('p', { text: `You become ${a(next)} and cannot manage organizations and users any more, unless another admin gives the role back.` }), 'Change my role', 'user-role-confirm', true))) {
      role.value = user.role;
      return;
    }
    try {
      const updated = await api('PATCH', `/v1/users/${enc(user.id)}`, { role: next });
      Object.assign(user, updated);
    } catch (error) {
      role.value = user.role;
      throw error;
    }
    setStatus(`${user.name} is now ${a(user.role)}.`);
    if (me) {
      state.user = { ...state.user, role: user.role };
      render();
    }
  }).then(() => { if (role.isConnected) role.focus(); }));
  const remove = button('Remove', () => attempt(remove, err, async () => {
    const sure = await confirmDialog(`Remove ${user.name}?`, h('p', { text: `${user.name} and their API tokens are removed at once; requests with those tokens are refused from now on. This cannot be undone.` }),
      'Remove the user', 'user-remove-confirm', true);
    if (!sure) return;
    await api('DELETE', `/v1/users/${enc(user.id)}`);
    setStatus(`Removed ${user.name}.`);
    if (me) return render();
    return reload();
  }), { class: 'danger', test: 'user-remove', 'aria-label': `Remove ${user.name}` });
  return h('tr', { test: 'user-row', 'data-id': user.id },
    h('td', {}, user.name, me ? [' ', h('span', { class: 'badge', text: 'you' })] : ''),
    h('td', {}, code(user.id)),
    h('td', {}, role),
    h('td', { class: 'row-buttons' },
      h('a', { href: '#/admin/tokens', text: 'Tokens', 'aria-label': `API tokens of ${user.name}`, onClick: () => { tokenUser = me ? 'me' : user.id; } }), ' ',
      remove));
}

// ------------------------------------------------------------------ API tokens

/** Whether this browser's token still works (after a rotation it may have been the one rotated). */
async function sessionWorks() {
  const answer = await fetch('/v1/me', { headers: { Authorization: `Bearer ${state.token}` } }).catch(() => null);
  return !answer || answer.status !== 401;
}

async function tokensTab() {
  const admin = isAdmin();
  const others = admin ? (await listAll(`/v1/organizations/${enc(state.org)}/users`, 'users')).filter((u) => u.id !== state.user.id) : [];
  if (!others.some((u) => u.id === tokenUser)) tokenUser = 'me';
  const whose = () => (tokenUser === 'me' ? state.user : others.find((u) => u.id === tokenUser));
  const err = errorBox();

  const list = section('', async () => {
    const user = whose();
    list.heading.textContent = tokenUser === 'me' ? 'Your API tokens' : `API tokens of ${user.name}`;
    const tokens = await listAll(`/v1/users/${enc(tokenUser)}/tokens`, 'tokens');
    if (!tokens.length) return h('p', { class: 'muted', test: 'token-none', text: 'No API tokens: requests cannot be made as this user until you create one.' });
    // Only the columns the API gives: last use and expiry when the server reports them.
    const lastUsed = tokens.some((t) => 'last_used_at' in t);
    const expires = tokens.some((t) => 'expires_at' in t);
    const headers = ['Name', 'Id', 'Created', lastUsed && 'Last used', expires && 'Expires', h('span', { class: 'sr-only', text: 'Actions' })].filter(Boolean);
    return [table(headers, tokens.map((token) => tokenRow(token, user, { lastUsed, expires }, err, () => list.reload(true))), { test: 'token-table' }),
      expires ? '' : h('p', { class: 'help', text: 'These tokens do not expire: revoke the ones no longer in use, rotate one that may have leaked.' })];
  });
  await list.reload();

  let picker = '';
  if (admin) {
    const choose = select([['me', `You (${state.user.name})`], ...others.map((u) => [u.id, `${u.name} (${u.role})`])], tokenUser, { test: 'token-user' });
    choose.addEventListener('change', () => attempt(choose, err, async () => {
      tokenUser = choose.value;
      await list.reload();
    }).then(() => choose.focus()));
    picker = h('div', { class: 'toolbar' }, field(`Whose tokens (users of ${orgName(state.org)})`, choose,
      'Users of the organizations below are listed there: choose one in Organization at the top.'));
  }

  const name = input({ test: 'token-create-name', required: true, maxlength: 100, autocomplete: 'off', placeholder: 'ci-deploy' });
  const createErr = errorBox();
  const submit = h('button', { type: 'submit', class: 'primary', test: 'token-create', text: 'Create a token' });
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'token-create-title', onSubmit: (event) => {
    event.preventDefault();
    if (!check(name, !name.value.trim() && 'Enter what the token is for.')) return name.focus();
    return attempt(submit, createErr, async () => {
      let created;
      try {
        created = await api('POST', `/v1/users/${enc(tokenUser)}/tokens`, { name: name.value.trim() });
      } catch (error) {
        return fieldFailure(error, { name });
      }
      name.value = '';
      await list.reload();
      setStatus(`Created the API token ${created.api_token.name}.`);
      await showOnce(`New API token: ${created.api_token.name}`, created.token, 'It acts with the role of its user.');
      name.focus();
    });
  } },
  h('h2', { id: 'token-create-title', text: 'Create an API token' }),
  h('div', { class: 'row' }, field('What it is for', name, 'A name to recognize it by, 1 to 100 characters: a script, a machine, a colleague.')),
  createErr, h('div', { class: 'buttons' }, submit));

  list.content.before(err);
  return {
    title: 'API tokens',
    body: [picker, list.el, form],
  };
}

function tokenRow(token, user, columns, err, reload) {
  const mine = user.id === state.user.id;
  const who = mine ? 'me' : user.id;
  const path = `/v1/users/${enc(who)}/tokens/${enc(token.id)}`;
  const rotate = button('Rotate', () => attempt(rotate, err, async () => {
    const sure = await confirmDialog(`Rotate ${token.name}?`, h('p', { text: 'A new token with the same name replaces it: the current one stops working at once. The new one is shown once.' }),
      'Rotate the token', 'token-rotate-confirm', false);
    if (!sure) return;
    const rotated = await api('POST', `${path}/rotate`, undefined);
    let note = '';
    if (mine && !(await sessionWorks())) {
      // This browser signed in with the rotated token: keep the session on the new one.
      state.token = rotated.token;
      sessionStorage.setItem(TOKEN_KEY, rotated.token);
      note = ' This browser was signed in with it and now uses the new one.';
    }
    await reload();
    setStatus(`Rotated ${token.name}: the old token no longer works.${note}`);
    await showOnce(`Rotated API token: ${rotated.api_token.name}`, rotated.token, `The old one no longer works.${note}`);
  }), { test: 'token-rotate', 'aria-label': `Rotate ${token.name}` });
  const revoke = button('Revoke', () => attempt(revoke, err, async () => {
    const sure = await confirmDialog(`Revoke ${token.name}?`, h('p', { text: `Requests with this token are refused from now on${mine ? '; if this browser signed in with it, you are signed out' : ''}. This cannot be undone.` }),
      'Revoke the token', 'token-revoke-confirm', true);
    if (!sure) return;
    await api('DELETE', path);
    setStatus(`Revoked ${token.name}.`);
    await reload();
  }), { class: 'danger', test: 'token-revoke', 'aria-label': `Revoke ${token.name}` });
  return h('tr', { test: 'token-row', 'data-id': token.id },
    h('td', { text: token.name }),
    h('td', {}, code(token.id)),
    h('td', {}, time(token.created_at)),
    columns.lastUsed ? h('td', {}, token.last_used_at ? time(token.last_used_at) : 'never') : '',
    columns.expires ? h('td', {}, token.expires_at ? time(token.expires_at) : 'never') : '',
    h('td', { class: 'row-buttons' }, rotate, revoke));
}

// ------------------------------------------------------------------ audit log

/** The audit filters, kept while the console runs (datetime-local strings for the times). */
const auditFilter = { action: '', user_id: '', target: '', since: '', until: '', limit: '100' };

const KNOWN_ACTIONS = ['organization', 'organization.create', 'organization.custom_integrations', 'user', 'user.create', 'user.role', 'user.remove',
  'token', 'token.create', 'token.revoke', 'token.rotate', 'integration', 'integration.create', 'integration.import', 'integration.update',
  'integration.finalize', 'integration.status', 'integration.delete', 'integration.bundle', 'installation', 'installation.create',
  'installation.configure', 'installation.uninstall', 'invoke', 'invoke.dry_run', 'tenant', 'bootstrap'];

const toUnix = (local) => (local ? Math.floor(new Date(local).getTime() / 1000) : null);

async function auditTab() {
  const org = state.org;
  const users = await listAll(`/v1/organizations/${enc(org)}/users`, 'users');
  const userName = (id) => (id === state.user.id ? state.user.name : (users.find((u) => u.id === id) || {}).name);

  const actions = h('datalist', { id: 'audit-actions' }, KNOWN_ACTIONS.map((a) => h('option', { value: a })));
  const people = h('datalist', { id: 'audit-users' }, users.map((u) => h('option', { value: u.id, label: u.name })));
  const c = {
    action: input({ test: 'audit-action', list: 'audit-actions', autocomplete: 'off', value: auditFilter.action, placeholder: 'invoke' }),
    user_id: input({ test: 'audit-user', list: 'audit-users', autocomplete: 'off', value: auditFilter.user_id, placeholder: 'usr_...' }),
    target: input({ test: 'audit-target', autocomplete: 'off', value: auditFilter.target, placeholder: 'ins_...' }),
    since: input({ type: 'datetime-local', test: 'audit-since', value: auditFilter.since }),
    until: input({ type: 'datetime-local', test: 'audit-until', value: auditFilter.until }),
    limit: input({ type: 'number', test: 'audit-limit', min: 1, max: 1000, value: auditFilter.limit, inputmode: 'numeric' }),
  };
  const err = errorBox();
  const tbody = h('tbody', {});
  const summary = h('p', { class: 'muted', test: 'audit-summary' });
  let cursor = null;
  const more = button('More', () => attempt(more, err, async () => {
    const added = await load(cursor);
    const first = added[0];
    if (first) {
      first.setAttribute('tabindex', '-1');
      first.focus();
    }
  }), { test: 'audit-more', hidden: true, 'aria-label': 'Show older entries' });

  const query = (after) => {
    const q = new URLSearchParams();
    ['action', 'user_id', 'target'].forEach((k) => { if (auditFilter[k].trim()) q.set(k, auditFilter[k].trim()); });
    if (auditFilter.since) q.set('since', String(toUnix(auditFilter.since)));
    if (auditFilter.until) q.set('until', String(toUnix(auditFilter.until)));
    q.set('limit', auditFilter.limit || '100');
    if (after) q.set('cursor', after);
    return q.toString();
  };
  const row = (e) => {
    const who = e.user_id == null ? h('span', { class: 'muted', text: 'platform' }) : userName(e.user_id) || code(e.user_id);
    const targetName = (findOrg(e.target) || {}).name || userName(e.target);
    return h('tr', { test: 'audit-row', 'data-id': e.id },
      h('td', {}, time(e.at)),
      h('td', {}, who),
      h('td', {}, code(e.action)),
      h('td', {}, code(e.target), targetName ? ` (${targetName})` : ''),
      h('td', { text: e.detail }));
  };
  async function load(after) {
    const page = await api('GET', `/v1/organizations/${enc(org)}/audit?${query(after)}`);
    if (!after) tbody.replaceChildren();
    const added = page.entries.map(row);
    tbody.append(...added);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const shown = tbody.children.length;
    summary.textContent = shown ? `${count(shown, 'entry', 'entries')}, newest first${cursor ? '; older ones follow with More' : ''}.` : 'No entries match.';
    return added;
  }

  const apply = h('button', { type: 'submit', class: 'primary', test: 'audit-apply', text: 'Apply the filters' });
  const form = h('form', { class: 'card', novalidate: true, role: 'search', 'aria-labelledby': 'audit-filter-title', onSubmit: (event) => {
    event.preventDefault();
    const since = toUnix(c.since.value);
    const until = toUnix(c.until.value);
    const limit = Number(c.limit.value || 100);
    const ok = [
      check(c.limit, !(Number.isInteger(limit) && limit >= 1 && limit <= 1000) && 'Enter a whole number from 1 to 1000.'),
      check(c.until, since != null && until != null && until <= since && 'Choose a time after From.'),
    ].every(Boolean);
    if (!ok) return form.querySelector('[aria-invalid]').focus();
    Object.keys(auditFilter).forEach((k) => { auditFilter[k] = c[k].value; });
    return attempt(apply, err, async () => {
      try {
        await load(null);
      } catch (error) {
        return fieldFailure(error, c);
      }
      setStatus(summary.textContent);
    });
  } },
  h('h2', { id: 'audit-filter-title', text: 'Filter' }), actions, people,
  h('div', { class: 'row' },
    field('Action', c.action, 'Exact, or a family: "invoke" also finds "invoke.dry_run", "token" every token.* action.'),
    field('User id', c.user_id, 'Who did it.'),
    field('Target starts with', c.target, 'An installation id also finds its invocations.')),
  h('div', { class: 'row' },
    field('From', c.since, 'At or after this time (your time zone).'),
    field('Before', c.until, 'Before this time.'),
    field('Entries per page', c.limit, '1 to 1000.')),
  h('div', { class: 'buttons' }, apply,
    button('Clear', () => {
      Object.entries(c).forEach(([k, control]) => { control.value = k === 'limit' ? '100' : ''; fieldError(control, ''); });
      form.requestSubmit();
    }, { test: 'audit-clear', 'aria-label': 'Clear the filters' })));

  await load(null).catch((error) => showError(err, error));
  // A wide log scrolls sideways: its region takes focus so that the keyboard scrolls it too.
  const entries = table(['Time', 'User', 'Action', 'Target', 'Detail'], tbody, { test: 'audit-table' });
  Object.entries({ tabindex: '0', role: 'region', 'aria-labelledby': 'audit-entries-title' }).forEach(([k, v]) => entries.setAttribute(k, v));

  return {
    title: `Audit log of ${orgName(org)}`,
    body: [
      h('p', { class: 'lead', text: 'What was done in this organization, by whom and to what (never secrets). Creating a sub-organization is logged in its parent.' }),
      form,
      h('section', { class: 'card', 'aria-labelledby': 'audit-entries-title' },
        h('h2', { id: 'audit-entries-title', text: 'Entries' }),
        err, summary,
        entries,
        h('div', { class: 'buttons' }, more)),
    ],
  };
}

