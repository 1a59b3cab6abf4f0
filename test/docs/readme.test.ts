import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config/index.js';
import { HTTP_ERRORS } from '../../src/http/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Rows of the markdown table that follows `heading`, as arrays of cell texts. */
function tableAfter(heading: string): string[][] {
  const start = readme.indexOf(heading);
  if (start < 0) throw new Error(`README has no "${heading}"`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, '')),
    );
  }
  return rows;
}

describe('README', () => {
  it('documents every configuration variable with its default, and nothing else', () => {
    const rows = tableAfter('## Configuration');
    expect(rows.map((r) => r[0])).toEqual(CONFIG_VARIABLES.map((v) => v.name));
    for (const v of CONFIG_VARIABLES) {
      const row = rows.find((r) => r[0] === v.name)!;
      expect(row[1], v.name).toBe(v.default ?? '—');
    }
  });

  it('documents every HTTP error code with its status', () => {
    const rows = tableAfter('### Errors');
    expect(rows.map((r) => [r[0], Number(r[1])]).sort()).toEqual(
      Object.entries(HTTP_ERRORS)
        .map(([code, e]) => [code, e.status])
        .sort(),
    );
  });

  it('shows the quick start commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
