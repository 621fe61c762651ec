// v3 management authentication (v3-wire.md §3): per-request HMAC-SHA1 signatures as
// authing-node-sdk@4.0.1 sends them, the GenAuth header family, the management token mode,
// and every refusal (wrong key, wrong signature, skewed date, replayed nonce, foreign pool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'authing-node-sdk';
import { TESSERA_URL, pool, rememberSecrets } from './helpers.mjs';
import { v3, v3Key, data, refused, raw, signed } from './v3-helpers.mjs';

const P = 'v3Sign';

test('the seed example: a pool key lists users through the SDK, in both languages', async () => {
  const mc = v3(P);
  const page = data(await mc.listUsers({ options: { pagination: { page: 1, limit: 10 } } }));
  assert.equal(typeof page.totalCount, 'number');
  assert.ok(Array.isArray(page.list));
  const en = v3(P, { lang: 'en-US' });
  const r = refused(await en.getUser({ userId: 'no-such-user' }), { statusCode: 404 });
  assert.match(r.message, /[A-Za-z]/);
  const zh = refused(await mc.getUser({ userId: 'no-such-user' }), { statusCode: 404 });
  assert.match(zh.message, /[\u3400-\u9fff]/);
});

test('a created access key signs too; a private-deployment host with a trailing slash works', async () => {
  const mc = v3Key(P, { host: `${TESSERA_URL}/` });
  data(await mc.listUsers({}));
});

test('a wrong secret, an unknown key and a tampered body are one refusal (1300)', async () => {
  const p = pool(P);
  const wrong = new ManagementClient({ accessKeyId: p.userPoolId, accessKeySecret: 'not-the-secret', host: TESSERA_URL });
  refused(await wrong.listUsers({}), { statusCode: 401, apiCode: 1300 });
  const unknown = new ManagementClient({ accessKeyId: 'no-such-key', accessKeySecret: 'x', host: TESSERA_URL });
  refused(await unknown.listUsers({}), { statusCode: 401, apiCode: 1300 });
  const params = { keywords: 'a' };
  const headers = signed('POST', '/api/v3/list-users', params, { key: p.userPoolId, secret: p.secret });
  refused(await raw('/api/v3/list-users', { headers, body: JSON.stringify({ keywords: 'b' }) }), { apiCode: 1300 });
  // The same headers over the body they signed pass.
  const ok = signed('POST', '/api/v3/list-users', params, { key: p.userPoolId, secret: p.secret });
  data(await raw('/api/v3/list-users', { headers: ok, body: JSON.stringify(params) }));
});

test('a replayed nonce is refused (1306), a skewed or missing date too (1305, 1304)', async () => {
  const p = pool(P);
  const headers = signed('GET', '/api/v3/list-users', {}, { key: p.userPoolId, secret: p.secret });
  data(await raw('/api/v3/list-users', { method: 'GET', headers }));
  refused(await raw('/api/v3/list-users', { method: 'GET', headers }), { statusCode: 401, apiCode: 1306 });
  const old = new Date(Date.now() - 60 * 60 * 1000).toUTCString();
  const skewed = signed('GET', '/api/v3/list-users', {}, { key: p.userPoolId, secret: p.secret, date: old });
  refused(await raw('/api/v3/list-users', { method: 'GET', headers: skewed }), { apiCode: 1305 });
  const noDate = signed('GET', '/api/v3/list-users', {}, { key: p.userPoolId, secret: p.secret });
  delete noDate.date;
  refused(await raw('/api/v3/list-users', { method: 'GET', headers: noDate }), { apiCode: 1304 });
  const garbled = signed('GET', '/api/v3/list-users', {}, { key: p.userPoolId, secret: p.secret, date: 'soon' });
  refused(await raw('/api/v3/list-users', { method: 'GET', headers: garbled }), { apiCode: 1303 });
});

test('the GenAuth header family and epoch-millisecond dates are accepted', async () => {
  const p = pool(P);
  const headers = signed('GET', '/api/v3/list-users', { page: 1 }, {
    key: p.userPoolId, secret: p.secret, family: 'genauth', date: String(Date.now()),
  });
  data(await raw('/api/v3/list-users?page=1', { method: 'GET', headers }));
});

test('no credential at all is refused, never served', async () => {
  refused(await raw('/api/v3/list-users', { body: '{}' }), { statusCode: 401 });
});

test('token mode: a key buys a token carrying scoped_userpool_id, used with or without Bearer', async () => {
  const p = pool(P);
  const t = await raw('/api/v3/get-management-token', {
    body: JSON.stringify({ accessKeyId: p.accessKeyId, accessKeySecret: p.accessKeySecret }),
  });
  const { access_token: token, expires_in: expiresIn } = data(t);
  rememberSecrets(token);
  assert.equal(expiresIn, 7200);
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64').toString());
  assert.equal(claims.scoped_userpool_id, p.userPoolId);
  for (const authorization of [token, `Bearer ${token}`]) {
    const r = await raw('/api/v3/list-users?page=1&limit=5', {
      method: 'GET',
      headers: { authorization, 'x-authing-userpool-id': p.userPoolId },
    });
    data(r);
  }
  // The token is for its pool only.
  const other = pool('v3Users');
  refused(await raw('/api/v3/list-users', {
    method: 'GET', headers: { authorization: token, 'x-authing-userpool-id': other.userPoolId },
  }), { statusCode: 403 });
  // A wrong secret buys nothing.
  refused(await raw('/api/v3/get-management-token', {
    body: JSON.stringify({ accessKeyId: p.accessKeyId, accessKeySecret: 'wrong' }),
  }));
  refused(await raw('/api/v3/get-management-token', { body: '{"accessKeyId": 5}' }), { statusCode: 400 });
});

test('methods Tessera does not serve answer an envelope naming them; unknown paths a 404 envelope', async () => {
  const mc = v3(P);
  const r = refused(await mc.listPipelineFunctions({ scene: 'PRE_REGISTER' }), { statusCode: 501 });
  assert.match(r.message, /listPipelineFunctions/);
  refused(await raw('/api/v3/no-such-thing', { body: '{}' }), { statusCode: 404 });
});

test('malformed JSON and wrong types are 400 envelopes, never HTTP errors', async () => {
  const p = pool(P);
  const body = '{"options": ';
  const headers = signed('POST', '/api/v3/list-users', {}, { key: p.userPoolId, secret: p.secret });
  refused(await raw('/api/v3/list-users', { headers, body }), { statusCode: 400 });
  const mc = v3(P);
  refused(await mc.listUsers({ options: { pagination: { page: 'one' } } }), { statusCode: 400 });
  refused(await mc.listUsers({ options: { pagination: { page: 1, limit: 100000 } } }), { statusCode: 400 });
});
