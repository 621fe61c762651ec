// Verification codes: sendSmsCode / sendEmail (every EmailScene of the seed), registration
// and login by phone or email code, password reset by phone or email code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, pool, uniqueEmail, cnPhone, ukPhone, rejectsWith, PASSWORD, newEmailUser,
  newPhoneUser, smsCode, emailCode, withSms, wrongCode, sleep, RESEND_WAIT_MS,
  mailboxSeq, waitMail
} from './helpers.mjs';

// --- sendSmsCode ------------------------------------------------------------------------

test('sendSmsCode(phone): the webhook receives the code for this pool', async () => {
  const phone = cnPhone();
  const { result, sms } = await withSms(phone, undefined, () => client().sendSmsCode(phone));
  assert.match(sms.code, /^\d{4,8}$/);
  assert.equal(sms.phone, phone);
  assert.equal(sms.phoneCountryCode, '+86');
  assert.equal(sms.userPoolId, pool().userPoolId);
  // The SDK returns `data` of the envelope; whatever it is, the call succeeded.
  assert.notEqual(result === false, true);
});

test('sendSmsCode(phone, "+44"): international number', async () => {
  const phone = ukPhone();
  const { sms } = await withSms(phone, '+44', () => client().sendSmsCode(phone, '+44'));
  assert.equal(sms.phone, phone);
  assert.equal(sms.phoneCountryCode, '+44');
  assert.match(sms.code, /^\d{4,8}$/);
});

test('sendSmsCode: a resend within the interval is refused', async () => {
  const phone = cnPhone();
  await smsCode(client(), phone);
  await rejectsWith(client().sendSmsCode(phone), 'numeric');
});

// --- sendEmail --------------------------------------------------------------------------

const SEED_SCENES = [
  'RESET_PASSWORD_VERIFY_CODE',
  'FIRST_EMAIL_LOGIN_VERIFY',
  'CONSOLE_CONDUCTED_VERIFY',
  'EMAIL_BIND_VERIFY_CODE',
  'EMAIL_UNBIND_VERIFY_CODE',
  'REGISTER_VERIFY_CODE',
  'LOGIN_VERIFY_CODE',
  'MFA_VERIFY_CODE',
  'INFORMATION_COMPLETION_VERIFY_CODE'
];

for (const scene of SEED_SCENES) {
  test(`sendEmail(email, ${scene}) answers {code: 200} and delivers an email`, async () => {
    // Scenes about an account go to a registered user; REGISTER and BIND to a new address.
    const fresh = scene === 'REGISTER_VERIFY_CODE' || scene === 'EMAIL_BIND_VERIFY_CODE';
    const email = fresh ? uniqueEmail('scene') : (await newEmailUser()).email;
    const since = await mailboxSeq();
    const res = await client().sendEmail(email, scene);
    assert.equal(res.code, 200);
    assert.equal(typeof res.message, 'string');
    const mail = await waitMail(email, since);
    assert.ok(mail.to.map(t => t.toLowerCase()).includes(email.toLowerCase()));
    assert.ok(mail.subject.length > 0, 'the email has a subject');
    if (scene.endsWith('_CODE')) {
      assert.match(mail.code ?? '', /^\d{4,8}$/, `a ${scene} email carries a code: ${mail.text}`);
    }
  });
}

// --- registerByPhoneCode ----------------------------------------------------------------

test('registerByPhoneCode(phone, code): phone set, +86 by default', async () => {
  const phone = cnPhone();
  const c = client();
  const code = await smsCode(c, phone);
  const user = await c.registerByPhoneCode(phone, code);
  assert.equal(user.phone, phone);
  assert.equal(user.phoneCountryCode, '+86');
  assert.equal(user.userPoolId, pool().userPoolId);
  assert.equal(user.arn, `arn:cn:authing:${pool().userPoolId}:user:${user.id}`);
  assert.ok(user.registerSource.length > 0);
});

test('registerByPhoneCode(ukPhone, code, null, null, {phoneCountryCode: "+44"})', async () => {
  const phone = ukPhone();
  const c = client();
  const code = await smsCode(c, phone, '+44');
  const user = await c.registerByPhoneCode(phone, code, null, null, { phoneCountryCode: '+44' });
  assert.equal(user.phone, phone);
  assert.equal(user.phoneCountryCode, '+44');
});

test('registerByPhoneCode with password and profile → phone + password login works', async () => {
  const phone = cnPhone();
  const c = client();
  const code = await smsCode(c, phone);
  const user = await c.registerByPhoneCode(phone, code, 'passw0rd', {
    nickname: 'Nick',
    company: '蒸汽记忆'
  });
  assert.equal(user.nickname, 'Nick');
  assert.equal(user.company, '蒸汽记忆');
  const logged = await client().loginByPhonePassword(phone, 'passw0rd');
  assert.equal(logged.id, user.id);
});

test('registerByPhoneCode with profile only, and with customData', async () => {
  const p1 = cnPhone();
  const c1 = client();
  const u1 = await c1.registerByPhoneCode(p1, await smsCode(c1, p1), null, {
    nickname: 'Nick',
    company: '蒸汽记忆'
  });
  assert.equal(u1.nickname, 'Nick');
  const p2 = cnPhone();
  const c2 = client();
  const u2 = await c2.registerByPhoneCode(p2, await smsCode(c2, p2), null, null, {
    customData: { source: 'google' },
    forceLogin: true
  });
  const udf = await c2.getUdfValue();
  assert.equal(udf.source, 'google');
  assert.equal(u2.phone, p2);
});

test('registerByPhoneCode: wrong code → 2001', async () => {
  const phone = cnPhone();
  const c = client();
  const code = await smsCode(c, phone);
  await rejectsWith(c.registerByPhoneCode(phone, wrongCode(code), PASSWORD), 2001);
});

test('registerByPhoneCode: phone already registered → 2035', async () => {
  const { phone } = await newPhoneUser();
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone);
  await rejectsWith(c.registerByPhoneCode(phone, code, PASSWORD), 2035);
});

// --- registerByEmailCode ----------------------------------------------------------------

test('registerByEmailCode(email, code) with a REGISTER_VERIFY_CODE email', async () => {
  const email = uniqueEmail('rec');
  const c = client();
  const code = await emailCode(c, email, 'REGISTER_VERIFY_CODE');
  const user = await c.registerByEmailCode(email, code, { nickname: 'Nick' });
  assert.equal(user.email, email);
  assert.equal(user.nickname, 'Nick');
  assert.equal(user.userPoolId, pool().userPoolId);
  await rejectsWith(client().registerByEmailCode(uniqueEmail('rec'), code), 'numeric');
});

// --- loginByPhoneCode -------------------------------------------------------------------

test('loginByPhoneCode(phone, code) with clientIp and customData', async () => {
  const { phone, user: reg } = await newPhoneUser();
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone);
  const user = await c.loginByPhoneCode(phone, code, {
    clientIp: '1.1.1.1',
    customData: { source: 'google' }
  });
  assert.equal(user.id, reg.id);
  assert.equal(typeof user.token, 'string');
  assert.equal(user.customData.source, 'google');
  assert.equal(user.lastIP, '1.1.1.1');
});

test('loginByPhoneCode(ukPhone, code, {phoneCountryCode: "+44"})', async () => {
  const { phone, user: reg } = await newPhoneUser('main', { phone: ukPhone(), phoneCountryCode: '+44' });
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone, '+44');
  const user = await c.loginByPhoneCode(phone, code, { phoneCountryCode: '+44' });
  assert.equal(user.id, reg.id);
  assert.equal(user.phoneCountryCode, '+44');
});

test('loginByPhoneCode: wrong code → 2001', async () => {
  const { phone } = await newPhoneUser();
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone);
  await rejectsWith(c.loginByPhoneCode(phone, wrongCode(code)), 2001);
});

// --- loginByEmailCode -------------------------------------------------------------------

test('loginByEmailCode(email, code) with a LOGIN_VERIFY_CODE email', async () => {
  const { email, user: reg } = await newEmailUser();
  const c = client();
  const code = await emailCode(c, email, 'LOGIN_VERIFY_CODE');
  const user = await c.loginByEmailCode(email, code);
  assert.equal(user.id, reg.id);
  assert.equal(typeof user.token, 'string');
  const me = await c.getCurrentUser();
  assert.equal(me.id, reg.id);
});

// --- reset password ---------------------------------------------------------------------

test('resetPasswordByPhoneCode then login with the new password', async () => {
  const { phone } = await newPhoneUser('main', { password: PASSWORD });
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone);
  const res = await c.resetPasswordByPhoneCode(phone, code, 'newPassw0rd');
  assert.equal(res.code, 200);
  assert.equal(typeof res.message, 'string');
  const user = await client().loginByPhonePassword(phone, 'newPassw0rd');
  assert.equal(user.phone, phone);
  await rejectsWith(client().loginByPhonePassword(phone, PASSWORD), 2006);
});

test('resetPasswordByPhoneCode(ukPhone, code, password, "+44")', async () => {
  const { phone } = await newPhoneUser('main', { phone: ukPhone(), phoneCountryCode: '+44', password: PASSWORD });
  await sleep(RESEND_WAIT_MS);
  const c = client();
  const code = await smsCode(c, phone, '+44');
  const res = await c.resetPasswordByPhoneCode(phone, code, 'passw0rd2', '+44');
  assert.equal(res.code, 200);
});

test('resetPasswordByEmailCode (RESET_PASSWORD_VERIFY_CODE) then login', async () => {
  const { email } = await newEmailUser();
  const c = client();
  const code = await emailCode(c, email, 'RESET_PASSWORD_VERIFY_CODE');
  const res = await c.resetPasswordByEmailCode(email, code, 'newPassw0rd');
  assert.equal(res.code, 200);
  const user = await client().loginByEmail(email, 'newPassw0rd');
  assert.equal(user.email, email);
  await rejectsWith(client().loginByEmail(email, PASSWORD), 2006);
});

test('resetPasswordByEmailCode: wrong code → 2001', async () => {
  const { email } = await newEmailUser();
  const c = client();
  const code = await emailCode(c, email, 'RESET_PASSWORD_VERIFY_CODE');
  await rejectsWith(c.resetPasswordByEmailCode(email, wrongCode(code), 'newPassw0rd'), 2001);
});
