import { DOMParser, type Element } from '@xmldom/xmldom';
import { SmkiRefusal } from './refusal.ts';

// The SMKI services' XML is flat: a root element whose children hold text. Read it safely (size
// limit, UTF-8, no DTD, no entity other than the five predefined and character references), and
// write it without surprises.

export const MAX_SMKI_XML_BYTES = 64 * 1024;

export interface FlatXml {
  root: string;
  namespace: string | null;
  /** element children in order: local name and trimmed text */
  fields: { name: string; text: string; element: Element }[];
}

/** Parses a flat XML document; `status` is the HTTP status to refuse bad input with. */
export function readFlatXml(body: Buffer | string, status = 400): FlatXml {
  const refuse = (reason: string): never => {
    throw new SmkiRefusal(status, 'bad-request', reason);
  };
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) refuse('the request has no XML body (Content-Type application/xml)');
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > MAX_SMKI_XML_BYTES) refuse(`the XML is ${size} bytes, the limit is ${MAX_SMKI_XML_BYTES}`);
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return refuse('the XML is not valid UTF-8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) refuse('the XML holds a DOCTYPE or entity declaration; SMKI requests have none');
  if (/&(?!(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)/.test(text)) refuse('the XML holds an entity reference other than the predefined ones');
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') errors.push(msg);
      },
    }).parseFromString(text, 'text/xml');
  } catch (err) {
    errors.push((err as Error).message); // xmldom throws on fatal errors
  }
  if (errors.length || !doc?.documentElement) refuse(`the XML is not well-formed: ${(errors[0] ?? 'no root element').split('\n')[0]}`);
  const root = doc!.documentElement!;
  const fields: FlatXml['fields'] = [];
  for (let n = root.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const el = n as Element;
      fields.push({ name: el.localName ?? el.nodeName, text: (el.textContent ?? '').trim(), element: el });
    } else if (n.nodeType === 3 && (n.nodeValue ?? '').trim() !== '') {
      refuse(`${root.localName} holds text outside its elements`);
    }
  }
  return { root: root.localName ?? root.nodeName, namespace: root.namespaceURI ?? null, fields };
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `<name>text</name>` for each defined value, in order. */
export function xmlElements(values: [string, string | number | boolean | null | undefined][]): string {
  return values
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
}
