import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'

/** Pages that another change adds: a link to one may dangle until it lands, and is checked once it has. */
const WRITTEN_ELSEWHERE = new Set(['docs/library.md'])

const pages = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]

/** The text of a page without fenced code blocks and code spans, where `[x](y)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '')
}

/** `[text](target)` links, their targets as written. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] as string)
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces made dashes. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const [, heading] of markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = (heading as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

function problems(page: string): string[] {
  const path = join(repoRoot, page)
  const found: string[] = []
  for (const target of linkTargets(readFileSync(path, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue
    const [file = '', anchor] = target.split('#')
    const resolved = file === '' ? path : resolve(dirname(path), decodeURIComponent(file))
    const name = relative(repoRoot, resolved)
    if (!existsSync(resolved)) {
      if (!WRITTEN_ELSEWHERE.has(name)) found.push(`${target}: no ${name}`)
      continue
    }
    if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      found.push(`${target}: no heading #${anchor} in ${name}`)
    }
  }
  return found
}

describe('relative links in the README, the changelog and docs/ resolve', () => {
  it.each(pages)('%s', (page) => {
    expect(problems(page)).toEqual([])
  })

  it('finds the pages and their links', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/cli.md']))
    expect(linkTargets(readFileSync(join(repoRoot, 'README.md'), 'utf8'))).toContain('docs/cli.md')
  })
})
