// The OpenID Provider through the official SDK's standard-protocol helpers
// (authing-js-sdk@4.23.55 AuthenticationClient, v2 wire §5.5) and a generic certified
// relying-party library (openid-client@5.7.1, which validates ID tokens: signature by the
// JWKS, issuer, audience, nonce, at_hash/c_hash). The browser part (hosted login and
// consent) is driven over HTTP with a cookie jar; tests/e2e drives it in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationClient } from 'authing-js-sdk';
import { Issuer, generators } from 'openid-client';
import { mgmt, pool, rand, TESSERA_URL, PASSWORD, uniqueEmail, rememberSecrets } from './helpers.mjs';

const CB = 'https://rp.example/cb';
const BYE = 'https://rp.example/bye';
const ALL_GRANTS = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'http://authing.cn/oidc/grant_type/authing_token'
];

const mc = () => mgmt('oidc');

async function newApp(extra = {}) {
  return mc().applications.create({
    name: `rp-${rand(6)}`,
    identifier: `rp-${rand(10)}`,
    redirectUris: [CB],
    logoutRedirectUris: [BYE],
    grantTypes: ALL_GRANTS,
    responseTypes: ['code', 'code id_token', 'id_token token'],
    ...extra
  });
}

/** A user of the `oidc` pool, created by the administrator. */
async function newUser() {
  const email = uniqueEmail('rp');
  const u = await mc().users.create({ email, password: PASSWORD });
  return { email, id: u.id };
}

function sdk(app, extra = {}) {
  return new AuthenticationClient({
    appId: app.id,
    secret: app.secret,
    appHost: pool('oidc').appHost,
    redirectUri: CB,
    protocol: 'oidc',
    ...extra
  });
}

/** A browser: a cookie jar and manual redirects. */
class Browser {
  constructor() {
    this.jar = new Map();
  }
  async go(url, init = {}) {
    const abs = url.startsWith('/') ? `${TESSERA_URL}${url}` : url;
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(abs, {
      redirect: 'manual',
      ...init,
      headers: { ...(init.headers || {}), cookie }
    });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      const [k, v] = [kv.slice(0, i), kv.slice(i + 1)];
      if (/Max-Age=0/.test(c)) this.jar.delete(k);
      else this.jar.set(k, v);
    }
    return res;
  }
  post(url, form) {
    return this.go(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString()
    });
  }
  /**
   * Follows an authorization request through the hosted pages (login with `email`, then
   * consent when asked) until the browser is sent to `redirectUri`; returns its parameters.
   */
  async authorize(url, email, redirectUri = CB) {
    let res = await this.go(url);
    for (let step = 0; step < 6; step++) {
      const loc = res.headers.get('location');
      if (loc && loc.startsWith(redirectUri)) {
        const u = new URL(loc.replace('#', '?'));
        return Object.fromEntries(u.searchParams);
      }
      let page;
      let at;
      if (res.status === 303) {
        at = loc;
        page = await this.go(loc);
        if (page.status === 303) {
          res = page;
          continue;
        }
      } else {
        page = res;
        at = this.at;
      }
      assert.equal(page.status, 200, `a hosted page at ${at}`);
      const html = await page.text();
      this.at = at;
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)[1];
      if (html.includes('name="password"')) {
        res = await this.post(`${at}/login`, { csrf, mode: 'password', account: email, password: PASSWORD });
      } else {
        assert.match(html, /name="decision"/);
        res = await this.post(`${at}/confirm`, { csrf, decision: 'allow' });
      }
    }
    throw new Error('no answer from the authorization endpoint');
  }
}

function payload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('SDK: buildAuthorizeUrl → hosted login → getAccessTokenByCode, userinfo everywhere, refresh, introspect, validate, revoke', async () => {
  const app = await newApp();
  const user = await newUser();
  const ac = sdk(app);
  const url = ac.buildAuthorizeUrl({ scope: 'openid profile email phone offline_access', state: 'st-sdk', nonce: 'n-sdk' });
  assert.ok(url.startsWith(`${TESSERA_URL}/oidc/auth?`));
  const b = new Browser();
  const q = await b.authorize(url, user.email);
  assert.equal(q.state, 'st-sdk');
  const set = await ac.getAccessTokenByCode(q.code);
  rememberSecrets(q.code, set.access_token, set.id_token, set.refresh_token);
  assert.equal(set.token_type, 'Bearer');
  assert.ok(set.access_token && set.id_token && set.refresh_token);
  const id = payload(set.id_token);
  assert.equal(id.sub, user.id);
  assert.equal(id.email, user.email);
  assert.equal(id.nonce, 'n-sdk');
  assert.equal(id.aud, app.id);
  assert.equal(id.iss, `${TESSERA_URL}/oidc`);

  // getUserInfoByAccessToken: every method and place the SDK supports.
  for (const opts of [
    undefined,
    { method: 'GET', tokenPlace: 'header' },
    { method: 'POST', tokenPlace: 'header' },
    { method: 'POST', tokenPlace: 'body' }
  ]) {
    const me = await ac.getUserInfoByAccessToken(set.access_token, opts);
    assert.equal(me.sub, user.id, JSON.stringify(opts));
    assert.equal(me.email, user.email);
  }

  const next = await ac.getNewAccessTokenByRefreshToken(set.refresh_token);
  rememberSecrets(next.access_token, next.refresh_token);
  assert.ok(next.access_token && next.refresh_token);
  assert.notEqual(next.refresh_token, set.refresh_token, 'refresh tokens rotate');
  await assert.rejects(ac.getNewAccessTokenByRefreshToken(set.refresh_token), 'a used refresh token is refused');
  // …and its replay ended the family.
  await assert.rejects(ac.getNewAccessTokenByRefreshToken(next.refresh_token));

  const b2 = new Browser();
  const q2 = await b2.authorize(ac.buildAuthorizeUrl({ scope: 'openid profile email' }), user.email);
  const live = await ac.getAccessTokenByCode(q2.code);
  const intro = await ac.introspectToken(live.access_token);
  assert.equal(intro.active, true);
  assert.equal(intro.sub, user.id);
  assert.equal(intro.client_id, app.id);

  const v = await ac.validateToken({ idToken: live.id_token });
  assert.equal(v.sub, user.id);
  const va = await ac.validateToken({ accessToken: live.access_token });
  assert.equal(va.sub, user.id);
  const bad = await ac.validateToken({ idToken: live.id_token.slice(0, -4) + 'AAAA' });
  assert.equal(bad.code, 400);

  assert.equal(await ac.revokeToken(live.access_token), true);
  assert.equal((await ac.introspectToken(live.access_token)).active, false);
  await assert.rejects(ac.getUserInfoByAccessToken(live.access_token));
});

test('SDK: client_secret_basic for token, introspection and revocation; a wrong secret is refused', async () => {
  const app = await newApp();
  const user = await newUser();
  const ac = sdk(app, {
    tokenEndPointAuthMethod: 'client_secret_basic',
    introspectionEndPointAuthMethod: 'client_secret_basic',
    revocationEndPointAuthMethod: 'client_secret_basic'
  });
  const q = await new Browser().authorize(ac.buildAuthorizeUrl({ scope: 'openid email' }), user.email);
  const set = await ac.getAccessTokenByCode(q.code);
  assert.equal((await ac.introspectToken(set.access_token)).active, true);
  assert.equal(await ac.revokeToken(set.access_token), true);
  assert.equal((await ac.introspectToken(set.access_token)).active, false);

  const wrong = sdk({ ...app, secret: 'not-the-secret' });
  const q2 = await new Browser().authorize(wrong.buildAuthorizeUrl({ scope: 'openid' }), user.email);
  await assert.rejects(wrong.getAccessTokenByCode(q2.code));
  // The refused exchange spent nothing: the right client still redeems the code.
  assert.ok((await ac.getAccessTokenByCode(q2.code)).access_token);
});

test('SDK: client credentials with the pool access key, and the Authing token exchange', async () => {
  const app = await newApp();
  const p = pool('oidc');
  const ac = sdk(app);
  const cc = await ac.getAccessTokenByClientCredentials('read:books', {
    accessKey: p.accessKeyId,
    accessSecret: p.accessKeySecret
  });
  rememberSecrets(cc.access_token, app.secret, p.accessKeySecret);
  assert.ok(cc.access_token);
  assert.equal(payload(cc.access_token).sub, p.accessKeyId);
  await assert.rejects(
    ac.getAccessTokenByClientCredentials('read:books', { accessKey: p.accessKeyId, accessSecret: 'wrong' })
  );

  // getAccessTokenByIdToken: a v2 login's token for OIDC tokens of this application.
  const user = await newUser();
  const login = new AuthenticationClient({ appId: app.id, appHost: p.appHost });
  const u = await login.loginByEmail(user.email, PASSWORD);
  const ex = await ac.getAccessTokenByIdToken({ redirectUri: CB, idToken: u.token, scope: 'openid email' });
  assert.ok(ex.access_token && ex.id_token);
  assert.equal(payload(ex.id_token).email, user.email);
  await assert.rejects(ac.getAccessTokenByIdToken({ redirectUri: CB, idToken: 'x.y.z' }));
});

test('SDK: buildLogoutUrl ends the SSO session and returns to the registered URI', async () => {
  const app = await newApp();
  const user = await newUser();
  const ac = sdk(app);
  const b = new Browser();
  const q = await b.authorize(ac.buildAuthorizeUrl({ scope: 'openid' }), user.email);
  const set = await ac.getAccessTokenByCode(q.code);
  const out = ac.buildLogoutUrl({ expert: true, redirectUri: BYE, idToken: set.id_token });
  assert.ok(out.startsWith(`${TESSERA_URL}/oidc/session/end?`));
  const res = await b.go(out);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), BYE);
  // Silent login no longer works.
  const silent = await b.go(ac.buildAuthorizeUrl({ scope: 'openid' }) + '&prompt=none');
  assert.match(silent.headers.get('location'), /error=login_required/);
});

test('openid-client: discovery, code flow with PKCE and nonce, ID token validation, userinfo, refresh, introspection, revocation', async () => {
  const app = await newApp({ tokenEndpointAuthMethod: 'client_secret_basic' });
  const user = await newUser();
  const issuer = await Issuer.discover(`${TESSERA_URL}/oidc`);
  assert.equal(issuer.issuer, `${TESSERA_URL}/oidc`);
  const client = new issuer.Client({
    client_id: app.id,
    client_secret: app.secret,
    redirect_uris: [CB],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic'
  });
  const verifier = generators.codeVerifier();
  const nonce = generators.nonce();
  const state = generators.state();
  const url = client.authorizationUrl({
    scope: 'openid email profile offline_access',
    code_challenge: generators.codeChallenge(verifier),
    code_challenge_method: 'S256',
    prompt: 'consent',
    nonce,
    state
  });
  const params = await new Browser().authorize(url, user.email);
  const tokens = await client.callback(CB, params, { code_verifier: verifier, nonce, state });
  const claims = tokens.claims();
  assert.equal(claims.sub, user.id);
  assert.equal(claims.email, user.email);
  const info = await client.userinfo(tokens);
  assert.equal(info.sub, user.id);
  const refreshed = await client.refresh(tokens.refresh_token);
  assert.equal(refreshed.claims().sub, user.id);
  const intro = await client.introspect(refreshed.access_token);
  assert.equal(intro.active, true);
  await client.revoke(refreshed.access_token);
  assert.equal((await client.introspect(refreshed.access_token)).active, false);

  // A tampered verifier is refused by the server (invalid_grant).
  const v2 = generators.codeVerifier();
  const url2 = client.authorizationUrl({
    scope: 'openid',
    code_challenge: generators.codeChallenge(v2),
    code_challenge_method: 'S256',
    nonce,
    state
  });
  const p2 = await new Browser().authorize(url2, user.email);
  await assert.rejects(
    client.callback(CB, p2, { code_verifier: generators.codeVerifier(), nonce, state }),
    e => e.error === 'invalid_grant'
  );
});

test('openid-client: the hybrid flow (code id_token) in form_post mode is validated (c_hash)', async () => {
  const app = await newApp();
  const user = await newUser();
  const issuer = await Issuer.discover(`${TESSERA_URL}/oidc`);
  const client = new issuer.Client({
    client_id: app.id,
    client_secret: app.secret,
    redirect_uris: [CB],
    response_types: ['code id_token'],
    token_endpoint_auth_method: 'client_secret_post'
  });
  const nonce = generators.nonce();
  const state = generators.state();
  const url = client.authorizationUrl({ scope: 'openid email', response_mode: 'form_post', nonce, state });
  const b = new Browser();
  // form_post answers with a self-submitting page; read its fields as the browser would post them.
  let res = await b.go(url);
  let loc = res.headers.get('location');
  const page = await b.go(loc);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)[1];
  res = await b.post(`${loc}/login`, { csrf, mode: 'password', account: user.email, password: PASSWORD });
  let body = await res.text();
  if (body.includes('name="decision"')) {
    const c2 = /name="csrf" value="([^"]+)"/.exec(body)[1];
    res = await b.post(`${loc}/confirm`, { csrf: c2, decision: 'allow' });
    body = await res.text();
  }
  assert.match(res.headers.get('content-security-policy'), /script-src 'nonce-/);
  assert.match(body, new RegExp(`action="${CB.replace(/[/.]/g, '\\$&')}"`));
  const fields = Object.fromEntries(
    [...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(m => [m[1], m[2].replace(/&amp;/g, '&')])
  );
  assert.ok(fields.code && fields.id_token, JSON.stringify(Object.keys(fields)));
  const tokens = await client.callback(CB, fields, { nonce, state, response_type: 'code id_token' });
  assert.equal(tokens.claims().sub, user.id);
});

test('bad input: unknown client and unregistered redirect get the error page, never a redirect', async () => {
  const app = await newApp();
  const b = new Browser();
  for (const url of [
    `${TESSERA_URL}/oidc/auth?client_id=nope&redirect_uri=${encodeURIComponent(CB)}&response_type=code&scope=openid`,
    `${TESSERA_URL}/oidc/auth?client_id=${app.id}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&response_type=code&scope=openid`
  ]) {
    const res = await b.go(url);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /invalid_(client|request)/);
  }
  const huge = 'x'.repeat(1 << 20);
  const res = await fetch(`${TESSERA_URL}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: huge, client_id: app.id, client_secret: app.secret })
  });
  assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
});

test('openid-client: an application signing ID tokens with ES256 (P-256 key in the JWKS)', async () => {
  const app = await newApp({ idTokenSignedResponseAlg: 'ES256' });
  assert.equal(app.idTokenSignedResponseAlg ?? app.oidcConfig?.id_token_signed_response_alg, 'ES256');
  const user = await newUser();
  const issuer = await Issuer.discover(`${TESSERA_URL}/oidc`);
  assert.ok(issuer.id_token_signing_alg_values_supported.includes('ES256'));
  const client = new issuer.Client({
    client_id: app.id,
    client_secret: app.secret,
    redirect_uris: [CB],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    token_endpoint_auth_method: 'client_secret_post'
  });
  const nonce = generators.nonce();
  const state = generators.state();
  const params = await new Browser().authorize(
    client.authorizationUrl({ scope: 'openid email', nonce, state }),
    user.email
  );
  const tokens = await client.callback(CB, params, { nonce, state });
  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString());
  assert.equal(header.alg, 'ES256');
  assert.equal(tokens.claims().email, user.email);
  const ac = sdk(app);
  assert.equal((await ac.validateToken({ idToken: tokens.id_token })).sub, user.id);
});
