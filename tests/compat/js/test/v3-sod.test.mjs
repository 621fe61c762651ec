// Separation of duties between roles (角色互斥) and administrator roles through the official
// SDKs (authing-node-sdk@4.0.1 for v3, authing-js-sdk@4.23.55 for v2):
// - rules are set with a role (`createRole` / `updateRole` + `mutuallyExclusiveRoles`, an
//   extension the SDK passes through), answered back in the role DTO, asked with
//   `checkMutualExclusion`;
// - their effect: an assignment that would give a user two excluded roles — directly, through
//   a group or a department — is refused on v3 (`assignRole`, `assignRoleBatch`,
//   `addGroupMembers`, `addDepartmentMembers`) and v2 (`roles.addUsers`, `users.addRoles`,
//   `groups.addUsers`), as a whole;
// - bad input (unknown role, the role itself, too many, the other pool's roles) writes nothing;
// - administrator roles: unique code per pool (`isValid: false` when taken), deleted all or
//   none, audited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, rand, rejectsWith, uniqueUsername } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const P = 'v3Sod';
const mc = v3(P);
const en = v3(P, { lang: 'en-US' });
const v2 = mgmt(P);
const other = v3('v3SodOther');

const code = (p = 'r') => `${p}_${rand(8)}`;

async function newUser(mcx = mc) {
  return data(await mcx.createUser({ username: uniqueUsername('sod'), password: 'passw0rd!sod' }));
}

async function roleCodes(userId) {
  return data(await mc.getUserRoles({ userId })).list.map(r => r.code).sort();
}

/** Two roles excluding each other, the second naming the first. */
async function pair() {
  const [a, b] = [code('maker'), code('checker')];
  data(await mc.createRole({ code: a, name: 'Maker' }));
  const made = data(await mc.createRole({ code: b, name: 'Checker', mutuallyExclusiveRoles: [{ code: a }] }));
  assert.deepEqual(made.mutuallyExclusiveRoles, [{ code: a, namespace: 'default' }]);
  return [a, b];
}

const USER = id => ({ targetType: 'USER', targetIdentifier: id });

test('rules: set with createRole/updateRole, symmetric in the DTO, across namespaces, asked by checkMutualExclusion', async () => {
  const [a, b] = await pair();
  assert.deepEqual(data(await mc.getRole({ code: a })).mutuallyExclusiveRoles, [{ code: b, namespace: 'default' }]);
  assert.equal(data(await mc.checkMutualExclusion({ roles: [{ code: a }, { code: b, namespace: 'default' }] })).existMutuallyExclusive, true);

  // Another namespace's role may be excluded too.
  const ns = code('ns');
  data(await mc.createNamespace({ code: ns, name: ns }));
  const c = code('pay');
  data(await mc.createRole({ code: c, namespace: ns }));
  assert.equal(data(await mc.checkMutualExclusion({ roles: [{ code: a }, { code: c, namespace: ns }] })).existMutuallyExclusive, false);
  data(await mc.updateRole({ code: a, newCode: a, name: 'Maker', mutuallyExclusiveRoles: [{ code: b }, { code: c, namespace: ns }] }));
  const got = data(await mc.getRole({ code: a })).mutuallyExclusiveRoles;
  assert.deepEqual(got.map(r => `${r.namespace}/${r.code}`).sort(), [`${ns}/${c}`, `default/${b}`].sort());
  assert.equal(data(await mc.checkMutualExclusion({ roles: [{ code: c, namespace: ns }, { code: a }] })).existMutuallyExclusive, true);

  // updateRole with an empty list clears the set; without the field, it is left alone.
  data(await mc.updateRole({ code: a, newCode: a, name: 'Maker 2' }));
  assert.equal(data(await mc.getRole({ code: a })).mutuallyExclusiveRoles.length, 2);
  data(await mc.updateRole({ code: a, newCode: a, name: 'Maker', mutuallyExclusiveRoles: [] }));
  assert.deepEqual(data(await mc.getRole({ code: b })).mutuallyExclusiveRoles, []);
  assert.equal(data(await mc.checkMutualExclusion({ roles: [{ code: a }, { code: b }] })).existMutuallyExclusive, false);

  // Deleting a role removes its rules.
  const [d, e] = await pair();
  data(await mc.deleteRolesBatch({ codeList: [d] }));
  assert.deepEqual(data(await mc.getRole({ code: e })).mutuallyExclusiveRoles, []);
});

test('bad input writes nothing: unknown role, the role itself, too many, the other pool\'s roles', async () => {
  const [a, b] = await pair();
  const x = code('x');
  refused(await mc.createRole({ code: x, mutuallyExclusiveRoles: [{ code: a }, { code: 'no_such_role' }] }), { statusCode: 404 });
  refused(await mc.getRole({ code: x }), { statusCode: 404 });
  refused(await mc.updateRole({ code: b, newCode: b, name: 'Renamed', mutuallyExclusiveRoles: [{ code: b }] }), { statusCode: 400 });
  const kept = data(await mc.getRole({ code: b }));
  assert.equal(kept.name, 'Checker', 'the rename rolled back with the refused rule');
  assert.deepEqual(kept.mutuallyExclusiveRoles, [{ code: a, namespace: 'default' }]);
  const many = Array.from({ length: 51 }, (_, i) => ({ code: `${a}_${i}` }));
  refused(await mc.updateRole({ code: b, newCode: b, name: 'Checker', mutuallyExclusiveRoles: many }), { statusCode: 400 });
  refused(await mc.updateRole({ code: b, newCode: b, name: 'Checker', mutuallyExclusiveRoles: 'abc' }), { statusCode: 400 });
  assert.deepEqual(data(await mc.getRole({ code: b })).mutuallyExclusiveRoles, [{ code: a, namespace: 'default' }]);

  // Cross-pool: the other pool neither sees these roles nor may exclude them.
  refused(await other.checkMutualExclusion({ roles: [{ code: a }, { code: b }] }), { statusCode: 404 });
  refused(await other.createRole({ code: code('o'), mutuallyExclusiveRoles: [{ code: a }] }), { statusCode: 404 });
  refused(await mc.checkMutualExclusion({ roles: [{ code: a }, { code: 'no_such_role' }] }), { statusCode: 404 });
  refused(await mc.checkMutualExclusion({ roles: [] }), { statusCode: 400 });
  refused(await mc.checkMutualExclusion({}), { statusCode: 400 });
});

test('v3 refusals: assignRole, assignRoleBatch (all or nothing), addGroupMembers, addDepartmentMembers', async () => {
  const [a, b] = await pair();
  const [u1, u2] = [await newUser(), await newUser()];
  data(await mc.assignRole({ code: a, targets: [USER(u1.userId)] }));

  const r = refused(await mc.assignRole({ code: b, targets: [USER(u1.userId)] }), { statusCode: 409, apiCode: 2231 });
  assert.match(r.message, /互斥/);
  const e = refused(await en.assignRole({ code: b, targets: [USER(u1.userId)] }), { statusCode: 409 });
  assert.match(e.message, /exclusive/i);
  assert.deepEqual(await roleCodes(u1.userId), [a]);

  // A batch: u2 gets nothing because u1 is refused.
  const reader = code('reader');
  data(await mc.createRole({ code: reader }));
  refused(await mc.assignRoleBatch({ roles: [{ code: reader }, { code: b }], targets: [USER(u2.userId), USER(u1.userId)] }), { statusCode: 409 });
  assert.deepEqual(await roleCodes(u2.userId), []);
  assert.deepEqual(await roleCodes(u1.userId), [a]);

  // Through a group holding the other role.
  const g = code('g');
  data(await mc.createGroup({ code: g, name: 'Checkers', description: '', type: 'static' }));
  data(await mc.assignRole({ code: b, targets: [{ targetType: 'GROUP', targetIdentifier: g }] }));
  refused(await mc.addGroupMembers({ code: g, userIds: [u2.userId, u1.userId] }), { statusCode: 409 });
  assert.equal(data(await mc.listGroupMembers({ code: g })).totalCount, 0);
  data(await mc.addGroupMembers({ code: g, userIds: [u2.userId] }));
  assert.deepEqual(await roleCodes(u2.userId), [b]);
  refused(await mc.assignRole({ code: a, targets: [{ targetType: 'GROUP', targetIdentifier: g }] }), { statusCode: 409 });

  // Through a department holding the other role (and its parent's).
  const orgCode = code('corp');
  const org = data(await mc.createOrganization({ organizationName: `Corp ${orgCode}`, organizationCode: orgCode }));
  const dep = data(await mc.createDepartment({ organizationCode: orgCode, name: 'Makers', parentDepartmentId: org.departmentId, code: code('d') }));
  data(await mc.assignRole({ code: a, targets: [{ targetType: 'DEPARTMENT', targetIdentifier: dep.departmentId }] }));
  refused(await mc.addDepartmentMembers({ organizationCode: orgCode, departmentId: dep.departmentId, userIds: [u2.userId] }), { statusCode: 409 });
  const u3 = await newUser();
  data(await mc.addDepartmentMembers({ organizationCode: orgCode, departmentId: dep.departmentId, userIds: [u3.userId] }));
  refused(await mc.assignRole({ code: b, targets: [{ targetType: 'DEPARTMENT', targetIdentifier: org.departmentId }] }), { statusCode: 409 });
  assert.deepEqual(await roleCodes(u3.userId), [a]);
  // setUserDepartments: u2 (checker through the group) cannot be placed in the makers'.
  refused(await mc.setUserDepartments({ userId: u2.userId, departments: [{ departmentId: dep.departmentId, isMainDepartment: true }] }), { statusCode: 409 });
  assert.deepEqual(await roleCodes(u2.userId), [b]);
});

test('v2 refusals: roles.addUsers, users.addRoles, groups.addUsers', async () => {
  const [a, b] = await pair();
  const [u1, u2] = [await newUser(), await newUser()];
  await v2.roles.addUsers(a, [u1.userId]);
  const err = await rejectsWith(v2.roles.addUsers(b, [u2.userId, u1.userId]), 2231);
  assert.match(err.message, /互斥/);
  assert.deepEqual(await roleCodes(u2.userId), [], 'all or nothing');
  await rejectsWith(v2.users.addRoles(u1.userId, [b]), 2231);
  assert.deepEqual(await roleCodes(u1.userId), [a]);

  const g = code('g2');
  await v2.groups.create(g, 'Checkers');
  data(await mc.assignRole({ code: b, targets: [{ targetType: 'GROUP', targetIdentifier: g }] }));
  await v2.groups.addUsers(g, [u2.userId]);
  await rejectsWith(v2.groups.addUsers(g, [u1.userId]), 2231);
  assert.equal(data(await mc.listGroupMembers({ code: g })).totalCount, 1);
});

test('administrator roles: created, code taken → isValid false, deleted all or none, audited', async () => {
  const c = code('adm');
  assert.deepEqual(data(await mc.createAdminRole({ code: c, name: 'Operators', description: 'ops' })), { isValid: true, message: '' });
  const taken = data(await mc.createAdminRole({ code: c, name: 'Again' }));
  assert.equal(taken.isValid, false);
  assert.match(taken.message, /管理员角色/);
  // Unique per pool only.
  assert.equal(data(await other.createAdminRole({ code: c, name: 'Theirs' })).isValid, true);
  refused(await mc.createAdminRole({ code: c }), { statusCode: 400 });
  refused(await mc.createAdminRole({ name: 'No code' }), { statusCode: 400 });

  const c2 = code('adm');
  data(await mc.createAdminRole({ code: c2, name: 'Security' }));
  refused(await mc.deleteAdminRolesBatch({ codeList: [c2, 'no_such_admin_role'] }), { statusCode: 404 });
  // Still there: creating it again is "taken".
  assert.equal(data(await mc.createAdminRole({ code: c2, name: 'x' })).isValid, false);
  assert.equal(data(await mc.deleteAdminRolesBatch({ codeList: [c, c2] })).success, true);
  assert.equal(data(await mc.createAdminRole({ code: c2, name: 'Security' })).isValid, true, 'gone, so free again');
  refused(await mc.deleteAdminRolesBatch({ codeList: [] }), { statusCode: 400 });
  // The other pool's role is untouched.
  assert.equal(data(await other.createAdminRole({ code: c, name: 'x' })).isValid, false);

  const logs = data(await mc.getAdminAuditLogs({ resourceType: 'adminRole', pagination: { page: 1, limit: 50 } }));
  const ops = logs.list.map(l => `${l.operationType}:${l.success}`);
  for (const op of ['create:true', 'create:false', 'delete:true']) assert.ok(ops.includes(op), `${op} audited: ${ops}`);
});

test('administrator roles bundle policies: a cooperator granted the role\'s code holds them; bad policies write nothing', async () => {
  const [p1, p2] = [code('pol'), code('pol')];
  await v2.policies.create({ code: p1, statements: [{ resource: 'menu:users', effect: 'ALLOW', actions: ['users:read'] }] });
  await v2.policies.create({ code: p2, statements: [{ resource: 'menu:audit', effect: 'ALLOW', actions: ['audit:read'] }] });
  const adm = code('adm');
  refused(await mc.createAdminRole({ code: adm, name: 'Auditors', policies: [p1, 'no_such_policy'] }), { statusCode: 404 });
  refused(await mc.createAdminRole({ code: adm, name: 'Auditors', policies: Array.from({ length: 51 }, (_, i) => `${p1}${i}`) }), { statusCode: 400 });
  assert.equal(data(await mc.createAdminRole({ code: adm, name: 'Auditors', policies: [p1, p2] })).isValid, true, 'nothing was written before');

  const u = await newUser();
  data(await mc.createTenantCooperator({ userId: u.userId, policies: [adm] }));
  const held = data(await mc.getTenantCooperator({ userId: u.userId }));
  assert.deepEqual(held.authorizedPoliciesCode, [p1, p2]);
  const menu = data(await mc.getTenantCooperatorMenu({ userId: u.userId }));
  assert.deepEqual(menu.list, ['menu:users', 'menu:audit']);

  // The other pool's administrator role names nothing here.
  const theirs = code('adm');
  data(await other.createAdminRole({ code: theirs, name: 'Theirs' }));
  refused(await mc.createTenantCooperator({ userId: u.userId, policies: [theirs] }), { statusCode: 404 });
  assert.deepEqual(data(await mc.getTenantCooperator({ userId: u.userId })).authorizedPoliciesCode, [p1, p2]);
});
