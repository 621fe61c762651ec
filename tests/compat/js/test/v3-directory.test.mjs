// v3 Roles family (and the Users family's getUserRoles / hasAnyRole) through
// authing-node-sdk@4.0.1 in pool 'v3Directory', with round trips through the v2
// ManagementClient (one core, two wires), cross-pool isolation against 'v3Sign' and the bad
// inputs of issue 13 (non-200 with a message, nothing written, batches all-or-nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, rand, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Directory';
const mc = v3(P);
const v2 = mgmt(P);
const other = v3('v3Sign');
const code = (p = 'r') => `${p}_${rand(10)}`;

async function newUser(client = mc) {
  return data(await client.createUser({ username: uniqueUsername('dir') }));
}

test('createRole → getRole, listRoles (keywords, namespace) and v2 roles.detail read the same role', async () => {
  const c = code('role');
  const ns = code('ns');
  data(await mc.createNamespace({ code: ns, name: 'NS' }));
  const made = data(await mc.createRole({ code: c, name: '编辑', namespace: ns, description: 'edits' }));
  assert.equal(made.code, c);
  assert.equal(made.name, '编辑');
  assert.equal(made.namespace, ns);
  assert.equal(made.namespaceName, 'NS');
  assert.equal(made.description, 'edits');
  assert.equal(made.status, 'ENABLE');
  assert.equal(typeof made.id, 'string');

  const got = data(await mc.getRole({ code: c, namespace: ns }));
  assert.deepEqual(got, made);
  // Not found in another namespace of the same pool.
  refused(await mc.getRole({ code: c }), { statusCode: 404 });

  const byKeyword = data(await mc.listRoles({ keywords: c.slice(5), namespace: ns }));
  assert.equal(byKeyword.totalCount, 1);
  assert.equal(byKeyword.list[0].code, c);
  const byName = data(await mc.listRoles({ keywords: '编辑', namespace: ns }));
  assert.equal(byName.totalCount, 1);
  const none = data(await mc.listRoles({ keywords: 'no-such-role-zzz', namespace: ns }));
  assert.equal(none.totalCount, 0);
  assert.deepEqual(none.list, []);

  const old = await v2.roles.detail(c, ns);
  assert.equal(old.code, c);
  assert.equal(old.description, 'edits');
});

test('updateRole changes name, code and description; v2 and v3 read the change', async () => {
  const c = code('upd');
  data(await mc.createRole({ code: c, name: 'before' }));
  const c2 = code('upd2');
  const res = data(await mc.updateRole({ code: c, newCode: c2, name: 'after', description: 'new desc' }));
  assert.equal(res.success, true);
  refused(await mc.getRole({ code: c }), { statusCode: 404 });
  const now = data(await mc.getRole({ code: c2 }));
  assert.equal(now.name, 'after');
  assert.equal(now.description, 'new desc');
  assert.equal(now.namespace, 'default');
  assert.equal((await v2.roles.detail(c2)).description, 'new desc');
  // v2 writes, v3 reads.
  await v2.roles.update(c2, { description: 'from v2' });
  assert.equal(data(await mc.getRole({ code: c2 })).description, 'from v2');

  // Statuses Tessera cannot honour are refused and change nothing.
  refused(await mc.updateRole({ code: c2, newCode: c2, name: 'x', status: 'DISABLE' }), { statusCode: 400 });
  refused(await mc.updateRole({ code: c2, newCode: c2, name: 'x', enablePermissionApply: true }), { statusCode: 400 });
  assert.equal(data(await mc.getRole({ code: c2 })).name, 'after');
  // A code taken by another role is a conflict.
  const taken = code('taken');
  data(await mc.createRole({ code: taken }));
  refused(await mc.updateRole({ code: c2, newCode: taken, name: 'x' }), { statusCode: 409 });
  assert.equal(data(await mc.getRole({ code: c2 })).name, 'after');
});

test('createRolesBatch is all-or-nothing; checkParamsNamespace tells a taken code', async () => {
  const existing = code('ex');
  data(await mc.createRole({ code: existing }));
  const fresh = code('fresh');
  refused(await mc.createRolesBatch({ list: [{ code: fresh }, { code: existing }] }), { statusCode: 409 });
  refused(await mc.getRole({ code: fresh }), { statusCode: 404 });
  // The same code twice in one batch.
  refused(await mc.createRolesBatch({ list: [{ code: fresh }, { code: fresh }] }), { statusCode: 409 });
  refused(await mc.getRole({ code: fresh }), { statusCode: 404 });
  refused(await mc.createRolesBatch({ list: [] }), { statusCode: 400 });

  const ns = code('bns');
  const second = code('second');
  assert.equal(data(await mc.createRolesBatch({
    list: [{ code: fresh, name: 'Fresh' }, { code: second, namespace: ns, description: 'd' }],
  })).success, true);
  assert.equal(data(await mc.getRole({ code: fresh })).name, 'Fresh');
  assert.equal(data(await mc.getRole({ code: second, namespace: ns })).description, 'd');

  const taken = data(await mc.checkParamsNamespace({ code: existing, namespace: 'default' }));
  assert.equal(taken.isValid, false);
  assert.ok(taken.message.length > 0);
  const free = data(await mc.checkParamsNamespace({ code: code('free'), namespace: 'default' }));
  assert.equal(free.isValid, true);
  // Taken in the default namespace, free in another.
  assert.equal(data(await mc.checkParamsNamespace({ code: existing, namespace: ns })).isValid, true);
});

test('assignRole to users, groups and departments: members, getUserRoles, hasAnyRole, v2 listUsers; revokeRole', async () => {
  const c = code('asg');
  data(await mc.createRole({ code: c }));
  const direct = await newUser();
  const viaGroup = await newUser();
  const viaDept = await newUser();
  const outsider = await newUser();

  const group = data(await mc.createGroup({ code: code('grp'), name: 'G', description: '', type: 'static' }));
  data(await mc.addGroupMembers({ code: group.code, userIds: [viaGroup.userId] }));
  const org = await v2.org.create(code('Org'), '', code('org'));
  await v2.org.addMembers(org.rootNode.id, [viaDept.userId]);

  const ok = data(await mc.assignRole({
    code: c,
    targets: [
      { targetType: 'USER', targetIdentifier: direct.userId },
      { targetType: 'GROUP', targetIdentifier: group.code },
      { targetType: 'DEPARTMENT', targetIdentifier: org.rootNode.id },
    ],
  }));
  assert.equal(ok.success, true);

  const members = data(await mc.listRoleMembers({ code: c }));
  assert.equal(members.totalCount, 1, 'listRoleMembers lists direct holders');
  assert.equal(members.list[0].userId, direct.userId);
  const page = data(await mc.listRoleMembers({ code: c, page: 1, limit: 1, withCustomData: true }));
  assert.equal(page.list.length, 1);
  assert.deepEqual(page.list[0].customData, {});

  const assigned = data(await mc.listRoleAssignments({ roleCode: c }));
  assert.equal(assigned.totalCount, 2, 'a user and a department hold the role directly');
  assert.deepEqual(assigned.data.map(a => [a.targetType, a.targetIdentifier]).sort(), [
    ['ORG', org.rootNode.id], ['USER', direct.userId],
  ].sort());
  for (const a of assigned.data) {
    assert.equal(a.roleCode, c);
    assert.equal(a.status, 'ENABLE');
    assert.equal(typeof a.createdAt, 'string');
  }
  const usersOnly = data(await mc.listRoleAssignments({ roleCode: c, targetType: ['USER'] }));
  assert.deepEqual(usersOnly.data.map(a => a.targetIdentifier), [direct.userId]);
  assert.equal(usersOnly.data[0].targetName, direct.username);
  const searched = data(await mc.listRoleAssignments({ roleCode: c, query: direct.username.slice(4) }));
  assert.deepEqual(searched.data.map(a => a.targetIdentifier), [direct.userId]);
  const onePage = data(await mc.listRoleAssignments({ roleCode: c, page: 2, limit: 1 }));
  assert.equal(onePage.totalCount, 2);
  assert.equal(onePage.data.length, 1);
  refused(await mc.listRoleAssignments({ roleCode: c, targetType: ['GROUP'] }), { statusCode: 400 });
  refused(await mc.listRoleAssignments({ roleCode: 'no-such-role' }), { statusCode: 404 });

  const depts = data(await mc.listRoleDepartments({ code: c }));
  assert.equal(depts.totalCount, 1);
  assert.equal(depts.list[0].id, org.rootNode.id);
  assert.equal(typeof depts.list[0].name, 'string');
  refused(await mc.listRoleDepartments({ code: c, limit: 1e9 }), { statusCode: 400 });
  refused(await mc.listRoleDepartments({ code: 'no-such-role' }), { statusCode: 404 });

  for (const u of [direct, viaGroup, viaDept]) {
    const roles = data(await mc.getUserRoles({ userId: u.userId }));
    assert.ok(roles.list.some(r => r.code === c), `role reaches ${u.username}`);
    assert.equal(roles.totalCount, roles.list.length);
    assert.equal(data(await mc.hasAnyRole({ userId: u.userId, roles: [{ code: 'nope-nope' }, { code: c }] })).hasAnyRole, true);
  }
  assert.equal(data(await mc.getUserRoles({ userId: outsider.userId })).totalCount, 0);
  assert.equal(data(await mc.hasAnyRole({ userId: outsider.userId, roles: [{ code: c }] })).hasAnyRole, false);
  // By username, as userIdType says.
  const byName = data(await mc.getUserRoles({ userId: direct.username, userIdType: 'username' }));
  assert.ok(byName.list.some(r => r.code === c));
  assert.equal(data(await mc.hasAnyRole({
    userId: direct.username, roles: [{ code: c, namespace: 'default' }], options: { userIdType: 'username' },
  })).hasAnyRole, true);

  // The v2 client sees the same holder.
  const old = await v2.roles.listUsers(c);
  assert.equal(old.totalCount, 1);
  assert.equal(old.list[0].id, direct.userId);

  data(await mc.revokeRole({
    code: c,
    targets: [
      { targetType: 'USER', targetIdentifier: direct.userId },
      { targetType: 'GROUP', targetIdentifier: group.code },
    ],
  }));
  assert.equal(data(await mc.listRoleMembers({ code: c })).totalCount, 0);
  assert.equal(data(await mc.listRoleDepartments({ code: c })).totalCount, 1);
  assert.equal(data(await mc.hasAnyRole({ userId: viaGroup.userId, roles: [{ code: c }] })).hasAnyRole, false);
  assert.equal(data(await mc.hasAnyRole({ userId: viaDept.userId, roles: [{ code: c }] })).hasAnyRole, true);
});

test('assignRoleBatch / revokeRoleBatch give and take several roles of several namespaces', async () => {
  const ns = code('ns');
  const a = code('a');
  const b = code('b');
  data(await mc.createRole({ code: a }));
  data(await mc.createRole({ code: b, namespace: ns }));
  const u1 = await newUser();
  const u2 = await newUser();
  const targets = [u1, u2].map(u => ({ targetType: 'USER', targetIdentifier: u.userId }));
  data(await mc.assignRoleBatch({ targets, roles: [{ code: a }, { code: b, namespace: ns }] }));
  for (const u of [u1, u2]) {
    const codes = data(await mc.getUserRoles({ userId: u.userId })).list.map(r => r.code).sort();
    assert.deepEqual(codes, [a, b].sort());
    const inNs = data(await mc.getUserRoles({ userId: u.userId, namespace: ns }));
    assert.deepEqual(inNs.list.map(r => r.code), [b]);
  }
  data(await mc.revokeRoleBatch({ targets: [targets[0]], roles: [{ code: a }, { code: b, namespace: ns }] }));
  assert.equal(data(await mc.getUserRoles({ userId: u1.userId })).totalCount, 0);
  assert.equal(data(await mc.getUserRoles({ userId: u2.userId })).totalCount, 2);

  // One unknown role in the batch: nothing is assigned.
  const u3 = await newUser();
  refused(await mc.assignRoleBatch({
    targets: [{ targetType: 'USER', targetIdentifier: u3.userId }],
    roles: [{ code: a }, { code: 'no-such-role' }],
  }), { statusCode: 404 });
  assert.equal(data(await mc.getUserRoles({ userId: u3.userId })).totalCount, 0);
});

test('getRoleAuthorizedResources: the role\'s own grants and its parent\'s', async () => {
  const ns = code('ns');
  data(await mc.createNamespace({ code: ns }));
  const c = code('rr');
  data(await mc.createRole({ code: c, namespace: ns }));
  data(await mc.createResource({ namespace: ns, code: 'books', type: 'DATA', actions: [{ name: 'read', description: '' }] }));
  data(await mc.createResource({ namespace: ns, code: 'menu', type: 'MENU', actions: [{ name: 'show', description: '' }] }));
  data(await mc.authorizeResources({
    namespace: ns,
    list: [{ targetType: 'ROLE', targetIdentifiers: [c], resources: [
      { code: 'books:1', actions: ['read'], resourceType: 'DATA' },
      { code: 'menu', actions: ['show'], resourceType: 'MENU' },
    ] }],
  }));
  const all = data(await mc.getRoleAuthorizedResources({ code: c, namespace: ns }));
  assert.equal(all.totalCount, 2);
  assert.deepEqual(all.list.map(r => r.resourceCode), ['books:1', 'menu']);
  assert.deepEqual(all.list[0].actions, ['read']);
  assert.equal(all.list[0].resourceType, 'DATA');
  const menus = data(await mc.getRoleAuthorizedResources({ code: c, namespace: ns, resourceType: 'MENU' }));
  assert.deepEqual(menus.list.map(r => r.resourceCode), ['menu']);
  refused(await mc.getRoleAuthorizedResources({ code: c, namespace: ns, resourceType: 'ROBOT' }), { statusCode: 400 });
  refused(await mc.getRoleAuthorizedResources({ code: 'nope', namespace: ns }), { statusCode: 404 });
  // v2 reads the same.
  const old = await v2.roles.listAuthorizedResources(c, ns);
  assert.equal(old.totalCount, 2);
});

test('deleteRolesBatch and deleteRoles (several namespaces) are all-or-nothing', async () => {
  const ns = code('ns');
  const a = code('a');
  const b = code('b');
  const c = code('c');
  data(await mc.createRole({ code: a }));
  data(await mc.createRole({ code: b }));
  data(await mc.createRole({ code: c, namespace: ns }));
  refused(await mc.deleteRolesBatch({ codeList: [a, 'no-such-role'] }), { statusCode: 404 });
  assert.ok(data(await mc.getRole({ code: a })));
  refused(await mc.deleteRoles({ roleList: [{ code: b, namespace: 'default' }, { code: c, namespace: 'wrong-ns' }] }), { statusCode: 404 });
  assert.ok(data(await mc.getRole({ code: b })));
  assert.ok(data(await mc.getRole({ code: c, namespace: ns })));

  assert.equal(data(await mc.deleteRolesBatch({ codeList: [a] })).success, true);
  refused(await mc.getRole({ code: a }), { statusCode: 404 });
  assert.equal(await v2.roles.detail(a), null);
  assert.equal(data(await mc.deleteRoles({ roleList: [{ code: b, namespace: 'default' }, { code: c, namespace: ns }] })).success, true);
  refused(await mc.getRole({ code: b }), { statusCode: 404 });
  refused(await mc.getRole({ code: c, namespace: ns }), { statusCode: 404 });
});

test('roles of another pool are neither found nor changed', async () => {
  const c = code('theirs');
  data(await other.createRole({ code: c, description: 'keep' }));
  const theirUser = data(await other.createUser({ username: uniqueUsername('theirs') }));
  refused(await mc.getRole({ code: c }), { statusCode: 404 });
  refused(await mc.updateRole({ code: c, newCode: c, name: 'hijack', description: 'changed' }), { statusCode: 404 });
  refused(await mc.deleteRolesBatch({ codeList: [c] }), { statusCode: 404 });
  refused(await mc.listRoleMembers({ code: c }), { statusCode: 404 });
  // A role of mine cannot be given to their user, nor theirs to mine.
  const mine = code('mine');
  data(await mc.createRole({ code: mine }));
  refused(await mc.assignRole({ code: mine, targets: [{ targetType: 'USER', targetIdentifier: theirUser.userId }] }), { statusCode: 404 });
  refused(await mc.getUserRoles({ userId: theirUser.userId }), { statusCode: 404 });
  refused(await mc.hasAnyRole({ userId: theirUser.userId, roles: [{ code: c }] }), { statusCode: 404 });
  const kept = data(await other.getRole({ code: c }));
  assert.equal(kept.description, 'keep');
  assert.equal(data(await other.getUserRoles({ userId: theirUser.userId })).totalCount, 0);
  assert.equal(data(await mc.listRoles({ keywords: c })).totalCount, 0);
});

test('bad input: missing fields, wrong types, unknown enums, absurd paging, unsupported timing; nothing written', async () => {
  refused(await mc.createRole({}), { statusCode: 400 });
  refused(await mc.createRole({ code: 42 }), { statusCode: 400 });
  refused(await mc.createRole({ code: '   ' }), { statusCode: 400 });
  const timed = code('timed');
  refused(await mc.createRole({ code: timed, disableTime: '1893456000000' }), { statusCode: 400 });
  refused(await mc.getRole({ code: timed }), { statusCode: 404 });

  refused(await mc.listRoles({ page: 0 }), { statusCode: 400 });
  refused(await mc.listRoles({ limit: 1e9 }), { statusCode: 400 });
  refused(await mc.listRoleMembers({ code: 'x', limit: -1 }), { statusCode: 400 });

  const c = code('bad');
  data(await mc.createRole({ code: c }));
  const u = await newUser();
  refused(await mc.assignRole({ code: c, targets: [{ targetType: 'ROBOT', targetIdentifier: u.userId }] }), { statusCode: 400 });
  refused(await mc.assignRole({ code: c, targets: [{ targetType: 'ROLE', targetIdentifier: c }] }), { statusCode: 400 });
  refused(await mc.assignRole({ code: c, targets: [] }), { statusCode: 400 });
  refused(await mc.assignRole({ code: c, targets: 'USER' }), { statusCode: 400 });
  refused(await mc.assignRole({ code: c, targets: [{ targetType: 'USER', targetIdentifier: u.userId }], endTime: 1893456000000 }), { statusCode: 400 });
  // One unknown target: nobody gets the role.
  refused(await mc.assignRole({ code: c, targets: [
    { targetType: 'USER', targetIdentifier: u.userId },
    { targetType: 'USER', targetIdentifier: 'no-such-user' },
  ] }), { statusCode: 404 });
  assert.equal(data(await mc.listRoleMembers({ code: c })).totalCount, 0);
  assert.equal(data(await mc.getUserRoles({ userId: u.userId })).totalCount, 0);

  refused(await mc.hasAnyRole({ userId: u.userId, roles: [] }), { statusCode: 400 });
  refused(await mc.hasAnyRole({ userId: u.userId }), { statusCode: 400 });
  refused(await mc.getUserRoles({ userId: u.userId, userIdType: 'shoe_size' }), { statusCode: 400 });
  refused(await mc.deleteRolesBatch({ codeList: [] }), { statusCode: 400 });
  refused(await mc.deleteRolesBatch({ codeList: 'abc' }), { statusCode: 400 });
});
