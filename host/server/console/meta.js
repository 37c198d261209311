// The definition's rules, taken from the server (`GET /v1/meta`: the definition's JSON Schema,
// the credentials of each auth type, the limits), and form controls built from them: labels,
// hints, defaults, choices and ranges are the server's, never repeated here.
import { api } from './api.js';
import { h, input, select, field, check, pairsEditor } from './dom.js';

let meta = null;

/** Loads the rules once per page. */
export async function loadMeta() {
  if (!meta) meta = await api('GET', '/v1/meta');
  return meta;
}

export const rules = () => meta;
const defs = () => meta.definition_schema.$defs;

/** The properties of the definition's top level (name, hostname, extra_request_headers...). */
export const definitionProperties = () => meta.definition_schema.properties;

/** A schema with `$ref` followed and a nullable `anyOf: [X, null]` unwrapped. */
export function resolve(schema) {
  let s = schema || {};
  for (let i = 0; i < 5; i += 1) {
    if (s.$ref) s = { ...defs()[s.$ref.replace('#/$defs/', '')], ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
    else if (s.anyOf && s.anyOf.length === 2 && s.anyOf.some((x) => x.type === 'null')) s = { ...s.anyOf.find((x) => x.type !== 'null'), description: s.description, nullable: true };
    else break;
  }
  return s;
}

/** The schema of a `$defs` entry. */
export const def = (name) => defs()[name];

/** The properties of one auth type (`api_key`, `oauth2`, ...). */
export function authProperties(type) {
  const variant = def('Auth').oneOf.find((v) => v.properties.type.const === type);
  return variant ? { properties: variant.properties, required: variant.required || [], description: variant.description } : null;
}

/** The auth types: [type, label]. */
export const authTypes = () => def('Auth').oneOf.map((v) => [v.properties.type.const, firstPart(v.description)]);

/** The pagination types: [type, label]. */
export const paginationTypes = () => def('PaginationType').oneOf.map((v) => [v.const, `${v.const}: ${firstPart(v.description)}`]);

/** A description's label part: before its first `: ` (or all of it), without the final dot. */
export function firstPart(description) {
  const text = (description || '').replace(/\s+/g, ' ').trim();
  const at = text.indexOf(': ');
  return (at > 0 ? text.slice(0, at) : text).replace(/\.$/, '');
}

/** A description's hint: after its first `: `. */
export function restPart(description) {
  const text = (description || '').replace(/\s+/g, ' ').trim();
  const at = text.indexOf(': ');
  return at > 0 ? text.slice(at + 2) : '';
}

/** The choices of an enum schema: [value, label]. */
export function choices(schema) {
  const s = resolve(schema);
  if (s.enum) return s.enum.map((v) => [v, v]);
  if (s.oneOf && s.oneOf.every((v) => 'const' in v)) return s.oneOf.map((v) => [v.const, `${v.const} — ${firstPart(v.description)}`]);
  return null;
}

/** The inclusive range of a number property: [min, max]. */
export function range(schema) {
  const s = resolve(schema);
  return [s.minimum, s.maximum];
}

/**
 * A form control for one property of the schema, named `name`, showing `value` (or the
 * default). Returns { el, read, validate }: read() gives the value to store (`undefined` to
 * leave the property out), validate() shows and returns whether it is acceptable.
 */
export function schemaControl(name, schema, value, { required = false, test = name.replace(/_/g, '-') } = {}) {
  const s = resolve(schema);
  const label = firstPart(schema.description) || name;
  const hint = restPart(schema.description);
  const current = value === undefined ? s.default : value;
  const options = choices(schema);
  if (options) {
    const control = select(options, current == null ? options[0][0] : current, { test });
    return { el: field(label, control, hint), control, read: () => control.value, validate: () => true };
  }
  const types = [].concat(s.type || []);
  if (types.includes('boolean')) {
    const control = h('input', { type: 'checkbox', checked: !!current, test, id: `c-${test}` });
    const el = h('div', { class: 'field' }, h('label', { class: 'check', for: control.id }, control, ` ${label}`), hint && h('p', { class: 'help', text: hint }));
    return { el, control, read: () => control.checked, validate: () => true };
  }
  if (types.includes('integer')) {
    const [min, max] = range(schema);
    const control = input({ type: 'number', inputmode: 'numeric', min, max, value: current == null ? '' : String(current), test });
    const bounds = min != null && max != null ? ` (${min}..=${max})` : '';
    const read = () => (control.value.trim() === '' ? undefined : Number(control.value));
    const validate = () => {
      const text = control.value.trim();
      if (text === '') return check(control, required && `${label} is required`);
      const n = Number(text);
      return check(control, (!Number.isInteger(n) || (min != null && n < min) || (max != null && n > max)) && `must be a whole number${bounds ? ` in ${bounds.slice(2, -1)}` : ''}`);
    };
    return { el: field(`${label}${bounds}`, control, hint), control, read, validate };
  }
  if (types.includes('object')) {
    const editor = pairsEditor(label, current || {}, { test });
    if (hint) editor.el.append(h('p', { class: 'help', text: hint }));
    return { el: editor.el, read: editor.read, validate: () => true };
  }
  if (types.includes('array')) {
    const control = input({ value: (current || []).join(', '), test });
    const read = () => control.value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
    const validate = () => check(control, read().some((n) => !Number.isInteger(n)) && 'whole numbers separated by commas');
    return { el: field(label, control, hint), control, read, validate };
  }
  const control = input({ value: current == null ? '' : String(current), test, spellcheck: 'false' });
  const read = () => {
    const text = control.value.trim();
    return text === '' && !required ? undefined : text;
  };
  const validate = () => check(control, required && !control.value.trim() && `${label} is required`);
  return { el: field(`${label}${required ? ' (required)' : ''}`, control, hint), control, read, validate };
}

/** Controls for `names` of a properties object; { el, read(into), validate }. */
export function schemaFields(properties, names, values, required = []) {
  const controls = names.filter((n) => properties[n]).map((n) => [n, schemaControl(n, properties[n], values[n], { required: required.includes(n) })]);
  return {
    controls: Object.fromEntries(controls),
    els: controls.map(([, c]) => c.el),
    read(into) {
      for (const [n, c] of controls) {
        const v = c.read();
        if (v === undefined) delete into[n];
        else into[n] = v;
      }
      return into;
    },
    validate: () => controls.map(([, c]) => c.validate()).every(Boolean),
  };
}
