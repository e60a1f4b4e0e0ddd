import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../../src/config/dmr-sources.js'
import { DEFAULT_CONFIG, resolveConfig } from '../../../src/config/resolve-config.js'
import { ConfigError } from '../../../src/util/errors.js'
import { runCli, STACK_LINE } from '../../helpers/run-cli.js'
import { useTempDir } from '../../helpers/temp-dir.js'

/** Product bug found by this file (see the test report). */
const tmp = useTempDir()
let files = 0

/** Writes a configuration file into the temp dir; `.json` files get JSON, the rest the text as given. */
function configFile(content: string | object, ext = typeof content === 'string' ? 'yaml' : 'json'): string {
  const path = join(tmp(), `config-${++files}.${ext}`)
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** The ConfigError thrown by resolving this input (fails the test when nothing is thrown). */
function configError(input: Parameters<typeof resolveConfig>[0]): ConfigError {
  try {
    resolveConfig(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('ERR_CONFIG')
    return err as ConfigError
  }
  throw new Error('expected resolveConfig to throw a ConfigError')
}

describe('resolveConfig: precedence flags > environment > file > defaults', () => {
  it('defaults, with paths resolved against cwd and the built-in DMR sources', () => {
    const config = resolveConfig({ env: {}, cwd: '/srv/sync' })
    expect(config).toMatchObject({
      db: '/srv/sync/data/cachesync.db',
      cacheDir: '/srv/sync/cache',
      mode: DEFAULT_CONFIG.mode,
      chunk: undefined,
      workers: DEFAULT_CONFIG.workers,
      maxRejects: undefined,
    })
    expect(config.sources.map((s) => [s.name, s.table, s.key, s.delete])).toEqual([
      ['rptrs', 'rptrs', ['id'], 'hard'],
      ['users', 'users', ['radio_id'], 'hard'],
      ['devices', 'devices', ['id'], 'soft'],
    ])
    expect(resolveConfig({ env: {}, defaultWorkers: 7 }).workers).toBe(7)
  })

  it('each layer overrides the one below, key by key', () => {
    const file = configFile('db: file.db\ncacheDir: file-cache\nmode: sequential\nchunk: 100\nworkers: 3\nmaxRejects: 10\n')
    const env = { CACHESYNC_CACHE_DIR: 'env-cache', CACHESYNC_MODE: 'streaming', CACHESYNC_CHUNK: '200', CACHESYNC_MAX_REJECTS: '20' }
    const flags = { chunk: 300, maxRejects: 30 }
    const cwd = tmp()
    expect(resolveConfig({ cwd, configFile: file, env: {} })).toMatchObject({
      db: join(cwd, 'file.db'),
      cacheDir: join(cwd, 'file-cache'),
      mode: 'sequential',
      chunk: 100,
      workers: 3,
      maxRejects: 10,
    })
    expect(resolveConfig({ cwd, configFile: file, env })).toMatchObject({
      db: join(cwd, 'file.db'),
      cacheDir: join(cwd, 'env-cache'),
      mode: 'streaming',
      chunk: 200,
      workers: 3,
      maxRejects: 20,
    })
    expect(resolveConfig({ cwd, configFile: file, env, flags })).toMatchObject({
      db: join(cwd, 'file.db'),
      cacheDir: join(cwd, 'env-cache'),
      mode: 'streaming',
      chunk: 300,
      workers: 3,
      maxRejects: 30,
    })
  })

  it('a flag left undefined does not hide the layer below', () => {
    const config = resolveConfig({ env: { CACHESYNC_DB: '/env/x.db', CACHESYNC_WORKERS: '5' }, flags: { db: undefined, workers: undefined } as never })
    expect(config.db).toBe('/env/x.db')
    expect(config.workers).toBe(5)
  })

  it('an empty environment variable counts as unset', () => {
    expect(resolveConfig({ env: { CACHESYNC_CHUNK: '', CACHESYNC_MODE: '' } })).toMatchObject({ chunk: undefined, mode: 'auto' })
  })

  it('CACHESYNC_CONFIG names the file when no file is passed; an explicit file wins', () => {
    const fromEnv = configFile({ chunk: 11 })
    const explicit = configFile({ chunk: 22 })
    expect(resolveConfig({ env: { CACHESYNC_CONFIG: fromEnv } }).chunk).toBe(11)
    expect(resolveConfig({ env: { CACHESYNC_CONFIG: fromEnv }, configFile: explicit }).chunk).toBe(22)
  })

  it('the result is frozen', () => {
    const config = resolveConfig({ env: {} })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.sources[0])).toBe(true)
  })
})

describe('resolveConfig: YAML and JSON files', () => {
  const yaml = `
sources:
  - name: stations
    file: stations.json
    recordsPath: data.items
    key: [net, id]
    delete: soft
    maxRejects: 5
    columns:
      net: text
      id: integer
      name: { type: text, normalize: trim }
      lat: { type: real, from: position.lat }
`
  const asJson = {
    sources: [
      {
        name: 'stations',
        file: 'stations.json',
        recordsPath: 'data.items',
        key: ['net', 'id'],
        delete: 'soft',
        maxRejects: 5,
        columns: { net: 'text', id: 'integer', name: { type: 'text', normalize: 'trim' }, lat: { type: 'real', from: 'position.lat' } },
      },
    ],
  }

  it('read the same from YAML and from JSON', () => {
    const fromYaml = resolveConfig({ env: {}, configFile: configFile(yaml) })
    const fromJson = resolveConfig({ env: {}, configFile: configFile(asJson) })
    expect(fromJson).toEqual(fromYaml)
    const [source] = fromYaml.sources
    expect(fromYaml.sources).toHaveLength(1)
    expect(source).toMatchObject({
      name: 'stations',
      table: 'stations',
      file: 'stations.json',
      recordsPath: ['data', 'items'],
      key: ['net', 'id'],
      delete: 'soft',
      maxRejects: 5,
    })
    expect(source?.columns).toEqual([
      { name: 'net', from: ['net'], type: 'text', required: true, normalize: undefined, invalid: 'reject' },
      { name: 'id', from: ['id'], type: 'integer', required: true, normalize: undefined, invalid: 'reject' },
      { name: 'name', from: ['name'], type: 'text', required: false, normalize: 'trim', invalid: 'reject' },
      { name: 'lat', from: ['position', 'lat'], type: 'real', required: false, normalize: undefined, invalid: 'reject' },
    ])
  })

  it('a .yml file is YAML too', () => {
    expect(resolveConfig({ env: {}, configFile: configFile('chunk: 42\n', 'yml') }).chunk).toBe(42)
  })

  it('extendBuiltin adds the sources to the DMR ones; without it they replace them', () => {
    const extended = resolveConfig({ env: {}, configFile: configFile({ ...asJson, extendBuiltin: true }) })
    expect(extended.sources.map((s) => s.name)).toEqual([...DMR_SOURCES.map((s) => s.name), 'stations'])
  })

  it('a source table defaults to its name with - turned into _', () => {
    const config = resolveConfig({ env: {}, configFile: configFile({ sources: [{ name: 'bm-devices', key: 'id' }] }) })
    expect(config.sources[0]?.table).toBe('bm_devices')
  })
})

describe('resolveConfig: every validation message names the key path and what was expected', () => {
  it('an unknown top-level key', () => {
    const err = configError({ env: {}, configFile: configFile('chunk: 10\nchunkz: 20\n') })
    expect(err.message).toContain('chunkz')
    expect(err.message).toMatch(/unrecognized key/i)
  })

  it('an unknown key inside a source names the source by its index', () => {
    const err = configError({ env: {}, configFile: configFile({ sources: [{ name: 'a', key: 'id', tabel: 'x' }] }) })
    expect(err.issues.some((issue) => issue.startsWith('sources[0]') && issue.includes('tabel'))).toBe(true)
  })

  it('a bad type', () => {
    const err = configError({ env: {}, configFile: configFile('chunk: lots\n') })
    expect(err.issues).toHaveLength(1)
    expect(err.issues[0]).toMatch(/^chunk: .*expected number/)
  })

  it('a number that is not a positive integer', () => {
    expect(configError({ env: {}, flags: { chunk: 0 } }).issues).toEqual(['chunk: must be a positive integer'])
    expect(configError({ env: {}, flags: { workers: 1.5 } }).issues).toEqual(['workers: must be an integer'])
    expect(configError({ env: {}, flags: { maxRejects: -1 } }).issues).toEqual(['maxRejects: must be 0 or more'])
  })

  it('a bad mode, from a file, the environment or a flag, lists the modes', () => {
    for (const input of [
      { configFile: configFile('mode: fast\n'), env: {} },
      { env: { CACHESYNC_MODE: 'fast' } },
      { env: {}, flags: { mode: 'fast' as never } },
    ]) {
      const err = configError(input)
      expect(err.message).toMatch(/mode: /)
      for (const mode of ['auto', 'parallel', 'sequential', 'streaming']) expect(err.message).toContain(mode)
    }
  })

  it('a non-integer environment variable names the variable', () => {
    const err = configError({ env: { CACHESYNC_CHUNK: 'ten' } })
    expect(err.message).toContain('CACHESYNC_CHUNK')
    expect(err.message).toContain('"ten"')
    expect(err.message).toMatch(/integer/)
  })

  it('a table name that is not a plain SQL identifier', () => {
    const err = configError({ env: {}, configFile: configFile({ sources: [{ name: 'a', key: 'id', table: 'drop table;' }] }) })
    expect(err.issues).toEqual(['sources[0].table: must start with a letter and hold only letters, digits and _'])
  })

  it('a column name that is not a plain SQL identifier', () => {
    const err = configError({ env: {}, configFile: configFile({ sources: [{ name: 'a', key: 'id', columns: { id: 'integer', 'bad name': 'text' } }] }) })
    expect(err.message).toContain('sources[0].columns')
    expect(err.message).toContain('bad name')
  })

  it('a bad column type lists the types, in the short and the long form of a column', () => {
    for (const id of ['int', { type: 'int' }]) {
      const err = configError({ env: {}, configFile: configFile({ sources: [{ name: 'a', key: 'id', columns: { id } }] }) })
      expect(err.issues).toHaveLength(1)
      expect(err.issues[0]).toMatch(/^sources\[0\]\.columns\.id(\.type)?: /)
      for (const type of ['integer', 'real', 'text', 'boolean', 'json']) expect(err.issues[0], JSON.stringify(id)).toContain(type)
    }
  })

  it('a bad normalizer lists the normalizers', () => {
    const err = configError({
      env: {},
      configFile: configFile({ sources: [{ name: 'a', key: 'id', columns: { id: 'integer', n: { type: 'text', normalize: 'titlecase' } } }] }),
    })
    expect(err.issues).toHaveLength(1)
    expect(err.issues[0]).toMatch(/^sources\[0\]\.columns\.n(\.normalize)?: /)
    for (const name of ['network', 'trim', 'upper', 'lower', 'empty-null']) expect(err.issues[0]).toContain(name)
  })

  it('a key that is not one of the columns', () => {
    const err = configError({ env: {}, configFile: configFile({ sources: [{ name: 'a', key: 'uid', columns: { id: 'integer' } }] }) })
    expect(err.issues).toEqual(["sources[0] (a).key: uid is not one of the source's columns"])
  })

  it('two sources on one table', () => {
    const err = configError({
      env: {},
      configFile: configFile({
        sources: [
          { name: 'a', key: 'id', table: 'same' },
          { name: 'b', key: 'id', table: 'same' },
        ],
      }),
    })
    expect(err.issues).toEqual(['sources[1] (b).table: table same is used by another source'])
  })

  it('a source name used twice, and a table in the sync_ namespace', () => {
    const twice = configError({
      env: {},
      configFile: configFile({
        sources: [
          { name: 'a', key: 'id' },
          { name: 'a', key: 'id', table: 'other' },
        ],
      }),
    })
    expect(twice.issues).toEqual(['sources[1] (a).name: source name used twice'])
    const reserved = configError({ env: {}, configFile: configFile({ sources: [{ name: 'sync_runs', key: 'id' }] }) })
    expect(reserved.issues).toEqual(["sources[0] (sync_runs).table: names starting with sync_ are cachesync's own"])
  })

  it('every problem of a file is listed at once, each on its own line', () => {
    const err = configError({ env: {}, configFile: configFile('chunk: -1\nworkers: many\nmode: fast\n') })
    expect(err.issues).toHaveLength(3)
    expect(err.issues.map((issue) => issue.split(':')[0]).sort()).toEqual(['chunk', 'mode', 'workers'])
    for (const issue of err.issues) expect(err.message).toContain(`\n  ${issue}`)
  })

  it('a file that is not valid YAML or JSON, or is missing, says which file', () => {
    const badJson = configFile('{"chunk": 10,', 'json')
    expect(configError({ env: {}, configFile: badJson }).message).toMatch(new RegExp(`${badJson} is not valid JSON`))
    const badYaml = configFile('chunk: [1, 2\n')
    expect(configError({ env: {}, configFile: badYaml }).message).toMatch(new RegExp(`${badYaml} is not valid YAML`))
    const missing = join(tmp(), 'nope.yaml')
    expect(configError({ env: {}, configFile: missing }).message).toContain(`Cannot read configuration file ${missing}`)
  })
})

describe('the CLI with a bad configuration', () => {
  it('exits 2 with the message, and no stack trace', async () => {
    const file = configFile({ mode: 'fast', sources: [{ name: 'a', key: 'uid', columns: { id: 'integer' } }] })
    const cli = await runCli(['sync', '--config', file, '--db', join(tmp(), 'x.db'), '--cache-dir', tmp()])
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain(`Invalid configuration in ${file}`)
    expect(cli.stderr).toContain('mode: ')
    expect(cli.stderr).not.toMatch(STACK_LINE)
    expect(cli.stderr).not.toMatch(/this is a bug/)
    expect(cli.stdout).toBe('')
  })

  it('exits 2 for a bad environment variable too', async () => {
    const cli = await runCli(['sync', '--db', join(tmp(), 'x.db'), '--cache-dir', tmp()], { CACHESYNC_CHUNK: 'ten' })
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain('CACHESYNC_CHUNK')
    expect(cli.stderr).not.toMatch(STACK_LINE)
  })

  it('exits 2 for a semantic problem found after the schema (a key that is no column)', async () => {
    const file = configFile({ sources: [{ name: 'a', key: 'uid', columns: { id: 'integer' } }] })
    const cli = await runCli(['sync', '--config', file, '--db', join(tmp(), 'x.db'), '--cache-dir', tmp()])
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain("sources[0] (a).key: uid is not one of the source's columns")
    expect(cli.stderr).not.toMatch(STACK_LINE)
  })
})
