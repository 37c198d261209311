// An installation: OAuth connections, configurations and their credentials (replace, rotate,
// add, remove), "Try it" with each page's raw exchange, and the tenant mapping.
import { h, input, select, textarea, field, button, table, dl, modal, errorBox, attempt, actionButton, confirmDialog, setStatus, plural, formatTime, enc } from './dom.js';
import { state, api, canEdit, orgName, orgSelect, subtree } from './api.js';
import { credentialRows } from './steps.js';
import { exchangeList } from './probe.js';

export async function viewInstallation(id, focus) {
  const installation = await api('GET', `/v1/installations/${enc(id)}`);
  const integration = await api('GET', `/v1/integrations/${enc(installation.integration_id)}`).catch(() => null);
  const d = integration && integration.definition;
  const actions = d && Array.isArray(d.actions) ? d.actions : [];
  const authType = (d && d.auth && d.auth.type) || 'none';
  return h('div', {},
    h('h1', { text: `Installation of ${integration ? integration.name : installation.integration_id}`, tabindex: '-1' }),
    dl([['Organization', orgName(installation.organization_id)], ['Version', String(installation.version)],
      ['Configurations', installation.configurations.join(', ')], ['Id', h('code', { text: installation.id })]]),
    authType === 'oauth2' ? connectionPanel(installation) : '',
    configurationsPanel(installation, authType, focus === 'credentials'),
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
  }, { test: `connect-${configuration}`, 'aria-label': `${again ? 'Reconnect' : 'Connect'} configuration ${configuration}` });
  const load = async () => {
    const { connections } = await api('GET', `${base}/connections`);
    body.replaceChildren(table(['Configuration', 'Status', 'Details', 'Consent'], connections.map((c) => h('tr', {},
      h('td', { text: c.configuration }),
      h('td', { text: CONNECTION_TEXT[c.status] || c.status, test: `connection-${c.configuration}` }),
      h('td', { text: c.error || (c.expires_at ? `token until ${formatTime(c.expires_at)}` : '') }),
      h('td', {}, c.consent && canEdit() ? connect(c.configuration, c.status === 'connected') : '')))));
  };
  attempt(null, err, load);
  return h('section', { class: 'card', 'aria-labelledby': 'connection-title' }, h('h2', { id: 'connection-title', text: 'Connection' }),
    h('p', { class: 'help', text: 'Connect sends you to the provider to consent; the platform then keeps and refreshes the tokens.' }),
    body, err);
}

/** The configurations: credentials (names only: values are sealed), config and auth overrides. */
function configurationsPanel(installation, authType, focused) {
  const base = `/v1/installations/${enc(installation.id)}/configurations`;
  const body = h('div');
  const err = errorBox();
  const heading = h('h2', { id: 'configurations-title', tabindex: '-1', text: 'Configurations and credentials', 'data-focus': focused || null });
  const load = async () => {
    const configurations = await Promise.all(installation.configurations.map((name) => api('GET', `${base}/${enc(name)}`)));
    body.replaceChildren(table(['Configuration', 'Credentials', 'Config', ''], configurations.map((c) => h('tr', { test: 'configuration-row' },
      h('td', {}, c.name, c.default ? h('span', { class: 'badge', text: 'default' }) : ''),
      h('td', { text: c.credentials.length ? c.credentials.join(', ') : 'none' }),
      h('td', {}, h('code', { text: JSON.stringify(c.config || {}) })),
      h('td', { class: 'row-buttons' }, canEdit() && [
        button('Replace credentials', () => credentialsDialog(c), { test: 'credentials-replace', 'aria-label': `Replace the credentials of ${c.name}` }),
        !c.default && button('Remove', () => removeConfiguration(c), { class: 'danger', test: 'configuration-remove', 'aria-label': `Remove configuration ${c.name}` })])))));
  };
  const reload = async () => {
    Object.assign(installation, await api('GET', `/v1/installations/${enc(installation.id)}`));
    await load();
  };
  const put = (name, payload) => api('PUT', `${base}/${enc(name)}`, payload);
  const credentialsDialog = (c) => {
    const creds = credentialRows(authType, 'replace');
    const derr = errorBox();
    const save = actionButton('Save', derr, async () => {
      const credentials = creds.read();
      if (!Object.keys(credentials).length) throw new Error('Enter at least one credential value.');
      await put(c.name, { credentials, config: c.config || {}, ...(c.auth ? { auth: c.auth } : {}), default: !!c.default });
      dialog.close();
      setStatus(`Replaced the credentials of ${c.name}: the next call uses them.`);
      await reload();
    }, { class: 'primary', test: 'credentials-save' });
    const dialog = modal(`Replace the credentials of ${c.name}`, [
      h('p', { class: 'help', text: 'To rotate a key: create the new one at the provider, save it here, then revoke the old one there. The values are sealed at rest and never shown again.' }),
      creds.rows, h('div', { class: 'buttons' }, creds.add), derr, h('div', { class: 'buttons' }, button('Cancel', () => dialog.close()), save)]);
  };
  const removeConfiguration = async (c) => {
    if (!await confirmDialog(`Remove configuration ${c.name}?`, h('p', { text: 'Its credentials and tokens are deleted.' }), 'Remove', 'configuration-remove-confirm', true)) return;
    await attempt(null, err, async () => {
      await api('DELETE', `${base}/${enc(c.name)}`);
      setStatus(`Removed configuration ${c.name}.`);
      await reload();
    });
  };
  const add = () => {
    const name = input({ test: 'configuration-name', autocomplete: 'off' });
    const creds = credentialRows(authType, 'configuration');
    const config = textarea({ rows: 3, class: 'code', test: 'configuration-config', value: '{}' });
    const derr = errorBox();
    const save = actionButton('Add', derr, async () => {
      if (!name.value.trim()) throw new Error('Name the configuration.');
      let parsed;
      try {
        parsed = JSON.parse(config.value || '{}');
      } catch (e) {
        throw new Error(`Config: not JSON (${e.message})`);
      }
      await put(name.value.trim(), { credentials: creds.read(), config: parsed });
      dialog.close();
      setStatus(`Added configuration ${name.value.trim()}.`);
      await reload();
    }, { class: 'primary', test: 'configuration-save' });
    const dialog = modal('Add a configuration', [field('Name', name, 'Such as a second account of the same API.'), creds.rows, h('div', { class: 'buttons' }, creds.add),
      field('Config (JSON)', config, 'The values the integration declares, such as a tenant or region.'), derr,
      h('div', { class: 'buttons' }, button('Cancel', () => dialog.close()), save)]);
  };
  attempt(null, err, load);
  return h('section', { class: 'card', 'aria-labelledby': 'configurations-title', id: 'configurations' }, heading,
    h('p', { class: 'help', text: 'Each configuration holds one set of credentials; calls use the default one unless they name another.' }),
    body, err, canEdit() && h('div', { class: 'buttons' }, button('Add a configuration', add, { test: 'configuration-add' })));
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

/** A failure that the installation's credentials (or a consent) fix links to them. */
function withFix(error, installation) {
  const cause = error && error.problem && error.problem.cause;
  if (cause === 'credentials' || cause === 'consent') {
    error.fix = { href: `#/installation/${enc(installation.id)}/credentials`, text: cause === 'consent' ? 'Connect the configuration' : 'Fix the credentials' };
  }
  return error;
}

function tryPanel(installation, actions) {
  const action = actionPicker(actions, 'try-action');
  const about = h('div', { class: 'help' });
  const text = textarea({ rows: 6, class: 'code', spellcheck: 'false', test: 'try-input' });
  const configuration = select(installation.configurations.map((c) => [c, c]), installation.configurations[0], { test: 'try-configuration' });
  const onBehalf = orgSelect('', { test: 'try-organization' }, subtree(installation.organization_id), '(none)');
  const output = h('pre', { class: 'output', test: 'try-output', tabindex: '0', role: 'region', 'aria-label': 'Output' });
  const exchanges = h('div', { test: 'try-exchanges' });
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
  const showExchanges = (list) => exchanges.replaceChildren(...(list && list.length ? [h('h3', { text: `Exchanges (${plural(list.length, 'page')}, credentials redacted)` }), ...exchangeList(list, 'try-exchange')] : []));
  const run = actionButton('Run', err, async () => {
    output.textContent = '';
    showExchanges([]);
    let value;
    try {
      value = text.value.trim() ? JSON.parse(text.value) : {};
    } catch (error) {
      throw new Error(`the input is not valid JSON: ${error.message}`);
    }
    const body = { input: value, configuration: configuration.value, exchanges: true };
    if (onBehalf.value) body.organization_id = onBehalf.value;
    const result = await api('POST', `/v1/installations/${enc(installation.id)}/actions/${enc(action.value)}/invoke`, body)
      .catch((error) => {
        setStatus(`${action.value} failed.`);
        showExchanges(error.problem && error.problem.exchanges);
        throw withFix(error, installation);
      });
    output.textContent = JSON.stringify(result.output, null, 2);
    showExchanges(result.exchanges);
    setStatus(`${action.value} ran.`);
  }, { test: 'try-run', class: 'primary' });
  return h('section', { class: 'card', 'aria-labelledby': 'try-title' }, h('h2', { id: 'try-title', text: 'Try it' }),
    field('Action', action), about, field('Input (JSON)', text),
    h('div', { class: 'row' }, field('Configuration', configuration),
      field('On behalf of organization', onBehalf, 'Optional: its mapped tenant id goes into the input.')),
    canEdit() ? h('div', { class: 'buttons' }, run) : h('p', { class: 'muted', text: 'Viewers cannot invoke actions.' }),
    err, h('h3', { text: 'Output' }), output, exchanges);
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

