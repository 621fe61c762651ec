// The legacy SDK's wire under bad input (issue 15 "Bad input"): wrong types, huge strings,
// malformed email and phone, undecryptable passwords, another pool's secret or token, and
// the GraphQL transport quirks of 3.22.3 (`v1-legacy-wire.md` §3, §10). Every refusal is an
// Authing error at HTTP 200 and writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, uniqueEmail, mgmt, rand } from './helpers.mjs';
import { Authing, v1, v1Options, v1Rejects, v1Raw } from './v1-helpers.mjs';

const PASSWORD = 'Passw0rd!v1';
const LOGIN = `mutation login($email: String, $password: String, $registerInClient: String!) {
  login(email: $email, password: $password, registerInClient: $registerInClient) { _id token email }
}`;
const REGISTER = `mutation register($email: String, $password: String, $phone: String, $username: String, $registerInClient: String!) {
  register(userInfo: {email: $email, password: $password, phone: $phone, username: $username, registerInClient: $registerInClient}) { _id email }
}`;

function errorOf(res) {
  assert.ok(Array.isArray(res.errors) && res.errors.length > 0, JSON.stringify(res).slice(0, 300));
  const m = res.errors[0].message;
  assert.equal(typeof m, 'object', 'errors[0].message is {code, message, data}');
  assert.equal(typeof m.code, 'number');
  assert.ok(m.message.length > 0);
  assert.ok(res.data && typeof res.data === 'object', 'data is never null');
  return m;
}

async function exists(email) {
  return mgmt('v1Bad').users.exists({ email });
}

test('the SDK’s anonymous Authorization values are anonymous, not malformed', async () => {
  const auth = await v1('v1Bad');
  const email = uniqueEmail('anon');
  await auth.register({ email, password: PASSWORD });
  for (const header of ['', 'undefined', 'null']) {
    const res = await fetch(`${process.env.TESSERA_URL}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json;charset=utf-8',
        authorization: header === '' ? '' : `Bearer ${header}`,
      },
      body: JSON.stringify({
        operationName: 'login',
        query: LOGIN,
        variables: {
          email,
          password: await encrypt(PASSWORD),
          registerInClient: pool('v1Bad').userPoolId,
        },
      }),
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.errors, undefined, `${header}: ${JSON.stringify(body).slice(0, 300)}`);
    assert.equal(body.data.login.email, email);
  }
});

async function encrypt(password) {
  const { publicEncrypt, constants } = await import('node:crypto');
  const { serverPublicKey } = await import('./v1-helpers.mjs');
  return publicEncrypt(
    { key: await serverPublicKey(), padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(password, 'utf8')
  ).toString('base64');
}

test('undeclared variables are ignored and inline literals are read', async () => {
  const email = uniqueEmail('inline');
  const res = await v1Raw(REGISTER, {
    email,
    password: await encrypt(PASSWORD),
    registerInClient: pool('v1Bad').userPoolId,
    notDeclared: 'x',
    forceLogin: true,
  });
  assert.equal(res.errors, undefined, JSON.stringify(res).slice(0, 300));
  assert.equal(res.data.register.email, email);
  const cipher = await encrypt(PASSWORD);
  const inline = await v1Raw(
    `mutation { login(email: "${email}", password: "${cipher}", registerInClient: "${pool('v1Bad').userPoolId}") { email token } }`
  );
  assert.equal(inline.errors, undefined, JSON.stringify(inline).slice(0, 300));
  assert.equal(inline.data.login.email, email);
});

test('wrong types are 2231, in the request’s language', async () => {
  const zh = errorOf(
    await v1Raw(LOGIN, { email: 42, password: 'x', registerInClient: pool('v1Bad').userPoolId })
  );
  assert.equal(zh.code, 2231);
  assert.match(zh.message, /[\u4e00-\u9fff]/, 'zh-CN by default');
  const en = errorOf(
    await v1Raw(
      LOGIN,
      { email: ['a'], password: 'x', registerInClient: pool('v1Bad').userPoolId },
      { lang: 'en-US' }
    )
  );
  assert.equal(en.code, 2231);
  assert.doesNotMatch(en.message, /[\u4e00-\u9fff]/, 'en-US on request');
  const regType = errorOf(
    await v1Raw(REGISTER, { email: {}, password: 'x', registerInClient: pool('v1Bad').userPoolId })
  );
  assert.equal(regType.code, 2231);
});

test('malformed email and phone are refused and nothing is written', async () => {
  const auth = await v1('v1Bad');
  await v1Rejects(auth.register({ email: 'not-an-email', password: PASSWORD }), 2003);
  assert.equal(await exists('not-an-email'), false);
  await v1Rejects(auth.register({ phone: '12ab', phoneCode: 1234, password: PASSWORD }), [2028, 2001, 2231]);
});

test('a 1 MB string is refused without a 5xx and without a write', async () => {
  const auth = await v1('v1Bad');
  const huge = 'a'.repeat(1200 * 1024) + '@example.com';
  // Over the body limit: the wire's error, at HTTP 200 (v1Raw asserts the status).
  const over = await v1Raw(REGISTER, {
    email: huge,
    password: await encrypt(PASSWORD),
    registerInClient: pool('v1Bad').userPoolId,
  });
  assert.equal(errorOf(over).code, 2231);
  // Under the body limit but far over any field's: refused by the field's rule.
  const big = 'b'.repeat(900 * 1024);
  await v1Rejects(auth.register({ email: `${big}@example.com`, password: PASSWORD }), [2003, 2231]);
  await v1Rejects(auth.register({ username: big, password: PASSWORD }), 2231);
  await v1Rejects(auth.login({ email: `${big}@example.com`, password: PASSWORD }), [2003, 2231, 2333, 2004]);
});

test('undecryptable passwords: a registration is 2016, a login cannot match', async () => {
  const email = uniqueEmail('undecryptable');
  const reg = errorOf(
    await v1Raw(REGISTER, { email, password: 'not-rsa', registerInClient: pool('v1Bad').userPoolId })
  );
  assert.equal(reg.code, 2016);
  assert.equal(await exists(email), false, 'nothing written');
  // A client left on Authing's default key (whose private half is Authing's). The SDK keeps
  // the key module-global, the last constructed instance's (§5.1): the user is registered
  // first, through a client with our key.
  const ok = await v1('v1Bad');
  const email2 = uniqueEmail('defaultkey');
  await ok.register({ email: email2, password: PASSWORD });
  const { passwordEncPublicKey: _ours, ...options } = await v1Options();
  const auth = new Authing({
    userPoolId: pool('v1Bad').userPoolId,
    secret: pool('v1Bad').secret,
    ...options,
  });
  await auth.fetchToken;
  await v1Rejects(auth.register({ email, password: PASSWORD }), 2016);
  assert.equal(await exists(email), false, 'nothing written');
  await v1Rejects(auth.login({ email: email2, password: PASSWORD }), [2006, 2333]);
});

test('another pool’s secret buys nothing, and its owner token cannot act in this pool', async () => {
  const seen = [];
  const auth = new Authing({
    userPoolId: pool('v1Bad').userPoolId,
    secret: pool('v1Other').secret,
    ...(await v1Options({ onInitError: (e) => seen.push(e) })),
  });
  await auth.fetchToken;
  assert.equal(seen[0]?.message?.code, 1001, JSON.stringify(seen));

  const other = await v1Raw(
    `query { getClientWhenSdkInit(secret: "${pool('v1Other').secret}", clientId: "${pool('v1Other').userPoolId}"){ accessToken } }`
  );
  const otherToken = other.data.getClientWhenSdkInit.accessToken;
  const email = uniqueEmail('cross');
  const res = await v1Raw(
    REGISTER,
    { email, password: await encrypt(PASSWORD), registerInClient: pool('v1Bad').userPoolId },
    { token: otherToken }
  );
  assert.equal(errorOf(res).code, 1001);
  assert.equal(await exists(email), false, 'nothing written in either pool');
  assert.equal(await mgmt('v1Other').users.exists({ email }), false);
  // An owner token cannot be echoed into another pool's construction either.
  const echo = await v1Raw(
    `query { getClientWhenSdkInit(secret: "", clientId: "${pool('v1Bad').userPoolId}"){ accessToken } }`,
    undefined,
    { token: otherToken }
  );
  assert.equal(errorOf(echo).code, 1001);
});

test('a user token of another pool is refused for this pool’s operations', async () => {
  const other = await v1('v1Other');
  const email = uniqueEmail('xpool');
  await other.register({ email, password: PASSWORD });
  const user = await other.login({ email, password: PASSWORD });
  const res = await v1Raw(
    LOGIN,
    { email, password: await encrypt(PASSWORD), registerInClient: pool('v1Bad').userPoolId },
    { token: user.token }
  );
  assert.equal(errorOf(res).code, 1001);
});

test('malformed bodies and documents are the wire’s errors at HTTP 200', async () => {
  for (const body of ['{', '[]', '{"query": 1}', '{"query": "mutation { login( }"}']) {
    const res = await fetch(`${process.env.TESSERA_URL}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: '' },
      body,
    });
    assert.equal(res.status, 200, body);
    const m = errorOf(await res.json());
    assert.equal(m.code, 2231, body);
  }
  // An unknown operation and an unknown pool.
  assert.equal(errorOf(await v1Raw('query { noSuchField { x } }')).code, 2231);
  const unknown = await v1Raw(LOGIN, {
    email: uniqueEmail(),
    password: await encrypt(PASSWORD),
    registerInClient: `nosuchpool${rand(6)}`,
  });
  assert.equal(errorOf(unknown).code, 2224);
});

test('one request buys at most one credential check', async () => {
  const cipher = await encrypt(PASSWORD);
  const id = pool('v1Bad').userPoolId;
  const fields = Array.from(
    { length: 5 },
    (_, i) => `a${i}: login(email: "x${i}@example.com", password: "${cipher}", registerInClient: "${id}") { _id }`
  ).join('\n');
  const m = errorOf(await v1Raw(`mutation { ${fields} }`));
  assert.equal(m.code, 2231);
});
