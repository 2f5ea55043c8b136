import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, KeyObject, type ECDH } from 'node:crypto';
import { inspect } from 'node:util';
import { signDeterministicP1363 } from './ecdsa.ts';
import { PkiError } from './errors.ts';

/** A P-256 key pair as node:crypto KeyObjects. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Order of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** DER prefix of a SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 with a 65-byte point. */
export const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function bigintTo32(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

function keyPairFromScalar(d: Buffer): KeyPair {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const point = ecdh.getPublicKey(); // uncompressed, 65 bytes
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    d: d.toString('base64url'),
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: publicKeyFromRaw(point) };
}

/**
 * Deterministic P-256 key pair: 48 bytes of HKDF-SHA256(ikm = secret, salt = empty, info = label)
 * reduced to a scalar in [1, n-1] (48 bytes so the reduction bias is negligible).
 * Same secret and label always give the same key; different labels give unrelated keys.
 */
export function deriveKeyPair(secret: Uint8Array, label: string): KeyPair {
  return keyPairFromScalar(deriveScalar(secret, label));
}

function deriveScalar(secret: Uint8Array, label: string): Buffer {
  if (!(secret instanceof Uint8Array) || secret.length === 0) {
    throw new PkiError('bad-secret', 'deriveKeyPair needs a non-empty secret (Uint8Array)');
  }
  const okm = Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), Buffer.from(label, 'utf8'), 48));
  const d = (BigInt(`0x${okm.toString('hex')}`) % (P256_N - 1n)) + 1n;
  return bigintTo32(d);
}

/**
 * A P-256 private key held as its scalar and public point, outside node:crypto. Emulated devices hold
 * theirs this way: importing a scalar into a KeyObject costs ~0.3 ms (OpenSSL's decoder and key check),
 * against ~0.03 ms for the point, and a device's first command needed two (bench/keys.ts measures it).
 * Signatures are ECDSA with the RFC 6979 nonce, which any verifier accepts.
 */
export class ScalarKey {
  readonly #scalar: Buffer;
  #point?: Buffer;

  constructor(scalar: Uint8Array) {
    if (scalar.length !== 32) throw new PkiError('bad-key', `a P-256 scalar is 32 octets, got ${scalar.length}`);
    const d = BigInt(`0x${Buffer.from(scalar).toString('hex')}`);
    if (d === 0n || d >= P256_N) throw new PkiError('bad-key', 'not a P-256 private scalar (it must lie in [1, n-1])');
    // Its own 32 octets: Buffer.from would take them from node's shared 8 kB pool, and a cached key would then keep
    // the whole slab alive (20,000 cached device keys held 70 MB that way; bench/measurements.md).
    this.#scalar = Buffer.allocUnsafeSlow(32);
    this.#scalar.set(scalar);
  }

  // One ECDH for every ScalarKey, set to the key that last used it: making an ECDH costs ~20 µs (its curve
  // group), three times setting a scalar on one, and a read of a new device made one for a point and one agreement.
  private get ecdh(): ECDH {
    if (sharedEcdh.owner !== this) {
      sharedEcdh.ecdh.setPrivateKey(this.#scalar);
      sharedEcdh.owner = this;
    }
    return sharedEcdh.ecdh;
  }

  /** the 65-octet uncompressed public point */
  get point(): Buffer {
    this.#point ??= this.ecdh.getPublicKey();
    return this.#point;
  }

  /** ECDSA P-256 / SHA-256 over `message`, 64 octets r || s. */
  sign(message: Uint8Array): Buffer {
    return signDeterministicP1363(message, this.#scalar);
  }

  /** The ECDH shared secret Z with a peer's 65-octet public point. */
  sharedSecret(peerPoint: Uint8Array): Buffer {
    return this.ecdh.computeSecret(peerPoint);
  }

  /** The private scalar, for callers that must hand it to node:crypto. Never logged. */
  exportScalar(): Buffer {
    return Buffer.from(this.#scalar);
  }

  // A key that reaches a log or a JSON body shows what it is, never its scalar.
  toJSON(): string {
    return '[P-256 private key]';
  }

  [inspect.custom](): string {
    return 'ScalarKey { P-256 private key }';
  }
}

const sharedEcdh: { ecdh: ECDH; owner?: ScalarKey } = { ecdh: createECDH('prime256v1') };

/** A P-256 private key in either form: a node:crypto KeyObject or a ScalarKey. */
export type P256PrivateKey = KeyObject | ScalarKey;

/** deriveKeyPair's key as a ScalarKey: the same scalar for the same secret and label. */
export function deriveScalarKey(secret: Uint8Array, label: string): ScalarKey {
  return new ScalarKey(deriveScalar(secret, label));
}

/** A fresh random P-256 key pair. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKey };
}

function requireP256(key: KeyObject, type: 'private' | 'public', what: string): void {
  if (!(key instanceof KeyObject)) throw new PkiError('bad-key', `${what}: expected a node:crypto KeyObject`);
  if (key.type !== type) throw new PkiError('bad-key', `${what}: expected a ${type} key, got a ${key.type} key`);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new PkiError('bad-key', `${what}: expected an EC P-256 key, got ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}`);
  }
}

/** PKCS#8 DER of a P-256 private key (how the world stores private keys). */
export function privateKeyToPkcs8(key: KeyObject): Buffer {
  requireP256(key, 'private', 'privateKeyToPkcs8');
  return key.export({ format: 'der', type: 'pkcs8' });
}

export function privateKeyFromPkcs8(der: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new PkiError('bad-key', `not a PKCS#8 private key (${(e as Error).message})`);
  }
  requireP256(key, 'private', 'privateKeyFromPkcs8');
  return key;
}

/** Reads a PEM private key (PKCS#8 'PRIVATE KEY' or SEC1 'EC PRIVATE KEY'); must be P-256. */
export function privateKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new PkiError('bad-key', `not a PEM private key (${(e as Error).message})`);
  }
  requireP256(key, 'private', 'privateKeyFromPem');
  return key;
}

/** A P-256 public key from its 65-byte uncompressed point; the point must lie on the curve. */
export function publicKeyFromRaw(point65: Uint8Array): KeyObject {
  if (point65.length !== 65 || point65[0] !== 0x04) {
    throw new PkiError('bad-key', `a P-256 public key is a 65-byte uncompressed point starting 04, got ${point65.length} bytes` +
      (point65.length > 0 ? ` starting ${(point65[0] ?? 0).toString(16).padStart(2, '0')}` : ''));
  }
  try {
    // JWK import is about twice as fast as SPKI DER import
    const jwk = { kty: 'EC', crv: 'P-256', x: Buffer.from(point65.subarray(1, 33)).toString('base64url'), y: Buffer.from(point65.subarray(33, 65)).toString('base64url') };
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (e) {
    throw new PkiError('bad-key', `the 65-byte point is not on P-256 (${(e as Error).message})`);
  }
}

const points = new WeakMap<KeyObject, Buffer>();

/** The 65-byte uncompressed point of a P-256 key (a private key gives its public point). */
export function rawPublicKey(key: KeyObject): Buffer {
  let point = points.get(key);
  if (!point) {
    requireP256(key, key.type === 'private' ? 'private' : 'public', 'rawPublicKey');
    // JWK export is ~20x cheaper than SPKI DER export and carries x and y for private keys too.
    const jwk = key.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x ?? '', 'base64url');
    const y = Buffer.from(jwk.y ?? '', 'base64url');
    if (x.length !== 32 || y.length !== 32) throw new PkiError('bad-key', 'rawPublicKey: P-256 key export lacks 32-byte x and y');
    point = Buffer.concat([Buffer.from([0x04]), x, y]);
    points.set(key, point);
  }
  return Buffer.from(point);
}

const scalars = new WeakMap<KeyObject, Uint8Array>();

/** The 32-byte private scalar, for deterministic (RFC 6979) signing with @noble/curves. Never logged. */
export function privateScalar(key: KeyObject): Uint8Array {
  let d = scalars.get(key);
  if (!d) {
    requireP256(key, 'private', 'signing key');
    const jwk = key.export({ format: 'jwk' });
    if (typeof jwk.d !== 'string') throw new PkiError('bad-key', 'signing key: private scalar not exportable');
    d = new Uint8Array(Buffer.from(jwk.d, 'base64url'));
    scalars.set(key, d);
  }
  return d;
}
