/**
 * A small `items` source whose file has a key three times: ids 1..RECORDS, then key 3 twice more near
 * the end (`second 3`, `last 3`), so that in parallel mode and in chunks of 50 the repeats fall chunks
 * and ranges after the first record, and the last two in the same one. The last record must win.
 */
export const DUPLICATE_KEY_RECORDS = 400

export const DUPLICATE_KEY_LINES: readonly string[] = [
  ...Array.from({ length: DUPLICATE_KEY_RECORDS }, (_, i) => JSON.stringify({ id: i + 1, v: `first ${i + 1}` })),
  JSON.stringify({ id: 3, v: 'second 3' }),
  JSON.stringify({ id: 3, v: 'last 3' }),
]

export const ITEMS_CONFIG = { sources: [{ name: 'items', key: 'id', columns: { id: 'integer', v: 'text' } }] }
