// ManagementClient.policies against Tessera (pool "mgmtAcl", namespaces of its own;
// "mgmtOther" for isolation): policies and their assignments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, newEmailUser, rand, rejectsWith } from './helpers.mjs';

const P = 'mgmtAcl';
const mc = mgmt(P);
const other = mgmt('mgmtOther');
const code = (p = 'p') => `${p}_${rand(10)}`;
const statements = [{ resource: 'books:123', effect: 'ALLOW', actions: ['books:edit'] }];

test('create, detail, update (statements, description, newCode), duplicate code', async () => {
  const c = code();
  const p = await mc.policies.create({ code: c, statements, description: 'edit books' });
  assert.equal(p.code, c);
  assert.equal(p.namespace, 'default');
  assert.equal(p.assignmentsCount, 0);
  assert.equal(p.isDefault, false);
  assert.deepEqual(p.statements, [{ resource: 'books:123', effect: 'ALLOW', actions: ['books:edit'], condition: [] }]);
  await rejectsWith(mc.policies.create({ code: c, statements }), 2026);
  await rejectsWith(mc.policies.create({ code: code(), statements: [] }), 2231);
  await rejectsWith(mc.policies.create({ code: code(), statements: [{ resource: 'x', actions: ['a'], effect: 'MAYBE' }] }), 2231);

  const found = await mc.policies.detail(c);
  assert.equal(found.description, 'edit books');
  assert.equal(await mc.policies.detail(code('nope')), null);

  const newStatements = [{ resource: 'books:123', effect: 'DENY', actions: ['books:*'] }];
  let u = await mc.policies.update(c, { statements: newStatements });
  assert.deepEqual(u.statements.map(s => [s.resource, s.effect, s.actions]), [['books:123', 'DENY', ['books:*']]]);
  assert.equal(u.description, 'edit books');
  u = await mc.policies.update(c, { description: 'd2' });
  assert.equal(u.description, 'd2');
  const c2 = code();
  u = await mc.policies.update(c, { newCode: c2 });
  assert.equal(u.code, c2);
  assert.equal(await mc.policies.detail(c), null);
  await rejectsWith(mc.policies.update('AdministratorAccess', { description: 'x' }), 404);
});

test('list per namespace with exact totals and pages', async () => {
  const ns = code('ns');
  const made = [];
  for (let i = 0; i < 3; i++) {
    const c = code(`l${i}`);
    made.push(c);
    await mc.policies.create({ code: c, statements, namespace: ns });
  }
  const all = await mc.policies.list({ namespace: ns });
  assert.equal(all.totalCount, 3);
  assert.deepEqual(all.list.map(p => p.code).sort(), [...made].sort());
  const p2 = await mc.policies.list({ namespace: ns, page: 2, limit: 2 });
  assert.deepEqual(p2.list.map(p => p.code), [all.list[2].code], 'pages follow one stable order');
  assert.equal(p2.totalCount, 3);
  assert.equal((await mc.policies.detail(made[0], ns)).namespace, ns);
  await rejectsWith(mc.policies.list({ namespace: ns, limit: 1e9 }), 2231);
  await rejectsWith(mc.policies.list({ namespace: ns, page: -1 }), 2231);
});

test('assignments: add (several policies, all or nothing), list, disable, enable, remove', async () => {
  const c1 = code();
  const c2 = code();
  await mc.policies.create({ code: c1, statements });
  await mc.policies.create({ code: c2, statements });
  const u = await newEmailUser(P, { prefix: 'pa' });
  const role = await mc.roles.create(code('role'));
  const group = await mc.groups.create(code('grp'), 'g');

  assert.equal((await mc.policies.addAssignments([c1, c2], 'USER', [u.user.id])).code, 200);
  await mc.policies.addAssignments([c1], 'ROLE', [role.code]);
  await mc.policies.addAssignments([c1], 'GROUP', [group.code]);
  const l1 = await mc.policies.listAssignments({ code: c1 });
  assert.equal(l1.totalCount, 3);
  assert.deepEqual(l1.list.map(a => [a.code, a.targetType, a.targetIdentifier]).sort(), [
    [c1, 'GROUP', group.code],
    [c1, 'ROLE', role.code],
    [c1, 'USER', u.user.id]
  ].sort());
  assert.equal((await mc.policies.listAssignments({ code: c2 })).totalCount, 1);
  const page = await mc.policies.listAssignments({ code: c1, page: 2, limit: 2 });
  assert.equal(page.totalCount, 3);
  assert.equal(page.list.length, 1);

  // Unknown user, role or policy: the whole call writes nothing.
  await rejectsWith(mc.policies.addAssignments([c2], 'USER', [u.user.id, 'ffffffffffffffffffffffff']), 2004);
  await rejectsWith(mc.policies.addAssignments([c2], 'ROLE', [code('nope')]), 404);
  await rejectsWith(mc.policies.addAssignments([c2, code('nope')], 'GROUP', [group.code]), 404);
  assert.equal((await mc.policies.listAssignments({ code: c2 })).totalCount, 1);
  await rejectsWith(mc.policies.addAssignments([c2], 'AK_SK', ['x']), 2231);

  assert.equal((await mc.policies.disableAssignment(c1, 'USER', u.user.id)).code, 200);
  assert.equal((await mc.policies.enableAssignment(c1, 'USER', u.user.id)).code, 200);
  await rejectsWith(mc.policies.enableAssignment(c2, 'ROLE', role.code), 404);

  await mc.policies.removeAssignments([c1], 'USER', [u.user.id]);
  assert.equal((await mc.policies.listAssignments({ code: c1 })).totalCount, 2);
});

test('delete / deleteMany remove policies with their assignments; one unknown code deletes none', async () => {
  const c1 = code();
  const c2 = code();
  await mc.policies.create({ code: c1, statements });
  await mc.policies.create({ code: c2, statements });
  const role = await mc.roles.create(code('role'));
  await mc.policies.addAssignments([c1], 'ROLE', [role.code]);
  await rejectsWith(mc.policies.deleteMany([c1, code('nope')]), 404);
  assert.ok(await mc.policies.detail(c1));
  assert.equal((await mc.policies.delete(c1)).code, 200);
  assert.equal(await mc.policies.detail(c1), null);
  assert.equal((await mc.roles.listPolicies(role.code)).totalCount, 0);
  await mc.policies.create({ code: c1, statements });
  assert.equal((await mc.policies.listAssignments({ code: c1 })).totalCount, 0);
  await mc.policies.deleteMany([c1, c2]);
  assert.equal(await mc.policies.detail(c2), null);
  // Deleting a role removes its policy assignments too.
  const c3 = code();
  await mc.policies.create({ code: c3, statements });
  await mc.policies.addAssignments([c3], 'ROLE', [role.code]);
  await mc.roles.delete(role.code);
  assert.equal((await mc.policies.listAssignments({ code: c3 })).totalCount, 0);
});

test("cross-pool: another pool's token cannot see or change this pool's policies", async () => {
  const c = code();
  await mc.policies.create({ code: c, statements, description: 'mine' });
  const u = await newEmailUser(P, { prefix: 'pi' });
  assert.equal(await other.policies.detail(c), null);
  await rejectsWith(other.policies.update(c, { description: 'theirs' }), 404);
  await rejectsWith(other.policies.delete(c), 404);
  await other.policies.create({ code: c, statements });
  await rejectsWith(other.policies.addAssignments([c], 'USER', [u.user.id]), 2004);
  assert.equal((await mc.policies.detail(c)).description, 'mine');
});
