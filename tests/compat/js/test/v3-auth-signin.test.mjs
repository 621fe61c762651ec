// The v3 AuthenticationClient (authing-node-sdk@4.0.1, seed 003): sign-up, sign-in by
// password and by code, the token set, the user's own profile and password, and the one
// core login shared with v2 (a user made through v3 logs in through v2 and the reverse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { client, cnPhone, pool, uniqueEmail, uniqueUsername, waitMail, waitSms, mailboxSeq, sleep, RESEND_WAIT_MS, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Auth';
const PASSWORD = 'Passw0rd!v3';

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('signUpByEmailPassword then signInByEmailPassword: a token set whose tokens the SDK verifies', async () => {
  const auth = v3Auth(P);
  const email = uniqueEmail('v3s');
  const user = data(await auth.signUpByEmailPassword({ email, password: PASSWORD, profile: { nickname: 'Nick' } }));
  assert.equal(user.email, email);
  assert.equal(user.nickname, 'Nick');
  assert.ok(user.userId);

  const tokens = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  assert.equal(tokens.token_type, 'Bearer');
  assert.ok(tokens.expires_in > 0);
  assert.equal(tokens.expire_in, tokens.expires_in);
  assert.match(tokens.scope, /openid/);
  assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
  const idClaims = await auth.parseIDToken(tokens.id_token);
  assert.equal(idClaims.sub, user.userId);
  assert.equal(idClaims.aud, pool(P).appId);
  const atClaims = await auth.parseAccessToken(tokens.access_token);
  assert.equal(atClaims.sub, user.userId);

  // The access token is the user's credential on the profile endpoints (sent raw).
  auth.setAccessToken(tokens.access_token);
  const me = data(await auth.getProfile({ withCustomData: true, withIdentities: true, withDepartmentIds: true }));
  assert.equal(me.userId, user.userId);
  assert.deepEqual(me.identities, []);
  assert.deepEqual(me.departmentIds, []);
});

test('every password sign-in helper and the account field; offline_access buys a refresh token that /oidc/token rotates', async () => {
  const auth = v3Auth(P);
  const username = uniqueUsername('v3u');
  data(await auth.signUpByUsernamePassword({ username, password: PASSWORD }));
  const byUsername = data(await auth.signInByUsernamePassword({ username, password: PASSWORD, options: { scope: 'openid profile offline_access' } }));
  assert.ok(byUsername.refresh_token, 'offline_access asked: a refresh token');
  const byAccount = data(await auth.signInByAccountPassword({ account: username, password: PASSWORD }));
  assert.ok(byAccount.access_token);
  const refreshed = await auth.getNewAccessTokenByRefreshToken(byUsername.refresh_token);
  assert.ok(refreshed.access_token);
  assert.notEqual(refreshed.refresh_token, byUsername.refresh_token);
});

test('wrong password and unknown account get one answer (403 / 2333) in the request language', async () => {
  const auth = v3Auth(P);
  const email = uniqueEmail('v3w');
  data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
  const wrong = refused(await auth.signInByEmailPassword({ email, password: 'nope-Wrong1' }), { statusCode: 403, apiCode: 2333 });
  const unknown = refused(await auth.signInByEmailPassword({ email: uniqueEmail('none'), password: PASSWORD }), { statusCode: 403, apiCode: 2333 });
  assert.equal(wrong.message, unknown.message);
  assert.match(wrong.message, /[\u4e00-\u9fff]/, 'zh-CN by default');
  const r = await fetch(`${TESSERA_URL}/api/v3/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' },
    body: JSON.stringify({ connection: 'PASSWORD', passwordPayload: { email, password: 'nope-Wrong1' } }),
  });
  const en = await r.json();
  assert.equal(en.apiCode, 2333);
  assert.equal(en.message, 'Account not exists or password is incorrect.');
});

test('a wrong client secret is refused; client_secret_basic works', async () => {
  const email = uniqueEmail('v3c');
  data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const bad = v3Auth(P, { appSecret: 'not-the-secret' });
  refused(await bad.signInByEmailPassword({ email, password: PASSWORD }));
  const basic = v3Auth(P, { tokenEndPointAuthMethod: 'client_secret_basic' });
  assert.ok(data(await basic.signInByEmailPassword({ email, password: PASSWORD })).access_token);
});

test('sign-up and sign-in by phone code and by email code, codes sent for their channel only', async () => {
  const auth = v3Auth(P);
  const phone = cnPhone();
  let since = await mailboxSeq();
  data(await auth.sendSms({ phoneNumber: phone, channel: 'CHANNEL_REGISTER' }));
  let code = (await waitSms(phone, undefined, since)).code;
  const user = data(await auth.signUpByPhoneCode({ phone, passCode: code }));
  assert.equal(user.phone, phone);

  // A login code is not a registration code and the reverse.
  await sleep(RESEND_WAIT_MS);
  since = await mailboxSeq();
  data(await auth.sendSms({ phoneNumber: phone, channel: 'CHANNEL_REGISTER' }));
  code = (await waitSms(phone, undefined, since)).code;
  refused(await auth.signInByPhonePassCode({ phone, passCode: code }));

  await sleep(RESEND_WAIT_MS);
  since = await mailboxSeq();
  data(await auth.sendSms({ phoneNumber: phone, channel: 'CHANNEL_LOGIN' }));
  code = (await waitSms(phone, undefined, since)).code;
  const tokens = data(await auth.signInByPhonePassCode({ phone, passCode: code }));
  assert.equal(decode(tokens.access_token).sub, user.userId);
  // Single use.
  refused(await auth.signInByPhonePassCode({ phone, passCode: code }));

  const email = uniqueEmail('v3e');
  since = await mailboxSeq();
  data(await auth.sendEmail({ email, channel: 'CHANNEL_REGISTER' }));
  const mail = await waitMail(email, since);
  const byEmail = data(await auth.signUpByEmailCode({ email, passCode: mail.code }));
  assert.equal(byEmail.email, email);
  refused(await auth.sendSms({ phoneNumber: phone, channel: 'CHANNEL_NOT_A_CHANNEL' }));
});

test('updateProfile and updatePassword as the user; custom data validated before anything is written', async () => {
  const auth = v3Auth(P);
  const email = uniqueEmail('v3p');
  data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
  const t = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  auth.setAccessToken(t.access_token);
  const after = data(await auth.updateProfile({ nickname: 'changed', city: 'Hangzhou' }));
  assert.equal(after.nickname, 'changed');
  assert.equal(after.city, 'Hangzhou');
  refused(await auth.updateProfile({ nickname: 'x', customData: { noSuchField: 1 } }));
  assert.equal(data(await auth.getProfile({})).nickname, 'changed', 'a refused update wrote nothing');

  refused(await auth.updatePassword({ newPassword: 'N3w-Passw0rd', oldPassword: 'wrong-old' }));
  data(await auth.updatePassword({ newPassword: 'N3w-Passw0rd', oldPassword: PASSWORD }));
  refused(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }), { apiCode: 2333 });
  assert.ok(data(await v3Auth(P).signInByEmailPassword({ email, password: 'N3w-Passw0rd' })).access_token);
});

test('user calls without a token, with a foreign token or a revoked one are refused', async () => {
  const auth = v3Auth(P);
  refused(await auth.getProfile({}));
  auth.setAccessToken('not-a-token');
  refused(await auth.getProfile({}));
  const email = uniqueEmail('v3r');
  data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const t = data(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }));
  // Another pool's application does not accept this pool's token.
  const other = v3Auth('main');
  other.setAccessToken(t.access_token);
  refused(await other.getProfile({}));
  const mine = v3Auth(P);
  mine.setAccessToken(t.access_token);
  data(await mine.getProfile({}));
  await mine.revokeToken(t.access_token);
  refused(await mine.getProfile({}));
});

test('one core: a user signed up through v3 logs in through v2, a v2 user signs in through v3, an admin block holds on both', async () => {
  const email = uniqueEmail('v3x');
  const made = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const v2user = await client(P).loginByEmail(email, PASSWORD);
  assert.equal(v2user.id, made.userId);

  const email2 = uniqueEmail('v2x');
  const v2made = await client(P).registerByEmail(email2, PASSWORD);
  const t = data(await v3Auth(P).signInByEmailPassword({ email: email2, password: PASSWORD }));
  assert.equal(decode(t.access_token).sub, v2made.id);

  const mc = v3(P);
  data(await mc.updateUser({ userId: made.userId, status: 'Suspended' }));
  const blocked = refused(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }));
  assert.notEqual(blocked.apiCode, 2333, 'a blocked user is told so, not "wrong password"');
  await assert.rejects(client(P).loginByEmail(email, PASSWORD));
});

test('malformed sign-in bodies get a non-200 statusCode, never a 5xx', async () => {
  const appId = pool(P).appId;
  const bodies = [
    '{',
    '[]',
    JSON.stringify({}),
    JSON.stringify({ connection: 'NOPE' }),
    JSON.stringify({ connection: 'PASSWORD' }),
    JSON.stringify({ connection: 'PASSWORD', passwordPayload: { password: 1 } }),
    JSON.stringify({ connection: 'PASSWORD', passwordPayload: { password: 'x' } }),
    JSON.stringify({ connection: 'PASSCODE', passCodePayload: {} }),
    JSON.stringify({ connection: 'LDAP', ldapPayload: { sAMAccountName: 'a', password: 'b' } }),
    JSON.stringify({ connection: 'PASSWORD', passwordPayload: { email: 'a@b.c', password: 'x' }, options: { passwordEncryptType: 'rsa' } }),
  ];
  for (const body of bodies) {
    const r = await fetch(`${TESSERA_URL}/api/v3/signin`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-authing-app-id': appId }, body });
    assert.equal(r.status, 200, body);
    const j = await r.json();
    assert.notEqual(j.statusCode, 200, body);
    assert.ok(j.statusCode < 500, `${body}: ${JSON.stringify(j)}`);
  }
  const noApp = await fetch(`${TESSERA_URL}/api/v3/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connection: 'PASSWORD' }) });
  assert.notEqual((await noApp.json()).statusCode, 200);
  const unknownApp = await fetch(`${TESSERA_URL}/api/v3/signin`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-authing-app-id': 'no-such-app' }, body: '{}' });
  assert.notEqual((await unknownApp.json()).statusCode, 200);
});

test('getSystemInfo publishes the RSA key at the top level, and an RSA-encrypted password signs in', async () => {
  const auth = v3Auth(P);
  const info = await auth.getSystemInfo();
  assert.match(info.rsa.publicKey, /BEGIN PUBLIC KEY/);
  // jsencrypt's ES module build does not load in Node; its CommonJS build does.
  const JSEncrypt = createRequire(import.meta.url)('jsencrypt');
  const enc = new (JSEncrypt.default ?? JSEncrypt)();
  enc.setPublicKey(info.rsa.publicKey);
  const email = uniqueEmail('v3rsa');
  data(await auth.signUpByEmailPassword({ email, password: enc.encrypt(PASSWORD), options: { passwordEncryptType: 'rsa' } }));
  const t = data(await auth.signInByEmailPassword({ email, password: enc.encrypt(PASSWORD), options: { passwordEncryptType: 'rsa' } }));
  assert.ok(t.access_token);
  // A password that does not decrypt is refused at sign-up (2016) and creates no account.
  refused(await auth.signUpByEmailPassword({ email: uniqueEmail('v3bad'), password: 'garbage', options: { passwordEncryptType: 'rsa' } }), { apiCode: 2016 });
});
