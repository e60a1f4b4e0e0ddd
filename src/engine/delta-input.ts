import { createHash } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { mkdir, open } from 'node:fs/promises'
import { join } from 'node:path'
import type { CacheFile } from '../cache/cache-files.js'
import { missingDeltaError, type PendingDelta } from '../cache/delta-files.js'
import type { SourceState } from '../sink/sink.js'

/**
 * What a sync of a source with deltas reads. `upsertOnly`: only deltas the table lacks, applied as upserts
 * (a delta cannot see deletes, so it removes nothing); otherwise the full file and every delta after it, as one
 * file whose unseen rows are deleted. `contentHash` is what a checkpoint of `file` is valid for; `syncedHash`
 * what the source's state records once it is read through (the chain identity of its last delta).
 */
export interface DeltaInput {
  readonly file: CacheFile
  readonly contentHash: string
  readonly syncedHash: string
  readonly upsertOnly: boolean
  /** Deltas this sync applies. */
  readonly deltas: number
}

/**
 * Decides what to read for a full file `fullHash` with `deltas` after it, from what the table holds (the
 * source's recorded state): nothing new (undefined), the deltas it lacks, or everything (a full file it has
 * not seen, another mapping, `--force`). Several files are put end to end in `workDir`, the same bytes every
 * time for the same files, so that a checkpoint into them holds across a killed sync.
 */
export async function deltaInput(
  source: string,
  full: CacheFile,
  fullHash: string,
  deltas: readonly PendingDelta[],
  state: SourceState | undefined,
  options: { fingerprint: string; force: boolean; workDir: string },
): Promise<DeltaInput | undefined> {
  const ids = [fullHash, ...deltas.map((d) => d.chainId)]
  const last = ids[ids.length - 1] as string
  const applied = state !== undefined && state.fingerprint === options.fingerprint && !options.force ? ids.indexOf(state.contentHash ?? '') : -1
  if (applied === deltas.length) return undefined
  for (const delta of deltas) if (!existsSync(delta.path)) throw missingDeltaError(source, delta.path)
  if (applied >= 0) {
    const parts = deltas.slice(applied).map((d) => d.path)
    const contentHash = sha256(`upsert\n${ids[applied]}\n${last}`)
    const file = parts.length === 1 ? plainFile(parts[0] as string) : await concatenate(join(options.workDir, `${source}.deltas.ndjson`), parts)
    return { file, contentHash, syncedHash: last, upsertOnly: true, deltas: parts.length }
  }
  const file = await concatenate(join(options.workDir, `${source}.full-and-deltas.ndjson`), [full.path, ...deltas.map((d) => d.path)])
  return { file, contentHash: last, syncedHash: last, upsertOnly: false, deltas: deltas.length }
}

function plainFile(path: string): CacheFile {
  return { path, format: 'ndjson', gzip: false, bytes: statSync(path).size, meta: undefined }
}

/** The files end to end, each ending in a newline, into `target`. */
async function concatenate(target: string, parts: readonly string[]): Promise<CacheFile> {
  await mkdir(join(target, '..'), { recursive: true })
  const out = await open(target, 'w')
  try {
    // Streamed: a full file may be far larger than the memory a streaming sync keeps to.
    for (const part of parts) {
      let lastByte = 10
      for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 })) {
        const bytes = chunk as Buffer
        if (bytes.length === 0) continue
        await out.write(bytes)
        lastByte = bytes[bytes.length - 1] as number
      }
      if (lastByte !== 10) await out.write('\n')
    }
  } finally {
    await out.close()
  }
  return plainFile(target)
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
