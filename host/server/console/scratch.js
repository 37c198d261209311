// Build an integration by hand: name, description, hostname, icon and a first action.
import { h, input, select, textarea, field, check, errorBox, attempt, setStatus, enc } from './dom.js';
import { state, api, canEdit, orgName } from './api.js';
import { def, definitionProperties } from './meta.js';
import { go } from './app.js';

/** The HTTP methods, from the server's rules. */
export const methods = () => def('Method').enum.map((m) => [m, m]);

/** Checks an integration name against the server's pattern and length. */
export function checkName(control) {
  const schema = definitionProperties().name;
  const value = control.value.trim();
  const pattern = new RegExp(schema.pattern);
  const max = schema.maxLength || Infinity;
  return check(control, !value ? 'the name is required'
    : !pattern.test(value) ? 'use letters, digits, spaces, `-` and `_` only'
      : value.length > max && `at most ${max} characters`);
}
export const checkRequired = (c, what) => check(c, !c.value.trim() && `the ${what} is required`);
export const checkHostname = (c) => check(c, !c.value.trim() ? 'the hostname is required: the API\'s host, such as api.example.com'
  : c.value.includes('://') && 'enter the host name without a scheme (no `://`), e.g. api.example.com');
export const checkPath = (c) => check(c, !/^\/[^\s?#]*$/.test(c.value.trim()) && 'a path starts with `/` and has no query, fragment or spaces');
export const actionId = (method, path) => `${method}_${path}`.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');

/** A new action; each `{placeholder}` of the path becomes a required path parameter. */
export function newAction(method, path, name) {
  const action = { id: actionId(method, path), name: name || `${method} ${path}`, description: '', method, path, paginated: false };
  const params = [...path.matchAll(/\{([^{}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (params.length) action.parameters = params;
  return action;
}

/** Whether the text is SVG markup (after whitespace, an XML declaration and comments). */
function isSvg(text) {
  let rest = text.trimStart();
  for (let m; (m = /^(<\?xml[\s\S]*?\?>|<!--[\s\S]*?-->)/i.exec(rest));) rest = rest.slice(m[0].length).trimStart();
  return /^<svg[\s>/]/i.test(rest);
}

/** An SVG as an image source (the CSP allows data: images). */
export const svgSource = (svg) => `data:image/svg+xml;charset=utf-8,${enc(svg)}`;

/** An SVG icon picker; read() resolves to the SVG text, undefined (no file chosen) or null (not SVG). */
export function iconField(current) {
  const file = input({ type: 'file', accept: 'image/svg+xml,.svg', test: 'icon-file' });
  const preview = h('span', { class: 'icon-preview' });
  const show = (svg) => preview.replaceChildren(svg ? h('img', { src: svgSource(svg), alt: 'the icon', width: 32, height: 32 }) : '');
  const read = async () => {
    check(file, '');
    if (!file.files[0]) return undefined;
    const svg = await file.files[0].text();
    if (!isSvg(svg)) {
      check(file, 'the icon must be an SVG file');
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

export function viewScratch() {
  const title = h('h1', { text: `Build an integration in ${orgName(state.org)}`, tabindex: '-1' });
  if (!canEdit()) return h('div', {}, title, h('p', { text: 'Viewers cannot create integrations.' }));
  const name = input({ autocomplete: 'off', test: 'new-name' });
  const description = textarea({ test: 'new-description' });
  const hostname = input({ placeholder: 'api.example.com', autocomplete: 'off', test: 'new-hostname' });
  const icon = iconField();
  const method = select(methods(), 'GET', { test: 'new-action-method' });
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
