import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/** A fresh `cachesync-…` directory under the system temp dir. */
export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'cachesync-'))
}

export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true })
}

/**
 * One temp directory for the whole file: created before the first test, removed after the last.
 * Returns a getter, since the directory exists only once `beforeAll` ran.
 */
export function useTempDir(): () => string {
  let dir: string | undefined
  beforeAll(async () => {
    dir = await makeTempDir()
  })
  afterAll(async () => {
    await removeTempDir(dir)
  })
  return () => {
    if (dir === undefined) throw new Error('the temp dir exists only inside tests (after beforeAll)')
    return dir
  }
}
