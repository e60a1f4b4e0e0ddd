import type { RecordedRun } from '../sink/recorded-run.js'

/** Options of {@link renderHistorySvg}. */
export interface HistoryPlotOptions {
  /** Shown above the charts. @default 'cachesync sync history' */
  title?: string
  /** @default 860 */
  width?: number
}

const PANEL_HEIGHT = 200
const MARGIN = { left: 78, right: 56, top: 64, gap: 72, bottom: 64 }
/** Points keep this far from the panel's edges, so the first and last are not drawn on the axis. */
const INSET = 18
const COLORS = { time: '#1f6fb2', rate: '#2a8a3e', failed: '#c62828', grid: '#e3e3e3', axis: '#555', text: '#222' }

interface Panel {
  readonly label: string
  readonly cssClass: 'time' | 'rate'
  readonly color: string
  readonly values: readonly number[]
  readonly format: (value: number) => string
}

/**
 * Draws sync time and records/s over the runs as an SVG: two panels sharing the run axis, one point per
 * run that recorded its times (oldest left), failed runs in red. `runs` may come newest first, as
 * `readRuns` gives them. Each point is a `<circle>` with `data-run` (the run id) and a `<title>` tooltip.
 */
export function renderHistorySvg(runs: readonly RecordedRun[], options: HistoryPlotOptions = {}): string {
  const plotted = runs.filter((r) => r.phases !== undefined).sort((a, b) => a.id - b.id)
  const width = options.width ?? 860
  const height = MARGIN.top + 2 * PANEL_HEIGHT + MARGIN.gap + MARGIN.bottom
  const innerWidth = width - MARGIN.left - MARGIN.right
  const span = innerWidth - 2 * INSET
  const x = (i: number): number => MARGIN.left + INSET + (plotted.length <= 1 ? span / 2 : (span * i) / (plotted.length - 1))
  const panels: Panel[] = [
    { label: 'sync time (s)', cssClass: 'time', color: COLORS.time, values: plotted.map((r) => (r.phases?.total ?? 0) / 1000), format: trim },
    { label: 'records/s', cssClass: 'rate', color: COLORS.rate, values: plotted.map((r) => r.recordsPerSec ?? 0), format: compact },
  ]
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold" fill="${COLORS.text}">${escapeXml(options.title ?? 'cachesync sync history')}</text>`,
    `<text x="${width - MARGIN.right}" y="24" text-anchor="end" fill="${COLORS.axis}">${plotted.length} run${plotted.length === 1 ? '' : 's'}${
      plotted.some((r) => r.outcome !== 'ok') ? ' · failed runs in red' : ''
    }</text>`,
  ]
  panels.forEach((panel, p) => {
    const top = MARGIN.top + p * (PANEL_HEIGHT + MARGIN.gap)
    parts.push(...drawPanel(panel, plotted, top, { left: MARGIN.left, width: innerWidth }, x))
  })
  const axisY = MARGIN.top + 2 * PANEL_HEIGHT + MARGIN.gap
  for (const i of labelIndexes(plotted.length)) {
    const run = plotted[i] as RecordedRun
    parts.push(`<text x="${r1(x(i))}" y="${axisY + 18}" text-anchor="middle" fill="${COLORS.axis}">#${run.id}</text>`)
    parts.push(
      `<text x="${r1(x(i))}" y="${axisY + 34}" text-anchor="middle" fill="${COLORS.axis}" font-size="10">${escapeXml(shortDate(run.startedAt))}</text>`,
    )
  }
  parts.push(`<text x="${MARGIN.left + innerWidth / 2}" y="${height - 8}" text-anchor="middle" fill="${COLORS.axis}">run (UTC start)</text>`)
  if (plotted.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="${COLORS.axis}">no finished sync recorded yet</text>`)
  }
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

function drawPanel(panel: Panel, runs: readonly RecordedRun[], top: number, area: { left: number; width: number }, x: (i: number) => number): string[] {
  const max = niceMax(Math.max(0, ...panel.values))
  const y = (v: number): number => top + PANEL_HEIGHT - (PANEL_HEIGHT * v) / max
  const out: string[] = [`<g class="panel-${panel.cssClass}">`]
  for (let k = 0; k <= 4; k++) {
    const value = (max * k) / 4
    out.push(`<line x1="${area.left}" x2="${area.left + area.width}" y1="${r1(y(value))}" y2="${r1(y(value))}" stroke="${COLORS.grid}"/>`)
    out.push(`<text x="${area.left - 8}" y="${r1(y(value) + 4)}" text-anchor="end" fill="${COLORS.axis}">${panel.format(value)}</text>`)
  }
  out.push(`<line x1="${area.left}" x2="${area.left}" y1="${top}" y2="${top + PANEL_HEIGHT}" stroke="${COLORS.axis}"/>`)
  out.push(`<text x="${area.left}" y="${top - 18}" font-weight="bold" fill="${panel.color}">${panel.label}</text>`)
  if (panel.values.length > 1) {
    const points = panel.values.map((v, i) => `${r1(x(i))},${r1(y(v))}`).join(' ')
    out.push(`<polyline points="${points}" fill="none" stroke="${panel.color}" stroke-width="2"/>`)
  }
  panel.values.forEach((v, i) => {
    const run = runs[i] as RecordedRun
    const color = run.outcome === 'ok' ? panel.color : COLORS.failed
    out.push(
      `<circle class="${panel.cssClass}" data-run="${run.id}" cx="${r1(x(i))}" cy="${r1(y(v))}" r="${runs.length > 60 ? 2 : 4}" fill="${color}">` +
        `<title>run ${run.id} ${escapeXml(run.outcome)}, ${escapeXml(run.startedAt)}: ${panel.format(v)} ${panel.cssClass === 'time' ? 's' : 'records/s'}</title></circle>`,
    )
  })
  out.push('</g>')
  return out
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value`, so that the axis has round ticks. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}

/** At most about ten run labels, the first and last always. */
function labelIndexes(count: number): number[] {
  if (count === 0) return []
  const every = Math.max(1, Math.ceil(count / 10))
  const picked = new Set<number>()
  for (let i = 0; i < count; i += every) picked.add(i)
  picked.add(count - 1)
  return [...picked].sort((a, b) => a - b)
}

function shortDate(iso: string): string {
  return iso.slice(5, 16).replace('T', ' ')
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)))
}

function compact(value: number): string {
  if (value >= 1e6) return `${trim(value / 1e6)}M`
  if (value >= 1e3) return `${trim(value / 1e3)}k`
  return trim(value)
}

function r1(value: number): number {
  return Math.round(value * 10) / 10
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string)
}
