// User-defined data: getUdfValue / setUdfValue / removeUdfValue and setUdv / removeUdv,
// against the main pool's definitions school:STRING(学校), age:NUMBER, source:STRING,
// birthday:DATETIME, meta:OBJECT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, rand, rejectsWith, newEmailUser } from './helpers.mjs';

test('setUdfValue({school, age}) then getUdfValue() → the seed example', async () => {
  const { client: c } = await newEmailUser();
  const res = await c.setUdfValue({ school: '华中科技大学', age: 20 });
  assert.ok(Array.isArray(res), 'setUdvBatch returns the list');
  assert.deepEqual(await c.getUdfValue(), { school: '华中科技大学', age: 20 });
});

test('removeUdfValue("school") removes only that key', async () => {
  const { client: c } = await newEmailUser();
  await c.setUdfValue({ school: '华中科技大学', age: 20 });
  const r = await c.removeUdfValue('school');
  assert.equal(r, undefined);
  assert.deepEqual(await c.getUdfValue(), { age: 20 });
});

test('getUdfValue of a user without data → {}', async () => {
  const { client: c } = await newEmailUser();
  assert.deepEqual(await c.getUdfValue(), {});
});

test('setUdv(key, value) returns the UDV list; removeUdv(key) too', async () => {
  const { client: c } = await newEmailUser();
  const list = await c.setUdv('school', 'ucla');
  assert.deepEqual(list, [{ dataType: 'STRING', value: 'ucla', key: 'school', label: '学校' }]);
  const list2 = await c.setUdv('age', 21);
  const age = list2.find(u => u.key === 'age');
  assert.equal(age.dataType, 'NUMBER');
  assert.equal(age.value, 21);
  assert.equal(list2.length, 2);
  const after = await c.removeUdv('school');
  assert.deepEqual(after.map(u => u.key), ['age']);
  const empty = await c.removeUdv('age');
  assert.deepEqual(empty, []);
});

test('UDV types: OBJECT round-trips, DATETIME comes back as a Date', async () => {
  const { client: c } = await newEmailUser();
  const list = await c.setUdv('meta', { a: 1, b: ['x'] });
  assert.deepEqual(list.find(u => u.key === 'meta').value, { a: 1, b: ['x'] });
  const when = new Date('2021-05-01T08:00:00.000Z');
  const list2 = await c.setUdv('birthday', when);
  const b = list2.find(u => u.key === 'birthday');
  assert.equal(b.dataType, 'DATETIME');
  assert.ok(b.value instanceof Date);
  assert.equal(b.value.getTime(), when.getTime());
  const all = await c.getUdfValue();
  assert.deepEqual(all.meta, { a: 1, b: ['x'] });
  assert.equal(all.birthday.getTime(), when.getTime());
});

test('setUdv with an undefined key → error', async () => {
  const { client: c } = await newEmailUser();
  await rejectsWith(c.setUdv(`undefined_${rand(10)}`, '123'), 'numeric');
  await rejectsWith(c.setUdfValue({ [`nope_${rand(6)}`]: 1 }), 'numeric');
});

test('a value of the wrong type for its field → error', async () => {
  const { client: c } = await newEmailUser();
  await rejectsWith(c.setUdfValue({ age: 'twenty' }), 'numeric');
  await rejectsWith(c.setUdv('meta', 'not an object'), 'numeric');
});

test('UDV calls without a token are refused', async () => {
  await assert.rejects(client().getUdfValue());
});
