// An independent XSD oracle for DUIS documents: libxml2 (WASM) on the DUIS 5.4 schema in
// ../shared/duis, read from where it lies. It does not use dcc-sim's own validator, so it can
// judge it. libxml2-wasm 0.7 handles the 38-digit X509SerialNumber of signed documents (the
// xs:integer caveat in stack.md is about older libxml2), so signed documents validate as they are.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlDocument, XmlLibError, XsdValidator } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DUIS = resolve(REPO, '..', 'shared', 'duis');
export const DUIS_XSD = join(SHARED_DUIS, 'DUIS_Schema_V5.4.xsd');

/** Path of a file in ../shared/duis. */
export function sharedDuis(...parts: string[]): string {
  return join(SHARED_DUIS, ...parts);
}

let validator: XsdValidator | undefined;

function compiled(): XsdValidator {
  if (!validator) {
    xmlRegisterFsInputProviders(); // xs:import of the sibling xmldsig and MMC schemas
    validator = XsdValidator.fromDoc(XmlDocument.fromBuffer(readFileSync(DUIS_XSD), { url: DUIS_XSD }));
  }
  return validator;
}

/** libxml2's complaints about `xml` against the DUIS 5.4 XSD; [] when valid. */
export function duisXsdErrors(xml: string): string[] {
  const v = compiled();
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch (e) {
    return e instanceof XmlLibError ? e.details.map((d) => `line ${d.line}: ${d.message.trim()}`) : [String(e)];
  }
  try {
    v.validate(doc);
    return [];
  } catch (e) {
    return e instanceof XmlLibError ? e.details.map((d) => `line ${d.line}: ${d.message.trim()}`) : [String(e)];
  } finally {
    doc.dispose();
  }
}
