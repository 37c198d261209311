// The Plugboard console: a single-page app over the platform's REST API, in ES modules served
// as separate files (no bundler, nothing inline: the server's CSP is `default-src 'self'`).
// Views follow the URL hash:
//   #/                          check, repair and import a spec
//   #/new                       build an integration from scratch
//   #/overview                  integrations and installations of the organization
//   #/integration/<id>/<step>   the wizard: basics, auth, pagination, actions, test, finalize
//   #/installation/<id>         connections, credentials, try the actions, tenants
//   #/admin/<tab>               organizations, users, API tokens, audit log
import { $, h, input, button, field, errorBox, showError, attempt, setStatus } from './dom.js';
import { state, api, canEdit, findOrg, orgSelect, onUnauthorized, reloadOrgs, TOKEN_KEY } from './api.js';
import { loadMeta } from './meta.js';
import { viewSource } from './source.js';
import { viewScratch } from './scratch.js';
import { viewOverview } from './overview.js';
import { viewWizard } from './wizard.js';
import { viewInstallation } from './installation.js';
import { viewAdmin } from './operators.js';

const VIEWS = { '': viewSource, new: viewScratch, overview: viewOverview, integration: viewWizard, installation: viewInstallation, admin: viewAdmin };

async function signIn(token) {
  state.token = token;
  try {
    const [{ user }] = await Promise.all([api('GET', '/v1/me'), reloadOrgs(), loadMeta()]);
    state.user = user;
    if (!findOrg(state.org)) state.org = user.organization_id;
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (error) {
    Object.assign(state, { token: '', user: null });
    sessionStorage.removeItem(TOKEN_KEY);
    throw error;
  }
}

function signOut(message) {
  Object.assign(state, { token: '', user: null, orgs: [], wiz: null, spec: '', specFile: null, renderId: state.renderId + 1 });
  sessionStorage.removeItem(TOKEN_KEY);
  setStatus(message || 'Signed out.');
  renderSignIn();
}
onUnauthorized(signOut);

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
  const links = [['', 'Import a spec'], ['new', 'Build from scratch'], ['overview', 'Integrations'], ['admin', 'Administration']]
    .filter(([key]) => key !== 'new' || canEdit());
  $('nav').replaceChildren(h('ul', {}, links.map(([key, text]) =>
    h('li', {}, h('a', { href: `#/${key}`, text, test: `nav-${key || 'import'}`, 'aria-current': view === key ? 'page' : null })))));
  const org = orgSelect(state.org, { test: 'org-select', onChange: () => {
    state.org = org.value;
    if (['', 'new', 'overview', 'admin'].includes(view)) render();
  } });
  $('session').replaceChildren(field('Organization', org),
    h('span', { class: 'user' }, `${state.user.name} `, h('span', { class: 'badge', text: state.user.role })),
    button('Sign out', () => signOut()));
}

/** Goes to a view (renders again when the hash is already there). */
export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/** Renders the view of the URL hash; focus goes to its heading (or the element marked data-focus). */
export async function render() {
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

window.addEventListener('hashchange', render);
if (!state.token) renderSignIn();
else signIn(state.token).then(render, (error) => renderSignIn(error.message));
