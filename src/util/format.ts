/**
 * Figures as a person reads them, printed the same way everywhere: integers with thousands separators,
 * bytes in binary units (KiB, MiB, GiB), durations in ms, s, min and h. JSON and metrics keep raw numbers.
 */

const KIB = 1024
const MIB = 1024 * KIB
const GIB = 1024 * MIB

/**
 * `1,234,567`: rounded to an integer. The separators are put in by hand: the first `toLocaleString` call
 * sets up ICU's number formatting, about 18 ms — a tenth of a cron run that has nothing to do. What it
 * would print differently (`-0`, `∞`, `NaN`, past 2^53) is still left to it.
 */
export function formatInt(n: number): string {
  const rounded = Math.round(n)
  if (!Number.isSafeInteger(rounded) || Object.is(rounded, -0)) return rounded.toLocaleString('en-US')
  return String(rounded).replace(/\B(?=(\d{3})+$)/g, ',')
}

/** `512 B`, `12.3 KiB`, `300 MiB`, `16.0 GiB`: one decimal below 100 of a unit, none above. */
export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${Math.round(bytes)} B`
  const [unit, size] = bytes < MIB ? ['KiB', KIB] : bytes < GIB ? ['MiB', MIB] : ['GiB', GIB]
  const value = bytes / size
  return `${value < 100 ? value.toFixed(1) : formatInt(value)} ${unit}`
}

/** A figure already counted in MiB (`peakRssMb` and the like): `123 MiB`. */
export function formatMiB(mib: number): string {
  return `${formatInt(mib)} MiB`
}

/** A measured time: `850 ms`, `1.18 s`, `12.3 s`, `4 min 10 s`, `3 h 05 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  const seconds = Math.round(ms / 1000)
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** An age or a limit, to the second at most: `42 s`, `17 min`, `3 h 05 min`, `2 d 4 h`. */
export function formatAge(ms: number): string {
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}
