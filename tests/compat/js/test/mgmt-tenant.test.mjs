// mc.tenant through the official ManagementClient: tenants, members and administrators,
// external identity providers and their connections, users.getUserTenants, with bad input
// and cross-pool isolation. Tenants live in the `mgmtApps` pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rejectsWith, newEmailUser, rand } from './helpers.mjs';

const mc = () => mgmt('mgmtApps');
const other = () => mgmt('mgmtOther');
const appId = () => pool('mgmtApps').appId;
const NOBODY = '000000000000000000000000';

const newTenant = (extra = {}) =>
  mc().tenant.create({ name: `租户-${rand(6)}`, appIds: appId(), ...extra });

function conn(extra = {}) {
  return {
    type: 'wechat:pc',
    identifier: `conn-${rand(10)}`,
    displayName: '微信身份源连接',
    fields: { clientID: 'cli_a1', clientSecret: 's3cr3t' },
    userMatchFields: ['email'],
    ...extra
  };
}

test('create / details / update / config / delete', async () => {
  const t = await mc().tenant.create({
    name: '搜索',
    appIds: appId(),
    logo: 'https://example.com/t.png',
    description: 'first tenant'
  });
  assert.match(t.id, /^[0-9a-f]{24}$/);
  assert.equal(t.name, '搜索');
  assert.deepEqual(t.appIds, [appId()]);
  assert.equal(t.userPoolId, pool('mgmtApps').userPoolId);
  const d = await mc().tenant.details(t.id);
  assert.equal(d.description, 'first tenant');
  assert.equal(d.logo, 'https://example.com/t.png');

  const u = await mc().tenant.update(t.id, { name: '聚合搜索' });
  assert.equal(u.name, '聚合搜索');
  assert.equal(u.description, 'first tenant', 'unchanged fields are kept');
  const c = await mc().tenant.config(t.id, {
    css: '.btn { color: #f0e }',
    ssoPageCustomizationSettings: { hideForgetPassword: true }
  });
  assert.equal(c.css, '.btn { color: #f0e }');
  assert.deepEqual(c.ssoPageCustomizationSettings, { hideForgetPassword: true });
  assert.equal((await mc().tenant.details(t.id)).name, '聚合搜索');

  const del = await mc().tenant.delete(t.id);
  assert.equal(del.code, 200);
  await rejectsWith(mc().tenant.details(t.id), 404);
  await rejectsWith(mc().tenant.delete(t.id), 404);
});

test('create / update: bad input is refused and writes nothing', async () => {
  await rejectsWith(mc().tenant.create({ appIds: appId() }), 2231, 'no name');
  await rejectsWith(mc().tenant.create({ name: 'x', appIds: NOBODY }), 2011, 'unknown app');
  await rejectsWith(
    mc().tenant.create({ name: 'x', appIds: pool('mgmtOther').appId }),
    2011,
    'an app of another pool'
  );
  await rejectsWith(mc().tenant.create({ name: 'x', appIds: 42 }), 2231, 'appIds type');
  const t = await newTenant();
  await rejectsWith(mc().tenant.update(t.id, { name: '' }), 2231);
  await rejectsWith(mc().tenant.update(t.id, { appIds: NOBODY }), 2011);
  const d = await mc().tenant.details(t.id);
  assert.equal(d.name, t.name);
  assert.deepEqual(d.appIds, [appId()], 'the failed update changed nothing');
  await rejectsWith(mc().tenant.update(NOBODY, { name: 'x' }), 404);
});

test('list: pages in a stable order with the total count; bad pages refused', async () => {
  const made = [];
  for (let i = 0; i < 3; i++) made.push((await newTenant()).id);
  const all = await mc().tenant.list({ page: 1, limit: 1000 });
  assert.equal(all.totalCount, all.list.length);
  for (const id of made) assert.ok(all.list.some(t => t.id === id));
  const seen = [];
  for (let page = 1; seen.length < all.totalCount; page++) {
    const p = await mc().tenant.list({ page, limit: 2 });
    assert.ok(p.list.length > 0);
    seen.push(...p.list.map(t => t.id));
  }
  assert.deepEqual(seen.slice(0, all.list.length), all.list.map(t => t.id));
  await rejectsWith(mc().tenant.list({ page: 1, limit: 1e9 }), 2231);
  await rejectsWith(mc().tenant.list({ page: -1, limit: 10 }), 2231);
});

test('members: add, page, admins, enable/disable, remove; getUserTenants', async () => {
  const t = await newTenant();
  const a = await newEmailUser('mgmtApps');
  const b = await newEmailUser('mgmtApps');
  await mc().tenant.addMembers(t.id, [a.user.id, b.user.id]);
  await mc().tenant.addMembers(t.id, [a.user.id]); // already a member: no change
  let m = await mc().tenant.members(t.id, { page: 1, limit: 10 });
  assert.equal(m.totalCount, 2);
  assert.deepEqual(new Set(m.list.map(x => x.user.id)), new Set([a.user.id, b.user.id]));
  assert.equal(m.list[0].isAdmin, false);
  assert.equal(m.list[0].enabled, true);
  // One page at a time gives the same members in the same order.
  const p1 = await mc().tenant.members(t.id, { page: 1, limit: 1 });
  const p2 = await mc().tenant.members(t.id, { page: 2, limit: 1 });
  assert.equal(p2.totalCount, 2);
  assert.deepEqual([...p1.list, ...p2.list].map(x => x.userId), m.list.map(x => x.userId));

  const ut = await mc().users.getUserTenants(a.user.id);
  assert.deepEqual(ut.map(x => x.id), [t.id]);

  assert.equal(await mc().tenant.setTanentAdmin(t.id, { userIds: [b.user.id] }), true);
  assert.equal(await mc().tenant.updateTenantMember(t.id, a.user.id, false), true);
  m = await mc().tenant.members(t.id, { page: 1, limit: 10 });
  const byId = Object.fromEntries(m.list.map(x => [x.userId, x]));
  assert.equal(byId[b.user.id].isAdmin, true);
  assert.equal(byId[a.user.id].enabled, false);
  assert.equal(await mc().tenant.deleteTanentAdmin(t.id, b.user.id), true);
  m = await mc().tenant.members(t.id, { page: 1, limit: 10 });
  assert.equal(m.list.find(x => x.userId === b.user.id).isAdmin, false, 'still a member');

  await mc().tenant.removeMembers(t.id, a.user.id);
  m = await mc().tenant.members(t.id, { page: 1, limit: 10 });
  assert.deepEqual(m.list.map(x => x.userId), [b.user.id]);
  assert.deepEqual(await mc().users.getUserTenants(a.user.id), []);
  await rejectsWith(mc().tenant.removeMembers(t.id, a.user.id), 404, 'not a member any more');
});

test('members: bad input is refused and writes nothing', async () => {
  const t = await newTenant();
  const a = await newEmailUser('mgmtApps');
  const foreign = await newEmailUser('mgmtOther');
  await rejectsWith(mc().tenant.addMembers(t.id, [a.user.id, NOBODY]), 2004, 'unknown user');
  await rejectsWith(mc().tenant.addMembers(t.id, [a.user.id, foreign.user.id]), 2004, 'user of another pool');
  await rejectsWith(mc().tenant.addMembers(t.id, []), 2231, 'no users');
  await rejectsWith(mc().tenant.addMembers(NOBODY, [a.user.id]), 404, 'unknown tenant');
  assert.equal((await mc().tenant.members(t.id, { page: 1, limit: 10 })).totalCount, 0,
    'a failed batch adds nobody');
  await rejectsWith(mc().tenant.members(t.id, { page: 1, limit: 1e9 }), 2231);
  await rejectsWith(mc().tenant.members(t.id, { page: -1, limit: 10 }), 2231);
  await rejectsWith(mc().users.getUserTenants(NOBODY), 2004);
  // The boolean helpers turn errors into false.
  assert.equal(await mc().tenant.setTanentAdmin(t.id, { userIds: [NOBODY] }), false);
  assert.equal(await mc().tenant.updateTenantMember(t.id, a.user.id, true), false, 'not a member');
  assert.equal(await mc().tenant.deleteTanentAdmin(t.id, a.user.id), false);
  assert.equal((await mc().tenant.members(t.id, { page: 1, limit: 10 })).totalCount, 0);
});

test('external identity providers and connections', async () => {
  const t = await newTenant();
  const c1 = conn();
  const idp = await mc().tenant.createExtIdp({
    tenantId: t.id,
    name: '微信身份源',
    type: 'wechat',
    connections: [c1]
  });
  assert.equal(idp.tenantId, t.id);
  assert.equal(idp.connections.length, 1);
  assert.equal(idp.connections[0].identifier, c1.identifier);
  assert.deepEqual(idp.connections[0].fields, c1.fields);
  assert.deepEqual(idp.connections[0].userMatchFields, ['email']);
  assert.equal(idp.connections[0].enabled, true);

  const listed = await mc().tenant.listExtIdp(t.id);
  assert.deepEqual(listed.map(i => i.id), [idp.id]);
  assert.equal((await mc().tenant.extIdpDetail(idp.id)).name, '微信身份源');
  assert.equal((await mc().tenant.updateExtIdp(idp.id, { name: '飞书身份源' })).name, '飞书身份源');

  // The SDK answers "does the identifier conflict?": true when taken, false when free.
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(c1.identifier), true);
  const free = `free-${rand(10)}`;
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(free), false);

  const c2 = await mc().tenant.createExtIdpConnection({ extIdpId: idp.id, ...conn({ identifier: free }) });
  assert.equal(c2.extIdpId, idp.id);
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(free), true);
  const u = await mc().tenant.updateExtIdpConnection(c2.id, {
    displayName: '新名字',
    fields: { clientID: 'cli_b' },
    userMatchFields: ['phone']
  });
  assert.equal(u.displayName, '新名字');
  assert.deepEqual(u.fields, { clientID: 'cli_b' });
  assert.deepEqual(u.userMatchFields, ['phone']);

  assert.equal(
    await mc().tenant.changeExtIdpConnectionState(c2.id, { tenantId: t.id, enabled: false }),
    true
  );
  let d = await mc().tenant.extIdpDetail(idp.id);
  assert.equal(d.connections.find(c => c.id === c2.id).enabled, false);
  assert.equal(
    await mc().tenant.batchChangeExtIdpConnectionState(idp.id, { appId: appId(), enabled: false }),
    true
  );
  d = await mc().tenant.extIdpDetail(idp.id);
  assert.ok(d.connections.every(c => c.enabled === false));
  assert.equal(await mc().tenant.changeExtIdpConnectionState(c2.id, { enabled: 'yes' }), false);
  assert.equal(
    await mc().tenant.changeExtIdpConnectionState(c2.id, { tenantId: NOBODY, enabled: true }),
    false,
    'unknown tenant'
  );
  assert.equal(await mc().tenant.batchChangeExtIdpConnectionState(NOBODY, { enabled: true }), false);

  await mc().tenant.deleteExtIdpConnection(c2.id);
  await rejectsWith(mc().tenant.deleteExtIdpConnection(c2.id), 404);
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(free), false);
  await mc().tenant.deleteExtIdp(idp.id);
  await rejectsWith(mc().tenant.extIdpDetail(idp.id), 404);
  assert.equal(
    await mc().tenant.checkExtIdpConnectionIdentifierUnique(c1.identifier),
    false,
    'deleting the provider deleted its connections'
  );
});

test('external providers: bad input is refused and writes nothing', async () => {
  const t = await newTenant();
  const taken = conn();
  const idp = await mc().tenant.createExtIdp({ tenantId: t.id, name: 'a', type: 'wechat', connections: [taken] });
  const fresh = conn();
  // One taken identifier in the batch: neither the provider nor the other connection is kept.
  await rejectsWith(
    mc().tenant.createExtIdp({ tenantId: t.id, name: 'b', type: 'wechat', connections: [fresh, conn({ identifier: taken.identifier })] }),
    2026
  );
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(fresh.identifier), false);
  assert.equal((await mc().tenant.listExtIdp(t.id)).length, 1);
  await rejectsWith(mc().tenant.createExtIdp({ tenantId: NOBODY, name: 'b', type: 'x', connections: [] }), 404);
  await rejectsWith(mc().tenant.createExtIdp({ tenantId: t.id, type: 'x', connections: [] }), 2231, 'no name');
  await rejectsWith(mc().tenant.createExtIdp({ tenantId: t.id, name: 'b', type: 'x', connections: 'no' }), 2231);
  await rejectsWith(mc().tenant.createExtIdpConnection({ extIdpId: NOBODY, ...conn() }), 404);
  await rejectsWith(mc().tenant.createExtIdpConnection({ extIdpId: idp.id, ...conn({ identifier: taken.identifier }) }), 2026);
  await rejectsWith(mc().tenant.createExtIdpConnection({ extIdpId: idp.id, ...conn({ fields: 'x' }) }), 2231);
  await rejectsWith(mc().tenant.updateExtIdp(idp.id, { name: '' }), 2231);
  await rejectsWith(mc().tenant.updateExtIdpConnection(NOBODY, { displayName: 'x' }), 404);
  await rejectsWith(mc().tenant.listExtIdp(NOBODY), 404);
  assert.equal((await mc().tenant.extIdpDetail(idp.id)).connections.length, 1);
});

test('deleting a tenant removes its members and providers in one go', async () => {
  const t = await newTenant();
  const a = await newEmailUser('mgmtApps');
  await mc().tenant.addMembers(t.id, [a.user.id]);
  const c = conn();
  const idp = await mc().tenant.createExtIdp({ tenantId: t.id, name: 'p', type: 'wechat', connections: [c] });
  await mc().tenant.delete(t.id);
  assert.deepEqual(await mc().users.getUserTenants(a.user.id), []);
  await rejectsWith(mc().tenant.extIdpDetail(idp.id), 404);
  assert.equal(await mc().tenant.checkExtIdpConnectionIdentifierUnique(c.identifier), false);
});

test('cross-pool isolation: another pool\'s token cannot see or change these tenants', async () => {
  const t = await newTenant();
  const a = await newEmailUser('mgmtApps');
  await mc().tenant.addMembers(t.id, [a.user.id]);
  const c = conn();
  const idp = await mc().tenant.createExtIdp({ tenantId: t.id, name: 'p', type: 'wechat', connections: [c] });
  const o = other();
  await rejectsWith(o.tenant.details(t.id), 404);
  await rejectsWith(o.tenant.update(t.id, { name: 'stolen' }), 404);
  await rejectsWith(o.tenant.delete(t.id), 404);
  await rejectsWith(o.tenant.members(t.id, { page: 1, limit: 10 }), 404);
  await rejectsWith(o.tenant.addMembers(t.id, [a.user.id]), 404);
  await rejectsWith(o.tenant.removeMembers(t.id, a.user.id), 404);
  assert.equal(await o.tenant.setTanentAdmin(t.id, { userIds: [a.user.id] }), false);
  assert.equal(await o.tenant.updateTenantMember(t.id, a.user.id, false), false);
  await rejectsWith(o.users.getUserTenants(a.user.id), 2004);
  await rejectsWith(o.tenant.extIdpDetail(idp.id), 404);
  await rejectsWith(o.tenant.updateExtIdp(idp.id, { name: 'x' }), 404);
  await rejectsWith(o.tenant.deleteExtIdp(idp.id), 404);
  await rejectsWith(o.tenant.listExtIdp(t.id), 404);
  const connId = idp.connections[0].id;
  await rejectsWith(o.tenant.updateExtIdpConnection(connId, { displayName: 'x' }), 404);
  await rejectsWith(o.tenant.deleteExtIdpConnection(connId), 404);
  assert.equal(await o.tenant.changeExtIdpConnectionState(connId, { enabled: false }), false);
  assert.equal(await o.tenant.batchChangeExtIdpConnectionState(idp.id, { enabled: false }), false);
  await rejectsWith(o.tenant.createExtIdpConnection({ extIdpId: idp.id, ...conn() }), 404);
  // Identifiers are unique per pool: the other pool may use the same one.
  assert.equal(await o.tenant.checkExtIdpConnectionIdentifierUnique(c.identifier), false);
  assert.ok(!(await o.tenant.list({ page: 1, limit: 1000 })).list.some(x => x.id === t.id));

  const d = await mc().tenant.details(t.id);
  assert.equal(d.name, t.name);
  const m = await mc().tenant.members(t.id, { page: 1, limit: 10 });
  assert.equal(m.list[0].isAdmin, false);
  assert.equal(m.list[0].enabled, true);
  const i = await mc().tenant.extIdpDetail(idp.id);
  assert.equal(i.name, 'p');
  assert.equal(i.connections[0].enabled, true);
});
