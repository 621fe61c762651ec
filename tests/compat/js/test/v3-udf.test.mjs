// v3 Custom fields & custom data through authing-node-sdk@4.0.1, with round trips through the
// v2 ManagementClient's `mc.udf` (one core, two wires). Pool 'v3Tenants'; 'v3Sign' is the
// other pool of the isolation cases. Every bad input answers a non-200 statusCode and
// writes nothing; batches are all-or-nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rand, uniqueUsername } from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3Tenants';
const mc = v3(P);
const other = v3('v3Sign');
const v2 = () => mgmt(P);
const NOBODY = '000000000000000000000000';
const key = prefix => `${prefix}_${rand(8)}`;

const fieldsOf = async targetType => data(await mc.getCustomFields({ targetType }));

test('setCustomFields → getCustomFields (v3) and udf.list (v2); v2 fields read through v3', async () => {
  const age = key('age');
  const school = key('school');
  const level = key('level');
  const made = data(await mc.setCustomFields({
    list: [
      { targetType: 'USER', key: age, dataType: 'NUMBER', label: '年龄' },
      { targetType: 'USER', key: school, dataType: 'ENUM', label: 'School',
        options: [{ value: 'mit', label: 'MIT' }, { value: 'zju', label: '浙大' }] },
      { targetType: 'ROLE', key: level, dataType: 'STRING', label: 'Level' },
    ],
  }));
  assert.equal(made.length, 3);
  assert.deepEqual(
    [made[0].key, made[0].dataType, made[0].targetType, made[0].label],
    [age, 'NUMBER', 'USER', '年龄'],
  );
  assert.equal(made[1].dataType, 'ENUM');
  assert.deepEqual(made[1].options, [{ value: 'mit', label: 'MIT' }, { value: 'zju', label: '浙大' }]);
  assert.equal(made[0].isUnique, false);
  assert.equal(made[0].encrypted, false);
  const users = await fieldsOf('USER');
  assert.ok(users.some(f => f.key === age && f.dataType === 'NUMBER'));
  assert.ok(!users.some(f => f.key === level), 'a ROLE field is not a USER field');
  assert.ok((await fieldsOf('ROLE')).some(f => f.key === level));
  const old = await v2().udf.list('USER');
  assert.ok(old.some(d => d.key === age && d.dataType === 'NUMBER' && d.label === '年龄'));
  assert.ok(old.some(d => d.key === school && d.dataType === 'SELECT'));

  // A change that names only the label keeps the type; v2 sees it.
  data(await mc.setCustomFields({ list: [{ targetType: 'USER', key: age, label: 'Age' }] }));
  const relabelled = (await fieldsOf('USER')).find(f => f.key === age);
  assert.deepEqual([relabelled.label, relabelled.dataType], ['Age', 'NUMBER']);
  assert.equal((await v2().udf.list('USER')).find(d => d.key === age).label, 'Age');

  const fromV2 = key('v2field');
  await v2().udf.set('USER', fromV2, 'BOOLEAN', 'From v2');
  assert.ok((await fieldsOf('USER')).some(f => f.key === fromV2 && f.dataType === 'BOOLEAN'));
});

test('listCustFields pages, filters by data type and keyword', async () => {
  const tag = rand(6);
  const keys = [`lc_${tag}_a`, `lc_${tag}_b`, `lc_${tag}_c`];
  data(await mc.setCustomFields({
    list: [
      ...keys.map(k => ({ targetType: 'GROUP', key: k, dataType: 'STRING', label: k })),
      { targetType: 'GROUP', key: `lc_${tag}_n`, dataType: 'NUMBER', label: 'n' },
    ],
  }));
  const p1 = data(await mc.listCustFields({ targetType: 'GROUP', dataType: 'STRING', keyword: tag, page: 1, limit: 2 }));
  assert.equal(p1.totalCount, 3);
  assert.equal(p1.list.length, 2);
  const p2 = data(await mc.listCustFields({ targetType: 'GROUP', dataType: 'STRING', keyword: tag, page: 2, limit: 2 }));
  assert.deepEqual([...p1.list, ...p2.list].map(f => f.key).sort(), keys);
  const nums = data(await mc.listCustFields({ targetType: 'GROUP', dataType: 'NUMBER', keyword: tag }));
  assert.deepEqual(nums.list.map(f => f.key), [`lc_${tag}_n`]);
  const hidden = data(await mc.listCustFields({ targetType: 'GROUP', dataType: 'STRING', keyword: tag, userVisible: false }));
  assert.equal(hidden.totalCount, 0, 'every field is visible to users');
  refused(await mc.listCustFields({ targetType: 'GROUP', dataType: 'COLOR' }), { statusCode: 400 });
  refused(await mc.listCustFields({ targetType: 'PLANET', dataType: 'STRING' }), { statusCode: 400 });
  refused(await mc.listCustFields({ targetType: 'GROUP', dataType: 'STRING', limit: 100000 }), { statusCode: 400 });
  refused(await mc.listCustFields({ targetType: 'GROUP', dataType: 'STRING', page: 0 }), { statusCode: 400 });
});

test('setCustomFields: bad input is refused and writes nothing', async () => {
  const a = key('bad');
  const b = key('bad');
  // The second item is new and names no type: neither is written.
  refused(await mc.setCustomFields({ list: [
    { targetType: 'USER', key: a, dataType: 'STRING' },
    { targetType: 'USER', key: b },
  ] }), { statusCode: 400, message: /dataType/ });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'COLOR' }] }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: [{ targetType: 'PLANET', key: a, dataType: 'STRING' }] }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'STRING', isUnique: true }] }),
    { statusCode: 400, message: /isUnique/ });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'STRING', encrypted: true }] }),
    { statusCode: 400, message: /encrypted/ });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'STRING', description: 'd' }] }),
    { statusCode: 400, message: /description/ });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'NUMBER', options: [{ value: '1', label: 'one' }] }] }),
    { statusCode: 400, message: /options/ });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: ' ', dataType: 'STRING' }] }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: [
    { targetType: 'USER', key: a, dataType: 'STRING' }, { targetType: 'USER', key: a, dataType: 'NUMBER' },
  ] }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: [] }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: 'x' }), { statusCode: 400 });
  refused(await mc.setCustomFields({ list: [{ targetType: 'USER', key: a, dataType: 'STRING' }], tenantId: NOBODY }),
    { statusCode: 404 });
  const keys = (await fieldsOf('USER')).map(f => f.key);
  assert.ok(!keys.includes(a) && !keys.includes(b), 'nothing was defined');
});

test('setCustomData → getCustomData (v3) and udf.listUdv (v2), typed, all-or-nothing', async () => {
  const age = key('age');
  const vip = key('vip');
  const school = key('school');
  data(await mc.setCustomFields({ list: [
    { targetType: 'USER', key: age, dataType: 'NUMBER', label: 'Age' },
    { targetType: 'USER', key: vip, dataType: 'BOOLEAN', label: 'VIP' },
    { targetType: 'USER', key: school, dataType: 'ENUM', label: 'School', options: [{ value: 'zju', label: 'ZJU' }] },
  ] }));
  const u = data(await mc.createUser({ username: uniqueUsername('cd') }));
  assert.deepEqual(data(await mc.setCustomData({
    targetType: 'USER', targetIdentifier: u.userId,
    list: [{ key: age, value: '42' }, { key: vip, value: true }, { key: school, value: 'zju' }],
  })), { success: true });
  const got = data(await mc.getCustomData({ targetType: 'USER', targetIdentifier: u.userId }));
  assert.equal(got[age], 42);
  assert.equal(got[vip], true);
  assert.equal(got[school], 'zju');
  const viaUser = data(await mc.getUser({ userId: u.userId, withCustomData: true }));
  assert.equal(viaUser.customData[age], 42);
  const old = await v2().udf.listUdv('USER', u.userId);
  assert.ok(old.some(v => v.key === age && v.value === 42));
  // v2 writes, v3 reads.
  await v2().udf.setUdvBatch('USER', u.userId, [{ key: age, value: 43 }]);
  assert.equal(data(await mc.getCustomData({ targetType: 'USER', targetIdentifier: u.userId }))[age], 43);

  // One bad value: nothing changes.
  refused(await mc.setCustomData({ targetType: 'USER', targetIdentifier: u.userId,
    list: [{ key: vip, value: false }, { key: age, value: 'forty' }] }), { statusCode: 400 });
  refused(await mc.setCustomData({ targetType: 'USER', targetIdentifier: u.userId,
    list: [{ key: vip, value: false }, { key: 'nokey', value: 'x' }] }), { statusCode: 400 });
  refused(await mc.setCustomData({ targetType: 'USER', targetIdentifier: u.userId,
    list: [{ key: school, value: 'mit' }] }), { statusCode: 400 });
  refused(await mc.setCustomData({ targetType: 'USER', targetIdentifier: NOBODY, list: [{ key: age, value: 1 }] }),
    { statusCode: 404 });
  refused(await mc.setCustomData({ targetType: 'USER', targetIdentifier: u.userId, list: [] }), { statusCode: 400 });
  refused(await mc.setCustomData({ targetType: 'PLANET', targetIdentifier: u.userId, list: [{ key: age, value: 1 }] }),
    { statusCode: 400 });
  refused(await mc.setCustomData({ targetType: 'USER', list: [{ key: age, value: 1 }] }), { statusCode: 400 });
  const same = data(await mc.getCustomData({ targetType: 'USER', targetIdentifier: u.userId }));
  assert.deepEqual([same[age], same[vip], same[school]], [43, true, 'zju']);
  refused(await mc.getCustomData({ targetType: 'USER' }), { statusCode: 400 });
  refused(await mc.getCustomData({ targetType: 'USER', targetIdentifier: u.userId, tenantId: NOBODY }), { statusCode: 404 });
});

test('custom data of roles (by code) and groups (by code)', async () => {
  const lvl = key('lvl');
  data(await mc.setCustomFields({ list: [
    { targetType: 'ROLE', key: lvl, dataType: 'NUMBER', label: 'Level' },
    { targetType: 'GROUP', key: lvl, dataType: 'STRING', label: 'Level' },
  ] }));
  const roleCode = `r_${rand(6)}`;
  await v2().roles.create(roleCode, 'a role');
  data(await mc.setCustomData({ targetType: 'ROLE', targetIdentifier: roleCode, list: [{ key: lvl, value: 3 }] }));
  assert.equal(data(await mc.getCustomData({ targetType: 'ROLE', targetIdentifier: roleCode }))[lvl], 3);
  const groupCode = `g_${rand(6)}`;
  await v2().groups.create(groupCode, 'a group');
  data(await mc.setCustomData({ targetType: 'GROUP', targetIdentifier: groupCode, list: [{ key: lvl, value: 'gold' }] }));
  assert.equal(data(await mc.getCustomData({ targetType: 'GROUP', targetIdentifier: groupCode }))[lvl], 'gold');
  refused(await mc.getCustomData({ targetType: 'ROLE', targetIdentifier: `${roleCode}-none` }), { statusCode: 404 });
  // Another pool neither reads nor writes them.
  refused(await other.getCustomData({ targetType: 'ROLE', targetIdentifier: roleCode }), { statusCode: 404 });
  refused(await other.setCustomData({ targetType: 'GROUP', targetIdentifier: groupCode, list: [{ key: lvl, value: 'x' }] }),
    { statusCode: 404 });
  assert.equal(data(await mc.getCustomData({ targetType: 'GROUP', targetIdentifier: groupCode }))[lvl], 'gold');
});

test('deleteCustomFields is all-or-nothing and takes the values; other pools see no fields', async () => {
  const a = key('del');
  const b = key('del');
  data(await mc.setCustomFields({ list: [
    { targetType: 'USER', key: a, dataType: 'STRING', label: 'a' },
    { targetType: 'USER', key: b, dataType: 'STRING', label: 'b' },
  ] }));
  const u = data(await mc.createUser({ username: uniqueUsername('del') }));
  data(await mc.setCustomData({ targetType: 'USER', targetIdentifier: u.userId, list: [{ key: a, value: 'x' }] }));

  assert.ok(!(await data(await other.getCustomFields({ targetType: 'USER' }))).some(f => f.key === a));
  refused(await other.deleteCustomFields({ tenantId: undefined, list: [{ targetType: 'USER', key: a }] }), { statusCode: 404 });
  refused(await other.getCustomData({ targetType: 'USER', targetIdentifier: u.userId }), { statusCode: 404 });

  refused(await mc.deleteCustomFields({ list: [{ targetType: 'USER', key: a }, { targetType: 'USER', key: 'missing_key' }] }),
    { statusCode: 404 });
  refused(await mc.deleteCustomFields({ list: [] }), { statusCode: 400 });
  refused(await mc.deleteCustomFields({ list: [{ targetType: 'PLANET', key: a }] }), { statusCode: 400 });
  refused(await mc.deleteCustomFields({ list: [{ targetType: 'USER', key: a }], tenantId: NOBODY }), { statusCode: 404 });
  let keys = (await fieldsOf('USER')).map(f => f.key);
  assert.ok(keys.includes(a) && keys.includes(b), 'nothing was removed');

  assert.deepEqual(data(await mc.deleteCustomFields({ list: [{ targetType: 'USER', key: a }, { targetType: 'USER', key: b }] })),
    { success: true });
  keys = (await fieldsOf('USER')).map(f => f.key);
  assert.ok(!keys.includes(a) && !keys.includes(b));
  assert.ok(!(await v2().udf.list('USER')).some(d => d.key === a));
  assert.equal(data(await mc.getCustomData({ targetType: 'USER', targetIdentifier: u.userId }))[a], undefined);
});

test('a tenant the caller names must be the pool\'s', async () => {
  const t = data(await mc.createTenant({ name: `udf-${rand(6)}`, appIds: [pool(P).appId] }));
  const list = data(await mc.getCustomFields({ targetType: 'USER', tenantId: t.tenantId }));
  assert.ok(Array.isArray(list));
  refused(await other.getCustomFields({ targetType: 'USER', tenantId: t.tenantId }), { statusCode: 404 });
  refused(await mc.getCustomFields({ targetType: 'USER', tenantId: NOBODY }), { statusCode: 404 });
  refused(await mc.getCustomFields({}), { statusCode: 400 });
});

test('getUserBaseFields / setUserBaseFields / listUserBaseFields: built-in fields, relabelled by the pool', async () => {
  const base = data(await mc.getUserBaseFields());
  const email = base.find(f => f.key === 'email');
  assert.deepEqual([email.dataType, email.isUnique, email.targetType], ['STRING', true, 'USER']);
  const nick = base.find(f => f.key === 'nickname');
  assert.equal(nick.isUnique, false);
  assert.equal(nick.label, '昵称');
  assert.equal(data(await v3(P, { lang: 'en-US' }).getUserBaseFields()).find(f => f.key === 'nickname').label,
    'Nickname');

  const set = data(await mc.setUserBaseFields({ list: [{ key: 'nickname', label: '花名' }] }));
  assert.equal(set.find(f => f.key === 'nickname').label, '花名');
  assert.equal(data(await mc.getUserBaseFields()).find(f => f.key === 'nickname').label, '花名');
  assert.ok(!(await v2().udf.list('USER')).some(d => d.key === 'nickname'), 'not a custom field');
  assert.ok(!data(await mc.getCustomFields({ targetType: 'USER' })).some(f => f.key === 'nickname'));
  // Another pool keeps its defaults.
  assert.equal(data(await other.getUserBaseFields()).find(f => f.key === 'nickname').label, '昵称');

  const found = data(await mc.listUserBaseFields({ targetType: 'USER', dataType: 'STRING', keyword: '花名' }));
  assert.deepEqual(found.list.map(f => f.key), ['nickname']);
  const p1 = data(await mc.listUserBaseFields({ targetType: 'USER', dataType: 'STRING', page: 1, limit: 5 }));
  assert.equal(p1.totalCount, base.length);
  assert.equal(p1.list.length, 5);
  assert.equal(data(await mc.listUserBaseFields({ targetType: 'ROLE', dataType: 'STRING' })).totalCount, 0);
  assert.equal(data(await mc.listUserBaseFields({ targetType: 'USER', dataType: 'NUMBER' })).totalCount, 0);

  // Bad input writes nothing.
  refused(await mc.setUserBaseFields({ list: [{ key: 'nickname', label: 'x' }, { key: 'shoeSize', label: 'y' }] }),
    { statusCode: 400 });
  refused(await mc.setUserBaseFields({ list: [{ key: 'email', label: 'x', userEditable: true }] }),
    { statusCode: 400, message: /userEditable/ });
  refused(await mc.setUserBaseFields({ list: [{ key: 'city', label: 'x', visibleInUserCenter: false }] }),
    { statusCode: 400, message: /visibleInUserCenter/ });
  refused(await mc.setUserBaseFields({ list: [] }), { statusCode: 400 });
  refused(await mc.setUserBaseFields({ list: [{ key: 'city', label: 'x'.repeat(5000) }] }), { statusCode: 400 });
  refused(await mc.listUserBaseFields({ targetType: 'USER', dataType: 'STRING', limit: 0 }), { statusCode: 400 });
  refused(await mc.listUserBaseFields({ targetType: 'USER' }), { statusCode: 400 });
  const now = data(await mc.getUserBaseFields());
  assert.equal(now.find(f => f.key === 'nickname').label, '花名');
  assert.equal(now.find(f => f.key === 'city').label, '城市');

  // An empty label restores the default.
  data(await mc.setUserBaseFields({ list: [{ key: 'nickname', label: '' }] }));
  assert.equal(data(await mc.getUserBaseFields()).find(f => f.key === 'nickname').label, '昵称');
});
