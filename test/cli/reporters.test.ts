// The JUnit reporter of `gravity test`: what CI systems parse back must be the failure as the scenario reported it.
import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { reporters, xmlAttr, xmlText, type CaseResult } from '../../cli/reporters.js';

/** The report the junit reporter writes for `results`. */
function junit(results: CaseResult[]): string {
  let text = '';
  reporters.junit.end(results, 1234, {
    write: (chunk: string) => ((text += chunk), true),
  } as unknown as NodeJS.WritableStream);
  return text;
}

/** A conforming reader's view: entities and character references decoded, nothing trimmed or converted. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  htmlEntities: true,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
});

const failed = (message: string): CaseResult => ({
  name: 'release "v2" <hotfix> & co',
  file: '/tmp/x/release.scenario.ts',
  transport: 'file',
  branch: 'main',
  status: 'failed',
  durationMs: 42,
  step: 's3_check',
  message,
});

describe('the JUnit reporter', () => {
  it('writes a failure whose message holds markup, ]]>, line breaks and a control character so that it parses back the same', () => {
    // given a failure message with everything XML is touchy about
    const message = 'assert.file-content: a.txt is "<b> & \'c\' ]]>\u0007",\n  expected "x"\r\n\tsee gravity show';
    // when the report is written and read back
    const xml = junit([failed(message)]);
    const doc = parser.parse(xml);
    const tc = doc.testsuites.testsuite.testcase;
    // then it is well-formed and the texts are the scenario's, the control character shown as \u0007 (XML 1.0 cannot hold it)
    expect(XMLValidator.validate(xml)).toBe(true);
    const shown = message.replace('\u0007', '\\u0007');
    expect(tc.name).toBe('release "v2" <hotfix> & co [file, main]');
    expect(tc.failure.message).toBe(shown);
    expect(tc.failure.type).toBe('s3_check');
    expect(tc.failure['#text']).toBe(`step <s3_check>: ${shown}`);
  });

  it('keeps line breaks and tabs of attribute values as references, since a parser turns raw ones into spaces', () => {
    const xml = junit([failed('line 1\nline 2\ttab\r')]);
    const values = [...xml.matchAll(/\s[a-z]+="([^"]*)"/g)].map((m) => m[1]);
    expect(values.some((v) => /[\t\n\r]/.test(v))).toBe(false);
    expect(xml).toContain('message="line 1&#10;line 2&#9;tab&#13;"');
  });

  it('never writes a character XML 1.0 forbids: controls, lone surrogates, U+FFFE', () => {
    const nasty = 'a\u0000b\u001bc\ud800d\udc00e\ufffef \ud83d\ude00';
    for (const out of [xmlText(nasty), xmlAttr(nasty)]) {
      expect(out).toBe('a\\u0000b\\u001bc\\ud800d\\udc00e\\ufffef \ud83d\ude00');
    }
  });

  it('counts passed and failed cases and writes a passed case as an empty testcase', () => {
    const ok: CaseResult = { ...failed(''), status: 'passed', step: undefined, message: undefined };
    const doc = parser.parse(junit([ok, failed('boom')]));
    expect(doc.testsuites).toMatchObject({ name: 'gravity', tests: '2', failures: '1', time: '1.234' });
    expect(doc.testsuites.testsuite.testcase[0]).toEqual({
      classname: expect.stringMatching(/release\.scenario\.ts$/),
      name: expect.any(String),
      time: '0.042',
    });
    expect(doc.testsuites.testsuite.testcase[1].failure.message).toBe('boom');
  });
});
