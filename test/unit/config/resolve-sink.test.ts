import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve-config.js'
import { ConfigError } from '../../../src/util/errors.js'

const sinkOf = (input: Parameters<typeof resolveConfig>[0]) => resolveConfig({ cwd: '/srv', ...input }).sink

function sinkError(input: Parameters<typeof resolveConfig>[0]): string {
  try {
    resolveConfig({ cwd: '/srv', ...input })
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('the sink: --sink, CACHESYNC_SINK, sink: in the file, --db as a shorthand', () => {
  it('defaults to the SQLite file ./data/cachesync.db', () => {
    expect(sinkOf({ env: {} })).toEqual({ kind: 'sqlite', path: '/srv/data/cachesync.db' })
  })

  it('reads sqlite:// and postgres:// URLs; schema and --pg-lock with their defaults', () => {
    expect(sinkOf({ env: {}, flags: { sink: 'sqlite://./x/y.db' } })).toEqual({ kind: 'sqlite', path: '/srv/x/y.db' })
    expect(sinkOf({ env: {}, flags: { sink: 'postgres://me@db.example:5432/sync' } })).toEqual({
      kind: 'postgres',
      url: 'postgres://me@db.example:5432/sync',
      display: 'postgres://me@db.example:5432/sync',
      schema: 'public',
      lock: 'wait',
    })
    expect(sinkOf({ env: { CACHESYNC_SINK: 'postgresql://h/d', CACHESYNC_SCHEMA: 'dmr', CACHESYNC_PG_LOCK: 'skip' } })).toMatchObject({
      kind: 'postgres',
      schema: 'dmr',
      lock: 'skip',
    })
  })

  it('masks the password of the URL it may print, and keeps the real one to connect with', () => {
    const sink = sinkOf({ env: {}, flags: { sink: 'postgres://me:s3cret@h:5432/d?password=other' } })
    expect(sink).toMatchObject({ url: 'postgres://me:s3cret@h:5432/d?password=other', display: 'postgres://me:***@h:5432/d?password=***' })
  })

  it('flags win over the environment, the environment over the file; --db on the command line beats a sink from below', () => {
    const env = { CACHESYNC_SINK: 'postgres://h/fromenv' }
    expect(sinkOf({ env, flags: { sink: 'postgres://h/fromflag' } })).toMatchObject({ url: 'postgres://h/fromflag' })
    expect(sinkOf({ env, flags: { db: 'flag.db' } })).toEqual({ kind: 'sqlite', path: '/srv/flag.db' })
    expect(sinkOf({ env })).toMatchObject({ url: 'postgres://h/fromenv' })
    expect(sinkOf({ env: { CACHESYNC_DB: 'env.db' } })).toEqual({ kind: 'sqlite', path: '/srv/env.db' })
  })

  it('refuses other schemes, a URL without a database and a schema that is not a plain identifier, naming the key', () => {
    expect(sinkError({ env: {}, flags: { sink: 'mysql://h/d' } })).toMatch(
      /sink: expected sqlite:\/\/FILE or postgres:\/\/user@host:port\/db, got "mysql:\/\/h\/d"/,
    )
    expect(sinkError({ env: {}, flags: { sink: 'postgres://me:pw@h:5432' } })).toMatch(/sink: postgres:\/\/me:\*\*\*@h:5432\/? names no database/)
    expect(sinkError({ env: {}, flags: { sink: 'sqlite://' } })).toMatch(/sink: sqlite:\/\/ needs a file/)
    expect(sinkError({ env: {}, flags: { sink: 'postgres://h/d', schema: 'a"; drop' } })).toMatch(/schema: must be a plain SQL identifier/)
    expect(sinkError({ env: { CACHESYNC_PG_LOCK: 'never' } })).toMatch(/pgLock/)
  })
})
