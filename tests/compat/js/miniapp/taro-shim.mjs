// A Node stand-in for `@tarojs/taro`, the runtime `@authing/miniapp-taro` 5.1.18 imports
// (`import Taro from "@tarojs/taro"`). The bundle reaches Taro only through its AuthingMove
// proxy, which calls `login`, `request`, `uploadFile`, `chooseImage`, `getStorage`,
// `setStorage`, `removeStorage` and `clearStorage` (and would call `checkSession`,
// `getUserProfile`, `scanCode`) in the mini-program callback style: one options object with
// `success`/`fail`, whose settlement the proxy turns into a promise. Each API here calls
// `success` or `fail` (then `complete`) and also returns a promise, as Taro does.
//
// What is real: `request` and `uploadFile` do HTTP with fetch, encoding `data` by the
// platform's rules (`v3-wire.md` §6.1). What is simulated: storage (in memory, one "device"
// per process), `login` (a code the test chose, or `wx-<random>`, the form the local WeChat
// mock knows) and `chooseImage` (a file on disk the test names). `control` lets a test
// steer those and see every request that went out.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';

const storage = new Map();
const requests = [];
let nextImage = null;
let loginCode = () => `wx-${randomBytes(8).toString('hex')}`;

/** What tests steer and observe. */
export const control = {
  /** Every `request`/`uploadFile` sent: `{api, method, url, headers, body}`, oldest first. */
  requests,
  /** The storage as the SDK left it (keys `authing:<appId>:login-state`, …). */
  storage,
  /** The file `chooseImage` picks next (a path on disk); null makes it fail. */
  setNextImage(path) {
    nextImage = path;
  },
  /** How `login` makes its code: a function returning the next one. */
  setLoginCode(fn) {
    loginCode = fn;
  },
  /** A fresh device: empty storage, no request log, default login codes. */
  reset() {
    storage.clear();
    requests.length = 0;
    nextImage = null;
    loginCode = () => `wx-${randomBytes(8).toString('hex')}`;
  },
};

/** Settles a callback-style call: `success` or `fail`, then `complete`, and a promise. */
function settle(opts, name, work) {
  const o = opts ?? {};
  const p = (async () => work(o))().then(
    res => {
      o.success?.(res);
      o.complete?.(res);
      return res;
    },
    e => {
      const err = { errMsg: `${name}:fail ${e?.message ?? e}` };
      o.fail?.(err);
      o.complete?.(err);
      throw err;
    }
  );
  // The proxy reads the callbacks, not this promise: mark it handled so a failure the
  // callbacks already reported is not also an unhandled rejection.
  p.catch(() => {});
  return p;
}

/**
 * Taro's (H5) `serializeParams`: `k=v` pairs joined by `&`, both URL-encoded, object
 * values as JSON, anything else through `String` (so `true` is `true`).
 */
export function serializeParams(data) {
  if (!data || typeof data !== 'object') return '';
  return Object.keys(data)
    .map(k => {
      const v = data[k];
      const text = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
      return `${encodeURIComponent(k)}=${encodeURIComponent(text)}`;
    })
    .join('&');
}

function headerValue(headers, name) {
  const key = Object.keys(headers).find(k => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * The wire form of a request (§6.1): GET data goes to the query string; a POST body is
 * JSON unless the caller's `content-type` says form, then the same object as a form; a
 * string is sent as it is. `content-type: application/json` is the default header.
 */
export function encodeRequest({ url, method = 'GET', data, header = {} }) {
  const verb = method.toUpperCase();
  const headers = { ...header };
  if (headerValue(headers, 'content-type') === undefined) {
    headers['content-type'] = 'application/json';
  }
  if (verb === 'GET' || verb === 'HEAD') {
    const qs = typeof data === 'string' ? data : serializeParams(data);
    const target = qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
    return { url: target, method: verb, headers, body: undefined };
  }
  let body;
  if (data === undefined || data === null) {
    body = undefined;
  } else if (typeof data === 'string') {
    body = data;
  } else if (/application\/x-www-form-urlencoded/i.test(headerValue(headers, 'content-type'))) {
    body = serializeParams(data);
  } else {
    body = JSON.stringify(data);
  }
  return { url, method: verb, headers, body };
}

/** `Taro.request`: real HTTP. Any HTTP status succeeds (the SDK reads the body). */
function request(opts) {
  return settle(opts, 'request', async o => {
    const wire = encodeRequest(o);
    requests.push({ api: 'request', ...wire });
    const res = await fetch(wire.url, { method: wire.method, headers: wire.headers, body: wire.body });
    const text = await res.text();
    let data = text;
    if ((o.dataType ?? 'json') === 'json') {
      try {
        data = JSON.parse(text);
      } catch {
        // Taro hands back the text when it is not JSON.
      }
    }
    return { data, statusCode: res.status, header: Object.fromEntries(res.headers), cookies: [], errMsg: 'request:ok' };
  });
}

const IMAGE_TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };

/**
 * `Taro.uploadFile`: a multipart POST of the file at `filePath` under the field `name`,
 * `formData` as more fields, `header` as given (the SDK gives none). `data` is the answer's
 * text, which the SDK parses itself.
 */
function uploadFile(opts) {
  return settle(opts, 'uploadFile', async o => {
    const bytes = await readFile(o.filePath);
    const form = new FormData();
    for (const [k, v] of Object.entries(o.formData ?? {})) form.append(k, String(v));
    const type = IMAGE_TYPES[extname(o.filePath).toLowerCase()] ?? 'application/octet-stream';
    form.append(o.name, new Blob([bytes], { type }), basename(o.filePath));
    const headers = { ...(o.header ?? {}) };
    requests.push({ api: 'uploadFile', method: 'POST', url: o.url, headers, body: `<multipart ${o.name}=${basename(o.filePath)}>` });
    const res = await fetch(o.url, { method: 'POST', headers, body: form });
    return { data: await res.text(), statusCode: res.status, errMsg: 'uploadFile:ok' };
  });
}

/** `Taro.chooseImage`: the file the test set with `control.setNextImage`. */
function chooseImage(opts) {
  return settle(opts, 'chooseImage', async () => {
    if (!nextImage) throw new Error('cancel');
    const size = (await readFile(nextImage)).length;
    return { tempFilePaths: [nextImage], tempFiles: [{ path: nextImage, size }], errMsg: 'chooseImage:ok' };
  });
}

/** `Taro.login`: a platform code. */
function login(opts) {
  return settle(opts, 'login', async () => ({ code: loginCode(), errMsg: 'login:ok' }));
}

function checkSession(opts) {
  return settle(opts, 'checkSession', async () => ({ errMsg: 'checkSession:ok' }));
}

// Storage keeps a copy, as the platform serialises what it stores.
function getStorage(opts) {
  return settle(opts, 'getStorage', async o => {
    if (!storage.has(o.key)) throw new Error('data not found');
    return { data: structuredClone(storage.get(o.key)), errMsg: 'getStorage:ok' };
  });
}
function setStorage(opts) {
  return settle(opts, 'setStorage', async o => {
    storage.set(o.key, structuredClone(o.data));
    return { errMsg: 'setStorage:ok' };
  });
}
function removeStorage(opts) {
  return settle(opts, 'removeStorage', async o => {
    storage.delete(o.key);
    return { errMsg: 'removeStorage:ok' };
  });
}
function clearStorage(opts) {
  return settle(opts, 'clearStorage', async () => {
    storage.clear();
    return { errMsg: 'clearStorage:ok' };
  });
}

const systemInfo = {
  brand: 'node',
  model: 'tessera-compat',
  platform: 'devtools',
  system: `Node ${process.version}`,
  version: '8.0.0',
  SDKVersion: '3.0.0',
  language: 'zh_CN',
  pixelRatio: 1,
  screenWidth: 375,
  screenHeight: 812,
  windowWidth: 375,
  windowHeight: 812,
};

const Taro = {
  ENV_TYPE: { WEAPP: 'WEAPP', TT: 'TT', WEB: 'WEB' },
  // The WeChat runtime: the SDK picks `wx` unless a global `tt` exists (there is none).
  getEnv: () => 'WEAPP',
  request,
  uploadFile,
  chooseImage,
  login,
  checkSession,
  getStorage,
  setStorage,
  removeStorage,
  clearStorage,
  // The platform's synchronous storage: a missing key reads as ''.
  getStorageSync: key => (storage.has(key) ? structuredClone(storage.get(key)) : ''),
  setStorageSync: (key, data) => void storage.set(key, structuredClone(data)),
  removeStorageSync: key => void storage.delete(key),
  clearStorageSync: () => storage.clear(),
  getSystemInfo: opts => settle(opts, 'getSystemInfo', async () => ({ ...systemInfo, errMsg: 'getSystemInfo:ok' })),
  getSystemInfoSync: () => ({ ...systemInfo }),
};

export default Taro;
