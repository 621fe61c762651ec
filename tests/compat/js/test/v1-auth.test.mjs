// The legacy SDK (`authing-js-sdk@3.22.3`, seed 002): construction, register, login and
// checkLoginStatus against a live Tessera, through the SDK from npm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, uniqueEmail, uniqueUsername, jwtPayload, client } from './helpers.mjs';
import { Authing, v1, v1Options, v1Rejects, v1Raw } from './v1-helpers.mjs';

const PASSWORD = 'Passw0rd!v1';

test('construction buys an owner token: a JWT whose payload carries exp', async () => {
  const auth = await v1('v1Auth');
  const owner = auth.tokenManager.getToken('ownerToken') ?? auth.tokenManager.ownerToken;
  const info = auth.userPoolSettings;
  assert.equal(info._id, pool('v1Auth').userPoolId);
  assert.equal(typeof info.registerDisabled, 'boolean');
  // The token the SDK will send: parse it as the SDK does (§4).
  const raw = await v1Raw(
    'query getClientWhenSdkInit { getClientWhenSdkInit(secret: "' +
      pool('v1Auth').secret +
      '", clientId: "' +
      pool('v1Auth').userPoolId +
      '"){ accessToken } }'
  );
  assert.equal(raw.errors, undefined, 'a success has no errors key at all');
  const payload = jwtPayload(raw.data.getClientWhenSdkInit.accessToken);
  assert.ok(payload.exp > Date.now() / 1000, 'exp in the future');
  void owner;
});

test('a wrong secret fails construction through onInitError with the Authing error', async () => {
  const seen = [];
  const auth = new Authing({
    userPoolId: pool('v1Auth').userPoolId,
    secret: 'not-the-secret',
    ...(await v1Options({ onInitError: (e) => seen.push(e) })),
  });
  await auth.fetchToken;
  assert.equal(seen.length, 1);
  assert.equal(seen[0].message.code, 1001, JSON.stringify(seen[0]));
});

test('accessToken mode: the owner token given is echoed back and works', async () => {
  const owner = await v1('v1Auth');
  const raw = await v1Raw(
    `query { getClientWhenSdkInit(secret: "${pool('v1Auth').secret}", clientId: "${pool('v1Auth').userPoolId}"){ accessToken } }`
  );
  const token = raw.data.getClientWhenSdkInit.accessToken;
  const auth = new Authing({
    userPoolId: pool('v1Auth').userPoolId,
    accessToken: token,
    ...(await v1Options()),
  });
  await auth.fetchToken;
  const echoed = await v1Raw(
    `query { getClientWhenSdkInit(secret: "", clientId: ""){ accessToken clientInfo { _id } } }`,
    undefined,
    { token }
  );
  assert.equal(echoed.data.getClientWhenSdkInit.accessToken, token);
  assert.equal(echoed.data.getClientWhenSdkInit.clientInfo._id, pool('v1Auth').userPoolId);
  void owner;
});

test('register by email, then login: token, user fields, loginsCount', async () => {
  const auth = await v1('v1Auth');
  const email = uniqueEmail('v1');
  const user = await auth.register({ email, password: PASSWORD, nickname: 'Legacy' });
  assert.equal(user.email, email);
  assert.equal(user.nickname, 'Legacy');
  assert.equal(typeof user._id, 'string');
  assert.equal(user.token, null, 'registration without forceLogin issues no token');
  assert.equal(user.blocked, false);

  const logged = await auth.login({ email, password: PASSWORD });
  assert.equal(logged._id, user._id);
  assert.equal(typeof logged.token, 'string');
  assert.equal(logged.loginsCount, 1);
  assert.ok(logged.tokenExpiredAt, 'tokenExpiredAt');

  const status = await auth.checkLoginStatus(logged.token);
  assert.equal(status.status, true);
  assert.equal(status.code, 200);
  assert.equal(status.token.data.id, user._id);
  assert.equal(status.token.data.email, email);
  assert.equal(status.token.data.clientId, pool('v1Auth').userPoolId);
  assert.ok(status.token.exp > status.token.iat);
});

test('register by username and login by username', async () => {
  const auth = await v1('v1Auth');
  const username = uniqueUsername('v1');
  const user = await auth.register({ username, password: PASSWORD });
  assert.equal(user.username, username);
  const logged = await auth.login({ username, password: PASSWORD });
  assert.equal(logged._id, user._id);
});

test('wrong password is 2006-family error in the legacy shape; unknown account too', async () => {
  const auth = await v1('v1Auth');
  const email = uniqueEmail('v1');
  await auth.register({ email, password: PASSWORD });
  const wrong = await v1Rejects(auth.login({ email, password: 'wrong-Passw0rd' }), [2006, 2333]);
  assert.ok(wrong.message);
  await v1Rejects(auth.login({ email: uniqueEmail('nobody'), password: PASSWORD }), [2004, 2333, 2006]);
});

test('a duplicate registration is refused and the first account keeps its password', async () => {
  const auth = await v1('v1Auth');
  const email = uniqueEmail('v1');
  await auth.register({ email, password: PASSWORD });
  await v1Rejects(auth.register({ email, password: 'Other-Passw0rd' }), 2026);
  const logged = await auth.login({ email, password: PASSWORD });
  assert.equal(logged.email, email);
});

test('checkLoginStatus answers failures as values: 2020, 2207', async () => {
  const auth = await v1('v1Auth');
  const none = await v1Raw(
    'query checkLoginStatus($token: String) { checkLoginStatus(token: $token) { status code message } }',
    {}
  );
  assert.equal(none.errors, undefined);
  assert.deepEqual(
    [none.data.checkLoginStatus.status, none.data.checkLoginStatus.code],
    [false, 2020]
  );
  const bad = await auth.checkLoginStatus('not.a.token');
  assert.equal(bad.status, false);
  assert.equal(bad.code, 2207);
});

test('one core: a user registered through 3.x logs in through 4.x and back', async () => {
  const auth = await v1('v1Auth');
  const email = uniqueEmail('v1x');
  const user = await auth.register({ email, password: PASSWORD });
  const c4 = client('v1Auth');
  const u4 = await c4.loginByEmail(email, PASSWORD);
  assert.equal(u4.id, user._id);
  // The 4.x token is a session the 3.x SDK recognises.
  const status = await auth.checkLoginStatus(u4.token);
  assert.equal(status.status, true);
  assert.equal(status.token.data.id, user._id);
  // And a 4.x registration logs in through 3.x.
  const email2 = uniqueEmail('v4x');
  const u2 = await c4.registerByEmail(email2, PASSWORD);
  const logged = await auth.login({ email: email2, password: PASSWORD });
  assert.equal(logged._id, u2.id);
  const c4b = client('v1Auth');
  const check = await c4b.checkLoginStatus(logged.token);
  assert.equal(check.status, true);
});
