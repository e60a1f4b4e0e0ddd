import type { ResolvedBenchOptions } from './bench-options.js'
import type { BenchRun } from './bench-results.js'
import type { BenchTables } from './bench-tables.js'

/** The machine a bench ran on, written beside its results so that runs can be compared. */
export interface BenchMachine {
  cores: number
  cpu: string | undefined
  memoryGiB: number
  node: string
  sqlite: string
  sqliteShell: string | undefined
  sqliteUtils: string | undefined
  /** 1-minute load average when the bench started and ended: other work on the machine shows here. */
  loadAverage: { start: number; end: number }
  /** How peak RSS was read. */
  rss: string
}

/** Everything a bench measured: the raw runs, and the tables made of them. */
export interface BenchReport {
  date: string
  machine: BenchMachine
  options: Omit<ResolvedBenchOptions, 'work' | 'out' | 'plainLoader' | 'postgres'>
  data: { records: number; bytes: number; changedRecords: number; subsetRecords: number }
  runs: BenchRun[]
  tables: BenchTables
  /** Files written to `out`. */
  files: string[]
}
