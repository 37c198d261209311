// The first view: paste or upload a spec, check it (findings grouped by kind, the source in a
// virtualized viewer that jumps to each finding's line), repair it (in its own format), and
// import it, whole or only some tags and paths.
import { h, input, button, textarea, field, errorBox, attempt, actionButton, setStatus, plural, enc, nextFrame } from './dom.js';
import { state, api, canEdit, orgName } from './api.js';
import { go } from './app.js';

/** Specs larger than this are not put in the text box (it would freeze the page): they are
 * kept as loaded and shown in the read-only source viewer. */
const EDITABLE_BYTES = 512 * 1024;
const SEVERITIES = ['error', 'warning', 'info'];

export function viewSource() {
  const text = textarea({ rows: 14, spellcheck: 'false', class: 'code', test: 'spec-input', onInput: () => { state.spec = text.value; state.specName = ''; state.specFile = null; showLoaded(); } });
  const loaded = h('p', { class: 'note', test: 'spec-loaded', hidden: true });
  const err = errorBox();
  const repairs = h('div');
  const report = h('div');
  const file = input({ type: 'file', test: 'spec-file', accept: '.json,.yaml,.yml,application/json,application/yaml' });
  const showLoaded = () => {
    const large = state.spec.length > EDITABLE_BYTES;
    text.hidden = large;
    text.closest('.field')?.toggleAttribute('hidden', large);
    loaded.hidden = !large;
    if (large) {
      loaded.replaceChildren(`${state.specName || 'The spec'} is loaded (${(state.spec.length / 1048576).toFixed(1)} MB): too large to edit here; check it to see it in the source viewer. `,
        button('Clear', () => { Object.assign(state, { spec: '', specName: '', specFile: null }); text.value = ''; showLoaded(); report.replaceChildren(); }, { test: 'spec-clear' }));
    } else if (text.value !== state.spec) {
      text.value = state.spec;
    }
  };
  file.addEventListener('change', () => attempt(null, err, async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    state.spec = await chosen.text();
    state.specName = chosen.name;
    state.specFile = chosen;
    report.replaceChildren();
    repairs.replaceChildren();
    showLoaded();
    setStatus(`Loaded ${chosen.name} (${(chosen.size / 1024).toFixed(0)} KB).`);
  }));
  /** The spec to send: the uploaded file itself when it is unchanged, else the text. */
  const spec = () => {
    if (!state.spec.trim()) throw new Error('Paste a spec or choose a file first.');
    return state.specFile || state.spec;
  };
  const checkSpec = actionButton('Check', err, async () => {
    const source = state.spec;
    setStatus('Checking…');
    const result = await api('POST', '/v1/lint', spec());
    report.replaceChildren(await lintReport(result, source));
    setStatus(`Checked: ${lintCounts(result.findings)}.`);
  }, { test: 'check-spec' });
  const repair = actionButton('Repair', err, async () => {
    const result = await api('POST', '/v1/clean', spec());
    state.spec = result.spec;
    state.specFile = null;
    showLoaded();
    report.replaceChildren();
    repairs.replaceChildren(h('h2', { text: 'Repairs' }), result.changes.length
      ? h('details', { open: result.changes.length <= 20 }, h('summary', { text: plural(result.changes.length, 'change') }),
        h('ul', {}, result.changes.slice(0, 500).map((c) => h('li', { text: c }))))
      : h('p', { text: 'Nothing needed repairing.' }));
    setStatus(`Repaired the spec (kept as ${(result.format || 'json').toUpperCase()}): ${plural(result.changes.length, 'change')}. Check it again to see what remains.`);
  }, { test: 'repair-spec' });
  const filters = importFilters();
  const importSpec = actionButton(`Import into ${orgName(state.org)}`, err, async () => {
    setStatus('Importing…');
    const result = await api('POST', `/v1/organizations/${enc(state.org)}/integrations/import${filters.query()}`, spec());
    state.summaries[result.integration.id] = result.summary;
    // The wizard starts from this answer instead of fetching the integration again.
    state.wiz = { integration: result.integration, def: result.integration.definition, pending: false, last: null };
    setStatus(`Imported “${result.integration.name}” with ${plural(result.summary.actions, 'action')}.`);
    go(`#/integration/${enc(result.integration.id)}/basics`);
  }, { test: 'import-spec', class: 'primary' });
  const el = h('div', {},
    h('h1', { text: 'Import an API spec', tabindex: '-1' }),
    h('p', { class: 'lead', text: 'Paste or upload an OpenAPI 3.x or Swagger 2.0 spec (JSON or YAML). Check it, repair what can be repaired, then import it as a draft integration.' }),
    field('Spec file', file, 'A .json, .yaml or .yml file; its text replaces the spec below.'),
    loaded, field('Spec (JSON or YAML)', text), canEdit() && filters.el, err,
    h('div', { class: 'buttons' }, checkSpec, repair, canEdit() && importSpec),
    repairs, report);
  showLoaded();
  return el;
}

/** The import's filters: keep or drop tags and paths, as `plugboard import` does. */
function importFilters() {
  const fields = [
    ['include_tags', 'Only these tags', 'Comma-separated; an operation is kept when one of its tags matches.'],
    ['exclude_tags', 'Not these tags', 'Comma-separated.'],
    ['include_paths', 'Only these paths', 'Comma-separated patterns: * within a segment, ** across, e.g. /repos/**.'],
    ['exclude_paths', 'Not these paths', 'Comma-separated patterns.'],
  ].map(([key, label, help]) => [key, input({ test: `import-${key.replace('_', '-')}`, spellcheck: 'false', autocomplete: 'off' }), label, help]);
  const el = h('details', { class: 'card import-filters' }, h('summary', { text: 'Import only part of the spec' }),
    h('div', { class: 'row' }, fields.map(([, control, label, help]) => field(label, control, help))));
  const query = () => {
    const params = new URLSearchParams();
    fields.forEach(([key, control]) => { if (control.value.trim()) params.set(key, control.value.trim()); });
    const text = params.toString();
    return text ? `?${text}` : '';
  };
  return { el, query };
}

export function lintCounts(findings) {
  const count = (s) => findings.filter((f) => f.severity === s).length;
  return `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${count('info').toLocaleString('en')} info`;
}

/** The findings grouped by rule (collapsed, with counts) and the checked source in a viewer. */
async function lintReport(result, source) {
  const viewer = await sourceViewer(source, result.findings);
  const groups = new Map();
  result.findings.forEach((f) => groups.set(f.rule, [...(groups.get(f.rule) || []), f]));
  const rank = (list) => Math.min(...list.map((f) => SEVERITIES.indexOf(f.severity)));
  const sorted = [...groups.entries()].sort((a, b) => rank(a[1]) - rank(b[1]) || b[1].length - a[1].length);
  const groupEl = ([rule, list]) => {
    const worst = SEVERITIES[rank(list)];
    const body = h('ol', { class: 'findings' });
    const shown = { n: 0 };
    const more = button('Show more', () => fill(), { class: 'link', test: 'findings-more' });
    const fill = () => {
      const next = list.slice(shown.n, shown.n + 200);
      body.append(...next.map((f) => findingItem(f, viewer)));
      shown.n += next.length;
      more.hidden = shown.n >= list.length;
    };
    const details = h('details', { class: 'finding-group', test: 'finding-group', open: sorted.length === 1 || list.length <= 5 },
      h('summary', {}, h('span', { class: `badge sev-${worst}`, text: worst }), ` ${rule} `, h('span', { class: 'count', test: 'finding-count', text: `(${list.length.toLocaleString('en')})` })),
      body, more);
    details.addEventListener('toggle', () => { if (details.open && shown.n === 0) fill(); });
    if (details.open) fill();
    return details;
  };
  return h('section', { 'aria-labelledby': 'lint-title' },
    h('h2', { id: 'lint-title', text: 'Findings' }), h('p', { class: 'summary', text: `${lintCounts(result.findings)}, in ${plural(groups.size, 'kind')}.` }),
    result.findings.length ? h('div', { class: 'finding-groups' }, sorted.map(groupEl)) : h('p', { text: 'No findings: the spec looks good.' }),
    h('h2', { text: 'Checked source' }), viewer.el);
}

function findingItem(f, viewer) {
  const label = `${f.line > 0 ? `line ${f.line}, column ${f.column}` : 'location unknown'} — ${f.message} (${f.rule})`;
  return h('li', { test: 'finding', class: 'finding' }, h('span', { class: `badge sev-${f.severity}`, text: f.severity }), ' ',
    f.line > 0 ? button(label, () => viewer.jump(f.line), { class: 'link' }) : h('span', { text: label }),
    f.hint && h('p', { class: 'hint', text: f.hint }));
}

const LINE_HEIGHT = 20;
const VIEW_LINES = 30;
const LONGEST_SHOWN = 2000;

/**
 * A read-only source view that renders only the lines in sight (a 13 MB spec has 350,000
 * lines): the line starts are found in slices, yielding between them, so the page stays
 * responsive. jump(line) scrolls there and focuses it.
 */
async function sourceViewer(source, findings) {
  const starts = [0];
  const SLICE = 1 << 20;
  for (let from = 0; from < source.length; from += SLICE) {
    const end = Math.min(source.length, from + SLICE);
    for (let at = source.indexOf('\n', from); at !== -1 && at < end; at = source.indexOf('\n', at + 1)) starts.push(at + 1);
    if (end < source.length) await nextFrame();
  }
  const lineCount = starts.length;
  const lineText = (i) => {
    const end = i + 1 < lineCount ? starts[i + 1] - 1 : source.length;
    const text = source.slice(starts[i], Math.min(end, starts[i] + LONGEST_SHOWN)).replace(/\r$/, '');
    return end - starts[i] > LONGEST_SHOWN ? `${text} … (${(end - starts[i]).toLocaleString('en')} characters)` : text;
  };
  const byLine = new Map();
  findings.filter((f) => f.line > 0).forEach((f) => byLine.set(f.line, [...(byLine.get(f.line) || []), f]));
  const rows = h('div', { class: 'source-rows' });
  const spacer = h('div', { class: 'source-spacer', style: null }, rows);
  spacer.style.height = `${lineCount * LINE_HEIGHT}px`;
  const el = h('div', { class: 'source', tabindex: '0', role: 'region', 'aria-label': `Checked source, ${plural(lineCount, 'line')}`, test: 'source-view' }, spacer);
  el.style.height = `${Math.min(lineCount, VIEW_LINES) * LINE_HEIGHT + 12}px`;
  let drawn = -1;
  const draw = (force) => {
    const first = Math.max(0, Math.floor(el.scrollTop / LINE_HEIGHT) - 10);
    if (!force && first === drawn) return;
    drawn = first;
    const last = Math.min(lineCount, first + VIEW_LINES + 20);
    rows.style.transform = `translateY(${first * LINE_HEIGHT}px)`;
    const out = [];
    for (let i = first; i < last; i += 1) {
      const n = i + 1;
      const marks = byLine.get(n);
      const worst = marks && SEVERITIES.find((s) => marks.some((m) => m.severity === s));
      out.push(h('div', { class: marks ? `line marked sev-${worst}` : 'line', id: `src-line-${n}`, test: 'source-line',
        tabindex: marks ? '-1' : null, title: marks && marks.map((m) => m.message).join('\n') },
      h('span', { class: 'ln', 'aria-hidden': 'true', text: String(n) }),
      marks && h('span', { class: 'sr-only', text: `line ${n}, ${plural(marks.length, 'finding')}: ` }), lineText(i) || ' '));
    }
    rows.replaceChildren(...out);
  };
  let pending = false;
  el.addEventListener('scroll', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(false); });
  });
  draw(true);
  const jump = (line) => {
    el.scrollTop = Math.max(0, (line - 1) * LINE_HEIGHT - el.clientHeight / 2);
    draw(true);
    const target = rows.querySelector(`#src-line-${line}`);
    if (target) {
      target.classList.add('current');
      target.focus({ preventScroll: true });
    }
  };
  return { el, jump, lineCount };
}
