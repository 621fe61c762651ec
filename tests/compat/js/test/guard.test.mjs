// The login guard and password transport through the SDK (issue 11, items 3–5): a new
// pool's login-failure check, per account, per address and pool-wide (spraying), the
// block-account strategy, the raster captcha (single use, bound to the pool and client),
// and passwords to set that do not decrypt with the deployment's key (2016).
// Pools: guardDefaults, guardSpray, guardLock, guardCaptcha (all at their defaults).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  client, mgmt, pool, uniqueEmail, uniqueUsername, uniqueIp, rejectsWith, PASSWORD,
  captchaAnswer, mailboxSeq, sleep
} from './helpers.mjs';

/** Runs `n` logins and tallies their outcome codes (`ok` for a success). */
async function tally(n, login) {
  const seen = {};
  for (let i = 0; i < n; i++) {
    let key;
    try {
      await login(i);
      key = 'ok';
    } catch (e) {
      key = typeof e?.code === 'number' ? e.code : String(e);
    }
    seen[key] = (seen[key] || 0) + 1;
  }
  return seen;
}

async function registered(poolName) {
  const email = uniqueEmail('g');
  const user = await client(poolName).registerByEmail(email, PASSWORD, null, { clientIp: uniqueIp() });
  return { email, user };
}

/** Fetches the captcha image for `clientIp` and returns `{res, img, answer}`. */
async function captcha(poolName, clientIp) {
  const p = pool(poolName);
  const since = await mailboxSeq();
  const res = await fetch(`${p.appHost}/api/v2/security/captcha?app_id=${p.appId}&client_ip=${clientIp}`);
  const img = Buffer.from(await res.arrayBuffer());
  const { answer } = await captchaAnswer(`${p.userPoolId}:${clientIp}`, since);
  return { res, img, answer };
}

// --- item 3: safe defaults and counters ----------------------------------------------------

test('a new pool checks login failures: 5 per account within 15 min', async () => {
  const d = await mgmt('guardDefaults').userpool.detail();
  assert.deepEqual(d.loginFailCheck, { enabled: true, limit: 5, timeInterval: 900 });
  assert.equal(d.loginFailStrategy, 'captcha');
});

test('one account, 100 wrong passwords from 100 addresses: 5 are checked, the right one then needs a captcha', async () => {
  const { email } = await registered('guardDefaults');
  const c = client('guardDefaults');
  const seen = await tally(100, () => c.loginByEmail(email, 'wrong-pass', { clientIp: uniqueIp() }));
  assert.deepEqual(seen, { 2006: 5, 2000: 95 });
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp: uniqueIp() }), 2000, 'the right password:');
});

test('one address, 20 accounts × 1 guess: 10 are checked, then its logins need a captcha', async () => {
  const clientIp = uniqueIp();
  const c = client('guardDefaults');
  const seen = await tally(20, () => c.loginByEmail(uniqueEmail('spray'), 'Summer2024!', { clientIp }));
  assert.deepEqual(seen, { 2004: 10, 2000: 10 });
  // Another address is not limited by it.
  await rejectsWith(c.loginByEmail(uniqueEmail('spray'), 'Summer2024!', { clientIp: uniqueIp() }), 2004);
});

test('spraying from many addresses: after 50 accounts with failures every password login of the pool needs a captcha', async () => {
  const P = 'guardSpray';
  const { email, user } = await registered(P);
  const c = client(P);
  const seen = await tally(60, () => c.loginByEmail(uniqueEmail('dist'), 'Summer2024!', { clientIp: uniqueIp() }));
  assert.deepEqual(seen, { 2004: 50, 2000: 10 });
  const clientIp = uniqueIp();
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp }), 2000, 'a user of the sprayed pool:');
  const { answer } = await captcha(P, clientIp);
  const me = await c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: answer });
  assert.equal(me.id, user.id);
});

test('block-account: the account is locked, even for the right password, until an administrator unblocks it or its failures age out', async () => {
  const P = 'guardLock';
  const mc = mgmt(P);
  const updated = await mc.userpool.update({
    loginFailStrategy: 'block-account',
    loginFailCheck: { enabled: true, limit: 3, timeInterval: 3 }
  });
  assert.equal(updated.loginFailStrategy, 'block-account');
  const { email, user } = await registered(P);
  const c = client(P);
  const seen = await tally(6, () => c.loginByEmail(email, 'wrong-pass', { clientIp: uniqueIp() }));
  assert.deepEqual(seen, { 2006: 3, 2005: 3 });
  const clientIp = uniqueIp();
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp }), 2005, 'locked, right password:');
  // A captcha does not open a lock.
  const { answer } = await captcha(P, clientIp);
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: answer }), 2005);
  // An administrator's unblock ends it.
  await mc.users.update(user.id, { blocked: false });
  assert.equal((await c.loginByEmail(email, PASSWORD, { clientIp })).id, user.id, 'unblocked');
  // Locked again, it ends with the window.
  const again = await tally(4, () => c.loginByEmail(email, 'wrong-pass', { clientIp: uniqueIp() }));
  assert.deepEqual(again, { 2006: 3, 2005: 1 });
  await sleep(3300);
  const me = await c.loginByEmail(email, PASSWORD, { clientIp });
  assert.equal(me.id, user.id, 'unlocked once the window has passed');
});

// --- item 4: the captcha ---------------------------------------------------------------------

test('the captcha is a PNG drawn anew for every request, single use, for one pool and client', async () => {
  const P = 'guardCaptcha';
  const { email, user } = await registered(P);
  const c = client(P);
  const clientIp = uniqueIp();
  const seen = await tally(5, () => c.loginByEmail(email, 'wrong-pass', { clientIp }));
  assert.deepEqual(seen, { 2006: 5 });
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp }), 2000);

  const first = await captcha(P, clientIp);
  assert.equal(first.res.status, 200);
  assert.equal(first.res.headers.get('content-type'), 'image/png');
  assert.equal(first.res.headers.get('cache-control'), 'no-store');
  assert.deepEqual([...first.img.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(!first.img.includes(Buffer.from(first.answer)), 'the answer is not in the image bytes');

  // Another client's captcha does not serve this one, nor does another pool's.
  const other = await captcha(P, uniqueIp());
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: other.answer }), 2001);
  const elsewhere = await captcha('guardDefaults', clientIp);
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: elsewhere.answer }), 2001);

  // A right answer is used up by the attempt it came with, whatever the password.
  const { answer } = await captcha(P, clientIp);
  await rejectsWith(c.loginByEmail(email, 'wrong-pass', { clientIp, captchaCode: answer }), 2006);
  await rejectsWith(c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: answer }), 2001, 'reused:');
  const fresh = await captcha(P, clientIp);
  const me = await c.loginByEmail(email, PASSWORD, { clientIp, captchaCode: fresh.answer.toLowerCase() });
  assert.equal(me.id, user.id);
});

// --- item 5: passwords to set must decrypt with our key ------------------------------------

function foreignPublicKey() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' }
  }).publicKey;
}

test("a client that kept another deployment's publicKey cannot register (2016), and nothing is created", async () => {
  const foreign = client('main', { publicKey: foreignPublicKey() });
  const email = uniqueEmail('foreign');
  await rejectsWith(foreign.registerByEmail(email, PASSWORD, null, { clientIp: uniqueIp() }), 2016);
  assert.equal(await client().isUserExists({ email }), false);
  const username = uniqueUsername('foreign');
  await rejectsWith(foreign.registerByUsername(username, PASSWORD, null, { clientIp: uniqueIp() }), 2016);
  // Plain text instead of ciphertext (an encryptFunction that does nothing).
  const plain = client('main', { encryptFunction: async p => p });
  await rejectsWith(plain.registerByEmail(uniqueEmail('plain'), PASSWORD, null, { clientIp: uniqueIp() }), 2016);
  // Logging in keeps implicit rejection: a wrong password, whatever the reason.
  const ok = await client().registerByEmail(uniqueEmail('known'), PASSWORD, null, { clientIp: uniqueIp() });
  await rejectsWith(foreign.loginByEmail(ok.email, PASSWORD, { clientIp: uniqueIp() }), 2006);
});

test('updatePassword and resetPassword refuse a password that does not decrypt (2016)', async () => {
  const email = uniqueEmail('upd');
  const u = await client().registerByEmail(email, PASSWORD, null, { forceLogin: true, clientIp: uniqueIp() });
  const foreign = client('main', { publicKey: foreignPublicKey(), token: u.token });
  await rejectsWith(foreign.updatePassword('n3w-passw0rd', PASSWORD), 2016);
  await rejectsWith(foreign.resetPasswordByEmailCode(email, '123456', 'n3w-passw0rd'), 2016);
  // The old password still works: nothing was set.
  assert.equal((await client().loginByEmail(email, PASSWORD, { clientIp: uniqueIp() })).id, u.id);
});

test('decryption failures count per address: after 10, every password to set from it is refused', async () => {
  const clientIp = uniqueIp();
  const foreign = client('main', { publicKey: foreignPublicKey() });
  for (let i = 0; i < 10; i++) {
    await rejectsWith(foreign.registerByEmail(uniqueEmail('oracle'), PASSWORD, null, { clientIp }), 2016);
  }
  // The right key no longer helps from that address, so the answer tells nothing.
  const email = uniqueEmail('after');
  await rejectsWith(client().registerByEmail(email, PASSWORD, null, { clientIp }), 2016);
  assert.equal(await client().isUserExists({ email }), false);
  // Another address is unaffected.
  await client().registerByEmail(uniqueEmail('other'), PASSWORD, null, { clientIp: uniqueIp() });
});
