// v3 Organizations & departments through authing-node-sdk@4.0.1 (pool 'v3Org'; 'v3Sign' for
// isolation), with round trips through the v2 ManagementClient's `org`, `users` and `udf`
// (one core, two wires), and the bad inputs of issue 13 (each refused, writing nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rand, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Org';
const mc = v3(P);
const v2 = mgmt(P);
const stranger = v3('v3Sign');
const code = (p = 'o') => `${p}_${rand(10)}`;

/** The v2 view of the organization whose root is `rootId`. */
async function v2Org(rootId) {
  const all = await v2.org.list(1, 1000);
  return all.list.find(o => o.rootNode.id === rootId);
}

/** Org: root → A (→ A1), root → B. */
async function smallOrg() {
  const orgCode = code('corp');
  const org = data(await mc.createOrganization({ organizationName: `Corp ${orgCode}`, organizationCode: orgCode }));
  const root = org.departmentId;
  const mk = async (name, parent, extra = {}) => data(await mc.createDepartment({
    organizationCode: orgCode, name, parentDepartmentId: parent, code: code(name), ...extra,
  }));
  const a = await mk('A', root);
  const a1 = await mk('A1', a.departmentId);
  const b = await mk('B', root);
  return { orgCode, org, root, a, a1, b };
}

async function newUser(prefix = 'o') {
  return data(await mc.createUser({ username: uniqueUsername(prefix), password: 'passw0rd!' }));
}

test('createOrganization → getOrganization (v3) and org.list (v2); update; delete', async () => {
  const orgCode = code('c');
  const i18n = { organizationName: { 'en-US': { enabled: true, value: 'Acme' } } };
  const org = data(await mc.createOrganization({
    organizationName: '阿克米', organizationCode: orgCode, description: 'desc', i18n,
  }));
  assert.equal(org.organizationCode, orgCode);
  assert.equal(org.organizationName, '阿克米');
  assert.equal(org.description, 'desc');
  assert.equal(org.hasChildren, false);
  assert.equal(org.membersCount, 0);
  assert.equal(org.isVirtualNode, false);
  assert.deepEqual(org.i18n, i18n);
  assert.equal(typeof org.departmentId, 'string');
  const again = data(await mc.getOrganization({ organizationCode: orgCode }));
  assert.equal(again.departmentId, org.departmentId);
  assert.equal(again.organizationName, '阿克米');
  const old = await v2Org(org.departmentId);
  assert.equal(old.rootNode.name, '阿克米');
  assert.equal(old.rootNode.code, orgCode);

  const newCode = code('n');
  const upd = data(await mc.updateOrganization({
    organizationCode: orgCode, organizationNewCode: newCode, organizationName: 'Acme 2',
  }));
  assert.equal(upd.organizationCode, newCode);
  assert.equal(upd.organizationName, 'Acme 2');
  assert.equal(upd.description, 'desc', 'unnamed fields kept');
  refused(await mc.getOrganization({ organizationCode: orgCode }), { statusCode: 404 });
  assert.equal((await v2Org(org.departmentId)).rootNode.name, 'Acme 2');

  // Made through v2, read through v3.
  const v2Code = code('v2');
  const made = await v2.org.create('From v2', 'via v2', v2Code);
  const seen = data(await mc.getOrganization({ organizationCode: v2Code }));
  assert.equal(seen.departmentId, made.rootNode.id);
  assert.equal(seen.description, 'via v2');

  assert.deepEqual(data(await mc.deleteOrganization({ organizationCode: newCode })), { success: true });
  refused(await mc.getOrganization({ organizationCode: newCode }), { statusCode: 404 });
  assert.equal(await v2Org(org.departmentId), undefined);
  refused(await mc.deleteOrganization({ organizationCode: newCode }), { statusCode: 404 });
});

test('organization inputs: duplicate codes, missing names, unsupported fields write nothing', async () => {
  const { orgCode } = await smallOrg();
  const before = data(await mc.listOrganizations({ fetchAll: true })).totalCount;
  refused(await mc.createOrganization({ organizationName: 'Dup', organizationCode: orgCode }), { statusCode: 409 });
  refused(await mc.createOrganization({ organizationName: '', organizationCode: code() }));
  refused(await mc.createOrganization({ organizationName: 'No code' }));
  refused(await mc.createOrganization({ organizationName: 'x', organizationCode: code(), openDepartmentId: 'od' }));
  refused(await mc.createOrganization({ organizationName: 'x', organizationCode: code(), postIdList: ['p1'] }));
  refused(await mc.createOrganization({ organizationName: 'x', organizationCode: code(), i18n: 'zh' }));
  refused(await mc.createOrganization({ organizationName: 42, organizationCode: code() }));
  assert.equal(data(await mc.listOrganizations({ fetchAll: true })).totalCount, before, 'nothing created');
  const other = await smallOrg();
  refused(await mc.updateOrganization({ organizationCode: other.orgCode, organizationNewCode: orgCode }), { statusCode: 409 });
  refused(await mc.updateOrganization({ organizationCode: other.orgCode, leaderUserIds: ['u1'] }));
  refused(await mc.updateOrganization({ organizationCode: other.orgCode, organizationNewCode: '' }));
  assert.equal(data(await mc.getOrganization({ organizationCode: other.orgCode })).organizationCode, other.orgCode);
  // Another pool's organization is not found, and not deleted.
  refused(await stranger.getOrganization({ organizationCode: orgCode }), { statusCode: 404 });
  refused(await stranger.deleteOrganization({ organizationCode: orgCode }), { statusCode: 404 });
  refused(await stranger.updateOrganization({ organizationCode: orgCode, organizationName: 'mine' }), { statusCode: 404 });
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode })).organizationCode, orgCode);
});

test('getOrganizationsBatch, listOrganizations and searchOrganizations', async () => {
  const tag = rand(8);
  const x = data(await mc.createOrganization({ organizationName: `Find ${tag} one`, organizationCode: code('x') }));
  const y = data(await mc.createOrganization({ organizationName: `Find ${tag} two`, organizationCode: code('y') }));
  const batch = data(await mc.getOrganizationsBatch({
    organizationCodeList: [y.organizationCode, 'no-such-org', x.organizationCode, y.organizationCode],
  }));
  assert.deepEqual(batch.map(o => o.organizationCode), [y.organizationCode, x.organizationCode]);

  const all = data(await mc.listOrganizations({ fetchAll: true }));
  assert.ok(all.totalCount >= 2);
  assert.equal(all.list.length, all.totalCount);
  const page = data(await mc.listOrganizations({ page: 1, limit: 1 }));
  assert.equal(page.totalCount, all.totalCount);
  assert.equal(page.list.length, 1);
  const second = data(await mc.listOrganizations({ page: 2, limit: 1 }));
  assert.notEqual(second.list[0].departmentId, page.list[0].departmentId);
  // Every organization is enabled or disabled: the two filters split the whole list.
  const on = data(await mc.listOrganizations({ status: true, fetchAll: true }));
  const off = data(await mc.listOrganizations({ status: false, fetchAll: true }));
  assert.equal(on.totalCount + off.totalCount, all.totalCount);
  assert.ok(on.list.every(o => o.status === true) && off.list.every(o => o.status === false));
  refused(await mc.listOrganizations({ page: 1, limit: 1e9 }), { statusCode: 400 });
  refused(await mc.listOrganizations({ page: -1, limit: 10 }), { statusCode: 400 });

  const found = data(await mc.searchOrganizations({ keywords: tag }));
  assert.equal(found.totalCount, 2);
  assert.deepEqual(found.list.map(o => o.organizationCode).sort(), [x.organizationCode, y.organizationCode].sort());
  const one = data(await mc.searchOrganizations({ keywords: tag, page: 2, limit: 1 }));
  assert.equal(one.totalCount, 2);
  assert.equal(one.list.length, 1);
  refused(await mc.searchOrganizations({ keywords: '' }));
  assert.equal(data(await stranger.searchOrganizations({ keywords: tag })).totalCount, 0);
});

test('departments: create, get (by id, code, any org), children, subtree, parent; v2 sees them', async () => {
  const { orgCode, root, a, a1, b } = await smallOrg();
  assert.equal(a.organizationCode, orgCode);
  assert.equal(a.parentDepartmentId, root);
  assert.equal(a.parentDepartmentCode, orgCode);
  assert.equal(a.hasChildren, false, 'A1 did not exist yet');
  assert.equal(a1.parentDepartmentCode, a.code);
  const i18n = { name: { 'en-US': { enabled: true, value: 'Sales' } } };
  const c = data(await mc.createDepartment({
    organizationCode: orgCode, name: '销售', parentDepartmentId: b.code, departmentIdType: 'code',
    description: 'sells', i18n,
  }));
  assert.equal(c.parentDepartmentId, b.departmentId);
  assert.deepEqual(c.i18n, i18n);
  assert.equal(c.description, 'sells');

  const got = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId }));
  assert.equal(got.name, 'A');
  assert.equal(got.hasChildren, true);
  const byCode = data(await mc.getDepartment({ organizationCode: orgCode, departmentCode: a1.code }));
  assert.equal(byCode.departmentId, a1.departmentId);
  const byType = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a1.code, departmentIdType: 'code' }));
  assert.equal(byType.departmentId, a1.departmentId);
  const byId = data(await mc.getDepartmentById({ departmentId: a1.departmentId }));
  assert.equal(byId.organizationCode, orgCode);
  assert.equal(byId.name, 'A1');

  const kids = data(await mc.listChildrenDepartments({ organizationCode: orgCode, departmentId: root }));
  assert.equal(kids.totalCount, 2);
  assert.deepEqual(kids.list.map(d => d.departmentId), [a.departmentId, b.departmentId]);
  const none = data(await mc.listChildrenDepartments({ organizationCode: orgCode, departmentId: root, onlyVirtualNode: true }));
  assert.equal(none.totalCount, 0);
  const subtree = data(await mc.getAllDepartments({ organizationCode: orgCode }));
  assert.deepEqual(
    subtree.list.map(d => d.departmentId).sort(),
    [a.departmentId, b.departmentId, a1.departmentId, c.departmentId].sort(),
  );
  const underA = data(await mc.getAllDepartments({ organizationCode: orgCode, departmentId: a.departmentId }));
  assert.deepEqual(underA.list.map(d => d.departmentId), [a1.departmentId]);
  const parent = data(await mc.getParentDepartment({ organizationCode: orgCode, departmentId: a1.departmentId }));
  assert.equal(parent.departmentId, a.departmentId);
  const top = await mc.getParentDepartment({ organizationCode: orgCode, departmentId: root });
  assert.equal(top.statusCode, 200);
  assert.equal(top.data, null, 'the root has no parent');

  // One core: v2 reads the same tree.
  const old = await v2Org(root);
  const node = old.nodes.find(n => n.id === c.departmentId);
  assert.equal(node.name, '销售');
  assert.deepEqual(old.rootNode.children.sort(), [a.departmentId, b.departmentId].sort());
  // A node added through v2 is a department of v3.
  const fromV2 = await v2.org.addNode(old.id, a.departmentId, { name: 'A2', code: code('a2') });
  const seen = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: fromV2.id }));
  assert.equal(seen.parentDepartmentId, a.departmentId);
  assert.equal(seen.name, 'A2');

  // Wrong org, unknown ids, ids of another pool.
  const other = await smallOrg();
  refused(await mc.getDepartment({ organizationCode: other.orgCode, departmentId: a.departmentId }), { statusCode: 404 });
  refused(await mc.getDepartment({ organizationCode: orgCode, departmentId: 'nope' }), { statusCode: 404 });
  refused(await mc.getDepartment({ organizationCode: orgCode }));
  refused(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId, departmentIdType: 'bogus' }), { statusCode: 400 });
  refused(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId, departmentIdType: 'open_department_id' }));
  refused(await stranger.getDepartmentById({ departmentId: a.departmentId }), { statusCode: 404 });
  refused(await stranger.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId }), { statusCode: 404 });
  refused(await mc.getDepartmentById({ departmentId: a.departmentId, appTypeList: ['web'] }));
});

test('createDepartment refusals write nothing', async () => {
  const { orgCode, root, a } = await smallOrg();
  const count = async () => data(await mc.getAllDepartments({ organizationCode: orgCode })).totalCount;
  const before = await count();
  const base = { organizationCode: orgCode, name: 'X', parentDepartmentId: root };
  refused(await mc.createDepartment({ ...base, code: a.code }), { statusCode: 409 });
  refused(await mc.createDepartment({ ...base, name: '' }));
  refused(await mc.createDepartment({ ...base, parentDepartmentId: 'nope' }), { statusCode: 404 });
  refused(await mc.createDepartment({ ...base, isVirtualNode: true }));
  refused(await mc.createDepartment({ ...base, openDepartmentId: 'open-1' }));
  refused(await mc.createDepartment({ ...base, postIdList: ['p'] }));
  refused(await mc.createDepartment({ ...base, customData: { noSuchField: 1 } }));
  refused(await mc.createDepartment({ ...base, customData: 'x' }));
  refused(await mc.createDepartment({ ...base, name: ['X'] }));
  refused(await mc.createDepartment({ ...base, organizationCode: 'no-such-org' }), { statusCode: 404 });
  refused(await stranger.createDepartment(base), { statusCode: 404 });
  assert.equal(await count(), before);
});

test('updateDepartment: fields, moves (no loops), custom data (v2 udf), root code is the org code', async () => {
  const { orgCode, root, a, a1, b } = await smallOrg();
  const key = `lvl${rand(6)}`;
  await v2.udf.set('NODE', key, 'NUMBER', 'Level');
  const upd = data(await mc.updateDepartment({
    organizationCode: orgCode, departmentId: a1.departmentId, name: 'A1 renamed',
    description: 'moved', parentDepartmentId: b.departmentId, customData: { [key]: 3 },
  }));
  assert.equal(upd.name, 'A1 renamed');
  assert.equal(upd.parentDepartmentId, b.departmentId);
  assert.equal(upd.code, a1.code, 'unnamed fields kept');
  assert.deepEqual(upd.customData, { [key]: 3 });
  const read = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a1.departmentId, withCustomData: true }));
  assert.deepEqual(read.customData, { [key]: 3 });
  const udv = await v2.udf.listUdv('NODE', a1.departmentId);
  assert.equal(udv.find(v => v.key === key).value, 3);
  assert.equal(data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId })).hasChildren, false);

  // A loop, the root moving, a bad custom value, an unknown parent: nothing changes.
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: b.departmentId, parentDepartmentId: a1.departmentId, name: 'no' }));
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: root, parentDepartmentId: a.departmentId }));
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, name: 'no', customData: { [key]: 'x' } }));
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, name: 'no', parentDepartmentId: 'nope' }), { statusCode: 404 });
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, leaderUserIds: ['u'] }));
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, name: 'no', status: 'off' }), { statusCode: 400 });
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, code: b.code }), { statusCode: 409 });
  refused(await stranger.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, name: 'mine' }), { statusCode: 404 });
  const same = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId }));
  assert.equal(same.name, 'A');
  assert.equal(same.code, a.code);
  const bNow = data(await mc.getDepartment({ organizationCode: orgCode, departmentId: b.departmentId }));
  assert.equal(bNow.parentDepartmentId, root);
  assert.equal(bNow.name, 'B', 'a refused move changes no field');

  // The root's code is the organization's code, unique among organizations.
  const other = await smallOrg();
  refused(await mc.updateDepartment({ organizationCode: orgCode, departmentId: root, code: other.orgCode }), { statusCode: 409 });
  const recoded = code('r');
  data(await mc.updateDepartment({ organizationCode: orgCode, departmentId: root, code: recoded }));
  assert.equal(data(await mc.getOrganization({ organizationCode: recoded })).departmentId, root);
});

test('deleteDepartment takes the subtree; the root goes only with its organization', async () => {
  const { orgCode, root, a, a1 } = await smallOrg();
  const u = await newUser('del');
  data(await mc.addDepartmentMembers({ organizationCode: orgCode, departmentId: a1.departmentId, userIds: [u.userId] }));
  refused(await mc.deleteDepartment({ organizationCode: orgCode, departmentId: root }));
  refused(await stranger.deleteDepartment({ organizationCode: orgCode, departmentId: a.departmentId }), { statusCode: 404 });
  assert.deepEqual(data(await mc.deleteDepartment({ organizationCode: orgCode, departmentId: a.departmentId })), { success: true });
  refused(await mc.getDepartment({ organizationCode: orgCode, departmentId: a1.departmentId }), { statusCode: 404 });
  const deps = data(await mc.getUserDepartments({ userId: u.userId }));
  assert.equal(deps.totalCount, 0, 'memberships went with the subtree');
  refused(await mc.deleteDepartment({ organizationCode: orgCode, departmentId: a.departmentId }), { statusCode: 404 });
});

test('searchDepartments and searchDepartmentsList', async () => {
  const { orgCode, a, a1, b } = await smallOrg();
  const other = await smallOrg();
  const found = data(await mc.searchDepartments({ organizationCode: orgCode, keywords: a1.code }));
  assert.deepEqual(found.map(d => d.departmentId), [a1.departmentId]);
  const elsewhere = data(await mc.searchDepartments({ organizationCode: orgCode, keywords: other.a1.code }));
  assert.deepEqual(elsewhere, [], 'only this organization');
  const there = data(await mc.searchDepartments({ organizationCode: other.orgCode, keywords: other.a1.code, withCustomData: true }));
  assert.deepEqual(there.map(d => d.departmentId), [other.a1.departmentId]);
  assert.deepEqual(there[0].customData, {});
  const byCode = data(await mc.searchDepartments({ organizationCode: orgCode, keywords: b.code }));
  assert.deepEqual(byCode.map(d => d.departmentId), [b.departmentId]);
  refused(await mc.searchDepartments({ organizationCode: orgCode, keywords: '' }));
  refused(await stranger.searchDepartments({ organizationCode: orgCode, keywords: 'A' }), { statusCode: 404 });

  const list = data(await mc.searchDepartmentsList({
    organizationCode: orgCode,
    advancedFilter: [{ field: 'name', operator: 'IN', value: ['A', 'B'] }],
    sort: [{ field: 'name', order: 'desc' }],
  }));
  assert.deepEqual(list.map(d => d.name), ['B', 'A']);
  const paged = data(await mc.searchDepartmentsList({
    organizationCode: orgCode, page: 2, limit: 1, sortBy: 'createdAt', orderBy: 'ASC',
    advancedFilter: [{ field: 'parentDepartmentId', operator: 'EQUAL', value: a.parentDepartmentId }],
  }));
  assert.deepEqual(paged.map(d => d.departmentId), [b.departmentId]);
  refused(await mc.searchDepartmentsList({ organizationCode: orgCode, advancedFilter: [{ field: 'salary', operator: 'EQUAL', value: 1 }] }));
  refused(await mc.searchDepartmentsList({ organizationCode: orgCode, advancedFilter: [{ field: 'name', operator: 'LIKE', value: 'A' }] }));
  refused(await mc.searchDepartmentsList({ organizationCode: orgCode, sortBy: 'salary' }));
  refused(await mc.searchDepartmentsList({ organizationCode: orgCode, page: 1, limit: 1e9 }));
});

test('department members: add, list (order, subtree, pages), ids, search, is-in, remove; v2 agrees', async () => {
  const { orgCode, root, a, a1, b } = await smallOrg();
  const tag = rand(6);
  const u1 = data(await mc.createUser({ username: `m1_${tag}`, password: 'passw0rd!' }));
  const u2 = data(await mc.createUser({ username: `m2_${tag}`, password: 'passw0rd!' }));
  const u3 = data(await mc.createUser({ username: `zz_${rand(8)}`, password: 'passw0rd!' }));
  const at = (d, userIds) => ({ organizationCode: orgCode, departmentId: d.departmentId ?? d, userIds });
  assert.deepEqual(data(await mc.addDepartmentMembers(at(a, [u1.userId]))), { success: true });
  await new Promise(r => setTimeout(r, 10));
  data(await mc.addDepartmentMembers(at(a, [u2.userId, u2.userId])));
  data(await mc.addDepartmentMembers(at(a1, [u3.userId])));

  const list = data(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId }));
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.list.map(u => u.userId), [u2.userId, u1.userId], 'newest first by default');
  const asc = data(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, orderBy: 'Asc', withDepartmentIds: true }));
  assert.deepEqual(asc.list.map(u => u.userId), [u1.userId, u2.userId]);
  assert.deepEqual(asc.list[0].departmentIds, [a.departmentId]);
  const sub = data(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: root, includeChildrenDepartments: true, limit: 2 }));
  assert.equal(sub.totalCount, 3);
  assert.equal(sub.list.length, 2);
  refused(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, limit: 1e9 }), { statusCode: 400 });
  refused(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, sortBy: 'userId' }));
  refused(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, orderBy: 'Sideways' }), { statusCode: 400 });

  const ids = data(await mc.listDepartmentMemberIds({ organizationCode: orgCode, departmentId: a.departmentId }));
  assert.deepEqual(ids, [u1.userId, u2.userId]);
  const v2Members = await v2.org.listMembers(a.departmentId);
  assert.deepEqual(v2Members.list.map(u => u.id).sort(), ids.slice().sort());

  const s = data(await mc.searchDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, keywords: `m2_${tag}` }));
  assert.deepEqual(s.list.map(u => u.userId), [u2.userId]);
  assert.equal(data(await mc.searchDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, keywords: u3.username })).totalCount, 0);
  const deep = data(await mc.searchDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId, keywords: u3.username, includeChildrenDepartments: true }));
  assert.deepEqual(deep.list.map(u => u.userId), [u3.userId]);

  const isIn = async (d, userId, includeChildrenDepartments = false) => data(await mc.isUserInDepartment({
    organizationCode: orgCode, departmentId: d.departmentId ?? d, userId, includeChildrenDepartments,
  })).inDepartment;
  assert.equal(await isIn(a, u1.userId), true);
  assert.equal(await isIn(b, u1.userId), false);
  assert.equal(await isIn(a, u3.userId), false);
  assert.equal(await isIn(a, u3.userId, true), true);
  assert.equal(await isIn(root, u3.userId, true), true);
  refused(await mc.isUserInDepartment({ organizationCode: orgCode, departmentId: a.departmentId, userId: 'nope' }), { statusCode: 404 });

  // All or nothing: an unknown user adds no one.
  refused(await mc.addDepartmentMembers(at(b, [u1.userId, 'ffffffffffffffffffffffff'])), { statusCode: 404 });
  assert.equal(data(await mc.listDepartmentMembers({ organizationCode: orgCode, departmentId: b.departmentId })).totalCount, 0);
  refused(await mc.addDepartmentMembers(at(b, [])));
  refused(await mc.addDepartmentMembers({ organizationCode: orgCode, departmentId: b.departmentId, userIds: 'x' }), { statusCode: 400 });
  refused(await stranger.addDepartmentMembers(at(b, [u1.userId])), { statusCode: 404 });
  refused(await stranger.listDepartmentMembers({ organizationCode: orgCode, departmentId: a.departmentId }), { statusCode: 404 });

  assert.deepEqual(data(await mc.removeDepartmentMembers(at(a, [u1.userId]))), { success: true });
  assert.deepEqual(data(await mc.listDepartmentMemberIds({ organizationCode: orgCode, departmentId: a.departmentId })), [u2.userId]);
  refused(await mc.removeDepartmentMembers(at(a, ['ffffffffffffffffffffffff'])), { statusCode: 404 });
  assert.equal((await v2.org.listMembers(a.departmentId)).totalCount, 1);
});

test('getUserDepartments / setUserDepartments round trip with v2 users.listDepartment', async () => {
  const { orgCode, root, a, a1, b } = await smallOrg();
  const u = await newUser('ud');
  assert.deepEqual(data(await mc.setUserDepartments({
    userId: u.userId,
    departments: [{ departmentId: a1.departmentId }, { departmentId: b.departmentId, isMainDepartment: true }],
  })), { success: true });
  const deps = data(await mc.getUserDepartments({ userId: u.userId, withDepartmentPaths: true, orderBy: 'Asc' }));
  assert.equal(deps.totalCount, 2);
  const main = deps.list.find(d => d.isMainDepartment);
  assert.equal(main.departmentId, b.departmentId);
  const deep = deps.list.find(d => d.departmentId === a1.departmentId);
  assert.equal(deep.organizationCode, orgCode);
  assert.equal(deep.isRoot, false);
  assert.equal(deep.isLeader, false);
  assert.deepEqual(deep.departmentIdPath, [root, a.departmentId, a1.departmentId]);
  assert.deepEqual(deep.departmentNamePath.slice(1), ['A', 'A1']);
  const old = await v2.users.listDepartment(u.userId);
  assert.equal(old.totalCount, 2);
  assert.equal(old.list.find(d => d.isMainDepartment).department.id, b.departmentId);

  // Replaced: b left, a1 kept, root joined; by username.
  data(await mc.setUserDepartments({
    userId: u.username, options: { userIdType: 'username' },
    departments: [{ departmentId: a1.departmentId, isMainDepartment: true }, { departmentId: root }],
  }));
  const byName = data(await mc.getUserDepartments({ userId: u.username, userIdType: 'username', sortBy: 'DepartmentName', orderBy: 'Asc' }));
  assert.equal(byName.totalCount, 2);
  assert.deepEqual(byName.list.map(d => d.name), ['A1', `Corp ${orgCode}`]);
  assert.equal(byName.list[0].isMainDepartment, true);
  const page = data(await mc.getUserDepartments({ userId: u.userId, page: 2, limit: 1 }));
  assert.equal(page.totalCount, 2);
  assert.equal(page.list.length, 1);

  // Refusals change nothing.
  const bad = [
    { userId: u.userId, departments: [{ departmentId: 'nope' }, { departmentId: b.departmentId }] },
    { userId: u.userId, departments: [{ departmentId: a.departmentId, isMainDepartment: true }, { departmentId: b.departmentId, isMainDepartment: true }] },
    { userId: u.userId, departments: [{ departmentId: a.departmentId, isLeader: true }] },
    { userId: u.userId, departments: 'x' },
    { userId: 'ffffffffffffffffffffffff', departments: [{ departmentId: a.departmentId }] },
  ];
  for (const body of bad) refused(await mc.setUserDepartments(body));
  refused(await stranger.setUserDepartments({ userId: u.userId, departments: [{ departmentId: a.departmentId }] }), { statusCode: 404 });
  const still = data(await mc.getUserDepartments({ userId: u.userId }));
  assert.deepEqual(still.list.map(d => d.departmentId).sort(), [a1.departmentId, root].sort());
  refused(await mc.getUserDepartments({ userId: u.userId, sortBy: 'Salary' }), { statusCode: 400 });
  refused(await mc.getUserDepartments({ userId: u.userId, limit: 1e9 }), { statusCode: 400 });
  refused(await stranger.getUserDepartments({ userId: u.userId }), { statusCode: 404 });

  data(await mc.setUserDepartments({ userId: u.userId, departments: [] }));
  assert.equal(data(await mc.getUserDepartments({ userId: u.userId })).totalCount, 0);
});

test('tenant departments: the tenant\'s members join and leave a department of its organization', async () => {
  const tenant = await v2.tenant.create({ name: `t-${rand(6)}`, appIds: pool(P).appId });
  const orgCode = code('t');
  const org = data(await mc.createOrganization({ organizationName: 'Tenant org', organizationCode: orgCode, tenantId: tenant.id }));
  assert.equal(org.tenantId, tenant.id);
  const dept = data(await mc.createDepartment({
    organizationCode: orgCode, name: 'D', parentDepartmentId: org.departmentId, tenantId: tenant.id,
  }));
  const plain = await smallOrg();
  // An organization of a tenant is found with that tenant, another is not.
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode, tenantId: tenant.id })).departmentId, org.departmentId);
  refused(await mc.getOrganization({ organizationCode: plain.orgCode, tenantId: tenant.id }), { statusCode: 404 });
  const listed = data(await mc.listOrganizations({ tenantId: tenant.id }));
  assert.deepEqual(listed.list.map(o => o.organizationCode), [orgCode]);

  const [u1, u2, outsider] = [await newUser('t1'), await newUser('t2'), await newUser('t3')];
  await v2.tenant.addMembers(tenant.id, [u1.userId, u2.userId]);
  const body = { organizationCode: orgCode, departmentId: dept.departmentId, tenantId: tenant.id };
  const ids = async () => data(await mc.listDepartmentMemberIds({ organizationCode: orgCode, departmentId: dept.departmentId })).sort();

  // Refusals add no one: a user outside the tenant (with one inside), an organization not
  // of the tenant, no tenant, no users, another pool.
  refused(await mc.addTenantDepartmentMembers({ ...body, linkUserIds: [u1.userId, outsider.userId] }), { statusCode: 404 });
  refused(await mc.addTenantDepartmentMembers({
    organizationCode: plain.orgCode, departmentId: plain.a.departmentId, tenantId: tenant.id, linkUserIds: [u1.userId],
  }), { statusCode: 404 });
  refused(await mc.addTenantDepartmentMembers({ organizationCode: orgCode, departmentId: dept.departmentId, linkUserIds: [u1.userId] }));
  refused(await mc.addTenantDepartmentMembers(body));
  refused(await mc.addTenantDepartmentMembers({ ...body, linkUserIds: 'x' }), { statusCode: 400 });
  refused(await mc.addTenantDepartmentMembers({ ...body, tenantId: 'no-such-tenant', linkUserIds: [u1.userId] }), { statusCode: 404 });
  refused(await stranger.addTenantDepartmentMembers({ ...body, linkUserIds: [u1.userId] }), { statusCode: 404 });
  assert.deepEqual(await ids(), []);

  assert.deepEqual(data(await mc.addTenantDepartmentMembers({ ...body, linkUserIds: [u1.userId], memberIds: [u2.userId] })), { success: true });
  assert.deepEqual(await ids(), [u1.userId, u2.userId].sort());
  assert.equal((await v2.org.listMembers(dept.departmentId)).totalCount, 2);
  refused(await mc.removeTenantDepartmentMembers({ ...body, memberIds: [outsider.userId] }), { statusCode: 404 });
  assert.deepEqual(data(await mc.removeTenantDepartmentMembers({ ...body, memberIds: [u2.userId] })), { success: true });
  assert.deepEqual(await ids(), [u1.userId]);
});

test('organization custom data set through v2 udf is read through v3', async () => {
  const { orgCode, root } = await smallOrg();
  const key = `region${rand(6)}`;
  await v2.udf.set('ORG', key, 'STRING', 'Region');
  const old = await v2Org(root);
  await v2.udf.setUdvBatch('ORG', old.id, [{ key, value: 'north' }]);
  const org = data(await mc.getOrganization({ organizationCode: orgCode, withCustomData: true }));
  assert.deepEqual(org.customData, { [key]: 'north' });
  const plain = data(await mc.getOrganization({ organizationCode: orgCode }));
  assert.equal(plain.customData, undefined, 'only when asked');
  const listed = data(await mc.getOrganizationsBatch({ organizationCodeList: [orgCode], withCustomData: true }));
  assert.deepEqual(listed[0].customData, { [key]: 'north' });
});

test('sync relations of an unknown organization or department are refused as not found', async () => {
  // The relations themselves are `v3-sync.test.mjs`'s.
  refused(await mc.getDepartmentSyncRelations({ organizationCode: 'x', departmentId: 'x' }));
  refused(await mc.deleteDepartmentSyncRelations({ organizationCode: 'x', departmentId: 'x', provider: 'wechatwork' }));
  const { orgCode, a } = await smallOrg();
  refused(await mc.deleteDepartmentSyncRelations({ organizationCode: orgCode, departmentId: a.departmentId, provider: 'wechatwork' }));
  assert.deepEqual(data(await mc.getDepartmentSyncRelations({ organizationCode: orgCode, departmentId: a.departmentId })), []);
});

test('updateNodeStatus / updateDepartment status: read back, filter children, refusals write nothing', async () => {
  const { orgCode, root, a, a1, b } = await smallOrg();
  const get = async d => data(await mc.getDepartment({ organizationCode: orgCode, departmentId: d.departmentId ?? d }));
  assert.equal(a.status, true, 'new departments are enabled');
  assert.equal((await get(root)).status, true);

  const res = await mc.updateNodeStatus({ departmentId: a.departmentId, status: false });
  assert.equal(res.statusCode, 200, JSON.stringify(res));
  assert.equal(res.data, undefined, 'envelope only');
  const off = await get(a);
  assert.equal(off.status, false);
  assert.equal(off.name, 'A', 'only the status changed');
  assert.equal((await get(a1)).status, true, 'children keep their own status');
  assert.equal((await get(b)).status, true);
  assert.equal(data(await mc.getDepartmentById({ departmentId: a.departmentId })).status, false);

  const children = async status => data(await mc.listChildrenDepartments({
    organizationCode: orgCode, departmentId: root, ...(status === undefined ? {} : { status }),
  })).list.map(d => d.departmentId).sort();
  assert.deepEqual(await children(false), [a.departmentId]);
  assert.deepEqual(await children(true), [b.departmentId]);
  assert.deepEqual(await children(), [a.departmentId, b.departmentId].sort());

  // updateDepartment applies status with other fields.
  const on = data(await mc.updateDepartment({ organizationCode: orgCode, departmentId: a.departmentId, status: true, description: 'back' }));
  assert.equal(on.status, true);
  assert.equal(on.description, 'back');
  const again = data(await mc.updateDepartment({ organizationCode: orgCode, departmentId: b.departmentId, status: false }));
  assert.equal(again.status, false);
  assert.equal(again.name, 'B');
  assert.deepEqual(await children(false), [b.departmentId]);
  const filtered = data(await mc.searchDepartmentsList({
    organizationCode: orgCode, advancedFilter: [{ field: 'status', operator: 'EQUAL', value: false }],
  }));
  assert.deepEqual(filtered.map(d => d.departmentId), [b.departmentId]);
  refused(await mc.searchDepartmentsList({
    organizationCode: orgCode, advancedFilter: [{ field: 'status', operator: 'EQUAL', value: 'no' }],
  }), { statusCode: 400 });
  // The v2 client still sees the disabled department with its fields.
  const v2Tree = await v2Org(root);
  assert.ok(v2Tree.nodes.some(n => n.id === b.departmentId && n.name === 'B'));

  // Refusals write nothing.
  refused(await mc.updateNodeStatus({ departmentId: a.departmentId }), { statusCode: 400 });
  refused(await mc.updateNodeStatus({ departmentId: a.departmentId, status: 'off' }), { statusCode: 400 });
  refused(await mc.updateNodeStatus({ status: false }), { statusCode: 400 });
  refused(await mc.updateNodeStatus({ departmentId: 'nope', status: false }), { statusCode: 404 });
  refused(await stranger.updateNodeStatus({ departmentId: a.departmentId, status: false }), { statusCode: 404 });
  assert.equal((await get(a)).status, true);
});

test('updateOrganizationStatus: the root\'s status, read back and filtered by listOrganizations', async () => {
  const { orgCode, root, a } = await smallOrg();
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode })).status, true);
  const inList = async status => data(await mc.listOrganizations({ status, fetchAll: true }))
    .list.some(o => o.organizationCode === orgCode);
  assert.equal(await inList(true), true);
  assert.equal(await inList(false), false);

  assert.deepEqual(data(await mc.updateOrganizationStatus({ rootNodeId: root, status: 'false' })), { success: true });
  const org = data(await mc.getOrganization({ organizationCode: orgCode }));
  assert.equal(org.status, false);
  assert.equal(org.organizationName, `Corp ${orgCode}`, 'only the status changed');
  assert.equal(data(await mc.getDepartment({ organizationCode: orgCode, departmentId: root })).status, false);
  assert.equal(data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId })).status, true);
  assert.equal(await inList(false), true);
  assert.equal(await inList(true), false);
  const paged = data(await mc.listOrganizations({ status: false, page: 1, limit: 1 }));
  assert.ok(paged.totalCount >= 1);
  assert.equal(paged.list.length, 1);
  assert.equal(paged.list[0].status, false);

  // Refusals write nothing: unknown status words, no status, a department that is not a
  // root, an unknown node, another pool's caller.
  refused(await mc.updateOrganizationStatus({ rootNodeId: root, status: 'enabled' }), { statusCode: 400 });
  refused(await mc.updateOrganizationStatus({ rootNodeId: root }), { statusCode: 400 });
  refused(await mc.updateOrganizationStatus({ status: 'true' }), { statusCode: 400 });
  refused(await mc.updateOrganizationStatus({ rootNodeId: a.departmentId, status: 'true' }), { statusCode: 404 });
  refused(await mc.updateOrganizationStatus({ rootNodeId: 'nope', status: 'true' }), { statusCode: 404 });
  refused(await stranger.updateOrganizationStatus({ rootNodeId: root, status: 'true' }), { statusCode: 404 });
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode })).status, false);
  assert.equal(data(await mc.getDepartment({ organizationCode: orgCode, departmentId: a.departmentId })).status, true);

  // "TRUE" (any case) and a JSON boolean enable it again.
  data(await mc.updateOrganizationStatus({ rootNodeId: root, status: 'TRUE' }));
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode })).status, true);
  data(await mc.updateOrganizationStatus({ rootNodeId: root, status: false }));
  assert.equal(data(await mc.getOrganization({ organizationCode: orgCode })).status, false);
});

test('getDepartmentAllApp: apps a department\'s members may use by its rules and the default', async () => {
  const { root, a, a1, b } = await smallOrg();
  const app = data(await mc.createApplication({
    appName: `dept-app-${rand(6)}`, appIdentifier: `dept-app-${rand(10)}`, redirectUris: ['https://rp.example/cb'],
  }));
  data(await mc.updateApplicationPermissionStrategy({ appId: app.appId, permissionStrategy: 'DENY_ALL' }));
  const appsOf = async d => data(await mc.getDepartmentAllApp({ departmentId: d.departmentId ?? d }));
  const has = async d => (await appsOf(d)).some(x => x.appId === app.appId);
  assert.equal(await has(a), false, 'deny default and no rule: not available');

  data(await mc.authorizeApplicationAccess({
    appId: app.appId, list: [{ targetType: 'ORG', targetIdentifier: [a.departmentId], effect: 'ALLOW' }],
  }));
  const list = await appsOf(a);
  const mine = list.find(x => x.appId === app.appId);
  assert.ok(mine, JSON.stringify(list));
  assert.equal(mine.appName, app.appName);
  assert.equal(mine.appDefaultLoginStrategy, 'DENY_ALL');
  assert.equal(typeof mine.appLogo, 'string');
  assert.match(mine.appLoginUrl, new RegExp(`client_id=${app.appId}`));
  for (const x of list) assert.deepEqual(Object.keys(x).sort(), ['appDefaultLoginStrategy', 'appId', 'appLoginUrl', 'appLogo', 'appName']);
  assert.equal(await has(a1), true, 'a rule on a department counts for its subdepartments');
  assert.equal(await has(b), false);
  assert.equal(await has(root), false);
  // Only SELFBUILT applications exist in Tessera.
  assert.equal((await mc.getDepartmentAllApp({ departmentId: a.departmentId, appTypeList: ['INTEGRATED'] })).data.length, 0);
  assert.ok((await mc.getDepartmentAllApp({ departmentId: a.departmentId, appTypeList: ['SELFBUILT'] })).data.some(x => x.appId === app.appId));

  // A deny on an ancestor wins over the allow (as at login).
  data(await mc.authorizeApplicationAccess({
    appId: app.appId, list: [{ targetType: 'ORG', targetIdentifier: [root], effect: 'DENY' }],
  }));
  assert.equal(await has(a), false);
  // With an allow-all default, a department without rules sees the app; the deny still wins.
  data(await mc.updateApplicationPermissionStrategy({ appId: app.appId, permissionStrategy: 'ALLOW_ALL' }));
  const bApps = await appsOf(b);
  assert.equal(bApps.some(x => x.appId === app.appId), false, 'root deny covers b');

  // The v2 client's rule on a department is the same rule.
  const { a: c } = await smallOrg();
  data(await mc.updateApplicationPermissionStrategy({ appId: app.appId, permissionStrategy: 'DENY_ALL' }));
  assert.equal(await has(c), false);
  await v2.acl.allowAccessApplication({ appId: app.appId, targetType: 'ORG', targetIdentifiers: [c.departmentId] });
  assert.equal(await has(c), true);

  // Bad inputs, unknown departments, another pool's caller.
  refused(await mc.getDepartmentAllApp({}), { statusCode: 400 });
  refused(await mc.getDepartmentAllApp({ departmentId: a.departmentId, appTypeList: ['TOASTER'] }), { statusCode: 400 });
  refused(await mc.getDepartmentAllApp({ departmentId: a.departmentId, appTypeList: 'SELFBUILT' }), { statusCode: 400 });
  refused(await mc.getDepartmentAllApp({ departmentId: 'nope' }), { statusCode: 404 });
  refused(await mc.getDepartmentAllApp({ departmentId: a.departmentId, tenantId: 'no-such-tenant' }), { statusCode: 404 });
  refused(await stranger.getDepartmentAllApp({ departmentId: a.departmentId }), { statusCode: 404 });
});
