// Phone and email bindings: bindPhone / unbindPhone / updatePhone, bindEmail / unbindEmail /
// updateEmail, with "verify the old one" on (main pool) and off (noVerifyOld pool).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  client, uniqueEmail, cnPhone, ukPhone, rejectsWith, newEmailUser, newPhoneUser, smsCode,
  emailCode, sleep, RESEND_WAIT_MS
} from './helpers.mjs';

// The seed says bindEmail's code comes from sendEmail with EmailScene CHANGE_EMAIL.
const CHANGE_EMAIL = 'CHANGE_EMAIL';

// --- phone ------------------------------------------------------------------------------

test('bindPhone(phone, code) then unbindPhone()', async () => {
  const { client: c, user, token } = await newEmailUser();
  const phone = cnPhone();
  const code = await smsCode(c, phone);
  const bound = await c.bindPhone(phone, code);
  assert.equal(bound.id, user.id);
  assert.equal(bound.phone, phone);
  assert.equal(bound.phoneCountryCode, '+86');
  assert.equal(bound.token, token, 'bindPhone echoes the token (the SDK stores this user)');
  const me = await c.getCurrentUser();
  assert.equal(me.phone, phone);
  const unbound = await c.unbindPhone();
  assert.equal(unbound.phone ?? null, null);
  assert.ok(unbound.token, 'unbindPhone echoes the token');
  assert.ok(await c.getCurrentUser(), 'still logged in');
});

test('bindPhone(ukPhone, code, "+44")', async () => {
  const { client: c } = await newEmailUser();
  const phone = ukPhone();
  const code = await smsCode(c, phone, '+44');
  const bound = await c.bindPhone(phone, code, '+44');
  assert.equal(bound.phone, phone);
  assert.equal(bound.phoneCountryCode, '+44');
});

test('bindPhone: a phone bound to another user → 2035; wrong code → 2001', async () => {
  const other = await newPhoneUser();
  const { client: c } = await newEmailUser();
  await sleep(RESEND_WAIT_MS);
  const code = await smsCode(c, other.phone);
  await rejectsWith(c.bindPhone(other.phone, code), 2035);
  const phone = cnPhone();
  const code2 = await smsCode(c, phone);
  const wrong = code2.slice(0, -1) + (code2.endsWith('9') ? '0' : String(+code2.slice(-1) + 1));
  await rejectsWith(c.bindPhone(phone, wrong), 2001);
});

test('unbindPhone when the phone is the only way to log in → refused', async () => {
  const { client: c } = await newPhoneUser();
  await rejectsWith(c.unbindPhone(), 'numeric');
});

test('updatePhone with verify-old on: without the old phone → 2228; with it → changed', async () => {
  const { client: c, phone: oldPhone, user } = await newPhoneUser();
  const newPhone = cnPhone();
  const code = await smsCode(c, newPhone);
  await rejectsWith(c.updatePhone(newPhone, code), 2228);
  await sleep(RESEND_WAIT_MS);
  const newCode = await smsCode(c, newPhone);
  const oldCode = await smsCode(c, oldPhone);
  const u = await c.updatePhone(newPhone, newCode, oldPhone, oldCode);
  assert.equal(u.id, user.id);
  assert.equal(u.phone, newPhone);
  const me = await c.getCurrentUser();
  assert.equal(me.phone, newPhone);
});

test('updatePhone with verify-old on, international: (phone, code, oldPhone, oldCode, "+86", "+44")', async () => {
  const { client: c, phone: oldPhone } = await newPhoneUser('main', { phone: ukPhone(), phoneCountryCode: '+44' });
  await sleep(RESEND_WAIT_MS);
  const newPhone = cnPhone();
  const newCode = await smsCode(c, newPhone, '+86');
  const oldCode = await smsCode(c, oldPhone, '+44');
  const u = await c.updatePhone(newPhone, newCode, oldPhone, oldCode, '+86', '+44');
  assert.equal(u.phone, newPhone);
  assert.equal(u.phoneCountryCode, '+86');
});

test('updatePhone with a wrong old phone → 2038', async () => {
  const { client: c } = await newPhoneUser();
  await sleep(RESEND_WAIT_MS);
  const newPhone = cnPhone();
  const notMine = cnPhone();
  const newCode = await smsCode(c, newPhone);
  const oldCode = await smsCode(c, notMine);
  await rejectsWith(c.updatePhone(newPhone, newCode, notMine, oldCode), 2038);
});

test('updatePhone on the noVerifyOld pool: (phone, code) is enough; also "+44"', async () => {
  const { client: c, user } = await newPhoneUser('noVerifyOld');
  const newPhone = cnPhone();
  const code = await smsCode(c, newPhone);
  const u = await c.updatePhone(newPhone, code);
  assert.equal(u.id, user.id);
  assert.equal(u.phone, newPhone);
  const uk = ukPhone();
  const ukCode = await smsCode(c, uk, '+44');
  // The seed's short international form: updatePhone('788xxxx637', '1234', '+44') puts the
  // country code in the oldPhone slot; the explicit form names it as phoneCountryCode.
  const u2 = await c.updatePhone(uk, ukCode, undefined, undefined, '+44');
  assert.equal(u2.phone, uk);
  assert.equal(u2.phoneCountryCode, '+44');
});

// --- email ------------------------------------------------------------------------------

test('bindEmail(email, code) then unbindEmail()', async () => {
  const { client: c, user, token } = await newPhoneUser();
  const email = uniqueEmail('bind');
  const code = await emailCode(c, email, CHANGE_EMAIL);
  const bound = await c.bindEmail(email, code);
  assert.equal(bound.id, user.id);
  assert.equal(bound.email, email);
  assert.equal(bound.token, token, 'bindEmail echoes the token');
  const unbound = await c.unbindEmail();
  assert.equal(unbound.email ?? null, null);
  assert.ok(await c.getCurrentUser(), 'still logged in');
});

test('bindEmail: an email bound to another user → 2026 or 2200', async () => {
  const other = await newEmailUser();
  const { client: c } = await newPhoneUser();
  const code = await emailCode(c, other.email, CHANGE_EMAIL);
  await rejectsWith(c.bindEmail(other.email, code), [2026, 2200]);
});

test('unbindEmail when the email is the only way to log in → 2217', async () => {
  const { client: c } = await newEmailUser();
  await rejectsWith(c.unbindEmail(), 2217);
});

test('updateEmail with verify-old on: without the old email → 2227; with it → changed', async () => {
  const { client: c, email: oldEmail, user } = await newEmailUser();
  const newEmail = uniqueEmail('upd');
  const code = await emailCode(c, newEmail, CHANGE_EMAIL);
  await rejectsWith(c.updateEmail(newEmail, code), 2227);
  await sleep(RESEND_WAIT_MS);
  const newCode = await emailCode(c, newEmail, CHANGE_EMAIL);
  const oldCode = await emailCode(c, oldEmail, CHANGE_EMAIL);
  const u = await c.updateEmail(newEmail, newCode, oldEmail, oldCode);
  assert.equal(u.id, user.id);
  assert.equal(u.email, newEmail);
  const logged = await client().loginByEmail(newEmail, 'passw0rd');
  assert.equal(logged.id, user.id);
});

test('updateEmail with a wrong old email → 2037; same email → 2229', async () => {
  const { client: c, email } = await newEmailUser();
  const newEmail = uniqueEmail('upd');
  const notMine = uniqueEmail('notmine');
  const newCode = await emailCode(c, newEmail, CHANGE_EMAIL);
  const oldCode = await emailCode(c, notMine, CHANGE_EMAIL);
  await rejectsWith(c.updateEmail(newEmail, newCode, notMine, oldCode), 2037);
  await sleep(RESEND_WAIT_MS);
  const sameCode = await emailCode(c, email, CHANGE_EMAIL);
  await rejectsWith(c.updateEmail(email, sameCode), [2229, 2227]);
});

test('updateEmail on the noVerifyOld pool: (email, code) is enough', async () => {
  const { client: c, user } = await newEmailUser('noVerifyOld');
  const newEmail = uniqueEmail('nvo');
  const code = await emailCode(c, newEmail, CHANGE_EMAIL);
  const u = await c.updateEmail(newEmail, code);
  assert.equal(u.id, user.id);
  assert.equal(u.email, newEmail);
});
