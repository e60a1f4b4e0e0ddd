import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type ResolvedSource, resolveConfig } from '../../../src/config/resolve-config.js'
import { inferColumns, withInferred } from '../../../src/engine/resolve-open-sources.js'
import { ConfigError } from '../../../src/util/errors.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const tmp = useTempDir()

/** The one source of a YAML configuration whose `columns` are these lines. */
function sourceWith(columns: string, extra = ''): ResolvedSource {
  const path = join(tmp(), 'cachesync.yaml')
  writeFileSync(path, `sources:\n  - name: things\n${extra}    columns:\n${columns}`)
  const source = resolveConfig({ configFile: path, env: {}, cwd: tmp() }).sources[0]
  if (source === undefined) throw new Error('no source')
  return source
}

const records = [
  { id: 1, code: 'a', n: 5 },
  { id: 2, code: 'b', n: 5 },
  { id: 3, code: 'c', n: null },
]

describe('a configured column reading id is the key when none is configured', () => {
  it('keys the table by a configured id column, which stays out of the inferred ones', () => {
    const source = sourceWith("      id: { type: integer }\n      '*': auto\n")
    const inferred = inferColumns(source, records)
    expect(inferred.map((c) => [c.name, c.type, c.key])).toEqual([
      ['code', 'text', false],
      ['n', 'integer', false],
    ])
    const resolved = withInferred(source, inferred)
    expect(resolved.key).toEqual(['id'])
    expect(resolved.columns.map((c) => [c.name, c.type, c.required])).toEqual([
      ['id', 'integer', true],
      ['code', 'text', false],
      ['n', 'integer', false],
    ])
    // A later sync resolves the source from the columns its table recorded: the same key.
    expect(withInferred(source, inferred).key).toEqual(['id'])
  })

  it('keys by the configured column that reads id under another name', () => {
    const source = sourceWith("      station: { type: integer, from: id }\n      '*': auto\n")
    const resolved = withInferred(source, inferColumns(source, records))
    expect(resolved.key).toEqual(['station'])
    expect(resolved.columns.map((c) => c.name)).toEqual(['station', 'code', 'n'])
  })

  it('keeps the inferred id as the key where a configured column of that name reads another field', () => {
    const source = sourceWith("      id: { type: text, from: code }\n      '*': auto\n")
    const inferred = inferColumns(source, records)
    expect(inferred.filter((c) => c.key).map((c) => [c.name, c.path])).toEqual([['id_2', ['id']]])
    expect(withInferred(source, inferred).key).toEqual(['id_2'])
  })

  it('still refuses a configured id that is not unique, naming the candidates', () => {
    const source = sourceWith("      id: { type: integer }\n      '*': auto\n")
    const repeated = [
      { id: 1, code: 'a' },
      { id: 1, code: 'b' },
    ]
    expect(() => inferColumns(source, repeated)).toThrow(ConfigError)
    expect(() => inferColumns(source, repeated)).toThrow(/no key\. .*code is present and unique in all of them\. Set key: <field>/)
  })

  it('leaves a configured key alone', () => {
    const source = sourceWith("      id: { type: integer }\n      '*': auto\n", '    key: code\n')
    const resolved = withInferred(source, inferColumns(source, records))
    expect(resolved.key).toEqual(['code'])
    expect(resolved.columns.find((c) => c.name === 'id')?.required).toBe(false)
  })
})
