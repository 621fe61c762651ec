// ASA (form-filling SSO) accounts through authing-node-sdk@4.0.1's ManagementClient: the 12
// methods createAsaAccount … getAssignedAccount (`v3-wire.md` §4 "Applications"), their DTO
// shapes (AsaAccountDto {appId, accountId, accountInfo}, AsaAccountTargetDto {targetType,
// targetIdentifier}), bad inputs answered as errors that write nothing, another pool's
// application and accounts out of reach, and getAssignedAccount for a user through a role.
// Pool 'v3Asa'; 'v3Sign' is only read (its application id) and used as the foreign caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, pool, rand, uniqueEmail } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Asa';
const mc = v3(P);
const en = v3(P, { lang: 'en-US' });
const APP = pool(P).appId;
const FOREIGN_APP = pool('v3Sign').appId;
const foreign = v3('v3Sign');

const info = (account, password = `pw-${rand(6)}`) => ({ account, password });

/** Every account of `appId` (pages of 50). */
async function all(appId = APP) {
  const out = [];
  for (let page = 1; ; page++) {
    const d = data(await mc.listAsaAccount({ appId, page, limit: 50 }));
    out.push(...d.list);
    if (out.length >= d.totalCount || d.list.length === 0) return { total: d.totalCount, list: out };
  }
}

function assertAccountDto(a, appId = APP) {
  assert.deepEqual(Object.keys(a).sort(), ['accountId', 'accountInfo', 'appId'], JSON.stringify(a));
  assert.equal(a.appId, appId);
  assert.match(a.accountId, /^[0-9a-f]{24}$/);
  assert.equal(typeof a.accountInfo, 'object');
}

test('asa: create, get, list, update, batch get and delete, with their DTO shapes', async () => {
  const first = info(`alice-${rand(4)}@site.example`, 'S3cret!pw');
  const a = data(await mc.createAsaAccount({ appId: APP, accountInfo: first }));
  assertAccountDto(a);
  assert.deepEqual(a.accountInfo, first);

  const got = data(await mc.getAsaAccount({ appId: APP, accountId: a.accountId }));
  assertAccountDto(got);
  assert.deepEqual(got.accountInfo, first, 'the administrator reads the password back');

  const before = (await all()).total;
  const batch = data(await mc.createAsaAccountBatch({
    appId: APP, list: [{ accountInfo: info('b1') }, { accountInfo: info('b2') }],
  }));
  assert.deepEqual(batch, { success: true });
  const listed = await all();
  assert.equal(listed.total, before + 2);
  listed.list.forEach(x => assertAccountDto(x));
  const b1 = listed.list.find(x => x.accountInfo.account === 'b1');
  const b2 = listed.list.find(x => x.accountInfo.account === 'b2');
  assert.ok(b1 && b2, 'both batch accounts listed');
  const page = data(await mc.listAsaAccount({ appId: APP, page: 1, limit: 1 }));
  assert.equal(page.list.length, 1);
  assert.equal(page.totalCount, listed.total);

  // Update replaces the information as a whole.
  const next = { account: 'alice-renamed', password: 'N3w!pw', note: '备注' };
  const up = data(await mc.updateAsaAccount({ appId: APP, accountId: a.accountId, accountInfo: next }));
  assertAccountDto(up);
  assert.equal(up.accountId, a.accountId);
  assert.deepEqual(up.accountInfo, next);
  assert.deepEqual(data(await mc.getAsaAccount({ appId: APP, accountId: a.accountId })).accountInfo, next);

  // Batch get answers in the order asked.
  const many = data(await mc.getAsaAccountBatch({ appId: APP, accountIds: [b2.accountId, a.accountId] }));
  assert.ok(Array.isArray(many));
  assert.deepEqual(many.map(x => x.accountId), [b2.accountId, a.accountId]);
  many.forEach(x => assertAccountDto(x));

  assert.deepEqual(data(await mc.deleteAsaAccount({ appId: APP, accountId: b1.accountId })), { success: true });
  refused(await mc.getAsaAccount({ appId: APP, accountId: b1.accountId }), { statusCode: 404 });
  assert.deepEqual(
    data(await mc.deleteAsaAccountBatch({ appId: APP, accountIds: [b2.accountId, a.accountId] })),
    { success: true },
  );
  assert.equal((await all()).total, before - 1);
});

test('asa: bad inputs are refused and write nothing', async () => {
  const keep = data(await mc.createAsaAccount({ appId: APP, accountInfo: info('keeper', 'K33p!') }));
  const count = async () => (await all()).total;
  const n = await count();
  const bad = [
    // Missing fields, wrong types.
    () => mc.createAsaAccount({ appId: APP }),
    () => mc.createAsaAccount({ accountInfo: info('x') }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: 'account=x;password=y' }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: ['x', 'y'] }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: {} }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: { account: 'x', password: 123456 } }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: { account: { nested: true } } }),
    () => mc.createAsaAccount({ appId: 42, accountInfo: info('x') }),
    // Oversized: too many fields, a key or a value too long.
    () => mc.createAsaAccount({
      appId: APP, accountInfo: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'v'])),
    }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: { ['k'.repeat(65)]: 'v' } }),
    () => mc.createAsaAccount({ appId: APP, accountInfo: { account: 'x', password: 'p'.repeat(1025) } }),
    // A batch with one bad item, an empty batch, a batch too large.
    () => mc.createAsaAccountBatch({ appId: APP, list: [{ accountInfo: info('ok') }, { accountInfo: 'bad' }] }),
    () => mc.createAsaAccountBatch({ appId: APP, list: [] }),
    () => mc.createAsaAccountBatch({ appId: APP, list: Array.from({ length: 101 }, () => ({ accountInfo: info('x') })) }),
    () => mc.createAsaAccountBatch({ appId: APP, list: 'x' }),
  ];
  for (const [i, call] of bad.entries()) {
    refused(await call(), { statusCode: 400, apiCode: 2231 });
    assert.equal(await count(), n, `refusal ${i} wrote nothing`);
  }
  // The size refusal says what the bound is, in the caller's language.
  const tooMany = refused(await en.createAsaAccount({
    appId: APP, accountInfo: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'v'])),
  }), { statusCode: 400, apiCode: 2231 });
  assert.match(tooMany.message, /at most 20 fields/);
  const zh = refused(await mc.createAsaAccount({ appId: APP, accountInfo: { a: 1 } }), { apiCode: 2231 });
  assert.match(zh.message, /字符串/);

  // Unknown application or account.
  refused(await mc.createAsaAccount({ appId: '000000000000000000000000', accountInfo: info('x') }), { statusCode: 404 });
  refused(await mc.listAsaAccount({ appId: '000000000000000000000000' }), { statusCode: 404 });
  refused(await mc.getAsaAccount({ appId: APP, accountId: '000000000000000000000000' }), { statusCode: 404 });
  refused(await mc.updateAsaAccount({ appId: APP, accountId: '000000000000000000000000', accountInfo: info('x') }), { statusCode: 404 });
  refused(await mc.deleteAsaAccount({ appId: APP, accountId: '000000000000000000000000' }), { statusCode: 404 });
  // One unknown id refuses a batch read or delete whole.
  refused(await mc.getAsaAccountBatch({ appId: APP, accountIds: [keep.accountId, '000000000000000000000000'] }), { statusCode: 404 });
  refused(await mc.deleteAsaAccountBatch({ appId: APP, accountIds: [keep.accountId, '000000000000000000000000'] }), { statusCode: 404 });
  refused(await mc.deleteAsaAccountBatch({ appId: APP, accountIds: [] }), { statusCode: 400 });
  refused(await mc.getAsaAccountBatch({ appId: APP, accountIds: 'x' }), { statusCode: 400 });
  refused(await mc.listAsaAccount({ appId: APP, limit: 51 }), { statusCode: 400, apiCode: 2231 });
  // A bad update leaves the account as it was.
  refused(await mc.updateAsaAccount({ appId: APP, accountId: keep.accountId, accountInfo: { password: 7 } }), { statusCode: 400 });
  assert.deepEqual(data(await mc.getAsaAccount({ appId: APP, accountId: keep.accountId })).accountInfo, info('keeper', 'K33p!'));
  assert.equal(await count(), n);
});

test("asa: another pool's application and accounts are out of reach", async () => {
  const mine = data(await mc.createAsaAccount({ appId: APP, accountInfo: info('mine', 'M1ne!') }));
  // This pool's administrator names the other pool's application: not found, nothing written.
  refused(await mc.createAsaAccount({ appId: FOREIGN_APP, accountInfo: info('x') }), { statusCode: 404 });
  refused(await mc.listAsaAccount({ appId: FOREIGN_APP }), { statusCode: 404 });
  // The other pool's administrator names this pool's application or account.
  refused(await foreign.getAsaAccount({ appId: APP, accountId: mine.accountId }), { statusCode: 404 });
  refused(await foreign.listAsaAccount({ appId: APP }), { statusCode: 404 });
  refused(await foreign.updateAsaAccount({ appId: APP, accountId: mine.accountId, accountInfo: info('stolen') }), { statusCode: 404 });
  refused(await foreign.deleteAsaAccount({ appId: APP, accountId: mine.accountId }), { statusCode: 404 });
  refused(await foreign.getAsaAccount({ appId: FOREIGN_APP, accountId: mine.accountId }), { statusCode: 404 });
  refused(await foreign.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: 'x' }), { statusCode: 404 });
  assert.deepEqual(
    data(await mc.getAsaAccount({ appId: APP, accountId: mine.accountId })).accountInfo,
    info('mine', 'M1ne!'),
  );
});

test('asa: assign to users, roles, groups and departments; a user gets his account through a role', async () => {
  const acc = async name => data(await mc.createAsaAccount({ appId: APP, accountInfo: info(name, `${name}-pw`) }));
  const viaRole = await acc('via-role');
  const direct = await acc('direct');
  const spare = await acc('spare');

  const user = data(await mc.createUser({ email: uniqueEmail('asa'), password: PASSWORD }));
  const role = `asa-role-${rand(6)}`;
  data(await mc.createRole({ code: role }));
  data(await mc.assignRole({ code: role, targets: [{ targetType: 'USER', targetIdentifier: user.userId }] }));
  const group = `asa-group-${rand(6)}`;
  data(await mc.createGroup({ code: group, name: 'ASA G', description: '', type: 'static' }));
  const orgCode = `asa-org-${rand(6)}`;
  const org = data(await mc.createOrganization({ organizationName: `ASA ${orgCode}`, organizationCode: orgCode }));
  const dept = org.departmentId;

  // Nothing assigned yet: data is null.
  const none = await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId });
  assert.equal(none.statusCode, 200, JSON.stringify(none));
  assert.equal(none.data ?? null, null);

  // Through the role.
  assert.deepEqual(data(await mc.assignAsaAccount({
    appId: APP, accountId: viaRole.accountId, targets: [{ targetType: 'ROLE', targetIdentifiers: [role] }],
  })), { success: true });
  const got = data(await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId }));
  assertAccountDto(got);
  assert.equal(got.accountId, viaRole.accountId);
  assert.deepEqual(got.accountInfo, info('via-role', 'via-role-pw'));
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'ROLE', targetIdentifier: role })).accountId, viaRole.accountId);

  // Several target types at once; the targets read back as the wire names them.
  data(await mc.assignAsaAccount({
    appId: APP, accountId: spare.accountId, targets: [
      { targetType: 'GROUP', targetIdentifiers: [group] },
      { targetType: 'DEPARTMENT', targetIdentifiers: [dept] },
    ],
  }));
  const t = data(await mc.getAsaAccountAssignedTargets({ appId: APP, accountId: spare.accountId }));
  assert.equal(t.totalCount, 2);
  for (const x of t.list) assert.deepEqual(Object.keys(x).sort(), ['targetIdentifier', 'targetType']);
  assert.deepEqual(
    t.list.map(x => `${x.targetType}:${x.targetIdentifier}`).sort(),
    [`DEPARTMENT:${dept}`, `GROUP:${group}`].sort(),
  );
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'DEPARTMENT', targetIdentifier: dept })).accountId, spare.accountId);
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'GROUP', targetIdentifier: group })).accountId, spare.accountId);

  // A direct assignment wins over the role's.
  data(await mc.assignAsaAccount({
    appId: APP, accountId: direct.accountId, targets: [{ targetType: 'USER', targetIdentifiers: [user.userId] }],
  }));
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId })).accountId, direct.accountId);

  // Unknown targets and accounts refuse the whole call and assign nothing.
  const targetsOf = async id => data(await mc.getAsaAccountAssignedTargets({ appId: APP, accountId: id })).totalCount;
  const n = await targetsOf(spare.accountId);
  refused(await mc.assignAsaAccount({
    appId: APP, accountId: spare.accountId, targets: [
      { targetType: 'USER', targetIdentifiers: [user.userId] },
      { targetType: 'ROLE', targetIdentifiers: ['no-such-role'] },
    ],
  }), { statusCode: 404 });
  refused(await mc.assignAsaAccount({
    appId: APP, accountId: spare.accountId, targets: [{ targetType: 'USER', targetIdentifiers: ['000000000000000000000000'] }],
  }), { statusCode: 404 });
  refused(await mc.assignAsaAccount({
    appId: APP, accountId: '000000000000000000000000', targets: [{ targetType: 'USER', targetIdentifiers: [user.userId] }],
  }), { statusCode: 404 });
  refused(await mc.assignAsaAccount({
    appId: APP, accountId: spare.accountId, targets: [{ targetType: 'TENANT', targetIdentifiers: ['x'] }],
  }), { statusCode: 400 });
  refused(await mc.assignAsaAccount({ appId: APP, accountId: spare.accountId, targets: [] }), { statusCode: 400 });
  refused(await mc.assignAsaAccount({ appId: APP, accountId: spare.accountId }), { statusCode: 400 });
  refused(await mc.assignAsaAccount({
    appId: FOREIGN_APP, accountId: spare.accountId, targets: [{ targetType: 'USER', targetIdentifiers: [user.userId] }],
  }), { statusCode: 404 });
  assert.equal(await targetsOf(spare.accountId), n);
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId })).accountId, direct.accountId);
  refused(await mc.getAssignedAccount({ appId: APP, targetType: 'ROLE', targetIdentifier: 'no-such-role' }), { statusCode: 404 });
  refused(await mc.getAssignedAccount({ appId: APP, targetType: 'NOBODY', targetIdentifier: 'x' }), { statusCode: 400 });
  refused(await mc.getAsaAccountAssignedTargets({ appId: APP, accountId: '000000000000000000000000' }), { statusCode: 404 });

  // Unassigning the direct account: the role's shows through again.
  assert.deepEqual(data(await mc.unassignAsaAccount({
    appId: APP, accountId: direct.accountId, targets: [{ targetType: 'USER', targetIdentifiers: [user.userId] }],
  })), { success: true });
  assert.equal(data(await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId })).accountId, viaRole.accountId);

  // Deleting the role's account deletes its assignments: the user has none left.
  data(await mc.deleteAsaAccount({ appId: APP, accountId: viaRole.accountId }));
  const after = await mc.getAssignedAccount({ appId: APP, targetType: 'USER', targetIdentifier: user.userId });
  assert.equal(after.statusCode, 200);
  assert.equal(after.data ?? null, null);
  assert.equal((await mc.getAssignedAccount({ appId: APP, targetType: 'ROLE', targetIdentifier: role })).data ?? null, null);
});

test("asa: an application's accounts go with it", async () => {
  const app = data(await mc.createApplication({ appName: `asa-${rand(6)}`, appIdentifier: `asa-${rand(10)}` }));
  const a = data(await mc.createAsaAccount({ appId: app.appId, accountInfo: info('temp') }));
  const user = data(await mc.createUser({ email: uniqueEmail('asa-app'), password: PASSWORD }));
  data(await mc.assignAsaAccount({
    appId: app.appId, accountId: a.accountId, targets: [{ targetType: 'USER', targetIdentifiers: [user.userId] }],
  }));
  assert.equal((await all(app.appId)).total, 1);
  data(await mc.deleteApplication({ appId: app.appId }));
  refused(await mc.getAsaAccount({ appId: app.appId, accountId: a.accountId }), { statusCode: 404 });
  // The user is still there; deleting him later is not blocked by a dangling assignment.
  assert.deepEqual(data(await mc.deleteUsersBatch({ userIds: [user.userId] })), { success: true });
});
