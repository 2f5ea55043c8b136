/**
 * Optional full validation against a DUIS XSD with libxml2 (WASM), for `--duis-xsd FILE` and tests.
 *
 * The schema and everything it imports are read once into memory and served to libxml2 from a
 * virtual directory: libxml2 then never touches the file system or network on its own, and
 * imports whose file names contain spaces (as the DCC ships them, "MMC Schema V5.4.xsd") resolve,
 * which libxml2 cannot do from disk. Documents are screened by assertSafeXml before libxml2
 * parses them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XmlBufferInputProvider, XmlDocument, XmlLibError, XsdValidator, xmlRegisterInputProvider } from 'libxml2-wasm';
import { DuisRejection } from './rejection.ts';
import { assertSafeXml, decodeXmlInput } from './safe-xml.ts';

const provider = new XmlBufferInputProvider({});
let providerRegistered = false;
let nextSchemaSet = 1;

const SCHEMA_REFERENCE = /(<(?:[\w.-]+:)?(?:import|include|redefine)\b[^>]*?\bschemaLocation\s*=\s*)(["'])(.*?)\2/g;

/** Reads a schema file and its imports/includes, rewriting their locations to space-free virtual names. */
function loadSchemaSet(mainPath: string, virtualDir: string): { mainUrl: string; mainText: Buffer; urls: string[] } {
  const buffers = new Map<string, Buffer>();
  const aliases = new Map<string, string>();
  const urls: string[] = [];
  const aliasFor = (real: string): string => {
    let alias = aliases.get(real);
    if (alias === undefined) {
      alias = `${aliases.size}-${path.basename(real).replace(/[^\w.-]/g, '_')}`;
      aliases.set(real, alias);
      load(real, alias);
    }
    return alias;
  };
  const load = (real: string, alias: string): void => {
    let text: string;
    try {
      text = readFileSync(real, 'utf8');
    } catch (e) {
      throw new Error(`cannot read schema file ${real}: ${(e as Error).message}`);
    }
    const rewritten = text.replace(SCHEMA_REFERENCE, (whole: string, head: string, quote: string, location: string) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(location)) return whole; // absolute URLs stay (libxml2 fetches nothing here)
      return `${head}${quote}${aliasFor(path.resolve(path.dirname(real), location))}${quote}`;
    });
    const url = `${virtualDir}/${alias}`;
    const bytes = Buffer.from(rewritten, 'utf8');
    buffers.set(url, bytes);
    provider.addBuffer(url, bytes);
    urls.push(url);
  };
  const mainAlias = aliasFor(path.resolve(mainPath));
  const mainUrl = `${virtualDir}/${mainAlias}`;
  return { mainUrl, mainText: buffers.get(mainUrl)!, urls };
}

export interface DuisXsdValidator {
  /**
   * Problems found, each with its line; [] when the document is valid. Throws DuisRejection('xml')
   * for what the safety scan refuses (unsafe or plainly malformed XML), before libxml2 parses it.
   */
  validate(xml: string | Uint8Array): string[];
  /** Throws DuisRejection('schema') listing the problems. */
  assertValid(xml: string | Uint8Array): void;
  dispose(): void;
}

function describe(e: unknown): string[] {
  if (e instanceof XmlLibError && e.details.length > 0) {
    return e.details.map((d) => `${d.line ? `line ${d.line}: ` : ''}${d.message.trim()}`);
  }
  return [e instanceof Error ? e.message.trim() : String(e)];
}

/** Compiles the XSD at xsdPath (with its imports) once; compile takes about half a second. */
export function createXsdValidator(xsdPath: string): DuisXsdValidator {
  if (!providerRegistered) {
    xmlRegisterInputProvider(provider);
    providerRegistered = true;
  }
  const virtualDir = `/dcc-sim-virtual-xsd/${nextSchemaSet++}`;
  const { mainUrl, mainText, urls } = loadSchemaSet(xsdPath, virtualDir);
  let validator: XsdValidator;
  let schemaDoc: XmlDocument | undefined;
  try {
    // The compiled schema may point into its document, so the document lives as long as the validator.
    schemaDoc = XmlDocument.fromBuffer(mainText, { url: mainUrl });
    validator = XsdValidator.fromDoc(schemaDoc);
  } catch (e) {
    schemaDoc?.dispose();
    for (const u of urls) provider.removeBuffer(u);
    throw new Error(`cannot compile the XSD ${xsdPath}: ${describe(e).slice(0, 3).join('; ')}`);
  }

  const validate = (xml: string | Uint8Array): string[] => {
    const text = decodeXmlInput(xml, Number.MAX_SAFE_INTEGER);
    assertSafeXml(text);
    let doc: XmlDocument;
    try {
      doc = XmlDocument.fromString(text);
    } catch (e) {
      return describe(e);
    }
    try {
      validator.validate(doc);
      return [];
    } catch (e) {
      return describe(e);
    } finally {
      doc.dispose();
    }
  };

  return {
    validate,
    assertValid(xml) {
      const problems = validate(xml);
      if (problems.length > 0) throw new DuisRejection('schema', `not valid against ${path.basename(xsdPath)}: ${problems.slice(0, 5).join('; ')}`);
    },
    dispose() {
      validator.dispose();
      schemaDoc?.dispose();
      for (const u of urls) provider.removeBuffer(u);
    },
  };
}
