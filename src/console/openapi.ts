import { readFileSync } from 'node:fs';

// The console's JSON API, described by hand in openapi.json (OpenAPI 3.0) beside this file; served
// at /docs/openapi.json and rendered as a readable page at /docs by public/docs.js.

export const OPENAPI: Record<string, unknown> = JSON.parse(readFileSync(new URL('./openapi.json', import.meta.url), 'utf8')) as Record<string, unknown>;
