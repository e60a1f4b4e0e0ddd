import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../util/write-file-atomic.js'
import type { WarmOutcome, WarmReport } from './warm-report.js'

/** The file in the cache directory that remembers each source's last warm: `.cachesync-warm.json`. */
export const WARM_RECORD_FILE = '.cachesync-warm.json'

/** How a source's last warm went; a failed warm leaves the cache and its meta file as they were, so it is kept here. */
export interface WarmRecordEntry {
  /** When that warm ended (ISO 8601). */
  readonly at: string
  readonly outcome: WarmOutcome
  readonly records: number
  readonly bytes: number
  readonly retries: number
  readonly ms: number
  readonly error?: string
  readonly code?: string
}

/** Source name → its last warm. */
export type WarmRecord = Readonly<Record<string, WarmRecordEntry>>

/** Reads the record; an absent or unreadable one is empty (caches made by hand or by older versions have none). */
export async function readWarmRecord(cacheDir: string): Promise<WarmRecord> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(cacheDir, WARM_RECORD_FILE), 'utf8'))
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as WarmRecord) : {}
  } catch {
    return {}
  }
}

/**
 * Merges a warm's outcome into the record, source by source (a warm of one source keeps the others'), and
 * writes it atomically. The caller holds the cache directory's warm lock, so no other warm writes it meanwhile.
 */
export async function recordWarm(cacheDir: string, report: WarmReport, at: Date): Promise<void> {
  const merged: Record<string, WarmRecordEntry> = { ...(await readWarmRecord(cacheDir)) }
  for (const s of report.sources) {
    merged[s.name] = {
      at: at.toISOString(),
      outcome: s.outcome,
      records: s.records,
      bytes: s.bytes,
      retries: s.retries,
      ms: Math.round(s.ms),
      ...(s.outcome === 'failed' ? { error: s.error, code: s.code } : {}),
    }
  }
  const target = join(cacheDir, WARM_RECORD_FILE)
  await writeFileAtomic(target, `${JSON.stringify(merged, null, 2)}\n`)
}
