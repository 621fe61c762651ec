// The user's own account: updateProfile, updatePassword, getSecurityLevel, the avatar upload
// endpoint, linkAccount, isUserExists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import {
  client, pool, fixtures, uniqueEmail, uniqueUsername, cnPhone, rejectsWith, PASSWORD,
  newEmailUser, newPhoneUser
} from './helpers.mjs';

// --- updateProfile ----------------------------------------------------------------------

test('updateProfile: profile fields are saved and the token is kept', async () => {
  const { client: c, user } = await newEmailUser();
  const updates = {
    nickname: 'Nick',
    company: '蒸汽记忆',
    lastIP: '111.111.111.111',
    name: 'Bob Smith',
    givenName: 'Bob',
    familyName: 'Smith',
    website: 'https://example.com',
    gender: 'M',
    birthdate: '1990-01-01',
    city: 'Wuhan',
    province: 'Hubei',
    country: 'CN',
    address: 'No. 1 Road',
    postalCode: '430000',
    locale: 'zh-CN'
  };
  const updated = await c.updateProfile(updates);
  assert.equal(updated.id, user.id);
  for (const [k, v] of Object.entries(updates)) {
    assert.equal(updated[k], v, `field ${k}`);
  }
  assert.equal(updated.token, user.token, 'updateUser echoes the caller token');
  const me = await c.getCurrentUser();
  assert.ok(me, 'still logged in after updateProfile');
  assert.equal(me.nickname, 'Nick');
  assert.equal(me.company, '蒸汽记忆');
});

test('updateProfile seed example {nickname, lastIp}: never an error without an Authing code', async () => {
  const { client: c } = await newEmailUser();
  try {
    const u = await c.updateProfile({ nickname: 'Nick', lastIp: '111.111.111.111' });
    assert.equal(u.nickname, 'Nick');
  } catch (e) {
    assert.equal(typeof e?.code, 'number', `the error must carry a numeric code: ${JSON.stringify(e)}`);
  }
});

test('updateProfile({phone}) → 2226, ({email}) → 2225', async () => {
  const { client: c } = await newEmailUser();
  await rejectsWith(c.updateProfile({ phone: cnPhone() }), 2226);
  await rejectsWith(c.updateProfile({ email: uniqueEmail('x') }), 2225);
});

test('updateProfile({username}) changes the username', async () => {
  const { client: c } = await newEmailUser();
  const username = uniqueUsername('renamed');
  const u = await c.updateProfile({ username });
  assert.equal(u.username, username);
  const logged = await client().loginByUsername(username, PASSWORD);
  assert.equal(logged.id, u.id);
});

test('updateProfile without logging in throws locally', async () => {
  await assert.rejects(client().updateProfile({ nickname: 'x' }));
});

// --- updatePassword ---------------------------------------------------------------------

test('updatePassword(new, old): wrong old → 2203, missing old → 2201, right old works', async () => {
  const { client: c, email } = await newEmailUser();
  await rejectsWith(c.updatePassword('newPassw0rd', 'not-the-old-one'), 2203);
  await rejectsWith(c.updatePassword('newPassw0rd'), 2201);
  const u = await c.updatePassword('newPassw0rd', PASSWORD);
  assert.equal(u.email, email);
  const logged = await client().loginByEmail(email, 'newPassw0rd');
  assert.equal(logged.email, email);
  await rejectsWith(client().loginByEmail(email, PASSWORD), 2006);
});

test('updatePassword(new) for a user without a password (registered by phone code)', async () => {
  const { client: c, phone } = await newPhoneUser();
  const u = await c.updatePassword('passw0rd');
  assert.equal(u.phone, phone);
  const logged = await client().loginByPhonePassword(phone, 'passw0rd');
  assert.equal(logged.phone, phone);
});

// --- getSecurityLevel -------------------------------------------------------------------

test('getSecurityLevel: {score, email, phone, password, passwordSecurityLevel, mfa}', async () => {
  const { client: c } = await newEmailUser();
  const level = await c.getSecurityLevel();
  assert.equal(typeof level.score, 'number');
  assert.ok(level.score >= 0 && level.score <= 100);
  assert.equal(level.email, true);
  assert.equal(level.phone, false);
  assert.equal(level.password, true);
  assert.equal(level.mfa, false);
  assert.ok(
    level.passwordSecurityLevel === null || [1, 2, 3].includes(level.passwordSecurityLevel),
    `passwordSecurityLevel ${level.passwordSecurityLevel}`
  );
  const phoneUser = await newPhoneUser();
  const l2 = await phoneUser.client.getSecurityLevel();
  assert.equal(l2.phone, true);
  assert.equal(l2.email, false);
  assert.equal(l2.password, false);
});

// --- avatar upload (the endpoint uploadAvatar's XHR posts to) -----------------------------

function png(width = 1, height = 1) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = buf => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height, 0x7f);
  for (let y = 0; y < height; y++) raw[y * (width * 3 + 1)] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0))
  ]);
}

async function upload(bytes, filename, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  // Like the SDK's XHR: no Authorization, no x-authing-* headers.
  const res = await fetch(`${pool().appHost}/api/v2/upload?folder=avatar`, {
    method: 'POST',
    body: form
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`the upload answer is not JSON (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, body };
}

test('upload an avatar: {code:200, data:{key,url}}, the url serves the bytes; then updateProfile({photo})', async () => {
  const bytes = png(4, 4);
  const { body } = await upload(bytes, 'personal.png', 'image/png');
  assert.equal(body.code, 200, JSON.stringify(body));
  assert.equal(typeof body.data.key, 'string');
  assert.equal(typeof body.data.url, 'string');
  const res = await fetch(body.data.url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') || '', /^image\//);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  const { client: c } = await newEmailUser();
  const u = await c.updateProfile({ photo: body.data.url });
  assert.equal(u.photo, body.data.url);
});

test('upload: a non-image file is refused with a non-200 code', async () => {
  const { body } = await upload(Buffer.from('#!/bin/sh\necho hi\n'), 'x.sh', 'text/plain');
  assert.equal(typeof body.code, 'number', JSON.stringify(body));
  assert.notEqual(body.code, 200);
});

test('upload: a file over 2 MiB is refused with a non-200 code', async () => {
  const big = Buffer.concat([png(1, 1), Buffer.alloc(2 * 1024 * 1024 + 10, 0)]);
  const { body } = await upload(big, 'big.png', 'image/png');
  assert.equal(typeof body.code, 'number', JSON.stringify(body));
  assert.notEqual(body.code, 200);
  // Still serving.
  const again = await upload(png(), 'ok.png', 'image/png');
  assert.equal(again.body.code, 200);
});

// --- linkAccount ------------------------------------------------------------------------

test('linkAccount({primaryUserToken, secondaryUserToken}) → {code:200, message}', async () => {
  const primary = await newEmailUser();
  const secondary = await newEmailUser();
  const res = await client().linkAccount({
    primaryUserToken: primary.token,
    secondaryUserToken: secondary.token
  });
  assert.equal(res.code, 200);
  assert.equal(typeof res.message, 'string');
  // The secondary account is gone, its session with it; the primary one is untouched.
  const c = client();
  assert.equal(await c.isUserExists({ email: secondary.email }), false);
  assert.equal((await c.checkLoginStatus(secondary.token)).status, false);
  assert.equal((await c.checkLoginStatus(primary.token)).status, true);
  assert.equal(await c.isUserExists({ email: primary.email }), true);
});

test('linkAccount with a bad token is refused', async () => {
  const primary = await newEmailUser();
  await rejectsWith(
    client().linkAccount({ primaryUserToken: primary.token, secondaryUserToken: 'not-a-token' }),
    'numeric'
  );
});

// --- isUserExists -----------------------------------------------------------------------

test('isUserExists by username, email, phone, externalId', async () => {
  const c = client();
  const { email } = await newEmailUser();
  const { phone } = await newPhoneUser();
  const username = uniqueUsername('exists');
  await client().registerByUsername(username, PASSWORD);
  assert.equal(await c.isUserExists({ username }), true);
  assert.equal(await c.isUserExists({ username: uniqueUsername('nope') }), false);
  assert.equal(await c.isUserExists({ email }), true);
  assert.equal(await c.isUserExists({ email: email.toUpperCase() }), true);
  assert.equal(await c.isUserExists({ email: uniqueEmail('nope') }), false);
  assert.equal(await c.isUserExists({ phone }), true);
  assert.equal(await c.isUserExists({ phone: cnPhone() }), false);
  assert.equal(await c.isUserExists({ externalId: fixtures.users.external.externalId }), true);
  assert.equal(await c.isUserExists({ externalId: 'ext-does-not-exist' }), false);
});

test('computedPasswordSecurityLevel is local (1/2/3)', () => {
  const c = client();
  assert.equal(c.computedPasswordSecurityLevel('xxxxxxxx'), 1);
  assert.equal(c.computedPasswordSecurityLevel('passw0rd'), 2);
  assert.equal(c.computedPasswordSecurityLevel('Passw0rdPassw0rd'), 3);
});
