// Test files share their worker process (vitest.config.ts: isolate false, which saves the ~2 s of
// process start and module graph import per file). What a file could leave behind for the next one
// is checked here after every file: an environment variable set or removed, fake timers left on.
// A file that leaks fails, naming what it left, and the state is put back so the next file is not hurt.
import { afterAll, vi } from 'vitest';

const envAtStart = { ...process.env };

afterAll(() => {
  const leaked: string[] = [];
  for (const key of new Set([...Object.keys(envAtStart), ...Object.keys(process.env)])) {
    if (process.env[key] === envAtStart[key]) continue;
    leaked.push(`process.env.${key}`);
    if (envAtStart[key] === undefined) delete process.env[key];
    else process.env[key] = envAtStart[key];
  }
  if (vi.isFakeTimers()) {
    leaked.push('fake timers');
    vi.useRealTimers();
  }
  if (leaked.length > 0) throw new Error(`this test file left ${leaked.join(', ')} changed for the files after it in the same worker`);
});
