// createXsdValidator (the runtime `--duis-xsd FILE` option): compiles the DUIS XSD with its
// imports, including the DCC's own file names with spaces, and never hands unsafe XML to libxml2.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createXsdValidator, DuisRejection } from '../../service-requests/duis/index.ts';
import type { DuisXsdValidator } from '../../service-requests/duis/index.ts';
import { DUIS_XSD, sharedDuis } from '../helpers/duis-xsd.ts';
import { TEMPLATES, expectRejection, template } from './fixtures.ts';

const validators: DuisXsdValidator[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'dcc-sim xsd '));
afterAll(() => {
  for (const v of validators) v.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

function compile(path: string): DuisXsdValidator {
  const v = createXsdValidator(path);
  validators.push(v);
  return v;
}

describe('createXsdValidator on DUIS_Schema_V5.4.xsd', () => {
  const v = compile(DUIS_XSD);

  it('accepts the templates and a signed Boxed response', () => {
    for (const name of Object.values(TEMPLATES)) expect(v.validate(template(name))).toEqual([]);
    expect(v.validate(readFileSync(sharedDuis('boxed-responses', 'read-inventory-response-5.4.xml')))).toEqual([]);
  });

  it('reports what is wrong, with the line', () => {
    const bad = template(TEMPLATES.readInventory82).replace('<sr:CommandVariant>8<', '<sr:CommandVariant>99<');
    const problems = v.validate(bad);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^line 5: Element '\{http:\/\/www\.dccinterface\.co\.uk\/ServiceUserGateway\}CommandVariant': \[facet 'enumeration'\] The value '99'/);
    expectRejection(() => v.assertValid(bad), 'schema', /not valid against DUIS_Schema_V5\.4\.xsd: line 5: .*'99'/);
    expect(() => v.assertValid(template(TEMPLATES.readInventory82))).not.toThrow();
  });

  it('unsafe or malformed XML is a rejection before libxml2 sees it', () => {
    expectRejection(() => v.validate('<sr:Request xmlns:sr="http://www.dccinterface.co.uk/ServiceUserGateway">'), 'xml', /truncated/);
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(() => v.validate(xxe)).toThrow(DuisRejection);
    expectRejection(() => v.validate(xxe), 'xml', /DOCTYPE/);
  });
});

describe('the schema as the DCC ships it: file names with spaces', () => {
  it('resolves "MMC Schema V5.4.xsd" (libxml2 cannot from disk) and validates', () => {
    const main = join(scratch, 'DUIS Schema V5.4.xsd');
    writeFileSync(main, readFileSync(DUIS_XSD, 'utf8').replace('schemaLocation="MMC_Schema_V5.4.xsd"', 'schemaLocation="MMC Schema V5.4.xsd"'));
    copyFileSync(sharedDuis('MMC_Schema_V5.4.xsd'), join(scratch, 'MMC Schema V5.4.xsd'));
    copyFileSync(sharedDuis('xmldsig-core-schema.xsd'), join(scratch, 'xmldsig-core-schema.xsd'));
    expect(readFileSync(main, 'utf8')).toContain('schemaLocation="MMC Schema V5.4.xsd"');
    const v = compile(main);
    expect(v.validate(readFileSync(sharedDuis('boxed-responses', 'read-inventory-response-5.4.xml')))).toEqual([]);
    expect(v.validate(template(TEMPLATES.no6151).replace('>NetworkOperator<', '>Nobody<'))[0]).toMatch(/RemotePartyRole.*'Nobody'/);
  });

  it('a missing import or schema file is a clear error', () => {
    const orphan = join(scratch, 'orphan.xsd');
    writeFileSync(orphan, readFileSync(DUIS_XSD, 'utf8').replace('schemaLocation="MMC_Schema_V5.4.xsd"', 'schemaLocation="missing.xsd"'));
    expect(() => createXsdValidator(orphan)).toThrow(/cannot read schema file .*missing\.xsd/);
    expect(() => createXsdValidator(join(scratch, 'nope.xsd'))).toThrow(/cannot read schema file .*nope\.xsd/);
  });
});
