/**
 * The client snippets of README.md ("Use it from other applications"), as the tests run them: the fenced block
 * after `<!-- snippet: name -->`, with the documented address `http://localhost:3000` replaced by the test
 * server's. Tests run these texts and nothing else, so the README cannot drift from what works.
 */
import fs from 'node:fs';
import path from 'node:path';

const readmePath = path.resolve(import.meta.dirname, '..', '..', 'README.md');

/** The address the README snippets use. */
export const documentedUrl = 'http://localhost:3000';

/** The code of snippet `name`, pointed at `baseUrl`; throws naming the snippet when README.md lacks it. */
export function readmeSnippet(name: string, baseUrl: string): string {
  const readme = fs.readFileSync(readmePath, 'utf8');
  const m = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no snippet "${name}" (<!-- snippet: ${name} --> before a fenced block)`);
  return m[1].replaceAll(documentedUrl, baseUrl);
}

/** A one-line shell snippet as argv (our commands have no quotes or variables). */
export function commandOf(snippet: string): string[] {
  const line = snippet.trim();
  if (line.includes('\n') || /["'$`\\]/.test(line)) throw new Error(`not a plain one-line command: ${line}`);
  return line.split(/\s+/);
}
