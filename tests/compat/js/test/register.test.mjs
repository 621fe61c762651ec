// Registration: registerByEmail, registerByUsername and the pool rules that refuse it
// (registerDisabled, whitelist, frequentRegister, password strength). Phone-code and
// email-code registration are in codes.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, pool, fixtures, uniqueEmail, uniqueUsername, uniqueIp, rejectsWith, PASSWORD,
  jwtPayload
} from './helpers.mjs';

function assertNewUser(user, poolName = 'main') {
  const p = pool(poolName);
  assert.equal(typeof user.id, 'string');
  assert.ok(user.id.length > 0);
  assert.equal(user.userPoolId, p.userPoolId);
  assert.equal(user.arn, `arn:cn:authing:${p.userPoolId}:user:${user.id}`);
  assert.ok(Array.isArray(user.registerSource), 'registerSource is an array');
  assert.ok(user.registerSource.length > 0, 'registerSource is not empty');
  assert.equal(user.password ?? null, null, 'the password hash is never returned');
  assert.equal(user.blocked, false);
  assert.equal(typeof user.createdAt, 'string');
  assert.ok(!Number.isNaN(Date.parse(user.createdAt)), 'createdAt is a date');
}

// --- registerByEmail --------------------------------------------------------------------

test('registerByEmail(email, password): emailVerified false, fields set', async () => {
  const c = client();
  const email = uniqueEmail('reg');
  const user = await c.registerByEmail(email, 'passw0rd');
  assertNewUser(user);
  assert.equal(user.email, email);
  assert.equal(user.emailVerified, false);
  assert.equal(user.username ?? null, null);
  assert.equal(user.phone ?? null, null);
  assert.ok(user.registerSource.some(s => /email/i.test(s)), `registerSource ${user.registerSource}`);
  // The new user can log in with that password.
  const logged = await client().loginByEmail(email, 'passw0rd');
  assert.equal(logged.id, user.id);
});

test('registerByEmail with profile {nickname, company}', async () => {
  const c = client();
  const email = uniqueEmail('regp');
  const user = await c.registerByEmail(email, 'passw0rd', { nickname: 'Nick', company: '蒸汽记忆' });
  assertNewUser(user);
  assert.equal(user.nickname, 'Nick');
  assert.equal(user.company, '蒸汽记忆');
});

test('registerByEmail with customData {source: "google"}', async () => {
  const email = uniqueEmail('regc');
  const user = await client().registerByEmail(email, 'passw0rd', null, {
    customData: { source: 'google' }
  });
  assertNewUser(user);
  const c = client();
  const logged = await c.loginByEmail(email, 'passw0rd');
  assert.equal(logged.customData.source, 'google', 'customData set at registration is stored');
  const udf = await c.getUdfValue();
  assert.equal(udf.source, 'google');
});

test('registerByEmail with forceLogin: token usable, loginsCount 1', async () => {
  const c = client();
  const email = uniqueEmail('regf');
  const user = await c.registerByEmail(email, PASSWORD, null, { forceLogin: true });
  assert.equal(typeof user.token, 'string');
  assert.equal(user.loginsCount, 1, 'forceLogin counts one login');
  const claims = jwtPayload(user.token);
  assert.equal(claims.sub, user.id);
  assert.equal(claims.data?.id, user.id);
  assert.equal(typeof claims.exp, 'number');
  const me = await client('main', { token: user.token }).getCurrentUser();
  assert.ok(me, 'getCurrentUser with the registration token');
  assert.equal(me.id, user.id);
  const status = await client().checkLoginStatus(user.token);
  assert.equal(status.status, true);
});

test('registerByEmail with generateToken: token usable, no login counted', async () => {
  const c = client();
  const user = await c.registerByEmail(uniqueEmail('regg'), PASSWORD, null, { generateToken: true });
  assert.equal(typeof user.token, 'string');
  assert.equal(user.loginsCount ?? 0, 0, 'generateToken does not count a login');
  const me = await client('main', { token: user.token }).getCurrentUser();
  assert.ok(me);
  assert.equal(me.id, user.id);
});

test('registerByEmail: the same email in another case → 2026', async () => {
  const local = `dup-${uniqueUsername('x')}`;
  await client().registerByEmail(`${local}@example.com`, PASSWORD);
  await rejectsWith(
    client().registerByEmail(`${local.toUpperCase()}@Example.COM`, PASSWORD),
    2026
  );
  await rejectsWith(client().registerByEmail(`${local}@example.com`, PASSWORD), 2026);
});

// --- registerByUsername -----------------------------------------------------------------

test('registerByUsername(username, password)', async () => {
  const c = client();
  const username = uniqueUsername('bob');
  const user = await c.registerByUsername(username, 'passw0rd');
  assertNewUser(user);
  assert.equal(user.username, username);
  assert.equal(user.email ?? null, null);
  const logged = await client().loginByUsername(username, 'passw0rd');
  assert.equal(logged.id, user.id);
});

test('registerByUsername with profile {nickname, company}', async () => {
  const user = await client().registerByUsername(uniqueUsername('bobp'), 'passw0rd', {
    nickname: 'Nick',
    company: '蒸汽记忆'
  });
  assert.equal(user.nickname, 'Nick');
  assert.equal(user.company, '蒸汽记忆');
});

test('registerByUsername with customData {source: "google"}', async () => {
  const username = uniqueUsername('bobc');
  await client().registerByUsername(username, 'passw0rd', null, { customData: { source: 'google' } });
  const logged = await client().loginByUsername(username, 'passw0rd');
  assert.equal(logged.customData.source, 'google');
});

test('registerByUsername with forceLogin returns a token', async () => {
  const user = await client().registerByUsername(uniqueUsername('bobf'), PASSWORD, null, {
    forceLogin: true
  });
  assert.equal(typeof user.token, 'string');
  assert.equal(user.loginsCount, 1);
});

test('registerByUsername: duplicate → 2034; usernames are case-sensitive', async () => {
  const username = uniqueUsername('Dup');
  await client().registerByUsername(username, PASSWORD);
  await rejectsWith(client().registerByUsername(username, PASSWORD), 2034);
  const other = await client().registerByUsername(username.toLowerCase(), PASSWORD);
  assert.equal(other.username, username.toLowerCase());
});

// --- pool rules -------------------------------------------------------------------------

test('registerDisabled pool: registration refused with 2031', async () => {
  await rejectsWith(client('registerDisabled').registerByEmail(uniqueEmail('rd'), PASSWORD), 2031);
  await rejectsWith(
    client('registerDisabled').registerByUsername(uniqueUsername('rd'), PASSWORD),
    2031
  );
});

test('whitelist pool: a non-listed email is refused, the listed one registers', async () => {
  await rejectsWith(client('whitelist').registerByEmail(uniqueEmail('wl'), PASSWORD), 'numeric');
  const allowed = fixtures.whitelist.allowedEmail;
  const user = await client('whitelist').registerByEmail(allowed, PASSWORD);
  assert.equal(user.email, allowed);
  assert.equal(user.userPoolId, pool('whitelist').userPoolId);
});

test('frequentRegister pool: the third registration from one clientIp → 2100', async () => {
  const clientIp = uniqueIp();
  const limit = fixtures.settings.frequentRegister.limit;
  for (let i = 0; i < limit; i++) {
    await client('frequentRegister').registerByEmail(uniqueEmail('fr'), PASSWORD, null, { clientIp });
  }
  await rejectsWith(
    client('frequentRegister').registerByEmail(uniqueEmail('fr'), PASSWORD, null, { clientIp }),
    2100
  );
  // Another IP is not affected.
  await client('frequentRegister').registerByEmail(uniqueEmail('fr'), PASSWORD, null, {
    clientIp: uniqueIp()
  });
});

test('strength pool (level 2): weak password → 2029 with the level message', async () => {
  const c = client('strength2');
  const check = await c.checkPasswordStrength('abcdefgh');
  assert.equal(check.valid, false);
  assert.equal(check.message, '请使用至少 6 位字符作为密码，须包含英文、数字与符号中的两种');
  const e = await rejectsWith(c.registerByEmail(uniqueEmail('s2'), 'abcdefgh'), 2029);
  assert.equal(e.message, check.message);
  await rejectsWith(client('strength2').registerByUsername(uniqueUsername('s2'), 'abc'), 2029);
  const ok = await client('strength2').registerByEmail(uniqueEmail('s2'), 'abc123');
  assert.ok(ok.id);
});

test('strength pool (level 3): needs letters, digits and symbols → 2029', async () => {
  const c = client('strength3');
  const check = await c.checkPasswordStrength('abc123');
  assert.equal(check.valid, false);
  assert.match(check.message, /英文、数字与符号/);
  const e = await rejectsWith(c.registerByEmail(uniqueEmail('s3'), 'abc123'), 2029);
  assert.equal(e.message, check.message);
  const ok = await client('strength3').registerByEmail(uniqueEmail('s3'), 'abc123!');
  assert.ok(ok.id);
  assert.deepEqual(await client('strength3').checkPasswordStrength('strongPassw0rd!'), {
    valid: true,
    message: '密码检验成功'
  });
});

test('checkPasswordStrength on the main pool (no rule): any non-empty password is valid', async () => {
  const c = client();
  assert.deepEqual(await c.checkPasswordStrength('strongPassw0rd!'), {
    valid: true,
    message: '密码检验成功'
  });
  const weak = await c.checkPasswordStrength('weak');
  assert.equal(weak.valid, true);
});

test('checkPasswordStrength("weak") on the level-2 pool: the seed message', async () => {
  assert.deepEqual(await client('strength2').checkPasswordStrength('weak'), {
    valid: false,
    message: '请使用至少 6 位字符作为密码，须包含英文、数字与符号中的两种'
  });
});
