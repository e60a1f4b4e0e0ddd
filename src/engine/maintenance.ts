import type { Sink } from '../sink/sink.js'

export const MAINTENANCE_MODES = ['auto', 'analyze', 'full', 'none'] as const
/** `--vacuum`: refresh the query planner's statistics (analyze), rebuild the file (full), or neither. */
export type MaintenanceMode = (typeof MAINTENANCE_MODES)[number]

/** `auto` analyzes once this share of the records read changed (or this many): the statistics have drifted. */
const AUTO_SHARE = 0.1
const AUTO_ROWS = 100_000

export interface MaintenanceDone {
  action: 'none' | 'analyze' | 'vacuum'
  ms: number
}

/** The maintenance after a sync, chosen by `mode` and, for `auto`, by how many rows changed. */
export async function runMaintenance(sink: Sink, mode: MaintenanceMode, changes: { changed: number; read: number }): Promise<MaintenanceDone> {
  const started = performance.now()
  const action = mode === 'full' ? 'vacuum' : mode === 'analyze' || (mode === 'auto' && manyChanged(changes)) ? 'analyze' : 'none'
  if (action !== 'none') await sink.maintain(action)
  // Nothing ran: 0, not the microseconds of the decision (on a busy machine they round to 0.1 ms).
  return { action, ms: action === 'none' ? 0 : performance.now() - started }
}

function manyChanged({ changed, read }: { changed: number; read: number }): boolean {
  return changed > 0 && (changed >= AUTO_ROWS || changed >= read * AUTO_SHARE)
}
