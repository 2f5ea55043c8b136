/**
 * The root's contingency key (CS02b anyByContingency, mode 9): RFC 5934 trust anchor management keeps the
 * apex anchor's contingency public key on the device encrypted under a symmetric key the device does not
 * know; a contingency command carries that key in clear ([0] plaintextSymmetricKey, gbcs-cs02b.md §4), the
 * device decrypts its stored public key with it and verifies the command's signature with the result.
 *
 * Inferred, not read from GBCS: the cipher is AES-128 key wrap with padding (RFC 5649), the key wrap RFC 5934
 * names for its ApexContingencyKey, at GBCS's AES-128 strength; what is wrapped is the key's DER
 * SubjectPublicKeyInfo (P-256). Key wrap carries its own integrity check, so a wrong symmetric key is told
 * apart from a wrong signature.
 */
import { createCipheriv, createDecipheriv, createPublicKey, type KeyObject } from 'node:crypto';

export const CONTINGENCY_SYMMETRIC_KEY_LENGTH = 16;
const CIPHER = 'id-aes128-wrap-pad';
/** RFC 5649's alternative initial value: the cipher adds the length itself. */
const AIV = Buffer.from('A65959A6', 'hex');

/** The wrapped contingency public key a device is made with. */
export function wrapContingencyKey(symmetricKey: Buffer, publicKey: KeyObject): Buffer {
  if (symmetricKey.length !== CONTINGENCY_SYMMETRIC_KEY_LENGTH) throw new TypeError(`the contingency symmetric key is ${CONTINGENCY_SYMMETRIC_KEY_LENGTH} octets`);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const c = createCipheriv(CIPHER, symmetricKey, AIV);
  return Buffer.concat([c.update(spki), c.final()]);
}

/** The contingency public key, or null when `symmetricKey` does not unwrap it (wrong key, or not a P-256 key). */
export function unwrapContingencyKey(symmetricKey: Buffer, wrapped: Buffer): KeyObject | null {
  if (symmetricKey.length !== CONTINGENCY_SYMMETRIC_KEY_LENGTH) return null;
  try {
    const d = createDecipheriv(CIPHER, symmetricKey, AIV);
    const spki = Buffer.concat([d.update(wrapped), d.final()]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : null;
  } catch {
    return null;
  }
}
