/**
 * Runs the first code block of a language in a document, as a user would: written inside
 * the package (so `raftchart` resolves to this package's own build) and run with node.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export function runDocExample(doc: string, language: string): { code: string; output: string } {
  const code = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(readFileSync(doc, 'utf8'))?.[1];
  if (code === undefined) throw new Error(`${doc} has no \`\`\`${language} block`);
  const file = `dist/doc-example-${language}.mjs`;
  writeFileSync(file, code);
  try {
    return { code, output: execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 }) };
  } finally {
    rmSync(file, { force: true });
  }
}
