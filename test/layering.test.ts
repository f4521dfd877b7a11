/**
 * The layers of the README's architecture section, as imports (issue 11): the session layer
 * touches neither disk nor network and sees files only through its own interfaces (source.ts,
 * sink.ts), so that a pipe can stand in for a file and stdout for a directory; the channel knows
 * nothing above it; protocol and crypto do no I/O. Every import of every module is read with the
 * TypeScript parser (not a regex: `import type`, `import { type X }`, re-exports and dynamic
 * import() all count as written).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

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

const shown = (imports: readonly Import[]) => imports.map(({ file, specifier }) => `${path.relative(SRC, file)} imports ${specifier}`);

describe('the session layer', () => {
  const imports = sourceFiles(path.join(SRC, 'session')).flatMap(importsOf);

  it('reads its own imports (the parser finds them)', () => {
    expect(imports.length).toBeGreaterThan(20);
    expect(imports.some((i) => i.specifier === '../protocol/messages.js')).toBe(true);
  });

  it('imports neither node:fs nor node:net, not even their types', () => {
    expect(shown(imports.filter((i) => isFileSystemOrNetwork(i.specifier)))).toEqual([]);
  });

  it('imports nothing from src/files/: the CLI hands it a source or a sink', () => {
    expect(shown(imports.filter((i) => layerOf(i.file, i.specifier) === 'files'))).toEqual([]);
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

describe('the pipes layer', () => {
  const imports = sourceFiles(path.join(SRC, 'pipes')).flatMap(importsOf);

  it('adapts a Readable and a Writable: no node:fs, no node:net, only the types of the session interfaces', () => {
    expect(imports.length).toBeGreaterThan(3);
    expect(shown(imports.filter((i) => isFileSystemOrNetwork(i.specifier)))).toEqual([]);
    const fromSession = imports.filter((i) => layerOf(i.file, i.specifier) === 'session');
    expect(shown(fromSession.filter((i) => !i.typeOnly || !/^\.\.\/session\/(source|sink)\.js$/.test(i.specifier)))).toEqual([]);
    expect(shown(imports.filter((i) => ['cli', 'files', 'channel'].includes(layerOf(i.file, i.specifier) ?? '')))).toEqual([]);
  });
});

describe('the channel layer', () => {
  it('imports nothing of the layers above it (cli, session, files, pipes, rendezvous, relay)', () => {
    const imports = sourceFiles(path.join(SRC, 'channel')).flatMap(importsOf);
    expect(imports.length).toBeGreaterThan(10);
    expect(shown(imports.filter((i) => ['cli', 'session', 'files', 'pipes', 'rendezvous', 'relay'].includes(layerOf(i.file, i.specifier) ?? '')))).toEqual([]);
  });
});

describe('the protocol and crypto layers', () => {
  /** What they may use from outside src/: hashing and MACs, and the code words as data. */
  const PURE_PACKAGES = /^(node:crypto|@scure\/bip39\/wordlists\/english\.js)$/;

  it('do no I/O: no module outside src/ but node:crypto and the word list, and nothing above them', () => {
    const imports = ['protocol', 'crypto'].flatMap((layer) => sourceFiles(path.join(SRC, layer))).flatMap(importsOf);
    expect(imports.length).toBeGreaterThan(20);
    expect(shown(imports.filter((i) => !i.specifier.startsWith('.') && !PURE_PACKAGES.test(i.specifier)))).toEqual([]);
    const above = (i: Import) => i.specifier.startsWith('.') && !['protocol', 'crypto', 'errors.js'].includes(layerOf(i.file, i.specifier)!);
    expect(shown(imports.filter(above))).toEqual([]);
  });
});

describe('the relay layer', () => {
  // The relay pairs byte streams (section 9): it never sees a session or a file, and knows no
  // socket, so that a WebSocket can be handed to it as a TCP connection is.
  it('imports nothing of cli, session, files or channel, and neither node:fs nor node:net', () => {
    const imports = sourceFiles(path.join(SRC, 'relay')).flatMap(importsOf);
    expect(imports.length).toBeGreaterThan(5);
    expect(shown(imports.filter((i) => ['cli', 'session', 'files', 'channel'].includes(layerOf(i.file, i.specifier) ?? '')))).toEqual([]);
    expect(shown(imports.filter((i) => isFileSystemOrNetwork(i.specifier)))).toEqual([]);
  });
});

describe('the rendezvous layer', () => {
  // The relay's clients (section 9) work over any Duplex a dial gives (a WebSocket later): no
  // socket of their own, nothing of the layers above them, and nothing of the relay server.
  it('imports nothing of cli, session, files, pipes or relay, and neither node:fs nor node:net', () => {
    const imports = sourceFiles(path.join(SRC, 'rendezvous')).flatMap(importsOf);
    expect(imports.length).toBeGreaterThan(5);
    expect(shown(imports.filter((i) => ['cli', 'session', 'files', 'pipes', 'relay'].includes(layerOf(i.file, i.specifier) ?? '')))).toEqual([]);
    expect(shown(imports.filter((i) => isFileSystemOrNetwork(i.specifier)))).toEqual([]);
  });
});
