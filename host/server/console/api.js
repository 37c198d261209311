// The console's session state and its calls to the REST API.
import { enc, select } from './dom.js';

export const TOKEN_KEY = 'plugboard.token';

/** What the console knows: the session, the chosen organization, the wizard's integration. */
export const state = { token: sessionStorage.getItem(TOKEN_KEY) || '', user: null, orgs: [], org: '', spec: '', specName: '', specFile: null, summaries: {}, wiz: null, renderId: 0 };

export const canEdit = () => !!state.user && state.user.role !== 'viewer';
export const isAdmin = () => !!state.user && state.user.role === 'admin';

let unauthorized = () => {};
/** Sets what happens when the server says the token is no longer good. */
export function onUnauthorized(handler) { unauthorized = handler; }

/** An API failure: the problem's detail, with its status, fields and whole answer. */
export class ApiError extends Error {
  constructor(message, status, problem) {
    super(message);
    this.status = status;
    this.problem = problem || {};
    this.fields = (problem && problem.fields) || [];
  }
}

/**
 * Calls the REST API; a string or a Blob (an uploaded file, sent as it is, without copying it
 * on the page's thread) goes as text/plain, anything else as JSON. Throws an ApiError.
 */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${state.token}`, Accept: 'application/json' };
  const init = { method, headers };
  if (body !== undefined) {
    const raw = typeof body === 'string' || body instanceof Blob;
    headers['Content-Type'] = raw ? 'text/plain' : 'application/json';
    init.body = raw ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init).catch((error) => { throw new ApiError(`the server cannot be reached (${error.message})`, 0); });
  const raw = await response.text();
  let data = raw;
  try {
    data = raw ? JSON.parse(raw) : null;
  } catch { /* not JSON: keep the text */ }
  if (response.ok) return data;
  const detail = (data && (data.detail || data.title)) || `${response.status} ${response.statusText}`;
  if (response.status === 401 && state.user) unauthorized(`Signed out: ${detail}`);
  throw new ApiError(detail, response.status, data && typeof data === 'object' ? data : null);
}

/** Every item of a list route (`key` names them), following `next_cursor` page by page. */
export async function listAll(path, key) {
  const items = [];
  let cursor = null;
  const join = path.includes('?') ? '&' : '?';
  do {
    const page = await api('GET', `${path}${join}limit=1000${cursor ? `&cursor=${enc(cursor)}` : ''}`);
    items.push(...page[key]);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

// ------------------------------------------------------------------ organizations

export const findOrg = (id) => state.orgs.find((o) => o.id === id);
export const orgName = (id) => (findOrg(id) || { name: id }).name;

/** The organization's ancestors, nearest first (the list is the caller's subtree). */
export function ancestors(org) {
  const out = [];
  for (let o = org && findOrg(org.parent_id); o && out.length < 50; o = findOrg(o.parent_id)) out.push(o);
  return out;
}

/** The organization and every one below it. */
export const subtree = (rootId) => state.orgs.filter((o) => o.id === rootId || ancestors(o).some((a) => a.id === rootId));
export const indented = (org) => `${'\u2003'.repeat(ancestors(org).length)}${org.name}`;

/** The organizations in tree order: each one followed by the ones below it. */
export function treeOrder(orgs = state.orgs) {
  const children = new Map();
  orgs.forEach((o) => children.set(o.parent_id || '', [...(children.get(o.parent_id || '') || []), o]));
  const ids = new Set(orgs.map((o) => o.id));
  const out = [];
  const walk = (o) => {
    out.push(o);
    (children.get(o.id) || []).sort((a, b) => a.name.localeCompare(b.name)).forEach(walk);
  };
  orgs.filter((o) => !o.parent_id || !ids.has(o.parent_id)).forEach(walk);
  return out;
}

export function orgSelect(value, props, orgs = state.orgs, blank) {
  const options = treeOrder(orgs).map((o) => [o.id, indented(o)]);
  if (blank) options.unshift(['', blank]);
  return select(options, value, props);
}

/** Reloads the organizations the caller reaches. */
export async function reloadOrgs() {
  state.orgs = await listAll('/v1/organizations', 'organizations');
}
