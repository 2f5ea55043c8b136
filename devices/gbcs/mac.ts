/**
 * The general-ciphering wrapper that carries a GBCS MAC (gbcs-cs02b.md §3, "ACB MAC"):
 *
 *   DD 00 00 00 00 00 00 | <len> | 11 00000000 | general-signing APDU | MAC(12)
 *
 * Key = first 16 octets of SHA-256(00000001 || ECDH-Z || OtherInfo),
 * OtherInfo = 60 85 74 06 08 03 00 || originator || 09 || type || counter(8) || target,
 * AES-128-GCM with IV = originator || 00000000, empty plaintext, AAD = 11 00 00 00 00 00 || APDU,
 * tag truncated to 12 octets. Originator, counter and target come from the APDU's grouping header;
 * type is the CRA flag (01 command, 02 response, 03 alert).
 *
 * ECDH is symmetric, so one function serves both ends: the DCC wraps a command with the ACB KA private
 * key and the device's KA public key; the device checks it with its KA private key and the public key in
 * its ACB KA cell, and MACs its CS02a response the same way.
 */
import { createCipheriv, createECDH, hash, timingSafeEqual, type ECDH, type KeyObject } from 'node:crypto';
import { type Annotate, encodeLength, hex, readLength } from './ber.ts';
import { CRA_FLAG, decodeApdu, euiBytes, type GeneralSigningApdu } from './apdu.ts';
import { GbcsError } from './errors.ts';
import { privateScalar, rawPublicKey, ScalarKey, type P256PrivateKey } from '../../pki/index.ts';

export const GENERAL_CIPHERING_TAG = 0xdd;
export const MAC_LENGTH = 12;
/** DD, then five empty octet strings and an absent key-info. */
const CIPHERING_PREFIX = Buffer.from([0xdd, 0, 0, 0, 0, 0, 0]);
/** Security control 0x11 (authenticated only) and invocation counter 0. */
const SECURITY_HEADER = Buffer.from([0x11, 0, 0, 0, 0]);
const AAD_PREFIX = Buffer.from([0x11, 0, 0, 0, 0, 0]);
const KDF_ALGORITHM_ID = Buffer.from([0x60, 0x85, 0x74, 0x06, 0x08, 0x03, 0x00]);

const KDF_COUNTER_ONE = Buffer.from([0, 0, 0, 1]);

/**
 * The one-step KDF of SP 800-56A with SHA-256, one round: the first 16 octets of SHA-256(00000001 || Z || OtherInfo).
 * One-shot crypto.hash, not a Hash object: each of those is a native handle the garbage collector must finalise, and
 * every read made several (bench/measurements.md).
 */
function concatKdf(z: Uint8Array, otherInfo: Buffer): Buffer {
  return hash('sha256', Buffer.concat([KDF_COUNTER_ONE, z, otherInfo]), 'buffer').subarray(0, 16);
}

export interface CipheredMessage {
  /** The general-signing APDU inside the wrapper (a view into the input). */
  apdu: Buffer;
  mac: Buffer;
  /** Offset of the APDU in the message. */
  apduOffset: number;
}

function requireKey(key: P256PrivateKey, type: 'private' | 'public', what: string): void {
  if (type === 'private' && key instanceof ScalarKey) return;
  if (!key || key instanceof ScalarKey || typeof key !== 'object' || key.type !== type || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new GbcsError('bad-key', `${what}: expected an EC P-256 ${type} KeyObject`);
  }
}

/**
 * ECDH results per key pair. Z depends only on the two keys (the counter and IDs enter through the KDF), and
 * one ECDH costs more than the rest of a MAC check. Z = dA·QB = dB·QA, so the entry is keyed by the two public
 * points, unordered: the device finds the Z the DCC computed for the same pair when it wrapped the command (one
 * ECDH per new device, not two). Sound because a caller's own point is always derived from its own private key,
 * so every entry holds the true Z of its pair. Looked up by KeyObject identity first; bounded.
 */
const byIdentity = new WeakMap<P256PrivateKey, WeakMap<P256PublicKey, Buffer>>();
const byPoints = new Map<string, Buffer>();
const MAX_SECRETS = 10_000;

/** A peer's P-256 public key: a KeyObject, or its 65-octet uncompressed point (no key import needed). */
export type P256PublicKey = KeyObject | Uint8Array;

function pointOf(key: P256PublicKey): Buffer {
  if (key instanceof Uint8Array) {
    if (key.length !== 65 || key[0] !== 4) throw new GbcsError('bad-key', `MAC key agreement (peer KA public key): expected a 65-octet uncompressed point, got ${key.length} octets`);
    return Buffer.from(key.buffer, key.byteOffset, key.length);
  }
  requireKey(key, 'public', 'MAC key agreement (peer KA public key)');
  return rawPublicKey(key);
}

// An ECDH per KeyObject: setting the scalar recomputes the public point, as costly as the agreement.
const ecdhs = new WeakMap<KeyObject, ECDH>();
function ecdhOf(key: KeyObject): ECDH {
  let ecdh = ecdhs.get(key);
  if (!ecdh) {
    ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateScalar(key));
    ecdhs.set(key, ecdh);
  }
  return ecdh;
}

/** The pair's cache key: both points in a fixed order (a fixed-base point costs far less than an agreement). */
function pairKey(ownPoint: Buffer, peerPoint: Buffer): string {
  const [a, b] = Buffer.compare(ownPoint, peerPoint) <= 0 ? [ownPoint, peerPoint] : [peerPoint, ownPoint];
  return a.toString('latin1') + b.toString('latin1');
}

/** Keeps a pair's Z, the oldest dropped past MAX_SECRETS. */
function keepSecret(pair: string, z: Buffer): void {
  if (byPoints.size >= MAX_SECRETS) {
    const oldest = byPoints.keys().next();
    if (!oldest.done) byPoints.delete(oldest.value);
  }
  byPoints.set(pair, z);
}

function sharedSecret(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): Buffer {
  let byPeer = byIdentity.get(ownKaPrivate);
  if (!byPeer) {
    byPeer = new WeakMap();
    byIdentity.set(ownKaPrivate, byPeer);
  }
  let z = byPeer.get(peerKaPublic);
  if (z) return z;
  requireKey(ownKaPrivate, 'private', 'MAC key agreement (own KA private key)');
  const point = pointOf(peerKaPublic);
  const ownPoint = ownKaPrivate instanceof ScalarKey ? ownKaPrivate.point : rawPublicKey(ownKaPrivate);
  const pair = pairKey(ownPoint, point);
  z = byPoints.get(pair);
  if (!z) {
    try {
      z = ownKaPrivate instanceof ScalarKey ? ownKaPrivate.sharedSecret(point) : ecdhOf(ownKaPrivate).computeSecret(point);
    } catch (e) {
      throw new GbcsError('bad-key', `MAC key agreement failed: ${(e as Error).message}`);
    }
    keepSecret(pair, z);
  }
  byPeer.set(peerKaPublic, z);
  return z;
}

/** A pair's Z and the key it is kept under: what a thread that computed it hands to another (rememberKeyAgreements). */
export interface KeyAgreement {
  pair: string;
  z: Uint8Array;
}

/**
 * Z for the pair, computed (or found) here, to be remembered by another thread: a prevalidation worker computes the
 * agreements a request will need, so that the serving thread finds them (rememberKeyAgreements) instead of paying
 * the ECDH. As sound as the cache itself: Z comes from one side's own private key.
 */
export function keyAgreement(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): KeyAgreement {
  const z = sharedSecret(ownKaPrivate, peerKaPublic);
  const ownPoint = ownKaPrivate instanceof ScalarKey ? ownKaPrivate.point : rawPublicKey(ownKaPrivate);
  return { pair: pairKey(ownPoint, pointOf(peerKaPublic)), z };
}

/** Agreements another thread computed (keyAgreement), kept as this thread's own would be. */
export function rememberKeyAgreements(agreements: readonly KeyAgreement[]): void {
  for (const a of agreements) if (!byPoints.has(a.pair)) keepSecret(a.pair, Buffer.from(a.z.buffer, a.z.byteOffset, a.z.byteLength));
}

function macKey(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, h: GeneralSigningApdu): Buffer {
  const z = sharedSecret(ownKaPrivate, peerKaPublic);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(h.counter);
  const otherInfo = Buffer.concat([
    KDF_ALGORITHM_ID,
    euiBytes(h.originator, 'originator'),
    Buffer.from([0x09, CRA_FLAG[h.cra]]),
    counter,
    euiBytes(h.target, 'target'),
  ]);
  return concatKdf(z, otherInfo);
}

/**
 * The key of a sensitive (encrypted) payload (catalogue.md §2.3): the MAC's KDF with type byte 04, the
 * device as originator, `counter` (the command's, or the supplementary originator counter) and the party.
 */
export function sensitivePayloadKey(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, deviceEui: string, counter: bigint, partyEui: string): Buffer {
  const z = sharedSecret(ownKaPrivate, peerKaPublic);
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(counter);
  const otherInfo = Buffer.concat([KDF_ALGORITHM_ID, euiBytes(deviceEui, 'device'), Buffer.from([0x09, 0x04]), c, euiBytes(partyEui, 'party')]);
  return concatKdf(z, otherInfo);
}

/**
 * The KDF key two parties agree for a message (originator, type, counter, target), as the MAC's: the UTRN's
 * MAC (GBCS 14, type 01 with the supplier's top-up KA key) needs it without an APDU around it.
 */
export function gbcsKdfKey(ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, originator: string, type: number, counter: bigint, target: string): Buffer {
  const z = sharedSecret(ownKaPrivate, peerKaPublic);
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(counter);
  const otherInfo = Buffer.concat([KDF_ALGORITHM_ID, euiBytes(originator, 'originator'), Buffer.from([0x09, type]), c, euiBytes(target, 'target')]);
  return concatKdf(z, otherInfo);
}

/** The 12-octet GBCS MAC over a general-signing APDU. */
export function computeGbcsMac(apdu: Buffer, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): Buffer {
  const h = decodeApdu(apdu);
  return macOver(h, ownKaPrivate, peerKaPublic);
}

function macOver(h: GeneralSigningApdu, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): Buffer {
  const key = macKey(ownKaPrivate, peerKaPublic, h);
  const iv = Buffer.concat([euiBytes(h.originator, 'originator'), Buffer.alloc(4)]);
  const cipher = createCipheriv('aes-128-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.concat([AAD_PREFIX, h.bytes]));
  cipher.final();
  return cipher.getAuthTag().subarray(0, MAC_LENGTH);
}

function wrap(h: GeneralSigningApdu, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): Buffer {
  const mac = macOver(h, ownKaPrivate, peerKaPublic);
  const len = SECURITY_HEADER.length + h.bytes.length + MAC_LENGTH;
  return Buffer.concat([CIPHERING_PREFIX, encodeLength(len), SECURITY_HEADER, h.bytes, mac]);
}

/** Wraps a general-signing APDU in the general-ciphering header and appends its MAC. */
export function wrapWithMac(apdu: Buffer, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey): Buffer {
  return wrap(decodeApdu(apdu), ownKaPrivate, peerKaPublic);
}

/** The DCC's step: MAC a (signed) command with the ACB KA private key for the device's KA public key. */
export function wrapWithAcbMac(signedApdu: Buffer, acbKaPrivate: P256PrivateKey, deviceKaPublic: P256PublicKey): Buffer {
  const h = decodeApdu(signedApdu);
  if (h.cra !== 'command') throw new GbcsError('bad-argument', `wrapWithAcbMac: expected a command APDU, got a ${h.cra}`);
  return wrap(h, acbKaPrivate, deviceKaPublic);
}

export function isGeneralCiphering(message: Uint8Array): boolean {
  return message.length > 0 && message[0] === GENERAL_CIPHERING_TAG;
}

/** Splits a general-ciphering message into its APDU and MAC, checking the framing (not the MAC). */
export function unwrapGeneralCiphering(message: Buffer, ann?: Annotate): CipheredMessage {
  const what = 'general-ciphering wrapper';
  if (message.length < CIPHERING_PREFIX.length + 1) throw new GbcsError('bad-frame', `${what}: ${message.length} octets is too short`);
  if (!message.subarray(0, CIPHERING_PREFIX.length).equals(CIPHERING_PREFIX)) {
    throw new GbcsError(
      'bad-frame',
      `${what}: expected DD000000000000 (empty transaction id, system titles, date-time, other-information, no key-info), found ${hex(message.subarray(0, 7))}`,
    );
  }
  ann?.(0, 7, 'general-ciphering header', 'DD, no system titles');
  const { length, size } = readLength(message, 7, message.length, `${what}: ciphered-content length`);
  const contentStart = 7 + size;
  if (contentStart + length !== message.length) {
    throw new GbcsError('bad-frame', `${what}: ciphered-content length says ${length} octets, ${message.length - contentStart} present`);
  }
  ann?.(7, size, 'ciphered-content length', String(length));
  if (length < SECURITY_HEADER.length + MAC_LENGTH + 1) throw new GbcsError('bad-frame', `${what}: ciphered content of ${length} octets is too short`);
  const sh = message.subarray(contentStart, contentStart + 5);
  if (sh[0] !== 0x11) {
    throw new GbcsError('bad-frame', `${what}: security control ${hex(sh.subarray(0, 1))} is not 11 (authenticated, not encrypted)`);
  }
  if (!sh.subarray(1).equals(Buffer.alloc(4))) throw new GbcsError('bad-frame', `${what}: invocation counter ${hex(sh.subarray(1))} is not 00000000`);
  ann?.(contentStart, 5, 'security header', 'authenticated only, invocation counter 0');
  const apduOffset = contentStart + 5;
  const apdu = message.subarray(apduOffset, message.length - MAC_LENGTH);
  const mac = message.subarray(message.length - MAC_LENGTH);
  return { apdu, mac, apduOffset };
}

/**
 * Checks the MAC of a general-ciphering message. Never throws for a wrong MAC or malformed input;
 * `reason` says what failed.
 */
export function verifyMac(
  message: Buffer,
  ownKaPrivate: P256PrivateKey,
  peerKaPublic: P256PublicKey,
): { ok: true; apdu: Buffer } | { ok: false; reason: string } {
  let unwrapped: CipheredMessage;
  let h: GeneralSigningApdu;
  try {
    unwrapped = unwrapGeneralCiphering(message);
    h = decodeApdu(unwrapped.apdu);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const expected = macOver(h, ownKaPrivate, peerKaPublic);
  if (!timingSafeEqual(expected, unwrapped.mac)) return { ok: false, reason: 'MAC does not verify with the key-agreement keys' };
  return { ok: true, apdu: unwrapped.apdu };
}
