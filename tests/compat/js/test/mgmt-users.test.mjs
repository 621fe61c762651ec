// ManagementClient `users` module (seed 000; v2-wire.md §6.1), the management token and
// cross-pool isolation, through the official SDK against pool "mgmtUsers".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ManagementClient, AuthenticationClient } from 'authing-js-sdk';
import {
  mgmt, client, pool, fixtures, rejectsWith, rawGraphql, newEmailUser, uniqueEmail,
  uniqueUsername, cnPhone, rand, jwtPayload, TESSERA_URL, PASSWORD, waitMail, mailboxSeq
} from './helpers.mjs';

const P = 'mgmtUsers';
const mc = mgmt(P);

async function createUser(extra = {}, opts) {
  return mc.users.create({ email: uniqueEmail('mu'), password: PASSWORD, ...extra }, opts);
}

test('seed 000 quick start: users.list() answers {list, totalCount}', async () => {
  await createUser();
  const { list, totalCount } = await mc.users.list();
  assert.ok(Array.isArray(list));
  assert.ok(totalCount >= 1);
  assert.ok(list.length <= 10 && list.length >= 1);
  for (const u of list) assert.equal(u.userPoolId, pool(P).userPoolId);
});

test('accessToken: a management token scoped to the pool, living well over an hour', async () => {
  const p = pool(P);
  const res = await fetch(`${TESSERA_URL}/graphql/v2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-userpool-id': p.userPoolId },
    body: JSON.stringify({
      query: 'query accessToken($userPoolId: String!, $secret: String!) { accessToken(userPoolId: $userPoolId, secret: $secret) { accessToken exp iat } }',
      variables: { userPoolId: p.userPoolId, secret: p.secret }
    })
  });
  const body = await res.json();
  const t = body.data.accessToken;
  const claims = jwtPayload(t.accessToken);
  assert.ok(claims.exp - Date.now() / 1000 > 3600 * 2, 'lifetime well above one hour');
  assert.equal(claims.data.type, 'management');
  assert.equal(claims.data.userPoolId, p.userPoolId);
  assert.equal(t.exp, claims.exp);
});

test('a wrong secret buys no token (1001)', async () => {
  const p = pool(P);
  const bad = new ManagementClient({ userPoolId: p.userPoolId, secret: 'wrong' + p.secret, host: TESSERA_URL });
  await rejectsWith(bad.users.list(), 1001);
});

test('a user token can never call a management operation (1001), no token is 2020', async () => {
  const { token } = await newEmailUser(P);
  const q = 'query users($page: Int, $limit: Int) { users(page: $page, limit: $limit) { totalCount } }';
  const r1 = await rawGraphql(q, { page: 1, limit: 10 }, { poolName: P, token });
  assert.equal(r1.body.errors[0].message.code, 1001);
  assert.equal(r1.body.data.users, null);
  const r2 = await rawGraphql(q, { page: 1, limit: 10 }, { poolName: P });
  assert.equal(r2.body.errors[0].message.code, 2020);
  // REST too.
  const res = await fetch(`${TESSERA_URL}/api/v2/users/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-authing-userpool-id': pool(P).userPoolId },
    body: JSON.stringify({ ids: [], type: 'id' })
  });
  assert.equal((await res.json()).code, 1001);
});

test('cross-pool isolation: pool B cannot read, change or delete pool A users', async () => {
  const other = mgmt('mgmtOther');
  const u = await createUser({ nickname: 'mine' });
  await rejectsWith(other.users.detail(u.id), 2004);
  await rejectsWith(other.users.update(u.id, { nickname: 'stolen' }), 2004);
  await rejectsWith(other.users.delete(u.id), 2004);
  await rejectsWith(other.users.setUdfValue(u.id, { school: 'x' }), 2004);
  assert.deepEqual(await other.users.batch([u.id]), []);
  assert.equal(await other.users.find({ email: u.email }), null);
  const still = await mc.users.detail(u.id);
  assert.equal(still.nickname, 'mine');
  // Pool A's token sent with pool B's id is refused outright.
  const otherToken = await other.tokenProvider.getToken();
  const res = await fetch(`${TESSERA_URL}/api/v2/users/${u.id}`, {
    headers: { authorization: `Bearer ${otherToken}`, 'x-authing-userpool-id': pool(P).userPoolId }
  });
  assert.equal((await res.json()).code, 1001);
});

test('create: profile, duplicates refused with their codes, nothing written', async () => {
  const email = uniqueEmail('dup');
  const username = uniqueUsername('dup');
  const u = await mc.users.create({ email, username, password: PASSWORD, nickname: 'Neo', company: 'Acme' });
  assert.equal(u.email, email);
  assert.equal(u.username, username);
  assert.equal(u.nickname, 'Neo');
  assert.equal(u.password, null, 'no hash leaves the server');
  const before = (await mc.users.list(1, 1)).totalCount;
  await rejectsWith(mc.users.create({ email: email.toUpperCase(), password: PASSWORD }), 2026);
  await rejectsWith(mc.users.create({ username, password: PASSWORD }), 2034);
  await rejectsWith(mc.users.create({ email: 'not-an-email', password: PASSWORD }), 2003);
  await rejectsWith(mc.users.create({ nickname: 'nobody' }), 2231);
  assert.equal((await mc.users.list(1, 1)).totalCount, before);
  // The new user logs in through the AuthenticationClient.
  const c = client(P);
  const logged = await c.loginByEmail(email, PASSWORD);
  assert.equal(logged.id, u.id);
});

test('create keepPassword: an imported PBKDF2 hash is kept and verifies at login', async () => {
  const salt = randomBytes(8).toString('hex');
  const hash = pbkdf2Sync('imported-pw', salt, 1000, 32, 'sha256').toString('base64');
  const email = uniqueEmail('keep');
  const u = await mc.users.create({ email, password: `pbkdf2_sha256$1000$${salt}$${hash}` }, { keepPassword: true });
  const logged = await client(P).loginByEmail(email, 'imported-pw');
  assert.equal(logged.id, u.id);
  // Rehashed at that login: it still works afterwards.
  assert.equal((await client(P).loginByEmail(email, 'imported-pw')).id, u.id);
});

test('create resetPasswordOnFirstLogin: the first login asks for a new password (1639)', async () => {
  const email = uniqueEmail('reset');
  await mc.users.create({ email, password: PASSWORD }, { resetPasswordOnFirstLogin: true });
  const e = await rejectsWith(client(P).loginByEmail(email, PASSWORD), 1639);
  assert.ok(e.data.token);
});

test('create with identity, find by identity; a taken identity creates nothing', async () => {
  const idp = `github-${rand(6)}`;
  const u = await mc.users.create({ username: uniqueUsername('gh') }, {
    identity: { provider: 'github', userIdInIdp: idp, isSocial: true }
  });
  const found = await mc.users.find({ identity: { provider: 'github', userIdInIdp: idp } });
  assert.equal(found.id, u.id);
  const username = uniqueUsername('gh2');
  await rejectsWith(mc.users.create({ username }, {
    identity: { provider: 'github', userIdInIdp: idp, isSocial: true }
  }), 2026);
  assert.equal(await mc.users.exists({ username }), false, 'no half-created user');
});

test('update: profile, email, password, blocked, tokenExpiredAt', async () => {
  const u = await createUser();
  const c = client(P);
  await c.loginByEmail(u.email, PASSWORD);
  const newEmail = uniqueEmail('moved');
  const updated = await mc.users.update(u.id, { nickname: 'Trinity', email: newEmail, emailVerified: true });
  assert.equal(updated.nickname, 'Trinity');
  assert.equal(updated.email, newEmail);
  assert.equal(updated.emailVerified, true);
  await mc.users.update(u.id, { password: 'n3w-Passw0rd' });
  await rejectsWith(client(P).loginByEmail(newEmail, PASSWORD), 2006);
  await client(P).loginByEmail(newEmail, 'n3w-Passw0rd');
  // tokenExpiredAt in the past ends the sessions.
  const c2 = client(P);
  await c2.loginByEmail(newEmail, 'n3w-Passw0rd');
  await new Promise(r => setTimeout(r, 1100));
  await mc.users.update(u.id, { tokenExpiredAt: new Date(Date.now() - 1000).toISOString() });
  assert.equal(await c2.getCurrentUser(), null, 'the session ended');
  await mc.users.update(u.id, { blocked: true });
  await rejectsWith(client(P).loginByEmail(newEmail, 'n3w-Passw0rd'), 2005);
  // A taken email is refused and the user keeps everything.
  const other = await createUser();
  await rejectsWith(mc.users.update(u.id, { email: other.email, nickname: 'X' }), 2026);
  const now = await mc.users.detail(u.id);
  assert.equal(now.email, newEmail);
  assert.equal(now.nickname, 'Trinity');
  await rejectsWith(mc.users.update('no-such-user', { nickname: 'x' }), 2004);
});

test('detail with custom data; UDF values single and batch; wrong types write nothing', async () => {
  await mc.udf.set('USER', 'school', 'STRING', '学校');
  await mc.udf.set('USER', 'age', 'NUMBER', '年龄');
  const a = await createUser();
  const b = await createUser();
  await mc.users.setUdfValue(a.id, { school: '华中科技大学', age: 20 });
  const d = await mc.users.detail(a.id, { withCustomData: true });
  assert.equal(d.customData.school, '华中科技大学');
  assert.equal(d.customData.age, 20);
  assert.deepEqual(await mc.users.getUdfValue(a.id), { school: '华中科技大学', age: 20 });
  await mc.users.setUdfValueBatch([{ userId: a.id, data: { school: 'MIT' } }, { userId: b.id, data: { age: 30 } }]);
  const batch = await mc.users.getUdfValueBatch([a.id, b.id]);
  assert.equal(batch[a.id].school, 'MIT');
  assert.equal(batch[b.id].age, 30);
  await rejectsWith(mc.users.setUdfValue(a.id, { age: 'not a number' }), 2231);
  await rejectsWith(mc.users.setUdfValueBatch([{ userId: b.id, data: { school: 'Harvard' } }, { userId: a.id, data: { age: 'x' } }]), 2231);
  assert.equal((await mc.users.getUdfValue(b.id)).school, undefined, 'the valid half of a failed batch is not written');
  await mc.users.removeUdfValue(a.id, 'school');
  assert.deepEqual(await mc.users.getUdfValue(a.id), { age: 20 });
  assert.equal(await mc.users.getUdfFieldUserNum({ definedFieldKey: 'age' }).then(r => r.count), 2);
  // filter by a custom value
  const f = await mc.users.filter({ page: 1, limit: 10, filter: [[{ type: 'userDefinedFields', value: 'age' }, 'EQ', 30]] });
  assert.deepEqual(f.list.map(u => u.id), [b.id]);
  assert.equal(f.totalCount, 1);
});

test('delete and deleteMany: all or nothing', async () => {
  const a = await createUser();
  const b = await createUser();
  const r = await mc.users.delete(a.id);
  assert.equal(r.code, 200);
  await rejectsWith(mc.users.detail(a.id), 2004);
  await rejectsWith(mc.users.deleteMany([b.id, 'no-such-user']), 2004);
  assert.equal((await mc.users.detail(b.id)).id, b.id, 'a failed deleteMany deletes nothing');
  await mc.users.deleteMany([b.id]);
  assert.equal(await mc.users.exists({ email: b.email }), false);
});

test('batch by id, username, email, phone and externalId; more than 80 is 2030', async () => {
  const username = uniqueUsername('b');
  const phone = cnPhone();
  const externalId = `ext-${rand(8)}`;
  const u = await mc.users.create({ username, phone, externalId, email: uniqueEmail('b'), password: PASSWORD });
  for (const [ids, queryField] of [
    [[u.id], 'id'], [[username], 'username'], [[u.email.toUpperCase()], 'email'], [[phone], 'phone'], [[externalId], 'externalId']
  ]) {
    const list = await mc.users.batch(ids, { queryField });
    assert.deepEqual(list.map(x => x.id), [u.id], queryField);
  }
  const withCd = await mc.users.batch([u.id], { withCustomData: true });
  assert.deepEqual(withCd[0].customData, {});
  await rejectsWith(mc.users.batch(Array.from({ length: 81 }, (_, i) => `id-${i}`)), 2030);
  for (const [k, v] of [['username', username], ['email', u.email], ['phone', phone], ['externalId', externalId]]) {
    assert.equal((await mc.users.find({ [k]: v })).id, u.id, k);
    assert.equal(await mc.users.exists({ [k]: v }), true, k);
  }
  const fcd = await mc.users.find({ username, withCustomData: true });
  assert.deepEqual(fcd.customData, {});
  assert.equal(await mc.users.exists({ username: 'nobody-' + rand() }), false);
});

test('list: pages are disjoint and stable, totalCount exact, bad pages refused', async () => {
  for (let i = 0; i < 3; i++) await createUser();
  const all = await mc.users.list(1, 1000);
  assert.equal(all.list.length, all.totalCount);
  const p1 = await mc.users.list(1, 2);
  const p2 = await mc.users.list(2, 2);
  assert.equal(p1.totalCount, all.totalCount);
  assert.deepEqual(p1.list.map(u => u.id), all.list.slice(0, 2).map(u => u.id));
  assert.deepEqual(p2.list.map(u => u.id), all.list.slice(2, 4).map(u => u.id));
  await rejectsWith(mc.users.list(1, 1e9), 2231);
  await rejectsWith(mc.users.list(-1, 10), 2231);
  const cd = await mc.users.list(1, 2, { withCustomData: true });
  for (const u of cd.list) assert.equal(typeof u.customData, 'object');
});

test('search: prefix over fields, pages, and department / group filters (main pool directory)', async () => {
  const tag = rand(10);
  const a = await mc.users.create({ username: `srch_${tag}_a`, nickname: `nick${tag}` });
  const b = await mc.users.create({ username: `srch_${tag}_b` });
  const r = await mc.users.search(`srch_${tag}`);
  assert.equal(r.totalCount, 2);
  assert.deepEqual(r.list.map(u => u.id).sort(), [a.id, b.id].sort());
  const byNick = await mc.users.search(`nick${tag}`, { fields: ['nickname'] });
  assert.deepEqual(byNick.list.map(u => u.id), [a.id]);
  const none = await mc.users.search(`nick${tag}`, { fields: ['username'] });
  assert.equal(none.totalCount, 0);
  const page2 = await mc.users.search(`srch_${tag}`, { page: 2, limit: 1 });
  assert.equal(page2.list.length, 1);
  await rejectsWith(mc.users.search('x', { fields: ['password'] }), 2231);

  const main = mgmt('main');
  const dirId = fixtures.directory.userId;
  const deps = await main.users.listDepartment(dirId);
  const eng = deps.list.find(d => d.department.code === 'eng').department;
  const inDept = await main.users.search('dir-user', { departmentOpts: [{ departmentId: eng.id }] });
  assert.deepEqual(inDept.list.map(u => u.id), [dirId]);
  const root = (await main.users.listOrgs(dirId))[0][0];
  const viaRoot = await main.users.search('dir-user', { departmentOpts: [{ departmentId: root.id, includeChildrenDepartments: true }] });
  assert.deepEqual(viaRoot.list.map(u => u.id), [dirId]);
  const rootOnly = await main.users.search('dir-user', { departmentOpts: [{ departmentId: root.id }] });
  assert.equal(rootOnly.totalCount, 0);
  const inGroup = await main.users.search('dir', { groupOpts: [{ code: 'g-readers' }] });
  assert.deepEqual(inGroup.list.map(u => u.id), [dirId]);
  const notInOrg = await main.users.list(1, 1000, { excludeUsersInOrg: true });
  assert.ok(!notInOrg.list.some(u => u.id === dirId));
});

test('directory views of a user: groups, roles, hasRole, orgs, departments, resources', async () => {
  const main = mgmt('main');
  const id = fixtures.directory.userId;
  const groups = await main.users.listGroups(id);
  assert.deepEqual(groups.list.map(g => g.code), ['g-readers']);
  const roles = await main.users.listRoles(id);
  assert.deepEqual(roles.list.map(r => r.code).sort(), ['dept-role', 'reader']);
  assert.equal(await main.users.hasRole(id, 'reader'), true);
  assert.equal(await main.users.hasRole(id, 'nope'), false);
  const orgs = await main.users.listOrgs(id);
  assert.deepEqual(orgs[0].map(n => n.code), ['acme', 'eng']);
  const res = await main.users.listAuthorizedResources(id, 'default');
  assert.deepEqual(res.list.map(r => r.code).sort(), ['api_orders', 'books:1', 'menu_a', 'menu_b']);
  // The SDK itself turns a null user into Error('用户不存在！').
  await assert.rejects(main.users.listRoles('no-such-user'), /用户不存在/);
});

test('refreshToken, kick, logout and checkLoginStatus', async () => {
  const u = await createUser();
  const t = await mc.users.refreshToken(u.id);
  assert.ok(t.token && t.exp > t.iat);
  const c = new AuthenticationClient({ appId: pool(P).appId, appHost: pool(P).appHost, token: t.token });
  assert.equal((await c.getCurrentUser()).id, u.id);

  const lc = client(P);
  await lc.loginByEmail(u.email, PASSWORD, {});
  let s = await mc.users.checkLoginStatus(u.id);
  assert.equal(s.isLogin, true);
  s = await mc.users.checkLoginStatus(u.id, pool(P).appId);
  assert.equal(s.isLogin, true);
  assert.equal(s.application.id, pool(P).appId);
  await new Promise(r => setTimeout(r, 1100));
  await mc.users.kick([u.id]);
  assert.equal(await lc.getCurrentUser(), null, 'kicked');
  assert.equal((await mc.users.checkLoginStatus(u.id)).isLogin, false);

  const lc2 = client(P);
  await new Promise(r => setTimeout(r, 1100));
  await lc2.loginByEmail(u.email, PASSWORD);
  assert.equal((await lc2.getCurrentUser()).id, u.id);
  await new Promise(r => setTimeout(r, 1100));
  await mc.users.logout({ userId: u.id });
  assert.equal(await lc2.getCurrentUser(), null, 'logged out');
  await rejectsWith(mc.users.kick(['no-such-user']), 2004);
});

test('listUserActions and getApplicationLoginUserNum read the login history', async () => {
  const u = await createUser();
  await client(P).loginByEmail(u.email, PASSWORD);
  const r = await mc.users.listUserActions({ userIds: [u.id], page: 1, limit: 10 });
  assert.equal(r.totalCount, 1);
  assert.equal(r.list[0].userId, u.id);
  assert.equal(r.list[0].operationName, 'login');
  assert.equal(r.list[0].appId, pool(P).appId);
  const n = await mc.users.getApplicationLoginUserNum({ appId: pool(P).appId });
  assert.ok(n.totalCount >= 1);
});

test('linkIdentity / unlinkIdentity', async () => {
  const u = await createUser();
  const userIdInIdp = `wx-${rand(8)}`;
  const body = { userId: u.id, userIdInIdp, isSocial: true, type: 'wechat', identifier: 'wechat' };
  const r = await mc.users.linkIdentity(body);
  assert.equal(r.code, 200);
  assert.equal((await mc.users.find({ identity: { provider: 'wechat', userIdInIdp } })).id, u.id);
  const r2 = await mc.users.unlinkIdentity(body);
  assert.equal(r2.code, 200);
  assert.equal(await mc.users.find({ identity: { provider: 'wechat', userIdInIdp } }), null);
  const r3 = await mc.users.unlinkIdentity(body);
  assert.notEqual(r3.code, 200);
});

test('resignUser / resignUserBatch archive users: listArchivedUsers shows them, login refused', async () => {
  const a = await createUser();
  const b = await createUser();
  const c = await createUser();
  await mc.users.resignUser(a.id);
  await mc.users.resignUserBatch([b.id, c.id]);
  const archived = await mc.users.listArchivedUsers(1, 1000);
  for (const u of [a, b, c]) assert.ok(archived.list.some(x => x.id === u.id));
  const live = await mc.users.list(1, 1000);
  assert.ok(!live.list.some(x => x.id === a.id));
  await rejectsWith(client(P).loginByEmail(a.email, PASSWORD), 'numeric');
  await rejectsWith(mc.users.resignUserBatch([a.id, 'nobody']), 2004);
});

test('sendFirstLoginVerifyEmail sends mail; isPasswordValid applies the pool rule', async () => {
  const u = await createUser();
  const since = await mailboxSeq();
  assert.equal(await mc.users.sendFirstLoginVerifyEmail({ userId: u.id, appId: pool(P).appId }), true);
  const mail = await waitMail(u.email, since);
  assert.ok(mail.code);
  const v = await mc.isPasswordValid('abc');
  assert.equal(Array.isArray(v) ? v[0].valid : v.valid, true);
});

test('errors come in English with lang en-US', async () => {
  const en = mgmt(P, { lang: 'en-US' });
  const e = await rejectsWith(en.users.detail('no-such-user'), 2004);
  assert.equal(e.message, 'User does not exist');
});

test('top level: sendEmail, checkLoginStatus(token), makeGraphqlRequest, makeRestRequest', async () => {
  const email = uniqueEmail('top');
  const since = await mailboxSeq();
  const sent = await mc.sendEmail(email, 'VERIFY_CODE');
  assert.equal(sent.code, 200);
  assert.ok((await waitMail(email, since)).code);

  const u = await createUser();
  const { token } = await client(P).loginByEmail(u.email, PASSWORD);
  const data = await mc.checkLoginStatus(token);
  assert.equal(data.id, u.id);
  const detail = await mc.checkLoginStatus(token, { fetchUserDetail: true });
  assert.equal(detail.email, u.email);

  const g = await mc.makeGraphqlRequest({
    query: 'query users($page: Int, $limit: Int) { users(page: $page, limit: $limit) { totalCount list { id } } }',
    variables: { page: 1, limit: 1 }
  });
  assert.ok(g.users.totalCount >= 1);
  assert.equal(g.users.list.length, 1);
  const d = await mc.makeRestRequest({ method: 'GET', url: `${TESSERA_URL}/api/v2/userpools/detail` });
  assert.equal(d.id, pool(P).userPoolId);
});

test('addGroup / removeGroup / addRoles / removeRoles, and search by role and group', async () => {
  const tag = rand(8);
  const u = await mc.users.create({ username: `grp_${tag}` });
  const other = await mc.users.create({ username: `grp_${tag}_x` });
  await mc.groups.create(`g_${tag}`, `Group ${tag}`);
  await mc.roles.create(`r_${tag}`, 'a role');
  await mc.users.addGroup(u.id, `g_${tag}`);
  await mc.users.addRoles(u.id, [`r_${tag}`]);
  assert.deepEqual((await mc.users.listGroups(u.id)).list.map(g => g.code), [`g_${tag}`]);
  assert.equal(await mc.users.hasRole(u.id, `r_${tag}`), true);
  const byRole = await mc.users.search(`grp_${tag}`, { roleOpts: [{ code: `r_${tag}` }] });
  assert.deepEqual(byRole.list.map(x => x.id), [u.id]);
  const byGroup = await mc.users.search(`grp_${tag}`, { groupOpts: [{ code: `g_${tag}` }] });
  assert.deepEqual(byGroup.list.map(x => x.id), [u.id]);
  const all = await mc.users.search(`grp_${tag}`);
  assert.deepEqual(all.list.map(x => x.id).sort(), [u.id, other.id].sort());
  await mc.users.removeGroup(u.id, `g_${tag}`);
  await mc.users.removeRoles(u.id, [`r_${tag}`]);
  assert.equal((await mc.users.listGroups(u.id)).totalCount, 0);
  assert.equal(await mc.users.hasRole(u.id, `r_${tag}`), false);
  // Deleting the user removes what it was given: the role has no users left.
  await mc.users.addRoles(u.id, [`r_${tag}`]);
  await mc.users.delete(u.id);
  assert.equal((await mc.roles.listUsers(`r_${tag}`)).totalCount, 0);
});
