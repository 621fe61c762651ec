// ManagementClient.groups against Tessera (pool "mgmtGroups"; "mgmtOther" for isolation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, newEmailUser, rand, rejectsWith } from './helpers.mjs';

const P = 'mgmtGroups';
const mc = mgmt(P);
const other = mgmt('mgmtOther');
const code = (p = 'g') => `${p}_${rand(10)}`;

test('create, detail, update (name, description, newCode), duplicate code', async () => {
  const c = code();
  const g = await mc.groups.create(c, '分组', '描述');
  assert.deepEqual([g.code, g.name, g.description], [c, '分组', '描述']);
  assert.ok(g.createdAt && g.updatedAt);
  assert.equal((await mc.groups.detail(c)).name, '分组');
  assert.equal(await mc.groups.detail(code('nope')), null);
  await rejectsWith(mc.groups.create(c, 'again'), 2026);
  await rejectsWith(mc.groups.create('', 'no code'), 2231);

  let u = await mc.groups.update(c, { name: '新分组' });
  assert.equal(u.name, '新分组');
  assert.equal(u.description, '描述');
  const c2 = code();
  u = await mc.groups.update(c, { newCode: c2, description: 'd2' });
  assert.equal(u.code, c2);
  assert.equal(await mc.groups.detail(c), null);
  assert.equal((await mc.groups.detail(c2)).description, 'd2');
  const c3 = code();
  await mc.groups.create(c3, 'third');
  await rejectsWith(mc.groups.update(c3, { newCode: c2 }), 2026);
  await rejectsWith(mc.groups.update(code('nope'), { name: 'x' }), 404);
});

test('list: exact totalCount and stable pages; bad pages refused', async () => {
  const before = await mc.groups.list(1, 1);
  const made = [];
  for (let i = 0; i < 3; i++) {
    const c = code(`l${i}`);
    made.push(c);
    await mc.groups.create(c, `#${i}`);
  }
  const all = await mc.groups.list(1, 1000);
  assert.equal(all.totalCount, before.totalCount + 3);
  assert.equal(all.list.length, all.totalCount);
  assert.deepEqual(all.list.slice(-3).map(g => g.code).sort(), [...made].sort(), 'newest last');
  const pages = [];
  for (let p = 1; p <= all.totalCount; p++) {
    const one = await mc.groups.list(p, 1);
    assert.equal(one.totalCount, all.totalCount);
    pages.push(...one.list.map(g => g.code));
  }
  assert.deepEqual(pages, all.list.map(g => g.code));
  await rejectsWith(mc.groups.list(1, 1e9), 2231);
  await rejectsWith(mc.groups.list(-1, 10), 2231);
});

test('addUsers, listUsers (+custom data, pages), removeUsers; unknown users add nobody', async () => {
  const c = code();
  await mc.groups.create(c, 'members');
  const a = await newEmailUser(P, { prefix: 'ga' });
  const b = await newEmailUser(P, { prefix: 'gb' });
  assert.equal((await mc.groups.addUsers(c, [a.user.id, b.user.id])).code, 200);
  await mc.groups.addUsers(c, [a.user.id]);
  const users = await mc.groups.listUsers(c);
  assert.equal(users.totalCount, 2);
  const ids = users.list.map(u => u.id);
  assert.deepEqual([...ids].sort(), [a.user.id, b.user.id].sort());
  const p1 = await mc.groups.listUsers(c, { page: 1, limit: 1 });
  const p2 = await mc.groups.listUsers(c, { page: 2, limit: 1 });
  assert.deepEqual([...p1.list, ...p2.list].map(u => u.id), ids);
  const cd = await mc.groups.listUsers(c, { withCustomData: true });
  assert.deepEqual(cd.list[0].customData, {});

  assert.equal((await mc.groups.removeUsers(c, [a.user.id])).code, 200);
  assert.deepEqual((await mc.groups.listUsers(c)).list.map(u => u.id), [b.user.id]);

  await rejectsWith(mc.groups.addUsers(c, [a.user.id, 'ffffffffffffffffffffffff']), 2004);
  assert.equal((await mc.groups.listUsers(c)).totalCount, 1, 'all or nothing');
  await rejectsWith(mc.groups.addUsers(code('nope'), [a.user.id]), 404);
  await rejectsWith(mc.groups.listUsers(code('nope')), 404);
});

test('listAuthorizedResources: the group\'s grants and its roles\' grants', async () => {
  const c = code();
  await mc.groups.create(c, 'ops');
  const ns = code('ns');
  await mc.acl.authorizeResource({ namespace: ns, resource: 'server:1', opts: [{ targetType: 'GROUP', targetIdentifier: c, actions: ['ssh'] }] });
  await mc.acl.createResource({ namespace: ns, code: 'dash', type: 'MENU', actions: [{ name: 'view', description: '' }] });
  await mc.acl.authorizeResource({ namespace: ns, resource: 'dash', opts: [{ targetType: 'GROUP', targetIdentifier: c, actions: ['view'] }] });
  const all = await mc.groups.listAuthorizedResources(c, ns);
  assert.equal(all.totalCount, 2);
  assert.deepEqual(all.list.map(r => r.code), ['dash', 'server:1']);
  const menus = await mc.groups.listAuthorizedResources(c, ns, { resourceType: 'MENU' });
  assert.deepEqual(menus.list.map(r => r.code), ['dash']);
  await rejectsWith(mc.groups.listAuthorizedResources(code('nope'), ns), 404);
});

test('delete / deleteMany remove memberships, role assignments and grants in one go', async () => {
  const c1 = code();
  const c2 = code();
  await mc.groups.create(c1, 'one');
  await mc.groups.create(c2, 'two');
  const u = await newEmailUser(P, { prefix: 'gd' });
  await mc.groups.addUsers(c1, [u.user.id]);
  const ns = code('ns');
  await mc.acl.authorizeResource({ namespace: ns, resource: 'vault', opts: [{ targetType: 'GROUP', targetIdentifier: c1, actions: ['open'] }] });
  assert.equal(await mc.acl.isAllowed(u.user.id, 'vault', 'open', { namespace: ns }), true);

  // One unknown code: none deleted.
  await rejectsWith(mc.groups.deleteMany([c1, code('nope')]), 404);
  assert.ok(await mc.groups.detail(c1));
  await rejectsWith(mc.groups.delete(code('nope')), 404);

  assert.equal((await mc.groups.delete(c1)).code, 200);
  assert.equal(await mc.groups.detail(c1), null);
  assert.equal(await mc.acl.isAllowed(u.user.id, 'vault', 'open', { namespace: ns }), false);
  // A new group with the old code starts empty.
  await mc.groups.create(c1, 'again');
  assert.equal((await mc.groups.listUsers(c1)).totalCount, 0);
  assert.equal((await mc.groups.listAuthorizedResources(c1, ns)).totalCount, 0);

  await mc.groups.deleteMany([c1, c2]);
  assert.equal(await mc.groups.detail(c2), null);
});

test("cross-pool: another pool's token cannot see or change this pool's groups", async () => {
  const c = code();
  await mc.groups.create(c, 'mine');
  const u = await newEmailUser(P, { prefix: 'gi' });
  await mc.groups.addUsers(c, [u.user.id]);
  assert.equal(await other.groups.detail(c), null);
  await rejectsWith(other.groups.update(c, { name: 'theirs' }), 404);
  await rejectsWith(other.groups.delete(c), 404);
  await rejectsWith(other.groups.listUsers(c), 404);
  await other.groups.create(c, 'theirs');
  await rejectsWith(other.groups.addUsers(c, [u.user.id]), 2004);
  assert.equal((await mc.groups.detail(c)).name, 'mine');
  assert.equal((await mc.groups.listUsers(c)).totalCount, 1);
});
