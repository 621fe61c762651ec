// Helpers for the legacy SDK tests (`authing-js-sdk@3.22.3`, seed 002, installed as the npm
// alias `authing-js-sdk-v1`), built as a self-hosting user would: both GraphQL hosts at the
// server's `/graphql`, `baseUrl` at the server, and the server's own password key
// (`passwordEncPublicKey`, from /api/v2/.well-known) since Authing's default key is not ours.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { TESSERA_URL, pool } from './helpers.mjs';

const require = createRequire(import.meta.url);
/** The SDK's constructor (a CommonJS module). */
export const Authing = require('authing-js-sdk-v1');

let publicKey;
/** The server's RSA public key, as the SDK wants it. */
export async function serverPublicKey() {
  if (!publicKey) {
    const res = await fetch(`${TESSERA_URL}/api/v2/.well-known`);
    publicKey = (await res.json()).data.publicKey;
  }
  return publicKey;
}

/** The options every test passes: where the server is and its password key. */
export async function v1Options(extra = {}) {
  return {
    host: { user: `${TESSERA_URL}/graphql`, oauth: `${TESSERA_URL}/graphql` },
    baseUrl: TESSERA_URL,
    passwordEncPublicKey: await serverPublicKey(),
    ...extra,
  };
}

/**
 * `new Authing({userPoolId, secret})` for a seeded pool, with its construction finished
 * (the SDK buys its owner token at construction, `fetchToken`). The SDK keeps one user
 * token per pool for the whole process, so each test file works in pools of its own.
 */
export async function v1(poolName, extra = {}) {
  const p = pool(poolName);
  const auth = new Authing({
    userPoolId: p.userPoolId,
    secret: p.secret,
    ...(await v1Options(extra)),
  });
  await auth.fetchToken;
  return auth;
}

/**
 * Awaits a promise that must reject with a legacy GraphQL error: the SDK rejects with
 * `errors[0]` as the server sent it, whose `message` is `{code, message, data}`. Returns
 * that inner object.
 */
export async function v1Rejects(promise, codes, note = '') {
  let value;
  try {
    value = await promise;
  } catch (e) {
    const shown = JSON.stringify(e, Object.getOwnPropertyNames(e ?? {})).slice(0, 400);
    const m = e?.message;
    assert.equal(typeof m, 'object', `${note} expected {message: {code, message}}, got ${shown}`);
    const allowed = Array.isArray(codes) ? codes : [codes];
    assert.ok(
      codes === 'numeric' ? typeof m.code === 'number' && m.code !== 200 : allowed.includes(m.code),
      `${note} expected code ${codes}, got ${m.code}: ${shown}`
    );
    assert.equal(typeof m.message, 'string', `${note} the error has no message: ${shown}`);
    assert.ok(m.message.length > 0, `${note} the error's message is empty: ${shown}`);
    return m;
  }
  assert.fail(
    `${note} expected a rejection with code ${codes}, but it resolved with ${JSON.stringify(value)?.slice(0, 300)}`
  );
}

/** POSTs a GraphQL document to `/graphql` as the SDK does (Authorization always present). */
export async function v1Raw(query, variables, { token = '', operationName, lang } = {}) {
  const headers = {
    'content-type': 'application/json;charset=utf-8',
    authorization: token === '' ? '' : `Bearer ${token}`,
  };
  if (lang) headers['x-authing-lang'] = lang;
  const body = { query };
  if (operationName) body.operationName = operationName;
  if (variables !== undefined) body.variables = variables;
  const res = await fetch(`${TESSERA_URL}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `GraphQL answers HTTP 200`);
  return res.json();
}
