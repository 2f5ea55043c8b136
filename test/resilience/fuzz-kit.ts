// Property-based hostile input for the DCC: valid signed DUIS requests of every supported service
// are mutated — XML structure, attributes, namespaces, text, base64, certificate DER, the GBCS
// bytes of a signed pre-command, RequestID counters, raw bytes — before or after signing, and each
// mutant is handed to the DCC. The oracle:
//   - the DCC answers (never throws) with a DUIS response it also logged;
//   - a rejection (E…) changed nothing: no row of any table but the request log was written;
//   - an acceptance of a mutant whose meaning is the original's (equivalent XML, or tampering the
//     signature should have caught) had exactly the original's effect; a re-signed mutant with
//     another meaning was handled consistently (code, log, queued responses).
// Each case runs inside a transaction that is rolled back afterwards, so every case meets the same
// world and the same valid requests can be mutated again and again.
//
// Framework-free: test/resilience/fuzz.test.ts asserts on it, bench/fuzz.ts runs it for longer.
import 'reflect-metadata';
import type { KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { dashedEui, RemotePartyRole, type Eui } from '../../pki/index.ts';
import { WorldStore } from '../../db/index.ts';
import { buildRequest, parseDuisRequest, parseDuisResponse, signDuis, verifyDuisSignature, type DuisSigner, type Endpoint } from '../../service-requests/index.ts';
import { signApdu } from '../../devices/index.ts';
import { gbcsSignerOf, xmlSignerOf } from '../../src/client.ts';
import { Dcc, type DccAnswer } from '../../src/dcc/dcc.ts';
import { issueOrganisationCertificateFor } from '../../src/world/smki.ts';
import { META, World } from '../../src/world/world.ts';
import { handoverXml, inventoryXml, orgCerts, pickDevice, retrieveXml, updateXml } from '../helpers/gateway-requests.ts';

// --- randomness -----------------------------------------------------------------------------------
/** A deterministic source for one case (fast-check picks the seed, so every case replays). */
export class Rand {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

// --- a minimal element scanner for the compact XML dcc-sim builds ---------------------------------
interface El {
  qname: string;
  prefix: string | null;
  local: string;
  attrs: string;
  start: number;
  openEnd: number;
  closeStart: number;
  end: number;
  depth: number;
  parent: number;
  selfClosing: boolean;
  leaf: boolean;
}

const TAG = /<(\/?)([A-Za-z_][\w.-]*)(?::([A-Za-z_][\w.-]*))?((?:\s+[^\s=<>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;

function scan(xml: string): El[] {
  const out: El[] = [];
  const stack: number[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(xml); m; m = TAG.exec(xml)) {
    const [all, close, a, b, attrs, self] = m as unknown as [string, string, string, string | undefined, string, string];
    if (close) {
      const i = stack.pop();
      if (i === undefined) return [];
      out[i]!.closeStart = m.index;
      out[i]!.end = m.index + all.length;
      continue;
    }
    const e: El = {
      qname: b ? `${a}:${b}` : a,
      prefix: b ? a : null,
      local: b ?? a,
      attrs,
      start: m.index,
      openEnd: m.index + all.length,
      closeStart: -1,
      end: -1,
      depth: stack.length,
      parent: stack.at(-1) ?? -1,
      selfClosing: self === '/',
      leaf: true,
    };
    out.push(e);
    if (e.selfClosing) {
      e.closeStart = e.openEnd;
      e.end = e.openEnd;
    } else stack.push(out.length - 1);
  }
  if (stack.length) return [];
  for (const e of out) if (e.parent >= 0) out[e.parent]!.leaf = false;
  return out;
}

const leafText = (xml: string, e: El) => xml.slice(e.openEnd, e.closeStart);
const splice = (s: string, from: number, to: number, insert: string) => s.slice(0, from) + insert + s.slice(to);
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;
const JUNK_TEXT = ['', ' ', 'x', '-1', '0', '1', '99999999999999999999999', '1e3', 'true', 'NaN', '\u00e9\u00e9', '\u{1F600}', '&amp;', '&lt;x&gt;', 'A'.repeat(5000), '  padded  ', '\t', 'MA==', '90-B3-D5-1F-30-00-00-02'];
const JUNK_NAMES = ['Foo', 'RequestID', 'Body', 'Header', 'Signature', 'Certificate', 'GBCSPayload', 'MPxN', 'ReadInventory', 'RemotePartyRole'];
const SR = 'http://www.dccinterface.co.uk/ServiceUserGateway';

// --- byte mutations (DER, GBCS, raw documents) ---------------------------------------------------
type ByteOp = (b: Buffer, r: Rand) => Buffer;
export const BYTE_OPS: Record<string, ByteOp> = {
  flipBit: (b, r) => {
    const c = Buffer.from(b);
    if (c.length) c[r.int(c.length)]! ^= 1 << r.int(8);
    return c;
  },
  setByte: (b, r) => {
    const c = Buffer.from(b);
    if (c.length) c[r.int(c.length)] = r.pick([0x00, 0xff, 0x80, 0x7f, 0x30, 0x02, 0x04, 0x05, r.int(256)]);
    return c;
  },
  truncate: (b, r) => b.subarray(0, r.int(Math.max(1, b.length))),
  append: (b, r) => Buffer.concat([b, r.bytes(1 + r.int(8))]),
  insert: (b, r) => {
    const at = r.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(4)), b.subarray(at)]);
  },
  deleteRange: (b, r) => {
    const at = r.int(Math.max(1, b.length));
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r.int(8))]);
  },
  /** the outer or an inner length octet: off by one, zero, long form */
  lengthOctet: (b, r) => {
    const c = Buffer.from(b);
    const at = r.pick([1, 2, 3, 5, 6, 7]);
    if (at < c.length) c[at] = r.pick([(c[at]! + 1) & 0xff, (c[at]! - 1) & 0xff, 0x00, 0x80, 0x81, 0x84, 0xff]);
    return c;
  },
  swapBytes: (b, r) => {
    const c = Buffer.from(b);
    if (c.length > 1) {
      const i = r.int(c.length - 1);
      [c[i], c[i + 1]] = [c[i + 1]!, c[i]!];
    }
    return c;
  },
  zeroRange: (b, r) => {
    const c = Buffer.from(b);
    const at = r.int(Math.max(1, c.length));
    c.fill(0, at, Math.min(c.length, at + 1 + r.int(16)));
    return c;
  },
};
const byteOpNames = Object.keys(BYTE_OPS);

/** Mutates bytes until they differ from the original (a mutation that changes nothing is no mutation). */
function mutateBytes(b: Buffer, r: Rand, op = r.pick(byteOpNames)): { bytes: Buffer; op: string } {
  for (let i = 0; i < 8; i++) {
    const out = BYTE_OPS[op]!(b, r);
    if (!out.equals(b)) return { bytes: out, op };
    op = r.pick(byteOpNames);
  }
  return { bytes: Buffer.concat([b, Buffer.from([0])]), op: 'append' };
}

// --- XML mutations -----------------------------------------------------------------------------
type XmlOp = (xml: string, els: El[], r: Rand) => string | null;

const leaves = (els: El[]) => els.filter((e) => e.leaf && !e.selfClosing);
const withAttrs = (els: El[]) => els.filter((e) => e.attrs.trim().length > 0);
const children = (els: El[], i: number) => els.map((e, j) => [e, j] as const).filter(([e]) => e.parent === i);

export const XML_OPS: Record<string, XmlOp> = {
  removeElement: (x, els, r) => {
    const e = r.pick(els.slice(1));
    return e ? splice(x, e.start, e.end, '') : null;
  },
  duplicateElement: (x, els, r) => {
    const e = r.pick(els.slice(1));
    return e ? splice(x, e.end, e.end, x.slice(e.start, e.end)) : null;
  },
  swapSiblings: (x, els, r) => {
    const i = r.int(els.length);
    const sibs = children(els, els[i]!.parent).map(([e]) => e);
    const k = sibs.indexOf(els[i]!);
    const next = sibs[k + 1];
    if (!next || els[i]!.parent < 0) return null;
    const e = els[i]!;
    return x.slice(0, e.start) + x.slice(next.start, next.end) + x.slice(e.end, next.start) + x.slice(e.start, e.end) + x.slice(next.end);
  },
  renameElement: (x, els, r) => {
    const e = r.pick(els);
    const name = `${e.prefix ? `${e.prefix}:` : ''}${r.pick(JUNK_NAMES.filter((n) => n !== e.local))}`;
    if (e.selfClosing) return splice(x, e.start + 1, e.start + 1 + e.qname.length, name);
    return splice(splice(x, e.closeStart + 2, e.closeStart + 2 + e.qname.length, name), e.start + 1, e.start + 1 + e.qname.length, name);
  },
  changePrefix: (x, els, r) => {
    const e = r.pick(els);
    const p = r.pick(['x', 'ds', 'sr', 'xml', '']);
    const name = `${p ? `${p}:` : ''}${e.local}`;
    if (name === e.qname) return null;
    if (e.selfClosing) return splice(x, e.start + 1, e.start + 1 + e.qname.length, name);
    return splice(splice(x, e.closeStart + 2, e.closeStart + 2 + e.qname.length, name), e.start + 1, e.start + 1 + e.qname.length, name);
  },
  insertUnknownChild: (x, els, r) => {
    const parents = els.filter((e) => !e.leaf);
    const p = r.pick(parents);
    const kids = children(els, els.indexOf(p)).map(([e]) => e);
    const at = r.pick([p.openEnd, ...kids.map((k) => k.end)]);
    return splice(x, at, at, r.pick(['<sr:Unknown>x</sr:Unknown>', '<Unknown/>', '<sr:RequestID>90-B3-D5-1F-30-00-00-02:00-00-00-00-00-00-00-00:1</sr:RequestID>', '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>']));
  },
  replaceLeafText: (x, els, r) => {
    const e = r.pick(leaves(els));
    return e ? splice(x, e.openEnd, e.closeStart, r.pick(JUNK_TEXT)) : null;
  },
  emptyLeaf: (x, els, r) => {
    const e = r.pick(leaves(els));
    return e ? splice(x, e.start, e.end, `<${e.qname}${e.attrs}/>`) : null;
  },
  /** equivalent: a character as a character reference */
  charRef: (x, els, r) => {
    const e = r.pick(leaves(els).filter((l) => leafText(x, l).length > 0));
    if (!e) return null;
    const i = e.openEnd + r.int(e.closeStart - e.openEnd);
    return splice(x, i, i + 1, `&#x${x.charCodeAt(i).toString(16)};`);
  },
  /** equivalent: text in a CDATA section */
  cdata: (x, els, r) => {
    const e = r.pick(leaves(els).filter((l) => leafText(x, l).length > 0));
    return e ? splice(x, e.openEnd, e.closeStart, `<![CDATA[${leafText(x, e)}]]>`) : null;
  },
  comment: (x, els, r) => {
    const e = r.pick(els.slice(1));
    const at = r.pick([e.start, e.end, e.openEnd]);
    return splice(x, at, at, r.pick(['<!-- c -->', '<!---->', '<!-- <sr:MPxN>0</sr:MPxN> -->']));
  },
  /** equivalent: whitespace inside a tag */
  tagWhitespace: (x, els, r) => {
    const e = r.pick(els);
    return r.int(2) || e.selfClosing ? splice(x, e.openEnd - (e.selfClosing ? 2 : 1), e.openEnd - (e.selfClosing ? 2 : 1), ' \n\t') : splice(x, e.end - 1, e.end - 1, ' ');
  },
  whitespaceText: (x, els, r) => {
    const e = r.pick(els.slice(1));
    return splice(x, e.start, e.start, r.pick([' ', '\n', '\r\n', '\t  ']));
  },
  /** equivalent: single-quoted attributes */
  attrQuotes: (x, els, r) => {
    const e = r.pick(withAttrs(els));
    return e ? splice(x, e.start, e.openEnd, x.slice(e.start, e.openEnd).replace(/="([^"']*)"/g, "='$1'")) : null;
  },
  attrValue: (x, els, r) => {
    const e = r.pick(withAttrs(els));
    if (!e) return null;
    const tag = x.slice(e.start, e.openEnd);
    const m = [...tag.matchAll(/="([^"]*)"/g)];
    const hit = r.pick(m);
    if (!hit) return null;
    const v = r.pick(['', '5.3', '5.4 ', 'http://www.w3.org/2000/09/xmldsig#sha1', 'urn:x', hit[1]!.slice(0, -1), `${hit[1]}x`, '&quot;']);
    return splice(x, e.start + hit.index! + 2, e.start + hit.index! + 2 + hit[1]!.length, v);
  },
  attrRemove: (x, els, r) => {
    const e = r.pick(withAttrs(els));
    if (!e) return null;
    const tag = x.slice(e.start, e.openEnd);
    const m = [...tag.matchAll(/\s+[^\s=<>/]+="[^"]*"/g)];
    const hit = r.pick(m);
    return hit ? splice(x, e.start + hit.index!, e.start + hit.index! + hit[0].length, '') : null;
  },
  attrDuplicate: (x, els, r) => {
    const e = r.pick(withAttrs(els));
    if (!e) return null;
    const hit = r.pick([...x.slice(e.start, e.openEnd).matchAll(/\s+[^\s=<>/]+="[^"]*"/g)]);
    return hit ? splice(x, e.start + hit.index!, e.start + hit.index!, hit[0]) : null;
  },
  attrAdd: (x, els, r) => {
    const e = r.pick(els);
    const at = e.start + 1 + e.qname.length;
    return splice(x, at, at, r.pick([' foo="bar"', ' sr:schemaVersion="5.4"', ' xml:lang="en"', ' Id="x"', ' ID="x"', ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="sr:Foo"']));
  },
  /** equivalent: a redundant declaration of the sr namespace */
  nsRedundant: (x, els, r) => {
    const e = r.pick(els.slice(1).filter((el) => el.prefix === 'sr'));
    if (!e) return null;
    const at = e.start + 1 + e.qname.length;
    return splice(x, at, at, ` xmlns:sr="${SR}"`);
  },
  /** a child rebinding sr to another namespace */
  nsRebind: (x, els, r) => {
    const e = r.pick(els.slice(1).filter((el) => el.prefix === 'sr'));
    if (!e) return null;
    const at = e.start + 1 + e.qname.length;
    return splice(x, at, at, r.pick([` xmlns:sr="urn:evil"`, ` xmlns:sr="${SR}/"`, ` xmlns:sr=""`]));
  },
  /** equivalent: the default namespace instead of the sr prefix */
  nsDefault: (x) => {
    if (!x.includes('xmlns:sr=')) return null;
    return x.replace(/<(\/?)sr:/g, '<$1').replace(`xmlns:sr="${SR}"`, `xmlns="${SR}"`);
  },
  nsUri: (x, _els, r) => {
    const i = x.indexOf(SR);
    if (i < 0) return null;
    const at = i + r.int(SR.length);
    return splice(x, at, at + 1, String.fromCharCode(x.charCodeAt(at) ^ 1));
  },
  base64Text: (x, els, r) => {
    const e = r.pick(leaves(els).filter((l) => leafText(x, l).length >= 16 && B64.test(leafText(x, l))));
    if (!e) return null;
    const t = leafText(x, e);
    const i = r.int(t.length);
    const v = r.pick([
      t.slice(0, i) + '\n' + t.slice(i),
      t.slice(0, i) + ' ' + t.slice(i),
      t.slice(0, i) + '*' + t.slice(i + 1),
      t.replace(/=+$/, ''),
      `${t}=`,
      t.replace(/\+/g, '-').replace(/\//g, '_'),
      t.slice(0, i),
      `${t}${t}`,
      `=${t}`,
    ]);
    return v === t ? null : splice(x, e.openEnd, e.closeStart, v);
  },
  base64Bytes: (x, els, r) => {
    const e = r.pick(leaves(els).filter((l) => leafText(x, l).length >= 8 && B64.test(leafText(x, l))));
    if (!e) return null;
    return splice(x, e.openEnd, e.closeStart, mutateBytes(Buffer.from(leafText(x, e), 'base64'), r).bytes.toString('base64'));
  },
  removeSignature: (x) => {
    const m = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(x);
    return m ? x.replace(m[0], '') : null;
  },
  truncateAtTag: (x, els, r) => {
    const e = r.pick(els.slice(1));
    return x.slice(0, r.pick([e.start, e.openEnd, e.end]));
  },
  xmlDeclaration: (x, _els, r) =>
    x.replace(/^<\?xml[^>]*\?>/, r.pick(['', '<?xml version="1.1"?>', '<?xml version="1.0" encoding="utf-8"?>', '<?xml version="1.0" standalone="yes"?>', ' <?xml version="1.0"?>', '\ufeff<?xml version="1.0"?>'])),
};
const xmlOpNames = Object.keys(XML_OPS);

// --- the world, the bases, the oracle ---------------------------------------------------------------
export type BaseName = 'inventory' | 'handover' | 'update' | 'signedPreCommand' | 'retrieve';
export const BASES: readonly BaseName[] = ['inventory', 'handover', 'update', 'signedPreCommand', 'retrieve'];
export const FAMILIES = ['tamper', 'resign', 'raw', 'der', 'gbcs', 'counter'] as const;
export type Family = (typeof FAMILIES)[number];

interface Base {
  name: BaseName;
  endpoint: Endpoint;
  originator: Eui;
  target: Eui;
  counter: bigint;
  /** the originator's last accepted counter in the (committed) world, null if none */
  last: bigint | null;
  unsigned: string;
  signed: string;
  signer: DuisSigner;
  model: string;
  effect: Effect;
  preCommand?: Buffer;
  gbcsKey?: KeyObject;
  requestId: string;
}

interface Effect {
  code: string;
  journal: string;
  device: string;
  pending: string;
  counter: string | null;
  outbox: string;
  preCommands: string;
  body: string;
}

export interface FuzzCase {
  base: number;
  family: Family;
  op: number;
  seed: number;
}

/** What the mutant was, for reports. */
export interface Mutant {
  base: BaseName;
  family: Family;
  op: string;
  endpoint: Endpoint;
  body: Buffer;
  /** reject: must be refused; same: refused, or accepted meaning and doing exactly the original; resign: refused, or handled consistently; accept: must be accepted as the original */
  expect: 'reject' | 'same' | 'resign' | 'accept' | 'counter';
  counter?: string;
}

export interface CaseResult {
  ok: boolean;
  code: string;
  accepted: boolean;
  mutant: Mutant;
  problem?: string;
}

export type Transport = (endpoint: Endpoint, body: Buffer) => Promise<DccAnswer & { status?: number }>;

/** A device's cells and counters; anti-replay counters that are clock readings (the ACB's) as T. */
function deviceRow(row: Record<string, unknown> | undefined): string {
  if (!row) return 'none';
  const seq = JSON.parse(String(row.seq_numbers ?? '{}')) as Record<string, string>;
  for (const k of Object.keys(seq)) if (/^\d{12,}$/.test(seq[k]!)) seq[k] = 'T';
  return JSON.stringify({ ...row, seq_numbers: seq });
}

export class FuzzRig {
  world: World;
  dcc: Dcc;
  readonly bases: Base[] = [];
  /** accepted mutants whose request differs in meaning from the original (handled consistently) */
  acceptedDifferent = 0;
  /** a few of them, for reports: family/base/operator */
  readonly acceptedDifferentOps: string[] = [];
  private readonly db;
  private rebuildWorld: boolean;

  /**
   * Builds the rig on a world (its connection is used for the rolled-back transactions). With a
   * transport the cases go through it (HTTP), otherwise straight to Dcc.handle.
   */
  constructor(world: World, dcc?: Dcc, private readonly transport?: Transport) {
    this.world = world;
    this.db = world.store.db;
    this.rebuildWorld = dcc === undefined;
    this.dcc = dcc ?? new Dcc(world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
    this.installJournal();
  }

  /** Temporary triggers record every write to every table but the request log (this connection only). */
  private installJournal(): void {
    this.db.exec('CREATE TEMP TABLE IF NOT EXISTS fuzz_journal (tbl TEXT NOT NULL, op TEXT NOT NULL)');
    const tables = (this.db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'requests'").all() as { name: string }[]).map((t) => t.name);
    for (const t of tables) {
      for (const [op, when] of [['I', 'INSERT'], ['U', 'UPDATE'], ['D', 'DELETE']] as const) {
        this.db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS fuzz_${t}_${op} AFTER ${when} ON main.${t} BEGIN INSERT INTO fuzz_journal (tbl, op) VALUES ('${t}', '${op}'); END`);
      }
    }
  }

  /** Readies the valid requests (committing only the first leg behind the signed pre-command). */
  async prepare(): Promise<void> {
    const w = this.world;
    const oca = w.certificate(Number(w.meta(META.issuingCaId))).der;
    const esme = pickDevice(w, 'ESME', (d, reg, c) => d.status === 'Commissioned' && c.supplierDS === reg.supplier && c.networkOperatorDS === reg.no && !!reg.supplier);
    const inc = pickDevice(w, 'ESME', (d) => d.status === 'InstalledNotCommissioned');
    const supplier = esme.supplier;
    const no = esme.no;
    const start = BigInt(Date.now()) * 1000n;
    const lastOf = (eui: Eui) => {
      const r = this.db.prepare('SELECT last_counter FROM originator_counters WHERE originator_eui = ?').get(eui) as { last_counter: string } | undefined;
      return r ? BigInt(r.last_counter) : null;
    };
    const counterFor = (eui: Eui) => ((lastOf(eui) ?? 0n) > start ? lastOf(eui)! : start) + 10n;

    const noDs = w.certificate(issueOrganisationCertificateFor(w, { eui: no, role: RemotePartyRole.NetworkOperator, usage: 'DS' })).der;
    const noKa = w.certificate(issueOrganisationCertificateFor(w, { eui: no, role: RemotePartyRole.NetworkOperator, usage: 'KA' })).der;
    const sc = orgCerts(w, inc.supplier, RemotePartyRole.Supplier);
    // Devices get their own certificates when first commanded: issue them now, outside the
    // rolled-back cases (the world caches them by id).
    for (const d of [esme.eui, inc.eui]) w.deviceCredentials(d);
    const unsigned: Record<BaseName, { endpoint: Endpoint; originator: Eui; target: Eui; xml: string }> = {
      inventory: { endpoint: 'serviceD', originator: supplier, target: '90B3D51F30000002', xml: inventoryXml(supplier, esme.mpxn!, counterFor(supplier)) },
      handover: { endpoint: 'serviceS', originator: inc.supplier, target: inc.eui, xml: handoverXml({ sender: inc.supplier, target: inc.eui, counter: counterFor(inc.supplier) + 1n, role: 'Supplier', ds: sc.ds, ka: sc.ka, topUp: sc.topUp, path: [oca] }) },
      update: { endpoint: 'serviceT', originator: no, target: esme.eui, xml: updateXml({ sender: no, target: esme.eui, counter: counterFor(no) + 100n, role: 'NetworkOperator', floor: 0n, ds: noDs, ka: noKa, path: [oca] }) },
      retrieve: { endpoint: 'serviceS', originator: supplier, target: esme.eui, xml: retrieveXml(supplier, esme.eui, counterFor(supplier) + 2n) },
      signedPreCommand: { endpoint: 'serviceS', originator: no, target: esme.eui, xml: '' },
    };
    // The signed pre-command needs a pre-command the DCC issued: the first leg, committed for real.
    const leg1Counter = counterFor(no);
    const leg1 = signDuis(updateXml({ sender: no, target: esme.eui, counter: leg1Counter, role: 'NetworkOperator', floor: 0n, ds: noDs, ka: noKa, path: [oca] }), xmlSignerOf(w, no));
    const answer = await this.send('serviceT', Buffer.from(leg1));
    if (answer.responseCode !== 'I0') throw new Error(`fuzz setup: the first leg was refused: ${answer.responseCode} ${answer.reason}`);
    const body = parseDuisResponse(answer.xml).body;
    if (body.kind !== 'ResponseMessage' || !body.content || !('preCommand' in body.content)) throw new Error('fuzz setup: no pre-command');
    const preCommand = body.content.preCommand.gbcsPayload;
    const leg1Id = `${dashedEui(no)}:${dashedEui(esme.eui)}:${leg1Counter}`;
    const cellKey = w.privateKeyOf(w.store.getDeviceSecurity(esme.eui)!.cells.networkOperatorDS!) ?? gbcsSignerOf(w, no, RemotePartyRole.NetworkOperator);
    unsigned.signedPreCommand.xml = this.leg2Xml(leg1Id, signApdu(preCommand, cellKey));

    for (const name of BASES) {
      const u = unsigned[name];
      const signer = xmlSignerOf(w, u.originator);
      const signed = signDuis(u.xml, signer);
      const requestId = /<sr:RequestID>([^<]+)</.exec(u.xml)![1]!;
      const base: Base = {
        name,
        endpoint: u.endpoint,
        originator: u.originator,
        target: u.target,
        counter: BigInt(requestId.split(':')[2]!),
        last: lastOf(u.originator),
        unsigned: u.xml,
        signed,
        signer,
        model: modelOf(signed)!,
        requestId,
        effect: undefined as unknown as Effect,
        ...(name === 'signedPreCommand' ? { preCommand, gbcsKey: cellKey } : {}),
      };
      const r = await this.execute(base, Buffer.from(signed));
      if (!/^I/.test(r.answer.responseCode)) throw new Error(`fuzz setup: the valid ${name} request was refused: ${r.answer.responseCode} ${r.answer.reason}`);
      base.effect = r.effect!;
      this.bases.push(base);
    }
  }

  private leg2Xml(requestId: string, gbcsPayload: Buffer): string {
    return buildRequest({ requestId, commandVariant: 5, serviceReference: '6.15', serviceReferenceVariant: '6.15.1', body: { kind: 'SignedPreCommand', gbcsPayload } });
  }

  private async send(endpoint: Endpoint, body: Buffer): Promise<DccAnswer & { status?: number }> {
    return this.transport ? this.transport(endpoint, body) : this.dcc.handle(endpoint, body);
  }

  /** The mutant of a case: deterministic in the case. */
  mutant(c: FuzzCase): Mutant {
    const base = this.bases[c.base % this.bases.length]!;
    const r = new Rand(c.seed);
    const m = (op: string, body: string | Buffer, expect: Mutant['expect'], extra: Partial<Mutant> = {}): Mutant => ({
      base: base.name,
      family: c.family,
      op,
      endpoint: base.endpoint,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      expect,
      ...extra,
    });
    const xmlMutation = (xml: string): { op: string; out: string } | null => {
      const els = scan(xml);
      if (!els.length) return null;
      for (let k = 0; k < 6; k++) {
        const op = xmlOpNames[(c.op + k) % xmlOpNames.length]!;
        const out = XML_OPS[op]!(xml, els, r);
        if (out !== null && out !== xml) return { op, out };
      }
      return null;
    };
    switch (c.family) {
      case 'tamper': {
        const x = xmlMutation(base.signed);
        return x ? m(x.op, x.out, 'same') : m('raw:flipBit', BYTE_OPS.flipBit!(Buffer.from(base.signed), r), 'same');
      }
      case 'raw': {
        const op = byteOpNames[c.op % byteOpNames.length]!;
        return m(`raw:${op}`, mutateBytes(Buffer.from(base.signed), r, op).bytes, 'same');
      }
      case 'resign': {
        const x = xmlMutation(base.unsigned);
        if (!x) return m('control', base.signed, 'accept');
        return m(x.op, trySign(x.out, base.signer), 'resign');
      }
      case 'der': {
        // a certificate (replacement or certification path) of a handover or a 6.15.1, its DER mutated, then signed
        const host = base.name === 'handover' || base.name === 'update' ? base : this.bases.find((b) => b.name === (c.op % 2 ? 'handover' : 'update'))!;
        const certs = [...host.unsigned.matchAll(/<sr:(DigitalSigningCertificate|KeyAgreementCertificate|KeyAgreementTopUpCertificate|Certificate)>([^<]+)</g)];
        const hit = certs[c.op % certs.length]!;
        const op = byteOpNames[r.int(byteOpNames.length)]!;
        const der = mutateBytes(Buffer.from(hit[2]!, 'base64'), r, op).bytes;
        const xml = host.unsigned.replace(hit[0], `<sr:${hit[1]}>${der.toString('base64')}<`);
        return { ...m(`der:${hit[1]}:${op}`, trySign(xml, host.signer), 'reject'), base: host.name, endpoint: host.endpoint };
      }
      case 'gbcs': {
        const host = this.bases.find((b) => b.name === 'signedPreCommand')!;
        const pre = host.preCommand!;
        const key = host.gbcsKey!;
        const kind = c.op % 7;
        let payload: Buffer;
        let op: string;
        if (kind === 0) {
          const mutated = mutateBytes(pre, r);
          op = `gbcs:pre-command ${mutated.op}, then signed`;
          payload = trySignApdu(mutated.bytes, key, r);
        } else if (kind === 1) {
          const signed = signApdu(pre, key);
          const at = signed.length - 1 - r.int(64);
          payload = Buffer.from(signed);
          payload[at]! ^= 1 << r.int(8);
          op = 'gbcs:signature bit flipped';
        } else if (kind === 2) {
          payload = signApdu(pre, xmlSignerOf(this.world, this.bases[0]!.originator).privateKey);
          op = 'gbcs:signed with another party\'s key';
        } else if (kind === 3) {
          payload = pre;
          op = 'gbcs:unsigned pre-command';
        } else if (kind === 4) {
          const mutated = mutateBytes(signApdu(pre, key), r);
          payload = mutated.bytes;
          op = `gbcs:signed, then ${mutated.op}`;
        } else if (kind === 5) {
          const signed = signApdu(pre, key);
          payload = Buffer.concat([signed.subarray(0, signed.length - 65), Buffer.from([r.pick([0x00, 0x3f, 0x41, 0xff])]), signed.subarray(signed.length - 64)]);
          op = 'gbcs:signature length octet';
        } else {
          return { ...m('gbcs:control', trySign(this.leg2Xml(host.requestId, signApdu(pre, key)), host.signer), 'accept'), base: host.name, endpoint: host.endpoint };
        }
        return { ...m(op, trySign(this.leg2Xml(host.requestId, payload), host.signer), 'reject'), base: host.name, endpoint: host.endpoint };
      }
      case 'counter': {
        const host = base.name === 'signedPreCommand' ? this.bases[0]! : base;
        const last = host.last ?? 0n;
        const values = ['0', '1', String(last), String(last + 1n), String(host.counter + 1000n), '18446744073709551615', '18446744073709551616', '-1', '', 'abc', `00${host.counter}`, ` ${host.counter}`, `${host.counter}.0`, '1e6', String(last > 5n ? last - 5n : 2n), '99999999999999999999999999', `${host.counter}١`];
        const v = values[c.op % values.length]!;
        const xml = host.unsigned.replace(/(<sr:RequestID>[^<]+:)\d+(<\/sr:RequestID>)/, `$1${v}$2`);
        return { ...m(`counter:'${v}'`, trySign(xml, host.signer), 'counter', { counter: v }), base: host.name, endpoint: host.endpoint };
      }
    }
  }

  /** Runs one case and judges it. */
  async run(c: FuzzCase): Promise<CaseResult> {
    let mut: Mutant;
    try {
      mut = this.mutant(c);
    } catch (err) {
      return { ok: false, code: '', accepted: false, mutant: { base: BASES[c.base % BASES.length]!, family: c.family, op: '?', endpoint: 'serviceS', body: Buffer.alloc(0), expect: 'reject' }, problem: `the mutator threw: ${(err as Error).stack}` };
    }
    const base = this.bases.find((b) => b.name === mut.base)!;
    let r: Awaited<ReturnType<FuzzRig['execute']>>;
    try {
      r = await this.execute(base, mut.body, mut.endpoint);
    } catch (err) {
      return { ok: false, code: '', accepted: false, mutant: mut, problem: `the DCC threw: ${(err as Error).stack}` };
    }
    const problem = this.judge(base, mut, r);
    return { ok: problem === undefined, code: r.answer.responseCode, accepted: /^I/.test(r.answer.responseCode), mutant: mut, ...(problem ? { problem } : {}) };
  }

  private judge(base: Base, mut: Mutant, r: { answer: DccAnswer & { status?: number }; effect?: Effect; journal: string; logged: { response_code: string; failed_step: string | null; reason: string | null } | undefined; certificatesWritten: boolean }): string | undefined {
    const { answer } = r;
    const code = answer.responseCode;
    if (answer.status !== undefined && answer.status !== 200 && !(answer.status === 413 && code === 'E100')) return `HTTP ${answer.status}`;
    if (!/^(I0|I99|E\d+)$/.test(code)) return `unexpected response code '${code}'`;
    if (!r.logged) return 'no request log entry';
    if (r.logged.response_code !== code) return `logged ${r.logged.response_code}, answered ${code}`;
    let parsed;
    try {
      parsed = parseDuisResponse(answer.xml);
    } catch (err) {
      return `the answer is not a DUIS response: ${(err as Error).message}`;
    }
    if (parsed.responseCode !== code) return `the answer says ${parsed.responseCode}, the header ${code}`;
    const accepted = code.startsWith('I');
    if (r.certificatesWritten && this.rebuildWorld) this.rebuild();
    if (!accepted) {
      if (r.journal !== '') return `refused with ${code} (${answer.reason}) but wrote ${r.journal}`;
      if (!r.logged.failed_step || !r.logged.reason) return 'a refusal without a failed step and reason in the log';
    }
    const semantic = (except: (keyof Effect)[] = []) => {
      const a = r.effect!;
      const b = base.effect;
      for (const k of Object.keys(b) as (keyof Effect)[]) if (!except.includes(k) && a[k] !== b[k]) return `accepted, but ${k} differs from the original's:\n  ${a[k]}\n  ${b[k]}`;
      return undefined;
    };
    switch (mut.expect) {
      case 'reject':
        return accepted ? `accepted (${code}) though it must be refused` : undefined;
      case 'accept':
        return accepted ? semantic() : `the valid request was refused: ${code} ${answer.reason}`;
      case 'same': {
        if (!accepted) return undefined;
        // the signature held, so the request must mean exactly what was signed
        if (modelOf(mut.body) !== base.model) return `accepted (${code}) with a meaning other than the signed one:\n  ${modelOf(mut.body)}\n  ${base.model}`;
        return semantic();
      }
      case 'resign': {
        if (!accepted) return undefined;
        const model = modelOf(mut.body);
        if (model === base.model) return semantic();
        this.acceptedDifferent++;
        if (this.acceptedDifferentOps.length < 20) this.acceptedDifferentOps.push(`${mut.family}/${mut.base}/${mut.op}`);
        if (code === 'I99' && r.effect!.outbox === '[]') return 'acknowledged (I99) but no asynchronous response or alert was queued';
        return undefined;
      }
      case 'counter': {
        const v = mut.counter!;
        const n = /^\d+$/.test(v) ? BigInt(v) : undefined;
        const last = base.last ?? -1n;
        // the pre-command carries the counter, so a 6.15.1 pre-command differs with it
        const except: (keyof Effect)[] = ['counter', 'body'];
        // 2^64-1 is refused: accepted, it would leave its originator no greater counter (issue 19)
        if (n === 2n ** 64n - 1n && accepted) return `counter ${v} accepted: no greater counter is left for its originator`;
        if (n !== undefined && n > last && n > 0n && n < 2n ** 64n - 1n && v === String(n)) {
          if (!accepted) return `a valid greater counter ${v} was refused: ${code} ${answer.reason}`;
          if (r.effect!.counter !== String(n)) return `counter ${v} accepted but the originator's last counter is ${r.effect!.counter}`;
          return semantic(except);
        }
        if (n !== undefined && n <= last && accepted) return `counter ${v} (not above ${last}) accepted: a replay`;
        if (n === undefined && accepted) return `counter '${v}' accepted`;
        if (accepted && r.effect!.counter !== String(n)) return `counter '${v}' accepted as ${r.effect!.counter}`;
        return accepted ? semantic(except) : undefined;
      }
    }
  }

  /** Fresh world caches after an accepted case registered certificates (their ids are reused after the rollback). */
  private rebuild(): void {
    this.world = new World(new WorldStore(this.db));
    this.dcc = new Dcc(this.world, { networkOperatorCheck: true, maxRequestBytes: 256 * 1024 });
  }

  /** Sends a body inside a transaction, captures what it did, rolls it all back. */
  private async execute(base: Base, body: Buffer, endpoint: Endpoint = base.endpoint) {
    const maxRequest = (this.db.prepare('SELECT coalesce(max(id), 0) AS n FROM requests').get() as { n: number }).n;
    const maxOutbox = (this.db.prepare('SELECT coalesce(max(id), 0) AS n FROM outbox').get() as { n: number }).n;
    this.db.exec('DELETE FROM temp.fuzz_journal');
    this.db.exec('BEGIN');
    try {
      const answer = await this.send(endpoint, body);
      // (outbox updates are delivery bookkeeping, which may run meanwhile on a live server)
      const journal = (this.db.prepare("SELECT tbl, op, count(*) AS n FROM temp.fuzz_journal WHERE NOT (tbl = 'outbox' AND op = 'U') GROUP BY tbl, op ORDER BY tbl, op").all() as { tbl: string; op: string; n: number }[])
        .map((j) => `${j.tbl}:${j.op}×${j.n}`)
        .join(' ');
      const logged = this.db.prepare('SELECT response_code, failed_step, reason FROM requests WHERE id > ? ORDER BY id LIMIT 1').get(maxRequest) as { response_code: string; failed_step: string | null; reason: string | null } | undefined;
      const accepted = /^I/.test(answer.responseCode);
      const effect: Effect | undefined = accepted
        ? {
            code: answer.responseCode,
            journal: journal.replace(/dcc_counters:[IU]/, 'dcc_counters:W'),
            device: deviceRow(this.db.prepare('SELECT * FROM device_security WHERE device_eui = ?').get(base.target) as Record<string, unknown> | undefined),
            pending: JSON.stringify(this.db.prepare('SELECT counter, originator, execute_at FROM device_pending_commands WHERE device_eui = ? ORDER BY counter').all(base.target)),
            counter: (this.db.prepare('SELECT last_counter FROM originator_counters WHERE originator_eui = ?').get(base.originator) as { last_counter: string } | undefined)?.last_counter ?? null,
            outbox: JSON.stringify(
              (this.db.prepare('SELECT party_eui, kind, response_code, request_id, response_id FROM outbox WHERE id > ? ORDER BY id').all(maxOutbox) as Record<string, string | null>[]).map((o) => ({
                ...o,
                request_id: o.request_id?.replace(/:\d+$/, ':C') ?? null,
                response_id: o.response_id?.replace(/:\d+$/, ':C') ?? null,
              })),
            ),
            preCommands: JSON.stringify(this.db.prepare('SELECT target_eui, service_variant, consumed_at IS NOT NULL AS consumed FROM pre_commands WHERE target_eui = ? ORDER BY issued_at, request_id').all(base.target)),
            body: /<sr:Body>[\s\S]*<\/sr:Body>/.exec(answer.xml)?.[0] ?? '',
          }
        : undefined;
      const certificatesWritten = /certificates:|device_credentials:|private_keys:/.test(journal);
      return { answer, journal, logged, effect, certificatesWritten };
    } finally {
      this.db.exec('ROLLBACK');
    }
  }

  /** Checks the DCC's signature on an answer (costly; for a sample). */
  verifies(xml: string): boolean {
    return verifyDuisSignature(xml, this.world.certificateFacts(Number(this.world.meta(META.dccXmlSigningCertificateId))).publicKey).ok;
  }
}

function trySign(xml: string, signer: DuisSigner): string {
  try {
    return signDuis(xml, signer);
  } catch {
    return xml; // not signable (not well-formed): sent as it is
  }
}

function trySignApdu(apdu: Buffer, key: KeyObject, r: Rand): Buffer {
  try {
    return signApdu(apdu, key);
  } catch {
    return Buffer.concat([apdu.subarray(0, apdu.length - 1), Buffer.from([0x40]), r.bytes(64)]);
  }
}

/** What a request means: the parsed header and body (no signature), or undefined if it does not parse. */
export function modelOf(xml: string | Buffer): string | undefined {
  try {
    const m = parseDuisRequest(typeof xml === 'string' ? xml : new Uint8Array(xml));
    return JSON.stringify({ ...m, signer: undefined, xml: undefined }, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return Buffer.from((v as { data: number[] }).data).toString('hex');
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    });
  } catch {
    return undefined;
  }
}

/** The fast-check arbitrary of cases, optionally limited to some families. */
export function caseArbitrary(families: readonly Family[] = FAMILIES): fc.Arbitrary<FuzzCase> {
  return fc.record({
    base: fc.nat({ max: BASES.length - 1 }),
    family: fc.constantFrom(...families),
    op: fc.nat({ max: 1000 }),
    seed: fc.integer(),
  });
}

export interface FuzzReport {
  cases: number;
  accepted: number;
  acceptedDifferent: number;
  byCode: Record<string, number>;
  byFamily: Record<string, number>;
  failures: { case: FuzzCase; result: CaseResult }[];
  counterexample?: FuzzCase;
  seed: number;
  ms: number;
}

/** Runs `runs` cases through fast-check; collects every failing case (fast-check then shrinks one). */
export async function fuzz(rig: FuzzRig, o: { runs: number; seed?: number; families?: readonly Family[]; onCase?: (n: number) => void }): Promise<FuzzReport> {
  const t = performance.now();
  const report: FuzzReport = { cases: 0, accepted: 0, acceptedDifferent: 0, byCode: {}, byFamily: {}, failures: [], seed: o.seed ?? Date.now() % 2 ** 31, ms: 0 };
  const before = rig.acceptedDifferent;
  const details = await fc.check(
    fc.asyncProperty(caseArbitrary(o.families), async (c) => {
      const result = await rig.run(c);
      report.cases++;
      o.onCase?.(report.cases);
      report.byCode[result.code || 'threw'] = (report.byCode[result.code || 'threw'] ?? 0) + 1;
      report.byFamily[c.family] = (report.byFamily[c.family] ?? 0) + 1;
      if (result.accepted) report.accepted++;
      if (!result.ok && report.failures.length < 20) report.failures.push({ case: c, result });
      return result.ok;
    }),
    { numRuns: o.runs, seed: report.seed, endOnFailure: false, maxSkipsPerRun: 0 },
  );
  if (details.failed && details.counterexample) report.counterexample = details.counterexample[0];
  report.acceptedDifferent = rig.acceptedDifferent - before;
  report.ms = performance.now() - t;
  return report;
}

/** A failure, readable: what was mutated how, what the DCC said, what is wrong. */
export function describeFailure(f: { case: FuzzCase; result: CaseResult }): string {
  const m = f.result.mutant;
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);
  const problem = (f.result.problem ?? '').split('\n').map((l) => cut(l, 400)).join('\n');
  return `${m.family}/${m.base}/${m.op} (case ${JSON.stringify(f.case)}): ${problem}\n  mutant: ${cut(m.body.toString('utf8'), 600)}`;
}
