// Single methods of issue 13 through authing-node-sdk@4.0.1, each with its effect, a refusal
// of another pool's ids and bad input that writes nothing: a public account's groups and
// posts (`getPublicAccountOfGroups`, `getPublicAccountsOfPost`, `unbindPublicAccountOfPost`)
// departments created by name (`createDepartmentTree`), and password hashes exported for a
// migration (`getUserPasswordCiphertext`, `getUserEncryptPasswordBatch`): exported from one
// pool, imported into another, the original password logs in there; an application's
// resource associated with a tenant (`associateTenantResource`), shown as `linkedToTenant`;
// contents encrypted with a customer's RSA or SM2 public key opened with the private key
// (`userFieldDecrypt`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import smCrypto from 'sm-crypto';
import { pool } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Misc';
const OTHER = 'v3MiscOther';
const PASSWORD = 'Passw0rd!misc';
const mc = v3(P);
const other = v3(OTHER);
const tag = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

async function publicAccount(client) {
  return data(await client.createPublicAccount({ username: `pa${tag()}`, password: PASSWORD })).userId;
}

test('getPublicAccountOfGroups adds a public account to groups, all or none', async () => {
  const desk = await publicAccount(mc);
  const person = data(await mc.createUser({ username: `pp${tag()}`, password: PASSWORD })).userId;
  const t = tag();
  const g1 = data(await mc.createGroup({ code: `g1-${t}`, name: 'G1', description: '', type: 'static' }));
  const g2 = data(await mc.createGroup({ code: `g2-${t}`, name: 'G2', description: '', type: 'static' }));
  const [id1, id2] = [g1.id ?? g1.groupId, g2.id ?? g2.groupId];
  const codes = async () => data(await mc.getGroupsOfPublicAccount({ userId: desk })).list.map(g => g.code).sort();

  // An unknown group, another pool's group, a personal user, an empty list: refused, nothing written.
  const og = data(await other.createGroup({ code: `og-${t}`, name: 'O', description: '', type: 'static' }));
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, 'no-such-group'] }), { statusCode: 404 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, og.id ?? og.groupId] }), { statusCode: 404 });
  refused(await mc.getPublicAccountOfGroups({ userId: person, groupIds: [id1] }), { statusCode: 400 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [] }), { statusCode: 400 });
  refused(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: Array(51).fill(id1) }), { statusCode: 400 });
  assert.deepEqual(await codes(), []);
  assert.deepEqual(data(await mc.getUserGroups({ userId: person })).list, []);
  // Another pool's client cannot name this pool's account.
  refused(await other.getPublicAccountOfGroups({ userId: desk, groupIds: [og.id ?? og.groupId] }), { statusCode: 404 });

  data(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id1, id2] }));
  assert.deepEqual(await codes(), [`g1-${t}`, `g2-${t}`].sort());
  // The effect is the directory's: the group's member list and its public accounts hold it.
  assert.deepEqual(data(await mc.getPublicAccountsOfGroup({ groupId: id1 })).list.map(u => u.userId), [desk]);
  // Again: nothing doubles; groups held stay.
  data(await mc.getPublicAccountOfGroups({ userId: desk, groupIds: [id2] }));
  assert.deepEqual(await codes(), [`g1-${t}`, `g2-${t}`].sort());
});

test('getPublicAccountsOfPost lists the holders; unbindPublicAccountOfPost removes one post', async () => {
  const desk = await publicAccount(mc);
  const desk2 = await publicAccount(mc);
  const person = data(await mc.createUser({ username: `pq${tag()}`, password: PASSWORD })).userId;
  const t = tag();
  const p1 = data(await mc.createPost({ code: `p1-${t}`, name: 'P1' })).id;
  const p2 = data(await mc.createPost({ code: `p2-${t}`, name: 'P2' })).id;
  data(await mc.setPublicAccountOfnPost({ userId: desk, postId: p1 }));
  data(await mc.setPublicAccountOfnPost({ userId: desk, postId: p2 }));
  data(await mc.setPublicAccountOfnPost({ userId: desk2, postId: p1 }));
  // A personal user holding the post is no public account: not listed.
  data(await mc.setUserPosts({ userId: person, postIds: [p1] }));
  const holders = async (p) => data(await mc.getPublicAccountsOfPost({ postId: p })).list.map(u => u.userId).sort();
  assert.deepEqual(await holders(p1), [desk, desk2].sort());
  assert.deepEqual(await holders(p2), [desk]);
  const page = data(await mc.getPublicAccountsOfPost({ postId: p1 }));
  assert.equal(page.totalCount, 2);
  refused(await mc.getPublicAccountsOfPost({ postId: 'no-such-post' }), { statusCode: 404 });
  refused(await other.getPublicAccountsOfPost({ postId: p1 }), { statusCode: 404 });

  // Refusals write nothing: a personal user, an unknown post, another pool's caller.
  refused(await mc.unbindPublicAccountOfPost({ userId: person, postId: p1 }), { statusCode: 400 });
  refused(await mc.unbindPublicAccountOfPost({ userId: desk, postId: 'no-such-post' }), { statusCode: 404 });
  refused(await other.unbindPublicAccountOfPost({ userId: desk, postId: p1 }), { statusCode: 404 });
  refused(await mc.unbindPublicAccountOfPost({ userId: desk, postId: '' }), { statusCode: 400 });
  assert.deepEqual(await holders(p1), [desk, desk2].sort());

  data(await mc.unbindPublicAccountOfPost({ userId: desk, postId: p1 }));
  assert.deepEqual(await holders(p1), [desk2]);
  // Its other post stays; the other holder and the personal user keep theirs.
  assert.deepEqual(await holders(p2), [desk]);
  assert.deepEqual(data(await mc.getUser({ userId: person, withPost: true })).postIdList, [p1]);
  // Unbinding again: the state asked for holds.
  data(await mc.unbindPublicAccountOfPost({ userId: desk, postId: p1 }));
});

test('createDepartmentTree creates the missing departments and member once, counting truthfully', async () => {
  const t = tag();
  const name = `研发${t}`;
  const username = `tree${t}`;
  const first = data(await mc.createDepartmentTree({
    name,
    children: ['后端/平台', '前端'],
    members: { username, name: '张三', gender: 'M', city: 'BJ' },
  }));
  assert.deepEqual(first, { addUser: 1, updateUser: 0, addDepartment: 4, updateDepartment: 0 });

  // The effect, read through the ordinary department and user methods.
  const org = data(await mc.getOrganization({ organizationCode: name }));
  assert.equal(org.organizationName, name);
  const root = org.departmentId;
  const kids = data(await mc.listChildrenDepartments({ organizationCode: name, departmentId: root }));
  assert.deepEqual(kids.list.map(d => d.name).sort(), ['前端', '后端'].sort());
  const backend = kids.list.find(d => d.name === '后端');
  const under = data(await mc.listChildrenDepartments({ organizationCode: name, departmentId: backend.departmentId }));
  assert.deepEqual(under.list.map(d => d.name), ['平台']);
  const user = data(await mc.getUser({ userId: username, userIdType: 'username' }));
  assert.equal(user.name, '张三');
  assert.equal(user.gender, 'M');
  assert.equal(user.city, 'BJ');
  const members = data(await mc.listDepartmentMembers({ organizationCode: name, departmentId: root }));
  assert.deepEqual(members.list.map(u => u.userId), [user.userId]);
  const all = async () => data(await mc.getAllDepartments({ organizationCode: name })).list.map(d => d.name).sort();
  const before = await all();

  // The same call again adds nothing.
  const again = data(await mc.createDepartmentTree({
    name, children: ['后端/平台', '前端'], members: { username, name: '张三', gender: 'M', city: 'BJ' },
  }));
  assert.deepEqual(again, { addUser: 0, updateUser: 0, addDepartment: 0, updateDepartment: 0 });
  assert.deepEqual(await all(), before);

  // One new level, and the member found by username gets its changed field.
  const more = data(await mc.createDepartmentTree({ name, children: ['后端/数据'], members: { username, city: 'SH' } }));
  assert.deepEqual(more, { addUser: 0, updateUser: 1, addDepartment: 1, updateDepartment: 0 });
  assert.equal(data(await mc.getUser({ userId: user.userId })).city, 'SH');
  assert.equal(data(await mc.getUser({ userId: user.userId })).name, '张三');
  const now = await all();
  assert.equal(now.length, before.length + 1);

  // Bad input writes nothing: each of these also names a new department '新${t}'.
  const other = data(await mc.createUser({ email: `tree${t}@example.com`, password: PASSWORD })).userId;
  const fresh = `新${t}`;
  refused(await mc.createDepartmentTree({ name, children: [fresh], members: { username, email: `tree${t}@example.com` } }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name, children: [fresh], members: { name: 'nobody' } }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name, children: [fresh, `${fresh}//x`] }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name, children: Array.from({ length: 101 }, (_, i) => `${fresh}${i}`) }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name, children: [fresh], members: { username, gender: 'X' } }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name: '', children: [fresh] }), { statusCode: 400 });
  refused(await mc.createDepartmentTree({ name: fresh, children: [fresh], tenantId: 'no-such-tenant' }), { statusCode: 404 });
  refused(await mc.getOrganization({ organizationCode: fresh }), { statusCode: 404 });
  assert.deepEqual(await all(), now);
  assert.equal(data(await mc.getUser({ userId: user.userId })).city, 'SH');
  assert.deepEqual(data(await mc.listDepartmentMembers({ organizationCode: name, departmentId: root })).list.map(u => u.userId), [user.userId]);
  assert.ok(other);

  // Another pool: its own organization of that name, nothing of ours; our tenant is unknown there.
  const tenant = data(await mc.createTenant({ name: `租户${t}`, appIds: [pool(P).appId] })).tenantId;
  refused(await v3(OTHER).createDepartmentTree({ name: `t${name}`, tenantId: tenant }), { statusCode: 404 });
  const theirs = data(await v3(OTHER).createDepartmentTree({ name, children: ['前端'], members: { username } }));
  assert.deepEqual(theirs, { addUser: 1, updateUser: 0, addDepartment: 2, updateDepartment: 0 });
  assert.deepEqual(await all(), now);
  assert.deepEqual(data(await mc.listDepartmentMembers({ organizationCode: name, departmentId: root })).list.map(u => u.userId), [user.userId]);

  // A tenant's organization is its own, found within the tenant.
  const tn = `t${name}`;
  const mine = data(await mc.createDepartmentTree({ name: tn, children: ['x'], tenantId: tenant }));
  assert.deepEqual(mine, { addUser: 0, updateUser: 0, addDepartment: 2, updateDepartment: 0 });
  assert.equal(data(await mc.getOrganization({ organizationCode: tn, tenantId: tenant })).organizationCode, tn);
  assert.deepEqual(data(await mc.createDepartmentTree({ name: tn, children: ['x'], tenantId: tenant })).addDepartment, 0);
  // Without the tenant the name names no pool organization, and the code is taken: refused.
  refused(await mc.createDepartmentTree({ name: tn }), { statusCode: 409 });
});

test('a password hash exported by the administrator imports into another pool and the password logs in', async () => {
  const t = tag();
  const email = `export${t}@example.com`;
  const u = data(await mc.createUser({ email, password: PASSWORD })).userId;
  const bare = data(await mc.createUser({ username: `bare${t}` })).userId;
  const since = Date.now() - 1000;

  const { ciphertext } = data(await mc.getUserPasswordCiphertext({ userId: u }));
  assert.match(ciphertext, /^\$argon2id\$/, 'the stored hash, never the password');
  assert.ok(!ciphertext.includes(PASSWORD));
  assert.equal(data(await mc.getUserPasswordCiphertext({ userId: email, userIdType: 'email' })).ciphertext, ciphertext);
  const batch = data(await mc.getUserEncryptPasswordBatch({ userIds: [u, bare, u] }));
  assert.deepEqual(batch, [{ userId: u, encryptedPassword: ciphertext }, { userId: bare, encryptedPassword: '' }]);

  // The effect: the hash imported into another pool verifies the original password there.
  const imp = v3('v3MiscImport');
  data(await imp.createUser({ email, password: ciphertext, options: { keepPassword: true } }));
  const tokens = data(await v3Auth('v3MiscImport').signInByEmailPassword({ email, password: PASSWORD }));
  assert.ok(tokens.access_token);
  refused(await v3Auth('v3MiscImport').signInByEmailPassword({ email, password: 'wrong-password1!' }));

  // Every export is in the audit log: who, which users.
  const logs = data(await mc.getAdminAuditLogs({ operationType: 'export', start: since, pagination: { page: 1, limit: 50 } }));
  const exported = logs.list.filter(r => r.success);
  assert.ok(exported.some(r => r.eventDetails === u), JSON.stringify(logs.list));
  assert.ok(exported.some(r => r.eventDetails === `${u},${bare}`), JSON.stringify(logs.list));
  assert.ok(exported.every(r => !JSON.stringify(r).includes(ciphertext)), 'the log holds no hash');

  // Refusals answer no hash: no password, unknown or another pool's user, bad batches.
  refused(await mc.getUserPasswordCiphertext({ userId: bare }));
  refused(await mc.getUserPasswordCiphertext({ userId: 'no-such-user' }), { statusCode: 404 });
  refused(await other.getUserPasswordCiphertext({ userId: u }), { statusCode: 404 });
  const half = refused(await mc.getUserEncryptPasswordBatch({ userIds: [u, 'no-such-user'] }), { statusCode: 404 });
  assert.ok(!JSON.stringify(half).includes(ciphertext));
  refused(await other.getUserEncryptPasswordBatch({ userIds: [u] }), { statusCode: 404 });
  refused(await mc.getUserEncryptPasswordBatch({ userIds: [] }), { statusCode: 400 });
  refused(await mc.getUserEncryptPasswordBatch({ userIds: Array.from({ length: 51 }, (_, i) => `id${i}`) }), { statusCode: 400 });
  // A refused export is logged as refused.
  const after = data(await mc.getAdminAuditLogs({ operationType: 'export', success: false, start: since, pagination: { page: 1, limit: 50 } }));
  assert.ok(after.list.some(r => r.eventDetails.includes('no-such-user')));
});

test('associateTenantResource links an application resource with a tenant, shown as linkedToTenant', async () => {
  const t = tag();
  const app = data(await mc.createApplication({ appName: `res-${t}`, appIdentifier: `res-${t}` })).appId;
  const unused = data(await mc.createApplication({ appName: `unused-${t}`, appIdentifier: `unused-${t}` })).appId;
  await mc.createNamespace({ code: app, name: 'App' });
  await mc.createNamespace({ code: unused, name: 'Unused' });
  const code = `doc-${t}`;
  data(await mc.createResource({ namespace: app, code, type: 'DATA', actions: [{ name: 'read' }] }));
  data(await mc.createResource({ namespace: app, code: `${code}-2`, type: 'DATA', actions: [{ name: 'read' }] }));
  data(await mc.createResource({ namespace: unused, code, type: 'DATA', actions: [{ name: 'read' }] }));
  const tenant = data(await mc.createTenant({ name: `res${t}`, appIds: [app] })).tenantId;
  const linked = async () => {
    const one = data(await mc.getResource({ code, namespace: app })).linkedToTenant;
    const listed = data(await mc.listResources({ namespace: app, page: 1, limit: 50 })).list;
    const common = data(await mc.listCommonResource({ namespaceCodeList: app, page: 1, limit: 50 })).list;
    const batch = data(await mc.getResourcesBatch({ namespace: app, codeList: [code, `${code}-2`] }));
    for (const l of [listed, common, batch]) {
      assert.equal(l.find(r => r.code === code).linkedToTenant, one);
      assert.equal(l.find(r => r.code === `${code}-2`).linkedToTenant, false);
    }
    return one;
  };
  assert.equal(await linked(), false);

  // Refusals write nothing: no tenant, an unknown resource, an application the tenant does
  // not use, an unknown tenant, another pool's caller.
  refused(await mc.associateTenantResource({ code, association: true, appId: app }), { statusCode: 400 });
  refused(await mc.associateTenantResource({ code: 'no-such', association: true, appId: app, tenantId: tenant }), { statusCode: 404 });
  refused(await mc.associateTenantResource({ code, association: true, appId: unused, tenantId: tenant }), { statusCode: 400 });
  refused(await mc.associateTenantResource({ code, association: true, appId: app, tenantId: 'no-such-tenant' }), { statusCode: 404 });
  refused(await other.associateTenantResource({ code, association: true, appId: app, tenantId: tenant }), { statusCode: 404 });
  assert.equal(await linked(), false);
  assert.equal(data(await mc.getResource({ code, namespace: unused })).linkedToTenant, false);

  data(await mc.associateTenantResource({ code, association: true, appId: app, tenantId: tenant }));
  assert.equal(await linked(), true);
  data(await mc.associateTenantResource({ code, association: true, appId: app, tenantId: tenant }));
  assert.equal(data(await mc.getResource({ code, namespace: unused })).linkedToTenant, false);
  data(await mc.associateTenantResource({ code, association: false, appId: app, tenantId: tenant }));
  assert.equal(await linked(), false);
  // Linked again, the association goes with its tenant.
  data(await mc.associateTenantResource({ code, association: true, appId: app, tenantId: tenant }));
  assert.equal(await linked(), true);
  data(await mc.deleteTenant({ tenantId: tenant }));
  assert.equal(await linked(), false);
});

test('userFieldDecrypt opens RSA and SM2 contents with the private key sent, all or none', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const rsa = (text) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text)).toString('base64');
  const got = data(await mc.userFieldDecrypt({
    privateKey,
    data: [
      { userId: 'u1', fieldName: 'phone', encryptedContent: rsa('13800000000') },
      { userId: 'u2', fieldName: 'name', encryptedContent: rsa('张三') },
    ],
  }));
  assert.deepEqual(got, [
    { userId: 'u1', fieldName: 'phone', decryptedContent: '13800000000' },
    { userId: 'u2', fieldName: 'name', decryptedContent: '张三' },
  ]);

  const sm2 = smCrypto.sm2.generateKeyPairHex();
  const sealed = smCrypto.sm2.doEncrypt('bj@example.com', sm2.publicKey, 1);
  assert.deepEqual(data(await mc.userFieldDecrypt({ privateKey: sm2.privateKey, data: [{ encryptedContent: sealed }] })),
    [{ decryptedContent: 'bj@example.com' }]);

  // Another key, a content of the other scheme, a malformed key, bad batches: refused whole,
  // and the key is never in the answer.
  const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const wrong = refused(await mc.userFieldDecrypt({ privateKey: other.privateKey, data: [{ encryptedContent: rsa('x') }] }), { statusCode: 400 });
  assert.ok(!JSON.stringify(wrong).includes('PRIVATE KEY'));
  refused(await mc.userFieldDecrypt({ privateKey, data: [{ encryptedContent: rsa('ok') }, { encryptedContent: sealed }] }), { statusCode: 400 });
  refused(await mc.userFieldDecrypt({ privateKey: 'not a key', data: [{ encryptedContent: rsa('x') }] }), { statusCode: 400 });
  refused(await mc.userFieldDecrypt({ privateKey: '0'.repeat(64), data: [{ encryptedContent: sealed }] }), { statusCode: 400 });
  refused(await mc.userFieldDecrypt({ privateKey, data: [] }), { statusCode: 400 });
  refused(await mc.userFieldDecrypt({ privateKey, data: Array.from({ length: 51 }, () => ({ encryptedContent: rsa('x') })) }), { statusCode: 400 });
  refused(await mc.userFieldDecrypt({ privateKey: 'x'.repeat(17000), data: [{ encryptedContent: rsa('x') }] }), { statusCode: 400 });
});
