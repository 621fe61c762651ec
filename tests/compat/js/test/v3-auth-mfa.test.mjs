// The v3 AuthenticationClient's MFA factors family (authing-node-sdk@4.0.1): enrolling OTP,
// SMS and EMAIL factors in two requests (the TOTP is computed here from the otpauth:// URI
// with node's HMAC-SHA1, the codes are read from the harness mailbox), listing, reading and
// resetting one's own factors, the kinds left to enroll, mfaOtpVerify with its replay
// refusal and attempt limit, and the v3 ManagementClient's getUserMfaInfo seeing the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, stepNow, totpAt } from './totp.mjs';
import { cnPhone, pool, uniqueEmail, waitMail, waitSms, mailboxSeq, TESSERA_URL } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Mfa';
const PASSWORD = 'Passw0rd!mfa';
const mc = v3(P);

/** A user signed up by email and password, with a client holding their access token. */
async function user() {
  const email = uniqueEmail('mfa');
  const u = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const auth = v3Auth(P);
  const t = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
  auth.setAccessToken(t.access_token);
  return { auth, userId: u.userId, email, token: t.access_token };
}

/** The secret of an otpauth:// URI, checked against the key URI format. */
function secretOf(uri) {
  const u = new URL(uri);
  assert.equal(u.protocol, 'otpauth:');
  assert.equal(u.host, 'totp');
  assert.equal(u.searchParams.get('algorithm'), 'SHA1');
  assert.equal(u.searchParams.get('digits'), '6');
  assert.equal(u.searchParams.get('period'), '30');
  return base32Decode(u.searchParams.get('secret'));
}

/** A raw v3 call in a language, for refusals the SDK cannot send and their wording. */
async function rawCall(path, { body, query, token, lang = 'en-US', method = 'POST' } = {}) {
  const headers = { 'content-type': 'application/json', 'x-authing-app-id': pool(P).appId, 'x-authing-lang': lang };
  if (token) headers.authorization = token;
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  const r = await fetch(`${TESSERA_URL}${path}${qs}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });
  assert.ok(r.status < 500, `never a 5xx: ${path} ${r.status}`);
  return r.json();
}

const types = list => list.map(f => f.factorType).sort();

test('OTP: enroll with a TOTP of the URI, QR code is a PNG, verify once per step, recovery code once, reset', async () => {
  const a = await user();
  assert.deepEqual(types(data(await a.auth.listFactorsToEnroll())), ['EMAIL', 'OTP', 'SMS']);
  assert.deepEqual(data(await a.auth.listEnrolledFactors()), []);
  refused(await a.auth.mfaOtpVerify({ totp: '123456' }), { statusCode: 404 }, 'no OTP factor yet');

  const req = data(await a.auth.sendEnrollFactorRequest({ factorType: 'OTP', profile: {} }));
  assert.ok(req.enrollmentToken.length >= 32);
  const { qrCodeUri, qrCodeDataUrl, recoveryCode } = req.otpData;
  const secret = secretOf(qrCodeUri);
  assert.ok(secret.length >= 16, 'at least 128 bits of secret');
  assert.match(qrCodeDataUrl, /^data:image\/png;base64,/);
  const png = Buffer.from(qrCodeDataUrl.slice('data:image/png;base64,'.length), 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 100);
  assert.match(recoveryCode, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);

  const securityBefore = data(await a.auth.getSecurityLevel());
  assert.equal(securityBefore.mfaEnrolled, false);

  // A code of another secret does not enroll, and leaves the token usable.
  const step = stepNow();
  const enrollCode = totpAt(secret, step);
  const other = enrollCode === '000000' ? '111111' : '000000';
  refused(await a.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: other } }));
  // Another kind does not take the token.
  refused(await a.auth.enrollFactor({ factorType: 'SMS', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: enrollCode } }));
  data(await a.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: enrollCode } }));
  refused(await a.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: enrollCode } }),
    { statusCode: 401 }, 'the token is used up');
  refused(await a.auth.sendEnrollFactorRequest({ factorType: 'OTP', profile: {} }), { statusCode: 409 }, 'one OTP factor');

  const enrolled = data(await a.auth.listEnrolledFactors());
  assert.equal(enrolled.length, 1);
  assert.equal(enrolled[0].factorType, 'OTP');
  assert.deepEqual(enrolled[0].profile, {});
  assert.deepEqual(data(await a.auth.getFactor({ factorId: enrolled[0].factorId })), enrolled[0]);
  assert.deepEqual(types(data(await a.auth.listFactorsToEnroll())), ['EMAIL', 'SMS']);
  assert.equal((await mc.getUserMfaInfo({ userId: a.userId })).data.totpStatus, 'ENABLED');
  // The security summary counts the factor.
  const securityAfter = data(await a.auth.getSecurityLevel());
  assert.equal(securityAfter.mfaEnrolled, true);
  assert.ok(securityAfter.securityScore > securityBefore.securityScore, JSON.stringify(securityAfter));

  // The code that enrolled is not accepted again; the next step's is, once.
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: enrollCode })).verified, false, 'replay of the enrollment code');
  const next = totpAt(secret, step + 1);
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: next })).verified, true);
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: next })).verified, false, 'replay');
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: totpAt(secret, step + 5) })).verified, false, 'out of the window');
  // The recovery code, typed in lower case without dashes, counts once.
  const typed = recoveryCode.replace(/-/g, '').toLowerCase();
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: typed })).verified, true);
  assert.equal(data(await a.auth.mfaOtpVerify({ totp: recoveryCode })).verified, false, 'spent');

  data(await a.auth.resetFactor({ factorId: enrolled[0].factorId }));
  assert.deepEqual(data(await a.auth.listEnrolledFactors()), []);
  refused(await a.auth.getFactor({ factorId: enrolled[0].factorId }), { statusCode: 404 });
  refused(await a.auth.resetFactor({ factorId: enrolled[0].factorId }), { statusCode: 404 });
  assert.equal((await mc.getUserMfaInfo({ userId: a.userId })).data.totpStatus, 'DISABLED');
  assert.deepEqual(types(data(await a.auth.listFactorsToEnroll())), ['EMAIL', 'OTP', 'SMS']);
});

test('mfaOtpVerify: past five wrong codes the next attempt is refused (6004), worded in the language', async () => {
  const a = await user();
  const req = data(await a.auth.sendEnrollFactorRequest({ factorType: 'OTP', profile: {} }));
  const secret = secretOf(req.otpData.qrCodeUri);
  const step = stepNow();
  data(await a.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: totpAt(secret, step) } }));
  const good = totpAt(secret, step + 1);
  const bad = ['000000', '111111', '222222', '333333', '444444', '555555'].filter(c => c !== good).slice(0, 5);
  for (const c of bad) assert.equal(data(await a.auth.mfaOtpVerify({ totp: c })).verified, false);
  const en = refused(await rawCall('/api/v3/mfa-totp-verify', { body: { totp: good }, token: a.token }), { apiCode: 6004 });
  assert.match(en.message, /Too many wrong MFA codes/);
  const zh = refused(await rawCall('/api/v3/mfa-totp-verify', { body: { totp: good }, token: a.token, lang: 'zh-CN' }), { apiCode: 6004 });
  assert.match(zh.message, /MFA 验证码错误次数过多/);
});

test('SMS and EMAIL: codes from the mailbox enroll, profiles read back, kinds to enroll shrink', async () => {
  const a = await user();
  const phone = cnPhone();
  let since = await mailboxSeq();
  const sms = data(await a.auth.sendEnrollFactorRequest({ factorType: 'SMS', profile: { phoneNumber: phone } }));
  assert.equal(sms.otpData ?? null, null);
  const smsCode = (await waitSms(phone, undefined, since)).code;
  assert.match(smsCode, /^\d{4,8}$/);
  const wrong = smsCode === '000000' ? '111111' : '000000';
  refused(await a.auth.enrollFactor({ factorType: 'SMS', enrollmentToken: sms.enrollmentToken, enrollmentData: { passCode: wrong } }));
  data(await a.auth.enrollFactor({ factorType: 'SMS', enrollmentToken: sms.enrollmentToken, enrollmentData: { passCode: smsCode } }));
  assert.deepEqual(types(data(await a.auth.listFactorsToEnroll())), ['EMAIL', 'OTP']);

  const mail = uniqueEmail('mfa-factor');
  since = await mailboxSeq();
  const em = data(await a.auth.sendEnrollFactorRequest({ factorType: 'EMAIL', profile: { email: mail } }));
  const mailCode = (await waitMail(mail, since)).code;
  assert.ok(mailCode);
  data(await a.auth.enrollFactor({ factorType: 'EMAIL', enrollmentToken: em.enrollmentToken, enrollmentData: { passCode: mailCode } }));
  assert.deepEqual(types(data(await a.auth.listFactorsToEnroll())), ['OTP']);

  const list = data(await a.auth.listEnrolledFactors());
  assert.deepEqual(types(list), ['EMAIL', 'SMS']);
  const smsF = list.find(f => f.factorType === 'SMS');
  const emF = list.find(f => f.factorType === 'EMAIL');
  assert.deepEqual(smsF.profile, { phoneNumber: phone, phoneCountryCode: '+86' });
  assert.deepEqual(emF.profile, { email: mail });
  assert.deepEqual(data(await a.auth.getFactor({ factorId: emF.factorId })), emF);

  // The ManagementClient sees the enrolled factors (the user has no phone and an unverified
  // sign-up email, so only the factors can make these ENABLED).
  const info = data(await mc.getUserMfaInfo({ userId: a.userId }));
  assert.equal(info.smsMfaStatus, 'ENABLED');
  assert.equal(info.emailMfaStatus, 'ENABLED');
  assert.equal(info.totpStatus, 'DISABLED');
  data(await a.auth.resetFactor({ factorId: smsF.factorId }));
  assert.equal(data(await mc.getUserMfaInfo({ userId: a.userId })).smsMfaStatus, 'DISABLED');

  // Missing addresses are refused before anything is sent.
  refused(await a.auth.sendEnrollFactorRequest({ factorType: 'SMS', profile: {} }), { statusCode: 400 });
  refused(await a.auth.sendEnrollFactorRequest({ factorType: 'EMAIL', profile: { email: 'not-an-email' } }));
});

test('another user\'s factor and enrollment token are not theirs; no token is refused', async () => {
  const a = await user();
  const b = await user();
  const req = data(await a.auth.sendEnrollFactorRequest({ factorType: 'OTP', profile: {} }));
  const secret = secretOf(req.otpData.qrCodeUri);
  const code = totpAt(secret, stepNow());
  refused(await b.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: code } }),
    { statusCode: 401 }, 'b cannot spend a\'s token');
  data(await a.auth.enrollFactor({ factorType: 'OTP', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: code } }));
  const [f] = data(await a.auth.listEnrolledFactors());

  const en = refused(await b.auth.getFactor({ factorId: f.factorId }), { statusCode: 404 });
  refused(await b.auth.resetFactor({ factorId: f.factorId }), { statusCode: 404 });
  assert.equal(data(await a.auth.getFactor({ factorId: f.factorId })).factorId, f.factorId, 'still there');
  assert.ok(en.message);
  const enMsg = refused(await rawCall('/api/v3/get-factor', { method: 'GET', query: { factorId: f.factorId }, token: b.token }));
  assert.match(enMsg.message, /MFA factor does not exist/);
  const zhMsg = refused(await rawCall('/api/v3/get-factor', { method: 'GET', query: { factorId: f.factorId }, token: b.token, lang: 'zh-CN' }));
  assert.match(zhMsg.message, /MFA 因素 不存在/);

  // No token: every method refuses, in the request's language.
  const anon = v3Auth(P);
  refused(await anon.listEnrolledFactors(), { statusCode: 401 });
  refused(await anon.listFactorsToEnroll(), { statusCode: 401 });
  refused(await anon.getFactor({ factorId: f.factorId }), { statusCode: 401 });
  refused(await anon.resetFactor({ factorId: f.factorId }), { statusCode: 401 });
  refused(await anon.mfaOtpVerify({ totp: code }), { statusCode: 401 });
  refused(await anon.sendEnrollFactorRequest({ factorType: 'OTP', profile: {} }), { statusCode: 401 });
  refused(await anon.enrollFactor({ factorType: 'OTP', enrollmentToken: 'x', enrollmentData: { passCode: code } }), { statusCode: 401 });
  const zh = refused(await rawCall('/api/v3/list-enrolled-factors', { method: 'GET', lang: 'zh-CN' }), { statusCode: 401 });
  const en2 = refused(await rawCall('/api/v3/list-enrolled-factors', { method: 'GET', lang: 'en-US' }), { statusCode: 401 });
  assert.notEqual(zh.message, en2.message);
  assert.match(zh.message, /[\u4e00-\u9fff]/);
  assert.match(en2.message, /^[\x20-\x7e]+$/);
  // A forged token is not a session either.
  refused(await rawCall('/api/v3/list-enrolled-factors', { method: 'GET', token: 'forged.token.value' }), { statusCode: 401 });
  assert.equal(data(await a.auth.listEnrolledFactors()).length, 1);
});

test('wrong types, unknown kinds and missing fields: a non-200 statusCode, never a 5xx', async () => {
  const a = await user();
  const t = a.token;
  const cases = [
    ['/api/v3/send-enroll-factor-request', {}],
    ['/api/v3/send-enroll-factor-request', { factorType: 'FACE', profile: {} }],
    ['/api/v3/send-enroll-factor-request', { factorType: 'otp', profile: {} }],
    ['/api/v3/send-enroll-factor-request', { factorType: 7, profile: {} }],
    ['/api/v3/send-enroll-factor-request', { factorType: 'SMS', profile: 'x' }],
    ['/api/v3/send-enroll-factor-request', { factorType: 'SMS', profile: { phoneNumber: 13800138000 } }],
    ['/api/v3/enroll-factor', {}],
    ['/api/v3/enroll-factor', { factorType: 'OTP', enrollmentToken: 'x' }],
    ['/api/v3/enroll-factor', { factorType: 'OTP', enrollmentData: { passCode: '123456' } }],
    ['/api/v3/enroll-factor', { factorType: 'OTP', enrollmentToken: 'x', enrollmentData: {} }],
    ['/api/v3/enroll-factor', { factorType: 'OTP', enrollmentToken: '', enrollmentData: { passCode: '123456' } }],
    ['/api/v3/enroll-factor', { factorType: 'OTP', enrollmentToken: 'x', enrollmentData: { passCode: 123456 } }],
    ['/api/v3/enroll-factor', { factorType: 'FACE', enrollmentToken: 'x', enrollmentData: { photo: 'p' } }],
    ['/api/v3/reset-factor', {}],
    ['/api/v3/reset-factor', { factorId: ['a'] }],
    ['/api/v3/mfa-totp-verify', {}],
    ['/api/v3/mfa-totp-verify', { totp: 123456 }],
    ['/api/v3/mfa-totp-verify', { totp: '' }],
    ['/api/v3/mfa-totp-verify', '[1,2]'],
    ['/api/v3/mfa-totp-verify', 'not json'],
  ];
  for (const [path, body] of cases) {
    const r = await rawCall(path, { body, token: t });
    refused(r);
    assert.ok(r.statusCode < 500, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r)}`);
  }
  const g = refused(await rawCall('/api/v3/get-factor', { method: 'GET', token: t }));
  assert.ok(g.statusCode < 500);
  const zh = refused(await rawCall('/api/v3/send-enroll-factor-request', { body: { factorType: 'FACE', profile: {} }, token: t, lang: 'zh-CN' }));
  const en = refused(await rawCall('/api/v3/send-enroll-factor-request', { body: { factorType: 'FACE', profile: {} }, token: t }));
  assert.match(zh.message, /[\u4e00-\u9fff]/);
  assert.match(en.message, /factorType/);
  // Nothing was enrolled by any of them.
  assert.deepEqual(data(await a.auth.listEnrolledFactors()), []);
});
