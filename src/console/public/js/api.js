// The console's calls to its own server: same origin, JSON.

// The world the page shows: the shared world, or a training sandbox (`/?sandbox=ID`), whose JSON
// API is the same routes under /sandboxes/ID/. The sandboxes themselves are managed from the
// shared world's /api/sandboxes whichever world the page shows.
const id = new URLSearchParams(location.search).get('sandbox');
export const SANDBOX = id && /^[0-9a-f]{8}$/.test(id) ? id : null;

/** A path of the JSON API in the world the page shows. */
export function at(path) {
  return SANDBOX && path.startsWith('/api/') && !path.startsWith('/api/sandboxes') ? `/sandboxes/${SANDBOX}${path}` : path;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function parse(res) {
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text };
  }
  if (!res.ok) throw new ApiError(res.status, body?.error ?? body?.message ?? `HTTP ${res.status}`);
  return body;
}

export async function get(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  return parse(await fetch(qs ? `${at(path)}?${qs}` : at(path), { headers: { accept: 'application/json' } }));
}

// This server start's token, written into the page by the server; the API refuses a browser's
// state-changing request without it (src/security.ts).
const CSRF = document.querySelector('meta[name="dcc-sim-csrf"]')?.getAttribute('content') ?? '';

async function send(method, path, body) {
  const headers = { 'content-type': 'application/json', accept: 'application/json', 'x-dcc-sim-csrf': CSRF };
  return parse(await fetch(at(path), { method, headers, body: JSON.stringify(body ?? {}) }));
}

export const post = (path, body) => send('POST', path, body);
export const put = (path, body) => send('PUT', path, body);

/** GET that answers null on 404 (routes other parts of dcc-sim may not serve yet). */
export async function getOptional(path, query) {
  try {
    return await get(path, query);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
export const del = (path) => send('DELETE', path);
