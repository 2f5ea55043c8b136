import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkRooms, importSpecifiers, readRoomFiles } from './rooms.ts';

// The rooms of docs/architecture.md hold in the code: every import into another room goes through
// its door (index.ts), and the rooms depend on each other in one direction only.

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('rooms', () => {
  it('every import into another room goes through its door, in the allowed direction', () => {
    const files = readRoomFiles(REPO);
    expect(files.length, 'the scan found the source files').toBeGreaterThan(100);
    expect(checkRooms(files).map((v) => v.message)).toEqual([]);
  });

  it('each folder of src/ is a room with a door', () => {
    const folders = readdirSync(join(REPO, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders).toContain('cli');
    expect(folders.filter((f) => !existsSync(join(REPO, 'src', f, 'index.ts')))).toEqual([]);
  });
});

describe('the rooms checker', () => {
  it('reads static, re-exported, side-effect and dynamic imports, and not those in comments', () => {
    const text = [
      "import 'reflect-metadata';",
      "import { a,",
      "  type B } from '../pki/index.ts';",
      "import type { C } from './c.ts';",
      "export { d } from './d.ts';",
      "export * from './e.ts';",
      "// import { x } from './commented.ts';",
      "/** await import('./jsdoc.ts') */",
      "const f = async () => (await import('./f.ts')).f;",
      "type G = import('./g.ts').G;",
      "const s = 'from the DCC';",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['reflect-metadata', '../pki/index.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts']);
  });

  it('reports a deep import into another room and an import against the direction', () => {
    const violations = checkRooms([
      { path: 'service-requests/builders.ts', text: "import { encodeApdu } from '../devices/codec.ts';\n" },
      { path: 'pki/ca.ts', text: "import type { WorldStore } from '../db/index.ts';\n" },
      { path: 'src/api/console.ts', text: "import { requestDetail } from '../console/inspect.ts';\n" },
      { path: 'devices/emulator.ts', text: "const sr = await import('../service-requests/index.ts');\n" },
      // allowed: doors, the room's own files, packages, and src's own loose files
      { path: 'src/cli/certs.ts', text: "import { x } from '../world/index.ts';\nimport { y } from './options.ts';\nimport { Command } from 'commander';\nconst c = await import('../client.ts');\n" },
      { path: 'db/store.ts', text: "import type { Eui } from '../pki/index.ts';\n" },
    ]);
    expect(violations.map((v) => [v.rule, v.file, v.specifier])).toEqual([
      ['door', 'service-requests/builders.ts', '../devices/codec.ts'],
      ['direction', 'pki/ca.ts', '../db/index.ts'],
      ['door', 'src/api/console.ts', '../console/inspect.ts'],
      ['direction', 'devices/emulator.ts', '../service-requests/index.ts'],
    ]);
    expect(violations[1]!.message).toBe("pki/ca.ts imports '../db/index.ts': pki may not depend on db");
  });
});
