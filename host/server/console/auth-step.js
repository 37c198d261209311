// The wizard's auth step: every field of every auth type, built from the server's JSON Schema
// (labels, hints, defaults, choices and ranges are the server's), the OAuth 2.0 knobs grouped
// as the seed's wizard groups them, and Extra Request Headers for every type.
import { copyDefinition, h, select, field, check, lock, clone } from './dom.js';
import { state } from './api.js';
import { authTypes, authProperties, definitionProperties, schemaControl, schemaFields, rules } from './meta.js';

/** How the OAuth 2.0 fields are grouped; fields the server adds later land in "More". */
const OAUTH_GROUPS = [
  ['Grant and endpoints', ['grant_type', 'authorization_code_url', 'access_token_url', 'scope', 'authorization_extra_params']],
  ['Token request', ['token_request_method', 'token_request_content_type', 'token_exchange_basic_auth', 'extra_request_headers']],
  ['Token response', ['token_key', 'token_expiration_key', 'refresh_token_key', 'access_token_scheme']],
  ['Refresh', ['token_refresh_strategy', 'refresh_buffer_seconds', 'refresh_interval_seconds', 'include_client_config_on_refresh', 'include_redirect_uri_on_refresh', 'refresh_on_status', 'expired_token_body_marker']],
];

/** The credentials an auth type takes, as a sentence. */
function credentialsSentence(type) {
  const c = rules().credentials[type] || { required: [], optional: [] };
  if (!c.required.length && !c.optional.length) return 'Requests go out without credentials.';
  const names = (list) => list.map((n) => `\`${n}\``).join(' and ');
  return `Each installation supplies ${names(c.required)}${c.optional.length ? ` (and optionally ${names(c.optional)})` : ''}; the host applies them, the component never sees them.`;
}

export function stepAuth(ctx) {
  const d = state.wiz.def;
  const current = d.auth || { type: 'none' };
  const drafts = { [current.type]: clone(current) };
  const type = select(authTypes(), current.type, { test: 'auth-type' });
  const fields = h('div', { class: 'subfields' });
  let form = null;
  const draw = () => {
    if (form) drafts[form.type] = form.read({ type: form.type });
    const t = type.value;
    const variant = authProperties(t);
    const values = drafts[t] || { type: t };
    const names = Object.keys(variant.properties).filter((n) => n !== 'type');
    const all = schemaFields(variant.properties, names, values, variant.required);
    let body = all.els;
    if (t === 'oauth2') {
      const grouped = new Set(OAUTH_GROUPS.flatMap(([, list]) => list));
      const rest = names.filter((n) => !grouped.has(n));
      body = [...OAUTH_GROUPS, ['More', rest]].filter(([, list]) => list.some((n) => all.controls[n])).map(([legend, list]) =>
        h('fieldset', { class: 'group' }, h('legend', { text: legend }), list.filter((n) => all.controls[n]).map((n) => all.controls[n].el)));
    }
    const strategy = all.controls.token_refresh_strategy;
    const code = all.controls.grant_type;
    const sync = () => {
      if (strategy) {
        all.controls.refresh_buffer_seconds.el.hidden = strategy.read() !== 'automatic';
        all.controls.refresh_interval_seconds.el.hidden = strategy.read() !== 'custom_interval';
      }
      if (code) {
        const consent = code.read() === 'authorization_code';
        ['authorization_code_url', 'authorization_extra_params', 'include_redirect_uri_on_refresh'].forEach((n) => { if (all.controls[n]) all.controls[n].el.hidden = !consent; });
      }
    };
    [strategy, code].forEach((c) => c && c.control.addEventListener('change', sync));
    sync();
    form = {
      type: t,
      read: (into) => all.read(into),
      validate: () => {
        const valid = all.validate();
        if (t !== 'oauth2') return valid;
        const consent = code.read() === 'authorization_code';
        const url = all.controls.authorization_code_url;
        const codeOk = !consent || !!url.control.value.trim() || check(url.control, 'the authorization code grant needs the Authorization Code URL');
        const interval = all.controls.refresh_interval_seconds;
        const intervalOk = strategy.read() !== 'custom_interval' || !!interval.control.value.trim() || check(interval.control, 'the custom interval strategy needs Custom Interval');
        return valid && codeOk && intervalOk;
      },
    };
    fields.replaceChildren(lock(h('div', {}, h('p', { class: 'help', test: 'auth-credentials', text: `${variant.description} ${credentialsSentence(t)}` }), body), ctx.editable));
  };
  type.addEventListener('change', draw);
  draw();
  const headers = schemaControl('extra_request_headers', definitionProperties().extra_request_headers, d.extra_request_headers || {}, { test: 'extra-header' });
  const collect = () => {
    if (!form.validate() || !headers.validate()) return null;
    const auth = form.read({ type: form.type });
    if (auth.type === 'oauth2' && auth.grant_type !== 'authorization_code') {
      delete auth.authorization_code_url;
      delete auth.authorization_extra_params;
    }
    if (auth.type === 'oauth2' && auth.token_refresh_strategy !== 'custom_interval') delete auth.refresh_interval_seconds;
    Object.keys(auth).forEach((k) => { if (auth[k] && typeof auth[k] === 'object' && !Array.isArray(auth[k]) && !Object.keys(auth[k]).length) delete auth[k]; });
    const next = { ...copyDefinition(d), auth };
    const extra = headers.read();
    if (Object.keys(extra).length) next.extra_request_headers = extra;
    else delete next.extra_request_headers;
    return next;
  };
  return { collect, el: lock(h('div', {},
    h('p', { class: 'hint', text: 'Which one? A static key or token → API key; a username and password → Basic; tokens that expire or a consent screen → OAuth 2.0.' }),
    field('Authentication type', type), fields,
    h('h3', { text: 'Every request' }), headers.el), ctx.editable) };
}
