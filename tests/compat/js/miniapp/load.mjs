// Loads `@authing/miniapp-taro` in Node with `@tarojs/taro` replaced by `taro-shim.mjs`
// (through the resolve hook of `taro-hooks.mjs`), and builds SDK instances as a
// mini-program would: `new Authing({appId, host, userPoolId, encryptFunction?})`.
import { register } from 'node:module';

register('./taro-hooks.mjs', import.meta.url);

const sdk = await import('@authing/miniapp-taro');
const shim = await import('./taro-shim.mjs');

export const { Authing, LoginByCodeConnection, LoginByPhoneCodeConnection, PlatformsMenu } = sdk;
/** The shim's controls (storage, request log, next image, login codes). */
export const taro = shim.control;

/** A mini-program SDK for an application: `{appId, userPoolId, host}` plus `extra`. */
export function miniapp({ appId, userPoolId, host }, extra = {}) {
  return new Authing({ appId, userPoolId, host, ...extra });
}
