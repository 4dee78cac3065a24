// The FEEL text builders shared by workflow definitions, checked against the engine's FEEL evaluator.
import { describe, expect, it } from 'vitest';
import { evaluateExpression } from '../../engine/index.js';
import { feelLines, feelOf, feelString, pathIn } from '../../workflows/feel.js';

describe('FEEL builders', () => {
  it('quote any text as a FEEL string that evaluates back to it', () => {
    for (const text of ['plain', 'say "hi"', 'back\\slash', 'two\nlines', 'tab\there', '']) {
      expect(evaluateExpression(feelString(text), {}, 'quote'), JSON.stringify(text)).toBe(text);
    }
  });

  it('join lines', () => {
    const joined = feelLines('"a"', 'name', '""');
    expect(joined).toBe('="a" + "\\n" + name + "\\n" + ""');
    expect(evaluateExpression(joined.slice(1), { name: 'b' }, 'lines')).toBe('a\nb\n');
  });

  it('name a file inside the folder an input names', () => {
    expect(feelOf('=steps.galaxy.root')).toBe('steps.galaxy.root');
    expect(feelOf('/tmp/x')).toBe('"/tmp/x"');
    expect(pathIn('=steps.galaxy.actors.alice.dir', 'docs/b.txt')).toBe(
      '=steps.galaxy.actors.alice.dir + "/docs/b.txt"',
    );
    expect(evaluateExpression(pathIn('=dir', 'a "quoted" name').slice(1), { dir: '/r' }, 'path')).toBe(
      '/r/a "quoted" name',
    );
  });
});
