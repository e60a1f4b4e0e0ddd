/** Records by what happened to them, as `sync --json` prints them. */
export interface CountsJson {
  read: number
  inserted: number
  updated: number
  unchanged: number
  deleted: number
  rejected: number
}

/** One source of the `sync --json` report. `resumedRecords` is typed loosely: tests check its type. */
export interface SourceJson {
  name: string
  state: string
  records: CountsJson
  resumedRecords?: unknown
}

/** The parts of the `sync --json` report these tests read (json-output-contract checks the whole). */
export interface ReportJson {
  ok: boolean
  dryRun: boolean
  runId: number | null
  records: CountsJson
  sources: SourceJson[]
}
