// v3 Groups family (and the Users family's getUserGroups) through authing-node-sdk@4.0.1 in
// pool 'v3Directory', with round trips through the v2 ManagementClient, cross-pool isolation
// against 'v3Sign' and bad inputs (non-200 with a message, nothing written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, rand, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Directory';
const mc = v3(P);
const v2 = mgmt(P);
const other = v3('v3Sign');
const code = (p = 'g') => `${p}_${rand(10)}`;

async function newUser(client = mc) {
  return data(await client.createUser({ username: uniqueUsername('grp') }));
}

test('createGroup → getGroup, listGroups (keywords) and v2 groups.detail read the same group', async () => {
  const c = code('grp');
  const made = data(await mc.createGroup({ code: c, name: '研发', description: 'devs', type: 'static' }));
  assert.equal(made.code, c);
  assert.equal(made.name, '研发');
  assert.equal(made.description, 'devs');
  assert.equal(made.type, 'static');
  assert.deepEqual(made.members, []);
  assert.equal(typeof made.id, 'string');
  const got = data(await mc.getGroup({ code: c }));
  assert.deepEqual(got, made);
  const listed = data(await mc.listGroups({ keywords: c }));
  assert.equal(listed.totalCount, 1);
  assert.equal(listed.list[0].id, made.id);
  const byName = data(await mc.listGroups({ keywords: c.slice(4), page: 1, limit: 5 }));
  assert.equal(byName.totalCount, 1);
  const old = await v2.groups.detail(c);
  assert.equal(old.name, '研发');
  assert.equal(old.description, 'devs');
  // v2 writes, v3 reads.
  await v2.groups.update(c, { name: 'R&D' });
  assert.equal(data(await mc.getGroup({ code: c })).name, 'R&D');
});

test('updateGroup and createOrUpdateGroup; v2 sees the change', async () => {
  const c = code('up');
  data(await mc.createGroup({ code: c, name: 'A', description: '', type: 'static' }));
  const c2 = code('up2');
  const upd = data(await mc.updateGroup({ code: c, newCode: c2, name: 'B', description: 'new' }));
  assert.equal(upd.code, c2);
  assert.equal(upd.name, 'B');
  assert.equal(upd.description, 'new');
  refused(await mc.getGroup({ code: c }), { statusCode: 404 });
  assert.equal((await v2.groups.detail(c2)).name, 'B');

  const cu = data(await mc.createOrUpdateGroup({ code: c2, name: 'C', description: 'again', type: 'static' }));
  assert.equal(cu.created, false);
  assert.equal(cu.data.name, 'C');
  const c3 = code('cu');
  const made = data(await mc.createOrUpdateGroup({ code: c3, name: 'D', description: 'fresh', type: 'static' }));
  assert.equal(made.created, true);
  assert.equal(data(await mc.getGroup({ code: c3 })).description, 'fresh');

  const taken = code('taken');
  data(await mc.createGroup({ code: taken, name: 'T', description: '', type: 'static' }));
  refused(await mc.updateGroup({ code: c3, newCode: taken, description: '' }), { statusCode: 409 });
  assert.equal(data(await mc.getGroup({ code: c3 })).name, 'D');
});

test('createGroupsBatch is all-or-nothing; getAllGroups lists members when asked', async () => {
  const existing = code('ex');
  data(await mc.createGroup({ code: existing, name: 'E', description: '', type: 'static' }));
  const fresh = code('fresh');
  refused(await mc.createGroupsBatch({ list: [
    { code: fresh, name: 'F', description: '', type: 'static' },
    { code: existing, name: 'E', description: '', type: 'static' },
  ] }), { statusCode: 409 });
  refused(await mc.getGroup({ code: fresh }), { statusCode: 404 });
  refused(await mc.createGroupsBatch({ list: [
    { code: fresh, name: 'F', description: '', type: 'static' },
    { code: code('dyn'), name: 'D', description: '', type: 'dynamic' },
  ] }), { statusCode: 400 });
  refused(await mc.getGroup({ code: fresh }), { statusCode: 404 });
  const second = code('second');
  const made = data(await mc.createGroupsBatch({ list: [
    { code: fresh, name: 'F', description: 'f', type: 'static' },
    { code: second, name: 'S', description: 's', type: 'static' },
  ] }));
  assert.deepEqual(made.map(g => g.code), [fresh, second]);

  const u = await newUser();
  data(await mc.addGroupMembers({ code: fresh, userIds: [u.userId] }));
  const all = data(await mc.getAllGroups({ fetchMembers: true }));
  const f = all.find(g => g.code === fresh);
  assert.ok(f, 'getAllGroups lists the new group');
  assert.deepEqual(f.members.map(m => m.userId), [u.userId]);
  assert.ok(all.find(g => g.code === second));
  const bare = data(await mc.getAllGroups({}));
  assert.deepEqual(bare.find(g => g.code === fresh).members, []);
});

test('group members: add, list (paged, with flags), remove; getUserGroups; v2 listUsers', async () => {
  const c = code('mem');
  data(await mc.createGroup({ code: c, name: 'M', description: '', type: 'static' }));
  const users = [await newUser(), await newUser(), await newUser()];
  assert.equal(data(await mc.addGroupMembers({ code: c, userIds: users.map(u => u.userId) })).success, true);
  const page1 = data(await mc.listGroupMembers({ code: c, page: 1, limit: 2, withCustomData: true, withDepartmentIds: true }));
  assert.equal(page1.totalCount, 3);
  assert.equal(page1.list.length, 2);
  assert.deepEqual(page1.list[0].customData, {});
  assert.deepEqual(page1.list[0].departmentIds, []);
  const page2 = data(await mc.listGroupMembers({ code: c, page: 2, limit: 2 }));
  assert.equal(page2.list.length, 1);
  const old = await v2.groups.listUsers(c);
  assert.equal(old.totalCount, 3);

  const mine = data(await mc.getUserGroups({ userId: users[0].userId }));
  assert.equal(mine.totalCount, 1);
  assert.equal(mine.list[0].code, c);
  const byName = data(await mc.getUserGroups({ userId: users[0].username, userIdType: 'username' }));
  assert.equal(byName.list[0].code, c);

  // One unknown user: nobody is removed (and nobody is added).
  refused(await mc.removeGroupMembers({ code: c, userIds: [users[0].userId, 'no-such-user'] }), { statusCode: 404 });
  assert.equal(data(await mc.listGroupMembers({ code: c })).totalCount, 3);
  const newcomer = await newUser();
  refused(await mc.addGroupMembers({ code: c, userIds: [newcomer.userId, 'no-such-user'] }), { statusCode: 404 });
  assert.equal(data(await mc.getUserGroups({ userId: newcomer.userId })).totalCount, 0);

  data(await mc.removeGroupMembers({ code: c, userIds: [users[0].userId] }));
  assert.equal(data(await mc.listGroupMembers({ code: c })).totalCount, 2);
  assert.equal(data(await mc.getUserGroups({ userId: users[0].userId })).totalCount, 0);
});

test('getGroupAuthorizedResources: the group\'s grants and those of its roles', async () => {
  const ns = code('ns');
  data(await mc.createNamespace({ code: ns }));
  const c = code('gr');
  data(await mc.createGroup({ code: c, name: 'G', description: '', type: 'static' }));
  const role = code('role');
  data(await mc.createRole({ code: role, namespace: ns }));
  data(await mc.assignRole({ code: role, namespace: ns, targets: [{ targetType: 'GROUP', targetIdentifier: c }] }));
  data(await mc.authorizeResources({ namespace: ns, list: [
    { targetType: 'GROUP', targetIdentifiers: [c], resources: [{ code: 'docs', actions: ['read'], resourceType: 'DATA' }] },
    { targetType: 'ROLE', targetIdentifiers: [role], resources: [{ code: 'api', actions: ['call'], resourceType: 'API' }] },
  ] }));
  const list = data(await mc.getGroupAuthorizedResources({ code: c, namespace: ns }));
  assert.deepEqual(list.map(r => [r.resourceCode, r.actions, r.resourceType, r.effect]), [
    ['api', ['call'], 'API', 'ALLOW'],
    ['docs', ['read'], 'DATA', 'ALLOW'],
  ]);
  const apis = data(await mc.getGroupAuthorizedResources({ code: c, namespace: ns, resourceType: 'API' }));
  assert.deepEqual(apis.map(r => r.resourceCode), ['api']);
  const old = await v2.groups.listAuthorizedResources(c, ns);
  assert.equal(old.totalCount, 2);
});

test('custom data of groups: set at creation and update, read back', async () => {
  const key = `g_${rand(6)}`;
  await v2.udf.set('GROUP', key, 'STRING', 'Team');
  const c = code('cd');
  const made = data(await mc.createGroup({ code: c, name: 'C', description: '', type: 'static', customData: { [key]: 'blue' } }));
  assert.deepEqual(made.customData, { [key]: 'blue' });
  assert.deepEqual(data(await mc.getGroup({ code: c, withCustomData: true })).customData, { [key]: 'blue' });
  const upd = data(await mc.updateGroup({ code: c, description: '', customData: { [key]: 'red' } }));
  assert.deepEqual(upd.customData, { [key]: 'red' });
  // A bad value changes neither the group nor its values.
  refused(await mc.updateGroup({ code: c, name: 'Renamed', description: '', customData: { nosuchkey: 1 } }), { statusCode: 400 });
  const same = data(await mc.getGroup({ code: c, withCustomData: true }));
  assert.equal(same.name, 'C');
  assert.deepEqual(same.customData, { [key]: 'red' });
  const listed = data(await mc.listGroups({ keywords: c, withCustomData: true }));
  assert.deepEqual(listed.list[0].customData, { [key]: 'red' });
  const flat = data(await mc.listGroups({ keywords: c, withCustomData: true, flatCustomData: true }));
  assert.equal(flat.list[0][key], 'red');
  assert.equal(flat.list[0].customData, undefined);
  assert.equal(flat.list[0].code, c);
  // A batch carries custom values too, all or nothing.
  const b1 = code('cdb');
  const b2 = code('cdb');
  refused(await mc.createGroupsBatch({ list: [
    { code: b1, name: 'B1', description: '', type: 'static', customData: { [key]: 'green' } },
    { code: b2, name: 'B2', description: '', type: 'static', customData: { nosuchkey: 'x' } },
  ] }), { statusCode: 400 });
  refused(await mc.getGroup({ code: b1 }), { statusCode: 404 });
  const batch = data(await mc.createGroupsBatch({ list: [
    { code: b1, name: 'B1', description: '', type: 'static', customData: { [key]: 'green' } },
    { code: b2, name: 'B2', description: '', type: 'static' },
  ] }));
  assert.deepEqual(batch.map(g => g.customData), [{ [key]: 'green' }, {}]);
  assert.deepEqual(data(await mc.getGroup({ code: b1, withCustomData: true })).customData, { [key]: 'green' });
  // An undefined key is refused, and no group is left behind.
  const c2 = code('cd2');
  refused(await mc.createGroup({ code: c2, name: 'C', description: '', type: 'static', customData: { nosuchkey: 1 } }), { statusCode: 400 });
  refused(await mc.getGroup({ code: c2 }), { statusCode: 404 });
});

test('deleteGroupsBatch is all-or-nothing', async () => {
  const a = code('a');
  const b = code('b');
  data(await mc.createGroup({ code: a, name: 'A', description: '', type: 'static' }));
  data(await mc.createGroup({ code: b, name: 'B', description: '', type: 'static' }));
  refused(await mc.deleteGroupsBatch({ codeList: [a, 'no-such-group'] }), { statusCode: 404 });
  assert.ok(data(await mc.getGroup({ code: a })));
  assert.equal(data(await mc.deleteGroupsBatch({ codeList: [a, b] })).success, true);
  refused(await mc.getGroup({ code: a }), { statusCode: 404 });
  refused(await mc.getGroup({ code: b }), { statusCode: 404 });
  assert.equal(await v2.groups.detail(a), null);
});

test('groups of another pool are neither found nor changed', async () => {
  const c = code('theirs');
  data(await other.createGroup({ code: c, name: 'Theirs', description: 'keep', type: 'static' }));
  const theirUser = await newUser(other);
  refused(await mc.getGroup({ code: c }), { statusCode: 404 });
  refused(await mc.updateGroup({ code: c, name: 'hijack', description: 'x' }), { statusCode: 404 });
  refused(await mc.deleteGroupsBatch({ codeList: [c] }), { statusCode: 404 });
  refused(await mc.listGroupMembers({ code: c }), { statusCode: 404 });
  refused(await mc.addGroupMembers({ code: c, userIds: [theirUser.userId] }), { statusCode: 404 });
  assert.equal(data(await mc.listGroups({ keywords: c })).totalCount, 0);
  // Their user cannot join my group.
  const mine = code('mine');
  data(await mc.createGroup({ code: mine, name: 'Mine', description: '', type: 'static' }));
  refused(await mc.addGroupMembers({ code: mine, userIds: [theirUser.userId] }), { statusCode: 404 });
  refused(await mc.getUserGroups({ userId: theirUser.userId }), { statusCode: 404 });
  const kept = data(await other.getGroup({ code: c }));
  assert.equal(kept.description, 'keep');
  assert.equal(kept.name, 'Theirs');
});

test('bad input: missing fields, wrong types, unknown group types, absurd paging; nothing written', async () => {
  refused(await mc.createGroup({ name: 'x', description: '', type: 'static' }), { statusCode: 400 });
  const c = code('bad');
  refused(await mc.createGroup({ code: c, description: '', type: 'static' }), { statusCode: 400 });
  refused(await mc.createGroup({ code: c, name: 'x', description: '', type: 'dynamic' }), { statusCode: 400 });
  refused(await mc.createGroup({ code: c, name: 'x', description: '', type: 'static', customData: 'x' }), { statusCode: 400 });
  refused(await mc.createGroup({ code: c, name: ['x'], description: '', type: 'static' }), { statusCode: 400 });
  refused(await mc.getGroup({ code: c }), { statusCode: 404 });
  refused(await mc.listGroups({ page: 0 }), { statusCode: 400 });
  refused(await mc.listGroups({ limit: 1e9 }), { statusCode: 400 });
  refused(await mc.addGroupMembers({ code: c }), { statusCode: 400 });
  refused(await mc.addGroupMembers({ code: 'no-such-group', userIds: [] }), { statusCode: 404 });
  refused(await mc.getGroupAuthorizedResources({ code: 'x', resourceType: 'ROBOT' }), { statusCode: 400 });
  refused(await mc.deleteGroupsBatch({}), { statusCode: 400 });
  refused(await mc.getUserGroups({}), { statusCode: 400 });
});
