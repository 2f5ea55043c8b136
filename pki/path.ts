import { namesMatch, parseCertificate, signatureVerifies } from './certificate.ts';
import type { CertificateFacts, ParsedCertificate } from './certificate.ts';
import { PkiError } from './errors.ts';
import { OID, SMKI_TEST_POLICY_OID } from './oids.ts';
import { KNOWN_EXTENSIONS } from './extensions/index.ts';

export interface PathResult {
  ok: boolean;
  /** stable reason id when !ok: not-a-certificate, no-path, bad-signature, expired, not-yet-valid, not-a-ca,
   *  issuer-key-usage, path-length, unknown-critical-extension, policy */
  code?: string;
  reason?: string;
  /** leaf first, trust anchor last (when a path was found); read-only, the CA entries are shared between calls */
  chain?: CertificateFacts[];
}

export interface PathOptions {
  /** check every certificate's validity at this time; null skips time checks (no trusted time / ApplyTimeBasedCPVChecks=false) */
  at: Date | null;
  /** every certificate must assert this policy (CAs may assert anyPolicy); default SMKI_TEST_POLICY_OID */
  policyOid?: string;
}

const MAX_DEPTH = 8;

function label(c: ParsedCertificate): string {
  const f = c.facts;
  const who = f.kind === 'device' ? `device ${f.subjectEui ?? '(no EUI)'}` : `'${f.subjectDn || '(empty subject)'}'`;
  return `${f.kind} certificate ${who} (serial ${f.serialHex})`;
}

// Intermediates and anchors recur on every call (the same OCA and root), so their parses and the
// signature verdicts between them are remembered; bounded so that hostile input cannot grow them.
const CACHE_LIMIT = 512;
const parsedCache = new Map<string, ParsedCertificate>();
const verdictCache = new Map<string, boolean>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

function parseCached(der: Uint8Array): ParsedCertificate {
  const key = Buffer.from(der.buffer, der.byteOffset, der.length).toString('latin1');
  return parsedCache.get(key) ?? remember(parsedCache, key, parseCertificate(der));
}

function signatureVerdict(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  const key = `${child.facts.fingerprint}>${issuer.facts.fingerprint}`;
  return verdictCache.get(key) ?? remember(verdictCache, key, signatureVerifies(child, issuer.facts.publicKey));
}

function parseAll(list: Uint8Array[], what: string, cached = true): ParsedCertificate[] {
  return list.map((der, i) => {
    try {
      return cached ? parseCached(der) : parseCertificate(der);
    } catch (e) {
      if (e instanceof PkiError) throw new PkiError(e.code, `${what} ${i + 1}: ${e.message}`);
      throw e;
    }
  });
}

interface Search {
  anchors: ParsedCertificate[];
  intermediates: ParsedCertificate[];
  /** the most telling reason a candidate issuer was turned down */
  nearMiss: { code: string; reason: string } | null;
}

function issuedBy(child: ParsedCertificate, issuer: ParsedCertificate, s: Search): boolean {
  if (!namesMatch(child.issuer, child.issuerDer, issuer.subject, issuer.subjectDer)) return false;
  if (child.facts.aki !== null && child.facts.aki !== issuer.facts.ski) {
    s.nearMiss ??= {
      code: 'no-path',
      reason: `${label(issuer)} has the issuer's name but key id ${issuer.facts.ski || '(none)'}, while ${label(child)} names authority key ${child.facts.aki}`,
    };
    return false;
  }
  if (!signatureVerdict(child, issuer)) {
    s.nearMiss = { code: 'bad-signature', reason: `the signature on ${label(child)} does not verify under the key of ${label(issuer)}` };
    return false;
  }
  return true;
}

function build(chain: ParsedCertificate[], s: Search): ParsedCertificate[] | null {
  const current = chain[chain.length - 1]!;
  for (const anchor of s.anchors) {
    if (issuedBy(current, anchor, s)) return anchor.facts.fingerprint === current.facts.fingerprint ? chain : [...chain, anchor];
  }
  if (chain.length >= MAX_DEPTH) return null;
  for (const next of s.intermediates) {
    if (chain.some((c) => c.facts.fingerprint === next.facts.fingerprint)) continue;
    if (issuedBy(current, next, s)) {
      const found = build([...chain, next], s);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Validates `leaf` up to one of `trustAnchors` through `intermediates` (RFC 5280 path building plus the SMKI
 * checks that pkijs lacks). A trust anchor may be a root or a pinned intermediate (ZAZ1 mode pins Z1);
 * `intermediates` may contain the anchor too. Checks signatures, AKI = issuer SKI, name chaining, CA flags
 * and keyCertSign on every issuer (anchor included), pathLen constraints (anchor's included), unknown critical
 * extensions, the policy on every certificate, and validity at `at`.
 */
export function validatePath(leaf: Uint8Array, intermediates: Uint8Array[], trustAnchors: Uint8Array[], o: PathOptions): PathResult {
  let leafP: ParsedCertificate;
  let s: Search;
  try {
    leafP = parseAll([leaf], 'leaf', false)[0]!;
    s = { anchors: parseAll(trustAnchors, 'trust anchor'), intermediates: parseAll(intermediates, 'intermediate'), nearMiss: null };
  } catch (e) {
    if (e instanceof PkiError) return { ok: false, code: 'not-a-certificate', reason: e.message };
    throw e;
  }
  if (s.anchors.length === 0) return { ok: false, code: 'no-path', reason: 'no trust anchor given' };

  const isAnchor = s.anchors.some((a) => a.facts.fingerprint === leafP.facts.fingerprint);
  const chain = isAnchor ? [leafP] : build([leafP], s);
  if (!chain) {
    if (s.nearMiss) return { ok: false, ...s.nearMiss };
    return {
      ok: false,
      code: 'no-path',
      reason: `no trust anchor or intermediate is the issuer '${leafP.facts.issuerDn}'${leafP.facts.aki ? ` (key id ${leafP.facts.aki})` : ''} of ${label(leafP)}, or of the certificates above it`,
    };
  }
  const facts = chain.map((c) => c.facts);
  const fail = (code: string, reason: string): PathResult => ({ ok: false, code, reason, chain: facts });

  const policy = o.policyOid ?? SMKI_TEST_POLICY_OID;
  for (const [i, c] of chain.entries()) {
    const f = c.facts;
    if (o.at) {
      if (o.at.getTime() > f.notAfter.getTime()) return fail('expired', `${label(c)} expired at ${f.notAfter.toISOString()} (checked at ${o.at.toISOString()})`);
      if (o.at.getTime() < f.notBefore.getTime()) return fail('not-yet-valid', `${label(c)} is not valid before ${f.notBefore.toISOString()} (checked at ${o.at.toISOString()})`);
    }
    const unknown = f.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid));
    if (unknown) return fail('unknown-critical-extension', `${label(c)} has critical extension ${unknown.oid}, which this validator does not understand`);
    const isIssuer = i > 0;
    const anyOk = isIssuer && f.policyOids.includes(OID.anyPolicy);
    if (!f.policyOids.includes(policy) && !anyOk) {
      return fail('policy', `${label(c)} asserts policy ${f.policyOids.join(', ') || '(none)'}; the path needs ${policy}`);
    }
    if (isIssuer) {
      if (!f.basicConstraints?.ca) return fail('not-a-ca', `${label(c)} issues ${label(chain[i - 1]!)} but is not a CA (basicConstraints cA is not TRUE)`);
      if (c.keyUsageBits && !c.keyUsageBits.includes(5)) return fail('issuer-key-usage', `${label(c)} issues certificates but its keyUsage lacks keyCertSign`);
      // CA certificates between this issuer and the leaf (self-issued ones do not count, RFC 5280 §6.1.4)
      const below = chain.slice(1, i).filter((x) => !x.facts.selfIssued).length;
      const limit = f.basicConstraints.pathLen;
      if (limit !== null && below > limit) {
        return fail('path-length', `${label(c)} allows ${limit} CA certificate(s) below it (pathLen ${limit}) but the path has ${below}: ${chain.slice(1, i).map(label).join(', ')}`);
      }
    }
  }
  return { ok: true, chain: facts };
}
