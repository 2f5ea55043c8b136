/**
 * Sensitive payloads (catalogue.md §2.3, verified there by decrypting RTDS responses): the part of a response
 * GBCS marks sensitive travels AES-128-GCM encrypted to the recipient's KA key.
 *
 *   key = KDF(ECDH(device KA, recipient KA), type 04, device EUI, counter, recipient EUI)
 *   IV  = device EUI ‖ 00000000, AAD = 31 (the security-control byte), tag 12 octets
 *   carried as 31 ‖ 00000000 ‖ ciphertext ‖ tag
 *
 * ECDH is symmetric: the device encrypts with its KA private key and the recipient's public key; the
 * recipient (a User, a test) decrypts with its private key and the device's public key.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { P256PrivateKey } from '../../pki/index.ts';
import { euiBytes } from './apdu.ts';
import { GbcsError } from './errors.ts';
import { sensitivePayloadKey, type P256PublicKey } from './mac.ts';

const SECURITY_CONTROL = 0x31;
const TAG_LENGTH = 12;

export interface SensitiveParties {
  /** the device's EUI (originator of the response) */
  device: string;
  /** the recipient, or the supplementary remote party when there is one */
  party: string;
  /** the grouping-header counter, or the supplementary originator counter */
  counter: bigint;
}

/** 31 ‖ 00000000 ‖ ciphertext ‖ 12-octet tag. */
export function encryptSensitive(plaintext: Buffer, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, p: SensitiveParties): Buffer {
  const key = sensitivePayloadKey(ownKaPrivate, peerKaPublic, p.device, p.counter, p.party);
  const cipher = createCipheriv('aes-128-gcm', key, Buffer.concat([euiBytes(p.device, 'device'), Buffer.alloc(4)]), { authTagLength: 16 });
  cipher.setAAD(Buffer.from([SECURITY_CONTROL]));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([SECURITY_CONTROL, 0, 0, 0, 0]), ct, cipher.getAuthTag().subarray(0, TAG_LENGTH)]);
}

/** The plaintext of `31 ‖ 00000000 ‖ ciphertext ‖ tag`; throws GbcsError when it does not authenticate. */
export function decryptSensitive(ciphered: Buffer, ownKaPrivate: P256PrivateKey, peerKaPublic: P256PublicKey, p: SensitiveParties): Buffer {
  if (ciphered.length < 5 + TAG_LENGTH || ciphered[0] !== SECURITY_CONTROL) throw new GbcsError('bad-frame', 'sensitive payload: expected 31 00000000 ‖ ciphertext ‖ tag');
  const key = sensitivePayloadKey(ownKaPrivate, peerKaPublic, p.device, p.counter, p.party);
  const ct = ciphered.subarray(5, ciphered.length - TAG_LENGTH);
  const tag = ciphered.subarray(ciphered.length - TAG_LENGTH);
  // GCM with a 12-octet tag: recompute the full tag by encrypting, then compare the first 12 octets.
  const cipher = createCipheriv('aes-128-gcm', key, Buffer.concat([euiBytes(p.device, 'device'), Buffer.alloc(4)]), { authTagLength: 16 });
  cipher.setAAD(Buffer.from([SECURITY_CONTROL]));
  const decipher = createDecipheriv('aes-128-ctr', key, ctrIv(euiBytes(p.device, 'device')));
  const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]);
  cipher.update(plaintext);
  cipher.final();
  if (!cipher.getAuthTag().subarray(0, TAG_LENGTH).equals(tag)) throw new GbcsError('bad-mac', 'sensitive payload: the tag does not authenticate (wrong key, party or counter)');
  return plaintext;
}

/** GCM's first counter block for a 96-bit IV is IV ‖ 00000002 (00000001 is the tag's). */
function ctrIv(deviceEui: Buffer): Buffer {
  return Buffer.concat([deviceEui, Buffer.alloc(4), Buffer.from([0, 0, 0, 2])]);
}
