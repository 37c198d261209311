// Authoring in headless Chromium: a YAML spec without servers is repaired (and stays YAML),
// imported, and the Basics step asks for the hostname while finalize says why it cannot go on;
// the auth step shows every field of every auth type from the server's rules (OAuth 2.0 knobs
// grouped, ranges checked, Extra Request Headers), and they land in the definition; after
// finalize and install with a wrong key, "Try it" shows the raw exchange and links to the
// credentials, which are replaced in place, and the next call works. axe-core checks each view.
//
// Environment: BASE, TOKEN, UPSTREAM (host:port of an API that wants X-Api-Key: demo-key),
// SCREENSHOTS, NPM_PREFIX (playwright-core, axe-core), CHROMIUM.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';

const { BASE, TOKEN, UPSTREAM, SCREENSHOTS, NPM_PREFIX } = process.env;
const require = createRequire(`${NPM_PREFIX}/package.json`);
const { chromium } = require('playwright-core');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// No servers, a path ending in `/` and an operation without an operationId: repair fixes both.
const SPEC = `openapi: 3.0.3
info:
  title: No Servers
  version: "1"
  description: An API whose spec names no server.
paths:
  /page/items/:
    get:
      summary: List items
      description: The items.
      tags: [items]
      responses:
        "200":
          description: The items.
`;

function fail(message) {
  console.error(`console authoring: ${message}`);
  process.exit(1);
}

mkdirSync(SCREENSHOTS, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
page.on('pageerror', (error) => fail(`a script error in the page: ${error.message}`));
page.setDefaultTimeout(15000);
const t = (name) => page.locator(`[data-test="${name}"]`);
let step = 0;
const shot = async (name) => {
  step += 1;
  await page.screenshot({ path: `${SCREENSHOTS}/${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
};
const expectText = async (locator, text, what) => {
  try {
    await locator.filter({ hasText: text }).first().waitFor();
  } catch {
    fail(`${what}: no "${text}" in ${JSON.stringify(await locator.allInnerTexts())}`);
  }
};
const axe = async (view) => {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] })).violations
    .filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  if (violations.length) fail(`axe on ${view}: ${violations.join('; ')}`);
};
const apiGet = async (path) => {
  const response = await fetch(`${BASE}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (!response.ok) fail(`GET ${path}: ${response.status}`);
  return response.json();
};

try {
  await page.goto(`${BASE}/`);
  await t('token-input').fill(TOKEN);
  await t('sign-in').click();
  await t('spec-input').waitFor();

  // Repair keeps YAML.
  await t('spec-input').fill(SPEC);
  await t('repair-spec').click();
  await expectText(t('status'), /kept as YAML/, 'the repair summary');
  const repaired = await t('spec-input').inputValue();
  if (!/^openapi:/m.test(repaired) || repaired.trimStart().startsWith('{')) fail(`the repaired spec is not YAML: ${repaired.slice(0, 200)}`);
  if (repaired.includes('/page/items/:')) fail('the trailing slash was not repaired');

  // Import: the Basics step asks for the hostname; finalize explains.
  await t('import-spec').click();
  await t('step-basics').waitFor();
  await expectText(t('basics-needs-hostname'), /no server URL/, 'the hostname request');
  await axe('the Basics step');
  await shot('basics-no-hostname');
  await page.locator('[data-step="finalize"]').click();
  await t('step-finalize').waitFor();
  await expectText(t('finalize-needs-hostname'), /no hostname/, 'finalize without a hostname');
  await t('finalize').click();
  await t('finalize-confirm').click();
  await expectText(t('error'), /hostname/, 'the refused finalize');
  await shot('finalize-no-hostname');
  await page.locator('[data-step="basics"]').click();
  await t('basics-hostname').fill('https://api.example.com');
  await t('wizard-next').click();
  await expectText(t('error'), /without a scheme/, 'a hostname with a scheme');
  await t('basics-hostname').fill(UPSTREAM);
  await t('basics-scheme').selectOption('http');
  await t('wizard-next').click();

  // Every auth type, from the server's rules.
  await t('step-auth').waitFor();
  await t('auth-type').selectOption('none');
  await expectText(t('auth-credentials'), /without credentials/, 'no auth');
  await t('auth-type').selectOption('basic');
  await expectText(t('auth-credentials'), /username.*password/, 'Basic\'s credentials');
  await t('auth-type').selectOption('oauth2');
  for (const legend of ['Grant and endpoints', 'Token request', 'Token response', 'Refresh']) {
    if (!(await page.locator('legend', { hasText: legend }).count())) fail(`no ${legend} group in the OAuth 2.0 fields`);
  }
  const oauthFields = ['grant-type', 'access-token-url', 'scope', 'token-request-method', 'token-request-content-type', 'token-exchange-basic-auth',
    'token-key', 'token-expiration-key', 'refresh-token-key', 'access-token-scheme', 'token-refresh-strategy', 'refresh-buffer-seconds',
    'include-client-config-on-refresh', 'refresh-on-status', 'expired-token-body-marker', 'extra-request-headers-add'];
  for (const name of oauthFields) if (!(await t(name).count())) fail(`the OAuth 2.0 field ${name} is missing`);
  await t('grant-type').selectOption('authorization_code');
  await t('access-token-url').fill(`http://${UPSTREAM}/token`);
  await t('token-refresh-strategy').selectOption('custom_interval');
  await t('refresh-interval-seconds').fill('100');
  await t('refresh-on-status').fill('401, 403');
  await t('extra-request-headers-add').click();
  await t('extra-request-headers-name').fill('X-Token-Client');
  await t('extra-request-headers-value').fill('console');
  await t('extra-header-add').click();
  await t('extra-header-name').fill('X-Trace');
  await t('extra-header-value').fill('on');
  await t('wizard-next').click();
  await expectText(t('error'), /300\.\.=86400/, 'the custom interval range');
  await expectText(t('error'), /Authorization Code URL/, 'the consent URL the grant needs');
  await t('refresh-interval-seconds').fill('600');
  await t('authorization-code-url').fill(`http://${UPSTREAM}/authorize`);
  await axe('the OAuth 2.0 auth step');
  await shot('oauth-fields');
  await t('wizard-next').click();
  await t('step-pagination').waitFor();
  const id = decodeURIComponent(/#\/integration\/([^/]+)/.exec(page.url())[1]);
  const saved = (await apiGet(`/v1/integrations/${encodeURIComponent(id)}`)).definition;
  const auth = saved.auth;
  const want = { type: 'oauth2', grant_type: 'authorization_code', token_refresh_strategy: 'custom_interval', refresh_interval_seconds: 600 };
  for (const [key, value] of Object.entries(want)) if (auth[key] !== value) fail(`auth.${key} is ${JSON.stringify(auth[key])}, not ${JSON.stringify(value)}`);
  if (JSON.stringify(auth.refresh_on_status) !== '[401,403]') fail(`auth.refresh_on_status is ${JSON.stringify(auth.refresh_on_status)}`);
  if (auth.extra_request_headers['X-Token-Client'] !== 'console') fail(`auth.extra_request_headers: ${JSON.stringify(auth.extra_request_headers)}`);
  if (saved.extra_request_headers['X-Trace'] !== 'on') fail(`extra_request_headers: ${JSON.stringify(saved.extra_request_headers)}`);

  // Back to an API key for the calls below; the fields of the other types were kept.
  await t('wizard-back').click();
  await t('step-auth').waitFor();
  await t('auth-type').selectOption('api_key');
  await expectText(t('auth-credentials'), /api_key/, 'the API key credential');
  await t('api-key-header-name').fill('X-Api-Key');
  await t('api-key-preamble').fill('');
  await t('location').selectOption('header');
  await t('wizard-next').click();
  await t('step-pagination').waitFor();

  // Finalize and install with a wrong key.
  await page.locator('[data-step="finalize"]').click();
  await t('step-finalize').waitFor();
  await t('finalize').click();
  await t('finalize-confirm').click();
  await expectText(t('status'), /Finalized version 1/, 'the finalize');
  await t('install-credential-value').fill('wrong-key');
  await t('install').click();
  await expectText(t('status'), /Installed/, 'the installation');

  // The call fails with 401: the exchange shows it, and the error links to the credentials.
  await t('try-run').click();
  await expectText(t('error'), /401/, 'the refused call');
  await expectText(t('try-exchange'), /→ 401/, 'the exchange of the refused call');
  await axe('the installation page');
  await shot('refused');
  await t('error-fix').click();
  await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'configurations-title');
  await t('credentials-replace').click();
  await t('replace-credential-value').fill('demo-key');
  await t('credentials-save').click();
  await expectText(t('status'), /Replaced the credentials of default/, 'the replaced credentials');
  await t('try-run').click();
  await expectText(t('try-output'), 'item-1', 'the call with the new key');
  await shot('fixed');
  console.log(`console authoring: ok, ${step} screenshots in ${SCREENSHOTS}`);
} catch (error) {
  await shot('failure').catch(() => {});
  fail(error.message);
} finally {
  await browser.close();
}
