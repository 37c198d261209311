// The console's operator views in headless Chromium (Debian's package, driven by playwright-core):
// sign in as an admin, create a sub-organization, switch its custom integrations on, add an
// editor (their token shown once, and working), change a role, create, rotate and revoke an API
// token (each value shown once; the old one refused), filter the audit log (an exact action, a
// dotted family, a page and "More"), see the admin-only sentence as the editor, and run axe-core
// (WCAG 2 A and AA) on each view: a serious or critical violation fails. A screenshot of each
// step goes to $SCREENSHOTS.
//
// Environment: BASE (server URL), TOKEN (an admin API token of the root organization),
// SCREENSHOTS (a directory), NPM_PREFIX (where playwright-core and axe-core are installed:
// `npm install --prefix $NPM_PREFIX playwright-core axe-core@4`), CHROMIUM (the browser,
// default /usr/bin/chromium).
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';

const { BASE, TOKEN, SCREENSHOTS, NPM_PREFIX } = process.env;
const require = createRequire(`${NPM_PREFIX}/package.json`);
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let step = 0;
let page = null;
const shot = async (name, on = page) => {
  step += 1;
  await on.screenshot({ path: `${SCREENSHOTS}/${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
};

async function fail(message) {
  console.error(`console operators: ${message}`);
  if (page) await shot('failure').catch(() => {});
  process.exit(1);
}

/** The API as a client outside the browser (checks what the console did). */
async function call(method, path, token = TOKEN) {
  const answer = await fetch(`${BASE}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : null };
}

mkdirSync(SCREENSHOTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});

const consoleErrors = [];
async function newPage() {
  const p = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  p.on('pageerror', (error) => fail(`a script error in the page: ${error.message}`));
  p.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  p.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(BASE) && !url.startsWith('data:')) fail(`a request left the server: ${url}`);
  });
  p.setDefaultTimeout(15000);
  return p;
}

const t = (name, on = page) => on.locator(`[data-test="${name}"]`);
const expectText = async (locator, text, what) => {
  try {
    await locator.filter({ hasText: text }).first().waitFor();
  } catch {
    await fail(`${what}: no "${text}" in ${JSON.stringify(await locator.allInnerTexts())}`);
  }
};
/** Waits until `check()` is true (polling), or fails with `what`. */
const until = async (check, what, ms = 10000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => { setTimeout(r, 100); });
  }
  await fail(`timed out: ${what}`);
};
/** Waits for a view of the admin page to be rendered (and the router to be done). */
const view = async (tab, on = page) => {
  await t(`admin-${tab}`, on).waitFor();
  await on.locator('#main:not([aria-busy="true"])').waitFor();
};

/** axe-core on the page as it is: serious and critical WCAG 2 A/AA violations fail. */
async function axe(name, on = page) {
  if (!(await on.evaluate(() => typeof window.axe !== 'undefined'))) await on.evaluate(AXE);
  const violations = await on.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`) }));
  });
  for (const v of violations) console.log(`console operators: axe ${name}: ${v.impact} ${v.id} (${v.help})\n    ${v.nodes.join('\n    ')}`);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) await fail(`axe on ${name}: ${bad.map((v) => `${v.impact} ${v.id}`).join(', ')}`);
}

/** Reads the once-shown token from its dialog, closes it and checks it is gone from the page. */
async function tokenShownOnce(what) {
  await t('token-once').waitFor();
  const value = await t('token-once').inputValue();
  if (!/^pbt_\w+$/.test(value)) await fail(`${what}: the shown token is ${JSON.stringify(value)}`);
  const note = await t('token-once-note').innerText();
  if (!/once/i.test(note)) await fail(`${what}: no "shown once" hint: ${note}`);
  await shot(`${what}-token-once`);
  await axe(`${what} dialog`);
  await t('token-once-done').click();
  await t('token-once-dialog').waitFor({ state: 'detached' });
  if ((await page.content()).includes(value)) await fail(`${what}: the token is still in the page after its dialog closed`);
  return value;
}

try {
  const stamp = Date.now().toString(36);
  const orgName = `Ops ${stamp}`;
  const userName = `Edna ${stamp}`;
  page = await newPage();

  // Sign in straight into the operator views.
  await page.goto(`${BASE}/#/admin/organizations`);
  await t('token-input').fill(TOKEN);
  await t('sign-in').click();
  await view('organizations');
  const me = (await call('GET', '/v1/me')).body.user;
  const rootId = me.organization_id;
  await shot('organizations');
  await axe('organizations');

  // A sub-organization under the root.
  await t('org-create').click();
  await expectText(t('error'), /name/i, 'the empty name');
  await t('org-create-name').fill(orgName);
  await t('org-create-parent').selectOption(rootId);
  await t('org-create').click();
  const orgRow = t('org-row').filter({ hasText: orgName });
  await orgRow.waitFor();
  const orgId = await orgRow.getAttribute('data-id');
  const created = (await call('GET', '/v1/organizations')).body.organizations.find((o) => o.id === orgId);
  if (!created || created.parent_id !== rootId) await fail(`the new organization is not under the root: ${JSON.stringify(created)}`);
  if (!(await orgRow.innerText()).startsWith('\u2003')) await fail('the sub-organization is not indented');
  await shot('organization-created');

  // Its custom-integrations switch.
  const toggle = orgRow.locator('[data-test="custom-integrations"]');
  if ((await toggle.getAttribute('role')) !== 'switch') await fail('the custom-integrations control is not a switch');
  const was = await toggle.isChecked();
  await toggle.click();
  await expectText(t('status'), `Custom integrations are ${was ? 'off' : 'on'} for ${orgName}`, 'the switch');
  const after = (await call('GET', '/v1/organizations')).body.organizations.find((o) => o.id === orgId);
  if (after.custom_integrations === was) await fail('the switch did not change the organization');
  if ((await toggle.isChecked()) === was) await fail('the switch shows the old state');
  await shot('switch');

  // The users of the new organization: an editor, their token shown once.
  await t('org-select').selectOption(orgId);
  await t('admin-tab-users').click();
  await view('users');
  await expectText(page.locator('h1'), orgName, 'the users heading');
  await axe('users');
  await t('user-create-name').fill(userName);
  await t('user-create-role').selectOption('editor');
  await t('user-create').click();
  const editorToken = await tokenShownOnce('user');
  const editor = (await call('GET', '/v1/me', editorToken)).body;
  if (!editor || editor.user.name !== userName || editor.user.role !== 'editor' || editor.user.organization_id !== orgId) {
    await fail(`the shown token is not the editor's: ${JSON.stringify(editor)}`);
  }
  const userRow = t('user-row').filter({ hasText: userName });
  await userRow.waitFor();
  if ((await userRow.locator('[data-test="user-role"]').inputValue()) !== 'editor') await fail('the new user is not listed as an editor');

  // A role change, and back.
  await userRow.locator('[data-test="user-role"]').selectOption('viewer');
  await expectText(t('status'), `${userName} is now a viewer`, 'the role change');
  if ((await call('GET', '/v1/me', editorToken)).body.user.role !== 'viewer') await fail('the role did not change');
  await userRow.locator('[data-test="user-role"]').selectOption('editor');
  await expectText(t('status'), `${userName} is now an editor`, 'the role change back');
  await shot('users');

  // A second user, removed (with a confirmation).
  await t('user-create-name').fill(`Temp ${stamp}`);
  await t('user-create-role').selectOption('viewer');
  await t('user-create').click();
  await tokenShownOnce('temp-user');
  const tempRow = t('user-row').filter({ hasText: `Temp ${stamp}` });
  await tempRow.locator('[data-test="user-remove"]').click();
  await t('user-remove-confirm').click();
  await tempRow.waitFor({ state: 'detached' });
  await expectText(t('status'), `Removed Temp ${stamp}`, 'the removal');

  // API tokens of the editor (an admin picks them): create, rotate, revoke.
  await t('admin-tab-tokens').click();
  await view('tokens');
  await t('token-user').selectOption({ label: `${userName} (editor)` });
  await expectText(page.locator('h2'), `API tokens of ${userName}`, 'the picked user');
  await t('token-row').first().waitFor();
  const before = await t('token-row').count();
  await t('token-create-name').fill('ci-deploy');
  await t('token-create').click();
  const first = await tokenShownOnce('token');
  await until(async () => (await t('token-row').count()) === before + 1, 'the new token in the list');
  if ((await call('GET', '/v1/me', first)).status !== 200) await fail('the created token does not work');
  const tokenRow = t('token-row').filter({ hasText: 'ci-deploy' });
  await axe('tokens');
  await shot('tokens');

  await tokenRow.locator('[data-test="token-rotate"]').click();
  await t('token-rotate-confirm').click();
  const second = await tokenShownOnce('rotated');
  if (second === first) await fail('the rotated token is the old one');
  if ((await call('GET', '/v1/me', first)).status !== 401) await fail('the old token still works after the rotation');
  if ((await call('GET', '/v1/me', second)).status !== 200) await fail('the rotated token does not work');

  await tokenRow.locator('[data-test="token-revoke"]').click();
  await t('token-revoke-confirm').click();
  await tokenRow.waitFor({ state: 'detached' });
  if ((await call('GET', '/v1/me', second)).status !== 401) await fail('the revoked token still works');
  await expectText(t('status'), 'Revoked ci-deploy', 'the revocation');
  await shot('token-revoked');

  // The audit log: the sub-organization's token actions (a dotted family), a page of one and More.
  await t('admin-tab-audit').click();
  await view('audit');
  await axe('audit');
  await t('audit-action').fill('token');
  await t('audit-apply').click();
  await until(async () => {
    const actions = await t('audit-row').locator('td:nth-child(3)').allInnerTexts();
    return actions.length === 3 && actions.every((a) => a.startsWith('token.'));
  }, `the token.* entries: ${JSON.stringify(await t('audit-row').allInnerTexts())} ${JSON.stringify(await t('error').allInnerTexts())}`);
  await shot('audit-token');
  await t('audit-action').fill('');
  await t('audit-limit').fill('1');
  await t('audit-apply').click();
  await until(async () => (await t('audit-row').count()) === 1 && await t('audit-more').isVisible(), 'a page of one entry');
  await t('audit-more').click();
  await until(async () => (await t('audit-row').count()) === 2, 'the second page after More');

  // The root's log: the sub-organization's creation, and only that action.
  await t('org-select').selectOption(rootId);
  await view('audit');
  await t('audit-limit').fill('100');
  await t('audit-action').fill('organization.create');
  await t('audit-apply').click();
  await expectText(t('audit-row'), orgId, 'the creation entry');
  const actions = await t('audit-row').locator('td:nth-child(3)').allInnerTexts();
  if (!actions.length || actions.some((a) => a.trim() !== 'organization.create')) await fail(`other actions listed: ${JSON.stringify(actions)}`);
  await t('audit-target').fill(orgId);
  await t('audit-apply').click();
  await until(async () => (await t('audit-row').count()) === 1, 'the target prefix filter');
  await shot('audit-filtered');
  await axe('audit filtered');

  // The editor: the admin-only sentence, their own tokens.
  const admin = page;
  page = await newPage();
  await page.goto(`${BASE}/#/admin/users`);
  await t('token-input').fill(editorToken);
  await t('sign-in').click();
  await view('users');
  await expectText(t('admin-only'), 'Only admins', 'the admin-only sentence');
  await axe('users as editor');
  await shot('editor-users');
  await t('admin-tab-tokens').click();
  await view('tokens');
  if (await t('token-user').count()) await fail('an editor can pick another user\'s tokens');
  await expectText(page.locator('h2'), 'Your API tokens', 'the editor\'s tokens');
  await axe('tokens as editor');
  await shot('editor-tokens');
  await t('nav-admin').click();
  await view('tokens');
  await page.close();
  page = admin;

  if (consoleErrors.length) console.log(`console operators: browser console errors (not failures):\n  ${consoleErrors.join('\n  ')}`);
  console.log(`console operators: ok, ${step} screenshots in ${SCREENSHOTS}`);
} catch (error) {
  await fail(error.message);
} finally {
  await browser.close();
}
