// The console end to end in headless Chromium (Debian's package, driven by playwright-core):
// sign in, paste a spec, see a finding on its line, repair, import, walk the wizard (API key
// auth, page pagination), regex-rename actions, probe the live API, finalize, publish, install, invoke against a
// loopback API and see the items. A screenshot of each step goes to $SCREENSHOTS.
//
// Environment: BASE (server URL), TOKEN (an admin API token), UPSTREAM (host:port of the API),
// PETSTORE (examples/petstore/petstore.yaml, uploaded first),
// SCREENSHOTS (a directory), NPM_PREFIX (where playwright-core is installed), CHROMIUM (the
// browser, default /usr/bin/chromium).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const { BASE, TOKEN, UPSTREAM, SCREENSHOTS, NPM_PREFIX } = process.env;
const require = createRequire(`${NPM_PREFIX}/package.json`);
const { chromium } = require('playwright-core');

const SPEC = `openapi: 3.0.3
info:
  title: Console Items
  version: "1"
servers:
  - url: http://${UPSTREAM}
paths:
  /page/items:
    get:
      operationId: itemsGet
      summary: Items Get
      parameters:
        - {name: page, in: query, schema: {type: integer}}
        - {name: per_page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: The items.
`;

function fail(message) {
  console.error(`console e2e: ${message}`);
  process.exit(1);
}

mkdirSync(SCREENSHOTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
const foreign = [];
page.on('request', (request) => {
  const url = request.url();
  if (!url.startsWith(BASE) && !url.startsWith('data:')) foreign.push(url);
});
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

try {
  await page.goto(`${BASE}/`);
  await t('token-input').fill(TOKEN);
  await t('sign-in').click();
  await t('spec-input').waitFor();
  await shot('signed-in');

  // A real public spec, uploaded as a file: its finding shows on its line.
  await t('spec-file').setInputFiles(process.env.PETSTORE);
  await t('check-spec').click();
  await expectText(t('finding'), 'info-description', 'the uploaded spec\'s finding');
  await shot('uploaded-petstore');

  await t('spec-input').fill(SPEC);
  await t('check-spec').click();
  await expectText(t('finding'), 'info-description', 'the lint finding');
  const finding = (await t('finding').first().innerText()).toLowerCase();
  if (!finding.includes('line 2')) fail(`the finding does not say its line: ${finding}`);
  if ((await t('source-line').count()) < 10) fail('the source is not shown with its lines');
  await shot('lint-findings');

  await t('repair-spec').click();
  await expectText(t('status'), /repair|change/i, 'the repair summary');
  await shot('repaired');

  await t('import-spec').click();
  await t('step-basics').waitFor();
  await shot('wizard-basics');
  await t('wizard-next').click();

  await t('step-auth').waitFor();
  await t('auth-type').selectOption('api_key');
  await t('api-key-header-name').fill('X-Api-Key');
  await shot('wizard-auth');
  await t('wizard-next').click();

  await t('step-pagination').waitFor();
  await t('pagination-type').selectOption('page');
  await t('page-param').fill('page');
  await t('page-size-param').fill('per_page');
  await t('results-key').fill('items');
  await t('default-page-size').fill('2000');
  await t('wizard-next').click();
  await expectText(t('error'), '1..=1000', 'the page size range');
  await t('default-page-size').fill('10');
  await shot('wizard-pagination');
  await t('wizard-next').click();

  await t('step-actions').waitFor();
  await expectText(t('action-row'), 'Items Get', 'the imported action');
  await t('regex-open').click();
  await t('regex-pattern').fill('(.*?) Get');
  await t('regex-replacement').fill('Get $1');
  await expectText(t('regex-preview-row'), 'Get Items', 'the regex preview');
  await shot('regex-replace');
  await t('regex-apply').click();
  await expectText(t('action-row'), 'Get Items', 'the renamed action');
  // Editing an action: its description, and its own pagination (out of range is refused,
  // then a valid one kept).
  await t('action-edit').click();
  const dialog = t('edit-dialog');
  const d = (name) => dialog.locator(`[data-test="${name}"]`);
  await d('edit-description').fill('The items, a page at a time.');
  await d('own-pagination-enabled').check();
  await d('pagination-type').selectOption('page');
  await d('page-param').fill('page');
  await d('results-key').fill('items');
  await d('default-page-size').fill('0');
  await d('edit-save').click();
  await expectText(d('error'), '1..=1000', 'the own pagination range');
  await d('page-size-param').fill('per_page');
  await d('default-page-size').fill('5');
  await d('default-page-limit').fill('20');
  await d('edit-save').click();
  await expectText(t('action-own-pagination'), 'own: page', 'the own pagination');
  await expectText(t('status'), /Saved itemsGet/, 'the saved action');
  await shot('actions');
  await t('wizard-next').click();

  // The Test step: the probe calls the loopback API with a credential that is not stored.
  await t('step-test').waitFor();
  await t('probe-credential-value').fill('demo-key');
  await t('probe-run').click();
  await expectText(t('probe-verdict'), 'itemsGet: ok', 'the probe verdict');
  await shot('probe');
  await t('wizard-next').click();

  await t('step-finalize').waitFor();
  await t('finalize').click();
  await t('finalize-confirm').click();
  await expectText(t('status'), /version 1|published|finalized/i, 'the finalize result');
  await shot('finalized');

  await t('install-credential-name').fill('api_key');
  await t('install-credential-value').fill('demo-key');
  await t('install').click();
  await expectText(t('status'), /install/i, 'the installation');
  await shot('installed');

  await t('try-input').fill('{}');
  await t('try-run').click();
  await expectText(t('try-output'), 'item-23', 'the items of the invoked action');
  await expectText(t('try-exchange'), /Page 1: GET http/, 'the raw exchange of the first page');
  const raw = await t('try-exchange').first().locator('pre').textContent();
  if (raw.includes('demo-key')) fail(`the exchange shows the API key: ${raw}`);
  if (!/x-api-key/i.test(raw)) fail(`the exchange does not show the (redacted) key header: ${raw}`);
  await shot('invoked');

  if (foreign.length) fail(`requests left the server: ${foreign.join(', ')}`);
  console.log(`console e2e: ok, ${step} screenshots in ${SCREENSHOTS}`);
} catch (error) {
  await shot('failure').catch(() => {});
  fail(error.message);
} finally {
  await browser.close();
}
