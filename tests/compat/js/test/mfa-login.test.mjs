// The MFA step of the core login through the 4.x SDK (`v2-wire.md` §3.5, §5.6): with the
// pool's MFA settings off a user with a TOTP authenticator logs in directly; with OTP on
// (set through the v3 ManagementClient) the login fails with 1635 and `data.mfaToken`, and
// `ac.mfa.verifyTotpMfa` / `verifyTotpRecoveryCode` complete it with a working token; wrong
// codes, used tickets and used recovery codes are refused; a user without a factor logs in
// directly; an application's own setting replaces the pool's; the v3 sign-in refuses a user
// who needs a second factor; getMfaTriggerData hands out a ticket the second factor
// completes; the hosted login page (in Chromium) asks for the TOTP. The TOTP is computed here with node's HMAC-SHA1 from the secret the SDK's
// enrollment returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';
import { AuthenticationClient } from 'authing-js-sdk';
import {
  client, cnPhone, emailCode, jwtPayload, mailboxSeq, newEmailUser, pool, rand, rejectsWith, rememberSecrets,
  uniqueEmail, waitSms, PASSWORD,
} from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';
import { base32Decode, stepNow, totpAt, wrongTotp } from './totp.mjs';

const P = 'mfaLogin';
const mc = v3(P);

/**
 * A registered user with a TOTP authenticator, enrolled through `ac.mfa` with their user
 * token and proved with the step before now (so the current step's code is still unused).
 */
async function totpUser() {
  const u = await newEmailUser(P, { prefix: 'mfa' });
  const c = client(P);
  c.setToken(u.token);
  const assoc = await c.mfa.assosicateMfaAuthenticator({ authenticatorType: 'totp' });
  assert.equal(assoc.authenticator_type, 'totp');
  assert.match(assoc.qrcode_uri, /^otpauth:\/\/totp\//);
  assert.match(assoc.qrcode_data_url, /^data:image\/png;base64,/);
  assert.match(assoc.recovery_code, /^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
  const secret = base32Decode(assoc.secret);
  assert.equal(new URL(assoc.qrcode_uri).searchParams.get('secret'), assoc.secret);
  await c.mfa.confirmAssosicateMfaAuthenticator({
    authenticatorType: 'totp',
    totp: totpAt(secret, stepNow() - 1),
  });
  const listed = await c.mfa.getMfaAuthenticators({ type: 'totp' });
  assert.equal(listed.length, 1);
  assert.equal(listed[0].authenticatorType, 'totp');
  assert.equal(listed[0].secret, null, 'the secret is never handed out again');
  return { ...u, c, secret, recovery: assoc.recovery_code };
}

/** A 1635 refusal of a login; returns its data. */
async function mfaRequired(promise, email) {
  const e = await rejectsWith(promise, 1635);
  assert.equal(typeof e.data?.mfaToken, 'string', JSON.stringify(e));
  assert.ok(e.data.mfaToken.length >= 32);
  if (email) assert.equal(e.data.email, email);
  assert.ok('nickname' in e.data && 'username' in e.data && 'avatar' in e.data, JSON.stringify(e.data));
  return e.data;
}

/** The user behind a v2 token, through the SDK. */
async function whoAmI(token) {
  const c = client(P);
  c.setToken(token);
  return c.getCurrentUser();
}

let ann;

test('MFA off: a user with a TOTP authenticator logs in directly', async () => {
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, []);
  ann = await totpUser();
  const u = await client(P).loginByEmail(ann.email, PASSWORD);
  assert.ok(u.token);
  assert.equal((await whoAmI(u.token)).id, ann.user.id);
});

test('global OTP on: 1635 with mfaToken; verifyTotpMfa gives a working token; wrong codes and used tickets are refused', async () => {
  const set = data(await mc.updateGlobalMfaSettings({ enabledFactors: ['OTP'] }));
  assert.deepEqual(set.enabledFactors, ['OTP']);
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, ['OTP']);
  refused(await mc.updateGlobalMfaSettings({ enabledFactors: ['FACE'] }), { statusCode: 400 });

  const d = await mfaRequired(client(P).loginByEmail(ann.email, PASSWORD), ann.email);
  assert.deepEqual(d.applicationMfa.map(a => a.mfaPolicy), ['OTP']);
  assert.equal(d.totpMfaEnabled, true);
  const c = client(P);
  // A wrong code: 6001, and the ticket still works.
  await rejectsWith(c.mfa.verifyTotpMfa({ totp: wrongTotp(ann.secret), mfaToken: d.mfaToken }), 6001);
  const u = await c.mfa.verifyTotpMfa({ totp: totpAt(ann.secret, stepNow()), mfaToken: d.mfaToken });
  assert.equal(u.id, ann.user.id);
  assert.equal(u.email, ann.email);
  assert.ok(u.token, 'the User carries its token');
  assert.equal((await whoAmI(u.token)).id, ann.user.id);
  // Used: refused even with a right, fresh code.
  await rejectsWith(
    c.mfa.verifyTotpMfa({ totp: totpAt(ann.secret, stepNow() + 1), mfaToken: d.mfaToken }),
    2207
  );
  // A made-up ticket, and none at all.
  await rejectsWith(c.mfa.verifyTotpMfa({ totp: '123456', mfaToken: `x${rand(40)}` }), 2207);
  // A code login stops too, and the REST envelope carries 1635's data as GraphQL does.
  const code = await emailCode(c, ann.email, 'LOGIN_VERIFY_CODE');
  const e = await mfaRequired(c.loginByEmailCode(ann.email, code), ann.email);
  // The ticket of a code login completes it like a password login's.
  const v = await c.mfa.verifyTotpMfa({ totp: totpAt(ann.secret, stepNow() + 1), mfaToken: e.mfaToken });
  assert.equal(v.id, ann.user.id);
  // No mfaToken at all: not logged in.
  const p = pool(P);
  const res = await fetch(`${p.appHost}/api/v2/mfa/totp/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-app-id': p.appId },
    body: JSON.stringify({ totp: '000000' }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).code, 2020);
});

test('the recovery code completes a login once', async () => {
  const c = client(P);
  const d = await mfaRequired(c.loginByEmail(ann.email, PASSWORD));
  await rejectsWith(c.mfa.verifyTotpRecoveryCode({ recoveryCode: 'AAAA-BBBB-CCCC-DDDD', mfaToken: d.mfaToken }), 6002);
  const u = await c.mfa.verifyTotpRecoveryCode({ recoveryCode: ann.recovery, mfaToken: d.mfaToken });
  assert.equal(u.id, ann.user.id);
  assert.ok(u.token);
  const d2 = await mfaRequired(c.loginByEmail(ann.email, PASSWORD));
  await rejectsWith(c.mfa.verifyTotpRecoveryCode({ recoveryCode: ann.recovery, mfaToken: d2.mfaToken }), 6002);
});

test('a user without a factor logs in directly while OTP is on', async () => {
  const bob = await newEmailUser(P, { prefix: 'nofactor' });
  const u = await client(P).loginByEmail(bob.email, PASSWORD);
  assert.ok(u.token);
});

test('the v3 sign-in refuses a user who needs a second factor, without a ticket', async () => {
  const res = refused(
    await v3Auth(P).signInByEmailPassword({ email: ann.email, password: PASSWORD }),
    { statusCode: 403, apiCode: 1635 }
  );
  assert.equal(res.data, undefined, JSON.stringify(res));
  assert.ok(!JSON.stringify(res).includes('mfaToken'));
});

test('getMfaTriggerData hands out a ticket the second factor completes', async () => {
  const appId = pool(P).appId;
  const cara = await totpUser();
  const t = data(await mc.getMfaTriggerData({ appId, userId: cara.user.id }));
  assert.equal(typeof t.mfaToken, 'string');
  assert.equal(t.totpMfaEnabled, true);
  assert.deepEqual(t.applicationMfa.map(a => a.mfaPolicy), ['OTP']);
  // A user without a factor has no step to trigger.
  const bob = await newEmailUser(P, { prefix: 'notrigger' });
  refused(await mc.getMfaTriggerData({ appId, userId: bob.user.id }), { statusCode: 404 });
  const u = await client(P).mfa.verifyTotpMfa({ totp: totpAt(cara.secret, stepNow()), mfaToken: t.mfaToken });
  assert.equal(u.id, cara.user.id);
  assert.ok(u.token);
});

test("an application's own setting replaces the pool's", async () => {
  const app = data(await mc.createApplication({
    appName: `mfa-${rand(6)}`,
    appIdentifier: `mfa-${rand(10)}`,
    appType: 'web',
  }));
  const through = id => new AuthenticationClient({ appId: id, appHost: pool(P).appHost });
  // Without its own list, the application follows the pool (OTP on).
  await mfaRequired(through(app.appId).loginByEmail(ann.email, PASSWORD));
  // Its own list without OTP: its logins are direct, the pool's main application still asks.
  const off = data(await mc.updateApplicationMfaSettings({ appId: app.appId, disabledFactors: ['OTP'] }));
  assert.deepEqual(off.enabledFactors, []);
  assert.ok((await through(app.appId).loginByEmail(ann.email, PASSWORD)).token);
  await mfaRequired(client(P).loginByEmail(ann.email, PASSWORD));
  // The pool turns OTP off and the application turns it on for itself.
  assert.deepEqual(data(await mc.closeGlobalMfaSettings({ disableFactors: ['OTP'] })).enabledFactors, []);
  const on = data(await mc.updateApplicationMfaSettings({ appId: app.appId, enabledFactors: ['OTP'] }));
  assert.deepEqual(on.enabledFactors, ['OTP']);
  assert.ok((await client(P).loginByEmail(ann.email, PASSWORD)).token);
  const d = await mfaRequired(through(app.appId).loginByEmail(ann.email, PASSWORD));
  // A ticket is bound to its application.
  await rejectsWith(
    client(P).mfa.verifyTotpMfa({ totp: totpAt(ann.secret, stepNow() + 1), mfaToken: d.mfaToken }),
    2207
  );
  refused(await mc.updateApplicationMfaSettings({ appId: 'no-such-app', enabledFactors: ['OTP'] }), { statusCode: 404 });
});

test('deleteMfaAuthenticator removes the factor: the login is direct again', async () => {
  const appWithOtp = data(await mc.createApplication({
    appName: `mfa-${rand(6)}`,
    appIdentifier: `mfa-${rand(10)}`,
    appType: 'web',
  }));
  await mc.updateApplicationMfaSettings({ appId: appWithOtp.appId, enabledFactors: ['OTP'] });
  const through = new AuthenticationClient({ appId: appWithOtp.appId, appHost: pool(P).appHost });
  await mfaRequired(through.loginByEmail(ann.email, PASSWORD));
  await ann.c.mfa.deleteMfaAuthenticator();
  assert.deepEqual(await ann.c.mfa.getMfaAuthenticators({ type: 'totp' }), []);
  assert.ok((await through.loginByEmail(ann.email, PASSWORD)).token);
});

/**
 * Runs `body(browser, rpUrl)` with a fresh Chromium (no session from another test) and a
 * relying party's callback page on 127.0.0.1.
 */
async function withBrowser(body) {
  const rp = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><h1>Relying party</h1>');
  });
  await new Promise(r => rp.listen(0, '127.0.0.1', r));
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    await body(browser, `http://127.0.0.1:${rp.address().port}`);
  } finally {
    await browser.close();
    rp.close();
  }
}

/** An application of the pool for the hosted login, with its own MFA kinds; `{appId, secret}`. */
async function webApp(rpUrl, factors) {
  const app = data(await mc.createApplication({
    appName: `mfa-web-${rand(6)}`,
    appIdentifier: `mfa-web-${rand(10)}`,
    redirectUris: [`${rpUrl}/cb`],
    oidcConfig: { grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_post' },
  }));
  const { secret } = data(await mc.getApplicationSecret({ appId: app.appId }));
  rememberSecrets(secret);
  await mc.updateApplicationMfaSettings({ appId: app.appId, enabledFactors: factors });
  return { appId: app.appId, secret };
}

/** The hosted login page of `app` in a new English page, the account and password typed. */
async function loginPage(browser, rpUrl, app, email) {
  const authorize = `${pool(P).appHost}/oidc/auth?${new URLSearchParams({
    client_id: app.appId, redirect_uri: `${rpUrl}/cb`, response_type: 'code', scope: 'openid email', state: 'st',
  })}`;
  const page = await browser.newPage();
  await page.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.9' });
  await page.goto(authorize);
  await page.type('input[name="account"]', email);
  await page.type('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  return page;
}

/** Consents, exchanges the code and returns the ID token's claims. */
async function consentAndClaims(page, rpUrl, app) {
  assert.ok(await page.$('button[name="decision"][value="allow"]'), await page.content());
  await Promise.all([page.waitForNavigation(), page.click('button[name="decision"][value="allow"]')]);
  const u = new URL(page.url());
  assert.equal(`${u.origin}${u.pathname}`, `${rpUrl}/cb`);
  const res = await fetch(`${pool(P).appHost}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: u.searchParams.get('code'), redirect_uri: `${rpUrl}/cb`,
      client_id: app.appId, client_secret: app.secret,
    }),
  });
  const set = await res.json();
  assert.equal(res.status, 200, JSON.stringify(set));
  return jwtPayload(set.id_token);
}

test('Chromium: the hosted login page asks for the TOTP, refuses a wrong one, then signs in', async () => {
  await withBrowser(async (browser, rpUrl) => {
    const app = await webApp(rpUrl, ['OTP']);
    const dan = await totpUser();
    const page = await loginPage(browser, rpUrl, app, dan.email);
    // The second step: a code field, no session yet.
    assert.ok(await page.$('input[name="code"][autocomplete="one-time-code"]'), await page.content());
    assert.equal(await page.$('input[name="password"]'), null);
    assert.match(await page.content(), /Two-step verification/);
    // A wrong code: shown on the same form.
    await page.type('input[name="code"]', wrongTotp(dan.secret));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.ok((await page.$eval('[role="alert"]', e => e.textContent)).trim().length > 0);
    assert.ok(await page.$('input[name="code"]'));
    // The right code: consent, then the application with a code whose ID token says how.
    await page.type('input[name="code"]', totpAt(dan.secret, stepNow()));
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const claims = await consentAndClaims(page, rpUrl, app);
    assert.equal(claims.sub, dan.user.id);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
  });
});

test('Chromium: a user whose second factor is SMS gets the code on the hosted page', async () => {
  await withBrowser(async (browser, rpUrl) => {
    // A user with an SMS factor, enrolled through the v3 AuthenticationClient.
    const email = uniqueEmail('mfa-sms');
    const phone = cnPhone();
    const auth = v3Auth(P);
    data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
    const t = data(await auth.signInByEmailPassword({ email, password: PASSWORD }));
    auth.setAccessToken(t.access_token);
    let since = await mailboxSeq();
    const req = data(await auth.sendEnrollFactorRequest({ factorType: 'SMS', profile: { phoneNumber: phone } }));
    const enrollCode = (await waitSms(phone, undefined, since)).code;
    data(await auth.enrollFactor({ factorType: 'SMS', enrollmentToken: req.enrollmentToken, enrollmentData: { passCode: enrollCode } }));

    const app = await webApp(rpUrl, ['SMS']);
    const page = await loginPage(browser, rpUrl, app, email);
    const masked = `${phone.slice(0, 3)}****${phone.slice(-4)}`;
    assert.match(await page.content(), new RegExp(masked.replace(/\*/g, '\\*')));
    assert.ok(!(await page.content()).includes(phone), 'the phone is shown masked only');
    // "Send code" sends to the factor's phone, with the MFA scene.
    since = await mailboxSeq();
    await Promise.all([page.waitForNavigation(), page.click('button[formaction$="/mfa/send"]')]);
    const sms = await waitSms(phone, undefined, since);
    assert.equal(sms.scene, 'mfa-verify');
    // A wrong code first, then the right one.
    await page.type('input[name="code"]', sms.code === '000000' ? '111111' : '000000');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    assert.ok((await page.$eval('[role="alert"]', e => e.textContent)).trim().length > 0);
    await page.type('input[name="code"]', sms.code);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const claims = await consentAndClaims(page, rpUrl, app);
    assert.deepEqual(claims.amr, ['pwd', 'sms']);
  });
});
