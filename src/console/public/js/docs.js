import { h, clear } from './dom.js';

// Renders /docs/openapi.json as a readable page: operations grouped by tag, their parameters,
// bodies and responses, and the schemas they use.

const resolve = (doc, obj) => {
  let o = obj;
  while (o && o.$ref) o = o.$ref.split('/').slice(1).reduce((x, k) => x?.[k], doc);
  return o;
};

function schemaText(doc, schema, depth = 0, seen = new Set()) {
  if (!schema) return '';
  if (schema.$ref) {
    const name = schema.$ref.split('/').at(-1);
    if (seen.has(name) || depth > 3) return name;
    return schemaText(doc, resolve(doc, schema), depth, new Set([...seen, name]));
  }
  const pad = '  '.repeat(depth);
  if (schema.allOf) return schema.allOf.map((s) => schemaText(doc, s, depth, seen)).join(`\n${pad}& `);
  if (schema.type === 'array') return `[ ${schemaText(doc, schema.items, depth, seen)} ]`;
  if (schema.type === 'object' || schema.properties) {
    const props = Object.entries(schema.properties ?? {});
    if (!props.length) return 'object';
    const req = new Set(schema.required ?? []);
    return `{\n${props.map(([k, v]) => `${pad}  ${k}${req.has(k) ? '' : '?'}: ${schemaText(doc, v, depth + 1, seen)}${v.description ? `  — ${v.description}` : ''}`).join('\n')}\n${pad}}`;
  }
  let t = schema.type ?? 'any';
  if (schema.format) t += ` (${schema.format})`;
  if (schema.enum) t = schema.enum.filter((x) => x !== null).map((x) => JSON.stringify(x)).join(' | ');
  if (schema.nullable) t += ' | null';
  return t;
}

/** Prose with `code` spans, as the document writes them. */
function prose(text) {
  return String(text ?? '').split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

function operation(doc, path, method, op) {
  const id = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
  const params = (op.parameters ?? []).map((p) => resolve(doc, p));
  const body = op.requestBody?.content;
  return h('section', { class: 'op', id, 'aria-labelledby': `${id}-h` },
    h('h3', { id: `${id}-h` }, h('span', { class: ['method', method] }, method.toUpperCase()), h('span', { class: 'path' }, path), h('span', {}, op.summary ?? '')),
    op.description ? h('p', {}, prose(op.description)) : null,
    params.length
      ? h('table', {},
          h('caption', { class: 'visually-hidden' }, 'Parameters'),
          h('thead', {}, h('tr', {}, ['Parameter', 'In', 'Type', 'Description'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, params.map((p) => h('tr', {},
            h('td', { class: 'mono' }, p.name, p.required ? ' (required)' : ''),
            h('td', {}, p.in),
            h('td', { class: 'mono' }, schemaText(doc, p.schema)),
            h('td', {}, p.description ?? '', p.example ? ` e.g. ${p.example}` : ''),
          ))),
        )
      : null,
    body ? [h('h4', {}, `Request body (${Object.keys(body).join(', ')})`), h('div', { class: 'schema' }, schemaText(doc, Object.values(body)[0].schema))] : null,
    h('h4', {}, 'Responses'),
    h('dl', { class: 'fields' },
      Object.entries(op.responses ?? {}).map(([code, r]) => {
        const resp = resolve(doc, r);
        const content = resp.content ? Object.entries(resp.content)[0] : null;
        return [
          h('dt', {}, code),
          h('dd', {}, resp.description ?? '', content ? [' ', h('code', {}, content[0]), h('div', { class: 'schema' }, schemaText(doc, content[1].schema))] : null),
        ];
      }),
    ),
  );
}

async function main() {
  const doc = await (await fetch('/docs/openapi.json')).json();
  const byTag = new Map((doc.tags ?? []).map((t) => [t.name, { ...t, ops: [] }]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, { name: tag, ops: [] });
      byTag.get(tag).ops.push({ path, method, op });
    }
  }
  const groups = [...byTag.values()].filter((g) => g.ops.length);
  clear(document.getElementById('toc'),
    h('h2', {}, 'Operations'),
    groups.map((g) => [h('strong', {}, g.name), h('ul', {}, g.ops.map(({ path, method }) =>
      h('li', {}, h('a', { href: `#${`${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-')}` }, `${method.toUpperCase()} ${path}`))))]),
  );
  clear(document.getElementById('doc'),
    h('h1', {}, `${doc.info.title} ${doc.info.version}`),
    h('p', {}, prose(doc.info.description)),
    h('p', {}, 'OpenAPI ', doc.openapi, ': ', h('a', { href: '/docs/openapi.json' }, 'openapi.json')),
    groups.map((g) => h('section', { 'aria-labelledby': `tag-${g.name}` },
      h('h2', { id: `tag-${g.name}` }, g.name),
      g.description ? h('p', { class: 'muted' }, prose(g.description)) : null,
      g.ops.map(({ path, method, op }) => operation(doc, path, method, op)),
    )),
  );
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

main().catch((e) => clear(document.getElementById('doc'), h('p', { class: 'error', role: 'alert' }, `The API document could not be shown: ${e.message}`)));
