import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../util/write-file-atomic.js'
import type { SavedBreaker } from './circuit-breaker.js'

/**
 * The file in the cache directory that keeps each host's circuit breaker between warms:
 * `.cachesync-breakers.json`. A cron job that starts every minute does not knock again on a host that
 * failed five times a minute ago.
 */
export const BREAKER_FILE = '.cachesync-breakers.json'

/** Host → its saved breaker; empty when there is no file or it is not one. */
export async function readBreakerFile(cacheDir: string): Promise<Record<string, SavedBreaker>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(cacheDir, BREAKER_FILE), 'utf8'))
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, SavedBreaker>) : {}
  } catch {
    return {}
  }
}

/**
 * Writes snapshots one after the other (the newest last), each atomically; `flush` waits for the last.
 * Saving is best effort: a read-only cache directory loses the memory, not the warm.
 */
export function createBreakerSaver(
  cacheDir: string,
  onError: (err: unknown) => void,
): { save(snapshot: Record<string, SavedBreaker>): void; flush(): Promise<void> } {
  let chain = Promise.resolve()
  return {
    save(snapshot) {
      const text = `${JSON.stringify(snapshot, null, 2)}\n`
      chain = chain.then(() => writeFileAtomic(join(cacheDir, BREAKER_FILE), text)).catch(onError)
    },
    flush: () => chain,
  }
}

/** The hosts whose saved breaker is open at `now`, with when it closes (for `status`). */
export function openBreakers(saved: Readonly<Record<string, SavedBreaker>>, now: number): { host: string; openUntil: string }[] {
  return Object.entries(saved).flatMap(([host, entry]) =>
    'openUntil' in entry && Date.parse(entry.openUntil) > now ? [{ host, openUntil: entry.openUntil }] : [],
  )
}
