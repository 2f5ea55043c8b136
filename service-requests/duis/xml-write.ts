/** Writing compact DUIS XML by hand: escaping and element helpers (no serialiser, no whitespace). */

/** Character data: &, < and > escaped; CR kept as a reference so it survives parsing. */
export function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Attribute values in double quotes; tab, LF and CR as references so attribute normalisation keeps them. */
export function escapeAttribute(s: string): string {
  return s.replace(/[&<"\t\n\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[c]!);
}

/** `<sr:name>content</sr:name>` where content is already XML. */
export function el(name: string, content: string): string {
  return `<sr:${name}>${content}</sr:${name}>`;
}

/** `<sr:name>text</sr:name>` with the text escaped. */
export function textEl(name: string, text: string): string {
  return `<sr:${name}>${escapeText(text)}</sr:${name}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>';

// Characters XML 1.0 cannot carry even as references.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws RangeError when a value holds a character no XML document can carry. */
export function assertXmlChars(value: string, field: string): void {
  const bad = NOT_XML.exec(value);
  if (bad !== null) {
    throw new RangeError(`${field}: character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} cannot be written in XML`);
  }
}

/** Line breaks and two-space indentation between elements (the DUIS reader ignores that whitespace). */
export function indentXml(xml: string): string {
  let depth = 0;
  return xml
    .replace(/>\s*</g, '>\n<')
    .split('\n')
    .map((line) => {
      if (/^<\//.test(line)) depth = Math.max(0, depth - 1);
      const out = `${'  '.repeat(depth)}${line}`;
      if (/^<[^!?/][^>]*[^/]>$/.test(line) && !/<\//.test(line)) depth += 1;
      return out;
    })
    .join('\n');
}
