// Linking an external OpenID Provider to a user (`generateLinkExtIdpUrl`, authing-node-sdk
// 4.0.1 AuthenticationClient) with Tessera as its own provider: pool `extOidcUp`'s OpenID
// Provider (an application whose redirect URI is Tessera's callback) is the `oidc`
// connection of pool `extOidcDown`. The browser is a cookie jar following redirects by hand
// through the provider's hosted login form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationClient } from 'authing-node-sdk';
import { mgmt, pool, rand, TESSERA_URL, PASSWORD, uniqueEmail } from './helpers.mjs';
import { data, refused, v3 } from './v3-helpers.mjs';

const UP = 'extOidcUp';
const DOWN = 'extOidcDown';
const CALLBACK = `${TESSERA_URL}/connections/oidc/callback`;
const TARGET = 'https://rp.example/linked';

/**
 * A browser: a cookie jar that keeps cookies per path as browsers do (both pools' parked
 * requests use a cookie of one name, each scoped to its own page), and manual redirects.
 */
class Browser {
  constructor() {
    this.jar = new Map();
  }
  async go(url, init = {}) {
    const abs = url.startsWith('/') ? `${TESSERA_URL}${url}` : url;
    const path = new URL(abs).pathname;
    const cookie = [...this.jar.values()]
      .filter(c => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(c => `${c.name}=${c.value}`)
      .join('; ');
    const res = await fetch(abs, {
      redirect: 'manual',
      ...init,
      headers: { 'accept-language': 'en-US', ...(init.headers || {}), cookie }
    });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      const [name, value] = [kv.slice(0, i), kv.slice(i + 1)];
      const cpath = (/;\s*Path=([^;]*)/i.exec(c) || [])[1] || '/';
      const key = `${name};${cpath}`;
      if (/Max-Age=0/.test(c)) this.jar.delete(key);
      else this.jar.set(key, { name, value, path: cpath });
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
   * Opens the link, signs in at the provider's hosted page with `email` (consenting when
   * asked), and returns the URL the provider sends the browser back to (Tessera's callback).
   */
  async toCallback(link, email) {
    return this.until(await this.go(link), email, CALLBACK);
  }
  /**
   * From an answer that sends the browser to the provider, signs in there with `email`
   * (consenting wherever asked) and follows redirects until one leads to `stop`.
   */
  async until(res, email, stop) {
    assert.equal(res.status, 303, `a redirect to the provider: ${res.status}`);
    const upstream = res.headers.get('location');
    const q = new URL(upstream).searchParams;
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.ok(q.get('code_challenge') && q.get('nonce') && q.get('state'));
    assert.equal(q.get('redirect_uri'), CALLBACK);
    res = await this.go(upstream);
    let at;
    for (let step = 0; step < 12; step++) {
      const loc = res.headers.get('location');
      if (loc && loc.startsWith(stop)) return loc;
      let page;
      if (res.status === 303 || res.status === 302) {
        at = loc;
        page = await this.go(loc);
        if (page.status === 303 || page.status === 302) {
          res = page;
          continue;
        }
      } else {
        page = res;
      }
      const html = await page.text();
      assert.equal(page.status, 200, `a hosted page at ${at}: ${html.replace(/<style>[\s\S]*<\/style>/, '').slice(0, 1500)}`);
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)[1];
      if (html.includes('name="password"')) {
        res = await this.post(`${at}/login`, { csrf, mode: 'password', account: email, password: PASSWORD });
      } else {
        assert.match(html, /name="decision"/);
        // The consent form names its own action: after the callback the page is answered
        // at the callback's URL.
        const action = /action="([^"]*\/confirm)"/.exec(html);
        res = await this.post(action ? action[1] : `${at}/confirm`, { csrf, decision: 'allow' });
      }
    }
    throw new Error('the provider never sent the browser back');
  }
}

let setup;
/** The provider's application and user, the connection, and the application downstream. */
async function world() {
  if (setup) return setup;
  const upApp = await mgmt(UP).applications.create({
    name: `up-${rand(6)}`,
    identifier: `up-${rand(10)}`,
    redirectUris: [CALLBACK],
    grantTypes: ['authorization_code', 'refresh_token'],
    responseTypes: ['code']
  });
  const mc = v3(DOWN);
  const idp = data(await mc.createExtIdp({ name: 'Upstream OIDC', type: 'oidc' }));
  const fields = {
    issuerUrl: `${TESSERA_URL}/oidc`,
    authorizationEdpoint: `${TESSERA_URL}/oidc/auth`,
    tokenEndpoint: `${TESSERA_URL}/oidc/token`,
    userInfoEndpoint: `${TESSERA_URL}/oidc/me`,
    jwksUri: `${TESSERA_URL}/oidc/.well-known/jwks.json`,
    clientId: upApp.id,
    clientSecret: upApp.secret,
    scopes: 'openid profile email'
  };
  const connection = async (extra = {}) => {
    const identifier = `oidc-${rand(8)}`;
    const c = data(await mc.createExtIdpConn({
      extIdpId: idp.id,
      type: 'oidc',
      identifier,
      displayName: 'Upstream',
      fields: { ...fields, ...extra }
    }));
    return { id: c.id, identifier };
  };
  const conn = await connection();
  // The same provider, whose token endpoint nobody answers.
  const down = await connection({ tokenEndpoint: 'http://127.0.0.1:9/oidc/token' });
  const downApp = await mgmt(DOWN).applications.create({
    name: `down-${rand(6)}`,
    identifier: `down-${rand(10)}`,
    redirectUris: [TARGET]
  });
  setup = { upApp, idp, conn, down, downApp, connection };
  return setup;
}

function client(app) {
  return new AuthenticationClient({ appId: app.id, appSecret: app.secret, appHost: pool(DOWN).appHost });
}

/** A user of the provider's pool, who signs in there. */
async function upstreamUser() {
  const email = uniqueEmail('up');
  const u = data(await v3(UP).createUser({ email, password: PASSWORD }));
  return { email, id: u.userId };
}

/** A user of the downstream pool, signed in: the SDK with its token, and its ID token. */
async function downstreamUser(app) {
  const email = uniqueEmail('down');
  const u = data(await v3(DOWN).createUser({ email, password: PASSWORD }));
  const c = client(app);
  const tokens = data(await c.signInByEmailPassword({ email, password: PASSWORD }));
  c.setAccessToken(tokens.access_token);
  return { id: u.userId, c, idToken: tokens.id_token, accessToken: tokens.access_token };
}

async function identities(userId) {
  const u = data(await v3(DOWN).getUser({ userId, withIdentities: true }));
  return u.identities ?? [];
}

test('generateLinkExtIdpUrl: the browser links the provider account; the identity is listed', async () => {
  const { conn, downApp, upApp } = await world();
  const up = await upstreamUser();
  const me = await downstreamUser(downApp);
  const { url } = data(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: me.idToken, targetUrl: TARGET
  }));
  assert.ok(url.startsWith(`${TESSERA_URL}/connections/oidc/start?ticket=`), url);

  const b = new Browser();
  const cb = await b.toCallback(url, up.email);
  const done = await b.go(cb);
  assert.equal(done.status, 303);
  assert.equal(done.headers.get('location'), `${TARGET}?linked=true`);

  const linked = (await identities(me.id)).filter(i => i.provider === 'oidc');
  assert.equal(linked.length, 1, JSON.stringify(linked));
  assert.equal(linked[0].userIdInIdp, up.id);
  const mine = data(await me.c.getIdentities());
  assert.ok(mine.some(i => i.userIdInIdp === up.id), JSON.stringify(mine));
  const profile = data(await me.c.getProfile({ withIdentities: true }));
  assert.ok(profile.identities.some(i => i.userIdInIdp === up.id), JSON.stringify(profile.identities));

  // The callback again (the state is spent): refused, nothing more linked.
  const replay = await b.go(cb);
  assert.equal(replay.status, 404);
  assert.match(await replay.text(), /Linking failed/);
  // The start link again: used.
  const again = await new Browser().go(url);
  assert.equal(again.status, 404);
  assert.equal((await identities(me.id)).filter(i => i.provider === 'oidc').length, 1);

  // Another user of the pool cannot link the same provider account.
  const other = await downstreamUser(downApp);
  const { url: url2 } = data(await other.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: other.idToken
  }));
  const b2 = new Browser();
  const res = await b2.go(await b2.toCallback(url2, up.email));
  assert.equal(res.status, 400);
  assert.match(await res.text(), /Linking failed/);
  assert.equal((await identities(other.id)).length, 0);
  assert.ok(upApp.id);
});

test('generateLinkExtIdpUrl without target_url ends on a page; with need_url_redirect it redirects', async () => {
  const { conn, downApp } = await world();
  const up = await upstreamUser();
  const me = await downstreamUser(downApp);
  const r = await fetch(`${TESSERA_URL}/api/v3/generate-link-extidp-url?` + new URLSearchParams({
    ext_idp_conn_identifier: conn.identifier, app_id: downApp.id, id_token: me.idToken, need_url_redirect: 'true'
  }), { redirect: 'manual', headers: { 'x-authing-app-id': downApp.id } });
  assert.equal(r.status, 302);
  const link = r.headers.get('location');
  assert.ok(link.startsWith(`${TESSERA_URL}/connections/oidc/start?ticket=`), link);
  const b = new Browser();
  const cb = await b.toCallback(link, up.email);
  // The callback in another browser (no binding cookie) is refused and does not spend it.
  const stranger = await new Browser().go(cb);
  assert.equal(stranger.status, 404);
  const done = await b.go(cb);
  assert.equal(done.status, 200);
  assert.match(await done.text(), /is linked/);
  assert.equal((await identities(me.id)).filter(i => i.userIdInIdp === up.id).length, 1);
});

test('generateLinkExtIdpUrl refuses a wrong id_token, an unknown connection, a foreign target_url', async () => {
  const { conn, downApp } = await world();
  const me = await downstreamUser(downApp);
  const [h, p, s] = me.idToken.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const forged = [h, Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'), s].join('.');
  for (const idToken of [forged, 'not-a-token', me.accessToken, '']) {
    refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken }));
  }
  // An ID token of another application (the pool's default one).
  const other = new AuthenticationClient({
    appId: pool(DOWN).appId, appSecret: pool(DOWN).appSecret, appHost: pool(DOWN).appHost
  });
  const email = uniqueEmail('down');
  await v3(DOWN).createUser({ email, password: PASSWORD });
  const t = data(await other.signInByEmailPassword({ email, password: PASSWORD }));
  refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: t.id_token }));
  // app_id naming another application than the ID token's.
  refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: conn.identifier, appId: pool(DOWN).appId, idToken: me.idToken }));
  // An ID token of the provider's pool.
  const upEmail = uniqueEmail('up');
  await v3(UP).createUser({ email: upEmail, password: PASSWORD });
  const upClient = new AuthenticationClient({ appId: pool(UP).appId, appSecret: pool(UP).appSecret, appHost: pool(UP).appHost });
  const upTokens = data(await upClient.signInByEmailPassword({ email: upEmail, password: PASSWORD }));
  refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: upTokens.id_token }));
  const unknown = refused(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: `nope-${rand(6)}`, appId: downApp.id, idToken: me.idToken
  }), { statusCode: 404 });
  assert.match(unknown.message, /extIdpConn|身份源|identity/i);
  refused(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: me.idToken, targetUrl: 'https://evil.example/'
  }), { statusCode: 400 });
  refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: '', appId: downApp.id, idToken: me.idToken }), { statusCode: 400 });
  // A connection missing its endpoints is not configured.
  const { connection } = await world();
  const half = await connection({ tokenEndpoint: '' });
  refused(await me.c.generateLinkExtIdpUrl({ extIdpConnIdentifier: half.identifier, appId: downApp.id, idToken: me.idToken }));
  assert.equal((await identities(me.id)).length, 0);
});

test('provider down: the callback answers 502 with a clear message and links nothing', async () => {
  const { down, downApp } = await world();
  const up = await upstreamUser();
  const me = await downstreamUser(downApp);
  const { url } = data(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: down.identifier, appId: downApp.id, idToken: me.idToken, targetUrl: TARGET
  }));
  const b = new Browser();
  const cb = await b.toCallback(url, up.email);
  const res = await b.go(cb, { headers: { 'accept-language': 'zh-CN' } });
  assert.equal(res.status, 502);
  const html = await res.text();
  assert.match(html, /绑定失败/);
  assert.equal((await identities(me.id)).length, 0);
});

test('the provider refusing (error=access_denied) and a callback without a state are refused', async () => {
  const { conn, downApp } = await world();
  const me = await downstreamUser(downApp);
  const { url } = data(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: me.idToken
  }));
  const b = new Browser();
  const start = await b.go(url);
  const state = new URL(start.headers.get('location')).searchParams.get('state');
  const res = await b.go(`${CALLBACK}?state=${state}&error=access_denied`);
  assert.equal(res.status, 400);
  // Spent by the refusal.
  assert.equal((await b.go(`${CALLBACK}?state=${state}&code=x`)).status, 404);
  assert.equal((await b.go(CALLBACK)).status, 400);
  assert.equal((await identities(me.id)).length, 0);
});

test('login through the connection: the hosted page offers it; a linked account signs in as its user, a new one registers', async () => {
  const { conn, downApp } = await world();
  const rp = await mgmt(DOWN).applications.create({
    name: `rp-${rand(6)}`,
    identifier: `rp-${rand(10)}`,
    redirectUris: [TARGET],
    grantTypes: ['authorization_code'],
    responseTypes: ['code']
  });
  /** A sign-in at `rp` through the connection's button: the user the ID token names. */
  async function signIn(email) {
    const b = new Browser();
    const auth = `${TESSERA_URL}/oidc/auth?` + new URLSearchParams({
      client_id: rp.id, redirect_uri: TARGET, response_type: 'code', scope: 'openid', state: 'st-1', nonce: 'n-1'
    });
    let res = await b.go(auth);
    assert.equal(res.status, 303);
    const interaction = res.headers.get('location');
    const page = await b.go(interaction);
    assert.equal(page.status, 200);
    const html = await page.text();
    const href = new RegExp(`href="(/interaction/oidc/[^"]+/connections/oidc/${conn.identifier})"`).exec(html);
    assert.ok(href, 'the login page offers the connection');
    assert.match(html, /Upstream/);
    const back = await b.until(await b.go(href[1]), email, TARGET);
    const q = new URL(back).searchParams;
    assert.equal(q.get('state'), 'st-1');
    const tokens = await (await fetch(`${TESSERA_URL}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: q.get('code'), redirect_uri: TARGET,
        client_id: rp.id, client_secret: rp.secret
      })
    })).json();
    assert.ok(tokens.id_token, JSON.stringify(tokens));
    return JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString()).sub;
  }

  // Linked first through generateLinkExtIdpUrl: the login is that user's.
  const up = await upstreamUser();
  const me = await downstreamUser(downApp);
  const { url } = data(await me.c.generateLinkExtIdpUrl({
    extIdpConnIdentifier: conn.identifier, appId: downApp.id, idToken: me.idToken
  }));
  const b = new Browser();
  assert.equal((await b.go(await b.toCallback(url, up.email))).status, 200);
  assert.equal(await signIn(up.email), me.id);

  // An account linked to nobody registers a user with the identity linked.
  const fresh = await upstreamUser();
  const sub = await signIn(fresh.email);
  assert.notEqual(sub, me.id);
  const ids = await identities(sub);
  assert.ok(ids.some(i => i.provider === 'oidc' && i.userIdInIdp === fresh.id), JSON.stringify(ids));
  // And signs in as that user the next time.
  assert.equal(await signIn(fresh.email), sub);
});
