// Bad input: every case must be refused with a numeric Authing code and the server must
// keep serving. Runs its cases in order and checks /health last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, pool, uniqueEmail, cnPhone, rejectsWith, PASSWORD, newEmailUser, smsCode, emailCode,
  rawGraphql, assertGraphqlError, forge, HAS_CJK
} from './helpers.mjs';

const MB = 'x'.repeat(1024 * 1024);

test('a 1 MB nickname in updateProfile → numeric code', async () => {
  const { client: c } = await newEmailUser();
  await rejectsWith(c.updateProfile({ nickname: MB }), 'numeric');
  assert.ok(await c.getCurrentUser(), 'still serving');
});

test('a 1 MB nickname in the register profile → numeric code, nothing created', async () => {
  const email = uniqueEmail('big');
  await rejectsWith(client().registerByEmail(email, PASSWORD, { nickname: MB }), 'numeric');
  assert.equal(await client().isUserExists({ email }), false);
});

test("malformed email 'not-an-email' → 2003", async () => {
  await rejectsWith(client().registerByEmail('not-an-email', PASSWORD), 2003);
  await rejectsWith(client().loginByEmail('not-an-email', PASSWORD), 'numeric');
  await rejectsWith(client().sendEmail('not-an-email', 'LOGIN_VERIFY_CODE'), 'numeric');
});

test('malformed phone → numeric code', async () => {
  await rejectsWith(client().sendSmsCode('12ab34'), 'numeric');
  await rejectsWith(client().registerByPhoneCode('12ab34', '1234', PASSWORD), 'numeric');
  await rejectsWith(client().loginByPhonePassword('++', PASSWORD), 'numeric');
});

const REGISTER_BY_EMAIL = `
    mutation registerByEmail($input: RegisterByEmailInput!) {
  registerByEmail(input: $input) {
    id
    email
  }
}
    `;

test('raw GraphQL: password as a number → HTTP 200, errors[0].message.code numeric', async () => {
  const res = await rawGraphql(REGISTER_BY_EMAIL, {
    input: { email: uniqueEmail('raw'), password: 12345678 }
  });
  assertGraphqlError(res, 'number password:');
});

test('raw GraphQL: missing required fields → numeric code', async () => {
  assertGraphqlError(await rawGraphql(REGISTER_BY_EMAIL, { input: { email: uniqueEmail('raw') } }), 'no password:');
  assertGraphqlError(await rawGraphql(REGISTER_BY_EMAIL, {}), 'no input:');
  assertGraphqlError(
    await rawGraphql('query checkPasswordStrength($password: String!) { checkPasswordStrength(password: $password) { valid message } }', {}),
    'no $password:'
  );
});

test('raw GraphQL: a password that is not RSA ciphertext → numeric code (2016)', async () => {
  const res = await rawGraphql(REGISTER_BY_EMAIL, {
    input: { email: uniqueEmail('raw'), password: 'plaintext-not-encrypted' }
  });
  const m = assertGraphqlError(res, 'unencrypted password:');
  assert.equal(m.code, 2016);
});

test('SDK: missing required fields (undefined username) → numeric code', async () => {
  await rejectsWith(client().registerByUsername(undefined, PASSWORD), 'numeric');
  await rejectsWith(client().loginByUsername(undefined, PASSWORD), 'numeric');
});

test('a forged token (bad signature) → checkLoginStatus 2207, getCurrentUser null', async () => {
  const { token } = await newEmailUser();
  const forged = forge(token);
  const s = await client().checkLoginStatus(forged);
  assert.equal(s.code, 2207);
  assert.equal(await client('main', { token: forged }).getCurrentUser(), null);
  await rejectsWith(client('main', { token: forged }).getSecurityLevel(), 'numeric');
});

test("a token of another pool → 2207 or 2020 on this pool's app", async () => {
  const other = await newEmailUser('noVerifyOld');
  const s = await client('main').checkLoginStatus(other.token);
  assert.ok([2207, 2020].includes(s.code), `code ${s.code}`);
  await rejectsWith(client('main', { token: other.token }).getSecurityLevel(), [2207, 2020]);
});

test('a replayed SMS code → 2001 or 2300', async () => {
  const phone = cnPhone();
  const c = client();
  const code = await smsCode(c, phone);
  await c.registerByPhoneCode(phone, code, PASSWORD);
  await rejectsWith(client().loginByPhoneCode(phone, code), [2001, 2300]);
});

test('a replayed email code → 2001 or 2300', async () => {
  const { email } = await newEmailUser();
  const c = client();
  const code = await emailCode(c, email, 'LOGIN_VERIFY_CODE');
  await c.loginByEmailCode(email, code);
  await rejectsWith(client().loginByEmailCode(email, code), [2001, 2300]);
});

test("x-authing-lang: en-US (lang:'en-US') gives English messages", async () => {
  const zh = await rejectsWith(client().loginByEmail(uniqueEmail('nobody'), PASSWORD), 2004);
  assert.match(zh.message, HAS_CJK, `default zh-CN: ${zh.message}`);
  const en = await rejectsWith(
    client('main', { lang: 'en-US' }).loginByEmail(uniqueEmail('nobody'), PASSWORD),
    2004
  );
  assert.doesNotMatch(en.message, HAS_CJK, `en-US: ${en.message}`);
  assert.match(en.message, /[A-Za-z]/);
});

test('many bad requests at once do not stop the server', async () => {
  const bad = [];
  for (let i = 0; i < 20; i++) {
    bad.push(client().loginByEmail(`bad${i}`, PASSWORD).catch(e => e));
    bad.push(rawGraphql('{', {}).catch(e => e));
  }
  await Promise.all(bad);
  const s = await client().checkPasswordStrength('abc');
  assert.equal(s.valid, true);
});

test('after all of the above, GET /health still answers', async () => {
  const res = await fetch(`${pool().appHost}/health`);
  assert.equal(res.status, 200);
});
