// v3 Users family through authing-node-sdk@4.0.1 (seed 003), with round trips through the
// v2 ManagementClient (one core, two wires) and the bad inputs of issue 13.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient as V2Management } from 'authing-js-sdk';
import { TESSERA_URL, pool, client, uniqueEmail, uniqueUsername, cnPhone } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Users';
const mc = v3(P);
const v2 = () => {
  const p = pool(P);
  return new V2Management({ userPoolId: p.userPoolId, secret: p.secret, host: TESSERA_URL });
};

test('createUser → getUser (v3) and users.detail (v2) read the same user', async () => {
  const email = uniqueEmail('v3c');
  const u = data(await mc.createUser({
    email, username: uniqueUsername('v3c'), nickname: '小明', gender: 'M',
    password: 'passw0rd!', emailVerified: true,
  }));
  assert.equal(u.email, email);
  assert.equal(u.nickname, '小明');
  assert.equal(u.status, 'Activated');
  assert.equal(u.gender, 'M');
  assert.equal(typeof u.userId, 'string');
  const again = data(await mc.getUser({ userId: u.userId }));
  assert.equal(again.userId, u.userId);
  const byEmail = data(await mc.getUser({ userId: email, userIdType: 'email' }));
  assert.equal(byEmail.userId, u.userId);
  const old = await v2().users.detail(u.userId);
  assert.equal(old.email, email);
  assert.equal(old.nickname, '小明');
});

test('updateUser changes only what it names; v2 sees it; status Suspended blocks', async () => {
  const u = data(await mc.createUser({ username: uniqueUsername('v3u'), company: 'Acme', password: 'passw0rd!' }));
  const upd = data(await mc.updateUser({ userId: u.userId, nickname: 'nick' }));
  assert.equal(upd.nickname, 'nick');
  assert.equal(upd.company, 'Acme');
  const blocked = data(await mc.updateUser({ userId: u.userId, status: 'Suspended' }));
  assert.equal(blocked.status, 'Suspended');
  const old = await v2().users.detail(u.userId);
  assert.equal(old.blocked, true);
  // And back through v2, read through v3.
  await v2().users.update(u.userId, { blocked: false, company: 'Beta' });
  const now = data(await mc.getUser({ userId: u.userId }));
  assert.equal(now.status, 'Activated');
  assert.equal(now.company, 'Beta');
});

test('a user created through v2 is listed and found through v3', async () => {
  const username = uniqueUsername('fromv2');
  const created = await v2().users.create({ username, password: 'passw0rd!' });
  const page = data(await mc.listUsers({
    keywords: username, options: { fuzzySearchOn: ['username'], pagination: { page: 1, limit: 10 } },
  }));
  assert.equal(page.totalCount, 1);
  assert.equal(page.list[0].userId, created.id);
  const legacy = data(await mc.listUsersLegacy({ page: 1, limit: 5 }));
  assert.ok(legacy.totalCount >= 1);
  assert.ok(legacy.list.length <= 5);
  const batch = data(await mc.getUserBatch({ userIds: [created.id], withIdentities: true }));
  assert.equal(batch.length, 1);
  assert.deepEqual(batch[0].identities, []);
  const exists = data(await mc.isUserExists({ username }));
  assert.equal(exists.exists, true);
  assert.equal(data(await mc.isUserExists({ username: `${username}-none` })).exists, false);
});

test('createUsersBatch is all-or-nothing', async () => {
  const email = uniqueEmail('dup');
  data(await mc.createUser({ email }));
  const fresh = uniqueEmail('fresh');
  refused(await mc.createUsersBatch({ list: [{ email: fresh }, { email }] }), { statusCode: 409 });
  const none = data(await mc.isUserExists({ email: fresh }));
  assert.equal(none.exists, false, 'the failed batch wrote nothing');
  const made = data(await mc.createUsersBatch({ list: [{ email: fresh }, { username: uniqueUsername('b') }] }));
  assert.equal(made.length, 2);
});

test('deleteUsersBatch removes users; v2 no longer finds them', async () => {
  const u = data(await mc.createUser({ phone: cnPhone() }));
  assert.deepEqual(data(await mc.deleteUsersBatch({ userIds: [u.userId] })), { success: true });
  refused(await mc.getUser({ userId: u.userId }), { statusCode: 404 });
  refused(await mc.deleteUsersBatch({ userIds: [u.userId] }), { statusCode: 404 });
});

test('bad input: wrong types, missing fields, unknown enums, another pool\'s users', async () => {
  refused(await mc.createUser({ email: 'not-an-email' }), { statusCode: 400 });
  refused(await mc.createUser({ email: 5 }), { statusCode: 400 });
  refused(await mc.updateUser({ nickname: 'x' }), { statusCode: 400 });
  refused(await mc.getUser({ userId: 'x', userIdType: 'nonsense' }), { statusCode: 400 });
  refused(await mc.createUser({ username: uniqueUsername('s'), status: 'Weird' }), { statusCode: 400 });
  // A user of another pool is not found from this one, and is not changed.
  const other = v3('v3Sign');
  const theirs = data(await other.createUser({ username: uniqueUsername('theirs'), nickname: 'keep' }));
  refused(await mc.getUser({ userId: theirs.userId }), { statusCode: 404 });
  refused(await mc.updateUser({ userId: theirs.userId, nickname: 'changed' }), { statusCode: 404 });
  refused(await mc.deleteUsersBatch({ userIds: [theirs.userId] }), { statusCode: 404 });
  assert.equal(data(await other.getUser({ userId: theirs.userId })).nickname, 'keep');
});

test('login history, kick and resignation: what a v2 login records, v3 reads and ends', async () => {
  const username = uniqueUsername('hist');
  const u = data(await mc.createUser({ username, password: 'passw0rd!' }));
  const auth = client(P);
  const logged = await auth.loginByUsername(username, 'passw0rd!');
  const hist = data(await mc.getUserLoginHistory({ userId: u.userId }));
  assert.equal(hist.totalCount, 1);
  assert.equal(hist.list[0].appId, pool(P).appId);
  assert.match(hist.list[0].time, /^\d{4}-\d{2}-\d{2}T/);
  const st = await auth.checkLoginStatus(logged.token);
  assert.equal(st.status, true);
  assert.deepEqual(data(await mc.kickUsers({ userId: u.userId, appIds: [pool(P).appId] })), { success: true });
  const after = await auth.checkLoginStatus(logged.token);
  assert.equal(after.status, false, 'a kicked user\'s token no longer counts');
  assert.deepEqual(data(await mc.resignUser({ userId: u.userId })), { success: true });
  const archived = data(await mc.listArchivedUsers({ page: 1, limit: 50 }));
  assert.ok(archived.list.some(a => a.userId === u.userId));
  await assert.rejects(auth.loginByUsername(username, 'passw0rd!'));
  const a = data(await mc.createUser({ username: uniqueUsername('rb') }));
  const b = data(await mc.createUser({ username: uniqueUsername('rb') }));
  refused(await mc.resignUserBatch({ userIds: [a.userId, 'nobody'] }), { statusCode: 404, apiCode: 2004 });
  assert.equal(data(await mc.getUser({ userId: a.userId })).status, 'Activated', 'nothing archived');
  data(await mc.resignUserBatch({ userIds: [a.userId, b.userId] }));
});

test('importOtp then getOtpSecretByUser and the MFA views', async () => {
  const u = data(await mc.createUser({ username: uniqueUsername('otp') }));
  refused(await mc.getOtpSecretByUser({ userId: u.userId }), { statusCode: 404 });
  const before = data(await mc.getUserMfaInfo({ userId: u.userId }));
  assert.equal(before.totpStatus, 'DISABLED');
  refused(await mc.importOtp({ list: [{ userId: u.userId, otp: { secret: 'JBSWY3DPEHPK3PXP' } }, { userId: 'nobody', otp: { secret: 'X' } }] }), { statusCode: 404 });
  refused(await mc.getOtpSecretByUser({ userId: u.userId }), { statusCode: 404 });
  const r = await mc.importOtp({ list: [{ userId: u.userId, otp: { secret: 'JBSWY3DPEHPK3PXP', recoveryCode: 'r-1' } }] });
  assert.equal(r.statusCode, 200, JSON.stringify(r));
  assert.equal(data(await mc.getOtpSecretByUser({ userId: u.userId })).secret, 'JBSWY3DPEHPK3PXP');
  assert.equal(data(await mc.getUserMfaInfo({ userId: u.userId })).totpStatus, 'ENABLED');
  const st = data(await mc.getUserMfaStatus({ userId: u.userId }));
  assert.equal(st.totpMfaEnabled, true);
  assert.equal(st.username, u.username);
});

test('updateUserBatch and identities', async () => {
  const a = data(await mc.createUser({ username: uniqueUsername('ub'),
    identities: [{ extIdpId: 'idp-1', provider: 'github', type: 'social', userIdInIdp: 'gh-1', userInfoInIdp: {}, originConnIds: [] }] }));
  const b = data(await mc.createUser({ username: uniqueUsername('ub') }));
  const out = data(await mc.updateUserBatch({ list: [{ userId: a.userId, nickname: 'A' }, { userId: b.userId, nickname: 'B' }] }));
  assert.deepEqual(out.map(u => u.nickname), ['A', 'B']);
  const ids = data(await mc.getUserIdentities({ userId: a.userId }));
  assert.equal(ids.length, 1);
  assert.equal(ids[0].provider, 'github');
  assert.equal(ids[0].userIdInIdp, 'gh-1');
  const found = data(await mc.getUser({ userId: 'github:gh-1', userIdType: 'identity' }));
  assert.equal(found.userId, a.userId);
});
