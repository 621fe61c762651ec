// Tokens and sessions: getCurrentUser, logout, checkLoginStatus, refreshToken, the reset
// tokens of users who must change their password, and tokens of another pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, pool, fixtures, rejectsWith, newEmailUser, jwtPayload, forge
} from './helpers.mjs';

test('getCurrentUser after login, and with the token option', async () => {
  const { email, user } = await newEmailUser();
  const c = client();
  await c.loginByEmail(email, 'passw0rd');
  const me = await c.getCurrentUser();
  assert.equal(me.id, user.id);
  assert.equal(me.email, email);
  assert.equal(typeof me.token, 'string', 'user{token} echoes the token');
  assert.ok(Array.isArray(me.identities) || me.identities === null);
  const viaToken = await client('main', { token: me.token }).getCurrentUser();
  assert.equal(viaToken.id, user.id);
});

test('getCurrentUser without a token → null', async () => {
  assert.equal(await client().getCurrentUser(), null);
});

test('the user token: sub and data.id are the user id; exp, iat', async () => {
  const { user, token } = await newEmailUser();
  const claims = jwtPayload(token);
  assert.equal(claims.sub, user.id);
  assert.equal(claims.data.id, user.id);
  assert.equal(claims.data.userPoolId, pool().userPoolId);
  assert.equal(typeof claims.exp, 'number');
  assert.equal(typeof claims.iat, 'number');
  assert.ok(claims.exp > claims.iat);
});

test('checkLoginStatus(token): {code:200, status:true, exp, iat, data}', async () => {
  const { user, token } = await newEmailUser();
  const s = await client().checkLoginStatus(token);
  assert.equal(s.code, 200);
  assert.equal(s.status, true);
  assert.equal(typeof s.message, 'string');
  assert.equal(typeof s.exp, 'number');
  assert.equal(typeof s.iat, 'number');
  assert.equal(s.data.id, user.id);
  assert.equal(s.data.userPoolId, pool().userPoolId);
  assert.equal(s.data.arn, user.arn);
  const claims = jwtPayload(token);
  assert.equal(s.exp, claims.exp);
  assert.equal(s.iat, claims.iat);
});

test('checkLoginStatus() with no argument checks the Bearer token', async () => {
  const { client: c, user } = await newEmailUser();
  const s = await c.checkLoginStatus();
  assert.equal(s.status, true);
  assert.equal(s.data.id, user.id);
});

test('checkLoginStatus() with no token at all → 2020, status false', async () => {
  const s = await client().checkLoginStatus();
  assert.equal(s.code, 2020);
  assert.equal(s.status, false);
});

test('checkLoginStatus(garbage) → 2207; forged signature → 2207', async () => {
  const s = await client().checkLoginStatus('not.a.token');
  assert.equal(s.code, 2207);
  assert.equal(s.status, false);
  assert.equal(s.exp ?? null, null);
  assert.equal(s.iat ?? null, null);
  const { token } = await newEmailUser();
  const f = await client().checkLoginStatus(forge(token));
  assert.equal(f.code, 2207);
  assert.equal(f.status, false);
});

test('logout(): the token is revoked (2206) and getCurrentUser with it → null', async () => {
  const { client: c, token } = await newEmailUser();
  await c.logout();
  assert.equal(await c.getCurrentUser(), null, 'the client forgot the user');
  const s = await client().checkLoginStatus(token);
  assert.equal(s.status, false);
  assert.equal(s.code, 2206);
  assert.equal(await client('main', { token }).getCurrentUser(), null);
});

test('refreshToken(): {token, iat, exp}; the new token works', async () => {
  const { client: c, user, token } = await newEmailUser();
  const r = await c.refreshToken();
  assert.equal(typeof r.token, 'string');
  assert.equal(typeof r.iat, 'number');
  assert.equal(typeof r.exp, 'number');
  assert.ok(r.exp > r.iat);
  assert.equal(jwtPayload(r.token).sub, user.id);
  const s = await client().checkLoginStatus(r.token);
  assert.equal(s.status, true);
  const me = await client('main', { token: r.token }).getCurrentUser();
  assert.equal(me.id, user.id);
  // The client now sends the new token.
  const me2 = await c.getCurrentUser();
  assert.equal(me2.id, user.id);
  assert.equal(typeof token, 'string');
});

test('refreshToken() without a token → error', async () => {
  await rejectsWith(client().refreshToken(), 'numeric');
});

test('resetPasswordByFirstLoginToken: the login refusal carries data.token', async () => {
  const u = fixtures.users.firstLoginReset;
  const e = await rejectsWith(client().loginByEmail(u.email, u.password), 'numeric');
  assert.equal(typeof e.data?.token, 'string', `data.token in ${JSON.stringify(e)}`);
  const res = await client().resetPasswordByFirstLoginToken({
    token: e.data.token,
    password: 'firstL0gin!'
  });
  assert.equal(res.code, 200);
  assert.equal(typeof res.message, 'string');
  const user = await client().loginByEmail(u.email, 'firstL0gin!');
  assert.equal(user.id, u.id);
  assert.equal(typeof user.token, 'string');
  // The reset token is single-use.
  await rejectsWith(
    client().resetPasswordByFirstLoginToken({ token: e.data.token, password: 'again1!' }),
    'numeric'
  );
});

test('resetPasswordByForceResetToken({token, oldPassword, newPassword})', async () => {
  const u = fixtures.users.forceReset;
  const e = await rejectsWith(client().loginByUsername(u.username, u.password), 'numeric');
  assert.equal(typeof e.data?.token, 'string', `data.token in ${JSON.stringify(e)}`);
  await rejectsWith(
    client().resetPasswordByForceResetToken({
      token: e.data.token,
      oldPassword: 'not-the-old-one',
      newPassword: 'forceR3set!'
    }),
    'numeric'
  );
  const res = await client().resetPasswordByForceResetToken({
    token: e.data.token,
    oldPassword: u.password,
    newPassword: 'forceR3set!'
  });
  assert.equal(res.code, 200);
  const user = await client().loginByUsername(u.username, 'forceR3set!');
  assert.equal(user.id, u.id);
});

test("a token of another pool is not accepted by this pool's app", async () => {
  const other = await newEmailUser('noVerifyOld');
  const s = await client('main').checkLoginStatus(other.token);
  assert.equal(s.status, false);
  assert.ok([2207, 2020].includes(s.code), `code ${s.code}`);
  assert.equal(await client('main', { token: other.token }).getCurrentUser(), null);
});
