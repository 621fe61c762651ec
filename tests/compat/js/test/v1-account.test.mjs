// The legacy SDK (`authing-js-sdk@3.22.3`, seed 002) for codes and account changes: the SMS
// REST calls, checkPhoneCode, registration and logins by phone, updateEmail/updatePhone,
// the three-step password reset, sendVerifyEmail and unbindEmail, through the SDK from npm
// against a live Tessera, with the codes read from the harness mailbox.
//
// The SDK keeps one user token per pool for the whole process (`v1-legacy-wire.md` §4):
// after the first login here every "auto" call of `v1Account` goes out with the token of
// the user who logged in last, so each test logs in the user it acts for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TESSERA_URL,
  HAS_CJK,
  RESEND_WAIT_MS,
  client,
  cnPhone,
  mgmt,
  pool,
  sleep,
  uniqueEmail,
  waitMail,
  withMail,
  withSms,
  wrongCode,
  mailboxSeq,
} from './helpers.mjs';
import { Authing, v1, v1Options, v1Raw, v1Rejects } from './v1-helpers.mjs';

const POOL = 'v1Account';
const PASSWORD = 'Passw0rd!acct';
const NEW_PASSWORD = 'N3w-Passw0rd!acct';

/** The owner token of a pool, bought as the SDK buys it at construction. */
async function ownerToken(name) {
  const p = pool(name);
  const raw = await v1Raw(
    `query { getClientWhenSdkInit(secret: "${p.secret}", clientId: "${p.userPoolId}"){ accessToken } }`
  );
  return raw.data.getClientWhenSdkInit.accessToken;
}

/**
 * Awaits a REST call of the SDK that must fail: the SDK rejects with
 * `Error(JSON.stringify(body))` when `body.code !== 200`. Returns the parsed body.
 */
async function restRejects(promise, code, note = '') {
  let value;
  try {
    value = await promise;
  } catch (e) {
    assert.ok(e instanceof Error, `${note} the SDK rejects with an Error: ${e}`);
    let body;
    try {
      body = JSON.parse(e.message);
    } catch {
      assert.fail(`${note} the rejection is not the SDK's JSON body (an HTTP error?): ${e.message}`);
    }
    assert.equal(body.code, code, `${note} ${e.message}`);
    assert.equal(typeof body.message, 'string');
    assert.ok(body.message.length > 0, `${note} empty message`);
    return body;
  }
  assert.fail(`${note} expected a rejection with code ${code}, got ${JSON.stringify(value)}`);
}

/** A raw GET of a REST path, as axios sends it: the status and the parsed JSON body. */
async function restGet(path, lang) {
  const headers = lang ? { 'x-authing-lang': lang } : {};
  const res = await fetch(`${TESSERA_URL}${path}`, { headers });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { unparsable: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

/** Sends `getVerificationCode` and returns the code the SMS carried. */
async function loginCode(auth, phone) {
  const { result, code } = await withSms(phone, undefined, () => auth.getVerificationCode(phone));
  assert.deepEqual([result.code, result.message], [200, '发送成功']);
  return code;
}

/** A registered phone user (sendRegisterPhoneCode → register), with a password. */
async function phoneUser(auth) {
  const phone = cnPhone();
  const { code } = await withSms(phone, undefined, () => auth.sendRegisterPhoneCode(phone));
  const user = await auth.register({ phone, phoneCode: code, password: PASSWORD });
  return { phone, user };
}

const CHECK_PHONE_CODE = `query checkPhoneCode($phone: String!, $phoneCode: String!, $userPoolId: String!) {
  checkPhoneCode(phone: $phone, phoneCode: $phoneCode, userPoolId: $userPoolId) { code message status } }`;

// ---------------------------------------------------------------------------------------
// REST

test('GET /system/status answers {code: 200}; the SDK preflight passes against it', async () => {
  const { status, body } = await restGet('/system/status');
  assert.equal(status, 200);
  assert.equal(body.code, 200);
  const seen = [];
  const auth = await v1(POOL, {
    preflightUrl: { users: `${TESSERA_URL}/system/status`, oauth: `${TESSERA_URL}/system/status` },
    onInitError: (e) => seen.push(e),
  });
  const [users, oauth] = await auth.preflightFun();
  assert.equal(users.data.code, 200);
  assert.equal(oauth.data.code, 200);
  assert.deepEqual(seen, []);
});

test('getVerificationCode sends an SMS; a resend too soon rejects with the body (500)', async () => {
  const auth = await v1(POOL);
  const phone = cnPhone();
  const code = await loginCode(auth, phone);
  assert.match(code, /^\d{6}$/);
  const body = await restRejects(auth.getVerificationCode(phone), 500, 'resend');
  assert.ok(HAS_CJK.test(body.message), `zh-CN by default: ${body.message}`);
  // The same failure in English, for a caller that asks for it.
  const en = await restGet(`/send_smscode/${phone}/${pool(POOL).userPoolId}`, 'en-US');
  assert.equal(en.status, 200);
  assert.equal(en.body.code, 500);
  assert.ok(!HAS_CJK.test(en.body.message), en.body.message);
  // After the interval a new code goes out.
  await sleep(RESEND_WAIT_MS);
  const again = await loginCode(auth, phone);
  assert.match(again, /^\d{6}$/);
});

test('the SMS REST calls answer every failure as HTTP 200 JSON: unknown pool, bad segments', async () => {
  const phone = cnPhone();
  for (const path of [
    `/send_smscode/${phone}/no-such-pool`,
    `/notification/send_register_smscode/${phone}/no-such-pool`,
  ]) {
    const { status, body } = await restGet(path);
    assert.equal(status, 200, path);
    assert.equal(body.code, 2224, `${path}: ${JSON.stringify(body)}`);
    assert.ok(HAS_CJK.test(body.message));
  }
  const en = await restGet(`/send_smscode/${phone}/no-such-pool`, 'en-US');
  assert.equal(en.body.code, 2224);
  assert.ok(!HAS_CJK.test(en.body.message), en.body.message);
  const id = pool(POOL).userPoolId;
  for (const path of [
    `/send_smscode/${'1'.repeat(100)}/${id}`,
    `/send_smscode/${phone}/${'p'.repeat(200)}`,
    `/send_smscode/%FF%FE/${id}`,
    `/notification/send_register_smscode/not-a-phone/${id}`,
  ]) {
    const { status, body } = await restGet(path);
    assert.equal(status, 200, path);
    assert.equal(typeof body.code, 'number', `${path}: ${JSON.stringify(body)}`);
    assert.notEqual(body.code, 200, path);
  }
  assert.equal((await restGet(`/send_smscode/${'1'.repeat(100)}/${id}`)).body.code, 2231);
});

// ---------------------------------------------------------------------------------------
// Registration and logins by phone, checkPhoneCode

test('sendRegisterPhoneCode → register; a wrong or used code is refused; loginByPhonePassword', async () => {
  const auth = await v1(POOL);
  const phone = cnPhone();
  const { code } = await withSms(phone, undefined, () => auth.sendRegisterPhoneCode(phone));
  await v1Rejects(auth.register({ phone, phoneCode: wrongCode(code), password: PASSWORD }), 2001);
  const user = await auth.register({ phone, phoneCode: code, password: PASSWORD });
  assert.equal(user.phone, phone);
  // A code belongs to its number: another number cannot use it.
  await v1Rejects(auth.register({ phone: cnPhone(), phoneCode: code, password: PASSWORD }), 2001);
  await restRejects(auth.sendRegisterPhoneCode(phone), 500, 'register resend too soon');

  const logged = await auth.loginByPhonePassword({ phone, password: PASSWORD });
  assert.equal(logged._id, user._id);
  assert.equal(typeof logged.token, 'string');
  await v1Rejects(auth.loginByPhonePassword({ phone, password: 'Wrong-Passw0rd' }), [2006, 2333]);
});

test('verifyPhoneCode checks without using the code up; wrong guesses are counted', async () => {
  const auth = await v1(POOL);
  const { phone, user } = await phoneUser(auth);
  await sleep(RESEND_WAIT_MS);
  const code = await loginCode(auth, phone);

  const wrong = await auth.verifyPhoneCode({ phone, phoneCode: wrongCode(code) });
  assert.deepEqual([wrong.status, wrong.code], [false, 2001]);
  assert.ok(HAS_CJK.test(wrong.message));
  const right = await auth.verifyPhoneCode({ phone, phoneCode: code });
  assert.deepEqual(right, { code: 200, message: '验证码正确', status: true });
  // Checking again is still right: the check does not spend the code ...
  assert.equal((await auth.verifyPhoneCode({ phone, phoneCode: code })).status, true);
  // ... so the login that follows can.
  const logged = await auth.loginByPhoneCode({ phone, phoneCode: code });
  assert.equal(logged._id, user._id);
  assert.equal(typeof logged.token, 'string');
  // Used now.
  const used = await auth.verifyPhoneCode({ phone, phoneCode: code });
  assert.deepEqual([used.status, used.code], [false, 2001]);

  // The check is no free oracle: the pool's five attempts per code are spent by it, after
  // which the right code is refused too.
  await sleep(RESEND_WAIT_MS);
  const next = await loginCode(auth, phone);
  for (let i = 0; i < 5; i++) {
    const r = await auth.verifyPhoneCode({ phone, phoneCode: wrongCode(next) });
    assert.equal(r.status, false);
  }
  assert.equal((await auth.verifyPhoneCode({ phone, phoneCode: next })).status, false);
  await v1Rejects(auth.loginByPhoneCode({ phone, phoneCode: next }), 2001);
});

test('checkPhoneCode: owner token of this pool only, English on request, unknown pool', async () => {
  const id = pool(POOL).userPoolId;
  const vars = { phone: cnPhone(), phoneCode: '123456', userPoolId: id };
  const anon = await v1Raw(CHECK_PHONE_CODE, vars);
  assert.equal(anon.errors[0].message.code, 2020, JSON.stringify(anon));
  const other = await v1Raw(CHECK_PHONE_CODE, vars, { token: await ownerToken('v1Other') });
  assert.equal(other.errors[0].message.code, 1001, JSON.stringify(other));
  const unknown = await v1Raw(CHECK_PHONE_CODE, { ...vars, userPoolId: 'no-such-pool' });
  assert.equal(unknown.errors[0].message.code, 2224, JSON.stringify(unknown));
  const en = await v1Raw(CHECK_PHONE_CODE, vars, { token: await ownerToken(POOL), lang: 'en-US' });
  assert.equal(en.errors, undefined);
  assert.deepEqual([en.data.checkPhoneCode.status, en.data.checkPhoneCode.code], [false, 2001]);
  assert.ok(!HAS_CJK.test(en.data.checkPhoneCode.message), en.data.checkPhoneCode.message);
});

test('loginByPhoneCode: a code with a leading zero survives the SDK\'s parseInt', async () => {
  const auth = await v1(POOL);
  // A code starts with 0 one time in ten: send to fresh numbers until one does.
  let phone;
  let code;
  for (let i = 0; i < 120 && !code; i++) {
    const p = cnPhone();
    const c = await loginCode(auth, p);
    if (c.startsWith('0')) [phone, code] = [p, c];
  }
  assert.ok(code, 'no code with a leading zero in 120 sends');
  const created = await mgmt(POOL).users.create({ phone, password: PASSWORD });
  const logged = await auth.loginByPhoneCode({ phone, phoneCode: code });
  assert.equal(logged._id, created.id);
  assert.equal(logged.phone, phone);
});

// ---------------------------------------------------------------------------------------
// Email and phone changes

test('updateEmail with both codes, then login with the new email; the old one is gone', async () => {
  const auth = await v1(POOL);
  const email = uniqueEmail('v1acct');
  const fresh = uniqueEmail('v1new');
  await auth.register({ email, password: PASSWORD });
  await auth.login({ email, password: PASSWORD });

  // Without the old email's proof the pool (verify old email: on) refuses.
  const { result, code } = await withMail(fresh, () =>
    auth.sendChangeEmailVerifyCode({ email: fresh })
  );
  assert.deepEqual([result.code, result.message, result.status], [200, '成功', true]);
  await v1Rejects(auth.updateEmail({ email: fresh, emailCode: code }), 2227);
  const { code: oldCode } = await withMail(email, () =>
    auth.sendChangeEmailVerifyCode({ email })
  );
  await v1Rejects(
    auth.updateEmail({ email: fresh, emailCode: wrongCode(code), oldEmail: email, oldEmailCode: oldCode }),
    2001
  );
  // The wrong try used the old email's code (checked first); ask for another one.
  await sleep(RESEND_WAIT_MS);
  const { code: oldCode2 } = await withMail(email, () =>
    auth.sendChangeEmailVerifyCode({ email })
  );
  const updated = await auth.updateEmail({
    email: fresh,
    emailCode: code,
    oldEmail: email,
    oldEmailCode: oldCode2,
  });
  assert.equal(updated.email, fresh);
  assert.equal(updated.emailVerified, true);

  const logged = await auth.login({ email: fresh, password: PASSWORD });
  assert.equal(logged._id, updated._id);
  await v1Rejects(auth.login({ email, password: PASSWORD }), [2004, 2333, 2006]);
});

test('sendChangeEmailVerifyCode refuses an address another account holds; needs a login', async () => {
  const auth = await v1(POOL);
  const taken = uniqueEmail('v1taken');
  await auth.register({ email: taken, password: PASSWORD });
  const email = uniqueEmail('v1me');
  await auth.register({ email, password: PASSWORD });
  await auth.login({ email, password: PASSWORD });
  const err = await v1Rejects(auth.sendChangeEmailVerifyCode({ email: taken }), 2200);
  assert.ok(HAS_CJK.test(err.message));
  const vars = { email: uniqueEmail('x'), userPoolId: pool(POOL).userPoolId };
  const q = `mutation s($email: String!, $userPoolId: String!) {
    sendChangeEmailVerifyCode(email: $email, userPoolId: $userPoolId) { code message status } }`;
  const anon = await v1Raw(q, vars);
  assert.equal(anon.errors[0].message.code, 2020, JSON.stringify(anon));
  // A user of another pool cannot send this pool's codes. (Through the 4.x SDK: a 3.x
  // instance of another pool would become the SDK's "default" token slot, where every
  // later 3.x login of this file would store its token, §4.)
  const otherUser = await client('v1Other').registerByEmail(uniqueEmail('v1o'), PASSWORD, null, {
    forceLogin: true,
  });
  const cross = await v1Raw(q, vars, { token: otherUser.token });
  assert.equal(cross.errors[0].message.code, 1001, JSON.stringify(cross));
});

test('updatePhone with the codes of getVerificationCode; login with the new number', async () => {
  const auth = await v1(POOL);
  const { phone, user } = await phoneUser(auth);
  await auth.loginByPhonePassword({ phone, password: PASSWORD });
  const fresh = cnPhone();
  await sleep(RESEND_WAIT_MS);
  const oldCode = await loginCode(auth, phone);
  const newCode = await loginCode(auth, fresh);
  await v1Rejects(auth.updatePhone({ phone: fresh, phoneCode: newCode }), 2228);
  const updated = await auth.updatePhone({
    phone: fresh,
    phoneCode: newCode,
    oldPhone: phone,
    oldPhoneCode: oldCode,
  });
  assert.equal(updated._id, user._id);
  assert.equal(updated.phone, fresh);
  const logged = await auth.loginByPhonePassword({ phone: fresh, password: PASSWORD });
  assert.equal(logged._id, user._id);
  await v1Rejects(auth.loginByPhonePassword({ phone, password: PASSWORD }), [2004, 2333, 2006]);
});

// ---------------------------------------------------------------------------------------
// Password reset

test('reset: send, verify (not spent), changePassword; new password works, old refused', async () => {
  const auth = await v1(POOL);
  const email = uniqueEmail('v1reset');
  const user = await auth.register({ email, password: PASSWORD });
  const { result, code } = await withMail(email, () => auth.sendResetPasswordEmail({ email }));
  assert.deepEqual([result.message, result.code], ['成功', 200]);
  // A second email inside the resend interval is refused (a GraphQL error here).
  await v1Rejects(auth.sendResetPasswordEmail({ email }), 500);

  await v1Rejects(auth.verifyResetPasswordVerifyCode({ email, verifyCode: wrongCode(code) }), 2001);
  const verified = await auth.verifyResetPasswordVerifyCode({ email, verifyCode: code });
  assert.deepEqual([verified.message, verified.code], ['验证成功，请输入新密码', 200]);

  const changed = await auth.changePassword({ email, password: NEW_PASSWORD, verifyCode: code });
  assert.equal(changed._id, user._id);
  assert.equal(changed.email, email);
  // The code is spent now, by step 3 only.
  await v1Rejects(auth.verifyResetPasswordVerifyCode({ email, verifyCode: code }), 2001);
  await v1Rejects(auth.changePassword({ email, password: PASSWORD, verifyCode: code }), 2001);

  const logged = await auth.login({ email, password: NEW_PASSWORD });
  assert.equal(logged._id, user._id);
  await v1Rejects(auth.login({ email, password: PASSWORD }), [2006, 2333]);
});

test('reset: verifying counts attempts; after five wrong guesses the code is dead', async () => {
  const auth = await v1(POOL);
  const email = uniqueEmail('v1reset');
  await auth.register({ email, password: PASSWORD });
  const { code } = await withMail(email, () => auth.sendResetPasswordEmail({ email }));
  for (let i = 0; i < 5; i++) {
    await v1Rejects(auth.verifyResetPasswordVerifyCode({ email, verifyCode: wrongCode(code) }), 2001);
  }
  await v1Rejects(auth.verifyResetPasswordVerifyCode({ email, verifyCode: code }), 2001);
  await v1Rejects(auth.changePassword({ email, password: NEW_PASSWORD, verifyCode: code }), 2001);
  await auth.login({ email, password: PASSWORD });
});

test('reset: the pool comes from client; an unknown pool and another pool\'s token are refused; en-US', async () => {
  const q = `mutation r($email: String!, $client: String!) {
    sendResetPasswordEmail(email: $email, client: $client) { message code } }`;
  const email = uniqueEmail('v1r');
  const unknown = await v1Raw(q, { email, client: 'no-such-pool' });
  assert.equal(unknown.errors[0].message.code, 2224, JSON.stringify(unknown));
  const cross = await v1Raw(q, { email, client: pool(POOL).userPoolId }, {
    token: await ownerToken('v1Other'),
  });
  assert.equal(cross.errors[0].message.code, 1001, JSON.stringify(cross));
  const since = await mailboxSeq();
  const en = await v1Raw(q, { email, client: pool(POOL).userPoolId }, { lang: 'en-US' });
  assert.equal(en.errors, undefined, JSON.stringify(en));
  assert.deepEqual(en.data.sendResetPasswordEmail, { message: 'Success', code: 200 });
  await waitMail(email, since);
  const bad = await v1Raw(
    `mutation c($email: String!, $client: String!, $password: String!, $verifyCode: String!) {
      changePassword(email: $email, client: $client, password: $password, verifyCode: $verifyCode) { _id } }`,
    { email, client: pool(POOL).userPoolId, password: 'not-rsa', verifyCode: '123456' },
    { lang: 'en-US' }
  );
  assert.equal(typeof bad.errors[0].message.code, 'number');
  assert.ok(!HAS_CJK.test(bad.errors[0].message.message), bad.errors[0].message.message);
});

// ---------------------------------------------------------------------------------------
// Verification email, unbindEmail

test('sendVerifyEmail sends the verification email', async () => {
  const auth = await v1(POOL);
  const email = uniqueEmail('v1verify');
  await auth.register({ email, password: PASSWORD });
  const { result, mail } = await withMail(email, () => auth.sendVerifyEmail({ email }));
  assert.deepEqual(result, { message: '发送验证邮件成功', code: 200, status: true });
  assert.match(mail.subject, /验证邮箱/);
  await v1Rejects(auth.sendVerifyEmail({ email }), 500);
});

test('unbindEmail is refused (2217) for an email-only user', async () => {
  const auth = await v1(POOL);
  const email = uniqueEmail('v1only');
  const user = await auth.register({ email, password: PASSWORD });
  await auth.login({ email, password: PASSWORD });
  await v1Rejects(auth.unbindEmail(), 2217);
  await v1Rejects(auth.unbindEmail({ user: user._id, client: user.registerInClient }), 2217);
  const logged = await auth.login({ email, password: PASSWORD });
  assert.equal(logged.email, email);
});

test('unbindEmail: the user himself (args optional), not another user; the owner any user', async () => {
  const auth = await v1(POOL);
  const admin = mgmt(POOL);
  const mk = async () => {
    const email = uniqueEmail('v1unbind');
    const u = await admin.users.create({ email, phone: cnPhone(), password: PASSWORD });
    return { email, id: u.id };
  };
  const a = await mk();
  const b = await mk();
  await auth.login({ email: a.email, password: PASSWORD });
  // A user token naming another user is refused, and b keeps his email.
  await v1Rejects(auth.unbindEmail({ user: b.id }), 1001);
  const res = await auth.unbindEmail();
  assert.equal(res._id, a.id);
  assert.equal(res.email, '');
  await v1Rejects(auth.login({ email: a.email, password: PASSWORD }), [2004, 2333, 2006]);
  await v1Rejects(auth.unbindEmail(), 2219);

  // The owner token unbinds any user of its pool; it must name him.
  const owner = await ownerToken(POOL);
  const q = `mutation unbindEmail($user: String, $client: String) {
    unbindEmail(user: $user, client: $client) { _id email emailVerified } }`;
  const none = await v1Raw(q, {}, { token: owner });
  assert.equal(none.errors[0].message.code, 2231, JSON.stringify(none));
  // Another pool's owner reaches neither the pool nor its users.
  const otherOwner = await ownerToken('v1Other');
  const cross = await v1Raw(q, { user: b.id, client: pool(POOL).userPoolId }, { token: otherOwner });
  assert.equal(cross.errors[0].message.code, 1001, JSON.stringify(cross));
  const crossNoClient = await v1Raw(q, { user: b.id }, { token: otherOwner });
  assert.equal(crossNoClient.errors[0].message.code, 2004, JSON.stringify(crossNoClient));
  const anon = await v1Raw(q, { user: b.id, client: pool(POOL).userPoolId });
  assert.equal(anon.errors[0].message.code, 2020, JSON.stringify(anon));
  const done = await v1Raw(q, { user: b.id, client: pool(POOL).userPoolId }, { token: owner });
  assert.equal(done.errors, undefined, JSON.stringify(done));
  assert.deepEqual(done.data.unbindEmail, { _id: b.id, email: '', emailVerified: false });
});

// Last: a 3.x instance of another pool becomes the SDK's "default" token slot (§4), which
// would take the user tokens of every later login in this file.
test('through the SDK, an instance of an unknown pool gets the REST error (2224)', async () => {
  const stray = new Authing({
    userPoolId: 'no-such-pool',
    secret: 'x',
    ...(await v1Options({ onInitError: () => {} })),
  });
  await stray.fetchToken;
  await restRejects(stray.getVerificationCode(cnPhone()), 2224, 'getVerificationCode');
  await restRejects(stray.sendRegisterPhoneCode(cnPhone()), 2224, 'sendRegisterPhoneCode');
});
