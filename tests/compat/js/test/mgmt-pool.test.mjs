// ManagementClient `userpool`, `whitelist` and `udf` modules (seed 000; v2-wire.md
// §6.7–6.9), through the official SDK against pool "mgmtPool". Tests here change pool-wide
// settings, so the file runs its cases in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mgmt, client, pool, fixtures, rejectsWith, uniqueEmail, uniqueUsername, cnPhone, PASSWORD,
  mailboxSeq, waitMail, waitSms, MAILBOX_URL, newEmailUser
} from './helpers.mjs';

const P = 'mgmtPool';
const mc = mgmt(P);

test('userpool.update({registerDisabled: true}) refuses registration, and reopens', async () => {
  const updated = await mc.userpool.update({ registerDisabled: true });
  assert.equal(updated.registerDisabled, true);
  assert.equal(updated.id, pool(P).userPoolId);
  await rejectsWith(client(P).registerByEmail(uniqueEmail('closed'), PASSWORD), 2031);
  const reopened = await mc.userpool.update({ registerDisabled: false });
  assert.equal(reopened.registerDisabled, false);
  await client(P).registerByEmail(uniqueEmail('open'), PASSWORD);
});

test('userpool.detail and partial updates keep what they do not name', async () => {
  const before = await mc.userpool.detail();
  assert.equal(before.id, pool(P).userPoolId);
  const u = await mc.userpool.update({
    name: 'Renamed pool',
    loginFailCheck: { enabled: true, limit: 7, timeInterval: 60 },
    changeEmailStrategy: { verifyOldEmail: false },
    tokenExpiresAfter: 7200,
    allowedOrigins: 'https://app.example.com'
  });
  assert.equal(u.name, 'Renamed pool');
  assert.deepEqual(u.loginFailCheck, { enabled: true, limit: 7, timeInterval: 60 });
  assert.equal(u.changeEmailStrategy.verifyOldEmail, false);
  assert.equal(u.changePhoneStrategy.verifyOldPhone, before.changePhoneStrategy.verifyOldPhone);
  assert.equal(u.tokenExpiresAfter, 7200);
  const d = await mc.userpool.detail();
  assert.equal(d.name, 'Renamed pool');
  const domain = `mgmt-pool-${Date.now()}`;
  assert.equal((await mc.userpool.update({ domain })).domain, domain);
  assert.equal((await mc.userpool.detail()).domain, domain);
  await rejectsWith(mgmt('mgmtOther').userpool.update({ domain }), 2026);
  assert.equal(d.allowedOrigins, 'https://app.example.com');
  // The new token lifetime applies to the next login.
  const { token } = await newEmailUser(P);
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  assert.equal(claims.exp - claims.iat, 7200);
});

test('invalid settings are refused and change nothing', async () => {
  const before = await mc.userpool.detail();
  await rejectsWith(mc.userpool.update({ tokenExpiresAfter: 0, name: 'never' }), 2231);
  await rejectsWith(mc.userpool.update({ tokenExpiresAfter: -5, name: 'never' }), 2231);
  await rejectsWith(mc.userpool.update({ loginFailCheck: { enabled: true, limit: -1, timeInterval: 60 } }), 2231);
  await rejectsWith(mc.userpool.update({ verifyCodeLength: 99 }), 2231);
  await rejectsWith(mc.userpool.update({ noSuchSetting: true }), 2231);
  await rejectsWith(mc.userpool.update({ customSMSProvider: { enabled: true, provider: 'webhook', config: '{"url":"ftp://x"}' } }), 2231);
  const after = await mc.userpool.detail();
  assert.deepEqual(after, before);
});

test('any positive token lifetime is accepted: tokenExpiresAfter 2 → tokens live 2 s', async () => {
  const before = await mc.userpool.detail();
  try {
    const u = await mc.userpool.update({ tokenExpiresAfter: 2 });
    assert.equal(u.tokenExpiresAfter, 2);
    const { token } = await newEmailUser(P);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(claims.exp - claims.iat, 2);
  } finally {
    await mc.userpool.update({ tokenExpiresAfter: before.tokenExpiresAfter });
  }
});

test('password strength set by the admin applies to the next registration', async () => {
  await mc.userpool.update({ passwordStrength: 3 });
  await rejectsWith(client(P).registerByEmail(uniqueEmail('weak'), 'abcdef'), 2029);
  await client(P).registerByEmail(uniqueEmail('strong'), 'Abc123!@#x');
  await mc.userpool.update({ passwordStrength: 0 });
});

test('env: listEnv / addEnv / removeEnv', async () => {
  await mc.userpool.addEnv('API_BASE', 'https://api.example.com');
  await mc.userpool.addEnv('LIMITS', { max: 3 });
  const list = await mc.userpool.listEnv();
  const m = Object.fromEntries(list.map(e => [e.key, e.value]));
  assert.equal(m.API_BASE, 'https://api.example.com');
  assert.deepEqual(m.LIMITS, { max: 3 });
  await mc.userpool.removeEnv('API_BASE');
  assert.ok(!(await mc.userpool.listEnv()).some(e => e.key === 'API_BASE'));
  await rejectsWith(mc.userpool.removeEnv('API_BASE'), 404);
  await rejectsWith(mc.userpool.addEnv('bad key!', 1), 2231);
});

test('whitelist: add, list, enable refuses others, remove, disable', async () => {
  const allowed = uniqueEmail('wl');
  const list = await mc.whitelist.add('EMAIL', [allowed]);
  assert.ok(list.some(e => e.value === allowed));
  assert.ok((await mc.whitelist.list('EMAIL')).some(e => e.value === allowed));
  await mc.whitelist.enable('EMAIL');
  assert.equal((await mc.userpool.detail()).whitelist.emailEnabled, true);
  await rejectsWith(client(P).registerByEmail(uniqueEmail('outsider'), PASSWORD), 2031);
  await client(P).registerByEmail(allowed.toUpperCase(), PASSWORD);
  const after = await mc.whitelist.remove('EMAIL', [allowed]);
  assert.ok(!after.some(e => e.value === allowed));
  await mc.whitelist.disable('EMAIL');
  assert.equal((await mc.userpool.detail()).whitelist.emailEnabled, false);
  await client(P).registerByEmail(uniqueEmail('anyone'), PASSWORD);
  const uname = uniqueUsername('wl');
  await mc.whitelist.add('USERNAME', [uname]);
  assert.ok((await mc.whitelist.list('USERNAME')).some(e => e.value === uname));
  await rejectsWith(mc.whitelist.add('EMAIL', ['not-an-email']), 2003);
  await rejectsWith(mc.whitelist.list('NOPE'), 'numeric');
});

test('udf: set, list, remove; values checked against their type', async () => {
  const key = `k${Date.now()}`;
  const def = await mc.udf.set('USER', key, 'NUMBER', 'A number');
  assert.deepEqual([def.key, def.dataType, def.targetType, def.label], [key, 'NUMBER', 'USER', 'A number']);
  assert.ok((await mc.udf.list('USER')).some(d => d.key === key));
  const { user } = await newEmailUser(P);
  const set = await mc.udf.setUdvBatch('USER', user.id, [{ key, value: 42 }]);
  assert.ok(set.some(v => v.key === key && v.value === 42));
  const listed = await mc.udf.listUdv('USER', user.id);
  assert.ok(listed.some(v => v.key === key && v.value === 42));
  await rejectsWith(mc.udf.setUdvBatch('USER', user.id, [{ key, value: 'forty-two' }]), 2231);
  assert.ok((await mc.udf.listUdv('USER', user.id)).some(v => v.key === key && v.value === 42));
  await rejectsWith(mc.udf.setUdvBatch('USER', 'no-such-user', [{ key, value: 1 }]), 2004);
  await rejectsWith(mc.udf.set('USER', key, 'NOPE', 'x'), 'numeric');
  await mc.udf.remove('USER', key);
  assert.ok(!(await mc.udf.list('USER')).some(d => d.key === key));
  assert.ok(!(await mc.udf.listUdv('USER', user.id)).some(v => v.key === key), 'values go with their field');
  await rejectsWith(mc.udf.remove('USER', key), 404);
});

test("udf on the USERPOOL target (the SDK's UdfTargetType.Userpool): define, set and read values of the pool", async () => {
  const key = `pk${Date.now()}`;
  const poolId = pool(P).userPoolId;
  const def = await mc.udf.set('USERPOOL', key, 'STRING', 'Pool label');
  assert.deepEqual([def.key, def.targetType], [key, 'USERPOOL']);
  assert.ok((await mc.udf.list('USERPOOL')).some(d => d.key === key));
  await mc.udf.setUdvBatch('USERPOOL', poolId, [{ key, value: 'blue' }]);
  assert.ok((await mc.udf.listUdv('USERPOOL', poolId)).some(v => v.key === key && v.value === 'blue'));
  // Only this pool is a USERPOOL target here.
  await rejectsWith(mc.udf.setUdvBatch('USERPOOL', pool('mgmtOther').userPoolId, [{ key, value: 'x' }]), 'numeric');
  await mc.udf.remove('USERPOOL', key);
  assert.ok(!(await mc.udf.list('USERPOOL')).some(d => d.key === key));
});

test("the pool's own SMS webhook and SMTP server carry its codes", async () => {
  await mc.userpool.update({
    customSMSProvider: { enabled: true, provider: 'webhook', config: JSON.stringify({ url: `${MAILBOX_URL}/sms/via/pool-${P}` }) },
    customEmailProvider: { enabled: true, provider: 'smtp', config: JSON.stringify({ url: fixtures.smtpUrl, from: 'Pool Mail <pool@mgmt.example.com>' }) }
  });
  try {
    const phone = cnPhone();
    let since = await mailboxSeq();
    await client(P).sendSmsCode(phone);
    const sms = await waitSms(phone, undefined, since);
    assert.equal(sms.channel, `pool-${P}`);
    const email = uniqueEmail('route');
    since = await mailboxSeq();
    await client(P).sendEmail(email, 'VERIFY_CODE');
    const mail = await waitMail(email, since);
    assert.equal(mail.from, 'pool@mgmt.example.com');
    const d = await mc.userpool.detail();
    assert.equal(d.customSMSProvider.enabled, true);
  } finally {
    await mc.userpool.update({ customSMSProvider: { enabled: false }, customEmailProvider: { enabled: false } });
  }
  // Back on the deployment's channels.
  const phone = cnPhone();
  const since = await mailboxSeq();
  await client(P).sendSmsCode(phone);
  const sms = await waitSms(phone, undefined, since);
  assert.equal(sms.channel ?? null, null);
});

test('cross-pool isolation: pool B cannot see pool A settings or values', async () => {
  const other = mgmt('mgmtOther');
  const { user } = await newEmailUser(P);
  await rejectsWith(other.udf.listUdv('USER', user.id), 2004);
  const d = await other.userpool.detail();
  assert.equal(d.id, pool('mgmtOther').userPoolId);
});
