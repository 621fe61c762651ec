// Push login through authing-node-sdk@4.0.1's AuthenticationClient: the browser asks for a
// push to an account (signInByPush), the harness's push webhook receives it (the operator's
// push gateway in a deployment), the user's signed-in app answers it with their token
// (changePushCodeStatus / setPushCodeStatus) and may ask which application it is for
// (getPushLoginRelationApps), and the browser's poll (checkPushCodeStatus) collects the
// token set once — a login with every rule of the one core login.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TESSERA_URL, mailboxSeq, pool, pushesSince, sleep, uniqueEmail, uniqueUsername, waitPush } from './helpers.mjs';
import { data, refused, v3, v3Auth } from './v3-helpers.mjs';

const P = 'v3Push';
const PASSWORD = 'Passw0rd!push';

async function signedInApp(poolName = P) {
  const email = uniqueEmail('push');
  const user = data(await v3Auth(poolName).signUpByEmailPassword({ email, password: PASSWORD }));
  const t = data(await v3Auth(poolName).signInByEmailPassword({ email, password: PASSWORD }));
  const app = v3Auth(poolName);
  app.setAccessToken(t.access_token);
  return { app, user, email };
}

/** A user known by a username only, signed in to their app. */
async function usernameUserApp() {
  const username = uniqueUsername('push');
  const user = data(await v3Auth(P).signUp({ connection: 'PASSWORD', passwordPayload: { username, password: PASSWORD } }));
  const t = data(await v3Auth(P).signInByUsernamePassword({ username, password: PASSWORD }));
  const app = v3Auth(P);
  app.setAccessToken(t.access_token);
  return { app, user, username };
}

function decode(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('a push reaches the user\'s app, the app confirms it, the browser collects the tokens once', async () => {
  const browser = v3Auth(P);
  const { app, user, username } = await usernameUserApp();
  const since = await mailboxSeq();
  const before = Date.now();
  const code = data(await browser.signInByPush({ account: username, options: { scope: 'openid profile' } }));
  assert.equal(typeof code.pushCodeId, 'string');
  assert.ok(code.pushCodeId.length >= 32);
  assert.equal(typeof code.expireTime, 'number');
  assert.ok(code.expireTime > before + 60_000 && code.expireTime <= Date.now() + 2 * 60_000);

  const push = await waitPush(user.userId, since);
  assert.equal(push.pushCodeId, code.pushCodeId);
  assert.equal(push.userPoolId, pool(P).userPoolId);
  assert.equal(push.appId, pool(P).appId);
  assert.equal(push.expireTime, code.expireTime);
  assert.ok(push.clientIp);
  assert.ok(push.userAgent);

  assert.deepEqual(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })), { status: 'PUSHED' });

  // The app asks which application the push is for.
  assert.deepEqual(
    data(await app.getPushLoginRelationApps({ appId: pool(P).appId, pushCodeId: push.pushCodeId })),
    { appIds: [pool(P).appId] },
  );

  // Another signed-in user can neither answer the push nor read it; nobody can without a token.
  const other = await signedInApp();
  refused(await other.app.changePushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CONFIRM' }), { statusCode: 404 });
  refused(await other.app.setPushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CANCEL' }), { statusCode: 404 });
  refused(await other.app.getPushLoginRelationApps({ appId: pool(P).appId, pushCodeId: push.pushCodeId }), { statusCode: 404 });
  refused(await v3Auth(P).setPushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CONFIRM' }), { statusCode: 401 });
  assert.equal(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })).status, 'PUSHED');

  assert.deepEqual(data(await app.setPushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CONFIRM' })), { success: true });
  // One answer only.
  refused(await app.changePushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CANCEL' }), { statusCode: 400 });

  const done = data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId }));
  assert.equal(done.status, 'AUTHORIZED');
  assert.ok(done.tokenSet, 'the first poll after the confirmation carries the token set');
  assert.equal(decode(done.tokenSet.access_token).sub, user.userId);
  assert.equal(done.tokenSet.token_type, 'Bearer');
  assert.equal(typeof done.tokenSet.expire_in, 'number');
  assert.match(done.tokenSet.scope, /profile/);
  const id = await browser.parseIDToken(done.tokenSet.id_token);
  assert.equal(id.sub, user.userId);
  assert.deepEqual(decode(done.tokenSet.id_token).amr, ['mca']);
  // The token works as the user's.
  const me = v3Auth(P);
  me.setAccessToken(done.tokenSet.access_token);
  assert.equal(data(await me.getProfile({})).userId, user.userId);

  const again = data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId }));
  assert.deepEqual(again, { status: 'AUTHORIZED' }, 'the token set is handed out once');
});

test('cancel: the browser sees CANCELLED and no tokens; a later confirmation is refused', async () => {
  const browser = v3Auth(P);
  const { app, user, email } = await signedInApp();
  const since = await mailboxSeq();
  const code = data(await browser.signInByPush({ account: email }));
  const push = await waitPush(user.userId, since);
  data(await app.changePushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CANCEL' }));
  assert.deepEqual(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })), { status: 'CANCELLED' });
  refused(await app.setPushCodeStatus({ pushCodeId: push.pushCodeId, action: 'CONFIRM' }), { statusCode: 400 });
  assert.deepEqual(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })), { status: 'CANCELLED' });
});

test('an unknown account gets the same answer and no push; nobody can answer its code', async () => {
  const browser = v3Auth(P);
  const { app } = await signedInApp();
  const since = await mailboxSeq();
  const code = data(await browser.signInByPush({ account: uniqueEmail('nobody') }));
  assert.deepEqual(Object.keys(code).sort(), ['expireTime', 'pushCodeId']);
  assert.ok(code.pushCodeId.length >= 32);
  assert.equal(typeof code.expireTime, 'number');
  assert.deepEqual(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })), { status: 'PUSHED' });
  refused(await app.setPushCodeStatus({ pushCodeId: code.pushCodeId, action: 'CONFIRM' }), { statusCode: 404 });
  await sleep(300);
  const pushes = await pushesSince(since);
  assert.ok(!pushes.some(p => p.pushCodeId === code.pushCodeId), 'no push for an unknown account');
  // A known account's answer has the same shape.
  const known = await signedInApp();
  const k = data(await browser.signInByPush({ account: known.email }));
  assert.deepEqual(Object.keys(k).sort(), ['expireTime', 'pushCodeId']);
});

test('a user blocked between the confirmation and the poll gets no tokens', async () => {
  const browser = v3Auth(P);
  const { app, user, email } = await signedInApp();
  const since = await mailboxSeq();
  const code = data(await browser.signInByPush({ account: email }));
  await waitPush(user.userId, since);
  data(await app.changePushCodeStatus({ pushCodeId: code.pushCodeId, action: 'CONFIRM' }));
  data(await v3(P).updateUser({ userId: user.userId, status: 'Suspended' }));
  const r = refused(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId }));
  assert.equal(r.data?.tokenSet, undefined);
  // Spent: no later poll logs in either.
  assert.deepEqual(data(await browser.checkPushCodeStatus({ pushCodeId: code.pushCodeId })), { status: 'AUTHORIZED' });
});

test('unknown codes, another pool, bad input, and a language', async () => {
  const browser = v3Auth(P);
  const { app, email } = await signedInApp();
  refused(await browser.checkPushCodeStatus({ pushCodeId: 'no-such-code' }), { statusCode: 404 });
  const code = data(await browser.signInByPush({ account: email }));
  refused(await v3Auth('main').checkPushCodeStatus({ pushCodeId: code.pushCodeId }), { statusCode: 404 });
  refused(await app.changePushCodeStatus({ pushCodeId: code.pushCodeId, action: 'SCAN' }), { statusCode: 400 });
  refused(await app.getPushLoginRelationApps({ appId: 'no-such-app', pushCodeId: code.pushCodeId }));
  refused(await browser.signInByPush({ account: '' }), { statusCode: 400 });
  refused(await browser.signInByPush({}), { statusCode: 400 });
  refused(await browser.signInByPush({ account: email, options: { customData: { school: 'x' } } }), { statusCode: 400 });

  const res = await fetch(`${TESSERA_URL}/api/v3/check-pushcode-status?pushCodeId=nope`, {
    headers: { 'x-authing-app-id': pool(P).appId, 'x-authing-lang': 'en-US' },
  });
  const en = await res.json();
  refused(en, { statusCode: 404, message: /[Pp]ush code/ });
  const zh = refused(await browser.checkPushCodeStatus({ pushCodeId: 'nope' }), { statusCode: 404 });
  assert.match(zh.message, /推送码/);
});

test('push requests count for the pool\'s login guard', async () => {
  const G = 'v3PushGuard';
  const browser = v3Auth(G);
  const { email } = await signedInApp(G);
  data(await browser.signInByPush({ account: email }));
  data(await browser.signInByPush({ account: email }));
  refused(await browser.signInByPush({ account: email }));
  // An unknown account is counted alike.
  const nobody = uniqueEmail('nobody');
  data(await browser.signInByPush({ account: nobody }));
  data(await browser.signInByPush({ account: nobody }));
  refused(await browser.signInByPush({ account: nobody }));
});
