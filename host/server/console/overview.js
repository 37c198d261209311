// The organization's integrations (with their icons) and installations.
import { h, table, formatTime, enc, plural } from './dom.js';
import { state, api, listAll, orgName } from './api.js';
import { svgSource } from './scratch.js';

/** An integration's icon, fetched with the caller's token (an <img> cannot send it). */
export function iconOf(integration, size = 24) {
  const img = h('img', { class: 'icon', alt: '', width: size, height: size, hidden: true });
  if (integration.has_icon) {
    api('GET', `/v1/integrations/${enc(integration.id)}/icon`).then((svg) => {
      if (typeof svg === 'string') {
        img.src = svgSource(svg);
        img.hidden = false;
      }
    }, () => {});
  }
  return h('span', { class: 'icon-slot', 'aria-hidden': 'true' }, img);
}

export async function viewOverview() {
  const org = state.org;
  const [integrations, installations] = await Promise.all([
    listAll(`/v1/organizations/${enc(org)}/integrations`, 'integrations'), listAll(`/v1/organizations/${enc(org)}/installations`, 'installations')]);
  const integrationName = (id) => (integrations.find((i) => i.id === id) || { name: id }).name;
  return h('div', {},
    h('h1', { text: `Integrations of ${orgName(org)}`, tabindex: '-1' }),
    integrations.length ? table(['Name', 'Status', 'Version', 'Actions', 'Auth', 'Updated'], integrations.map((i) => h('tr', { test: 'integration-row' },
      h('td', {}, iconOf(i), ' ', h('a', { href: `#/integration/${enc(i.id)}/basics`, text: i.name })),
      h('td', {}, h('span', { class: `badge status-${i.status}`, text: i.status })),
      h('td', { text: i.current_version == null ? '—' : String(i.current_version) }),
      h('td', { text: i.action_count == null ? '' : plural(i.action_count, 'action') }),
      h('td', { text: i.auth_type || '' }), h('td', { text: formatTime(i.updated_at) }))))
      : h('p', { text: 'No integrations yet.' }),
    h('h2', { text: 'Installations' }),
    installations.length ? table(['Integration', 'Version', 'Configurations', 'Installed'], installations.map((i) => h('tr', {},
      h('td', {}, h('a', { href: `#/installation/${enc(i.id)}`, text: integrationName(i.integration_id) })),
      h('td', { text: String(i.version) }), h('td', { text: i.configurations.join(', ') }), h('td', { text: formatTime(i.created_at) }))))
      : h('p', { text: 'Nothing installed here yet.' }));
}
