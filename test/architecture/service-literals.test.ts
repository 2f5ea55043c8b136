import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_MATRIX } from '../../service-requests/index.ts';

// One service, one module: a service reference such as '6.21' written as a literal in production
// code belongs to that service's module or the registry. Anywhere else it is a switch on a service
// that the registry should answer.

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOMS = ['src', 'service-requests', 'devices', 'db', 'pki'];
const ALLOWED = [
  /^service-requests\/services\//, // the modules
  /^service-requests\/registry\.ts$/,
  /^service-requests\/duis\/service-matrix\.ts$/, // the DUIS service matrix, as data
  /^service-requests\/duis\/xsd-enums\.ts$/, // the XSD's enumerations, as data
];
const REFERENCES = new Set([...SERVICE_MATRIX.values()].flatMap((f) => [f.variant, f.reference]));
// Literals that look like a service reference but are not one.
const NOT_SERVICES: Record<string, string> = { "GBCS_VERSION = '4.2'": 'the GBCS version' };

function productionFiles(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(REPO, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(e.name)) out.push({ path: p, text: readFileSync(join(REPO, p), 'utf8') });
    }
  };
  for (const r of ROOMS) walk(r);
  return out;
}

export function serviceLiterals(files: { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    if (ALLOWED.some((a) => a.test(f.path))) continue;
    f.text.split('\n').forEach((line, i) => {
      if (Object.keys(NOT_SERVICES).some((k) => line.includes(k))) return;
      for (const m of line.matchAll(/(['"`])(\d+\.\d+(?:\.\d+)?)\1/g)) {
        if (REFERENCES.has(m[2]!)) found.push(`${f.path}:${i + 1}: ${m[0]}`);
      }
    });
  }
  return found;
}

describe('service reference literals', () => {
  it('appear in production code only in their own module, the registry and the DUIS data tables', () => {
    expect(serviceLiterals(productionFiles())).toEqual([]);
  });

  it('are found where they should not be', () => {
    expect(serviceLiterals([
      { path: 'src/console/send.ts', text: "if (input.service === '6.21') x();\nconst v = \"8.2\";\nconst text = 'a 6.15.1 leg';" },
      { path: 'service-requests/services/6.21.ts', text: "...serviceFacts('6.21')," },
    ])).toEqual(["src/console/send.ts:1: '6.21'", 'src/console/send.ts:2: "8.2"']);
  });
});
