#!/usr/bin/env node
// Lists the import cycles among the project's own modules (type-only and dynamic imports count:
// a cycle of types is still two files that cannot be read one after the other).
// Usage: node scripts/import-cycles.mjs [folder ...]   (default: src); exit 1 when there is one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['.ts', '.svelte.ts', '.svelte', '.mts', '.js', '.mjs'];

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file, out);
    else if (EXTENSIONS.some((e) => name.endsWith(e)) && !name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

function resolve(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(js|mjs)$/, '');
  for (const candidate of [base, ...EXTENSIONS.map((e) => stem + e), path.join(base, 'index.ts')])
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return null;
}

/** The imports of `file` among the project's files. */
function importsOf(file) {
  let text = readFileSync(file, 'utf8');
  if (file.endsWith('.svelte')) text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => resolve(file, f.fileName))
    .filter((f) => f !== null);
}

/** The strongly connected components of more than one file (Tarjan), each as one cycle's files. */
export function importCycles(roots) {
  const files = roots.flatMap((r) => walk(path.resolve(r)));
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfImport = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const roots = process.argv.slice(2);
  const cycles = importCycles(roots.length ? roots : ['src']);
  for (const c of cycles) console.log(`cycle of ${c.length}:\n  ${c.map((f) => path.relative(process.cwd(), f)).join('\n  ')}`);
  console.log(cycles.length ? `${cycles.length} import cycle(s).` : 'No import cycle.');
  process.exitCode = cycles.length ? 1 : 0;
}
