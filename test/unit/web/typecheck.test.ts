/**
 * The dashboard's sources (web/src, bundled by esbuild, which does not type-check)
 * pass the TypeScript compiler in strict mode with the DOM library.
 */
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../../../paths';

describe('web/src', () => {
  it('type-checks (web/tsconfig.json)', () => {
    const file = path.join(ROOT, 'web', 'tsconfig.json');
    const cfg = ts.readConfigFile(file, ts.sys.readFile);
    expect(cfg.error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, path.dirname(file));
    expect(parsed.fileNames.some((f) => f.endsWith('web/src/main.ts'))).toBe(true);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const diags = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diags).toEqual([]);
  }, 60_000);
});
