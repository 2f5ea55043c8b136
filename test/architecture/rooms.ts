// The rooms of docs/architecture.md, checked from the import specifiers of every source file.
// A plain text scan (TypeScript 7 ships no JS compiler API): static `import`/`export ... from`
// at the start of a line, side-effect `import '...'`, and `import('...')` anywhere outside a
// comment line. Type-only imports count: a type from another room is still a dependency on it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** The top-level rooms; everything else (test/, bench/, bin/) may import anything. */
export const ROOMS = ['src', 'service-requests', 'devices', 'db', 'pki'] as const;
export type Room = (typeof ROOMS)[number];

/** Which rooms each room may import, as the code is (see docs/architecture.md). */
export const MAY_DEPEND_ON: Record<Room, readonly Room[]> = {
  src: ['service-requests', 'devices', 'db', 'pki'],
  'service-requests': ['devices', 'pki'],
  devices: ['pki'],
  db: ['pki'], // imports no room today; pki's vocabulary (Eui, roles) is allowed
  pki: [],
};

export interface SourceFile {
  /** repository-relative, with forward slashes: `src/cli/index.ts` */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: 'door' | 'direction';
  message: string;
}

const STATIC_FROM = /^[ \t]*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"\n]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The module specifiers a source text imports or re-exports, in order of appearance. */
export function importSpecifiers(text: string): string[] {
  const found: { at: number; specifier: string }[] = [];
  for (const re of [STATIC_FROM, SIDE_EFFECT]) {
    for (const m of text.matchAll(re)) found.push({ at: m.index, specifier: m[1]! });
  }
  for (const m of text.matchAll(DYNAMIC)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    // `// await import('x')` and JSDoc lines mention imports without making them.
    if (/^\s*(\/\/|\/\*|\*)/.test(text.slice(lineStart, m.index))) continue;
    found.push({ at: m.index, specifier: m[1]! });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.specifier);
}

/** `src/world` for a file in a src subfolder, `src` for src's own files, else the top-level room. */
function placeOf(path: string): { room: Room; srcRoom?: string } | undefined {
  const parts = path.split('/');
  const room = ROOMS.find((r) => r === parts[0]);
  if (!room) return undefined;
  if (room === 'src' && parts.length > 2) return { room, srcRoom: `src/${parts[1]}` };
  return { room };
}

/** Every door and direction the files' imports break; [] when the rooms hold. */
export function checkRooms(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = placeOf(file.path);
    if (!from) continue;
    for (const specifier of importSpecifiers(file.text)) {
      if (!specifier.startsWith('.')) continue; // packages and node: builtins
      const target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
      const to = placeOf(target);
      if (!to) {
        violations.push({ file: file.path, specifier, rule: 'direction', message: `${file.path} imports '${specifier}' (${target}), outside the rooms` });
        continue;
      }
      if (to.room !== from.room) {
        if (!MAY_DEPEND_ON[from.room].includes(to.room)) {
          violations.push({ file: file.path, specifier, rule: 'direction', message: `${file.path} imports '${specifier}': ${from.room} may not depend on ${to.room}` });
        }
        if (target !== `${to.room}/index.ts`) {
          violations.push({ file: file.path, specifier, rule: 'door', message: `${file.path} imports '${specifier}': other rooms enter ${to.room} through ${to.room}/index.ts` });
        }
      } else if (to.srcRoom && to.srcRoom !== from.srcRoom && target !== `${to.srcRoom}/index.ts`) {
        violations.push({ file: file.path, specifier, rule: 'door', message: `${file.path} imports '${specifier}': other folders enter ${to.srcRoom} through ${to.srcRoom}/index.ts` });
      }
    }
  }
  return violations;
}

/** The .ts and .mjs files of the rooms under a repository root. */
export function readRoomFiles(root: string): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'public') walk(path);
      } else if (/\.(ts|mts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push({ path, text: readFileSync(join(root, path), 'utf8') });
      }
    }
  };
  for (const room of ROOMS) walk(room);
  return files;
}
