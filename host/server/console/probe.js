// The wizard's test step: the server's probe runs the draft's actions against the live API and
// judges auth, the results key and pagination, with the raw pages. Also the exchange view that
// "Try it" uses.
import { h, table, errorBox, actionButton, setStatus, enc } from './dom.js';
import { state, api } from './api.js';
import { reloadIntegration } from './wizard.js';
import { credentialRows } from './steps.js';

/** One request and its response as text (credentials were redacted by the server). */
function exchangeText(e) {
  const body = e.response && e.response.body ? (e.response.body.text || e.response.body.base64 || '') : '';
  return [
    `> ${e.request.method} ${e.request.url}`,
    ...(e.request.headers || []).map(([n, v]) => `> ${n}: ${v}`),
    e.request.body ? `\n${e.request.body.text || e.request.body.base64 || ''}\n` : '',
    e.response ? `< ${e.response.status}` : '< (no response)',
    ...(e.response ? (e.response.headers || []).map(([n, v]) => `< ${n}: ${v}`) : []),
    body ? `\n${body.length > 20000 ? `${body.slice(0, 20000)}\n… (${body.length.toLocaleString('en')} characters)` : body}` : '',
  ].filter((x) => x !== '').join('\n');
}

/** Each page's request and response, collapsed. */
export function exchangeList(exchanges, test = 'exchange') {
  return (exchanges || []).map((e, i) => h('details', { class: 'exchange', test },
    h('summary', { text: `Page ${i + 1}: ${e.request.method} ${e.request.url} → ${e.response ? e.response.status : 'no response'}` }),
    h('pre', { class: 'output', tabindex: '0', role: 'region', 'aria-label': `Exchange ${i + 1}`, text: exchangeText(e) })));
}

/** Runs the draft's actions against the live API (the server's probe) and shows the verdicts. */
export function stepTest(ctx) {
  const { integration } = state.wiz;
  const auth = state.wiz.def.auth || { type: 'none' };
  const creds = credentialRows(auth.type, 'probe');
  const out = h('div', { test: 'probe-result', 'aria-live': 'polite' });
  const err = errorBox();
  const route = `/v1/integrations/${enc(integration.id)}/probe`;
  const show = (report) => out.replaceChildren(...report.actions.map((a) => probeAction(a, ctx, async () => {
    const applied = await api('POST', route, { credentials: creds.read(), apply: true });
    await reloadIntegration();
    setStatus(applied.applied.length ? `Applied: ${applied.applied.join('; ')}. Run the probe again to confirm.` : 'Nothing to apply.');
  })));
  const run = actionButton('Run the probe', err, async () => {
    out.replaceChildren(h('p', { class: 'muted', text: 'Calling the API…' }));
    show(await api('POST', route, { credentials: creds.read() }));
    setStatus('Probe done.');
  }, { test: 'probe-run', class: 'primary' });
  return { el: h('div', {},
    h('p', { class: 'help', text: 'Runs the paginated actions without required inputs (and one more) against the live API, two pages each, and checks the credentials, the results key and the pagination. The credentials are used for this test only and are not stored.' }),
    creds.rows, h('div', { class: 'buttons' }, creds.add, run), err, out) };
}

/** One probed action: its verdicts, hints, the suggestion and the raw pages. */
function probeAction(report, ctx, apply) {
  const checks = [['Auth', report.auth], ['Results', report.results], ['Pagination', report.pagination]].filter(([, c]) => c);
  const suggestion = report.suggestion && report.suggestion.pagination;
  return h('section', { class: 'card probe-action' },
    h('h3', { test: 'probe-verdict', text: `${report.action}: ${report.verdict}` }),
    table(['Check', 'Verdict', 'What was seen'], checks.map(([name, c]) => h('tr', {},
      h('td', { text: name }), h('td', { class: `verdict-${c.verdict}`, text: c.verdict }),
      h('td', {}, c.message, c.hint ? h('div', { class: 'help', text: `Hint: ${c.hint}` }) : '')))),
    (report.candidates || []).length ? h('p', { text: `Arrays in the first page: ${report.candidates.slice(0, 5).map((c) => `${c.path || '(the body)'} (${c.items})`).join(', ')}` }) : '',
    suggestion ? h('p', { test: 'probe-suggestion' }, `Suggested: ${suggestion.type} pagination, results key “${suggestion.results_key}”. `,
      ctx.editable && state.wiz.integration.status === 'draft' ? actionButton('Apply', null, apply, { test: 'probe-apply' }) : '') : '',
    exchangeList(report.exchanges, 'probe-exchange'));
}
