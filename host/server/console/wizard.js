// The integration wizard: its frame (steps, save on leave) and how it saves the definition.
import { $, h, button, errorBox, showError, attempt, setStatus, copyDefinition, definitionChanged, enc } from './dom.js';
import { state, api, canEdit, findOrg } from './api.js';
import { go } from './app.js';
import { stepBasics, stepPagination, stepFinalize, installForm } from './steps.js';
import { stepAuth } from './auth-step.js';
import { stepActions } from './actions.js';
import { stepTest } from './probe.js';

const STEPS = [['basics', 'Basics'], ['auth', 'Auth'], ['pagination', 'Pagination'], ['actions', 'Actions'], ['test', 'Test'], ['finalize', 'Finalize & install']];
const STEP_VIEWS = { basics: stepBasics, auth: stepAuth, pagination: stepPagination, actions: stepActions, test: stepTest, finalize: stepFinalize };

/** Saves a definition: PUT for a draft; otherwise kept here and sent with the next finalize. */
export async function saveDefinition(definition) {
  const wiz = state.wiz;
  if (wiz.integration.status === 'draft') {
    wiz.integration = await api('PUT', `/v1/integrations/${enc(wiz.integration.id)}/definition`, definition);
    wiz.def = wiz.integration.definition;
    setStatus('Saved.');
  } else {
    Object.assign(wiz, { def: definition, pending: true });
    setStatus('Kept for the next version: finalize to save it.');
  }
}

/** Applies `mutate` to a copy of the definition and saves it. */
export async function commit(mutate, message) {
  const next = copyDefinition(state.wiz.def);
  mutate(next);
  await saveDefinition(next);
  if (message) setStatus(message);
}

/** Reloads the integration from the server (after a server-side edit of a draft). */
export async function reloadIntegration() {
  const wiz = state.wiz;
  wiz.integration = await api('GET', `/v1/integrations/${enc(wiz.integration.id)}`);
  wiz.def = wiz.integration.definition;
}

export async function viewWizard(id, stepKey) {
  if (!state.wiz) {
    const integration = await api('GET', `/v1/integrations/${enc(id)}`);
    state.wiz = { integration, def: integration.definition, pending: false, last: null };
  }
  const { integration } = state.wiz;
  if (!Array.isArray(state.wiz.def.actions)) return bundleView(integration);
  const index = Math.max(0, STEPS.findIndex(([key]) => key === stepKey));
  const editable = canEdit() && !!findOrg(integration.organization_id);
  const err = errorBox();
  const ctx = { id, integration, editable, fail: (e) => showError(err, e) };
  const step = STEP_VIEWS[STEPS[index][0]](ctx);
  const leave = (target) => attempt(null, err, async () => {
    if (editable && step.collect) {
      const next = await step.collect();
      if (!next) throw new Error('Fix the highlighted fields before leaving this step.');
      if (definitionChanged(next, state.wiz.def)) await saveDefinition(next);
      if (step.note) setStatus(`${$('status').textContent} ${step.note}`);
    }
    go(`#/integration/${enc(id)}/${STEPS[target][0]}`);
  });
  const note = integration.status === 'draft' ? 'Draft: each step is saved when you leave it.'
    : `Finalized (version ${integration.current_version}, ${integration.status}): your edits become the next version when you finalize it.`;
  return h('div', { class: 'wizard' },
    h('h1', { tabindex: '-1' }, integration.name, ' ', h('span', { class: `badge status-${integration.status}`, text: integration.status })),
    h('p', { class: 'lead', text: editable ? note : 'Read only: you cannot change this integration.' }),
    h('nav', { 'aria-label': 'Wizard steps' }, h('ol', { class: 'steps' }, STEPS.map(([key, title], i) => h('li', {},
      button(`${i + 1}. ${title}`, () => leave(i), { 'aria-current': i === index ? 'step' : null, 'data-step': key }))))),
    err,
    h('section', { class: 'step', test: `step-${STEPS[index][0]}`, 'aria-labelledby': 'step-title' },
      h('h2', { id: 'step-title', tabindex: '-1', 'data-focus': true, text: `Step ${index + 1} of ${STEPS.length}: ${STEPS[index][1]}` }), step.el),
    h('div', { class: 'buttons wizard-nav' },
      index > 0 && button('Back', () => leave(index - 1), { test: 'wizard-back' }),
      index < STEPS.length - 1 && button(editable ? 'Save and continue' : 'Next', () => leave(index + 1), { test: 'wizard-next', class: 'primary' })));
}

function bundleView(integration) {
  return h('div', {}, h('h1', { text: integration.name, tabindex: '-1' }),
    h('p', { text: 'This integration is an uploaded bundle: it has no definition to edit.' }),
    canEdit() && integration.current_version != null && installForm({ integration }));
}
