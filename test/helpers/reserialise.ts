import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { DMR_NETWORK_SPELLINGS, DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { realRptrsDump } from './paths.js'

export type Rptr = Record<string, unknown>

/** The records of the real repeater dump, as parsed. */
export function readRealRptrs(): Rptr[] {
  return (JSON.parse(gunzipSync(readFileSync(realRptrsDump)).toString('utf8')) as { rptrs: Rptr[] }).rptrs
}

/**
 * A configuration file naming only the built-in repeater source; returns its path. `textKey`: its `id`
 * as text, so that the key is not the table's rowid.
 */
export function writeRptrsConfig(dir: string, options: { textKey?: boolean } = {}): string {
  const path = join(dir, options.textKey ? 'rptrs-text-key.json' : 'rptrs.json')
  const source = DMR_SOURCES.find((s) => s.name === 'rptrs') as { columns: object }
  const columns = options.textKey ? { ...source.columns, id: 'text' } : source.columns
  writeFileSync(path, JSON.stringify({ sources: [{ ...source, columns }] }))
  return path
}

const asNumber = (value: unknown): unknown => (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value)
const asString = (value: unknown): unknown => (typeof value === 'number' ? String(value) : value)
const isBrandMeister = (value: unknown): boolean => typeof value === 'string' && DMR_NETWORK_SPELLINGS[value.trim().toLowerCase()] === 'BrandMeister'

/**
 * Ways upstream re-serialises a repeater without changing a value the `rptrs` mapping keeps: the types
 * of its integer and real columns, key order, a field it does not map, another spelling of a network.
 */
export const RESERIALISATIONS: readonly ((r: Rptr) => Rptr)[] = [
  (r) => ({ ...r, id: asString(r.id) }),
  (r) => ({ ...r, frequency: asNumber(r.frequency), lat: asNumber(r.lat), lng: asNumber(r.lng) }),
  (r) => ({ ...r, locator: asString(r.locator), color_code: asString(r.color_code), map: asString(r.map) }),
  (r) => Object.fromEntries(Object.entries(r).reverse()),
  (r) => ({ ...r, qth_url: `https://example.org/rptr/${String(r.id)}` }),
  (r) => (isBrandMeister(r.ipsc_network) ? { ...r, ipsc_network: r.ipsc_network === 'BM' ? 'brandmeister' : 'BM' } : r),
]

/** Record i re-serialised the (i mod `cycle`)-th way, all ways at once one step after the last, else as it is. */
export function reserialise(records: readonly Rptr[], cycle = 10): Rptr[] {
  return records.map((r, i) => {
    const way = i % cycle
    if (way < RESERIALISATIONS.length) return (RESERIALISATIONS[way] as (r: Rptr) => Rptr)(r)
    return way === RESERIALISATIONS.length ? RESERIALISATIONS.reduce((out, f) => f(out), r) : r
  })
}

/** How many records a sync sees as new bytes: their JSON text differs. */
export function changedBytes(before: readonly Rptr[], after: readonly Rptr[]): number {
  return after.filter((r, i) => JSON.stringify(r) !== JSON.stringify(before[i])).length
}
