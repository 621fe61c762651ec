// ManagementClient.roles against Tessera (pool "mgmtRoles"; "mgmtOther" for isolation):
// create/update/delete, detail, list with namespaces, users, parents, authorized resources,
// policies and role custom data, with the bad-input and cross-pool cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, newEmailUser, rand, rejectsWith, HAS_CJK } from './helpers.mjs';

const P = 'mgmtRoles';
const mc = mgmt(P);
const other = mgmt('mgmtOther');

const code = (p = 'r') => `${p}_${rand(10)}`;

test('create, detail, findByCode and update (description, newCode)', async () => {
  const c = code();
  const role = await mc.roles.create(c, '测试角色');
  assert.equal(role.code, c);
  assert.equal(role.description, '测试角色');
  assert.equal(role.namespace, 'default');
  assert.match(role.arn, /^arn:cn:authing:[0-9a-f]+:role:[0-9a-f]{24}$/);
  assert.equal(role.parent, null);

  const found = await mc.roles.detail(c);
  assert.equal(found.id, role.id);
  assert.equal((await mc.roles.findByCode(c)).id, role.id);

  const desc = `d-${rand()}`;
  let updated = await mc.roles.update(c, { description: desc });
  assert.equal(updated.description, desc);
  assert.equal(updated.id, role.id);

  const c2 = code();
  updated = await mc.roles.update(c, { newCode: c2 });
  assert.equal(updated.code, c2);
  assert.equal(await mc.roles.detail(c), null, 'the old code is gone');
  assert.equal((await mc.roles.detail(c2)).description, desc);
});

test('duplicate code is 2026 (zh-CN by default, en-US on request), per namespace', async () => {
  const c = code();
  await mc.roles.create(c);
  const e = await rejectsWith(mc.roles.create(c), 2026);
  assert.match(e.message, HAS_CJK);
  const en = mgmt(P, { lang: 'en-US' });
  const e2 = await rejectsWith(en.roles.create(c), 2026);
  assert.doesNotMatch(e2.message, HAS_CJK);
  // The same code in another namespace is another role.
  const ns = `ns_${rand()}`;
  const r = await mc.roles.create(c, '', ns);
  assert.equal(r.namespace, ns);
  // Renaming onto an existing code is refused and changes nothing.
  const c3 = code();
  await mc.roles.create(c3);
  await rejectsWith(mc.roles.update(c3, { newCode: c }), 2026);
  assert.ok(await mc.roles.detail(c3));
});

test('list: exact totalCount per namespace, stable pages, bad pages refused', async () => {
  const ns = `list_${rand()}`;
  const codes = [];
  for (let i = 0; i < 5; i++) {
    const c = code(`l${i}`);
    codes.push(c);
    await mc.roles.create(c, `#${i}`, ns);
  }
  const all = await mc.roles.list({ namespace: ns, page: 1, limit: 10 });
  assert.equal(all.totalCount, 5);
  assert.deepEqual(all.list.map(r => r.code).sort(), [...codes].sort());
  const p1 = await mc.roles.list({ namespace: ns, page: 1, limit: 2 });
  const p2 = await mc.roles.list({ namespace: ns, page: 2, limit: 2 });
  const p3 = await mc.roles.list({ namespace: ns, page: 3, limit: 2 });
  assert.equal(p1.totalCount, 5);
  assert.deepEqual(
    [...p1.list, ...p2.list, ...p3.list].map(r => r.code),
    all.list.map(r => r.code),
    'pages follow one stable order'
  );
  assert.equal(p3.list.length, 1);
  const whole = await mc.roles.list({ limit: 1 });
  assert.ok(whole.totalCount >= 5);
  await rejectsWith(mc.roles.list({ namespace: ns, page: 1, limit: 1e9 }), 2231);
  await rejectsWith(mc.roles.list({ namespace: ns, page: -1, limit: 10 }), 2231);
});

test('addUsers, listUsers (+custom data), findUsers, removeUsers', async () => {
  const c = code();
  await mc.roles.create(c);
  const a = await newEmailUser(P, { prefix: 'ra' });
  const b = await newEmailUser(P, { prefix: 'rb' });
  const r = await mc.roles.addUsers(c, [a.user.id, b.user.id]);
  assert.equal(r.code, 200);
  // Adding twice changes nothing.
  await mc.roles.addUsers(c, [a.user.id]);
  const users = await mc.roles.listUsers(c);
  assert.equal(users.totalCount, 2);
  const ids = users.list.map(u => u.id);
  assert.deepEqual([...ids].sort(), [a.user.id, b.user.id].sort());
  const first = users.list.find(u => u.id === a.user.id);
  assert.equal(first.email, a.email);
  assert.equal(first.password, null);
  // Pages follow the same stable order.
  const page1 = await mc.roles.listUsers(c, { page: 1, limit: 1 });
  const page2 = await mc.roles.listUsers(c, { page: 2, limit: 1 });
  assert.equal(page2.totalCount, 2);
  assert.deepEqual([...page1.list, ...page2.list].map(u => u.id), ids);
  const withCd = await mc.roles.listUsers(c, { withCustomData: true });
  assert.equal(withCd.totalCount, 2);
  assert.deepEqual(withCd.list[0].customData, {});

  const found = await mc.roles.findUsers(c, { search: a.email.slice(0, 12) });
  assert.equal(found.totalCount, 1);
  assert.equal(found.list[0].id, a.user.id);
  assert.equal((await mc.roles.findUsers(c)).totalCount, 2);

  // The user sees the role through the AuthenticationClient too.
  assert.equal(await a.client.hasRole(c), true);

  await mc.roles.removeUsers(c, [a.user.id]);
  const after = await mc.roles.listUsers(c);
  assert.deepEqual(after.list.map(u => u.id), [b.user.id]);
  assert.equal(await a.client.hasRole(c), false);
});

test('addUsers with an unknown user or role assigns nothing', async () => {
  const c = code();
  await mc.roles.create(c);
  const a = await newEmailUser(P, { prefix: 'rx' });
  await rejectsWith(mc.roles.addUsers(c, [a.user.id, 'ffffffffffffffffffffffff']), 2004);
  assert.equal((await mc.roles.listUsers(c)).totalCount, 0, 'all or nothing');
  await rejectsWith(mc.roles.addUsers(code('nope'), [a.user.id]), 404);
  // An unknown role: listUsers has no role to list.
  await rejectsWith(mc.roles.listUsers(code('nope')), 404);
});

test('delete and deleteMany remove the roles with their assignments and grants', async () => {
  const c1 = code();
  const c2 = code();
  const r1 = await mc.roles.create(c1);
  await mc.roles.create(c2);
  const u = await newEmailUser(P, { prefix: 'rd' });
  await mc.roles.addUsers(c1, [u.user.id]);
  await mc.acl.authorizeResource({
    namespace: 'default',
    resource: `doc_${rand()}`,
    opts: [{ targetType: 'ROLE', targetIdentifier: c1, actions: ['read'] }]
  });
  await mc.roles.setUdfValue(r1.id, { level: 3 });
  assert.equal((await u.client.listAuthorizedResources('default')).totalCount, 1);

  // One unknown code: nothing is deleted.
  await rejectsWith(mc.roles.deleteMany([c1, code('nope')]), 404);
  assert.ok(await mc.roles.detail(c1));

  const res = await mc.roles.delete(c1);
  assert.equal(res.code, 200);
  assert.equal(await mc.roles.detail(c1), null);
  assert.equal(await u.client.hasRole(c1), false);
  assert.equal((await u.client.listAuthorizedResources('default')).totalCount, 0);
  // A new role with the old code starts empty: no assignment or custom data survived.
  const again = await mc.roles.create(c1);
  assert.equal((await mc.roles.listUsers(c1)).totalCount, 0);
  assert.deepEqual(await mc.roles.getUdfValue(again.id), {});
  await rejectsWith(mc.roles.getUdfValue(r1.id), 404);

  await mc.roles.deleteMany([c1, c2]);
  assert.equal(await mc.roles.detail(c1), null);
  assert.equal(await mc.roles.detail(c2), null);
  await rejectsWith(mc.roles.delete(c2), 404);
});

const CREATE_WITH_PARENT = `mutation createRole($namespace: String, $code: String!, $description: String, $parent: String) {
  createRole(namespace: $namespace, code: $code, description: $description, parent: $parent) {
    id code parent { code }
  }
}`;
const SET_PARENT = `mutation updateRole($code: String!, $parent: String) {
  updateRole(code: $code, parent: $parent) { id code parent { code } }
}`;

test('role parents: children inherit grants; a parent loop is refused and changes nothing', async () => {
  const base = code('base');
  const mid = code('mid');
  const top = code('top');
  await mc.roles.create(base);
  const m = await mc.makeGraphqlRequest({ query: CREATE_WITH_PARENT, variables: { code: mid, parent: base } });
  assert.equal(m.createRole.parent.code, base);
  const t = await mc.makeGraphqlRequest({ query: CREATE_WITH_PARENT, variables: { code: top, parent: mid } });
  assert.equal(t.createRole.parent.code, mid);
  assert.equal((await mc.roles.detail(top)).parent.code, mid);

  const resource = `wiki_${rand()}`;
  await mc.acl.authorizeResource({
    namespace: 'default',
    resource,
    opts: [{ targetType: 'ROLE', targetIdentifier: base, actions: ['wiki:read'] }]
  });
  const u = await newEmailUser(P, { prefix: 'rp' });
  await mc.roles.addUsers(top, [u.user.id]);
  assert.equal(await mc.acl.isAllowed(u.user.id, resource, 'wiki:read', { namespace: 'default' }), true);
  const viaRole = await mc.roles.listAuthorizedResources(top, 'default');
  assert.deepEqual(viaRole.list.map(r => r.code), [resource]);

  // base → top would close base → mid → top → base.
  await rejectsWith(mc.makeGraphqlRequest({ query: SET_PARENT, variables: { code: base, parent: top } }), 2231);
  await rejectsWith(mc.makeGraphqlRequest({ query: SET_PARENT, variables: { code: base, parent: base } }), 2231);
  assert.equal((await mc.roles.detail(base)).parent, null, 'nothing changed');
  await rejectsWith(mc.makeGraphqlRequest({ query: SET_PARENT, variables: { code: base, parent: code('nope') } }), 404);

  // Removing the parent link cuts the inheritance.
  const cut = await mc.makeGraphqlRequest({ query: SET_PARENT, variables: { code: top, parent: '' } });
  assert.equal(cut.updateRole.parent, null);
  assert.equal(await mc.acl.isAllowed(u.user.id, resource, 'wiki:read', { namespace: 'default' }), false);
  // Deleting a parent leaves its children without one.
  await mc.roles.delete(base);
  assert.equal((await mc.roles.detail(mid)).parent, null);
});

test('listAuthorizedResources by role and resource type', async () => {
  const c = code();
  const ns = `rns_${rand()}`;
  await mc.roles.create(c, '', ns);
  await mc.acl.createNamespace(ns, 'Roles NS');
  await mc.acl.createResource({ namespace: ns, code: 'menu_x', type: 'MENU', actions: [{ name: 'show', description: '' }] });
  await mc.acl.authorizeResource({
    namespace: ns,
    resource: 'menu_x',
    opts: [{ targetType: 'ROLE', targetIdentifier: c, actions: ['show'] }]
  });
  await mc.acl.authorizeResource({
    namespace: ns,
    resource: 'doc:1',
    opts: [{ targetType: 'ROLE', targetIdentifier: c, actions: ['read', 'write'] }]
  });
  const all = await mc.roles.listAuthorizedResources(c, ns);
  assert.equal(all.totalCount, 2);
  const menus = await mc.roles.listAuthorizedResources(c, ns, { resourceType: 'MENU' });
  assert.deepEqual(menus.list.map(r => [r.code, r.type, r.actions]), [['menu_x', 'MENU', ['show']]]);
});

test('policies of a role: addPolicies (sent as USER by the SDK), listPolicies, removePolicies', async () => {
  const c = code();
  await mc.roles.create(c);
  const p1 = code('pol');
  const p2 = code('pol');
  const statements = [{ resource: 'books:*', actions: ['books:read'], effect: 'ALLOW' }];
  await mc.policies.create({ code: p1, statements });
  await mc.policies.create({ code: p2, statements });
  const res = await mc.roles.addPolicies(c, [p1, p2]);
  assert.equal(res.code, 200);
  const list = await mc.roles.listPolicies(c);
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.list.map(a => [a.code, a.targetType, a.targetIdentifier]).sort(), [
    [p1, 'ROLE', c],
    [p2, 'ROLE', c]
  ].sort());
  await mc.roles.removePolicies(c, [p1]);
  const after = await mc.roles.listPolicies(c);
  assert.deepEqual(after.list.map(a => a.code), [p2]);
  await rejectsWith(mc.roles.addPolicies(c, [code('nope')]), 404);
});

test('role custom data: set, get, specific, batch, remove; wrong types write nothing', async () => {
  const r1 = await mc.roles.create(code());
  const r2 = await mc.roles.create(code());
  await mc.roles.setUdfValue(r1.id, { level: 3, team: '平台' });
  assert.deepEqual(await mc.roles.getUdfValue(r1.id), { level: 3, team: '平台' });
  assert.deepEqual(await mc.roles.getSpecificUdfValue(r1.id, 'team'), { team: '平台' });

  await mc.roles.setUdfValueBatch([
    { roleId: r1.id, data: { level: 4 } },
    { roleId: r2.id, data: { level: 1, team: 'ops' } }
  ]);
  const batch = await mc.roles.getUdfValueBatch([r1.id, r2.id]);
  assert.deepEqual(batch[r1.id], { level: 4, team: '平台' });
  assert.deepEqual(batch[r2.id], { level: 1, team: 'ops' });

  // A number field refuses text; an unknown key is refused; nothing of the batch is kept.
  await rejectsWith(mc.roles.setUdfValue(r1.id, { level: 'high' }), 2231);
  await rejectsWith(mc.roles.setUdfValue(r1.id, { nope: 1 }), 2231);
  await rejectsWith(
    mc.roles.setUdfValueBatch([
      { roleId: r1.id, data: { level: 9 } },
      { roleId: r2.id, data: { level: 'x' } }
    ]),
    2231
  );
  assert.equal((await mc.roles.getUdfValue(r1.id)).level, 4);

  await mc.roles.removeUdfValue(r1.id, 'team');
  assert.deepEqual(await mc.roles.getUdfValue(r1.id), { level: 4 });
  await rejectsWith(mc.roles.getUdfValue('ffffffffffffffffffffffff'), 404);
});

test("cross-pool: another pool's management token cannot read or change this pool's roles", async () => {
  const c = code();
  const role = await mc.roles.create(c, 'mine');
  const u = await newEmailUser(P, { prefix: 'rc' });
  assert.equal(await other.roles.detail(c), null);
  await rejectsWith(other.roles.update(c, { description: 'theirs' }), 404);
  await rejectsWith(other.roles.delete(c), 404);
  await rejectsWith(other.roles.listUsers(c), 404);
  await rejectsWith(other.roles.getUdfValue(role.id), 404);
  await rejectsWith(other.roles.setUdfValue(role.id, { level: 1 }), 404);
  // A role of their own cannot be given to a user of ours.
  await other.roles.create(c);
  await rejectsWith(other.roles.addUsers(c, [u.user.id]), 2004);
  assert.equal((await mc.roles.detail(c)).description, 'mine');
  assert.equal((await mc.roles.listUsers(c)).totalCount, 0);
});
