// Replays issue 11's attacks against a running Tessera and prints what they achieved, for a
// closing note or a release check. Not a test: the assertions live in
// crates/tessera-cli/tests/hardening.rs, client_ip.rs and tests/compat/js/test/guard.test.mjs.
//
//   node scripts/attack-report.mjs --url http://127.0.0.1:3000 --pid <server pid> \
//        --pool-json "$(tessera pool create --name attack --json)"
//
// Runs from tests/compat/js (for the official SDK): `cd tests/compat/js && node ../../../scripts/attack-report.mjs …`.
// The server must NOT list 127.0.0.1 as a trusted proxy: the attacker is an ordinary client.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(`${process.cwd()}/`);
const { AuthenticationClient, ManagementClient } = require('authing-js-sdk');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), [])
);
const URL = args.url ?? 'http://127.0.0.1:3000';
const PID = args.pid;
const POOL = JSON.parse(args['pool-json']);
const PASSWORD = 'Correct-Horse-9';

function rssKb() {
  if (!PID) return null;
  const status = readFileSync(`/proc/${PID}/status`, 'utf8');
  const get = k => Number(status.match(new RegExp(`${k}:\\s+(\\d+)`))[1]);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

const client = () => new AuthenticationClient({ appId: POOL.appId, appHost: URL });
const email = p => `${p}-${randomBytes(5).toString('hex')}@example.com`;

async function graphql(query, variables = {}) {
  const started = performance.now();
  const res = await fetch(`${URL}/graphql/v2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-authing-app-id': POOL.appId },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  return { ms: performance.now() - started, status: res.status, body };
}

async function outcome(fn) {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    return typeof e?.code === 'number' ? String(e.code) : String(e?.message ?? e);
  }
}

function tally(list) {
  const t = {};
  for (const k of list) t[k] = (t[k] ?? 0) + 1;
  return JSON.stringify(t);
}

async function fragmentBomb(n) {
  let q = 'query { user { ...F0 } }\n';
  for (let i = 0; i < n; i++) q += `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }\n`;
  q += `fragment F${n} on User { id }\n`;
  const before = rssKb();
  const r = await graphql(q);
  const after = rssKb();
  const err = r.body.errors?.[0]?.message;
  console.log(`1. fragment bomb n=${n} (${q.length} bytes, 2^${n} fields): HTTP ${r.status}, code ${err?.code}, ${r.ms.toFixed(1)} ms; RSS ${before?.rss} → ${after?.rss} kB (peak ${after?.hwm} kB)`);
}

async function aliases() {
  const many = Array.from({ length: 10000 }, (_, i) => `a${i}: isUserExists(email: "x@example.com")`).join(' ');
  const r = await graphql(`query { ${many} }`);
  console.log(`1. 10,000 aliases: code ${r.body.errors?.[0]?.message?.code}, ${r.ms.toFixed(1)} ms, fields run: ${Object.keys(r.body.data ?? {}).length}`);
}

async function aliasedLogins(victim) {
  const c = client();
  const wrong = await c.options.encryptFunction('not-her-password', await c.publicKeyManager.getPublicKey());
  const fields = Array.from({ length: 50 }, (_, i) => `g${i}: loginByEmail(input: $input) { id }`).join(' ');
  const r = await graphql(`mutation m($input: LoginByEmailInput!) { ${fields} }`, { input: { email: victim, password: wrong } });
  const ok = await outcome(() => client().loginByEmail(victim, PASSWORD));
  console.log(`1. 50 aliased loginByEmail in one POST: code ${r.body.errors?.[0]?.message?.code}, fields run ${Object.keys(r.body.data ?? {}).length}; the right password afterwards: ${ok}`);
}

async function bruteForce(victim) {
  const seen = [];
  for (let i = 0; i < 100; i++) seen.push(await outcome(() => client().loginByEmail(victim, `wrong-${i}`)));
  const right = await outcome(() => client().loginByEmail(victim, PASSWORD));
  console.log(`3. 100 wrong passwords on one account of a new pool (defaults): ${tally(seen)}; then the right one without a captcha: ${right}`);
}

async function spray(accounts) {
  const seen = [];
  for (let i = 0; i < accounts.length; i++) {
    const ip = `10.9.${i}.${i + 1}`;
    seen.push(await outcome(() => client().loginByEmail(accounts[i], 'Spring2026!', { clientIp: ip })));
  }
  console.log(`3. spraying ${accounts.length} accounts × 1 guess, each with its own SDK clientIp: ${tally(seen)}`);
}

async function registrations() {
  // The pool's own knob (off by default, as in Authing): 5 registrations per address per hour.
  const mc = new ManagementClient({ userPoolId: POOL.userPoolId, secret: POOL.secret, host: URL });
  await mc.userpool.update({ frequentRegisterCheck: { enabled: true, timeInterval: 3600, limit: 5 } });
  const seen = [];
  for (let i = 0; i < 20; i++) {
    seen.push(await outcome(() => client().registerByEmail(email('reg'), PASSWORD, null, { clientIp: `10.8.${i}.1` })));
  }
  console.log(`3. 20 registrations from one socket, each with its own clientIp, frequentRegisterCheck 5/hour: ${tally(seen)}`);
}

async function undecryptable() {
  const c = client();
  const who = email('plain');
  const r = await graphql(
    'mutation r($input: RegisterByEmailInput!) { registerByEmail(input: $input) { id } }',
    { input: { email: who, password: 'plain-text-password' } }
  );
  const exists = await c.isUserExists({ email: who });
  console.log(`5. registration with a password that is not our ciphertext: code ${r.body.errors?.[0]?.message?.code}; account created: ${exists}`);
}

function stall(head) {
  return new Promise((resolve, reject) => {
    const s = net.connect(new globalThis.URL(URL).port || 80, new globalThis.URL(URL).hostname, () => {
      s.write(head);
      resolve(s);
    });
    s.on('error', reject);
  });
}

function closedWithin(s, patienceMs) {
  const started = performance.now();
  return new Promise(resolve => {
    const t = setTimeout(() => resolve(null), patienceMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve(performance.now() - started);
    });
    s.on('data', () => {});
    s.on('error', () => {});
  });
}

async function slowloris() {
  const heads = [];
  for (let i = 0; i < 200; i++) {
    heads.push(await stall(i % 2 ? 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ' :
      'POST /graphql/v2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{"query":'));
  }
  const started = performance.now();
  const res = await fetch(`${URL}/health`);
  const ms = performance.now() - started;
  const closes = await Promise.all(heads.map(s => closedWithin(s, 45000)));
  const part = odd => closes.filter((_, i) => (i % 2 === 1) === odd);
  const describe = list => {
    const done = list.filter(c => c !== null);
    return `${done.length} closed by ${(Math.max(...done) / 1000).toFixed(1)} s, ${list.length - done.length} held past 45 s`;
  };
  console.log(`7. slowloris, 200 connections: /health meanwhile HTTP ${res.status} in ${ms.toFixed(1)} ms; partial headers: ${describe(part(true))}; promised 1 MB bodies: ${describe(part(false))} (defaults: header timeout 10 s, body 30 s)`);
}

async function races(rounds) {
  const mc = new ManagementClient({ userPoolId: POOL.userPoolId, secret: POOL.secret, host: URL });
  const who = email('race');
  const ac = client();
  const user = await ac.registerByEmail(who, PASSWORD);
  await ac.loginByEmail(who, PASSWORD);
  let password = PASSWORD;
  let blockLost = 0;
  let fieldLost = 0;
  for (let i = 0; i < rounds; i++) {
    const next = `Race-${i}-Horse-9`;
    const [, changed] = await Promise.all([
      mc.users.update(user.id, { blocked: true }),
      ac.updatePassword(next, password).then(() => true, () => false),
    ]);
    if (changed) password = next;
    if (!(await mc.users.detail(user.id)).blocked) blockLost++;
    await mc.users.update(user.id, { blocked: false });
    await ac.loginByEmail(who, password);
    const nickname = `n${i}`;
    const company = `c${i}`;
    await Promise.all([ac.updateProfile({ nickname }), mc.users.update(user.id, { company })]);
    const after = await mc.users.detail(user.id);
    if (after.nickname !== nickname || after.company !== company) fieldLost++;
  }
  console.log(`2. ${rounds} rounds through the SDK: users.update({blocked:true}) racing updatePassword lost the block ${blockLost} times; updateProfile({nickname}) racing users.update({company}) lost a field ${fieldLost} times`);
}

const victim = email('victim');
await client().registerByEmail(victim, PASSWORD);
const sprayed = [];
for (let i = 0; i < 20; i++) {
  const e = email('spray');
  await client().registerByEmail(e, PASSWORD, null, { clientIp: `10.7.${i}.1` }).catch(() => {});
  sprayed.push(e);
}
console.log(`server ${URL}, pool ${POOL.userPoolId}, idle RSS ${rssKb()?.rss} kB`);
await races(50);
await fragmentBomb(21);
await fragmentBomb(30);
await aliases();
await aliasedLogins(victim);
await bruteForce(victim);
await spray(sprayed);
await registrations();
await undecryptable();
await slowloris();
