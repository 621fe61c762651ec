// v3 Tenants, Tenant members and External identity providers through authing-node-sdk@4.0.1,
// plus the Users family's linkIdentity / unlinkIdentity / getUserLoggedinIdentities. Round
// trips go through the v2 ManagementClient (`mc.tenant`, one core, two wires); every bad
// input answers a non-200 statusCode and writes nothing. Pool 'v3Tenants'; 'v3Sign' is the
// other pool of the isolation cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rand, uniqueEmail, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Tenants';
const mc = v3(P);
const other = v3('v3Sign');
const v2 = () => mgmt(P);
const appId = () => pool(P).appId;
const NOBODY = '000000000000000000000000';

const newTenant = async (extra = {}) =>
  data(await mc.createTenant({ name: `租户-${rand(6)}`, appIds: [appId()], ...extra }));

const newUser = async (extra = {}) =>
  data(await mc.createUser({ username: uniqueUsername('tu'), email: uniqueEmail('tu'), ...extra }));

// --- tenants -------------------------------------------------------------------------------

test('createTenant → getTenant / getTenantLittleInfo (v3) and tenant.details (v2)', async () => {
  const name = `搜索-${rand(6)}`;
  const t = data(await mc.createTenant({
    name, appIds: [appId()], logo: ['https://example.com/t.png'], description: 'first',
  }));
  assert.match(t.tenantId, /^[0-9a-f]{24}$/);
  assert.equal(t.name, name);
  assert.equal(t.userPoolId, pool(P).userPoolId);
  assert.deepEqual(t.appIds, [appId()]);
  assert.equal(t.logo, 'https://example.com/t.png');
  const got = data(await mc.getTenant({ tenantId: t.tenantId, withMembersCount: true }));
  assert.equal(got.description, 'first');
  assert.equal(got.membersCount, 0);
  const little = data(await mc.getTenantLittleInfo({ tenantId: t.tenantId }));
  assert.equal(little.name, name);
  assert.equal(little.membersCount, undefined, 'counted only when asked');
  const old = await v2().tenant.details(t.tenantId);
  assert.equal(old.name, name);
  assert.equal(old.logo, 'https://example.com/t.png');
});

test('updateTenant changes only what it names; v2 reads it; v2 changes read through v3', async () => {
  const t = await newTenant({ description: 'keep me' });
  const res = data(await mc.updateTenant({ tenantId: t.tenantId, name: '改名' }));
  assert.deepEqual(res, { success: true });
  const now = data(await mc.getTenant({ tenantId: t.tenantId }));
  assert.equal(now.name, '改名');
  assert.equal(now.description, 'keep me');
  assert.equal((await v2().tenant.details(t.tenantId)).name, '改名');
  await v2().tenant.update(t.tenantId, { description: 'from v2' });
  assert.equal(data(await mc.getTenant({ tenantId: t.tenantId })).description, 'from v2');
});

test('listTenants pages and filters by keyword; deleteTenant removes it for both wires', async () => {
  const tag = rand(8);
  const a = await newTenant({ name: `alpha-${tag}` });
  const b = await newTenant({ name: `ALPHA-${tag}-2` });
  await newTenant({ name: `beta-${tag}` });
  const found = data(await mc.listTenants({ keywords: `alpha-${tag}`, withMembersCount: true }));
  assert.equal(found.totalCount, 2, 'case-insensitive match on the name');
  assert.deepEqual(new Set(found.list.map(t => t.tenantId)), new Set([a.tenantId, b.tenantId]));
  assert.equal(found.list[0].membersCount, 0);
  const p2 = data(await mc.listTenants({ keywords: tag, page: '2', limit: '2' }));
  assert.equal(p2.totalCount, 3);
  assert.equal(p2.list.length, 1);
  const all = data(await mc.listTenants({ page: '1', limit: '50' }));
  assert.ok(all.totalCount >= 3);

  assert.deepEqual(data(await mc.deleteTenant({ tenantId: a.tenantId })), { success: true });
  refused(await mc.getTenant({ tenantId: a.tenantId }), { statusCode: 404 });
  await assert.rejects(v2().tenant.details(a.tenantId));
  refused(await mc.deleteTenant({ tenantId: a.tenantId }), { statusCode: 404 });
});

test('tenants: bad input is refused and writes nothing', async () => {
  const tag = rand(8);
  refused(await mc.createTenant({ appIds: [appId()] }), { statusCode: 400 });
  refused(await mc.createTenant({ name: `x-${tag}` }), { statusCode: 400, message: /appIds/ });
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: 'nope' }), { statusCode: 400 });
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: [NOBODY] }));
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: [pool('v3Sign').appId] }),
    { message: /./ });
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: [appId()], logo: ['a', 'b'] }),
    { statusCode: 400 });
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: [appId()], mauAmount: 5 }),
    { statusCode: 400, message: /mauAmount/ });
  refused(await mc.createTenant({ name: `x-${tag}`, appIds: [appId()], rejectHint: 'no' }),
    { statusCode: 400, message: /rejectHint/ });
  refused(await mc.createTenant({ name: ' ', appIds: [appId()] }), { statusCode: 400 });
  assert.equal(data(await mc.listTenants({ keywords: `x-${tag}` })).totalCount, 0, 'none written');

  const t = await newTenant();
  refused(await mc.updateTenant({ tenantId: t.tenantId, name: 42 }), { statusCode: 400 });
  refused(await mc.updateTenant({ tenantId: t.tenantId, sourceAppId: appId() }),
    { statusCode: 400, message: /sourceAppId/ });
  refused(await mc.updateTenant({ name: 'x' }), { statusCode: 400 });
  refused(await mc.updateTenant({ tenantId: NOBODY, name: 'x' }), { statusCode: 404 });
  assert.equal(data(await mc.getTenant({ tenantId: t.tenantId })).name, t.name, 'unchanged');

  refused(await mc.listTenants({ page: 'two' }), { statusCode: 400 });
  refused(await mc.listTenants({ page: '0' }), { statusCode: 400 });
  refused(await mc.listTenants({ limit: '100000' }), { statusCode: 400 });
  refused(await mc.listTenants({ source: 'import' }), { statusCode: 400, message: /source/ });
  refused(await mc.getTenant({}), { statusCode: 400 });
});

test('tenants of another pool are not found, listed, changed or deleted', async () => {
  const t = await newTenant();
  refused(await other.getTenant({ tenantId: t.tenantId }), { statusCode: 404 });
  refused(await other.updateTenant({ tenantId: t.tenantId, name: 'stolen' }), { statusCode: 404 });
  refused(await other.deleteTenant({ tenantId: t.tenantId }), { statusCode: 404 });
  refused(await other.listTenantUsers({ tenantId: t.tenantId }), { statusCode: 404 });
  const theirs = data(await other.listTenants({ keywords: t.name }));
  assert.equal(theirs.totalCount, 0);
  assert.equal(data(await mc.getTenant({ tenantId: t.tenantId })).name, t.name, 'untouched');
});

// --- members -------------------------------------------------------------------------------

test('addTenantUsers → listTenantUsers / getTenantUser (v3) and tenant.members (v2)', async () => {
  const t = await newTenant();
  const a = await newUser({ nickname: 'Ann' });
  const b = await newUser();
  assert.deepEqual(data(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [a.userId, b.userId] })),
    { success: true });
  const page = data(await mc.listTenantUsers({ tenantId: t.tenantId, options: { pagination: { page: 1, limit: 10 } } }));
  assert.equal(page.totalCount, 2);
  assert.deepEqual(new Set(page.list.map(u => u.linkUserId)), new Set([a.userId, b.userId]));
  const ann = page.list.find(u => u.linkUserId === a.userId);
  assert.equal(ann.tenantId, t.tenantId);
  assert.equal(ann.memberId, a.userId);
  assert.equal(ann.userPoolId, pool(P).userPoolId);
  assert.equal(ann.isTenantAdmin, false);
  assert.equal(ann.nickname, 'Ann');
  const one = data(await mc.getTenantUser({ tenantId: t.tenantId, linkUserId: a.userId }));
  assert.equal(one.email, a.email);
  const byMember = data(await mc.getTenantUser({ tenantId: t.tenantId, memberId: b.userId }));
  assert.equal(byMember.linkUserId, b.userId);
  const v2Members = await v2().tenant.members(t.tenantId, { page: 1, limit: 10 });
  assert.equal(v2Members.totalCount, 2);
  assert.equal(data(await mc.getTenant({ tenantId: t.tenantId, withMembersCount: true })).membersCount, 2);

  const kw = data(await mc.listTenantUsers({ tenantId: t.tenantId, keywords: a.username }));
  assert.equal(kw.totalCount, 1);
  assert.equal(kw.list[0].linkUserId, a.userId);
  const p2 = data(await mc.listTenantUsers({ tenantId: t.tenantId, options: { pagination: { page: 2, limit: 1 } } }));
  assert.equal(p2.totalCount, 2);
  assert.equal(p2.list.length, 1);
});

test('v2 members are read through v3; removeTenantUsers / deleteTenantUser are all-or-nothing', async () => {
  const t = await newTenant();
  const a = await newUser();
  const b = await newUser();
  const c = await newUser();
  await v2().tenant.addMembers(t.tenantId, [a.userId, b.userId, c.userId]);
  assert.equal(data(await mc.listTenantUsers({ tenantId: t.tenantId })).totalCount, 3);
  // One non-member: nothing is removed.
  refused(await mc.removeTenantUsers({ tenantId: t.tenantId, linkUserIds: [a.userId, NOBODY] }), { statusCode: 404 });
  assert.equal(data(await mc.listTenantUsers({ tenantId: t.tenantId })).totalCount, 3);
  assert.deepEqual(data(await mc.removeTenantUsers({ tenantId: t.tenantId, linkUserIds: [a.userId] })),
    { success: true });
  const res = await mc.deleteTenantUser({ tenantId: t.tenantId, memberIds: [b.userId] });
  assert.equal(res.statusCode, 200);
  assert.equal(res.data, undefined, 'CommonResponseDto has no data');
  const left = await v2().tenant.members(t.tenantId, { page: 1, limit: 10 });
  assert.deepEqual(left.list.map(m => m.userId), [c.userId]);
  refused(await mc.getTenantUser({ tenantId: t.tenantId, linkUserId: a.userId }), { statusCode: 404 });
  refused(await mc.removeTenantUsers({ tenantId: t.tenantId }), { statusCode: 400, message: /linkUserIds/ });
  refused(await mc.setTenantAdmin({ tenantId: t.tenantId, memberIds: [] }), { statusCode: 400, message: /linkUserIds/ });
});

test('setTenantAdmin / listTenantAdmin / deleteTenantAdmin agree with v2', async () => {
  const t = await newTenant();
  const a = await newUser();
  const b = await newUser();
  data(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [a.userId] }));
  const set = await mc.setTenantAdmin({ tenantId: t.tenantId, linkUserIds: [a.userId], memberIds: [b.userId] });
  assert.equal(set.statusCode, 200);
  const admins = data(await mc.listTenantAdmin({ tenantId: t.tenantId, page: '1', limit: '10' }));
  assert.equal(admins.totalCount, 2);
  assert.ok(admins.list.every(u => u.isTenantAdmin === true));
  const kw = data(await mc.listTenantAdmin({ tenantId: t.tenantId, keywords: b.email }));
  assert.deepEqual(kw.list.map(u => u.linkUserId), [b.userId]);
  let v2m = await v2().tenant.members(t.tenantId, { page: 1, limit: 10 });
  assert.ok(v2m.list.every(m => m.isAdmin));

  assert.equal((await mc.deleteTenantAdmin({ tenantId: t.tenantId, linkUserId: a.userId })).statusCode, 200);
  const after = data(await mc.listTenantAdmin({ tenantId: t.tenantId }));
  assert.deepEqual(after.list.map(u => u.linkUserId), [b.userId]);
  assert.equal(data(await mc.getTenantUser({ tenantId: t.tenantId, linkUserId: a.userId })).isTenantAdmin, false,
    'still a member');
  // v2 promotes, v3 sees it.
  await v2().tenant.setTanentAdmin(t.tenantId, { userIds: [a.userId] });
  assert.equal(data(await mc.listTenantAdmin({ tenantId: t.tenantId })).totalCount, 2);

  refused(await mc.deleteTenantAdmin({ tenantId: t.tenantId }), { statusCode: 400 });
  refused(await mc.deleteTenantAdmin({ tenantId: t.tenantId, linkUserId: a.userId, memberId: b.userId }),
    { statusCode: 400 });
  refused(await mc.setTenantAdmin({ tenantId: t.tenantId, linkUserIds: [NOBODY] }), { statusCode: 404 });
  refused(await mc.listTenantAdmin({ tenantId: t.tenantId, page: 'x' }), { statusCode: 400 });
  assert.equal(data(await mc.listTenantAdmin({ tenantId: t.tenantId })).totalCount, 2, 'unchanged');
});

test('createTenantUser makes a pool user who is a member; updateTenantUser changes the profile', async () => {
  const t = await newTenant();
  const username = uniqueUsername('member');
  const u = data(await mc.createTenantUser({
    tenantId: t.tenantId, gender: 'F', username, nickname: 'Mia', password: 'passw0rd!',
  }));
  assert.equal(u.username, username);
  assert.equal(u.gender, 'F');
  assert.equal(u.tenantId, t.tenantId);
  assert.equal(u.isTenantAdmin, false);
  const asUser = data(await mc.getUser({ userId: u.linkUserId }));
  assert.equal(asUser.nickname, 'Mia');
  const old = await v2().users.getUserTenants(u.linkUserId);
  assert.deepEqual(old.map(x => x.id), [t.tenantId]);

  assert.deepEqual(data(await mc.updateTenantUser({
    tenantId: t.tenantId, linkUserId: u.linkUserId, updates: { nickname: 'Mila', city: 'Hangzhou' },
  })), { success: true });
  const changed = data(await mc.getTenantUser({ tenantId: t.tenantId, memberId: u.memberId }));
  assert.equal(changed.nickname, 'Mila');
  assert.equal(changed.city, 'Hangzhou');
  assert.equal((await v2().users.detail(u.linkUserId)).nickname, 'Mila');

  // Bad input: nothing is created or changed.
  const name2 = uniqueUsername('none');
  refused(await mc.createTenantUser({ tenantId: t.tenantId, username: name2 }), { statusCode: 400, message: /gender/ });
  refused(await mc.createTenantUser({ tenantId: t.tenantId, gender: 'X', username: name2 }), { statusCode: 400 });
  refused(await mc.createTenantUser({ tenantId: NOBODY, gender: 'M', username: name2 }), { statusCode: 404 });
  refused(await mc.createTenantUser({ tenantId: t.tenantId, gender: 'M', username: name2, salt: 'x' }),
    { statusCode: 400, message: /salt/ });
  refused(await mc.createTenantUser({ tenantId: t.tenantId, gender: 'M', username }), { statusCode: 409 });
  assert.equal(data(await mc.isUserExists({ username: name2 })).exists, false);
  refused(await mc.updateTenantUser({ tenantId: t.tenantId, linkUserId: u.linkUserId, updates: { password: 'x' } }),
    { statusCode: 400, message: /password/ });
  refused(await mc.updateTenantUser({ tenantId: t.tenantId, linkUserId: u.linkUserId, updates: 'x' }),
    { statusCode: 400 });
  const outsider = await newUser();
  refused(await mc.updateTenantUser({ tenantId: t.tenantId, linkUserId: outsider.userId, updates: { nickname: 'x' } }),
    { statusCode: 404 });
  assert.notEqual(data(await mc.getUser({ userId: outsider.userId })).nickname, 'x');
  assert.equal(data(await mc.getTenantUser({ tenantId: t.tenantId, memberId: u.memberId })).nickname, 'Mila');
});

test('members: bad input and other pools', async () => {
  const t = await newTenant();
  const mine = await newUser();
  const theirs = data(await other.createUser({ username: uniqueUsername('other') }));
  // A user of another pool cannot join, and the batch is all-or-nothing.
  refused(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [mine.userId, theirs.userId] }),
    { statusCode: 404 });
  assert.equal(data(await mc.listTenantUsers({ tenantId: t.tenantId })).totalCount, 0);
  refused(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [] }), { statusCode: 400, message: /linkUserIds/ });
  refused(await mc.addTenantUsers({ tenantId: t.tenantId }), { statusCode: 400 });
  refused(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: 'abc' }), { statusCode: 400 });
  refused(await mc.addTenantUsers({ tenantId: NOBODY, linkUserIds: [mine.userId] }), { statusCode: 404 });
  data(await mc.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [mine.userId] }));
  refused(await other.addTenantUsers({ tenantId: t.tenantId, linkUserIds: [theirs.userId] }), { statusCode: 404 });
  refused(await other.getTenantUser({ tenantId: t.tenantId, linkUserId: mine.userId }), { statusCode: 404 });
  refused(await other.removeTenantUsers({ tenantId: t.tenantId, linkUserIds: [mine.userId] }), { statusCode: 404 });
  refused(await mc.listTenantUsers({ tenantId: t.tenantId, options: { pagination: { page: -1 } } }), { statusCode: 400 });
  refused(await mc.listTenantUsers({ tenantId: t.tenantId, options: { pagination: { limit: 5000 } } }), { statusCode: 400 });
  refused(await mc.getTenantUser({ tenantId: t.tenantId }), { statusCode: 400 });
  assert.equal(data(await mc.listTenantUsers({ tenantId: t.tenantId })).totalCount, 1);
});

// --- external identity providers -----------------------------------------------------------

const connInput = (extIdpId, extra = {}) => ({
  extIdpId,
  type: 'oidc',
  identifier: `conn-${rand(10)}`,
  displayName: 'Company SSO',
  fields: { clientId: 'cli_a1', clientSecret: 's3cr3t', issuer: 'https://idp.example.com' },
  ...extra,
});

test('createExtIdp / createExtIdpConn → getExtIdp (v3) and tenant.extIdpDetail (v2)', async () => {
  const t = await newTenant();
  const idp = data(await mc.createExtIdp({ name: 'Corp OIDC', type: 'oidc', tenantId: t.tenantId }));
  assert.equal(idp.name, 'Corp OIDC');
  assert.equal(idp.type, 'oidc');
  assert.equal(idp.tenantId, t.tenantId);
  const c = data(await mc.createExtIdpConn(connInput(idp.id, { logo: 'https://example.com/l.png' })));
  assert.equal(c.extIdpId, idp.id);
  assert.equal(c.type, 'oidc');
  assert.equal(c.displayName, 'Company SSO');
  assert.equal(c.loginOnly, false);
  assert.equal(c.associationMode, 'none');
  assert.deepEqual(c.challengeBindingMethods, []);
  const got = data(await mc.getExtIdp({ id: idp.id }));
  assert.equal(got.autoJoin, false);
  assert.equal(got.logo, 'https://example.com/l.png');
  assert.equal(got.connections.length, 1);
  assert.equal(got.connections[0].identifier, c.identifier);
  assert.equal(got.connections[0].fields.issuer, 'https://idp.example.com');
  const old = await v2().tenant.extIdpDetail(idp.id);
  assert.equal(old.name, 'Corp OIDC');
  assert.equal(old.connections[0].id, c.id);
  // Scoped reads: the right tenant and category find it, others do not.
  data(await mc.getExtIdp({ id: idp.id, tenantId: t.tenantId, type: 'enterprise' }));
  refused(await mc.getExtIdp({ id: idp.id, type: 'social' }), { statusCode: 404 });
  refused(await mc.getExtIdp({ id: idp.id, tenantId: NOBODY }), { statusCode: 404 });
  refused(await mc.getExtIdp({ id: idp.id, type: 'friendly' }), { statusCode: 400 });
});

test('listExtIdp / listTenantExtIdp filter by tenant and category and page', async () => {
  const t = await newTenant();
  const wx = data(await mc.createExtIdp({ name: 'WeChat', type: 'wechat', tenantId: t.tenantId }));
  const gh = data(await mc.createExtIdp({ name: 'GitHub', type: 'github', tenantId: t.tenantId }));
  const sso = data(await mc.createExtIdp({ name: 'SAML', type: 'saml', tenantId: t.tenantId }));
  const all = data(await mc.listExtIdp({ tenantId: t.tenantId, appId: appId() }));
  assert.equal(all.totalCount, 3);
  assert.deepEqual(new Set(all.list.map(i => i.id)), new Set([wx.id, gh.id, sso.id]));
  const social = data(await mc.listTenantExtIdp({ tenantId: t.tenantId, type: 'social' }));
  assert.deepEqual(new Set(social.list.map(i => i.id)), new Set([wx.id, gh.id]));
  const enterprise = data(await mc.listTenantExtIdp({ tenantId: t.tenantId, type: 'enterprise' }));
  assert.deepEqual(enterprise.list.map(i => i.id), [sso.id]);
  const p1 = data(await mc.listTenantExtIdp({ tenantId: t.tenantId, page: 1, limit: 2 }));
  const p2 = data(await mc.listTenantExtIdp({ tenantId: t.tenantId, page: 2, limit: 2 }));
  assert.equal(p2.totalCount, 3);
  assert.equal(p2.list.length, 1);
  assert.deepEqual(new Set([...p1.list, ...p2.list].map(i => i.id)), new Set([wx.id, gh.id, sso.id]));
  // The SDK's tenantId option is the tenant context when the call names none.
  const scoped = v3(P, { tenantId: t.tenantId });
  assert.equal(data(await scoped.listExtIdp({})).totalCount, 3);
  const v2List = await v2().tenant.listExtIdp(t.tenantId);
  assert.equal(v2List.length, 3);

  refused(await mc.listTenantExtIdp({ tenantId: t.tenantId, page: 0 }), { statusCode: 400 });
  refused(await mc.listTenantExtIdp({ tenantId: t.tenantId, type: 'other' }), { statusCode: 400 });
  refused(await mc.listExtIdp({ tenantId: NOBODY }), { statusCode: 404 });
  refused(await mc.listExtIdp({ appId: NOBODY }));
  refused(await other.listExtIdp({ tenantId: t.tenantId }), { statusCode: 404 });
});

test('updateExtIdp / updateExtIdpConn / changeExtIdpConnState / deletes, with v2 round trips', async () => {
  const idp = data(await mc.createExtIdp({ name: 'Old name', type: 'github' }));
  const renamed = data(await mc.updateExtIdp({ id: idp.id, name: 'New name' }));
  assert.equal(renamed.name, 'New name');
  assert.equal((await v2().tenant.extIdpDetail(idp.id)).name, 'New name');
  const c = data(await mc.createExtIdpConn(connInput(idp.id, { type: 'github' })));
  const upd = data(await mc.updateExtIdpConn({
    id: c.id, displayName: 'GitHub login', fields: { clientId: 'new' }, logo: 'https://example.com/gh.png',
  }));
  assert.equal(upd.displayName, 'GitHub login');
  assert.deepEqual(upd.fields, { clientId: 'new' });
  assert.equal(upd.identifier, c.identifier, 'identifier unchanged');
  // The state belongs to the application named: off there, still on pool-wide.
  const off = data(await mc.changeExtIdpConnState({ id: c.id, enabled: false, appId: appId() }));
  assert.deepEqual(off, { success: true });
  assert.equal(data(await mc.getExtIdp({ id: idp.id, appId: appId() })).connections[0].enabled, false);
  assert.equal(data(await mc.getExtIdp({ id: idp.id })).connections[0].enabled, true);
  let v2c = (await v2().tenant.extIdpDetail(idp.id)).connections[0];
  assert.equal(v2c.enabled, true);
  assert.equal(v2c.displayName, 'GitHub login');
  data(await mc.changeExtIdpConnState({ id: c.id, enabled: true, appId: appId(), appIds: [appId()] }));
  assert.equal(data(await mc.getExtIdp({ id: idp.id, appId: appId() })).connections[0].enabled, true);
  // v2 changes read through v3.
  await v2().tenant.updateExtIdpConnection(c.id, { displayName: 'via v2', fields: {} });
  assert.equal(data(await mc.getExtIdp({ id: idp.id })).connections[0].displayName, 'via v2');

  assert.deepEqual(data(await mc.deleteExtIdpConn({ id: c.id })), { success: true });
  assert.equal(data(await mc.getExtIdp({ id: idp.id })).connections.length, 0);
  refused(await mc.deleteExtIdpConn({ id: c.id }), { statusCode: 404 });
  data(await mc.createExtIdpConn(connInput(idp.id, { type: 'github' })));
  assert.deepEqual(data(await mc.deleteExtIdp({ id: idp.id })), { success: true });
  refused(await mc.getExtIdp({ id: idp.id }), { statusCode: 404 });
  await assert.rejects(v2().tenant.extIdpDetail(idp.id));
});

test('ext-idp: bad input is refused and writes nothing; other pools see nothing', async () => {
  const before = data(await mc.listExtIdp({})).totalCount;
  refused(await mc.createExtIdp({ name: 'x', type: 'myspace' }), { statusCode: 400, message: /type/ });
  refused(await mc.createExtIdp({ type: 'oidc' }), { statusCode: 400 });
  refused(await mc.createExtIdp({ name: 'x', type: 'oidc', tenantId: NOBODY }), { statusCode: 404 });
  assert.equal(data(await mc.listExtIdp({})).totalCount, before, 'none written');

  const idp = data(await mc.createExtIdp({ name: 'Mine', type: 'oidc' }));
  const c = data(await mc.createExtIdpConn(connInput(idp.id)));
  refused(await mc.createExtIdpConn(connInput(idp.id, { identifier: c.identifier })), { statusCode: 409 });
  refused(await mc.createExtIdpConn(connInput(idp.id, { type: 'carrier-pigeon' })), { statusCode: 400 });
  refused(await mc.createExtIdpConn(connInput(idp.id, { fields: 'x' })), { statusCode: 400 });
  refused(await mc.createExtIdpConn(connInput(idp.id, { loginOnly: true })), { statusCode: 400, message: /loginOnly/ });
  refused(await mc.createExtIdpConn(connInput(NOBODY)), { statusCode: 404 });
  const { displayName, ...noName } = connInput(idp.id);
  assert.ok(displayName);
  refused(await mc.createExtIdpConn(noName), { statusCode: 400 });
  assert.equal(data(await mc.getExtIdp({ id: idp.id })).connections.length, 1);
  refused(await mc.updateExtIdpConn({ id: c.id, displayName: '', fields: {} }), { statusCode: 400 });
  refused(await mc.updateExtIdpConn({ id: c.id, displayName: 'x' }), { statusCode: 400 });
  refused(await mc.changeExtIdpConnState({ id: c.id, enabled: 'no', appId: appId() }), { statusCode: 400 });
  refused(await mc.changeExtIdpConnState({ id: c.id, enabled: false }), { statusCode: 400 });
  refused(await mc.changeExtIdpConnState({ id: c.id, enabled: false, appId: NOBODY }));
  refused(await mc.changeExtIdpConnState({ id: c.id, enabled: false, appId: appId(), appIds: [NOBODY] }));
  const still = data(await mc.getExtIdp({ id: idp.id })).connections[0];
  assert.equal(still.enabled, true);
  assert.equal(still.displayName, 'Company SSO');

  refused(await other.getExtIdp({ id: idp.id }), { statusCode: 404 });
  refused(await other.updateExtIdp({ id: idp.id, name: 'stolen' }), { statusCode: 404 });
  refused(await other.deleteExtIdp({ id: idp.id }), { statusCode: 404 });
  refused(await other.updateExtIdpConn({ id: c.id, displayName: 'stolen', fields: {} }), { statusCode: 404 });
  refused(await other.deleteExtIdpConn({ id: c.id }), { statusCode: 404 });
  refused(await other.changeExtIdpConnState({ id: c.id, enabled: false, appId: pool('v3Sign').appId }), { statusCode: 404 });
  const mine = data(await mc.getExtIdp({ id: idp.id }));
  assert.equal(mine.name, 'Mine');
  assert.equal(mine.connections[0].enabled, true);
});

// --- users' identities ---------------------------------------------------------------------

test('linkIdentity → getUserIdentities / getUserLoggedinIdentities; unlinkIdentity', async () => {
  const idp = data(await mc.createExtIdp({ name: 'Corp GitHub', type: 'github' }));
  const u = await newUser();
  const inIdp = `gh-${rand(8)}`;
  assert.deepEqual(data(await mc.linkIdentity({
    userId: u.userId, extIdpId: idp.id, userIdInIdp: inIdp, type: 'generic', isSocial: false,
  })), { success: true });
  const ids = data(await mc.getUserIdentities({ userId: u.userId }));
  assert.equal(ids.length, 1);
  assert.equal(ids[0].provider, 'github');
  assert.equal(ids[0].userIdInIdp, inIdp);
  assert.equal(ids[0].extIdpId, idp.id);
  assert.equal(ids[0].type, 'social', 'the provider decides, not the deprecated isSocial');
  const logged = data(await mc.getUserLoggedinIdentities({ userId: u.userId }));
  assert.equal(logged.length, 1);
  assert.equal(logged[0].idpName, 'Corp GitHub');
  assert.equal(logged[0].idpId, idp.id);
  assert.equal(logged[0].identityId, ids[0].identityId);
  const byIdentity = data(await mc.getUser({ userId: `github:${inIdp}`, userIdType: 'identity' }));
  assert.equal(byIdentity.userId, u.userId);

  // The identity is someone's now: a second link to it is refused.
  const v = await newUser();
  refused(await mc.linkIdentity({ userId: v.userId, extIdpId: idp.id, userIdInIdp: inIdp }));
  assert.deepEqual(data(await mc.getUserIdentities({ userId: v.userId })), []);

  assert.deepEqual(data(await mc.unlinkIdentity({ userId: u.userId, extIdpId: idp.id })), { success: true });
  assert.deepEqual(data(await mc.getUserIdentities({ userId: u.userId })), []);
  assert.deepEqual(data(await mc.getUserLoggedinIdentities({ userId: u.userId })), []);
  refused(await mc.unlinkIdentity({ userId: u.userId, extIdpId: idp.id }), { statusCode: 404 });
});

test('identities: bad input and other pools', async () => {
  const idp = data(await mc.createExtIdp({ name: 'WX', type: 'wechat' }));
  const u = await newUser();
  refused(await mc.linkIdentity({ userId: u.userId, extIdpId: idp.id }), { statusCode: 400 });
  refused(await mc.linkIdentity({ userId: u.userId, extIdpId: NOBODY, userIdInIdp: 'x' }), { statusCode: 404 });
  refused(await mc.linkIdentity({ userId: NOBODY, extIdpId: idp.id, userIdInIdp: 'x' }), { statusCode: 404 });
  refused(await mc.linkIdentity({ userId: u.userId, extIdpId: idp.id, userIdInIdp: 'x', type: 'openid' }),
    { statusCode: 400, message: /type/ });
  refused(await mc.linkIdentity({ userId: u.userId, extIdpId: idp.id, userIdInIdp: 42 }), { statusCode: 400 });
  assert.deepEqual(data(await mc.getUserIdentities({ userId: u.userId })), [], 'nothing linked');
  const theirs = data(await other.createUser({ username: uniqueUsername('idt') }));
  refused(await mc.linkIdentity({ userId: theirs.userId, extIdpId: idp.id, userIdInIdp: 'y' }), { statusCode: 404 });
  refused(await other.linkIdentity({ userId: theirs.userId, extIdpId: idp.id, userIdInIdp: 'y' }), { statusCode: 404 });
  data(await mc.linkIdentity({ userId: u.userId, extIdpId: idp.id, userIdInIdp: `wx-${rand(6)}` }));
  refused(await other.getUserLoggedinIdentities({ userId: u.userId }), { statusCode: 404 });
  refused(await other.unlinkIdentity({ userId: u.userId, extIdpId: idp.id }), { statusCode: 404 });
  assert.equal(data(await mc.getUserIdentities({ userId: u.userId })).length, 1);
  refused(await mc.getUserLoggedinIdentities({}), { statusCode: 400 });
  refused(await mc.getUserLoggedinIdentities({ userId: u.userId, userIdType: 'nickname' }), { statusCode: 400 });
});

test('methods Tessera does not serve answer a 501 naming them', async () => {
  // Outside the families served: the sync center.
  refused(await mc.listSyncTasks({ page: 1, limit: 10 }),
    { statusCode: 501, message: /listSyncTasks/ });
});

test('getTenantByCode finds a tenant by the code it was given at creation, in its pool only', async () => {
  const t = await newTenant();
  assert.match(t.code, /^[0-9a-f]{10}$/);
  const found = data(await mc.getTenantByCode({ code: t.code }));
  assert.equal(found.tenantId, t.tenantId);
  assert.equal(found.code, t.code);
  refused(await mc.getTenantByCode({ code: 'no-such-code' }), { statusCode: 404 });
  refused(await other.getTenantByCode({ code: t.code }), { statusCode: 404 });
  refused(await mc.getTenantByCode({}), { statusCode: 400 });
});
