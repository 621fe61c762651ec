// Module hooks (registered by `load.mjs` with `node:module`'s `register`) that put the Taro
// shim where the mini-program bundle imports `@tarojs/taro`. Nothing else is touched.
const SHIM = new URL('./taro-shim.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === '@tarojs/taro') return { url: SHIM, shortCircuit: true };
  return next(specifier, context);
}

// The bundle is an ES module in a `.js` file of a package without `"type": "module"`; say
// so rather than rely on Node's syntax detection (on by default only in newer Node 20s).
export async function load(url, context, next) {
  if (url.endsWith('/@authing/miniapp-taro/dist/bundle-taro.js')) {
    return next(url, { ...context, format: 'module' });
  }
  return next(url, context);
}
