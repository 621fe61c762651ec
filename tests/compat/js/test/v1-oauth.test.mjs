// The legacy SDK's OIDC REST calls (`authing-js-sdk@3.22.3`, seed 002, `v1-legacy-wire.md`
// §8: loginByOidc, refreshOidcToken, authingTokenToOidcToken sent to `baseUrl`) and its
// oauth endpoint's operations (§9: loginByAd, loginByLDAP, getAuthedAppList,
// revokeAuthedApp), against a live Tessera through the SDK from npm.
//
// The SDK keeps one user token per pool for the process, and `loginByOidc` /
// `refreshOidcToken` store theirs in the "default" pool slot (the pool constructed first):
// the other pool is constructed before `v1Oauth` so that the default is `v1Oauth`, and the
// tests set the user token themselves where the caller matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mgmt, pool, rand, TESSERA_URL, PASSWORD, uniqueEmail, uniqueUsername, cnPhone, rememberSecrets } from './helpers.mjs';
import { v1, v1Rejects, v1Raw } from './v1-helpers.mjs';

const CB = 'https://rp.example/v1-cb';
const AUTHING_TOKEN_GRANT = 'http://authing.cn/oidc/grant_type/authing_token';

const other = await v1('v1Other');
const auth = await v1('v1Oauth');
const mc = mgmt('v1Oauth');
const app = await mc.applications.create({
  name: `v1-rp-${rand(6)}`,
  identifier: `v1-rp-${rand(10)}`,
  redirectUris: [CB],
  grantTypes: ['authorization_code', 'refresh_token', 'password', AUTHING_TOKEN_GRANT],
  responseTypes: ['code'],
});
const creds = { client_id: app.id, client_secret: app.secret };

/** A user of `v1Oauth` with an email, a username and a phone, created by the admin. */
async function newUser() {
  const u = { email: uniqueEmail('v1o'), username: uniqueUsername('v1o'), phone: cnPhone() };
  const created = await mc.users.create({ ...u, password: PASSWORD });
  return { ...u, id: created.id };
}

/** What the SDK's axios rejected with: the HTTP status and the OAuth error body. */
async function oauthRejects(promise, status, error, note = '') {
  let value;
  try {
    value = await promise;
  } catch (e) {
    // authingTokenToOidcToken rejects with the body itself; the others with axios' error.
    const res = e?.response;
    const body = res ? res.data : e;
    if (res) assert.equal(res.status, status, `${note} status: ${JSON.stringify(body)}`);
    assert.equal(body?.error, error, `${note} ${JSON.stringify(body)}`);
    assert.equal(typeof body.error_description, 'string', note);
    return body;
  }
  assert.fail(`${note} expected ${error}, got ${JSON.stringify(value)?.slice(0, 300)}`);
}

const post = (path, form) =>
  fetch(`${TESSERA_URL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

/** A browser for the hosted login and consent pages: a cookie jar, manual redirects. */
class Browser {
  constructor() {
    this.jar = new Map();
    this.consented = 0;
  }
  async go(url, init = {}) {
    const abs = url.startsWith('/') ? `${TESSERA_URL}${url}` : url;
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(abs, { redirect: 'manual', ...init, headers: { ...(init.headers || {}), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      if (/Max-Age=0/.test(c)) this.jar.delete(kv.slice(0, i));
      else this.jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  }
  post(url, form) {
    return this.go(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
  /** Follows an authorization request (login, consent when asked) to the redirect URI. */
  async authorize(url, account) {
    let res = await this.go(url);
    for (let step = 0; step < 6; step++) {
      const loc = res.headers.get('location');
      if (loc && loc.startsWith(CB)) return Object.fromEntries(new URL(loc).searchParams);
      let page;
      if (res.status === 303) {
        this.at = loc;
        page = await this.go(loc);
        if (page.status === 303) {
          res = page;
          continue;
        }
      } else {
        page = res;
      }
      assert.equal(page.status, 200, `a hosted page at ${this.at}`);
      const html = await page.text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)[1];
      if (html.includes('name="password"')) {
        res = await this.post(`${this.at}/login`, { csrf, mode: 'password', account, password: PASSWORD });
      } else {
        assert.match(html, /name="decision"/);
        this.consented += 1;
        res = await this.post(`${this.at}/confirm`, { csrf, decision: 'allow' });
      }
    }
    throw new Error('no answer from the authorization endpoint');
  }
}

/** An authorization-code flow with consent, through the hosted pages; the token set. */
async function codeFlow(browser, user) {
  const url =
    `${TESSERA_URL}/oidc/auth?` +
    new URLSearchParams({
      client_id: app.id,
      redirect_uri: CB,
      response_type: 'code',
      scope: 'openid profile email offline_access',
      state: rand(8),
      nonce: rand(8),
    });
  const q = await browser.authorize(url, user.email);
  assert.ok(q.code, JSON.stringify(q));
  const res = await post('/oidc/token', { ...creds, grant_type: 'authorization_code', code: q.code, redirect_uri: CB });
  const set = await res.json();
  assert.equal(res.status, 200, JSON.stringify(set));
  rememberSecrets(q.code, set.access_token, set.refresh_token, set.id_token);
  return set;
}

const LIST_QUERY =
  'query GetUserAuthorizedApps($clientId: String, $userId: String, $page: Int, $count: Int) { GetUserAuthorizedApps(clientId: $clientId, userId: $userId, page: $page, count: $count) { totalCount OIDCApps { _id } } }';

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('loginByOidc by username, email and phone: userinfo merged with the token set, access_token stored', async () => {
  const u = await newUser();
  for (const id of [{ username: u.username }, { email: u.email }, { phone: u.phone }]) {
    const note = JSON.stringify(id);
    const r = await auth.loginByOidc({ ...creds, ...id, password: PASSWORD });
    rememberSecrets(r.access_token, r.id_token);
    assert.equal(r.sub, u.id, note);
    assert.equal(r.email, u.email, note);
    assert.equal(r.phone_number, `+86${u.phone}`, `${note}: E.164`);
    assert.equal(r.token_type, 'Bearer', note);
    assert.ok(r.access_token && r.id_token, note);
    assert.ok(r.expires_in > 0, note);
    assert.equal(r.refresh_token, undefined, `${note}: no offline_access asked, no refresh token`);
    assert.deepEqual(r.scope.split(' ').sort(), ['email', 'openid', 'phone', 'profile'], note);
    assert.equal(payload(r.id_token).sub, u.id, note);
    assert.equal(payload(r.id_token).aud, app.id, note);
    assert.equal(auth.tokenManager.userToken, r.access_token, `${note}: stored as the user token`);
  }
  // The SDK's next "auto" calls go out with that access token: it is the user's session.
  const mine = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.deepEqual(mine.OIDCApps.map((a) => a._id), [app.id], 'the password grants authorized the app');
  auth.tokenManager.userToken = null;
});

test('the OIDC REST aliases: /oauth/oidc/token and /oauth/oidc/me answer as the provider does', async () => {
  const u = await newUser();
  const res = await post('/oauth/oidc/token', { ...creds, grant_type: 'password', email: u.email, password: PASSWORD, scope: 'openid email' });
  const set = await res.json();
  assert.equal(res.status, 200, JSON.stringify(set));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const me = await (await post('/oauth/oidc/me', { access_token: set.access_token })).json();
  assert.equal(me.sub, u.id);
  assert.equal(me.email, u.email);
  const bad = await post('/oauth/oidc/me', { access_token: 'not-a-token' });
  assert.equal(bad.status, 401);
});

test('refreshOidcToken: a new token set (rotated refresh token) stored as the user token; the old one is spent', async () => {
  const u = await newUser();
  const first = await auth.loginByOidc({ ...creds, email: u.email, password: PASSWORD, scope: 'openid profile email phone offline_access' });
  assert.ok(first.refresh_token, 'offline_access gives a refresh token');
  rememberSecrets(first.refresh_token);
  const next = await auth.refreshOidcToken({ ...creds, refresh_token: first.refresh_token });
  rememberSecrets(next.access_token, next.refresh_token);
  assert.ok(next.access_token && next.access_token !== first.access_token);
  assert.ok(next.refresh_token && next.refresh_token !== first.refresh_token);
  assert.equal(payload(next.access_token).sub, u.id);
  assert.equal(auth.tokenManager.userToken, next.access_token);
  // A spent refresh token is refused (and ends its family: the rotated one too).
  await oauthRejects(auth.refreshOidcToken({ ...creds, refresh_token: first.refresh_token }), 400, 'invalid_grant', 'replay');
  await oauthRejects(auth.refreshOidcToken({ ...creds, refresh_token: next.refresh_token }), 400, 'invalid_grant', 'family');
  auth.tokenManager.userToken = null;
});

test('authingTokenToOidcToken: a token from auth.login is exchanged (grant authingToken, field authingToken)', async () => {
  const u = await newUser();
  const logged = await auth.login({ email: u.email, password: PASSWORD });
  const set = await auth.authingTokenToOidcToken({ ...creds, authingToken: logged.token });
  rememberSecrets(set.access_token, set.id_token, set.refresh_token);
  assert.equal(set.token_type, 'Bearer');
  assert.ok(set.access_token && set.id_token && set.refresh_token, JSON.stringify(Object.keys(set)));
  assert.equal(payload(set.id_token).sub, u.id);
  assert.ok(set.scope.split(' ').includes('offline_access'));
  // The long grant name and the `token` field are the same exchange.
  const res = await post('/oauth/oidc/token', { ...creds, grant_type: AUTHING_TOKEN_GRANT, token: logged.token, scope: 'openid' });
  assert.equal(res.status, 200);
  // A token that is not an Authing token: the SDK rejects with the response body.
  await oauthRejects(auth.authingTokenToOidcToken({ ...creds, authingToken: 'not.a.token' }), 400, 'invalid_grant', 'bad token');
  // Another pool's user token buys nothing here.
  const otherUser = { email: uniqueEmail('v1o-x') };
  await mgmt('v1Other').users.create({ ...otherUser, password: PASSWORD });
  const otherLogin = await other.login({ email: otherUser.email, password: PASSWORD });
  await oauthRejects(auth.authingTokenToOidcToken({ ...creds, authingToken: otherLogin.token }), 400, 'invalid_grant', 'other pool');
  auth.tokenManager.userToken = null;
});

test('wrong client secret, wrong password, unionid and unknown identifiers are refused with the OAuth error body', async () => {
  const u = await newUser();
  await oauthRejects(
    auth.loginByOidc({ client_id: app.id, client_secret: 'wrong-secret', email: u.email, password: PASSWORD }),
    401, 'invalid_client', 'wrong secret'
  );
  await oauthRejects(auth.loginByOidc({ ...creds, email: u.email, password: 'Wrong-passw0rd' }), 400, 'invalid_grant', 'wrong password');
  await oauthRejects(auth.loginByOidc({ ...creds, username: `nobody_${rand(8)}`, password: PASSWORD }), 400, 'invalid_grant', 'unknown user');
  // A unionid is no secret: it logs nobody in, with or without a password.
  await oauthRejects(auth.loginByOidc({ ...creds, unionid: u.id }), 400, 'invalid_grant', 'unionid');
  await oauthRejects(auth.loginByOidc({ ...creds, unionid: u.id, password: PASSWORD }), 400, 'invalid_grant', 'unionid+password');
  await oauthRejects(
    auth.refreshOidcToken({ client_id: app.id, client_secret: 'wrong-secret', refresh_token: 'x'.repeat(43) }),
    401, 'invalid_client', 'refresh with a wrong secret'
  );
  // Two identifiers at once (the SDK refuses locally; a raw request is refused too).
  const res = await post('/oauth/oidc/token', { ...creds, grant_type: 'password', email: u.email, phone: u.phone, password: PASSWORD });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_request');
  assert.equal(auth.tokenManager.userToken, null, 'a failed login stores no token');
});

test('loginByAd and loginByLDAP: the identity source is not configured (after checking the arguments)', async () => {
  const ad = await v1Rejects(auth.loginByAd({ username: 'alice', password: 'Secret-1', adConnectorId: 'ad-1' }), 1001);
  assert.equal(ad.message, '该身份源未配置');
  const ldap = await v1Rejects(auth.loginByLDAP({ username: 'alice', password: 'Secret-1' }), 1001);
  assert.equal(ldap.message, '该身份源未配置');
  // The SDK checks its arguments itself; a raw request without one is 2231.
  const owner = auth.tokenManager.ownerToken;
  const raw = await v1Raw(
    'mutation loginByAd($username: String!, $password: String!, $adConnectorId: String) { loginByAd(username: $username, password: $password, adConnectorId: $adConnectorId) { _id } }',
    { username: 'alice', password: 'Secret-1' },
    { token: owner }
  );
  assert.equal(raw.errors[0].message.code, 2231, JSON.stringify(raw));
  // Another pool named by LDAP's clientId with this pool's token is refused.
  const cross = await v1Raw(
    'mutation { LoginByLDAP(username: "alice", clientId: "' + pool('v1Other').userPoolId + '", password: "x") { _id } }',
    undefined,
    { token: owner }
  );
  assert.equal(cross.errors[0].message.code, 1001, JSON.stringify(cross));
  assert.notEqual(cross.errors[0].message.message, '该身份源未配置');
});

test('getAuthedAppList after a consent, revokeAuthedApp ends the grant and the consent', async () => {
  const u = await newUser();
  const browser = new Browser();
  const set = await codeFlow(browser, u);
  assert.equal(browser.consented, 1, 'the first authorization asks for consent');
  assert.ok(set.refresh_token);

  // The pool's administrator (owner token) lists the user's applications.
  auth.tokenManager.userToken = null;
  const list = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.deepEqual(list.OAuthApps, []);
  assert.equal(list.totalCount, 1, JSON.stringify(list));
  const a = list.OIDCApps[0];
  assert.equal(a._id, app.id);
  assert.equal(a.client_id, app.id);
  assert.equal(a.name, app.name);
  assert.deepEqual(a.redirect_uris, [CB]);
  assert.ok(a.grant_types.includes('password'));
  assert.deepEqual(a.response_types, ['code']);
  assert.equal(a.token_endpoint_auth_method, 'client_secret_post');
  assert.equal(a.id_token_signed_response_alg, 'RS256');
  assert.equal(a.isDeleted, false);
  assert.equal(typeof a.access_token_expire, 'number');
  assert.ok(Math.abs(Date.parse(a.when) - Date.now()) < 120_000, a.when);

  // The user himself, with his own token.
  const logged = await auth.login({ email: u.email, password: PASSWORD });
  assert.equal(auth.tokenManager.userToken, logged.token);
  const mine = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.equal(mine.totalCount, 1);
  // ... but not another user's.
  const someoneElse = await newUser();
  await v1Rejects(auth.getAuthedAppList({ userId: someoneElse.id, page: 1, count: 10 }), 1001, 'another user');
  await v1Rejects(auth.revokeAuthedApp({ userId: someoneElse.id, appId: app.id }), 1001, 'revoke another user');

  // The application's access token is the user's session on the legacy endpoint too.
  const asApp = await v1Raw(LIST_QUERY, { clientId: pool('v1Oauth').userPoolId, userId: u.id, page: 1, count: 10 }, { token: set.access_token });
  assert.equal(asApp.errors, undefined, JSON.stringify(asApp));
  assert.equal(asApp.data.GetUserAuthorizedApps.totalCount, 1);

  // The user withdraws his authorization.
  const revoked = await auth.revokeAuthedApp({ userId: u.id, appId: app.id });
  assert.equal(revoked.isRevoked, true, JSON.stringify(revoked));
  assert.equal(revoked.appId, app.id);
  assert.equal(revoked.userId, u.id);
  assert.equal(revoked.type, 'oidc');
  assert.ok(revoked.scope.split(' ').includes('openid'), revoked.scope);
  assert.ok(revoked.when);
  // The application's refresh token and access token stop working...
  const refresh = await post('/oidc/token', { ...creds, grant_type: 'refresh_token', refresh_token: set.refresh_token });
  assert.equal(refresh.status, 400);
  assert.equal((await refresh.json()).error, 'invalid_grant');
  const me = await post('/oauth/oidc/me', { access_token: set.access_token });
  assert.equal(me.status, 401);
  const stale = await v1Raw(LIST_QUERY, { clientId: pool('v1Oauth').userPoolId, userId: u.id }, { token: set.access_token });
  assert.ok([2206, 2207].includes(stale.errors?.[0]?.message?.code), JSON.stringify(stale));
  // ... the list no longer shows it, and a second revocation finds nothing.
  auth.tokenManager.userToken = null;
  const after = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.equal(after.totalCount, 0, JSON.stringify(after));
  assert.deepEqual(after.OIDCApps, []);
  const again = await auth.revokeAuthedApp({ userId: u.id, appId: app.id });
  assert.equal(again.isRevoked, false);
  // The next authorization asks for consent again (the SSO session is still there).
  await codeFlow(browser, u);
  assert.equal(browser.consented, 2, 'consent asked again');
  const back = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.equal(back.totalCount, 1);
  // Unknown application or user.
  await v1Rejects(auth.revokeAuthedApp({ userId: u.id, appId: 'no-such-app' }), 2011, 'unknown app');
  await v1Rejects(auth.getAuthedAppList({ userId: 'no-such-user', page: 1, count: 10 }), 2004, 'unknown user');
});

test('a password grant is an authorization too; paging of the list', async () => {
  const u = await newUser();
  auth.tokenManager.userToken = null;
  assert.equal((await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 })).totalCount, 0);
  const second = await mc.applications.create({
    name: `v1-rp2-${rand(6)}`,
    identifier: `v1-rp2-${rand(10)}`,
    redirectUris: [CB],
    grantTypes: ['password', 'refresh_token'],
    responseTypes: ['code'],
  });
  await auth.loginByOidc({ ...creds, username: u.username, password: PASSWORD });
  await auth.loginByOidc({ client_id: second.id, client_secret: second.secret, username: u.username, password: PASSWORD });
  auth.tokenManager.userToken = null;
  const all = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.equal(all.totalCount, 2);
  // Most recent first.
  assert.deepEqual(all.OIDCApps.map((a) => a._id), [second.id, app.id]);
  const p2 = await auth.getAuthedAppList({ userId: u.id, page: 2, count: 1 });
  assert.equal(p2.totalCount, 2);
  assert.deepEqual(p2.OIDCApps.map((a) => a._id), [app.id]);
  await v1Rejects(auth.getAuthedAppList({ userId: u.id, page: 1, count: 1000 }), 2231, 'count too large');
  const r = await auth.revokeAuthedApp({ userId: u.id, appId: second.id });
  assert.equal(r.isRevoked, true);
  const left = await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 });
  assert.deepEqual(left.OIDCApps.map((a) => a._id), [app.id]);
});

test("another pool's owner token can neither list nor revoke this pool's authorizations", async () => {
  const u = await newUser();
  const browser = new Browser();
  await codeFlow(browser, u);
  const otherOwner = other.tokenManager.ownerToken;
  const listQuery = LIST_QUERY;
  const cross = await v1Raw(listQuery, { clientId: pool('v1Oauth').userPoolId, userId: u.id, page: 1, count: 10 }, { token: otherOwner });
  assert.equal(cross.errors[0].message.code, 1001, JSON.stringify(cross));
  assert.equal(cross.data?.GetUserAuthorizedApps ?? null, null);
  // The other pool naming itself: this pool's user is not one of its users.
  const own = await v1Raw(listQuery, { clientId: pool('v1Other').userPoolId, userId: u.id, page: 1, count: 10 }, { token: otherOwner });
  assert.equal(own.errors[0].message.code, 2004, JSON.stringify(own));
  // Through the SDK: its oauth-endpoint client is built without the pool id, so it sends
  // the default pool's token (this file's `v1Oauth`) with its own pool id: a mismatch.
  other.tokenManager.userToken = null;
  await v1Rejects(other.getAuthedAppList({ userId: u.id, page: 1, count: 10 }), 1001, 'other pool');
  await v1Rejects(other.revokeAuthedApp({ userId: u.id, appId: app.id }), 1001, 'other pool revoke');
  const revokeQuery =
    'mutation RevokeUserAuthorizedApp($userPoolId: String, $userId: String, $appId: String) { RevokeUserAuthorizedApp(userPoolId: $userPoolId, userId: $userId, appId: $appId) { isRevoked } }';
  const crossRevoke = await v1Raw(revokeQuery, { userPoolId: pool('v1Oauth').userPoolId, userId: u.id, appId: app.id }, { token: otherOwner });
  assert.equal(crossRevoke.errors[0].message.code, 1001, JSON.stringify(crossRevoke));
  // Anonymous: not logged in.
  const anon = await v1Raw(listQuery, { clientId: pool('v1Oauth').userPoolId, userId: u.id }, { token: '' });
  assert.equal(anon.errors[0].message.code, 2020, JSON.stringify(anon));
  // Nothing changed: the administrator still sees the authorization.
  auth.tokenManager.userToken = null;
  assert.equal((await auth.getAuthedAppList({ userId: u.id, page: 1, count: 10 })).totalCount, 1);
});
