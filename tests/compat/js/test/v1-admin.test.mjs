// The legacy SDK's (`authing-js-sdk@3.22.3`, seed 002) administrator and profile calls:
// user, userPatch, list, remove, update (profile, password, logout), refreshToken,
// refreshThirdPartyToken, through the SDK from npm against a live Tessera, in pool `v1Admin`
// (`v1Other` is the other pool of the cross-pool cases).
//
// The 3.x SDK keeps one user token per pool for the whole process and sends it on every
// "auto" call (`user`, `update`, `register`) once a login stored it (§4). Tests that need the
// administrator's mode start from `asAdmin(auth)`, which empties that slot, as `logout` does.
// A login stores its token in the slot of the FIRST pool the process constructed an SDK for
// (the SDK's `default`), so this file constructs no SDK of `v1Other` before its last test:
// users of the other pool come from the 4.x ManagementClient.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pool, uniqueEmail, uniqueUsername, client, mgmt, sleep, rand } from './helpers.mjs';
import { v1, v1Rejects, v1Raw } from './v1-helpers.mjs';

const PASSWORD = 'Passw0rd!v1a';
const ADMIN = pool('v1Admin').userPoolId;

/** The administrator's mode: no user token in the SDK's slot, so auto calls use the owner's. */
function asAdmin(auth) {
  auth.tokenManager.setUserToken(null);
  return auth;
}

function ownerToken(auth) {
  return auth.tokenManager.ownerToken;
}

async function newUser(auth, extra = {}) {
  const email = uniqueEmail('v1a');
  const u = await auth.register({ email, password: PASSWORD, ...extra });
  return { ...u, email };
}

const USER_QUERY = `query user($id: String!, $registerInClient: String!){
  user(id: $id, registerInClient: $registerInClient) { _id email nickname } }`;

test('user(): the administrator reads the full profile; password and salt stay null', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth, { nickname: 'Full' });
  // A login through the 4.x SDK (one core) is in the legacy login history.
  await client('v1Admin').loginByEmail(u.email, PASSWORD);
  const full = await auth.user({ id: u._id });
  assert.equal(full._id, u._id);
  assert.equal(full.email, u.email);
  assert.equal(full.nickname, 'Full');
  assert.equal(full.registerInClient, ADMIN);
  assert.equal(full.password, null);
  assert.equal(full.salt, null);
  assert.equal(full.blocked, false);
  assert.equal(full.isDeleted, false);
  assert.equal(full.userLoginHistory.totalCount, 1);
  assert.equal(full.userLoginHistory.list.length, 1);
  assert.equal(full.userLoginHistory.list[0].success, true);
  assert.ok(Date.parse(full.userLoginHistory.list[0].when) > Date.now() - 60_000);
  assert.deepEqual(full.userLocation, []);
  assert.equal(full.thirdPartyIdentity, null);
  assert.deepEqual(full.customData, {});
  await v1Rejects(auth.user({ id: 'no-such-user' }), 2004);
});

test('user(): customData and thirdPartyIdentity come from the core', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const mc = mgmt('v1Admin');
  const key = `lvl${rand(6)}`.toLowerCase();
  await mc.udf.set('USER', key, 'NUMBER', 'Level');
  const idp = `gh-${rand(10)}`;
  const created = await mc.users.create(
    { email: uniqueEmail('v1id'), password: PASSWORD },
    { identity: { provider: 'github', userIdInIdp: idp, isSocial: true } }
  );
  await mc.udf.setUdvBatch('USER', created.id, [{ key, value: 42 }]);
  const full = await auth.user({ id: created.id });
  assert.equal(full.customData[key], 42);
  assert.equal(full.thirdPartyIdentity.provider, 'github');
  assert.ok(Date.parse(full.thirdPartyIdentity.updatedAt) > 0);

  // Tessera keeps no provider refresh tokens: the answer says so instead of pretending.
  const r = await auth.refreshThirdPartyToken(created.id);
  assert.equal(r.refreshSuccess, false);
  assert.equal(r.provider, 'github');
  assert.equal(r.accessToken, null);
  assert.equal(r.refreshToken, null);
  assert.match(r.message, /github/);
  const plain = await newUser(auth);
  const none = await auth.refreshThirdPartyToken(plain._id);
  assert.equal(none.refreshSuccess, false);
  assert.equal(none.provider, null);
  assert.ok(none.message.length > 0);
  await v1Rejects(auth.refreshThirdPartyToken('no-such-user'), 2004);
});

test('userPatch: the users of this pool among the ids, unknown and foreign ids skipped', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const a = await newUser(auth);
  const b = await newUser(auth);
  const foreign = await mgmt('v1Other').users.create({ email: uniqueEmail('v1o'), password: PASSWORD });
  const res = await auth.userPatch({ ids: `${a._id},${b._id},nobody,${foreign.id}` });
  assert.equal(res.totalCount, 2);
  assert.deepEqual(
    res.list.map(u => u._id),
    [a._id, b._id]
  );
  assert.equal(res.list[0].email, a.email);
  assert.equal(res.list[0].userLoginHistory, null);
  const many = Array.from({ length: 101 }, (_, i) => `id${i}`).join(',');
  await v1Rejects(auth.userPatch({ ids: many }), 2231);
});

test('list: paging and totalCount; bad paging is 2231', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const before = (await auth.list(1, 1)).totalCount;
  const a = await newUser(auth);
  const b = await newUser(auth);
  const all = await auth.list(1, before + 2);
  assert.equal(all.totalCount, before + 2);
  assert.equal(all.list.length, before + 2);
  const p1 = await auth.list(1, 1);
  const p2 = await auth.list(2, 1);
  assert.equal(p1.list.length, 1);
  assert.equal(p2.list.length, 1);
  assert.notEqual(p1.list[0]._id, p2.list[0]._id, 'pages do not overlap');
  // Newest first: the two just registered are the first page of two.
  assert.deepEqual(
    new Set((await auth.list(1, 2)).list.map(u => u._id)),
    new Set([a._id, b._id])
  );
  const dflt = await auth.list();
  assert.ok(dflt.list.length <= 10);
  assert.equal(dflt.totalCount, before + 2);
  await v1Rejects(auth.list(-1, 10), 2231);
  const big = await v1Rejects(auth.list(1, 5000), 2231);
  assert.match(big.message, /count/);
});

test('update as administrator: profile fields, block, a password without the old one', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth);
  const username = uniqueUsername('v1a');
  const up = await auth.update({ _id: u._id, nickname: 'Nick', company: 'ACME', username });
  assert.equal(up.nickname, 'Nick');
  assert.equal(up.company, 'ACME');
  assert.equal(up.username, username);
  assert.equal(up.tokenExpiredAt, null);
  // One core: the 4.x ManagementClient sees the change.
  const seen = await mgmt('v1Admin').users.detail(u._id);
  assert.equal(seen.nickname, 'Nick');
  assert.equal(seen.company, 'ACME');

  const blocked = await auth.update({ _id: u._id, blocked: true });
  assert.equal(blocked.blocked, true);
  await v1Rejects(auth.login({ email: u.email, password: PASSWORD }), 'numeric');
  asAdmin(auth);
  await auth.update({ _id: u._id, blocked: false });

  // The legacy soft delete is Tessera's archive: no login, out of the list, data kept.
  const deleted = await auth.update({ _id: u._id, isDeleted: true });
  assert.equal(deleted.isDeleted, true);
  await v1Rejects(auth.login({ email: u.email, password: PASSWORD }), 'numeric');
  asAdmin(auth);
  assert.equal((await auth.user({ id: u._id })).isDeleted, true);
  const listed = await auth.userPatch({ ids: u._id });
  assert.equal(listed.list[0].isDeleted, true);
  await auth.update({ _id: u._id, isDeleted: false });
  assert.equal((await auth.login({ email: u.email, password: PASSWORD }))._id, u._id);
  asAdmin(auth);

  await auth.update({ _id: u._id, password: 'N3w-Passw0rd' });
  await v1Rejects(auth.login({ email: u.email, password: PASSWORD }), 'numeric');
  const logged = await auth.login({ email: u.email, password: 'N3w-Passw0rd' });
  assert.equal(logged._id, u._id);
  asAdmin(auth);
});

test('update refuses email (2225, the SDK test message) and phone (2226), writing nothing', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth, { nickname: 'Before' });
  const e = await v1Rejects(
    auth.update({ _id: u._id, nickname: 'After', email: uniqueEmail('new') }),
    2225
  );
  assert.equal(e.message, 'updateUser 接口不能直接修改邮箱，请使用 updateEmail 接口。');
  await v1Rejects(auth.update({ _id: u._id, nickname: 'After', phone: '13800138000' }), 2226);
  const after = await auth.user({ id: u._id });
  assert.equal(after.nickname, 'Before', 'nothing of the refused call was written');
  assert.equal(after.email, u.email);
  assert.equal(after.phone, null);
});

test("update refuses the server's own record by name, and a future tokenExpiredAt", async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth, { nickname: 'Kept' });
  for (const [key, value] of [
    ['lastIP', '1.2.3.4'],
    ['loginsCount', 99],
    ['token', 'x.y.z'],
    ['lastLogin', '2020-01-01T00:00:00+08:00'],
    ['signedUp', '2020-01-01T00:00:00+08:00'],
    ['tokenExpiredAt', '2999-01-01T00:00:00+08:00'],
  ]) {
    const e = await v1Rejects(auth.update({ _id: u._id, nickname: 'Changed', [key]: value }), 2231, key);
    assert.ok(e.message.includes(key), `the refusal names ${key}: ${e.message}`);
  }
  assert.equal((await auth.user({ id: u._id })).nickname, 'Kept');
  await v1Rejects(auth.update({ _id: 'no-such-user', nickname: 'x' }), 2004);
});

test('user mode: after login the SDK sends the user token; himself only', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const other = await newUser(auth, { nickname: 'Other' });
  const me = await newUser(auth);
  const logged = await auth.login({ email: me.email, password: PASSWORD });
  assert.equal(logged._id, me._id);
  assert.equal(auth.tokenManager.userToken, logged.token, 'the SDK now sends the user token');
  const mine = await auth.user({ id: me._id });
  assert.equal(mine.email, me.email);
  assert.equal(mine.userLoginHistory.totalCount, 1);
  await v1Rejects(auth.user({ id: other._id }), 1001);
  const up = await auth.update({ _id: me._id, nickname: 'Self', photo: 'https://example.com/p.png' });
  assert.equal(up.nickname, 'Self');
  assert.equal(up.photo, 'https://example.com/p.png');
  await v1Rejects(auth.update({ _id: other._id, nickname: 'Hijack' }), 1001);
  await v1Rejects(auth.update({ _id: me._id, blocked: true }), 1001);
  await v1Rejects(auth.update({ _id: me._id, isDeleted: true }), 1001);
  const e = await v1Rejects(auth.update({ _id: me._id, nickname: 'No', email: uniqueEmail('x') }), 2225);
  assert.equal(e.message, 'updateUser 接口不能直接修改邮箱，请使用 updateEmail 接口。');
  assert.equal((await auth.user({ id: me._id })).nickname, 'Self');
  // The administrator's calls are not the user's: the same token is refused there.
  const token = logged.token;
  const raw = await v1Raw(
    'query users($registerInClient: String){ users(registerInClient: $registerInClient){ totalCount } }',
    { registerInClient: ADMIN },
    { token }
  );
  assert.equal(raw.errors[0].message.code, 1001);
  asAdmin(auth);
  assert.equal((await auth.user({ id: other._id })).nickname, 'Other', 'nothing was written');
});

test('user mode: a password change needs the right old password; nothing else is written', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const me = await newUser(auth, { nickname: 'Pw' });
  await auth.login({ email: me.email, password: PASSWORD });
  await v1Rejects(auth.update({ _id: me._id, nickname: 'Changed', password: 'N3w-Passw0rd' }), 2201);
  await v1Rejects(
    auth.update({ _id: me._id, nickname: 'Changed', password: 'N3w-Passw0rd', oldPassword: 'wrong-Pass1' }),
    2203
  );
  assert.equal((await auth.user({ id: me._id })).nickname, 'Pw', 'a refused password writes no profile');
  const up = await auth.update({
    _id: me._id,
    nickname: 'Changed',
    password: 'N3w-Passw0rd',
    oldPassword: PASSWORD,
  });
  assert.equal(up.nickname, 'Changed');
  // One core: the new password logs in through the 4.x SDK.
  const u4 = await client('v1Admin').loginByEmail(me.email, 'N3w-Passw0rd');
  assert.equal(u4.id, me._id);
  await v1Rejects(auth.login({ email: me.email, password: PASSWORD }), 'numeric');
  asAdmin(auth);
});

test('logout (the user himself): tokenExpiredAt is past, the token is rejected by 3.x and 4.x', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const me = await newUser(auth);
  const logged = await auth.login({ email: me.email, password: PASSWORD });
  const token = logged.token;
  assert.equal(auth.tokenManager.userToken, token, 'logout goes out with the user token');
  assert.equal((await auth.checkLoginStatus(token)).status, true);
  const out = await auth.logout(me._id);
  assert.equal(out.tokenExpiredAt, '2000-01-01T00:00:00+08:00');
  assert.equal(out._id, me._id);
  const s3 = await auth.checkLoginStatus(token);
  assert.equal(s3.status, false);
  assert.ok([2206, 2207].includes(s3.code), `code ${s3.code}`);
  const s4 = await client('v1Admin').checkLoginStatus(token);
  assert.equal(s4.status, false);
  // The SDK emptied its user slot: the administrator's calls go out again.
  assert.equal((await auth.list(1, 1)).list.length, 1);
  // A later login is a new session (iat has a one-second granularity).
  await sleep(1100);
  const again = await auth.login({ email: me.email, password: PASSWORD });
  assert.equal((await auth.checkLoginStatus(again.token)).status, true);
  asAdmin(auth);
});

test("logout by the administrator ends a 4.x session of the user", async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth);
  const c = client('v1Admin');
  const u4 = await c.loginByEmail(u.email, PASSWORD);
  assert.equal((await client('v1Admin').checkLoginStatus(u4.token)).status, true);
  const out = await auth.logout(u._id);
  assert.equal(out.tokenExpiredAt, '2000-01-01T00:00:00+08:00');
  assert.equal((await client('v1Admin').checkLoginStatus(u4.token)).status, false);
  assert.equal((await auth.checkLoginStatus(u4.token)).status, false);
});

test('refreshToken: a new token that works; a user of another pool is not found', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth);
  const t = await auth.refreshToken({ user: u._id });
  assert.equal(typeof t.token, 'string');
  assert.ok(t.exp > t.iat);
  const s3 = await auth.checkLoginStatus(t.token);
  assert.equal(s3.status, true);
  assert.equal(s3.token.data.id, u._id);
  const s4 = await client('v1Admin').checkLoginStatus(t.token);
  assert.equal(s4.status, true);
  const foreign = await mgmt('v1Other').users.create({ email: uniqueEmail('v1o'), password: PASSWORD });
  await v1Rejects(auth.refreshToken({ user: foreign.id }), 2004);
  await v1Rejects(auth.refreshToken({ user: 'no-such-user' }), 2004);
});

test('remove: answers [{_id}], the user can no longer log in; an unknown id removes nothing', async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const u = await newUser(auth);
  const keep = await newUser(auth);
  const removed = await auth.remove(u._id);
  assert.deepEqual(removed, [{ _id: u._id }]);
  await v1Rejects(auth.login({ email: u.email, password: PASSWORD }), 'numeric');
  asAdmin(auth);
  await v1Rejects(auth.user({ id: u._id }), 2004);
  // One core: the 4.x ManagementClient no longer finds it.
  assert.equal(await mgmt('v1Admin').users.find({ email: u.email }), null);
  await v1Rejects(auth.remove([keep._id, 'no-such-user']), 2004);
  assert.equal((await auth.user({ id: keep._id }))._id, keep._id, 'the whole call was refused');
  const both = [await newUser(auth), await newUser(auth)];
  const r = await auth.remove(both.map(x => x._id));
  assert.deepEqual(r, both.map(x => ({ _id: x._id })));
});

test('without a token the administrator calls are 2020', async () => {
  const res = await v1Raw(
    'query users($registerInClient: String){ users(registerInClient: $registerInClient){ totalCount } }',
    { registerInClient: ADMIN }
  );
  assert.equal(res.errors[0].message.code, 2020);
  const upd = await v1Raw(
    'mutation UpdateUser($_id: String!, $tokenExpiredAt: String, $registerInClient: String!){ updateUser(options: {_id: $_id, tokenExpiredAt: $tokenExpiredAt, registerInClient: $registerInClient}){ _id } }',
    { _id: 'anyone', tokenExpiredAt: '0', registerInClient: ADMIN }
  );
  assert.equal(upd.errors[0].message.code, 2020);
});

test("another pool's owner token can neither read nor change this pool", async () => {
  const auth = asAdmin(await v1('v1Admin'));
  const victim = await newUser(auth, { nickname: 'Victim' });
  const other = await v1('v1Other');
  const token = ownerToken(other);
  const err = res => res.errors?.[0]?.message?.code;

  const read = await v1Raw(USER_QUERY, { id: victim._id, registerInClient: ADMIN }, { token });
  assert.equal(err(read), 1001);
  assert.equal(read.data?.user ?? null, null);
  // Naming no pool, the token's own pool is searched, where the user does not exist.
  const own = await v1Raw(USER_QUERY, { id: victim._id, registerInClient: '' }, { token });
  assert.equal(err(own), 2004);

  const patch = await v1Raw(
    'query userPatch($ids: String!){ userPatch(ids: $ids){ totalCount list{ _id } } }',
    { ids: victim._id, registerInClient: ADMIN },
    { token }
  );
  assert.equal(patch.errors, undefined);
  assert.equal(patch.data.userPatch.totalCount, 0);

  const list = await v1Raw(
    'query users($registerInClient: String, $page: Int, $count: Int){ users(registerInClient: $registerInClient, page: $page, count: $count){ totalCount } }',
    { registerInClient: ADMIN, page: 1, count: 10 },
    { token }
  );
  assert.equal(err(list), 1001);

  const upd = await v1Raw(
    'mutation UpdateUser($_id: String!, $nickname: String, $registerInClient: String!){ updateUser(options: {_id: $_id, nickname: $nickname, registerInClient: $registerInClient}){ _id nickname } }',
    { _id: victim._id, nickname: 'Owned', registerInClient: ADMIN },
    { token }
  );
  assert.equal(err(upd), 1001);

  const rm = await v1Raw(
    'mutation removeUsers($ids: [String], $registerInClient: String){ removeUsers(ids: $ids, registerInClient: $registerInClient){ _id } }',
    { ids: [victim._id], registerInClient: ADMIN },
    { token }
  );
  assert.equal(err(rm), 1001);

  const rt = await v1Raw(
    'mutation RefreshToken($client: String!, $user: String!){ refreshToken(client: $client, user: $user){ token } }',
    { client: ADMIN, user: victim._id },
    { token }
  );
  assert.equal(err(rt), 1001);

  const rtp = await v1Raw(
    'mutation RefreshThirdPartyToken($userPoolId: String!, $userId: String!){ refreshThirdPartyToken(userPoolId: $userPoolId, userId: $userId){ refreshSuccess } }',
    { userPoolId: ADMIN, userId: victim._id },
    { token }
  );
  assert.equal(err(rtp), 1001);

  // And the victim is untouched.
  asAdmin(auth);
  const after = await auth.user({ id: victim._id });
  assert.equal(after.nickname, 'Victim');
});
