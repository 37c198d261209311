// OAuth 2.0 consent in the console, in headless Chromium (Debian's package, driven by
// playwright-core): an authorization code integration is made and installed over the API, then
// in the browser the installation's Connection panel says it needs consent, Connect goes to the
// provider (oauth2-mock-server, which approves at once) and back to the platform's callback
// page, the panel says Connected, a call from the console uses the tokens, and Connect again
// (re-consent) works the same way. It runs in two phases: `consent` makes, installs, connects
// and calls (and prints `installation=<id>`); then the test expires every token the API has
// seen, and `refresh` calls again from the console (the platform refreshes the token) and
// reconnects. A screenshot of each step goes to $SCREENSHOTS.
//
// Environment: PHASE (`consent` or `refresh`), INSTALLATION (phase `refresh`), BASE (server
// URL), TOKEN (an admin API token), UPSTREAM (host:port of an API that accepts the provider's
// JWTs), AUTHORIZE_URL and TOKEN_URL (the provider's), SCREENSHOTS, NPM_PREFIX (where
// playwright-core is installed), CHROMIUM (the browser).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const { BASE, TOKEN, UPSTREAM, AUTHORIZE_URL, TOKEN_URL, SCREENSHOTS, NPM_PREFIX } = process.env;
const require = createRequire(`${NPM_PREFIX}/package.json`);
const { chromium } = require('playwright-core');

function fail(message) {
  console.error(`console oauth: ${message}`);
  process.exit(1);
}

async function api(method, path, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const value = await response.json().catch(() => null);
  if (!response.ok) fail(`${method} ${path}: ${response.status} ${JSON.stringify(value)}`);
  return value;
}

const PHASE = process.env.PHASE || 'consent';
let installation = { id: process.env.INSTALLATION };
if (PHASE === 'consent') {
  const { user } = await api('GET', '/v1/me');
  const org = user.organization_id;
  const created = await api('POST', `/v1/organizations/${org}/integrations`, {
    definition_version: 1, name: 'Vendor Items', description: 'Sign in to the vendor.',
    hostname: UPSTREAM, scheme: 'http',
    auth: { type: 'oauth2', grant_type: 'authorization_code', authorization_code_url: AUTHORIZE_URL,
      access_token_url: TOKEN_URL, scope: 'items:read' },
    actions: [{ id: 'items', name: 'Items', method: 'GET', path: '/page/items' }],
  });
  await api('POST', `/v1/integrations/${created.id}/finalize`, {});
  installation = await api('POST', `/v1/organizations/${org}/installations`, {
    integration_id: created.id, credentials: { client_id: 'console-client', client_secret: 'console-secret' },
  });
}

mkdirSync(SCREENSHOTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
page.on('pageerror', (error) => fail(`a script error in the page: ${error.message}`));
page.setDefaultTimeout(15000);
const t = (name) => page.locator(`[data-test="${name}"]`);
let step = 0;
const shot = async (name) => {
  step += 1;
  await page.screenshot({ path: `${SCREENSHOTS}/${PHASE}-${String(step).padStart(2, '0')}-${name}.png`, fullPage: true });
};
const expectText = async (locator, text, what) => {
  try {
    await locator.filter({ hasText: text }).first().waitFor();
  } catch {
    fail(`${what}: no "${text}" in ${JSON.stringify(await locator.allInnerTexts())}`);
  }
};

const consent = async (name) => {
  await t('connect-default').click();
  // The provider approves and redirects to the platform's callback page.
  await page.waitForURL((url) => url.href.startsWith(`${BASE}/v1/oauth/callback`));
  await expectText(t('oauth-result'), 'Connected', 'the callback page');
  await shot(name);
  await page.getByRole('link', { name: 'Back to the installation' }).click();
  await expectText(t('connection-default'), 'Connected', 'the connection after consent');
};

try {
  await page.goto(`${BASE}/`);
  await t('token-input').fill(TOKEN);
  await t('sign-in').click();
  await t('spec-input').waitFor();
  await page.goto(`${BASE}/#/installation/${installation.id}`);
  if (PHASE === 'consent') {
    await expectText(t('connection-default'), 'Needs consent', 'the connection before consent');
    await shot('needs-consent');
    await consent('callback');
    await shot('connected');
    await t('try-input').fill('{}');
    await t('try-run').click();
    await expectText(t('try-output'), 'item-1', 'the items fetched with the tokens');
    await shot('invoked');
    console.log(`installation=${installation.id}`);
  } else {
    // The API now refuses the token it saw: the platform refreshes it for this call.
    await expectText(t('connection-default'), 'Connected', 'the connection before the refresh');
    await t('try-input').fill('{}');
    await t('try-run').click();
    await expectText(t('try-output'), 'item-1', 'the items after the refresh');
    await shot('refreshed');
    // Consent again (as after a revoked grant): a new code, new tokens, still connected.
    await consent('re-consent');
    await t('try-run').click();
    await expectText(t('try-output'), 'item-1', 'the items after re-consent');
    await shot('invoked-again');
  }
  console.log(`console oauth ${PHASE}: ok, ${step} screenshots in ${SCREENSHOTS}`);
} catch (error) {
  await shot('failure').catch(() => {});
  fail(error.message);
} finally {
  await browser.close();
}
