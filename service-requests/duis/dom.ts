/**
 * Walking a parsed DUIS document the way the XSD reads it: element-only content, qualified names,
 * sequences with occurrence bounds. Every error names the element path and what was expected.
 */
import type { Element, Node } from '@xmldom/xmldom';
import { DS_NS, SR_NS, XMLNS_NS, XSI_NS } from './model.ts';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PI = 7;
const COMMENT = 8;

/** Thrown by the walkers; the caller decides the rejection step (schema or signature). */
export class StructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructureError';
  }
}

/** 'sr:Name' / 'ds:Name' for the known namespaces, '{ns}Name' otherwise, whatever prefix the document used. */
export function displayName(el: Element): string {
  const local = el.localName ?? el.nodeName;
  if (el.namespaceURI === SR_NS) return `sr:${local}`;
  if (el.namespaceURI === DS_NS) return `ds:${local}`;
  return el.namespaceURI ? `{${el.namespaceURI}}${local}` : local;
}

export function childPath(path: string, el: Element): string {
  return path === '' ? displayName(el) : `${path}/${displayName(el)}`;
}

function clip(s: string): string {
  return JSON.stringify(s.length > 30 ? `${s.slice(0, 30)}…` : s);
}

/** Element children of an element-only content model; stray text is an error, comments are ignored. */
export function elementChildren(el: Element, path: string): Element[] {
  const out: Element[] = [];
  for (let n: Node | null = el.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === ELEMENT) out.push(n as Element);
    else if (n.nodeType === TEXT || n.nodeType === CDATA) {
      const data = (n as unknown as { data: string }).data;
      if (/[^\t\n\r ]/.test(data)) throw new StructureError(`${path}: text ${clip(data.trim())} is not allowed here (element-only content)`);
    } else if (n.nodeType === PI) {
      throw new StructureError(`${path}: processing instructions are not allowed`);
    } else if (n.nodeType !== COMMENT) {
      throw new StructureError(`${path}: unexpected node type ${n.nodeType}`);
    }
  }
  return out;
}

/** The character content of a simple-typed element (text and CDATA, comments skipped). */
export function simpleText(el: Element, path: string): string {
  let s = '';
  for (let n: Node | null = el.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === TEXT || n.nodeType === CDATA) s += (n as unknown as { data: string }).data;
    else if (n.nodeType === ELEMENT) throw new StructureError(`${path}: must hold a value, not the element ${displayName(n as Element)}`);
    else if (n.nodeType !== COMMENT) throw new StructureError(`${path}: unexpected node type ${n.nodeType}`);
  }
  return s;
}

/**
 * Attributes other than namespace declarations must be in `allowed`; xsi:schemaLocation and
 * xsi:noNamespaceSchemaLocation are tolerated (validators ignore them), any other xsi: attribute
 * (xsi:type, xsi:nil) would change the content model and is refused.
 */
export function checkAttributes(el: Element, path: string, allowed: readonly string[] = []): void {
  const attrs = el.attributes;
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i)!;
    if (a.namespaceURI === XMLNS_NS) continue;
    if (a.namespaceURI === XSI_NS && (a.localName === 'schemaLocation' || a.localName === 'noNamespaceSchemaLocation')) continue;
    if (!a.namespaceURI && allowed.includes(a.localName ?? a.name)) continue;
    throw new StructureError(`${path}: attribute ${a.name} is not allowed${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
  }
}

/**
 * A cursor over an element's children checking an XSD sequence: names in order, each with its
 * occurrence bounds, nothing left over.
 */
export class Sequence {
  private i = 0;
  private readonly kids: Element[];
  private lastName: string | undefined;

  constructor(
    private readonly parent: Element,
    private readonly path: string,
    private readonly ns: string = SR_NS,
  ) {
    this.kids = elementChildren(parent, path);
  }

  private matches(el: Element | undefined, local: string, ns: string): boolean {
    return el !== undefined && el.localName === local && el.namespaceURI === ns;
  }

  private wanted(local: string, ns: string): string {
    return ns === SR_NS ? `sr:${local}` : ns === DS_NS ? `ds:${local}` : `{${ns}}${local}`;
  }

  private describeFound(el: Element | undefined): string {
    if (el === undefined) return 'nothing';
    if (el.namespaceURI !== this.ns && el.namespaceURI !== DS_NS) {
      return `${displayName(el)} (an element outside the DUIS namespace ${this.ns})`;
    }
    return displayName(el);
  }

  private fail(local: string, ns: string): never {
    const next = this.kids[this.i];
    const where = this.lastName ? ` after ${this.lastName}` : '';
    if (next === undefined) throw new StructureError(`${this.path}: ${this.wanted(local, ns)} is missing${where}`);
    throw new StructureError(`${this.path}: expected ${this.wanted(local, ns)}${where}, found ${this.describeFound(next)}`);
  }

  /** The next child if it is `local`, else undefined. */
  optional(local: string, ns: string = this.ns): Element | undefined {
    const el = this.kids[this.i];
    if (!this.matches(el, local, ns)) return undefined;
    this.i++;
    this.lastName = this.wanted(local, ns);
    return el;
  }

  required(local: string, ns: string = this.ns): Element {
    return this.optional(local, ns) ?? this.fail(local, ns);
  }

  repeated(local: string, min: number, max: number, ns: string = this.ns): Element[] {
    const out: Element[] = [];
    for (let el = this.optional(local, ns); el !== undefined; el = this.optional(local, ns)) {
      out.push(el);
      if (out.length > max) {
        throw new StructureError(`${this.path}: ${this.wanted(local, ns)} occurs more than ${max} time${max === 1 ? '' : 's'}`);
      }
    }
    if (out.length < min) this.fail(local, ns);
    return out;
  }

  /** The next child whatever it is (for choices), or undefined. */
  peek(): Element | undefined {
    return this.kids[this.i];
  }

  take(): Element {
    const el = this.kids[this.i];
    if (el === undefined) throw new StructureError(`${this.path}: is empty`);
    this.i++;
    this.lastName = displayName(el);
    return el;
  }

  end(): void {
    const extra = this.kids[this.i];
    if (extra !== undefined) {
      const where = this.lastName ? ` after ${this.lastName}` : '';
      throw new StructureError(`${this.path}: unexpected ${this.describeFound(extra)}${where}`);
    }
  }

  get count(): number {
    return this.kids.length;
  }

  get element(): Element {
    return this.parent;
  }
}
