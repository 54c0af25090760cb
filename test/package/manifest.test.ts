/** What package.json claims about the code holds: its dependencies, and `sideEffects: false`. */
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, importGraph, packageName } from './import-graph.js';

interface Manifest {
  readonly bin: Readonly<Record<string, string>>;
  readonly exports: Readonly<Record<string, string | { readonly default: string }>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly sideEffects: boolean;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
/** The JS entries the exports map publishes, relative to ROOT. */
const exported = Object.values(manifest.exports)
  .map((target) => (typeof target === 'string' ? target : target.default))
  .filter((target) => target.endsWith('.js'))
  .map((target) => target.replace(/^\.\//, ''));

describe('package.json', () => {
  it('depends on exactly the packages its built code imports (the entries and the command), optional peers included', () => {
    const imported = new Set<string>();
    for (const entry of [...exported, ...Object.values(manifest.bin)])
      for (const { specifier } of importGraph(entry).external)
        if (!isBuiltin(specifier)) imported.add(packageName(specifier));
    // An optional peer (loaded only when asked for, e.g. the XState inspector) is imported too.
    const optionalPeers = Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta.optional === true)
      .map(([name]) => name);
    expect([...imported].sort()).toEqual([...Object.keys(manifest.dependencies), ...optionalPeers].sort());
  });

  it('keeps @xstate/graph, which only the tests use, out of the dependencies', () => {
    expect(manifest.devDependencies).toHaveProperty('@xstate/graph');
    expect(manifest.dependencies).not.toHaveProperty('@xstate/graph');
  });

  it('says sideEffects: false, and no module an export reaches runs a statement for its effect', () => {
    expect(manifest.sideEffects).toBe(false);
    const effects: string[] = [];
    const files = new Set(exported.flatMap((entry) => importGraph(entry).files));
    for (const built of files) {
      const file = built.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      const source = ts.createSourceFile(
        file,
        readFileSync(join(ROOT, file), 'utf8'),
        ts.ScriptTarget.Latest,
        true,
      );
      for (const statement of source.statements) {
        const declares =
          ts.isImportDeclaration(statement) ||
          ts.isExportDeclaration(statement) ||
          ts.isExportAssignment(statement) ||
          ts.isVariableStatement(statement) ||
          ts.isFunctionDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isInterfaceDeclaration(statement) ||
          ts.isTypeAliasDeclaration(statement) ||
          ts.isEnumDeclaration(statement) ||
          ts.isModuleDeclaration(statement);
        const staticBlock =
          ts.isClassDeclaration(statement) && statement.members.some(ts.isClassStaticBlockDeclaration);
        if (!declares || staticBlock) {
          const { line } = source.getLineAndCharacterOfPosition(statement.getStart(source));
          effects.push(`${file}:${line + 1}: ${statement.getText(source).split('\n')[0]}`);
        }
      }
    }
    expect(files.size).toBeGreaterThan(10);
    expect(effects).toEqual([]);
  });
});
