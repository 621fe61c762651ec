// Helpers for the v3 ManagementClient tests (authing-node-sdk@4.0.1, seed 003), built as the
// seed shows: `new ManagementClient({accessKeyId, accessKeySecret, host})`.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { AuthenticationClient, ManagementClient } from 'authing-node-sdk';
import { TESSERA_URL, pool } from './helpers.mjs';

/** A v3 ManagementClient signing with the pool's own key (its id and secret). */
export function v3(poolName, extra = {}) {
  const p = pool(poolName);
  return new ManagementClient({
    accessKeyId: p.userPoolId,
    accessKeySecret: p.secret,
    host: TESSERA_URL,
    ...extra,
  });
}

/** A v3 ManagementClient signing with the access key created with the pool. */
export function v3Key(poolName, extra = {}) {
  const p = pool(poolName);
  return new ManagementClient({
    accessKeyId: p.accessKeyId,
    accessKeySecret: p.accessKeySecret,
    host: TESSERA_URL,
    ...extra,
  });
}

/** The `data` of a successful envelope; fails with the whole answer otherwise. */
export function data(res) {
  assert.equal(typeof res, 'object', `an envelope: ${res}`);
  assert.equal(res.statusCode, 200, `success expected: ${JSON.stringify(res)}`);
  return res.data;
}

/**
 * A refusal: a non-200 statusCode with a message (and the apiCode when one is expected).
 * Returns the envelope.
 */
export function refused(res, { statusCode, apiCode, message } = {}) {
  const shown = JSON.stringify(res);
  assert.equal(typeof res, 'object', shown);
  assert.notEqual(res.statusCode, 200, `a refusal expected: ${shown}`);
  assert.equal(typeof res.message, 'string', shown);
  assert.ok(res.message.length > 0, shown);
  if (statusCode !== undefined) assert.equal(res.statusCode, statusCode, shown);
  if (apiCode !== undefined) assert.equal(res.apiCode, apiCode, shown);
  if (message !== undefined) assert.match(res.message, message, shown);
  return res;
}

/** Raw v3 call, for what the SDK cannot send (bad signatures, malformed bodies). */
export async function raw(path, { method = 'POST', headers = {}, body } = {}) {
  const r = await fetch(`${TESSERA_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  assert.equal(r.status, 200, `HTTP 200 expected for ${path}, got ${r.status}`);
  return r.json();
}

/** Signs like §3.1 describes, independently of the SDK, for requests the SDK cannot make. */
export function signed(method, path, params, { key, secret, family = 'authing', date, nonce, lang = 'zh-CN' } = {}) {
  const h = {
    date: date ?? new Date().toUTCString(),
    [`x-${family}-signature-nonce`]: nonce ?? randomBytes(16).toString('hex'),
    [`x-${family}-signature-method`]: 'HMAC-SHA1',
    [`x-${family}-signature-version`]: '1.0',
    [`x-${family}-sdk-version`]: 'tessera-test:1',
    [`x-${family}-lang`]: lang,
  };
  const names = Object.keys(h).sort();
  const canon = names.map(n => `${n}:${h[n]}\n`).join('');
  const keys = Object.keys(params).sort();
  const res = keys.length
    ? `${path}?${keys.map(k => `${k}=${typeof params[k] === 'object' && params[k] !== null ? JSON.stringify(params[k]) : String(params[k])}`).join('&')}`
    : path;
  const sig = createHmac('sha1', secret).update(`${method}\n${canon}${res}`).digest('base64');
  const scheme = family === 'genauth' ? 'GenAuth' : 'authing';
  return { ...h, authorization: `${scheme} ${key}:${sig}` };
}


/**
 * A v3 AuthenticationClient for a seeded pool's application, as seed 003 builds one:
 * `new AuthenticationClient({appId, appSecret, appHost})` plus any extra options.
 */
export function v3Auth(poolName, extra = {}) {
  const p = pool(poolName);
  return new AuthenticationClient({
    appId: p.appId,
    appSecret: p.appSecret,
    appHost: p.appHost,
    ...extra,
  });
}
