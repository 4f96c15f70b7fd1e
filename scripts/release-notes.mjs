// Prints the release notes of one version from CHANGELOG.md: the body of its `## [X.Y.Z] - date`
// section. The release workflow publishes them as the GitHub release's notes, and stops when the
// section is missing or empty, so that no release goes out undescribed.
// Usage: node scripts/release-notes.mjs <X.Y.Z> [CHANGELOG.md]
import { readFileSync } from 'node:fs';

/** The notes of `version`, or an error message. */
export function releaseNotes(changelog, version) {
  const heading = /^## \[(.+?)\](?: - (\d{4}-\d{2}-\d{2}))?\s*$/;
  const lines = changelog.split(/\r?\n/);
  const start = lines.findIndex((l) => heading.exec(l)?.[1] === version);
  if (start < 0) {
    return {
      error: `CHANGELOG.md has no section for ${version}: add '## [${version}] - YYYY-MM-DD' with its notes`,
    };
  }
  if (!heading.exec(lines[start])[2]) {
    return {
      error: `CHANGELOG.md: the section for ${version} has no date: '## [${version}] - YYYY-MM-DD'`,
    };
  }
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  const body = lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join('\n')
    .trim();
  if (body === '') return { error: `CHANGELOG.md: the section for ${version} is empty` };
  return { notes: `${body}\n` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [version, file = 'CHANGELOG.md'] = process.argv.slice(2);
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    console.error('usage: node scripts/release-notes.mjs <X.Y.Z> [CHANGELOG.md]');
    process.exit(2);
  }
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`${file}: cannot be read (${err.code ?? err.message})`);
    process.exit(1);
  }
  const result = releaseNotes(text, version);
  if (result.error) {
    console.error(result.error);
    process.exit(1);
  }
  process.stdout.write(result.notes);
}
