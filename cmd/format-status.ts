import type { LockState, Status } from '../src/ops/status.js'
import { formatAge, formatBytes, formatDuration, formatInt } from '../src/util/format.js'
import { fmtWhen, formatTable } from './format-table.js'

/** `cachesync status` for a person: the database, what is running, then one row per source. */
export function formatStatus(status: Status): string {
  const now = Date.parse(status.at)
  const db = status.db
  const lines: string[] = []
  const where = db.schema === undefined ? db.target : `${db.target} schema ${db.schema}`
  if (!db.exists) {
    lines.push(
      `database ${where}: ${db.kind === 'sqlite' ? 'does not exist yet — `cachesync sync` creates it' : 'no cachesync tables yet — `cachesync sync` creates them'}`,
    )
  } else {
    const pages = db.pages === undefined ? '' : `, ${formatInt(db.pages)} pages of ${formatInt(db.pageSize ?? 0)} B (${formatInt(db.freePages ?? 0)} free)`
    lines.push(`database ${where}: ${formatBytes(db.bytes)}${pages}`)
    const run = db.lastRun
    lines.push(
      run === undefined
        ? '  no sync recorded yet'
        : `  last sync: run ${run.id} ${run.outcome}, ${fmtWhen(run.startedAt)} UTC (${formatAge(now - Date.parse(run.startedAt))} ago)` +
            `${run.phases === undefined ? '' : `, took ${formatDuration(run.phases.total)}`}, ${formatInt(run.records.read)} records read`,
    )
    if (run?.error !== undefined && run.outcome !== 'ok') lines.push(`  error: ${run.error.replaceAll('\n', '; ')}`)
  }
  lines.push(`sync: ${lockLine(status.db.syncLock, db.kind === 'sqlite' ? 'the next sync takes it over' : 'the next sync marks its run interrupted')}`)
  lines.push(`warm: ${lockLine(status.warmLock, 'the next warm takes it over')} (cache ${status.cacheDir})`)
  for (const b of status.openBreakers) {
    lines.push(
      `  circuit OPEN for ${b.host} until ${fmtWhen(b.openUntil)} UTC (${formatAge(Date.parse(b.openUntil) - now)} left): warms do not ask it until then`,
    )
  }
  lines.push('')
  const header = ['source', 'last sync', 'state', 'rows', 'deleted', 'ins', 'upd', 'del', 'rej', 'cache', 'age', 'fresh', 'last warm']
  const rows = status.sources.map((s) => {
    const sync = s.lastSync
    const c = s.cache
    return [
      s.name,
      sync !== undefined
        ? `${formatAge(now - Date.parse(sync.at))} ago`
        : s.syncedAt !== undefined
          ? `${formatAge(now - Date.parse(s.syncedAt))} ago`
          : 'never',
      sync?.state ?? '-',
      s.rows === undefined ? '-' : formatInt(s.rows.live),
      s.rows === undefined ? '-' : formatInt(s.rows.deleted),
      ...(sync === undefined
        ? ['-', '-', '-', '-']
        : [sync.records.inserted, sync.records.updated, sync.records.deleted, sync.records.rejected].map(formatInt)),
      c.bytes === undefined ? 'missing' : formatBytes(c.bytes),
      c.ageMs === undefined ? '-' : formatAge(c.ageMs),
      c.fresh === undefined
        ? c.file === undefined
          ? '-'
          : 'no max-age'
        : c.fresh
          ? `yes (<${formatAge(c.maxAgeMs ?? 0)})`
          : `STALE (>${formatAge(c.maxAgeMs ?? 0)})`,
      s.lastWarm === undefined ? 'not recorded' : `${s.lastWarm.outcome}, ${formatAge(now - Date.parse(s.lastWarm.at))} ago`,
    ]
  })
  lines.push(...formatTable(header, rows, 'lllrrrrrrrrll'))
  for (const s of status.sources) {
    if (s.lastSync?.error !== undefined) lines.push(`  ✗ ${s.name}, last sync: ${s.lastSync.error}`)
    if (s.lastWarm?.error !== undefined) lines.push(`  ✗ ${s.name}, last warm: ${s.lastWarm.error}`)
    if (s.cache.missing !== undefined) lines.push(`  ! ${s.cache.missing}`)
    const inc = s.incremental
    if (inc !== undefined) {
      const due =
        inc.nextFullAt === undefined
          ? ''
          : `, next full fetch ${Date.parse(inc.nextFullAt) <= now ? 'due now' : `in ${formatAge(Date.parse(inc.nextFullAt) - now)}`}`
      const nulls = inc.nullCursorRecords > 0 ? `; ${formatInt(inc.nullCursorRecords)} records without a cursor value` : ''
      lines.push(
        `  ${s.name}: incremental, cursor ${inc.cursor ?? 'none'}, ${formatInt(inc.deltas)} delta${inc.deltas === 1 ? '' : 's'} (${formatInt(inc.deltaRecords)} records) since the last full fetch ${formatAge(now - Date.parse(inc.lastFullAt))} ago${due}${nulls}`,
      )
    }
  }
  return lines.join('\n')
}

function lockLine(lock: LockState, staleAdvice: string): string {
  if (lock === undefined) return 'not running'
  if (!lock.alive) return `not running (stale lock of pid ${lock.pid} on ${lock.host}, since ${fmtWhen(lock.startedAt)}: ${staleAdvice})`
  return `RUNNING: pid ${lock.pid} on ${lock.host}, since ${fmtWhen(lock.startedAt)}`
}
