/**
 * Safe XML intake: size limit, strict UTF-8, and a scan of the raw text that refuses DTDs, entity
 * declarations and references, processing instructions and absurd nesting before any DOM parser
 * sees the document. Only then is xmldom asked to build the tree, and any complaint it has
 * (even a warning) is a rejection with line and column.
 */
import { createRequire } from 'node:module';
import { DOMParser } from '@xmldom/xmldom';
import type { Document } from '@xmldom/xmldom';
import { DuisRejection } from './rejection.ts';

/**
 * xmldom 0.9.12 builds a RegExp for every end tag it reads (its grammar's `reg`, called by the SAX parser with the
 * grammar's own constant parts, a few kB of Unicode classes joined and compiled each time): a third or more of parsing
 * a DUIS request (bench/xml-parse.ts). The parts are the same at every call from a given place, so each combination
 * is built once and kept (as many as those places); a RegExp without the g or y flag keeps no state between its exec
 * calls. Keyed by the parts themselves (nested maps): a key joined from their sources cost most of the gain back.
 * A version of xmldom without `reg` is left as it is.
 */
function keepGrammarRegExps(): void {
  const grammar = createRequire(import.meta.url)('@xmldom/xmldom/lib/grammar.js') as { reg?: (...parts: unknown[]) => RegExp };
  const build = grammar.reg;
  if (typeof build !== 'function') return;
  type Node = Map<unknown, Node> & { built?: RegExp };
  const root: Node = new Map();
  grammar.reg = function (this: unknown, ...parts: unknown[]): RegExp {
    let node = root;
    for (const part of parts) {
      let next = node.get(part);
      if (!next) node.set(part, (next = new Map()));
      node = next;
    }
    return (node.built ??= build.apply(this, parts));
  };
}
keepGrammarRegExps();

/**
 * xmldom 0.9 makes each element's namespace scope that declares a prefix as `Object.create(the parent scope)`. A
 * young object made a prototype gets hidden classes in the old generation that point at it, and young collections
 * then kept the whole parse alive until the next full one (a DUIS request's root declares its prefixes: 2.6 kB
 * promoted a parse, 54 B with flat scopes; bench/young-survivors.ts). While xmldom parses, `Object.create` of a
 * null-prototype object (xmldom's scopes are; nothing else it makes then is) is a flat copy of its properties
 * instead: the same lookups, as xmldom never changes a scope once a child scope is made from it.
 */
function withFlatNamespaceScopes<T>(parse: () => T): T {
  const create = Object.create;
  Object.create = function (proto: object | null, properties?: PropertyDescriptorMap): unknown {
    if (properties !== undefined) return create(proto, properties);
    if (proto === null || Object.getPrototypeOf(proto) !== null) return create(proto);
    const scope = create(null) as Record<string, unknown>;
    for (const prefix in proto) scope[prefix] = (proto as Record<string, unknown>)[prefix];
    return scope;
  } as ObjectConstructor['create'];
  try {
    return parse();
  } finally {
    Object.create = create;
  }
}

/** DUIS requests for the supported services are a few KiB; 256 KiB leaves room and bounds the work. */
export const DEFAULT_MAX_DUIS_BYTES = 256 * 1024;
/** The deepest supported DUIS document nests 7 elements (signature included); 32 is generous. */
export const MAX_ELEMENT_DEPTH = 32;
/**
 * A full 8.2 inventory response has about 400 elements. The DOM parser costs ~30 µs per element,
 * so without a cap a 256 KiB flood of empty elements would buy seconds of CPU per request.
 */
export const MAX_ELEMENTS = 2000;
/** DUIS roots carry a handful of attributes and namespace declarations. */
export const MAX_ATTRIBUTES_PER_ELEMENT = 32;

export interface Position {
  line: number;
  column: number;
}

export function positionOf(text: string, index: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: index - lineStart + 1 };
}

function at(text: string, index: number): string {
  const p = positionOf(text, index);
  return `line ${p.line}, column ${p.column}`;
}

function xmlError(text: string, index: number, what: string): DuisRejection {
  return new DuisRejection('xml', `${at(text, index)}: ${what}`);
}

function shown(s: string, max = 40): string {
  const t = s.length > max ? `${s.slice(0, max)}…` : s;
  return JSON.stringify(t);
}

/**
 * Checks the size and decodes the bytes as UTF-8 (the only encoding DUIS uses); a leading BOM is
 * dropped. Strings are measured by their UTF-8 length.
 */
export function decodeXmlInput(input: string | Uint8Array, maxBytes: number = DEFAULT_MAX_DUIS_BYTES): string {
  if (typeof input === 'string') {
    const bytes = Buffer.byteLength(input, 'utf8');
    if (bytes > maxBytes) throw new DuisRejection('size', `document is ${bytes} bytes, the limit is ${maxBytes}`);
    return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  }
  if (!(input instanceof Uint8Array)) throw new DuisRejection('xml', 'document must be a string or bytes');
  if (input.length > maxBytes) throw new DuisRejection('size', `document is ${input.length} bytes, the limit is ${maxBytes}`);
  if (input.length >= 2 && ((input[0] === 0xfe && input[1] === 0xff) || (input[0] === 0xff && input[1] === 0xfe))) {
    throw new DuisRejection('xml', 'document is UTF-16 encoded; DUIS documents must be UTF-8');
  }
  let text: string;
  try {
    // ignoreBOM keeps the BOM in the text, so that exactly one is dropped below (the decoder and
    // this function each dropped one: two BOMs passed).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new DuisRejection('xml', 'document is not valid UTF-8');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// Characters XML 1.0 forbids anywhere in a document (controls, lone surrogates, U+FFFE/U+FFFF).
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_REFERENCE = /&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/;
const CHARACTER_REFERENCE = /&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});/g;
// XML names, loosely (no colon rules): the DOM parser checks names and namespaces in detail.
// Whitespace is XML's (space, tab, CR, LF), never JavaScript's \s: that also takes U+00A0, U+2028
// and U+FEFF, so a second BOM or a no-break space after the root passed as whitespace.
const NAME = /^[A-Za-z_:\u00C0-\uFFFF][^ \t\r\n<>\/=!?"'&]*/;
const END_TAG = /^<\/([^ \t\r\n<>\/=!?"'&]+)[ \t\r\n]*>/;
const XML_DECL = /^<\?xml([ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\2)([ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\4)?([ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(yes|no)\7)?[ \t\r\n]*\?>/;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Every '&' in [from, to) must start one of the five predefined entities or a character reference. */
function checkReferences(text: string, from: number, to: number): void {
  // Work on the segment only: unbounded searches over the whole text would make many segments quadratic.
  const segment = text.slice(from, to);
  if (!segment.includes('&')) return;
  const bad = BAD_REFERENCE.exec(segment);
  if (bad !== null) {
    const name = /^&[^ \t\r\n;<&]{0,30};?/.exec(segment.slice(bad.index, bad.index + 32))?.[0] ?? '&';
    throw xmlError(text, from + bad.index, `entity reference ${shown(name)} is not allowed: only &lt; &gt; &amp; &quot; &apos; and character references are`);
  }
  for (const m of segment.matchAll(CHARACTER_REFERENCE)) {
    const cp = m[1]!.startsWith('x') ? Number.parseInt(m[1]!.slice(1), 16) : Number.parseInt(m[1]!, 10);
    if (!isXmlChar(cp)) throw xmlError(text, from + m.index, `character reference ${shown(m[0])} names a character XML does not allow`);
  }
}

/**
 * The raw-text scan. It is not a full well-formedness check (xmldom does that next); it makes sure
 * the parser never meets a DTD, an entity, a processing instruction or deep nesting.
 */
export function assertSafeXml(text: string, maxDepth: number = MAX_ELEMENT_DEPTH): void {
  const bad = FORBIDDEN_CHAR.exec(text);
  if (bad !== null) {
    throw xmlError(text, bad.index, `character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  }
  let i = 0;
  const n = text.length;
  if (text.startsWith('<?xml') && /[ \t\r\n?]/.test(text.charAt(5))) {
    const decl = XML_DECL.exec(text);
    if (decl === null) throw xmlError(text, 0, 'malformed XML declaration (expected version="1.0", optional encoding and standalone)');
    const encoding = decl[5];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
      throw xmlError(text, 0, `encoding ${shown(encoding)} is not supported: DUIS documents must be UTF-8`);
    }
    i = decl[0].length;
  }
  const stack: Array<{ name: string; at: number }> = [];
  let elements = 0;
  let rootSeen = false;
  let rootClosed = false;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const textEnd = lt === -1 ? n : lt;
    if (textEnd > i) {
      if (stack.length === 0) {
        const junk = /[^ \t\r\n]/.exec(text.slice(i, textEnd));
        if (junk !== null) {
          throw xmlError(text, i + junk.index, rootClosed ? 'content after the root element' : 'text before the root element');
        }
      } else {
        checkReferences(text, i, textEnd);
      }
    }
    if (lt === -1) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const target = /^<\?([^ \t\r\n?]*)/.exec(text.slice(i, i + 40))?.[1] ?? '';
      throw xmlError(text, i, target.toLowerCase() === 'xml'
        ? 'the XML declaration is only allowed at the very start of the document'
        : `processing instruction <?${target}…?> is not allowed`);
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) throw xmlError(text, i, 'comment is not terminated (missing -->): document truncated?');
      const dash = text.slice(i + 4, end).indexOf('--');
      if (dash !== -1 || text.charAt(end - 1) === '-') throw xmlError(text, dash !== -1 ? i + 4 + dash : end - 1, "'--' is not allowed inside a comment");
      i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) throw xmlError(text, i, 'CDATA section outside the root element');
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) throw xmlError(text, i, 'CDATA section is not terminated (missing ]]>): document truncated?');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', i)) {
      const word = /^<!([A-Za-z]*)/.exec(text.slice(i, i + 20))?.[1] ?? '';
      throw xmlError(text, i, word.toUpperCase() === 'DOCTYPE'
        ? 'DOCTYPE (DTD) is not allowed in DUIS documents'
        : `markup declaration <!${word}…> is not allowed in DUIS documents (no DTD, no entity declarations)`);
    }
    if (text.startsWith('</', i)) {
      const m = END_TAG.exec(text.slice(i, i + 1100));
      if (m === null) {
        throw xmlError(text, i, text.indexOf('>', i) === -1 ? 'end tag is not terminated: document truncated?' : 'malformed end tag');
      }
      const open = stack.pop();
      if (open === undefined) throw xmlError(text, i, `end tag </${m[1]}> without a matching start tag`);
      if (open.name !== m[1]) {
        const p = positionOf(text, open.at);
        throw xmlError(text, i, `end tag </${m[1]}> does not match <${open.name}> opened at line ${p.line}, column ${p.column}`);
      }
      if (stack.length === 0) rootClosed = true;
      i += m[0].length;
      continue;
    }
    // A start tag: name, then attributes name="value" / name='value', then > or />.
    if (rootClosed) throw xmlError(text, i, 'a second root element (content after the root element)');
    const nameMatch = NAME.exec(text.slice(i + 1, i + 1001));
    if (nameMatch === null) throw xmlError(text, i, "'<' must start a tag name (escape a literal '<' as &lt;)");
    const name = nameMatch[0];
    if (++elements > MAX_ELEMENTS) throw xmlError(text, i, `more than ${MAX_ELEMENTS} elements: not a DUIS document dcc-sim will read`);
    let j = i + 1 + name.length;
    let selfClosing = false;
    let attributes = 0;
    for (;;) {
      const ws = /^[ \t\r\n]*/.exec(text.slice(j, j + 1000))![0].length;
      j += ws;
      if (j >= n) throw xmlError(text, i, `start tag <${name}> is not terminated: document truncated?`);
      const c = text.charAt(j);
      if (c === '>') break;
      if (c === '/') {
        if (text.charAt(j + 1) !== '>') throw xmlError(text, j, `'/' must be followed by '>' in <${name}>`);
        selfClosing = true;
        j++;
        break;
      }
      if (ws === 0) throw xmlError(text, j, `whitespace is required before an attribute in <${name}>`);
      if (++attributes > MAX_ATTRIBUTES_PER_ELEMENT) throw xmlError(text, j, `more than ${MAX_ATTRIBUTES_PER_ELEMENT} attributes on <${name}>`);
      const attr = NAME.exec(text.slice(j, j + 1000));
      if (attr === null) throw xmlError(text, j, `unexpected ${JSON.stringify(c)} in <${name}>`);
      j += attr[0].length;
      const eq = /^[ \t\r\n]*=[ \t\r\n]*/.exec(text.slice(j, j + 1000));
      if (eq === null) throw xmlError(text, j, `attribute ${attr[0]} in <${name}> needs '=' and a quoted value`);
      j += eq[0].length;
      const q = text.charAt(j);
      if (q !== '"' && q !== "'") throw xmlError(text, j, `the value of attribute ${attr[0]} in <${name}> must be in quotes`);
      const close = text.indexOf(q, j + 1);
      if (close === -1) throw xmlError(text, j, `the value of attribute ${attr[0]} is not terminated: document truncated?`);
      const lt2 = text.slice(j + 1, close).indexOf('<');
      if (lt2 !== -1) throw xmlError(text, j + 1 + lt2, `'<' is not allowed in the value of attribute ${attr[0]}`);
      checkReferences(text, j + 1, close);
      j = close + 1;
    }
    rootSeen = true;
    if (selfClosing) {
      if (stack.length === 0) rootClosed = true;
    } else {
      stack.push({ name, at: i });
      if (stack.length > maxDepth) throw xmlError(text, i, `elements nested deeper than ${maxDepth} levels`);
    }
    i = j + 1;
  }
  if (!rootSeen) throw new DuisRejection('xml', 'document has no root element');
  const unclosed = stack[stack.length - 1];
  if (unclosed !== undefined) {
    throw xmlError(text, n, `document ends inside <${unclosed.name}> (${stack.length} element(s) left open): truncated?`);
  }
}

/**
 * Parses text that has passed assertSafeXml. Any xmldom warning or error is a rejection: DUIS
 * documents have no reason to be sloppy.
 */
export function parseXml(text: string, maxDepth: number = MAX_ELEMENT_DEPTH): Document {
  assertSafeXml(text, maxDepth);
  let first: string | undefined;
  const parser = new DOMParser({
    locator: true,
    // XML 1.0 line-end handling only; xmldom's default also folds U+0085/U+2028/U+2029 (XML 1.1),
    // which would change signed content that the DCC's XML 1.0 tools leave alone.
    normalizeLineEndings: (source: string) => source.replace(/\r\n?/g, '\n'),
    onError: (_level, message, context) => {
      if (first === undefined) {
        const loc = (context as { locator?: { lineNumber?: number; columnNumber?: number } } | undefined)?.locator;
        const where = loc?.lineNumber ? `line ${loc.lineNumber}, column ${loc.columnNumber ?? 0}: ` : '';
        first = `${where}${message.split('\n')[0]}`;
      }
    },
  });
  let doc: Document;
  try {
    doc = withFlatNamespaceScopes(() => parser.parseFromString(text, 'text/xml'));
  } catch (e) {
    throw new DuisRejection('xml', first ?? (e instanceof Error ? e.message.split('\n')[0]! : 'XML is not well-formed'));
  }
  if (first !== undefined) throw new DuisRejection('xml', first);
  if (!doc.documentElement) throw new DuisRejection('xml', 'document has no root element');
  return doc;
}
