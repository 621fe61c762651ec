// The two password-encryption plug-ins of the mini-program SDK, which the npm registry here
// lacks: `@authing/miniapp-jsencrypt` and `@authing/miniapp-sm2encrypt` are thin wrappers
// of `jsencrypt` and `sm-crypto` with one export, `encryptFunction(password, publicKey)`
// → ciphertext, which the SDK calls with the key from `/api/v3/system` (§7.2, §7.3).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// jsencrypt's ES module build does not load in Node; its CommonJS build does.
const JSEncryptModule = require('jsencrypt');
const JSEncrypt = JSEncryptModule.default ?? JSEncryptModule;
const { sm2 } = require('sm-crypto');

/** As `@authing/miniapp-jsencrypt`: RSA PKCS#1 v1.5, standard base64. */
export function rsaEncryptFunction(plainText, publicKey) {
  const encrypt = new JSEncrypt({});
  encrypt.setPublicKey(publicKey);
  return String(encrypt.encrypt(plainText));
}

/** As `@authing/miniapp-sm2encrypt`: SM2, hex C1‖C3‖C2 (cipher mode 1), C1 without `04`. */
export function sm2EncryptFunction(plainText, publicKey) {
  return sm2.doEncrypt(plainText, publicKey, 1);
}
