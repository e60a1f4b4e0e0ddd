import { availableParallelism, cpus, totalmem } from 'node:os'

/** The machine a benchmark ran on, written beside its results so that runs can be compared. */
export interface Machine {
  cores: number
  cpu: string | undefined
  memoryGiB: number
  node: string
  date: string
}

export function machine(): Machine {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
  }
}

/** The median run by wall time, with the fastest and slowest wall times beside it. */
export function median<S extends { wallMs: number }>(samples: readonly S[]): S & { minWall: number; maxWall: number } {
  const sorted = [...samples].sort((a, b) => a.wallMs - b.wallMs)
  const mid = sorted[Math.floor(sorted.length / 2)] as S
  return { ...mid, minWall: (sorted[0] as S).wallMs, maxWall: (sorted[sorted.length - 1] as S).wallMs }
}
