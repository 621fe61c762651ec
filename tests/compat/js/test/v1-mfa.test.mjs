// The legacy SDK's login when the pool asks for a second factor (seed 002, login: "MFACode，
// 可选，如果用户开启了 MFA 会要求输入 6 位动态口令，返回数据会出现 1635 错误代码"): the core's
// MFA step, the same as on every façade. Without `MFACode` the login is refused with 1635;
// with a wrong one it stays refused; with the authenticator's code it succeeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, uniqueEmail } from './helpers.mjs';
import { data, v3 } from './v3-helpers.mjs';
import { v1, v1Rejects } from './v1-helpers.mjs';
import { base32Decode, stepNow, totpAt, wrongTotp } from './totp.mjs';

const P = 'v1Mfa';
const PASSWORD = 'Passw0rd!mfa';

/** A user registered through 3.x who enrolled a TOTP authenticator through 4.x. */
async function totpUser(auth) {
  const email = uniqueEmail('v1mfa');
  const user = await auth.register({ email, password: PASSWORD });
  const c = client(P);
  await c.loginByEmail(email, PASSWORD);
  const assoc = await c.mfa.assosicateMfaAuthenticator({ authenticatorType: 'totp' });
  const secret = base32Decode(assoc.secret);
  await c.mfa.confirmAssosicateMfaAuthenticator({
    authenticatorType: 'totp',
    totp: totpAt(secret, stepNow() - 1),
  });
  return { email, id: user._id, secret };
}

test('with the pool’s OTP step on, a 3.x login needs MFACode', async () => {
  const auth = await v1(P);
  const u = await totpUser(auth);
  // Off: the enrolled factor is not asked for.
  const direct = await auth.login({ email: u.email, password: PASSWORD });
  assert.equal(direct._id, u.id);

  data(await v3(P).updateGlobalMfaSettings({ enabledFactors: ['OTP'] }));
  try {
    const asked = await v1Rejects(auth.login({ email: u.email, password: PASSWORD }), 1635);
    assert.equal(typeof asked.data?.mfaToken, 'string', 'the ticket, as every Authing wire gives it');
    await v1Rejects(
      auth.login({ email: u.email, password: PASSWORD, MFACode: wrongTotp(u.secret) }),
      6001
    );
    const done = await auth.login({
      email: u.email,
      password: PASSWORD,
      MFACode: totpAt(u.secret, stepNow()),
    });
    assert.equal(done._id, u.id);
    assert.equal(typeof done.token, 'string');
    const status = await auth.checkLoginStatus(done.token);
    assert.equal(status.status, true);
    // A wrong password with a right code is still a wrong password.
    await v1Rejects(
      auth.login({ email: u.email, password: 'Wrong-Passw0rd', MFACode: totpAt(u.secret, stepNow()) }),
      [2006, 2333]
    );
    // A user without a factor logs in directly.
    const plain = uniqueEmail('v1plain');
    await auth.register({ email: plain, password: PASSWORD });
    assert.equal((await auth.login({ email: plain, password: PASSWORD })).email, plain);
  } finally {
    data(await v3(P).updateGlobalMfaSettings({ enabledFactors: [] }));
  }
});
