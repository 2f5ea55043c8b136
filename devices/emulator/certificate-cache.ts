/**
 * Memoised certificate facts and path validation, so that the thousands of commands a second the
 * simulator aims at do not re-parse the same cell certificates. Keyed by the DER content (not the
 * Buffer identity, since state read back from SQLite brings fresh Buffers every time); bounded, oldest out.
 */
import { describeCertificate, validatePath, type CertificateFacts, type PathResult } from '../../pki/index.ts';

const MAX_ENTRIES = 20_000;

type Described = { facts: CertificateFacts } | { error: string };

const byBuffer = new WeakMap<Buffer, Described>();
const byContent = new Map<string, Described>();
const paths = new Map<string, PathResult>();

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_ENTRIES) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** Facts of a certificate, or the parse error message. */
export function describeCached(der: Buffer): Described {
  const hit = byBuffer.get(der);
  if (hit) return hit;
  const key = der.toString('base64');
  let d = byContent.get(key);
  if (!d) {
    try {
      d = { facts: describeCertificate(der) };
    } catch (e) {
      d = { error: (e as Error).message };
    }
    remember(byContent, key, d);
  }
  byBuffer.set(der, d);
  return d;
}

export function factsOf(der: Buffer): CertificateFacts | null {
  const d = describeCached(der);
  return 'facts' in d ? d.facts : null;
}

/**
 * Path validation with the time checks done here: the signature/profile part (validatePath with at = null)
 * is a pure function of the certificates and is cached; the validity window of each certificate on the
 * path found is then checked against `at`, exactly as validatePath would with `at` set.
 */
export function validatePathCached(leaf: Buffer, intermediates: Buffer[], anchors: Buffer[], at: Date | null): PathResult {
  const ids: string[] = [];
  for (const der of [leaf, ...intermediates, ...anchors]) {
    const f = factsOf(der);
    if (!f) return validatePath(leaf, intermediates, anchors, { at }); // let validatePath word the parse failure
    ids.push(f.fingerprint);
  }
  const key = `${ids[0]}|${ids.slice(1, 1 + intermediates.length).join(',')}|${ids.slice(1 + intermediates.length).join(',')}`;
  let r = paths.get(key);
  if (!r) {
    r = validatePath(leaf, intermediates, anchors, { at: null });
    remember(paths, key, r);
  }
  if (!r.ok || !at) return r;
  for (const f of r.chain ?? []) {
    const who = f.subjectEui ? `certificate of ${f.subjectEui}` : `certificate '${f.subjectDn}'`;
    if (at.getTime() > f.notAfter.getTime()) {
      return { ok: false, code: 'expired', reason: `${who} (serial ${f.serialHex}) expired at ${f.notAfter.toISOString()} (checked at ${at.toISOString()})`, chain: r.chain };
    }
    if (at.getTime() < f.notBefore.getTime()) {
      return { ok: false, code: 'not-yet-valid', reason: `${who} (serial ${f.serialHex}) is not valid before ${f.notBefore.toISOString()} (checked at ${at.toISOString()})`, chain: r.chain };
    }
  }
  return r;
}
