// The v3 AuthenticationClient's account family (authing-node-sdk@4.0.1): bind and unbind an
// email or phone by a code of its channel, the security summary, the two-step changes of
// email and phone, password reset and account deletion (a verify request buys a single-use
// token bound to the user and the new address; the action spends it), validatePassword and
// preCheckCode. Changes are read back through the v3 ManagementClient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cnPhone, pool, uniqueEmail, uniqueUsername, waitMail, waitSms, mailboxSeq, sleep, RESEND_WAIT_MS, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Account';
const PASSWORD = 'Passw0rd!acct';
const mc = v3(P);

/** A user signed up by email and password, with a client holding their access token. */
async function emailUser() {
  const email = uniqueEmail('acct');
  const user = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const auth = v3Auth(P);
  const t = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  auth.setAccessToken(t.access_token);
  return { auth, user, email, token: t.access_token };
}

async function mailCode(auth, email, channel) {
  const since = await mailboxSeq();
  data(await auth.sendEmail({ email, channel }));
  return (await waitMail(email, since)).code;
}

async function smsCode(auth, phoneNumber, channel) {
  const since = await mailboxSeq();
  data(await auth.sendSms({ phoneNumber, channel }));
  return (await waitSms(phoneNumber, undefined, since)).code;
}

const wrong = code => (code === '000000' ? '111111' : '000000');

/** A raw v3 call in a language, for the wording of refusals. */
async function rawCall(path, body, { token, lang = 'en-US' } = {}) {
  const headers = { 'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'x-authing-lang': lang };
  if (token) headers.authorization = token;
  const r = await fetch(`${TESSERA_URL}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  assert.ok(r.status < 500, `never a 5xx: ${r.status}`);
  return r.json();
}

test('bindEmail / bindPhone by codes of their channel, getSecurityLevel follows, unbind by an unbind code', async () => {
  const username = uniqueUsername('acct');
  data(await v3Auth(P).signUpByUsernamePassword({ username, password: PASSWORD }));
  const auth = v3Auth(P);
  auth.setAccessToken(data(await auth.signInByUsernamePassword({ username, password: PASSWORD })).access_token);
  const before = data(await auth.getSecurityLevel());
  assert.equal(before.emailBinded, false);
  assert.equal(before.phoneBinded, false);
  assert.equal(before.passwordSet, true);
  assert.equal(before.mfaEnrolled, false);

  const email = uniqueEmail('bind');
  const loginCode = await mailCode(auth, email, 'CHANNEL_LOGIN');
  refused(await auth.bindEmail({ email, passCode: loginCode }), {}, 'a login code does not bind');
  const code = await mailCode(auth, email, 'CHANNEL_BIND_EMAIL');
  refused(await auth.bindEmail({ email, passCode: wrong(code) }));
  data(await auth.bindEmail({ email, passCode: code }));
  assert.equal(data(await auth.getProfile({})).email, email);

  const phone = cnPhone();
  const pc = await smsCode(auth, phone, 'CHANNEL_BIND_PHONE');
  data(await auth.bindPhone({ phoneNumber: phone, passCode: pc }));
  const after = data(await auth.getSecurityLevel());
  assert.equal(after.emailBinded, true);
  assert.equal(after.phoneBinded, true);
  assert.ok(after.securityScore > before.securityScore);

  // Unbinding takes a code of the unbind channel sent to the bound address.
  await sleep(RESEND_WAIT_MS);
  const bindAgain = await mailCode(auth, email, 'CHANNEL_BIND_EMAIL');
  refused(await auth.unbindEmail({ passCode: bindAgain }));
  const unbind = await mailCode(auth, email, 'CHANNEL_UNBIND_EMAIL');
  data(await auth.unbindEmail({ passCode: unbind }));
  const up = await smsCode(auth, phone, 'CHANNEL_UNBIND_PHONE');
  data(await auth.unbindPhone({ passCode: up }));
  const me = data(await mc.getUser({ userId: data(await auth.getProfile({})).userId }));
  assert.equal(me.email ?? null, null);
  assert.equal(me.phone ?? null, null);
  refused(await auth.unbindPhone({ passCode: up }), {}, 'nothing bound any more');
});

test('verifyUpdateEmailRequest + updateEmail: single-use token bound to its user; the ManagementClient sees the change', async () => {
  const a = await emailUser();
  const b = await emailUser();
  const newEmail = uniqueEmail('moved');
  refused(await a.auth.verifyUpdateEmailRequest({
    verifyMethod: 'EMAIL_PASSCODE',
    emailPassCodePayload: { newEmail, newEmailPassCode: '123456' },
  }), {}, 'the pool verifies the old address too');
  const oldCode = await mailCode(a.auth, a.email, 'CHANNEL_UPDATE_EMAIL');
  const newCode = await mailCode(a.auth, newEmail, 'CHANNEL_UPDATE_EMAIL');
  const v = data(await a.auth.verifyUpdateEmailRequest({
    verifyMethod: 'EMAIL_PASSCODE',
    emailPassCodePayload: { newEmail, newEmailPassCode: newCode, oldEmail: a.email, oldEmailPassCode: oldCode },
  }));
  assert.ok(v.updateEmailToken);
  assert.ok(v.tokenExpiresIn > 0 && v.tokenExpiresIn <= 600);

  // Another user cannot spend it, and trying does not use it up; a phone flow does not take it.
  refused(await b.auth.updateEmail({ updateEmailToken: v.updateEmailToken }));
  refused(await a.auth.updatePhone({ updatePhoneToken: v.updateEmailToken }));
  refused(await a.auth.updateEmail({ updateEmailToken: 'not-a-token' }));
  assert.equal(data(await a.auth.updateEmail({ updateEmailToken: v.updateEmailToken })).success, true);
  refused(await a.auth.updateEmail({ updateEmailToken: v.updateEmailToken }), {}, 'single use');

  assert.equal(data(await mc.getUser({ userId: a.user.userId })).email, newEmail);
  assert.ok(data(await v3Auth(P).signInByEmailPassword({ email: newEmail, password: PASSWORD })).access_token);
  refused(await v3Auth(P).signInByEmailPassword({ email: a.email, password: PASSWORD }));

  // A wrong code buys no token; the refusal is worded in the request's language.
  const en = await rawCall('/api/v3/verify-update-email-request', {
    verifyMethod: 'EMAIL_PASSCODE',
    emailPassCodePayload: { newEmail: uniqueEmail('x'), newEmailPassCode: '000000', oldEmail: newEmail, oldEmailPassCode: '000000' },
  }, { token: a.token });
  assert.notEqual(en.statusCode, 200);
  assert.match(en.message, /^[\x20-\x7e]+$/, `English: ${en.message}`);
  const zh = await rawCall('/api/v3/update-email', { updateEmailToken: v.updateEmailToken }, { token: a.token, lang: 'zh-CN' });
  assert.notEqual(zh.statusCode, 200);
  assert.match(zh.message, /[\u4e00-\u9fff]/);
});

test('verifyUpdatePhoneRequest + updatePhone: old and new numbers proven; the ManagementClient sees the number', async () => {
  const a = await emailUser();
  const first = cnPhone();
  data(await a.auth.bindPhone({ phoneNumber: first, passCode: await smsCode(a.auth, first, 'CHANNEL_BIND_PHONE') }));
  const next = cnPhone();
  const oldCode = await smsCode(a.auth, first, 'CHANNEL_UNBIND_PHONE');
  const newCode = await smsCode(a.auth, next, 'CHANNEL_BIND_PHONE');
  refused(await a.auth.verifyUpdatePhoneRequest({
    verifyMethod: 'PHONE_PASSCODE',
    phonePassCodePayload: { newPhoneNumber: next, newPhonePassCode: wrong(newCode), oldPhoneNumber: first, oldPhonePassCode: oldCode },
  }));
  // The refused attempt used the old code; a fresh one proves the old number again.
  await sleep(RESEND_WAIT_MS);
  const oldCode2 = await smsCode(a.auth, first, 'CHANNEL_UNBIND_PHONE');
  const v = data(await a.auth.verifyUpdatePhoneRequest({
    verifyMethod: 'PHONE_PASSCODE',
    phonePassCodePayload: { newPhoneNumber: next, newPhonePassCode: newCode, oldPhoneNumber: first, oldPhonePassCode: oldCode2 },
  }));
  assert.ok(v.updatePhoneToken);
  refused(await a.auth.updateEmail({ updateEmailToken: v.updatePhoneToken }), {}, 'an email flow does not take a phone token');
  assert.equal(data(await a.auth.updatePhone({ updatePhoneToken: v.updatePhoneToken })).success, true);
  refused(await a.auth.updatePhone({ updatePhoneToken: v.updatePhoneToken }));
  assert.equal(data(await mc.getUser({ userId: a.user.userId })).phone, next);
});

test('verifyResetPasswordRequest (no login) + resetPassword; updatePassword with a passwordResetToken of the session user only', async () => {
  const a = await emailUser();
  const anon = v3Auth(P);
  const code = await mailCode(anon, a.email, 'CHANNEL_RESET_PASSWORD');
  refused(await anon.verifyResetPasswordRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { email: a.email, passCode: wrong(code) } }));
  const v = data(await anon.verifyResetPasswordRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { email: a.email, passCode: code } }));
  assert.ok(v.passwordResetToken);
  refused(await anon.resetPassword({ password: 'x', passwordResetToken: v.passwordResetToken }), {}, 'too weak: token kept');
  assert.equal(data(await anon.resetPassword({ password: 'Res3t-Passw0rd', passwordResetToken: v.passwordResetToken })).success, true);
  refused(await anon.resetPassword({ password: 'Res3t-Again1', passwordResetToken: v.passwordResetToken }), {}, 'single use');
  assert.ok(data(await v3Auth(P).signInByEmailPassword({ email: a.email, password: 'Res3t-Passw0rd' })).access_token);

  // updatePassword: a reset token replaces the old password, but only the owner's.
  const b = await emailUser();
  const bCode = await mailCode(anon, b.email, 'CHANNEL_RESET_PASSWORD');
  const bToken = data(await anon.verifyResetPasswordRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { email: b.email, passCode: bCode } })).passwordResetToken;
  refused(await a.auth.updatePassword({ newPassword: 'Stol3n-Passw0rd', passwordResetToken: bToken }));
  data(await b.auth.updatePassword({ newPassword: 'By-T0ken-Passw0rd', passwordResetToken: bToken }));
  assert.ok(data(await v3Auth(P).signInByEmailPassword({ email: b.email, password: 'By-T0ken-Passw0rd' })).access_token);
});

test('verifyDeleteAccountRequest (password or own email code) + deleteAccount; the user is gone for the ManagementClient', async () => {
  const a = await emailUser();
  const b = await emailUser();
  refused(await a.auth.verifyDeleteAccountRequest({ verifyMethod: 'PASSWORD', passwordPayload: { password: 'wrong-Passw0rd' } }));
  // A delete code of someone else's address proves nothing about this account.
  const bCode = await mailCode(b.auth, b.email, 'CHANNEL_DELETE_ACCOUNT');
  refused(await a.auth.verifyDeleteAccountRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { email: b.email, passCode: bCode } }));
  // A code of another channel is not a delete code.
  const loginCode = await mailCode(a.auth, a.email, 'CHANNEL_LOGIN');
  refused(await a.auth.verifyDeleteAccountRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { passCode: loginCode } }));

  const byPassword = data(await a.auth.verifyDeleteAccountRequest({ verifyMethod: 'PASSWORD', passwordPayload: { password: PASSWORD } }));
  assert.ok(byPassword.deleteAccountToken && byPassword.tokenExpiresIn > 0);
  refused(await b.auth.deleteAccount({ deleteAccountToken: byPassword.deleteAccountToken }), {}, 'another user\'s token');
  assert.ok(data(await mc.getUser({ userId: b.user.userId })).userId, 'b still there');

  const code = await mailCode(a.auth, a.email, 'CHANNEL_DELETE_ACCOUNT');
  const byCode = data(await a.auth.verifyDeleteAccountRequest({ verifyMethod: 'EMAIL_PASSCODE', emailPassCodePayload: { passCode: code } }));
  assert.equal(data(await a.auth.deleteAccount({ deleteAccountToken: byCode.deleteAccountToken })).success, true);
  refused(await mc.getUser({ userId: a.user.userId }));
  refused(await a.auth.getProfile({}), {}, 'the session died with the user');
  refused(await v3Auth(P).signInByEmailPassword({ email: a.email, password: PASSWORD }));
});

test('validatePassword follows the pool\'s password rules; preCheckCode checks without using the code', async () => {
  const auth = v3Auth(P);
  assert.equal(data(await auth.validatePassword({ password: 'Str0ng-Enough!' })).valid, true);
  assert.equal(data(await auth.validatePassword({ password: 'x' })).valid, false);
  refused(await auth.validatePassword({}));

  const email = uniqueEmail('pre');
  const code = await mailCode(auth, email, 'CHANNEL_REGISTER');
  const bad = data(await auth.preCheckCode({ codeType: 'EMAIL', emailCodePayload: { email, passCode: wrong(code), channel: 'CHANNEL_REGISTER' } }));
  assert.equal(bad.isValid, false);
  assert.ok(bad.message);
  assert.equal(data(await auth.preCheckCode({ codeType: 'EMAIL', emailCodePayload: { email, passCode: code, channel: 'CHANNEL_LOGIN' } })).isValid, false, 'another channel');
  assert.equal(data(await auth.preCheckCode({ codeType: 'EMAIL', emailCodePayload: { email, passCode: code, channel: 'CHANNEL_REGISTER' } })).isValid, true);
  // Still good for the flow it was sent for.
  assert.equal(data(await auth.signUpByEmailCode({ email, passCode: code })).email, email);
  assert.equal(data(await auth.preCheckCode({ codeType: 'EMAIL', emailCodePayload: { email, passCode: code, channel: 'CHANNEL_REGISTER' } })).isValid, false, 'used now');

  const phone = cnPhone();
  const pc = await smsCode(auth, phone, 'CHANNEL_LOGIN');
  assert.equal(data(await auth.preCheckCode({ codeType: 'SMS', smsCodePayload: { phone, passCode: pc, channel: 'CHANNEL_LOGIN' } })).isValid, true);
  refused(await auth.preCheckCode({ codeType: 'FAX' }));
});

test('account calls without a session are refused, never a 5xx', async () => {
  const auth = v3Auth(P);
  refused(await auth.bindEmail({ email: uniqueEmail('n'), passCode: '123456' }));
  refused(await auth.getSecurityLevel());
  refused(await auth.updateEmail({ updateEmailToken: 'x' }));
  refused(await auth.deleteAccount({ deleteAccountToken: 'x' }));
  refused(await auth.verifyDeleteAccountRequest({ verifyMethod: 'PASSWORD', passwordPayload: { password: PASSWORD } }));
  const r = await rawCall('/api/v3/delete-account', { deleteAccountToken: 'x' });
  assert.notEqual(r.statusCode, 200);
  assert.match(r.message, /^[\x20-\x7e]+$/);
});
