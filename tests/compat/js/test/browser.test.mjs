// The hosted pages in a real browser: Debian's Chromium driven by puppeteer-core (no
// browser download). The whole code flow through the login and consent pages, SSO to a
// second application of the pool, prompt=none, a wrong password shown on the page, and
// logout. Screenshots of every page go to $SCREENSHOT_DIR (default: a temp directory) so a
// person can look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { AuthenticationClient } from 'authing-js-sdk';
import { mgmt, pool, rand, PASSWORD, uniqueEmail } from './helpers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR || join(tmpdir(), `tessera-shots-${rand(6)}`);
mkdirSync(SHOTS, { recursive: true });

let browser;
let rp;
let rpUrl;

// A relying party's callback: answers every path with a small page, so the browser has
// somewhere to land (http on 127.0.0.1 is a redirect URI Tessera accepts).
before(async () => {
  rp = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>RP</title><h1>Relying party</h1><p>${req.url.replace(/[<>&]/g, '')}</p>`);
  });
  await new Promise(r => rp.listen(0, '127.0.0.1', r));
  rpUrl = `http://127.0.0.1:${rp.address().port}`;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
  });
});

after(async () => {
  await browser?.close();
  rp?.close();
});

const mc = () => mgmt('oidc');

async function newApp(name) {
  return mc().applications.create({
    name,
    identifier: `web-${rand(10)}`,
    redirectUris: [`${rpUrl}/cb`],
    logoutRedirectUris: [`${rpUrl}/bye`],
    grantTypes: ['authorization_code', 'refresh_token']
  });
}

function sdk(app) {
  return new AuthenticationClient({
    appId: app.id,
    secret: app.secret,
    appHost: pool('oidc').appHost,
    redirectUri: `${rpUrl}/cb`
  });
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

test('Chromium: login, consent, SSO to a second app, prompt=none, logout', async () => {
  const email = uniqueEmail('web');
  await mc().users.create({ email, password: PASSWORD });
  const a = await newApp('Tessera Notes');
  const b = await newApp('Tessera Tasks');
  const acA = sdk(a);
  const acB = sdk(b);
  const page = await browser.newPage();
  await page.setViewport({ width: 420, height: 860 });
  await page.setExtraHTTPHeaders({ 'accept-language': 'en-US,en;q=0.9' });

  // The login page, in English as the browser asks.
  await page.goto(acA.buildAuthorizeUrl({ scope: 'openid profile email', state: 'sa' }));
  assert.match(page.url(), /\/interaction\/oidc\//);
  assert.equal(await page.$eval('html', h => h.lang), 'en-US');
  assert.ok(await page.$('input[name="password"][autocomplete="current-password"]'));
  assert.ok(await page.$('input[name="account"][autocomplete="username"]'));
  await shot(page, 'login-en');

  // A wrong password is shown on the page, and nothing is issued.
  await page.type('input[name="account"]', email);
  await page.type('input[name="password"]', 'Wrong-pass-1');
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const alert = await page.$eval('[role="alert"]', e => e.textContent);
  assert.ok(alert.trim().length > 0);
  assert.match(page.url(), /\/interaction\/oidc\//);
  await shot(page, 'login-error-en');

  // The right password: the consent page, then the application with a code.
  await page.$eval('input[name="password"]', e => (e.value = ''));
  if (!(await page.$eval('input[name="account"]', e => e.value))) await page.type('input[name="account"]', email);
  await page.type('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  assert.ok(await page.$('button[name="decision"][value="allow"]'), 'the consent page');
  assert.match(await page.content(), /Tessera Notes/);
  await shot(page, 'consent-en');
  await Promise.all([page.waitForNavigation(), page.click('button[name="decision"][value="allow"]')]);
  let u = new URL(page.url());
  assert.equal(`${u.origin}${u.pathname}`, `${rpUrl}/cb`);
  assert.equal(u.searchParams.get('state'), 'sa');
  const set = await acA.getAccessTokenByCode(u.searchParams.get('code'));
  assert.ok(set.id_token);

  // SSO: the second application asks only for consent, no password.
  await page.goto(acB.buildAuthorizeUrl({ scope: 'openid email', state: 'sb' }));
  assert.equal(await page.$('input[name="password"]'), null, 'no second login');
  assert.match(await page.content(), /Tessera Tasks/);
  await Promise.all([page.waitForNavigation(), page.click('button[name="decision"][value="allow"]')]);
  u = new URL(page.url());
  assert.equal(u.searchParams.get('state'), 'sb');
  assert.ok((await acB.getAccessTokenByCode(u.searchParams.get('code'))).access_token);

  // prompt=none with the session and the consent remembered: straight back with a code.
  await page.goto(acA.buildAuthorizeUrl({ scope: 'openid profile email' }) + '&prompt=none');
  u = new URL(page.url());
  assert.ok(u.searchParams.get('code'), page.url());

  // Logout through the SDK's URL, back to the registered page; prompt=none then fails.
  await page.goto(acA.buildLogoutUrl({ expert: true, redirectUri: `${rpUrl}/bye`, idToken: set.id_token }));
  assert.equal(new URL(page.url()).pathname, '/bye');
  await page.goto(acA.buildAuthorizeUrl({ scope: 'openid' }) + '&prompt=none');
  assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required');

  // The Chinese pages (the default) and the error page of an unknown client.
  const zh = await browser.newPage();
  await zh.setViewport({ width: 1280, height: 860 });
  await zh.setExtraHTTPHeaders({ 'accept-language': 'zh-CN,zh;q=0.9' });
  await zh.goto(acA.buildAuthorizeUrl({ scope: 'openid' }));
  assert.equal(await zh.$eval('html', h => h.lang), 'zh-CN');
  await shot(zh, 'login-zh-wide');
  const res = await zh.goto(`${pool('oidc').appHost}/oidc/auth?client_id=nope&response_type=code&scope=openid`);
  assert.equal(res.status(), 400);
  await shot(zh, 'error-zh');
  await zh.goto(`${pool('oidc').appHost}/`);
  await shot(zh, 'landing-zh');
  console.log(`screenshots: ${SHOTS}`);
});

test('Chromium: sign-ins started in two tabs each complete (the binding cookie is per request)', async () => {
  const email = uniqueEmail('tabs');
  await mc().users.create({ email, password: PASSWORD });
  const a = await newApp('Two Tabs A');
  const ctx = await browser.createBrowserContext();
  const first = await ctx.newPage();
  const second = await ctx.newPage();
  await first.goto(sdk(a).buildAuthorizeUrl({ scope: 'openid', state: 't1' }));
  await second.goto(sdk(a).buildAuthorizeUrl({ scope: 'openid', state: 't2' }));
  // The first tab, opened before the second, still signs in.
  await first.bringToFront();
  await first.type('input[name="account"]', email);
  await first.type('input[name="password"]', PASSWORD);
  await Promise.all([first.waitForNavigation(), first.keyboard.press('Enter')]);
  assert.ok(await first.$('button[name="decision"][value="allow"]'), `consent in the first tab: ${first.url()}`);
  await Promise.all([first.waitForNavigation(), first.click('button[name="decision"][value="allow"]')]);
  assert.equal(new URL(first.url()).searchParams.get('state'), 't1');
  await ctx.close();
});
