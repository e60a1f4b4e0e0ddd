import type { ResolvedSink } from '../config/resolve-sink.js'
import type { ArchiveStore } from './archive-store.js'

/** Opens the database of `sink` for an archive or a restore run; PostgreSQL's code loads only for a `postgres://` sink. */
export async function openArchiveStore(sink: ResolvedSink): Promise<ArchiveStore> {
  if (sink.kind === 'sqlite') {
    const { SqliteArchiveStore } = await import('./sqlite/sqlite-archive-store.js')
    return SqliteArchiveStore.open(sink.path)
  }
  const { PgArchiveStore } = await import('./postgres/pg-archive-store.js')
  return PgArchiveStore.open(sink)
}
