// The token-bound login captcha of the v3 AuthenticationClient (authing-node-sdk@4.0.1):
// `geneCatchaCodeAndToken` (GET /api/v3/get-captcha-code → {captchaCodeSvg, captchaToken})
// and the sign-in options {captchaCode, captchaToken}. The captcha is bound to its token,
// not to the client address, so a client behind a proxy or NAT can answer it; the token is
// single use (spent by a wrong answer too) and of one pool.
// Pool: v3Captcha (a captcha after 2 failures of an account).
// The harness's captcha hook records each token captcha under
// `<poolId>:token:<sha256 hex of the token>`, which is how the test reads its answer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { pool, uniqueEmail, captchaAnswer, mailboxSeq } from './helpers.mjs';
import { data, refused, v3Auth } from './v3-helpers.mjs';

const P = 'v3Captcha';
const PASSWORD = 'Passw0rd!cap';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const sha256 = s => createHash('sha256').update(s).digest('hex');

/** A captcha through the SDK, with its answer from the harness mailbox. */
async function captcha(poolName = P) {
  const since = await mailboxSeq();
  const d = data(await v3Auth(poolName).geneCatchaCodeAndToken());
  const { answer } = await captchaAnswer(`${pool(poolName).userPoolId}:token:${sha256(d.captchaToken)}`, since);
  return { ...d, answer };
}

const other = a => (a === 'AAAA' ? 'BBBB' : 'AAAA');

let browser;
after(async () => {
  await browser?.close();
});

test('geneCatchaCodeAndToken: SVG markup drawn with paths (no text), a new captcha and token every time', async () => {
  const a = await captcha();
  const b = await captcha();
  for (const c of [a, b]) {
    assert.equal(typeof c.captchaCodeSvg, 'string');
    assert.match(c.captchaCodeSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="120" height="40"/);
    assert.match(c.captchaCodeSvg, /<\/svg>$/);
    assert.match(c.captchaCodeSvg, /<path d="M/);
    assert.doesNotMatch(c.captchaCodeSvg, /<text|<tspan|font|<image|<use|<script|href/i);
    assert.ok(!c.captchaCodeSvg.includes(c.answer), 'the answer is not in the markup');
    assert.match(c.answer, /^[A-Z2-9]{4}$/);
    assert.match(c.captchaToken, /^[A-Za-z0-9_-]{40,}$/);
  }
  assert.notEqual(a.captchaToken, b.captchaToken);
  assert.notEqual(a.captchaCodeSvg, b.captchaCodeSvg);
});

test('failures until 2000; a wrong answer is 2001 and spends the token; the right one signs in; a used token is refused', async () => {
  const auth = v3Auth(P);
  const email = uniqueEmail('v3cap');
  const user = data(await auth.signUpByEmailPassword({ email, password: PASSWORD }));
  const signIn = (password, options) => auth.signInByEmailPassword({ email, password, options });

  const codes = [];
  for (let i = 0; i < 3; i++) codes.push((await signIn('Wrong-Passw0rd')).apiCode);
  assert.deepEqual(codes, [2333, 2333, 2000], 'two failures, then the captcha is demanded');
  refused(await signIn(PASSWORD), { apiCode: 2000 });
  // A token without an answer is no answer.
  const c0 = await captcha();
  refused(await signIn(PASSWORD, { captchaToken: c0.captchaToken }), { apiCode: 2000 });

  // A wrong answer: 2001, and the image is spent, its right answer too late.
  const c1 = await captcha();
  refused(await signIn(PASSWORD, { captchaCode: other(c1.answer), captchaToken: c1.captchaToken }), { apiCode: 2001 });
  refused(await signIn(PASSWORD, { captchaCode: c1.answer, captchaToken: c1.captchaToken }), { apiCode: 2001 });

  // The right answer passes the captcha; with a wrong password the login still fails, and
  // the token is used up: the right password with it is refused.
  const c2 = await captcha();
  refused(await signIn('Wrong-Passw0rd', { captchaCode: c2.answer, captchaToken: c2.captchaToken }), { apiCode: 2333 });
  refused(await signIn(PASSWORD, { captchaCode: c2.answer, captchaToken: c2.captchaToken }), { apiCode: 2001 });

  // A token of another pool does not answer this pool's captcha.
  const foreign = await captcha('v3Auth');
  refused(await signIn(PASSWORD, { captchaCode: foreign.answer, captchaToken: foreign.captchaToken }), { apiCode: 2001 });

  // The right answer (case-insensitive) and the right password: signed in.
  const c3 = await captcha();
  const tokens = data(await signIn(PASSWORD, { captchaCode: c3.answer.toLowerCase(), captchaToken: c3.captchaToken }));
  const claims = await auth.parseIDToken(tokens.id_token);
  assert.equal(claims.sub, user.userId);
  // The success forgave the account's failures: no captcha is demanded now.
  assert.ok(data(await signIn(PASSWORD)).access_token);
});

test('the SVG renders in Chromium with ink where the glyphs stand', async () => {
  const c = await captcha();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 360, height: 120, deviceScaleFactor: 1 });
  const big = c.captchaCodeSvg.replace('width="120" height="40"', 'width="360" height="120"');
  await page.setContent(`<!doctype html><body style="margin:0">${big}</body>`);
  // Dark ink per quarter of the image (one glyph each), read back through a canvas.
  const ink = await page.evaluate(async svg => {
    const img = new Image();
    img.src = `data:image/svg+xml;base64,${btoa(svg)}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = 120;
    canvas.height = 40;
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, 120, 40).data;
    const quarters = [0, 0, 0, 0];
    for (let y = 0; y < 40; y++) {
      for (let x = 8; x < 112; x++) {
        const i = (y * 120 + x) * 4;
        if (px[i] + px[i + 1] + px[i + 2] < 3 * 110) quarters[Math.floor((x - 8) / 26)] += 1;
      }
    }
    return quarters;
  }, c.captchaCodeSvg);
  for (const n of ink) assert.ok(n > 40 && n < 26 * 40 * 0.6, `ink per glyph place: ${ink}`);
  // A screenshot to look at, outside the repository.
  const shot = join(tmpdir(), 'tessera-v3-captcha.png');
  await page.screenshot({ path: shot });
  console.log(`captcha ${c.answer} rendered to ${shot}`);
});
