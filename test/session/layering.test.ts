/**
 * Issue 11, item 3: the session layer sees files only through its own interfaces (source.ts,
 * sink.ts), so that a pipe can stand in for a file and stdout for a directory. Every import of
 * every module under src/session/ and src/files/ is read with the TypeScript parser (not a regex:
 * `import type`, `import { type X }`, re-exports and dynamic import() all count as written).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

interface Import {
  readonly file: string;
  readonly specifier: string;
  /** Erased at compile time: brings in no code. */
  readonly typeOnly: boolean;
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(directory, name));
}

/** Whether an import or export declaration names only types (so TypeScript erases it). */
function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    return node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && node.exportClause.elements.length > 0 && node.exportClause.elements.every((e) => e.isTypeOnly);
  }
  const clause = node.importClause;
  if (clause === undefined) return false; // `import 'x'`: run for its effects
  if (clause.isTypeOnly) return true;
  if (clause.name !== undefined) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ file, specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ file, specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ file, specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Which layer folder of src/ a relative import from `file` lands in ('' for src/ itself). */
function layerOf(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.relative(SRC, path.resolve(path.dirname(file), specifier)).split(path.sep)[0]!;
}

const isFileSystemOrNetwork = (specifier: string) => /^(node:)?(fs|net)(\/|$)/.test(specifier);

/**
 * Imports that are wrong but still there because another item of issue 11 removes them; each
 * must still be needed (the test fails once it is not, so the list cannot go stale).
 */
const PENDING: ReadonlyArray<{ file: string; specifier: string; why: string }> = [
  { file: 'session/listener.ts', specifier: 'node:net', why: 'item 2 takes the TCP server out of the gate' },
];
const isPending = ({ file, specifier }: Import) => PENDING.some((p) => path.join(SRC, p.file) === file && p.specifier === specifier);
const shown = (imports: readonly Import[]) => imports.map(({ file, specifier }) => `${path.relative(SRC, file)} imports ${specifier}`);

describe('the session layer', () => {
  const imports = sourceFiles(path.join(SRC, 'session')).flatMap(importsOf);

  it('reads its own imports (the parser finds them)', () => {
    expect(imports.length).toBeGreaterThan(20);
    expect(imports.some((i) => i.specifier === '../protocol/messages.js')).toBe(true);
  });

  it('imports neither node:fs nor node:net, not even their types', () => {
    expect(shown(imports.filter((i) => isFileSystemOrNetwork(i.specifier) && !isPending(i)))).toEqual([]);
  });

  it('imports nothing from src/files/: the CLI hands it a source or a sink', () => {
    expect(shown(imports.filter((i) => layerOf(i.file, i.specifier) === 'files'))).toEqual([]);
  });

  it.each(PENDING)('still has the pending import of $file ($why): remove it from PENDING once it is gone', ({ file, specifier }) => {
    expect(importsOf(path.join(SRC, file)).map((i) => i.specifier)).toContain(specifier);
  });
});

describe('the files layer', () => {
  const imports = sourceFiles(path.join(SRC, 'files')).flatMap(importsOf);

  it('takes from src/session/ only the types of the interfaces it implements, no session code', () => {
    const fromSession = imports.filter((i) => layerOf(i.file, i.specifier) === 'session');
    expect(shown(fromSession.filter((i) => !i.typeOnly))).toEqual([]);
    expect(shown(fromSession.filter((i) => !/^\.\.\/session\/(source|sink)\.js$/.test(i.specifier)))).toEqual([]);
  });
});
