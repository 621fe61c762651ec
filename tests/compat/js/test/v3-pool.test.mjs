// v3 pool configuration through authing-node-sdk@4.0.1: access keys (AK/SK), security
// settings and global MFA, the email provider and the registration whitelist. Each setting
// is proven by its effect on the v2 AuthenticationClient (registration refused, token
// lifetime, code length, the SMTP server a code leaves through) and read back through the
// v2 ManagementClient (one core, two wires). Pool 'v3Security'; 'v3Sign' is only read, as
// the other pool of the isolation checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'authing-node-sdk';
import {
  TESSERA_URL, PASSWORD, client, cnPhone, fixtures, jwtPayload, mailboxSeq, mgmt, pool,
  rejectsWith, rememberSecrets, smsCode, uniqueEmail, waitMail,
} from './helpers.mjs';
import { v3, v3Key, data, refused, raw } from './v3-helpers.mjs';

const P = 'v3Security';
const mc = v3(P);

/** A ManagementClient signing with a key the test created. */
const byKey = k =>
  new ManagementClient({ accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret, host: TESSERA_URL });

async function tokenOf(k) {
  return data(await raw('/api/v3/get-management-token', {
    body: JSON.stringify({ accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret }),
  })).access_token;
}

const withToken = token =>
  raw('/api/v3/list-users?page=1&limit=1', { method: 'GET', headers: { authorization: `Bearer ${token}` } });

/** The `Access-Control-Allow-Origin` a browser at `origin` gets from the pool's v2 API. */
async function corsFrom(origin) {
  const res = await fetch(`${TESSERA_URL}/graphql/v2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, 'x-authing-app-id': pool(P).appId },
    body: JSON.stringify({ query: 'query { checkPasswordStrength(password: "abc") { valid } }' }),
  });
  assert.equal(res.status, 200);
  return res.headers.get('access-control-allow-origin');
}

// --- access keys --------------------------------------------------------------------------

test('createAccessKey: the key signs and buys tokens; disabled it does neither; deleted it is gone', async () => {
  const created = data(await mc.createAccessKey({ type: 'userpool' }));
  assert.equal(created.length, 1);
  const k = created[0];
  rememberSecrets(k.accessKeySecret);
  assert.equal(k.status, 'activated');
  assert.equal(k.enable, true);
  assert.equal(k.userPoolId, pool(P).userPoolId);
  assert.equal(typeof k.accessKeySecret, 'string');

  const listed = data(await mc.getAccessKeyList({}));
  const ids = listed.map(x => x.accessKeyId);
  assert.ok(ids.includes(k.accessKeyId));
  assert.ok(ids.includes(pool(P).accessKeyId), 'the key made with the pool is listed too');
  assert.ok(!ids.includes(pool('v3Sign').accessKeyId), "another pool's key is not listed");
  const one = data(await mc.getAccessKey({ userId: 'whoever', accessKeyId: k.accessKeyId }));
  assert.equal(one[0].accessKeyId, k.accessKeyId);
  assert.equal(one[0].accessKeySecret, k.accessKeySecret);

  // It administers the pool, by signature and by token.
  const signer = byKey(k);
  assert.ok(data(await signer.listUsersLegacy({ page: 1, limit: 1 })).totalCount >= 0);
  const token = await tokenOf(k);
  rememberSecrets(token);
  data(await withToken(token));

  // Disabled: both stop at once.
  assert.equal(data(await mc.updateAccessKey({ accessKeyId: k.accessKeyId, enable: false })).success, true);
  const revoked = data(await mc.getAccessKeyList({ status: ['revoked'] }));
  assert.deepEqual(revoked.map(x => x.accessKeyId), [k.accessKeyId]);
  assert.equal(revoked[0].enable, false);
  refused(await signer.listUsersLegacy({ page: 1, limit: 1 }), { apiCode: 1300 });
  refused(await withToken(token));
  refused(await raw('/api/v3/get-management-token', {
    body: JSON.stringify({ accessKeyId: k.accessKeyId, accessKeySecret: k.accessKeySecret }),
  }));

  // Enabled again, then deleted.
  data(await mc.updateAccessKey({ accessKeyId: k.accessKeyId, enable: true }));
  data(await signer.listUsersLegacy({ page: 1, limit: 1 }));
  data(await withToken(token));
  const del = await mc.deleteAccessKey({ accessKeyId: k.accessKeyId });
  assert.equal(del.statusCode, 200, JSON.stringify(del));
  refused(await signer.listUsersLegacy({ page: 1, limit: 1 }));
  refused(await withToken(token));
  refused(await mc.getAccessKey({ userId: 'whoever', accessKeyId: k.accessKeyId }), { statusCode: 404 });
  refused(await mc.deleteAccessKey({ accessKeyId: k.accessKeyId }), { statusCode: 404 });
  assert.ok(!data(await mc.getAccessKeyList({})).some(x => x.accessKeyId === k.accessKeyId));
});

test("access keys: another pool's key is neither found nor changed; a key for a user is named by that user", async () => {
  const other = pool('v3Sign').accessKeyId;
  refused(await mc.updateAccessKey({ accessKeyId: other, enable: false }), { statusCode: 404 });
  refused(await mc.deleteAccessKey({ accessKeyId: other }), { statusCode: 404 });
  refused(await mc.getAccessKey({ userId: 'x', accessKeyId: other }), { statusCode: 404 });
  // Still working in its own pool.
  data(await v3Key('v3Sign').listUsersLegacy({ page: 1, limit: 1 }));

  const u = data(await mc.createUser({ email: uniqueEmail('akuser') }));
  const [k] = data(await mc.createAccessKey({ type: 'userpool', userId: u.userId }));
  rememberSecrets(k.accessKeySecret);
  assert.equal(k.userId, u.userId);
  assert.equal(data(await mc.getAccessKey({ userId: u.userId, accessKeyId: k.accessKeyId }))[0].userId, u.userId);
  refused(await mc.getAccessKey({ userId: 'someone-else', accessKeyId: k.accessKeyId }), { statusCode: 404 });
  assert.deepEqual(data(await mc.getAccessKeyList({ userId: u.userId })).map(x => x.accessKeyId), [k.accessKeyId]);
  data(await mc.deleteAccessKey({ accessKeyId: k.accessKeyId }));
});

test('access keys: bad inputs are refused and create nothing', async () => {
  const before = data(await mc.getAccessKeyList({})).length;
  refused(await mc.createAccessKey({ type: 'tenant', tenantId: 't1' }), { statusCode: 400 });
  refused(await mc.createAccessKey({}), { statusCode: 400 });
  refused(await mc.createAccessKey({ type: 'userpool', userId: 'no-such-user' }), { statusCode: 404 });
  refused(await mc.createAccessKey({ type: 'userpool', extra: 1 }), { statusCode: 400 });
  refused(await mc.updateAccessKey({ accessKeyId: pool(P).accessKeyId, enable: 'no' }), { statusCode: 400 });
  refused(await mc.updateAccessKey({ enable: false }), { statusCode: 400 });
  refused(await mc.getAccessKeyList({ status: ['bogus'] }), { statusCode: 400 });
  refused(await mc.getAccessKey({ accessKeyId: pool(P).accessKeyId }), { statusCode: 400 });
  assert.equal(data(await mc.getAccessKeyList({})).length, before);
  // The fixture key was never disabled by the refused update.
  data(await v3Key(P).listUsersLegacy({ page: 1, limit: 1 }));
});

// --- security settings --------------------------------------------------------------------

test('updateSecuritySettings registerDisabled: v2 registration is refused, then allowed again', async () => {
  const s = data(await mc.updateSecuritySettings({ registerDisabled: true }));
  assert.equal(s.registerDisabled, true);
  try {
    assert.equal(data(await mc.getSecuritySettings()).registerDisabled, true);
    assert.equal((await mgmt(P).userpool.detail()).registerDisabled, true);
    await rejectsWith(client(P).registerByEmail(uniqueEmail('rd'), PASSWORD), 2031);
  } finally {
    data(await mc.updateSecuritySettings({ registerDisabled: false }));
  }
  const u = await client(P).registerByEmail(uniqueEmail('rd-ok'), PASSWORD);
  assert.ok(u.id);
});

test('security settings: token lifetime, code length and login-failure rules take effect and read back through v2', async () => {
  const before = data(await mc.getSecuritySettings());
  const email = uniqueEmail('sec');
  data(await mc.createUser({ email, password: PASSWORD }));
  try {
    const s = data(await mc.updateSecuritySettings({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      authingTokenExpiresIn: 7200,
      verifyCodeLength: 4,
      changeEmailStrategy: { verifyOldEmail: false },
      registerAnomalyDetection: { enabled: true, limit: 50, timeInterval: 1, unit: 'M' },
      loginAnomalyDetection: {
        loginFailStrategy: 'captcha',
        loginFailCheck: { enabled: true, limit: 7, timeInterval: 10, unit: 'M' },
      },
      enableLoginAccountSwitch: false,
    }));
    assert.equal(s.allowedOrigins, 'https://a.example\nhttps://b.example');
    assert.equal(s.authingTokenExpiresIn, 7200);
    assert.equal(s.verifyCodeLength, 4);
    assert.equal(s.changeEmailStrategy.verifyOldEmail, false);
    assert.deepEqual(s.registerAnomalyDetection, { enabled: true, limit: 50, timeInterval: 60 });
    assert.equal(s.loginAnomalyDetection.loginFailCheck.timeInterval, 600);
    assert.equal(s.loginAnomalyDetection.loginFailCheck.limit, 7);
    assert.equal(s.enableLoginAccountSwitch, false);
    // The same settings through the v2 ManagementClient.
    const d = await mgmt(P).userpool.detail();
    assert.equal(d.tokenExpiresAfter, 7200);
    assert.equal(d.verifyCodeLength, 4);
    assert.equal(d.changeEmailStrategy.verifyOldEmail, false);
    assert.equal(d.loginFailCheck.timeInterval, 600);
    assert.equal(d.frequentRegisterCheck.limit, 50);
    // Effects: browsers of listed origins only get CORS answers, a login's token lives
    // 7200 s, an SMS code has 4 digits.
    assert.equal(await corsFrom('https://a.example'), 'https://a.example');
    assert.equal(await corsFrom('https://evil.example'), null);
    const u = await client(P).loginByEmail(email, PASSWORD);
    const claims = jwtPayload(u.token);
    assert.equal(claims.exp - claims.iat, 7200);
    const code = await smsCode(client(P), cnPhone());
    assert.match(code, /^\d{4}$/);
  } finally {
    data(await mc.updateSecuritySettings({
      allowedOrigins: [],
      authingTokenExpiresIn: before.authingTokenExpiresIn,
      verifyCodeLength: before.verifyCodeLength,
      changeEmailStrategy: before.changeEmailStrategy,
      registerAnomalyDetection: before.registerAnomalyDetection,
      loginAnomalyDetection: before.loginAnomalyDetection,
    }));
  }
  const after = data(await mc.getSecuritySettings());
  assert.deepEqual(after, before, 'the settings answer read back and written again is a no-op');
  assert.equal(await corsFrom('https://evil.example'), 'https://evil.example', 'an empty list allows every origin');
});

test('loginAnomalyDetection: the failure limit set through v3 decides when v2 logins need a captcha', async () => {
  const before = data(await mc.getSecuritySettings());
  const email = uniqueEmail('guard');
  data(await mc.createUser({ email, password: PASSWORD }));
  data(await mc.updateSecuritySettings({
    loginAnomalyDetection: { loginFailStrategy: 'captcha', loginFailCheck: { enabled: true, limit: 2, timeInterval: 5, unit: 'M' } },
  }));
  try {
    const c = client(P);
    await rejectsWith(c.loginByEmail(email, 'wrong-1'), 2006);
    await rejectsWith(c.loginByEmail(email, 'wrong-2'), 2006);
    await rejectsWith(c.loginByEmail(email, PASSWORD), 2000, 'after 2 failures the right password needs a captcha:');
  } finally {
    data(await mc.updateSecuritySettings({ loginAnomalyDetection: before.loginAnomalyDetection }));
  }
});

test('security settings: bad inputs are refused and change nothing', async () => {
  const before = data(await mc.getSecuritySettings());
  refused(await mc.updateSecuritySettings({ verifyCodeLength: 'six' }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ verifyCodeLength: 99, registerDisabled: true }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ authingTokenExpiresIn: 0 }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ loginAnomalyDetection: { loginFailStrategy: 'shrug' } }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({
    registerAnomalyDetection: { enabled: true, limit: 2, timeInterval: 5, unit: 'fortnight' },
  }), { statusCode: 400 });
  // Features Tessera lacks are refused rather than stored and ignored.
  refused(await mc.updateSecuritySettings({ enableLoginAccountSwitch: true }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ selfUnlockAccount: { enabled: true, strategy: 'captcha' } }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ qrcodeLoginStrategy: { qrcodeExpiresIn: 60, ticketExpiresIn: 60 } }), { statusCode: 400 });
  refused(await mc.updateSecuritySettings({ registerDisabled: true, shoeSize: 42 }), { statusCode: 400 });
  assert.deepEqual(data(await mc.getSecuritySettings()), before);
});

// --- global MFA ---------------------------------------------------------------------------

test('global MFA settings: the kinds the login step asks for, set, narrowed and read back', async () => {
  // What the step does with them is `mfa-login.test.mjs`'s; here the settings themselves.
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, []);
  const set = data(await mc.updateGlobalMfaSettings({ enabledFactors: ['SMS', 'OTP', 'OTP'] }));
  assert.deepEqual(set.enabledFactors, ['OTP', 'SMS']);
  assert.deepEqual(data(await mc.closeGlobalMfaSettings({ disableFactors: ['SMS'] })).enabledFactors, ['OTP']);
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, ['OTP']);
  // FACE (no face service) and unknown kinds are refused, and change nothing.
  refused(await mc.updateGlobalMfaSettings({ enabledFactors: ['FACE'] }), { statusCode: 400 });
  refused(await mc.updateGlobalMfaSettings({ enabledFactors: ['otp'] }), { statusCode: 400 });
  refused(await mc.updateGlobalMfaSettings({}), { statusCode: 400 });
  assert.deepEqual(data(await mc.getGlobalMfaSettings()).enabledFactors, ['OTP']);
  assert.deepEqual(data(await mc.updateGlobalMfaSettings({ enabledFactors: [] })).enabledFactors, []);
});

// --- email provider -----------------------------------------------------------------------

test("configEmailProvider: the pool's codes leave through its SMTP server; switched off, through the deployment's", async () => {
  const smtp = new URL(fixtures.smtpUrl);
  const sender = 'pool@v3security.example.com';
  assert.equal(data(await mc.getEmailProvider()).enabled, false);
  // A password is kept on the server and answered masked.
  const masked = data(await mc.configEmailProvider({
    type: 'custom', enabled: false,
    smtpConfig: { smtp_host: 'mail.example.com', smtp_port: 465, sender, senderPass: 'hunter2-secret', secure: true },
  }));
  assert.equal(masked.enabled, false);
  assert.equal(masked.smtpConfig.senderPass, '***');
  assert.equal(masked.smtpConfig.secure, true);
  assert.ok(!JSON.stringify(await mc.getEmailProvider()).includes('hunter2'));
  // The answer written back (mask included) keeps the stored password.
  const again = data(await mc.configEmailProvider({ type: 'custom', enabled: false, smtpConfig: masked.smtpConfig }));
  assert.deepEqual(again, masked);
  assert.ok(!JSON.stringify(await mgmt(P).userpool.detail()).includes('hunter2'));

  const on = data(await mc.configEmailProvider({
    type: 'custom', enabled: true,
    smtpConfig: { smtp_host: smtp.hostname, smtp_port: Number(smtp.port), sender, senderPass: '', secure: false },
  }));
  try {
    assert.equal(on.enabled, true);
    assert.equal(on.type, 'custom');
    assert.deepEqual(on.smtpConfig, {
      smtp_host: smtp.hostname, smtp_port: Number(smtp.port), sender, senderPass: '', secure: false,
    });
    assert.deepEqual(data(await mc.getEmailProvider()), on);
    assert.equal((await mgmt(P).userpool.detail()).customEmailProvider.enabled, true);
    const email = uniqueEmail('v3mail');
    const since = await mailboxSeq();
    await client(P).sendEmail(email, 'VERIFY_CODE');
    assert.equal((await waitMail(email, since)).from, sender);
  } finally {
    const off = data(await mc.configEmailProvider({ type: 'custom', enabled: false }));
    assert.equal(off.enabled, false);
  }
  const email = uniqueEmail('v3mail-off');
  const since = await mailboxSeq();
  await client(P).sendEmail(email, 'VERIFY_CODE');
  assert.notEqual((await waitMail(email, since)).from, sender);
});

test('configEmailProvider: bad inputs are refused and change nothing', async () => {
  const before = data(await mc.getEmailProvider());
  refused(await mc.configEmailProvider({ type: 'sendgrid', enabled: true, sendGridConfig: { sender: 'a', apikey: 'k' } }), { statusCode: 400 });
  refused(await mc.configEmailProvider({ type: 'pigeon', enabled: true }), { statusCode: 400 });
  refused(await mc.configEmailProvider({ type: 'custom', enabled: true }), { statusCode: 400 });
  refused(await mc.configEmailProvider({
    type: 'custom', enabled: true, smtpConfig: { smtp_host: 'h.example', smtp_port: 'twenty-five', sender: 'a@b.c', senderPass: '' },
  }), { statusCode: 400 });
  refused(await mc.configEmailProvider({
    type: 'custom', enabled: true, smtpConfig: { smtp_host: 'evil.example/x?y', smtp_port: 25, sender: 'a@b.c', senderPass: '' },
  }), { statusCode: 400 });
  refused(await mc.configEmailProvider({ type: 'custom' }), { statusCode: 400 });
  // The mask stands for a stored password; with none stored it is refused.
  refused(await mc.configEmailProvider({
    type: 'custom', enabled: true, smtpConfig: { smtp_host: 'h.example', smtp_port: 25, sender: 'a@b.c', senderPass: '***' },
  }), { statusCode: 400 });
  assert.deepEqual(data(await mc.getEmailProvider()), before);
});

// --- registration whitelist ---------------------------------------------------------------

test('whitelist: entries added through v3 decide v2 registration once the list is on', async () => {
  const listed = uniqueEmail('wl-yes');
  const later = uniqueEmail('wl-later');
  const added = data(await mc.addWhitelist({ type: 'EMAIL', list: [listed, later] }));
  assert.ok(added.some(e => e.value === listed));
  const values = data(await mc.listWhitelists({ type: 'EMAIL' })).map(e => e.value);
  assert.ok(values.includes(listed) && values.includes(later));
  assert.ok(typeof data(await mc.listWhitelists({ type: 'EMAIL' }))[0].createdAt === 'string');
  // One list, two wires.
  const v2 = mgmt(P);
  assert.ok((await v2.whitelist.list('EMAIL')).some(e => e.value === listed));
  assert.equal(data(await mc.deleteWhitelist({ type: 'EMAIL', list: [later] })).success, true);
  assert.ok(!data(await mc.listWhitelists({ type: 'EMAIL' })).some(e => e.value === later));

  await v2.userpool.update({ whitelist: { emailEnabled: true } });
  try {
    await rejectsWith(client(P).registerByEmail(uniqueEmail('wl-no'), PASSWORD), 'numeric');
    await rejectsWith(client(P).registerByEmail(later, PASSWORD), 'numeric', 'removed from the list');
    const u = await client(P).registerByEmail(listed.toUpperCase(), PASSWORD);
    assert.ok(u.id, 'a listed email registers (emails match in any case)');
  } finally {
    await v2.userpool.update({ whitelist: { emailEnabled: false } });
  }
  // Only this pool's list holds it.
  assert.ok(!data(await v3('v3Sign').listWhitelists({ type: 'EMAIL' })).some(e => e.value === listed));
});

test('whitelist: bad inputs are refused and add nothing', async () => {
  const good = uniqueEmail('wl-good');
  refused(await mc.addWhitelist({ type: 'EMAIL', list: [good, 'not-an-email'] }));
  assert.ok(!data(await mc.listWhitelists({ type: 'EMAIL' })).some(e => e.value === good), 'all or nothing');
  refused(await mc.addWhitelist({ type: 'FAX', list: ['1'] }), { statusCode: 400 });
  refused(await mc.addWhitelist({ type: 'EMAIL' }), { statusCode: 400 });
  refused(await mc.addWhitelist({ type: 'EMAIL', list: 'a@b.c' }), { statusCode: 400 });
  refused(await mc.listWhitelists({}), { statusCode: 400 });
  refused(await mc.listWhitelists({ type: 'email' }), { statusCode: 400 });
  refused(await mc.deleteWhitelist({ type: 'PHONE' }), { statusCode: 400 });
  // Phones and usernames are lists too.
  const phone = cnPhone();
  const byPhone = data(await mc.addWhitelist({ type: 'PHONE', list: [phone] }));
  assert.ok(byPhone.some(e => e.value === phone));
  data(await mc.deleteWhitelist({ type: 'PHONE', list: [phone] }));
  assert.ok(!data(await mc.listWhitelists({ type: 'PHONE' })).some(e => e.value === phone));
});

test('loginRequireEmailVerified and registerAnomalyDetection set through v3 govern v2 logins and registrations', async () => {
  const auth = client(P);
  const email = uniqueEmail('unverified');
  await auth.registerByEmail(email, 'passw0rd!');
  try {
    data(await mc.updateSecuritySettings({ loginRequireEmailVerified: true }));
    await assert.rejects(auth.loginByEmail(email, 'passw0rd!'), e => e.code === 2023);
    data(await mc.updateSecuritySettings({ loginRequireEmailVerified: false }));
    assert.equal((await auth.loginByEmail(email, 'passw0rd!')).email, email);

    data(await mc.updateSecuritySettings({
      registerAnomalyDetection: { enabled: true, limit: 1, timeInterval: 10, unit: 'M' },
    }));
    const ip = `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    await auth.registerByEmail(uniqueEmail('freq'), 'passw0rd!', null, { clientIp: ip });
    await assert.rejects(
      auth.registerByEmail(uniqueEmail('freq'), 'passw0rd!', null, { clientIp: ip }),
      e => e.code === 2100,
    );
  } finally {
    data(await mc.updateSecuritySettings({
      loginRequireEmailVerified: false,
      registerAnomalyDetection: { enabled: false, limit: 50, timeInterval: 1, unit: 'M' },
    }));
  }
});
