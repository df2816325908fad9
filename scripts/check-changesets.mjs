// Every .changeset/*.md (but README.md) must start with frontmatter naming workspace
// packages and a bump, or `changeset version` fails at release time.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Workspace packages: packages/* and apps/* (the private demo is versioned by changesets too).
const packages = new Set(
  ['packages', 'apps'].flatMap((root) =>
    readdirSync(root).map(
      (d) => JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8')).name,
    ),
  ),
);
let bad = 0;
for (const f of readdirSync('.changeset').filter((f) => f.endsWith('.md') && f !== 'README.md')) {
  const text = readFileSync(join('.changeset', f), 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n\s*\S/.exec(text);
  const lines = m ? m[1].split('\n').filter((l) => l.trim()) : [];
  const ok =
    m &&
    lines.length > 0 &&
    lines.every((l) => {
      const e = /^["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(l);
      return e && packages.has(e[1]);
    });
  if (!ok) {
    console.error(
      `.changeset/${f}: expected '---' frontmatter with "<package>": major|minor|patch lines, then a summary`,
    );
    bad++;
  }
}
if (bad) process.exit(1);
console.log('changesets: ok');
