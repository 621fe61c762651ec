// The event center through authing-node-sdk@4.0.1 (issue 14): the ManagementClient's Events
// family (createEventApp, listEventApps, defineEvent, listEvents, verifyEvent, pubUserEvent,
// pub) and both clients' `sub` over the websocket at `socketUri` — a ManagementClient's
// subscription receives every event of the type in its pool, an AuthenticationClient's the
// events its user published and the administrators', never another user's; an undefined
// type is `success: false`; bad signatures and tokens are refused before the upgrade.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { TESSERA_URL, pool, rand, sleep, uniqueEmail } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const P = 'v3Events';
const P2 = 'v3Events2';
const PASSWORD = 'Passw0rd!events';
const SOCKET_URI = TESSERA_URL.replace(/^http/, 'ws');

/** Every client that opened a socket, closed at the end (an open socket keeps node alive). */
const opened = [];
after(() => {
  for (const c of opened) {
    // No reconnection when the test closes it.
    c.options.retryTimes = 0;
    for (const { socket } of Object.values(c.wsMap)) socket.terminate();
  }
});

function mgmt(poolName = P, extra = {}) {
  const c = v3(poolName, { socketUri: SOCKET_URI, ...extra });
  opened.push(c);
  return c;
}

async function signedIn(poolName = P) {
  const email = uniqueEmail('ev');
  data(await v3Auth(poolName).signUpByEmailPassword({ email, password: PASSWORD }));
  const t = data(await v3Auth(poolName).signInByEmailPassword({ email, password: PASSWORD }));
  const c = v3Auth(poolName, { socketUri: SOCKET_URI, accessToken: t.access_token });
  c.setAccessToken(t.access_token);
  opened.push(c);
  return { client: c, token: t.access_token };
}

/** Subscribes and waits until the socket is open (the SDK's `sub` returns at once). */
async function subscribe(client, eventType) {
  const got = [];
  const errors = [];
  client.sub(eventType, msg => got.push(msg), e => errors.push(e));
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const s = client.wsMap[eventType]?.socket;
    if (s?.readyState === WebSocket.OPEN) return { got, errors };
    if (errors.length) break;
    await sleep(20);
  }
  throw new Error(`subscription to ${eventType} did not open: ${errors}`);
}

/** Waits until `box` holds `n` messages (and a little longer, to see nothing more comes). */
async function received(box, n) {
  const until = Date.now() + 5000;
  while (box.got.length < n && Date.now() < until) await sleep(25);
  await sleep(300);
  return [...box.got];
}

/** The HTTP status a raw websocket open is answered with (or 101 when it opens). */
function openStatus(url, headers = {}) {
  return new Promise(resolve => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.terminate(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode); res.resume(); });
    ws.on('error', () => resolve(0));
  });
}

const app = `app${rand(6).toLowerCase()}`;
const ORDER = `${app}.order.created`;

test('event apps and event types: created, listed, defined under an existing app only', async () => {
  const mc = mgmt();
  data(await mc.createEventApp({ identifier: app, name: 'Shop', logo: 'https://example.com/shop.png' }));
  refused(await mc.createEventApp({ identifier: app, name: 'Again', logo: '' }), { statusCode: 409 });
  refused(await mc.createEventApp({ identifier: 'authing', name: 'Mine', logo: '' }), { statusCode: 400 });
  refused(await mc.createEventApp({ identifier: 'has space', name: 'X', logo: '' }), { statusCode: 400 });
  const apps = data(await mc.listEventApps());
  const mine = apps.list.find(a => a.identifier === app);
  assert.deepEqual(mine, { identifier: app, name: 'Shop', logo: 'https://example.com/shop.png' });
  assert.equal(apps.totalCount, apps.list.length);

  data(await mc.defineEvent({ eventType: ORDER, eventDescription: 'An order was created' }));
  data(await mc.defineEvent({ eventType: `${app}.order.paid`, eventDescription: 'An order was paid' }));
  refused(await mc.defineEvent({ eventType: ORDER, eventDescription: 'again' }), { statusCode: 409 });
  const en = mgmt(P, { lang: 'en-US' });
  const missing = refused(await en.defineEvent({ eventType: 'nosuchapp.x', eventDescription: 'x' }), { statusCode: 404 });
  assert.match(missing.message, /event app/);
  refused(await mc.defineEvent({ eventType: app, eventDescription: 'no name' }), { statusCode: 400 });

  const page = data(await mc.listEvents({ app, page: 1, limit: 1 }));
  assert.equal(page.totalCount, 2);
  assert.equal(page.list.length, 1);
  const all = data(await mc.listEvents({ app, limit: 10 }));
  const created = all.list.find(e => e.code === ORDER);
  assert.equal(created.topic, ORDER);
  assert.equal(created.desc, 'An order was created');
  assert.equal(created.name, 'An order was created');
  assert.equal(typeof created.id, 'string');
  // Another pool sees none of them.
  assert.equal(data(await mgmt(P2).listEvents({ app })).totalCount, 0);
});

test('subscribers receive what is published after they subscribed; a user never reads another user\'s', async () => {
  const admin = mgmt();
  const alice = await signedIn();
  const bob = await signedIn();

  // Before anyone subscribed: delivered to nobody.
  assert.deepEqual(data(await admin.pub(ORDER, 'before')), { success: true });

  const adminBox = await subscribe(mgmt(), ORDER);
  const aliceBox = await subscribe(alice.client, ORDER);
  const bobBox = await subscribe(bob.client, ORDER);

  assert.deepEqual(data(await alice.client.pub(ORDER, 'alice-1')), { success: true });
  assert.deepEqual(data(await bob.client.pub(ORDER, 'bob-1')), { success: true });
  assert.deepEqual(data(await admin.pub(ORDER, 'admin-pub')), { success: true });
  assert.deepEqual(data(await admin.verifyEvent({ eventType: ORDER, eventData: { id: 7, name: '张三' } })), { success: true });
  assert.deepEqual(data(await admin.pubUserEvent({ eventType: ORDER, eventData: 'admin-user-event' })), { success: true });
  // Another type of the same app reaches no subscriber of this one.
  assert.deepEqual(data(await admin.pub(`${app}.order.paid`, 'paid')), { success: true });

  const everything = ['alice-1', 'bob-1', 'admin-pub', '{"id":7,"name":"张三"}', 'admin-user-event'];
  assert.deepEqual(await received(adminBox, 5), everything);
  assert.deepEqual(await received(aliceBox, 4), ['alice-1', 'admin-pub', '{"id":7,"name":"张三"}', 'admin-user-event']);
  assert.deepEqual(await received(bobBox, 4), ['bob-1', 'admin-pub', '{"id":7,"name":"张三"}', 'admin-user-event']);
  assert.deepEqual([...adminBox.errors, ...aliceBox.errors, ...bobBox.errors], []);
});

test('an undefined event type is success false, worded in the caller\'s language, and delivered to nobody', async () => {
  const zh = data(await mgmt().pub(`${app}.nothing`, 'x'));
  assert.deepEqual(zh, { success: false, errMsg: '事件未定义' });
  const en = data(await mgmt(P, { lang: 'en-US' }).verifyEvent({ eventType: 'nosuchapp.thing', eventData: {} }));
  assert.deepEqual(en, { success: false, errMsg: 'Event is not defined' });
  const { client } = await signedIn();
  assert.equal(data(await client.pub(`${app}.nothing`, 'x')).success, false);
  // A type defined in one pool is undefined in another.
  assert.equal(data(await mgmt(P2).pub(ORDER, 'x')).success, false);
  // Missing pieces are refusals, not publications.
  refused(await mgmt().verifyEvent({ eventType: ORDER }), { statusCode: 400 });
});

test('a user publishes at most 60 events a minute (zh-CN and en-US refusals, statusCode 429); other users and the administrator go on', async () => {
  const TICK = `${app}.tick`;
  data(await mgmt().defineEvent({ eventType: TICK, eventDescription: 'ticks' }));
  const { client, token } = await signedIn();
  const box = await subscribe(mgmt(), TICK);
  for (let i = 0; i < 60; i++) {
    assert.deepEqual(data(await client.pub(TICK, `t${i}`)), { success: true });
  }
  refused(await client.pub(TICK, 'one too many'), { statusCode: 429, message: /事件发布过于频繁/ });
  // The AuthenticationClient sends no language header; a caller that does gets English.
  const en = await (await fetch(`${TESSERA_URL}/api/v3/pub-userEvent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token, 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' },
    body: JSON.stringify({ eventType: TICK, eventData: 'one too many' })
  })).json();
  refused(en, { statusCode: 429, message: /Too many events published/ });
  // Nothing of the refused ones was delivered.
  assert.equal((await received(box, 60)).length, 60);
  assert.ok(!box.got.includes('one too many'));
  const bob = await signedIn();
  assert.deepEqual(data(await bob.client.pub(TICK, 'bob')), { success: true });
  assert.deepEqual(data(await mgmt().pub(TICK, 'admin')), { success: true });
});

test('pools are apart: the same type defined in two pools reaches only its own pool\'s subscribers', async () => {
  const other = mgmt(P2);
  data(await other.createEventApp({ identifier: app, name: 'Shop 2', logo: '' }));
  data(await other.defineEvent({ eventType: ORDER, eventDescription: 'the other pool\'s' }));
  const here = await subscribe(mgmt(), ORDER);
  const there = await subscribe(mgmt(P2), ORDER);
  const otherUser = await signedIn(P2);
  const thereUser = await subscribe(otherUser.client, ORDER);
  data(await other.pub(ORDER, 'pool-2'));
  data(await mgmt().pub(ORDER, 'pool-1'));
  assert.deepEqual(await received(there, 1), ['pool-2']);
  assert.deepEqual(await received(thereUser, 1), ['pool-2']);
  assert.deepEqual(await received(here, 1), ['pool-1']);
});

test('bad credentials and unknown types are refused before the upgrade', async () => {
  const p = pool(P);
  const mgmtUrl = `${SOCKET_URI}/events/v1/management/sub?code=${ORDER}`;
  // The SDK's own refusal path: a wrong secret, no retries.
  const wrong = v3(P, { socketUri: SOCKET_URI, accessKeySecret: 'not-the-secret', retryTimes: 0 });
  opened.push(wrong);
  const errs = [];
  wrong.sub(ORDER, () => assert.fail('no message expected'), e => errs.push(String(e)));
  const until = Date.now() + 5000;
  while (!errs.length && Date.now() < until) await sleep(20);
  assert.equal(errs.length, 1);
  assert.match(errs[0], /socket/);

  assert.equal(await openStatus(mgmtUrl), 401, 'no authorization');
  assert.equal(await openStatus(mgmtUrl, { authorization: `authing ${p.userPoolId}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=` }), 401);
  // Another pool's key signs for the other pool, where the type is another pool's.
  const p2 = pool(P2);
  const { createHmac } = await import('node:crypto');
  const sig = (secret) => createHmac('sha1', secret).update('websocket\n').digest('base64');
  assert.equal(await openStatus(mgmtUrl, { authorization: `authing ${p.userPoolId}:${sig(p2.secret)}` }), 401);
  assert.equal(await openStatus(mgmtUrl, { authorization: `authing ${p.userPoolId}:${sig(p.secret)}` }), 101);
  assert.equal(await openStatus(mgmtUrl, { authorization: `authing ${p.accessKeyId}:${sig(p.accessKeySecret)}` }), 101);
  assert.equal(
    await openStatus(`${SOCKET_URI}/events/v1/management/sub?code=${app}.undefined`, { authorization: `authing ${p.userPoolId}:${sig(p.secret)}` }),
    400,
  );

  const { token } = await signedIn();
  const authUrl = t => `${SOCKET_URI}/events/v1/authentication/sub?code=${ORDER}&token=${t}`;
  assert.equal(await openStatus(authUrl(token)), 101);
  assert.equal(await openStatus(authUrl('undefined')), 401);
  assert.equal(await openStatus(authUrl(`${token.slice(0, -4)}AAAA`)), 401, 'a forged token');
  assert.equal(await openStatus(`${SOCKET_URI}/events/v1/authentication/sub?code=${app}.undefined&token=${token}`), 400);

  // A plain GET without the upgrade is a 400 with the envelope, never a 5xx.
  const r = await fetch(`${TESSERA_URL}/events/v1/authentication/sub?code=${ORDER}&token=${token}`, { headers: { 'x-authing-lang': 'en-US' } });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.statusCode, 400);
});

test('a kicked user\'s token opens no subscription', async () => {
  const email = uniqueEmail('evk');
  const user = data(await v3Auth(P).signUpByEmailPassword({ email, password: PASSWORD }));
  const t = data(await v3Auth(P).signInByEmailPassword({ email, password: PASSWORD }));
  const url = `${SOCKET_URI}/events/v1/authentication/sub?code=${ORDER}&token=${t.access_token}`;
  assert.equal(await openStatus(url), 101);
  data(await v3(P).kickUsers({ userId: user.userId, appIds: [pool(P).appId] }));
  assert.equal(await openStatus(url), 401);
  // Nor publishes.
  const c = v3Auth(P);
  c.setAccessToken(t.access_token);
  refused(await c.pub(ORDER, 'x'), { statusCode: 401 });
});
