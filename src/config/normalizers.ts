import type { Normalizer } from './config-schema.js'
import { DMR_NETWORK_SPELLINGS } from './dmr-sources.js'

/**
 * What the normalizer a column names in the configuration (`normalize: 'trim'`) makes of a field before
 * it is typed. Only strings are changed; the workers look the normalizer up by its name.
 */
export function normalize(kind: Normalizer, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw
  switch (kind) {
    case 'trim':
      return raw.trim()
    case 'upper':
      return raw.trim().toUpperCase()
    case 'lower':
      return raw.trim().toLowerCase()
    case 'empty-null':
      return raw.trim() === '' ? null : raw
    case 'network': {
      const trimmed = raw.trim()
      const known = DMR_NETWORK_SPELLINGS[trimmed.toLowerCase()]
      if (known !== undefined) return known === '' ? null : known
      return trimmed === '' ? null : trimmed
    }
  }
}
