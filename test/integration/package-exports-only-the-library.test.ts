import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.js'

/**
 * The package's public surface, as docs/library.md describes it. Adding a name here is a decision: it is
 * then an API to keep. What only the CLI or the tests need is imported from its module instead.
 */
const VALUES = ['CachesyncError', 'ConfigError', 'HttpStatusError', 'isUserError', 'resolveConfig', 'runSync', 'runWarm']
const TYPES = [
  'CachesyncErrorCode',
  'ConfigOptions',
  'IncrementalReport',
  'Logger',
  'PhaseTimes',
  'ProgressEvent',
  'RecordCounts',
  'ResolveConfigInput',
  'ResolvedConfig',
  'ResolvedSink',
  'ResolvedSource',
  'SourceReport',
  'SyncMode',
  'SyncOptions',
  'SyncReport',
  'WarmOptions',
  'WarmOutcome',
  'WarmProgressEvent',
  'WarmReport',
  'WarmSourceReport',
]

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, string>; types: string }

describe('the package entry', () => {
  it('exports the library and nothing else', async () => {
    const entry = (await import(pathToFileURL(join(repoRoot, pkg.exports['.'] as string)).href)) as Record<string, unknown>
    expect(Object.keys(entry).sort()).toEqual(VALUES)
  })

  it('declares only the library’s types beside its values', () => {
    const declarations = readFileSync(join(repoRoot, pkg.types), 'utf8')
    const names = [...declarations.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => (m[1] as string).split(',').map((name) => name.trim()))
    expect(names.filter((name) => name !== '').sort()).toEqual([...VALUES, ...TYPES].sort())
  })
})
