// Public (shared) accounts through authing-node-sdk@4.0.1: the ManagementClient creates a
// public account and binds personal users to it; a bound user's AuthenticationClient lists it
// for the switch and switches into it (`switchLoginByUser`), getting the OpenID Provider's
// tokens for the account; an unbound user, a personal target, a switch back from the shared
// account, a blocked account and an unbound user after `unbindUsersPublicAccount` are refused;
// ids of another pool and malformed requests are refused and change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uniqueEmail } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3PubAcct';
const OTHER = 'v3PubAcctOther';
const PASSWORD = 'Passw0rd!pub';
const mc = v3(P);

async function personal(prefix) {
  const email = uniqueEmail(prefix);
  const u = data(await mc.createUser({ email, password: PASSWORD, nickname: prefix }));
  return { id: u.userId, email };
}

/** The user's AuthenticationClient holding a fresh access token of theirs. */
async function signedIn(email) {
  const t = data(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }));
  const auth = v3Auth(P);
  auth.setAccessToken(t.access_token);
  return auth;
}

function switchTo(auth, targetUserId) {
  return auth.switchLoginByUser({ targetUserId, options: { scope: 'openid profile' } });
}

let desk;
let alice;
let bob;

test('a public account is created, read and listed apart from personal users', async () => {
  alice = await personal('pa-alice');
  bob = await personal('pa-bob');
  const username = `desk${Date.now()}`;
  const created = data(await mc.createPublicAccount({ username, password: PASSWORD, name: 'Front desk' }));
  desk = created.userId;
  assert.equal(created.username, username);
  assert.equal(data(await mc.getPublicAccount({ userId: desk })).name, 'Front desk');
  assert.equal(data(await mc.getPublicAccount({ userId: username, userIdType: 'username' })).userId, desk);
  // A personal user is no public account.
  refused(await mc.getPublicAccount({ userId: alice.id }), { statusCode: 404 });
  const batch = data(await mc.getPublicAccountBatch({ userIds: [desk, alice.id] }));
  assert.deepEqual(batch.map(u => u.userId), [desk]);
  const listed = data(await mc.listPublicAccounts({ options: { pagination: { page: 1, limit: 50 } } }));
  const ids = listed.list.map(u => u.userId);
  assert.ok(ids.includes(desk));
  assert.ok(!ids.includes(alice.id));
  assert.equal(listed.totalCount, listed.list.length);
  // A public account is a user: the ordinary user APIs see it too.
  assert.equal(data(await mc.getUser({ userId: desk })).userId, desk);

  const [a, b] = data(await mc.createPublicAccountsBatch({
    list: [{ username: `${username}a`, password: PASSWORD }, { username: `${username}b`, password: PASSWORD }],
  }));
  assert.equal(data(await mc.getPublicAccount({ userId: a.userId })).username, `${username}a`);
  // Uniqueness is the user rule's: a taken username is refused and creates nothing.
  refused(await mc.createPublicAccount({ username, password: PASSWORD }));
  data(await mc.deletePublicAccountsBatch({ userIds: [a.userId, b.userId] }));
  refused(await mc.getPublicAccount({ userId: a.userId }));
});

test('a bound personal user lists the account and switches into it', async () => {
  data(await mc.bindUsersPublicAccount({ publicAccountId: desk, userIds: [alice.id] }));
  assert.deepEqual(data(await mc.getUsersOfPublicAccount({ publicAccountId: desk })).list.map(u => u.userId), [alice.id]);
  assert.deepEqual(data(await mc.getPublicAccountsOfUser({ userId: alice.id })).list.map(u => u.userId), [desk]);

  const auth = await signedIn(alice.email);
  const [mine] = data(await auth.listPublicAccountsForSwitchLoggedIn({ withOriginUser: true }));
  assert.deepEqual(mine.publicAccounts.map(a => [a.userId, a.displayName, a.usertype]), [[desk, 'Front desk', '2']]);
  assert.equal(mine.originUser.userId, alice.id);
  assert.equal(mine.originUser.usertype, '1');

  const t = data(await switchTo(auth, desk));
  assert.equal(typeof t.access_token, 'string');
  assert.equal(typeof t.id_token, 'string');
  assert.ok(t.expire_in > 0);
  const asDesk = v3Auth(P);
  asDesk.setAccessToken(t.access_token);
  const profile = data(await asDesk.getProfile({}));
  assert.equal(profile.userId, desk);
  assert.equal(profile.name, 'Front desk');
  // The switch is the account's login, in its history.
  assert.ok(data(await mc.getPublicAccount({ userId: desk })).loginsCount >= 1);

  // From the shared account's session there is no way back into a personal user, and it
  // has nothing to switch into.
  refused(await switchTo(asDesk, alice.id), { statusCode: 403 });
  assert.deepEqual(data(await asDesk.listPublicAccountsForSwitchLoggedIn({}))[0].publicAccounts, []);
});

test('an unbound user, a personal target, a blocked account and an unbound binding are refused', async () => {
  const bobAuth = await signedIn(bob.email);
  refused(await switchTo(bobAuth, desk), { statusCode: 403 });
  assert.deepEqual(data(await bobAuth.listPublicAccountsForSwitchLoggedIn({}))[0].publicAccounts, []);
  const auth = await signedIn(alice.email);
  refused(await switchTo(auth, bob.id), { statusCode: 403 });
  refused(await switchTo(auth, 'no-such-user'), { statusCode: 403 });
  // No token, no switch.
  refused(await v3Auth(P).switchLoginByUser({ targetUserId: desk }), { statusCode: 401 });

  data(await mc.updatePublicAccount({ userId: desk, status: 'Suspended' }));
  const blocked = refused(await switchTo(auth, desk));
  assert.ok(blocked.statusCode >= 400 && blocked.statusCode < 500, JSON.stringify(blocked));
  assert.deepEqual(data(await auth.listPublicAccountsForSwitchLoggedIn({}))[0].publicAccounts, []);
  data(await mc.updatePublicAccount({ userId: desk, status: 'Activated' }));
  data(await switchTo(auth, desk));

  data(await mc.unbindUsersPublicAccount({ publicAccountId: desk, userId: alice.id }));
  refused(await switchTo(auth, desk));
  assert.deepEqual(data(await mc.getUsersOfPublicAccount({ publicAccountId: desk })).list, []);
  // Bound again through the user's side.
  data(await mc.setuserOfPublicAccount({ userId: alice.id, publicAccountIds: [desk] }));
  data(await switchTo(auth, desk));
});

test('ids of another pool and malformed requests are refused and change nothing', async () => {
  const other = v3(OTHER);
  const foreign = data(await other.createPublicAccount({ username: `far${Date.now()}`, password: PASSWORD })).userId;
  refused(await mc.getPublicAccount({ userId: foreign }), { statusCode: 404 });
  refused(await mc.bindUsersPublicAccount({ publicAccountId: foreign, userIds: [alice.id] }));
  refused(await mc.bindUsersPublicAccount({ publicAccountId: desk, userIds: [alice.id, foreign] }));
  refused(await other.bindUsersPublicAccount({ publicAccountId: foreign, userIds: [alice.id] }));
  refused(await mc.deletePublicAccountsBatch({ userIds: [foreign] }));
  assert.equal(data(await other.getPublicAccount({ userId: foreign })).userId, foreign);
  const auth = await signedIn(alice.email);
  refused(await switchTo(auth, foreign));

  // Wrong kinds: a personal user as the account, a public account as the personal user.
  refused(await mc.bindUsersPublicAccount({ publicAccountId: bob.id, userIds: [alice.id] }), { statusCode: 400 });
  refused(await mc.setuserOfPublicAccount({ userId: desk, publicAccountIds: [desk] }), { statusCode: 400 });
  refused(await mc.bindUsersPublicAccount({ publicAccountId: desk, userIds: [] }), { statusCode: 400 });
  refused(await mc.deletePublicAccountsBatch({ userIds: [alice.id] }));
  refused(await mc.updatePublicAccount({ userId: alice.id, nickname: 'not public' }));
  refused(await auth.switchLoginByUser({ targetUserId: '' }), { statusCode: 400 });
  // Nothing of it was written: alice is still bound to desk alone, bob to nothing.
  assert.deepEqual(data(await mc.getPublicAccountsOfUser({ userId: alice.id })).list.map(u => u.userId), [desk]);
  assert.deepEqual(data(await mc.getPublicAccountsOfUser({ userId: bob.id })).list, []);
  assert.equal(data(await mc.getUser({ userId: alice.id })).nickname, 'pa-alice');
});

test('a public account\'s roles, groups and departments are the directory\'s, seen from both sides', async () => {
  const tag = Date.now().toString(36);
  const role = data(await mc.createRole({ code: `pa-role-${tag}` }));
  data(await mc.assignRole({ code: `pa-role-${tag}`, targets: [{ targetType: 'USER', targetIdentifier: desk }, { targetType: 'USER', targetIdentifier: alice.id }] }));
  const group = data(await mc.createGroup({ code: `pa-group-${tag}`, name: 'PA G', description: '', type: 'static' }));
  data(await mc.addGroupMembers({ code: `pa-group-${tag}`, userIds: [desk, alice.id] }));
  const org = data(await mc.createOrganization({ organizationName: `PA ${tag}`, organizationCode: `pa-org-${tag}` }));

  // The public-account lists hold the public account, not the personal member.
  const ofRole = data(await mc.getPublicAccountsOfRole({ roleId: role.id ?? (await roleId(`pa-role-${tag}`)) }));
  assert.deepEqual(ofRole.list.map(u => u.userId), [desk]);
  const ofGroup = data(await mc.getPublicAccountsOfGroup({ groupId: group.id ?? group.groupId }));
  assert.deepEqual(ofGroup.list.map(u => u.userId), [desk]);
  assert.ok(data(await mc.getPublicAccountRoles({ userId: desk })).list.some(r => r.code === `pa-role-${tag}`));
  assert.ok(data(await mc.getGroupsOfPublicAccount({ userId: desk })).list.some(g => g.code === `pa-group-${tag}`));
  // Asked of a personal user, they refuse.
  refused(await mc.getPublicAccountRoles({ userId: alice.id }));
  refused(await mc.getGroupsOfPublicAccount({ userId: alice.id }));

  data(await mc.setPublicAccountOfDepartments({ userId: desk, departments: [{ departmentId: org.departmentId, isLeader: false, isMainDepartment: true }] }));
  refused(await mc.setPublicAccountOfDepartments({ userId: alice.id, departments: [{ departmentId: org.departmentId, isLeader: false, isMainDepartment: true }] }));
  const deps = data(await mc.getPublicAccountDepartments({ userId: desk }));
  assert.deepEqual(deps.list.map(d => d.departmentId), [org.departmentId]);
  const ofDept = data(await mc.getPublicAccountsOfDepartment({ departmentId: org.departmentId }));
  assert.deepEqual(ofDept.list.map(u => u.userId), [desk]);
  refused(await mc.getPublicAccountsOfDepartment({ departmentId: 'no-such-department' }));

  // Roles given by id, all or none.
  const r2 = data(await mc.createRole({ code: `pa-role2-${tag}` }));
  const r2Id = r2.id ?? (await roleId(`pa-role2-${tag}`));
  refused(await mc.bindPublicAccountOfRoles({ userId: desk, roleIds: [r2Id, 'no-such-role'] }));
  assert.ok(!data(await mc.getPublicAccountRoles({ userId: desk })).list.some(r => r.code === `pa-role2-${tag}`));
  data(await mc.bindPublicAccountOfRoles({ userId: desk, roleIds: [r2Id] }));
  assert.ok(data(await mc.getPublicAccountRoles({ userId: desk })).list.some(r => r.code === `pa-role2-${tag}`));
  refused(await mc.bindPublicAccountOfRoles({ userId: alice.id, roleIds: [r2Id] }), { statusCode: 404 });
});

async function roleId(code) {
  return data(await mc.getRole({ code })).id;
}

test('a personal user becomes a public account; a bound one cannot; kick and delete', async () => {
  refused(await mc.changeIntoPublicAccount({ userId: alice.id }));
  data(await mc.changeIntoPublicAccount({ userId: bob.id }));
  assert.equal(data(await mc.getPublicAccount({ userId: bob.id })).userId, bob.id);
  data(await mc.bindUsersPublicAccount({ publicAccountId: bob.id, userIds: [alice.id] }));
  const auth = await signedIn(alice.email);
  const t = data(await switchTo(auth, bob.id));
  const asBob = v3Auth(P);
  asBob.setAccessToken(t.access_token);
  assert.equal(data(await asBob.getProfile({})).userId, bob.id);

  // A kick ends the account's sessions.
  data(await mc.kickPublicAccounts({ userId: bob.id, appIds: ['any'] }));
  refused(await asBob.getProfile({}));
  refused(await mc.kickPublicAccounts({ userId: alice.id, appIds: ['any'] }));

  // Resigning archives public accounts only: a personal user in the batch refuses it whole.
  const temp = data(await mc.createPublicAccount({ username: `temp${Date.now()}`, password: PASSWORD })).userId;
  refused(await mc.resignPublicAccountBatch({ userIds: [temp, alice.id] }), { statusCode: 404 });
  assert.equal(data(await mc.getPublicAccount({ userId: temp })).status, 'Activated');
  assert.equal(data(await mc.resignPublicAccountBatch({ userIds: [temp] })).success, true);
  assert.ok(data(await mc.listArchivedUsers({})).list.some(u => u.userId === temp));

  data(await mc.deletePublicAccountsBatch({ userIds: [bob.id] }));
  refused(await mc.getPublicAccount({ userId: bob.id }));
  assert.deepEqual(data(await mc.getPublicAccountsOfUser({ userId: alice.id })).list.map(u => u.userId), [desk]);
});
