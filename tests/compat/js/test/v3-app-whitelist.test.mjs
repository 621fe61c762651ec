// v3 per-application registration whitelists through authing-node-sdk@4.0.1
// (addWhitelistOfApp, listWhitelistsOfApp, deleteWhitelistOfApp), proven by their effect on
// v2 registrations made through the application (`AuthenticationClient` with its appId).
// The rule: an application whose list of a type has entries admits only those values to
// register through it, on top of the pool's list when the pool's switch is on; another
// application, or a list emptied, leaves the pool's rule alone. Pool 'v3AppWhitelist';
// 'v3Sign' is only used to show another pool reaches nothing here and is never written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, client, cnPhone, mgmt, pool, rand, rejectsWith, smsCode, uniqueEmail, uniqueUsername,
} from './helpers.mjs';
import { v3, data, refused } from './v3-helpers.mjs';

const P = 'v3AppWhitelist';
const mc = v3(P);
const APP = pool(P).appId;
/** The registration whitelist refusal (`Error::NotWhitelisted`). */
const NOT_WHITELISTED = 2031;

const values = async (type, appId = APP) =>
  data(await mc.listWhitelistsOfApp({ appId, type })).map(e => e.value);

/** An AuthenticationClient of the pool going through application `appId`. */
const through = appId => client(P, { appId });

test('app whitelist: entries round-trip, kept apart from the pool list and by type', async () => {
  const a = uniqueEmail('awl-rt-a');
  const b = uniqueEmail('awl-rt-b');
  const added = data(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [a, b] }));
  assert.ok(Array.isArray(added));
  for (const v of [a, b]) {
    const e = added.find(x => x.value === v);
    assert.ok(e, `${v} in the answer`);
    assert.ok(!Number.isNaN(Date.parse(e.createdAt)), `createdAt is a date: ${e.createdAt}`);
  }
  // The same address in another case is the same entry.
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [a.toUpperCase()] }));
  const listed = await values('EMAIL');
  assert.equal(listed.filter(v => v.toLowerCase() === a).length, 1);
  assert.ok(listed.includes(b));
  // Neither the pool's list (either wire) nor the app's other types hold them.
  assert.ok(!data(await mc.listWhitelists({ type: 'EMAIL' })).some(e => e.value === a));
  assert.ok(!(await mgmt(P).whitelist.list('EMAIL')).some(e => e.value === a));
  assert.deepEqual(await values('USERNAME'), []);
  // Delete by value, in any case; the answer is {success}.
  const del = data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [a.toUpperCase(), b] }));
  assert.equal(del.success, true);
  const after = await values('EMAIL');
  assert.ok(!after.includes(a) && !after.includes(b));
});

test('app whitelist: a non-empty list decides registration through the app, and only that app', async () => {
  const l1 = uniqueEmail('awl-l1');
  const l2 = uniqueEmail('awl-l2');
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [l1, l2] }));
  await rejectsWith(through(APP).registerByEmail(uniqueEmail('awl-stranger'), PASSWORD), NOT_WHITELISTED, 'not listed');
  const u = await through(APP).registerByEmail(l1.toUpperCase(), PASSWORD);
  assert.ok(u.id, 'a listed email registers (any case)');

  // Another application of the pool has no list: the pool's rule (switch off) applies.
  const other = data(await mc.createApplication({ appName: `awl-${rand(6)}`, appIdentifier: `awl-${rand(10)}` }));
  const free = uniqueEmail('awl-other-app');
  assert.ok((await through(other.appId).registerByEmail(free, PASSWORD)).id);

  // Deleting l2 while l1 stays: the list is still non-empty, so l2 is now refused.
  data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [l2] }));
  await rejectsWith(through(APP).registerByEmail(l2, PASSWORD), NOT_WHITELISTED, 'removed from a non-empty list');
  // Deleting the last entry lifts the app's restriction: l2 registers now.
  data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [l1] }));
  assert.deepEqual(await values('EMAIL'), []);
  assert.ok((await through(APP).registerByEmail(l2, PASSWORD)).id, 'an empty list restricts nothing');
});

test("app whitelist: the pool's switched-on list applies as well", async () => {
  const x = uniqueEmail('awl-both');
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [x] }));
  const v2 = mgmt(P);
  await v2.userpool.update({ whitelist: { emailEnabled: true } });
  try {
    await rejectsWith(through(APP).registerByEmail(x, PASSWORD), NOT_WHITELISTED, "on the app's list only");
    data(await mc.addWhitelist({ type: 'EMAIL', list: [x] }));
    assert.ok((await through(APP).registerByEmail(x, PASSWORD)).id, 'on both lists');
  } finally {
    await v2.userpool.update({ whitelist: { emailEnabled: false } });
    data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [x] }));
    data(await mc.deleteWhitelist({ type: 'EMAIL', list: [x] }));
  }
});

test('app whitelist: usernames are a list of their own', async () => {
  const name = uniqueUsername('awl');
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'USERNAME', list: [name] }));
  try {
    await rejectsWith(through(APP).registerByUsername(uniqueUsername('awlno'), PASSWORD), NOT_WHITELISTED);
    assert.ok((await through(APP).registerByUsername(name, PASSWORD)).id);
    // The username list does not restrict registrations by email.
    assert.ok((await through(APP).registerByEmail(uniqueEmail('awl-by-email'), PASSWORD)).id);
  } finally {
    data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'USERNAME', list: [name] }));
  }
  assert.deepEqual(await values('USERNAME'), []);
});

test('app whitelist: a phone-code login that would create a user obeys the phone list', async () => {
  const listed = cnPhone();
  const stranger = cnPhone();
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'PHONE', list: [listed] }));
  try {
    const c = through(APP);
    await rejectsWith(c.loginByPhoneCode(stranger, await smsCode(c, stranger)), NOT_WHITELISTED, 'not listed');
    const u = await c.loginByPhoneCode(listed, await smsCode(c, listed));
    assert.equal(u.phone, listed);
  } finally {
    data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'PHONE', list: [listed] }));
  }
  assert.deepEqual(await values('PHONE'), []);
});

test('app whitelist: bad inputs and other pools are refused and write nothing', async () => {
  const v = uniqueEmail('awl-bad');
  const foreignApp = pool('v3Sign').appId;
  const bad = [
    // unknown enum value, missing or mistyped fields
    () => mc.addWhitelistOfApp({ appId: APP, type: 'FAX', list: [v] }),
    () => mc.addWhitelistOfApp({ appId: APP, type: 'email', list: [v] }),
    () => mc.addWhitelistOfApp({ type: 'EMAIL', list: [v] }),
    () => mc.addWhitelistOfApp({ appId: APP, list: [v] }),
    () => mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL' }),
    () => mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: v }),
    () => mc.addWhitelistOfApp({ appId: 42, type: 'EMAIL', list: [v] }),
    () => mc.listWhitelistsOfApp({ type: 'EMAIL' }),
    () => mc.listWhitelistsOfApp({ appId: APP }),
    () => mc.listWhitelistsOfApp({ appId: APP, type: 'FAX' }),
    () => mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL' }),
    () => mc.deleteWhitelistOfApp({ type: 'EMAIL', list: [v] }),
  ];
  for (const call of bad) refused(await call(), { statusCode: 400 });
  // One invalid value refuses the whole add.
  refused(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [v, 'not-an-email'] }));
  assert.ok(!(await values('EMAIL')).includes(v), 'all or nothing');

  // Unknown and foreign applications: not found (AppNotFound), nothing written.
  for (const appId of ['no-such-app', foreignApp]) {
    refused(await mc.addWhitelistOfApp({ appId, type: 'EMAIL', list: [v] }), { statusCode: 404, apiCode: 2011 });
    refused(await mc.listWhitelistsOfApp({ appId, type: 'EMAIL' }), { statusCode: 404, apiCode: 2011 });
    refused(await mc.deleteWhitelistOfApp({ appId, type: 'EMAIL', list: [v] }), { statusCode: 404, apiCode: 2011 });
  }
  // Another pool's administrator reaches nothing of this pool's application.
  const x = uniqueEmail('awl-kept');
  data(await mc.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [x] }));
  try {
    const otherPool = v3('v3Sign');
    refused(await otherPool.addWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [v] }), { statusCode: 404 });
    refused(await otherPool.listWhitelistsOfApp({ appId: APP, type: 'EMAIL' }), { statusCode: 404 });
    refused(await otherPool.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [x] }), { statusCode: 404 });
    const now = await values('EMAIL');
    assert.ok(now.includes(x), 'not deleted by another pool');
    assert.ok(!now.includes(v), 'not added by another pool');
  } finally {
    data(await mc.deleteWhitelistOfApp({ appId: APP, type: 'EMAIL', list: [x] }));
  }
  assert.deepEqual(await values('EMAIL'), []);
});
