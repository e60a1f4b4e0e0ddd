import { readFileSync } from 'node:fs'
import { freemem, totalmem } from 'node:os'

/** How much memory the process can really use, and where that figure came from. */
export interface MemoryBudget {
  availableBytes: number
  source: 'override' | 'cgroup v2' | 'cgroup v1' | 'host'
}

const UNLIMITED_V1 = 2 ** 60

/**
 * The memory available to this process: `CACHESYNC_MEMORY_LIMIT_MB` if set, else the cgroup limit less
 * the cgroup's usage where a limit is set (containers, systemd `MemoryMax=`), never more than the
 * host's available memory.
 */
export function probeMemory(env: NodeJS.ProcessEnv = process.env, root = '/sys/fs/cgroup'): MemoryBudget {
  const override = env.CACHESYNC_MEMORY_LIMIT_MB
  if (override !== undefined && override !== '') {
    const mb = Number(override)
    if (Number.isFinite(mb) && mb > 0) return { availableBytes: mb * 1024 * 1024, source: 'override' }
  }
  const host = hostAvailable()
  const v2 = cgroupAvailable(`${root}/memory.max`, `${root}/memory.current`)
  if (v2 !== undefined) return v2 < host ? { availableBytes: v2, source: 'cgroup v2' } : { availableBytes: host, source: 'host' }
  const v1 = cgroupAvailable(`${root}/memory/memory.limit_in_bytes`, `${root}/memory/memory.usage_in_bytes`)
  if (v1 !== undefined && v1 < UNLIMITED_V1) return v1 < host ? { availableBytes: v1, source: 'cgroup v1' } : { availableBytes: host, source: 'host' }
  return { availableBytes: host, source: 'host' }
}

function cgroupAvailable(limitFile: string, usageFile: string): number | undefined {
  const limit = readNumber(limitFile)
  if (limit === undefined) return undefined
  return Math.max(0, limit - (readNumber(usageFile) ?? 0))
}

function readNumber(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim()
    if (text === 'max') return undefined
    const n = Number(text)
    return Number.isFinite(n) ? n : undefined
  } catch {
    return undefined
  }
}

/** MemAvailable from /proc/meminfo (what the kernel can give without swapping); freemem elsewhere. */
function hostAvailable(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))
    if (match) return Number(match[1]) * 1024
  } catch {
    // not Linux: fall through
  }
  return Math.min(freemem(), totalmem())
}
