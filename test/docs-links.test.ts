// Issue 19: the README is a short page that sends readers to docs/; a link that points
// nowhere is a dead end for exactly the newcomer it is for. Every relative link in
// README.md, CHANGELOG.md and docs/*.md must name an existing file, and a `#anchor` into a
// markdown file must name one of its headings (GitHub's slugs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The markdown text outside fenced code blocks (links in code are not links). */
export function prose(md: string): string {
  let inFence = false;
  return md.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) { inFence = !inFence; return false; }
    return !inFence;
  }).join('\n');
}

/** Inline links `[text](target)` and images, minus inline code spans. */
export function links(md: string): string[] {
  const text = prose(md).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** GitHub's anchor for each heading of a markdown file (duplicates get -1, -2, …). */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(md).split('\n')) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!.replace(/<[^>]+>/g, '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Problems with the relative links of `file` (absolute path), as readable strings. */
export function brokenLinks(file: string): string[] {
  const md = readFileSync(file, 'utf8');
  const bad: string[] = [];
  for (const link of links(md)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, …
    const hash = link.indexOf('#');
    const path = decodeURIComponent(hash < 0 ? link : link.slice(0, hash));
    const anchor = hash < 0 ? '' : decodeURIComponent(link.slice(hash + 1));
    const target = path === '' ? file : join(dirname(file), path);
    const where = `${relative(root, file)}: (${link})`;
    if (!existsSync(target)) { bad.push(`${where} names a missing file`); continue; }
    if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
      bad.push(`${where} names no heading of ${relative(root, target)}`);
    }
  }
  return bad;
}

const files = [join(root, 'README.md'), join(root, 'CHANGELOG.md'),
  ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f))];

test('every relative link in README.md, CHANGELOG.md and docs/*.md resolves (file and heading)', () => {
  const bad = files.flatMap(brokenLinks);
  assert.equal(bad, [], bad.join('\n'));
});

test('README links to every docs/ page', () => {
  const readme = links(readFileSync(join(root, 'README.md'), 'utf8'));
  for (const f of readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md'))) {
    assert.ok(readme.some((l) => l.split('#')[0] === `docs/${f}`), `README does not link docs/${f}`);
  }
});

/** Problems with the links of a package README into this repository's docs: absolute (a relative link breaks in the tarball), naming an existing file and heading. */
export function brokenRepoLinks(file: string): string[] {
  const bad: string[] = [];
  for (const link of links(readFileSync(file, 'utf8'))) {
    const m = /^https:\/\/github\.com\/threadwal\/threadwal\/blob\/main\/([^#]+)(?:#(.*))?$/.exec(link);
    if (!m) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(link)) bad.push(`${relative(root, file)}: (${link}) is relative: it would not resolve in the published tarball`);
      continue;
    }
    const target = join(root, decodeURIComponent(m[1]!));
    if (!existsSync(target)) bad.push(`${relative(root, file)}: (${link}) names a missing file`);
    else if (m[2] && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(decodeURIComponent(m[2]))) bad.push(`${relative(root, file)}: (${link}) names no heading of ${m[1]}`);
  }
  return bad;
}

test('each package README links into docs/ by absolute GitHub URL, to files and headings that exist', () => {
  const pkgs = readdirSync(join(root, 'packages'));
  const bad = pkgs.flatMap((p) => brokenRepoLinks(join(root, 'packages', p, 'README.md')));
  assert.equal(bad, [], bad.join('\n'));
  for (const p of pkgs) {
    const docs = links(readFileSync(join(root, 'packages', p, 'README.md'), 'utf8')).filter((l) => l.includes('/blob/main/docs/'));
    assert.ok(docs.length > 0, `packages/${p}/README.md links no docs/ page`);
  }
  // The checker itself: a relative link, a missing file and a missing heading are each reported.
  const fixture = join(root, 'test', 'fixtures', 'docs-links', 'package-readme.md');
  const found = brokenRepoLinks(fixture);
  assert.is(found.length, 3, found.join('\n'));
  assert.match(found[0]!, /is relative/);
  assert.match(found[1]!, /NOPE\.md\) names a missing file/);
  assert.match(found[2]!, /#no-such-heading\) names no heading/);
});

test('the checker catches a missing file, a missing heading, and reads headings as GitHub does', () => {
  assert.equal(links('see [a](x.md#b) and `[c](d.md)`\n```\n[e](f.md)\n```\n[g](https://h)'), ['x.md#b', 'https://h']);
  const a = anchors('# threadwal — design\n## Latency (issue 15)\n## Latency (issue 15)\n### `threadwal/ship`\n```\n# not a heading\n```');
  assert.equal([...a], ['threadwal--design', 'latency-issue-15', 'latency-issue-15-1', 'threadwalship']);
  const bad = brokenLinks(join(root, 'test', 'fixtures', 'docs-links', 'broken.md'));
  assert.equal(bad.length, 2, bad.join('\n'));
  assert.match(bad[0]!, /no-such-file\.md\) names a missing file/);
  assert.match(bad[1]!, /README\.md#no-such-heading\) names no heading/);
});

test.run();
