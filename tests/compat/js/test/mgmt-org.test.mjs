// ManagementClient.org against Tessera (pool "mgmtOrg"; "mgmtOther" for isolation): one
// root per organization, node edits and moves (no cycles), members, main departments,
// search, JSON import/export and authorized resources by node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, newEmailUser, rand, rejectsWith } from './helpers.mjs';

const P = 'mgmtOrg';
const mc = mgmt(P);
const other = mgmt('mgmtOther');
const code = (p = 'n') => `${p}_${rand(10)}`;

/** Org: root → A → A1, root → B. */
async function smallOrg() {
  const org = await mc.org.create(code('Corp'), 'corp', code('corp'));
  const a = await mc.org.addNode(org.id, org.rootNode.id, { name: 'A', code: code('a'), order: 1 });
  const a1 = await mc.org.addNode(org.id, a.id, { name: 'A1', code: code('a1') });
  const b = await mc.org.addNode(org.id, org.rootNode.id, { name: 'B', code: code('b'), order: 2 });
  return { org, root: org.rootNode, a, a1, b };
}

test('create: exactly one root node; findById builds the tree', async () => {
  const c = code();
  const name = `Org ${rand()}`;
  const org = await mc.org.create(name, '描述', c);
  assert.equal(org.rootNode.code, c);
  assert.equal(org.rootNode.name, name);
  assert.equal(org.rootNode.root, true);
  assert.equal(org.nodes.length, 1);
  await rejectsWith(mc.org.create(''), 2231);

  const { org: o2, a, a1, b } = await smallOrg();
  const found = await mc.org.findById(o2.id);
  assert.equal(found.nodes.filter(n => n.root).length, 1);
  assert.equal(found.nodes.length, 4);
  assert.equal(found.tree.id, found.rootNode.id);
  assert.deepEqual(found.tree.children.map(n => n.id), [a.id, b.id]);
  assert.deepEqual(found.tree.children[0].children.map(n => n.id), [a1.id]);
  assert.deepEqual(a1.path, [o2.rootNode.id, a.id, a1.id]);
  assert.equal(a1.depth, 2);
  await rejectsWith(mc.org.findById('ffffffffffffffffffffffff'), 404);
});

test('list and getAllOrgs: exact totals, stable pages', async () => {
  await smallOrg();
  const count = (await mc.org.list(1, 1)).totalCount;
  const all = await mc.org.list(1, 1000);
  assert.equal(all.totalCount, count);
  assert.equal(all.list.length, count);
  for (const o of all.list) {
    assert.equal(o.nodes.filter(n => n.root).length, 1);
    assert.ok(o.tree);
  }
  const pages = [];
  for (let p = 1; p <= count; p++) pages.push(...(await mc.org.list(p, 1)).list.map(o => o.id));
  assert.deepEqual(pages, all.list.map(o => o.id));
  const rest = await mc.org.getAllOrgs(1, 1000);
  assert.equal(rest.totalCount, count);
  assert.deepEqual(rest.list.map(o => o.id), all.list.map(o => o.id));
  await rejectsWith(mc.org.list(1, 1e9), 2231);
  await rejectsWith(mc.org.list(-2, 10), 2231);
});

test('addNode, updateNode, getNodeById/ByCode, rootNode, listChildren, isRootNode', async () => {
  const { org, root, a, a1, b } = await smallOrg();
  assert.equal(a.name, 'A');
  assert.equal(a.root, false);
  await rejectsWith(mc.org.addNode(org.id, 'ffffffffffffffffffffffff', { name: 'x' }), 404);
  await rejectsWith(mc.org.addNode(org.id, root.id, { name: 'dup', code: a.code }), 2026);

  const renamed = await mc.org.updateNode(a.id, { name: 'A-renamed', description: 'desc' });
  assert.equal(renamed.name, 'A-renamed');
  assert.equal(renamed.description, 'desc');
  assert.equal(renamed.code, a.code);
  await rejectsWith(mc.org.updateNode(b.id, { code: a.code }), 2026);
  assert.equal((await mc.org.getNodeById(b.id)).code, b.code);

  assert.equal((await mc.org.getNodeById(a1.id)).name, 'A1');
  assert.equal(await mc.org.getNodeById('ffffffffffffffffffffffff'), null);
  assert.equal((await mc.org.getNodeByCode(org.id, b.code)).id, b.id);
  assert.equal(await mc.org.getNodeByCode(org.id, 'nope'), null);
  const r = await mc.org.rootNode(org.id);
  assert.equal(r.id, root.id);
  assert.deepEqual(r.codePath, [root.code]);
  assert.deepEqual((await mc.org.listChildren(root.id)).map(n => n.id), [a.id, b.id]);
  assert.deepEqual(await mc.org.listChildren(a1.id), []);
  assert.equal(await mc.org.isRootNode(org.id, root.id), true);
  assert.equal(await mc.org.isRootNode(org.id, a.id), false);
});

test('moveNode: moves a subtree; a move into its own subtree or of the root is refused and changes nothing', async () => {
  const { org, root, a, a1, b } = await smallOrg();
  const moved = await mc.org.moveNode(org.id, a.id, b.id);
  const movedA = moved.nodes.find(n => n.id === a.id);
  assert.deepEqual(movedA.path, [root.id, b.id, a.id]);
  assert.deepEqual(moved.nodes.find(n => n.id === a1.id).path, [root.id, b.id, a.id, a1.id]);
  assert.deepEqual(moved.tree.children.map(n => n.id), [b.id]);

  await rejectsWith(mc.org.moveNode(org.id, b.id, a1.id), 2231);
  await rejectsWith(mc.org.moveNode(org.id, a.id, a.id), 2231);
  await rejectsWith(mc.org.moveNode(org.id, root.id, a1.id), 2231);
  await rejectsWith(mc.org.moveNode(org.id, a.id, 'ffffffffffffffffffffffff'), 404);
  const still = await mc.org.findById(org.id);
  assert.deepEqual(still.nodes.find(n => n.id === a1.id).path, [root.id, b.id, a.id, a1.id]);
  assert.equal(still.nodes.filter(n => n.root).length, 1);
  // A node of another org is not a parent here.
  const otherOrg = await mc.org.create(code('Other'));
  await rejectsWith(mc.org.moveNode(org.id, a.id, otherOrg.rootNode.id), 404);
});

test('members: add, list (with sub-departments, pages), remove, move, main department', async () => {
  const { org, root, a, a1, b } = await smallOrg();
  const u1 = await newEmailUser(P, { prefix: 'o1' });
  const u2 = await newEmailUser(P, { prefix: 'o2' });
  const u3 = await newEmailUser(P, { prefix: 'o3' });
  const added = await mc.org.addMembers(a.id, [u1.user.id]);
  assert.equal(added.totalCount, 1);
  await mc.org.addMembers(a1.id, [u2.user.id, u1.user.id]);
  await mc.org.addMembers(root.id, [u3.user.id]);

  assert.equal((await mc.org.listMembers(a.id)).totalCount, 1);
  const withSub = await mc.org.listMembers(a.id, { includeChildrenNodes: true });
  assert.equal(withSub.totalCount, 2, 'each user once');
  assert.deepEqual(withSub.list.map(u => u.id).sort(), [u1.user.id, u2.user.id].sort());
  const everyone = await mc.org.listMembers(root.id, { includeChildrenNodes: true, limit: 2 });
  assert.equal(everyone.totalCount, 3);
  assert.equal(everyone.list.length, 2);
  const rest = await mc.org.listMembers(root.id, { includeChildrenNodes: true, page: 2, limit: 2 });
  assert.equal(rest.list.length, 1);
  assert.deepEqual(
    [...everyone.list, ...rest.list].map(u => u.id).sort(),
    [u1.user.id, u2.user.id, u3.user.id].sort()
  );

  // The user's departments (AuthenticationClient) follow the main department.
  await mc.org.setMainDepartment(u1.user.id, a1.id);
  let deps = await u1.client.listDepartments();
  assert.equal(deps.list.find(d => d.isMainDepartment).department.id, a1.id);
  await mc.org.setMainDepartment(u1.user.id, a.id);
  deps = await u1.client.listDepartments();
  assert.equal(deps.list.find(d => d.isMainDepartment).department.id, a.id);
  await rejectsWith(mc.org.setMainDepartment(u1.user.id, b.id), 2231, 'not a member of B');
  await rejectsWith(mc.org.setMainDepartment('ffffffffffffffffffffffff', a.id), 2004);

  // Moving keeps the main department with the user.
  assert.equal(await mc.org.moveMembers({ userIds: [u1.user.id], sourceNodeId: a.id, targetNodeId: b.id }), true);
  deps = await u1.client.listDepartments();
  assert.equal(deps.list.find(d => d.isMainDepartment).department.id, b.id);
  assert.equal((await mc.org.listMembers(a.id)).totalCount, 0);
  await rejectsWith(mc.org.moveMembers({ userIds: [u3.user.id], sourceNodeId: a.id, targetNodeId: b.id }), 2231);

  const removed = await mc.org.removeMembers(a1.id, [u2.user.id]);
  assert.equal(removed.totalCount, 1);
  await rejectsWith(mc.org.addMembers(b.id, ['ffffffffffffffffffffffff']), 2004);
  await rejectsWith(mc.org.listMembers(b.id, { page: 1, limit: 1e9 }), 2231);
});

test('searchNodes by name or code', async () => {
  const tag = rand(8);
  const org = await mc.org.create(`Search ${tag}`, '', code('s'));
  await mc.org.addNode(org.id, org.rootNode.id, { name: `研发中心 ${tag}`, code: `rd-${tag}` });
  await mc.org.addNode(org.id, org.rootNode.id, { name: `销售 ${tag}`, code: `sales-${tag}` });
  const byName = await mc.org.searchNodes('研发中心');
  assert.ok(byName.some(n => n.code === `rd-${tag}`));
  const byTag = await mc.org.searchNodes(tag);
  assert.equal(byTag.length, 3);
  const byCode = await mc.org.searchNodes(`SALES-${tag}`);
  assert.deepEqual(byCode.map(n => n.name), [`销售 ${tag}`]);
  assert.deepEqual(await mc.org.searchNodes(`none-${rand()}`), []);
  // LIKE wildcards in the keyword are taken literally.
  assert.deepEqual(await mc.org.searchNodes('%'), []);
});

test('deleteNode removes the subtree with its members and grants; the root cannot be deleted', async () => {
  const { org, root, a, a1, b } = await smallOrg();
  const u = await newEmailUser(P, { prefix: 'od' });
  await mc.org.addMembers(a1.id, [u.user.id]);
  const ns = code('ns');
  await mc.acl.authorizeResource({ namespace: ns, resource: 'lab', opts: [{ targetType: 'ORG', targetIdentifier: a.id, actions: ['enter'] }] });
  assert.equal(await mc.acl.isAllowed(u.user.id, 'lab', 'enter', { namespace: ns }), true);

  await rejectsWith(mc.org.deleteNode(org.id, root.id), 2231);
  assert.equal((await mc.org.deleteNode(org.id, a.id)).code, 200);
  const after = await mc.org.findById(org.id);
  assert.deepEqual(after.nodes.map(n => n.id).sort(), [root.id, b.id].sort());
  assert.equal(await mc.org.getNodeById(a1.id), null);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'lab', 'enter', { namespace: ns }), false);
  assert.equal((await u.client.listDepartments()).totalCount, 0);
  await rejectsWith(mc.org.deleteNode(org.id, a.id), 404);
});

test('deleteById removes the organization with everything in it', async () => {
  const { org, b } = await smallOrg();
  const u = await newEmailUser(P, { prefix: 'oo' });
  await mc.org.addMembers(b.id, [u.user.id]);
  assert.equal((await mc.org.deleteById(org.id)).code, 200);
  await rejectsWith(mc.org.findById(org.id), 404);
  assert.equal(await mc.org.getNodeById(b.id), null);
  assert.equal((await u.client.listDepartments()).totalCount, 0);
  await rejectsWith(mc.org.deleteById(org.id), 404);
});

test('importByJson creates the whole tree (or nothing); export returns it nested', async () => {
  const tree = {
    name: '北京非凡科技有限公司',
    code: 'feifan',
    nameI18n: { en: 'Feifan Technology' },
    order: 10,
    children: [
      { code: 'dev', name: '研发', description: '研发部门', children: [{ code: 'backend', name: '后端' }] },
      { code: 'operation', name: '运营' }
    ]
  };
  const org = await mc.org.importByJson(tree);
  const found = await mc.org.findById(org.id);
  assert.equal(found.nodes.length, 4);
  assert.equal(found.rootNode.code, 'feifan');
  assert.equal(JSON.parse(found.rootNode.nameI18n).en, 'Feifan Technology');
  assert.deepEqual(found.tree.children.map(n => n.code), ['dev', 'operation']);
  assert.deepEqual(found.tree.children[0].children.map(n => n.code), ['backend']);

  const [exported] = await mc.org.exportByOrgId(org.id);
  assert.equal(exported.code, 'feifan');
  assert.deepEqual(exported.children.map(n => n.code), ['dev', 'operation']);
  assert.deepEqual(exported.children[0].children.map(n => n.code), ['backend']);
  const everything = await mc.org.exportAll();
  assert.ok(everything.some(t => t.orgId === org.id));

  // A duplicate code inside the document: nothing is created.
  const before = (await mc.org.list(1, 1)).totalCount;
  await rejectsWith(
    mc.org.importByJson({ name: 'Dup', code: 'x', children: [{ name: 'a', code: 'same' }, { name: 'b', code: 'same' }] }),
    2026
  );
  await rejectsWith(mc.org.importByJson({ code: 'no-name' }), 2231);
  assert.equal((await mc.org.list(1, 1)).totalCount, before);
});

test('listAuthorizedResourcesByNodeId / ByNodeCode include ancestors\' grants', async () => {
  const { org, root, a, a1 } = await smallOrg();
  const ns = code('ns');
  await mc.acl.authorizeResource({ namespace: ns, resource: 'handbook', opts: [{ targetType: 'ORG', targetIdentifier: root.id, actions: ['read'] }] });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'lab', opts: [{ targetType: 'ORG', targetIdentifier: a1.id, actions: ['enter'] }] });
  const leaf = await mc.org.listAuthorizedResourcesByNodeId(a1.id, ns);
  assert.deepEqual(leaf.list.map(r => r.code), ['handbook', 'lab']);
  const mid = await mc.org.listAuthorizedResourcesByNodeCode(org.id, a.code, ns);
  assert.deepEqual(mid.list.map(r => r.code), ['handbook']);
  await rejectsWith(mc.org.listAuthorizedResourcesByNodeCode(org.id, 'nope', ns), 404);
});

test("getOrgByTenantId: a tenant's organizations; other pools' tenants are unknown", async () => {
  const tenant = await mc.tenant.create({ name: `租户-${rand(6)}`, appIds: pool(P).appId });
  const org = await mc.org.create(code('T'), '', code('t'), tenant.id);
  await mc.org.create(code('NoTenant'));
  const found = await mc.org.getOrgByTenantId(tenant.id);
  assert.deepEqual(found.map(o => o.id), [org.id]);
  assert.equal(found[0].tenantId, tenant.id);
  assert.equal(found[0].nodes.filter(n => n.root).length, 1);
  assert.deepEqual(await other.org.getOrgByTenantId(tenant.id), []);
  await rejectsWith(other.org.create(code('X'), '', code('x'), tenant.id), 404);
  // Deleting the tenant keeps the organization but unlinks it.
  await mc.tenant.delete(tenant.id);
  assert.deepEqual(await mc.org.getOrgByTenantId(tenant.id), []);
  assert.equal((await mc.org.findById(org.id)).id, org.id);
});

test('tenants: an unknown tenant owns no organization and cannot be given one', async () => {
  const before = (await mc.org.list(1, 1)).totalCount;
  await rejectsWith(mc.org.create(code('T'), '', code('t'), `tenant-${rand()}`), 404);
  assert.equal((await mc.org.list(1, 1)).totalCount, before, 'nothing created');
  assert.deepEqual(await mc.org.getOrgByTenantId(`tenant-${rand()}`), []);
});

test('startSync without a connector is an Authing error, not a fake success', async () => {
  await rejectsWith(mc.org.startSync({ providerType: 'dingtalk' }), 1001);
  await rejectsWith(mc.org.startSync({ providerType: 'ad', adConnectorId: 'x' }), 1001);
});

test("cross-pool: another pool's token cannot see or change this pool's orgs and nodes", async () => {
  const { org, a } = await smallOrg();
  const u = await newEmailUser(P, { prefix: 'oi' });
  await rejectsWith(other.org.findById(org.id), 404);
  assert.equal(await other.org.getNodeById(a.id), null);
  await rejectsWith(other.org.addNode(org.id, a.id, { name: 'intruder' }), 404);
  await rejectsWith(other.org.updateNode(a.id, { name: 'theirs' }), 404);
  await rejectsWith(other.org.deleteNode(org.id, a.id), 404);
  await rejectsWith(other.org.deleteById(org.id), 404);
  await rejectsWith(other.org.addMembers(a.id, [u.user.id]), 404);
  const theirs = await other.org.create(code('Theirs'));
  await rejectsWith(other.org.addMembers(theirs.rootNode.id, [u.user.id]), 2004);
  assert.equal((await mc.org.getNodeById(a.id)).name, 'A');
  assert.ok(!(await other.org.exportAll()).some(t => t.orgId === org.id));
});
