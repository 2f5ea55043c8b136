import { createECDH, createPrivateKey, hkdfSync, randomBytes, sign } from 'node:crypto';
import { deriveKeyPair, deriveScalarKey } from '../pki/index.ts';

// `node --import tsx bench/keys.ts`: why emulated devices hold their keys as ScalarKeys. A device's
// first command needs its DS and KA keys derived from the world secret; turning a scalar into a
// node:crypto KeyObject goes through OpenSSL's decoders and key check, which costs ten times the
// scalar multiplication itself. Figures are kept in bench/measurements.md.

const n = 2000;
const scalars = Array.from({ length: n }, () => randomBytes(32));
const secret = randomBytes(32);
const PKCS8_D_ONLY = Buffer.from('308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420', 'hex');
const time = (name: string, f: (i: number) => unknown) => {
  for (let i = 0; i < 200; i++) f(i); // warm-up
  const t = performance.now();
  for (let i = 0; i < n; i++) f(i);
  process.stdout.write(`${name.padEnd(58)} ${((performance.now() - t) / n).toFixed(4)} ms\n`);
};
time('ECDH point only (k·G)', (i) => createECDH('prime256v1').setPrivateKey(scalars[i]!));
time('KeyObject from JWK (d, x, y), after ECDH for x, y', (i) => {
  const e = createECDH('prime256v1');
  e.setPrivateKey(scalars[i]!);
  const p = e.getPublicKey();
  createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: scalars[i]!.toString('base64url'), x: p.subarray(1, 33).toString('base64url'), y: p.subarray(33).toString('base64url') }, format: 'jwk' });
});
time('KeyObject from PKCS#8 DER (d only)', (i) => createPrivateKey({ key: Buffer.concat([PKCS8_D_ONLY, scalars[i]!]), format: 'der', type: 'pkcs8' }));
time('deriveKeyPair (HKDF + KeyObjects, as before)', (i) => deriveKeyPair(secret, `device/${i}/DS`));
time('deriveScalarKey (HKDF + ECDH point)', (i) => deriveScalarKey(secret, `device/${i}/DS`));
const key = deriveScalarKey(secret, 'signer');
const kp = deriveKeyPair(secret, 'signer');
const msg = randomBytes(200);
time('sign: ScalarKey (RFC 6979, P1363)', () => key.sign(msg));
time('sign: node:crypto KeyObject', () => sign('sha256', msg, { key: kp.privateKey, dsaEncoding: 'ieee-p1363' }));
time('HKDF-SHA256, 48 octets', (i) => hkdfSync('sha256', secret, new Uint8Array(0), Buffer.from(`device/${i}/KA`), 48));
