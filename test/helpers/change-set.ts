import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Key field of each generated DMR source. */
export const DMR_KEYS: Readonly<Record<string, string>> = { rptrs: 'id', users: 'radio_id', devices: 'id' }

export interface SourceDiff {
  /** Keys only in the new file. */
  inserted: Set<string>
  /** Keys in both files whose line differs. */
  updated: Set<string>
  /** Keys in both files with the very same line. */
  unchanged: Set<string>
  /** Keys only in the old file. */
  deleted: Set<string>
  /** Records (lines) in the new file. */
  read: number
}

/** key → line of an NDJSON cache file; keys as strings (old dumps carry numeric ids as strings). */
export function linesByKey(file: string, keyField: string): Map<string, string> {
  const byKey = new Map<string, string>()
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    const record = JSON.parse(line) as Record<string, unknown>
    const key = String(record[keyField])
    if (byKey.has(key)) throw new Error(`key ${key} twice in ${file}: the diff below assumes unique keys`)
    byKey.set(key, line)
  }
  return byKey
}

/** What syncing `newDir` over a table synced from `oldDir` must do to one source, by key and by line. */
export function diffSource(oldDir: string, newDir: string, source: string): SourceDiff {
  const keyField = DMR_KEYS[source]
  if (keyField === undefined) throw new Error(`unknown source ${source}`)
  const before = linesByKey(join(oldDir, `${source}.ndjson`), keyField)
  const after = linesByKey(join(newDir, `${source}.ndjson`), keyField)
  const diff: SourceDiff = { inserted: new Set(), updated: new Set(), unchanged: new Set(), deleted: new Set(), read: after.size }
  for (const [key, line] of after) {
    const old = before.get(key)
    if (old === undefined) diff.inserted.add(key)
    else if (old === line) diff.unchanged.add(key)
    else diff.updated.add(key)
  }
  for (const key of before.keys()) if (!after.has(key)) diff.deleted.add(key)
  return diff
}

/** The counts a sync report gives for a diff. */
export function expectedCounts(diff: SourceDiff): { read: number; inserted: number; updated: number; unchanged: number; deleted: number; rejected: number } {
  return {
    read: diff.read,
    inserted: diff.inserted.size,
    updated: diff.updated.size,
    unchanged: diff.unchanged.size,
    deleted: diff.deleted.size,
    rejected: 0,
  }
}
