// Password logins: loginByEmail / loginByUsername / loginByPhonePassword / loginBySubAccount,
// autoRegister and customData at login, LDAP/AD without an identity source, and the pool
// rules that refuse logins (loginFail captcha, verifiedEmail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, pool, fixtures, uniqueEmail, uniqueUsername, uniqueIp, rejectsWith, PASSWORD,
  newEmailUser, newPhoneUser, captchaAnswer, mailboxSeq
} from './helpers.mjs';

function assertLoggedIn(user, poolName = 'main') {
  assert.equal(typeof user.id, 'string');
  assert.equal(typeof user.token, 'string', 'a login returns the user token');
  assert.ok(user.token.split('.').length === 3, 'the token is a JWT');
  assert.equal(user.userPoolId, pool(poolName).userPoolId);
  assert.equal(typeof user.lastLogin, 'string');
  assert.equal(user.password ?? null, null);
}

// --- loginByEmail -----------------------------------------------------------------------

test('loginByEmail(email, password): token, loginsCount incremented', async () => {
  const email = uniqueEmail('le');
  const reg = await client().registerByEmail(email, 'passw0rd');
  const c = client();
  const user = await c.loginByEmail(email, 'passw0rd');
  assertLoggedIn(user);
  assert.equal(user.id, reg.id);
  assert.equal(user.email, email);
  assert.equal(user.loginsCount, (reg.loginsCount ?? 0) + 1);
  assert.ok(!user.newlyCreated, 'an existing user is not newlyCreated');
  const again = await client().loginByEmail(email.toUpperCase(), 'passw0rd');
  assert.equal(again.id, reg.id, 'email login is case-insensitive');
  assert.equal(again.loginsCount, user.loginsCount + 1);
  // The client now holds the token.
  const me = await c.getCurrentUser();
  assert.equal(me.id, reg.id);
});

test('loginByEmail: wrong password → 2006, unknown user → 2004', async () => {
  const { email } = await newEmailUser();
  await rejectsWith(client().loginByEmail(email, 'wrong-password'), 2006);
  await rejectsWith(client().loginByEmail(uniqueEmail('nobody'), PASSWORD), 2004);
});

test('loginByEmail autoRegister: creates the user → newlyCreated true', async () => {
  const email = uniqueEmail('auto');
  const user = await client().loginByEmail(email, PASSWORD, { autoRegister: true });
  assertLoggedIn(user);
  assert.equal(user.email, email);
  assert.equal(user.newlyCreated, true);
  const again = await client().loginByEmail(email, PASSWORD, { autoRegister: true });
  assert.equal(again.id, user.id);
  assert.ok(!again.newlyCreated);
  // autoRegister does not bypass the password.
  await rejectsWith(client().loginByEmail(email, 'other-pass', { autoRegister: true }), 2006);
});

test('loginByEmail with customData: returned in customData', async () => {
  const { email } = await newEmailUser();
  const user = await client().loginByEmail(email, PASSWORD, { customData: { source: 'google' } });
  assert.equal(user.customData.source, 'google');
});

test('loginByEmail ignores a stale Bearer of another user', async () => {
  const a = await newEmailUser();
  const b = await newEmailUser();
  const user = await a.client.loginByEmail(b.email, PASSWORD);
  assert.equal(user.id, b.user.id);
  const me = await a.client.getCurrentUser();
  assert.equal(me.id, b.user.id);
});

// --- loginByUsername --------------------------------------------------------------------

test('loginByUsername: success, 2006, 2004, autoRegister, customData', async () => {
  const username = uniqueUsername('lu');
  const reg = await client().registerByUsername(username, 'passw0rd');
  const user = await client().loginByUsername(username, 'passw0rd');
  assertLoggedIn(user);
  assert.equal(user.id, reg.id);
  assert.equal(user.username, username);
  await rejectsWith(client().loginByUsername(username, 'nope-nope'), 2006);
  await rejectsWith(client().loginByUsername(uniqueUsername('nobody'), PASSWORD), 2004);
  const withData = await client().loginByUsername(username, 'passw0rd', {
    customData: { source: 'google' }
  });
  assert.equal(withData.customData.source, 'google');
  const auto = uniqueUsername('lua');
  const created = await client().loginByUsername(auto, PASSWORD, { autoRegister: true });
  assert.equal(created.newlyCreated, true);
  assert.equal(created.username, auto);
});

// --- loginByPhonePassword ---------------------------------------------------------------

test('loginByPhonePassword: success, wrong password 2006, unknown 2004, customData', async () => {
  const { phone, user: reg } = await newPhoneUser('main', { password: PASSWORD });
  const user = await client().loginByPhonePassword(phone, PASSWORD);
  assertLoggedIn(user);
  assert.equal(user.id, reg.id);
  assert.equal(user.phone, phone);
  await rejectsWith(client().loginByPhonePassword(phone, 'wrong-pass'), 2006);
  await rejectsWith(client().loginByPhonePassword('13' + '900000000', PASSWORD), [2004]);
  const withData = await client().loginByPhonePassword(phone, PASSWORD, {
    customData: { source: 'google' }
  });
  assert.equal(withData.customData.source, 'google');
});

// --- loginBySubAccount ------------------------------------------------------------------

test('loginBySubAccount(account, password)', async () => {
  const sub = fixtures.users.subAccount;
  const c = client();
  const user = await c.loginBySubAccount(sub.username, sub.password);
  assertLoggedIn(user);
  assert.equal(user.id, sub.id);
  assert.equal(user.username, 'sub-1');
  await rejectsWith(client().loginBySubAccount(sub.username, 'wrong-pass'), 2006);
  const me = await c.getCurrentUser();
  assert.equal(me.id, sub.id);
});

// --- LDAP / AD without an identity source ------------------------------------------------

test('loginByLdap without an LDAP identity source → numeric error', async () => {
  await rejectsWith(client().loginByLdap('admin', 'admin'), 'numeric');
});

test('loginByAd without an AD identity source → numeric error', async () => {
  // loginByAd posts to `websocketHost`; a self-hosted deployment sets it to its own host.
  const c = client('main', { websocketHost: pool().appHost });
  await rejectsWith(c.loginByAd('admin', 'admin'), 'numeric');
});

// --- pool rules -------------------------------------------------------------------------

test('verifiedEmail pool: a user with an unverified email cannot log in', async () => {
  const u = fixtures.users.verifiedEmail;
  await rejectsWith(client('verifiedEmail').loginByEmail(u.email, u.password), 'numeric');
});

test('loginFail pool: 3 failures → 2000, wrong captcha → 2001, right captcha logs in', async () => {
  const u = fixtures.users.loginFail;
  const p = pool('loginFail');
  const clientIp = uniqueIp();
  const limit = fixtures.settings.loginFail.limit;
  for (let i = 0; i < limit; i++) {
    await rejectsWith(
      client('loginFail').loginByEmail(u.email, 'wrong-pass', { clientIp }),
      2006,
      `failure ${i + 1}:`
    );
  }
  const e = await rejectsWith(
    client('loginFail').loginByEmail(u.email, u.password, { clientIp }),
    2000,
    'after the limit:'
  );
  assert.ok(e.message.length > 0);
  await rejectsWith(
    client('loginFail').loginByEmail(u.email, u.password, { clientIp, captchaCode: 'zz99' }),
    2001,
    'wrong captcha:'
  );
  const since = await mailboxSeq();
  const res = await fetch(
    `${p.appHost}/api/v2/security/captcha?app_id=${p.appId}&client_ip=${clientIp}`
  );
  assert.equal(res.status, 200, 'the captcha image endpoint answers 200');
  assert.match(res.headers.get('content-type') || '', /^image\//);
  const img = Buffer.from(await res.arrayBuffer());
  assert.ok(img.length > 50, 'the captcha is an image');
  const { answer } = await captchaAnswer(`${p.userPoolId}:${clientIp}`, since);
  const user = await client('loginFail').loginByEmail(u.email, u.password, {
    clientIp,
    captchaCode: answer
  });
  assert.equal(user.id, u.id);
  assert.equal(typeof user.token, 'string');
});
