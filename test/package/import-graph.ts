/**
 * The built package's import graphs, read statically (TypeScript's preProcessFile, which sees
 * static and dynamic imports, re-exports and `/// <reference>` directives): which files an
 * entry reaches and what each imports from outside the package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Packages that run in a browser, which the browser entries may import. Anything else from
 * outside the package (a Node built-in, ws, pino, commander...) is Node-only for them.
 */
export const BROWSER_PACKAGES: readonly string[] = ['xstate', 'pure-rand'];

/** The browser-safe subpaths: their JS entry and declaration entry, relative to ROOT. */
export const BROWSER_ENTRIES = [
  { subpath: 'raftchart/machines', js: 'dist/machines/index.js', dts: 'dist/machines/index.d.ts' },
  { subpath: 'raftchart/sim', js: 'dist/src/sim/index.js', dts: 'dist/src/sim/index.d.ts' },
] as const;

export interface ExternalImport {
  /** As written: `node:events`, `ws`, `pure-rand/generator/xoroshiro128plus`, `types:node`. */
  readonly specifier: string;
  /** The importing file, relative to ROOT. */
  readonly from: string;
}

export interface ImportGraph {
  /** Every file of the package the entry reaches, itself included, relative to ROOT. */
  readonly files: readonly string[];
  readonly external: readonly ExternalImport[];
}

/** The package a bare specifier names: `@msgpack/msgpack/x` is `@msgpack/msgpack`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Follows relative imports from `entry` (a .js or .d.ts file, relative to ROOT). */
export function importGraph(entry: string): ImportGraph {
  const declarations = entry.endsWith('.d.ts');
  const seen = new Set<string>();
  const external: ExternalImport[] = [];
  const pending = [resolve(ROOT, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    if (!existsSync(file)) throw new Error(`${relative(ROOT, file)} is imported but does not exist`);
    seen.add(file);
    const from = relative(ROOT, file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.typeReferenceDirectives)
      external.push({ specifier: `types:${fileName}`, from });
    for (const { fileName } of info.referencedFiles) pending.push(resolve(dirname(file), fileName));
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) external.push({ specifier: fileName, from });
      else {
        const target = resolve(dirname(file), fileName);
        pending.push(declarations ? target.replace(/\.js$/, '.d.ts') : target);
      }
    }
  }
  return { files: [...seen].map((file) => relative(ROOT, file)).sort(), external };
}

/** The external imports a browser cannot load: Node built-ins and packages not in BROWSER_PACKAGES. */
export function nodeOnlyImports(graph: ImportGraph): string[] {
  return graph.external
    .filter(({ specifier }) => {
      if (specifier.startsWith('types:')) return true; // `/// <reference types>`: @types/node
      return isBuiltin(specifier) || !BROWSER_PACKAGES.includes(packageName(specifier));
    })
    .map(({ specifier, from }) => `${specifier} (imported by ${from})`);
}

/** Names of Node's global types; a declaration that mentions one needs @types/node. */
const NODE_GLOBAL_TYPES = new Set(['NodeJS', 'Buffer', 'BufferEncoding', 'NodeRequire', 'NodeModule']);

/** Where the declaration files of a graph mention Node's global types (comments aside). */
export function nodeGlobalTypeUses(graph: ImportGraph): string[] {
  const uses: string[] = [];
  for (const file of graph.files) {
    const source = ts.createSourceFile(
      file,
      readFileSync(resolve(ROOT, file), 'utf8'),
      ts.ScriptTarget.Latest,
      true,
    );
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node) && NODE_GLOBAL_TYPES.has(node.text)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        uses.push(`${node.text} (${file}:${line + 1})`);
      }
      node.forEachChild(visit);
    };
    visit(source);
  }
  return uses;
}
