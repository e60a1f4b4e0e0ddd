import { describe, expect, it } from 'vitest'
import { JsonSplitter, JsonSyntaxError } from '../../../src/warm/json-splitter.js'

interface Split {
  records: string[]
  captured: string | undefined
  found: boolean
}

/**
 * Splits `body` fed in the given pieces (cut at `cuts`, byte offsets), as a network would deliver it; twice,
 * record by record and in runs of lines rewritten in place, which must give the same records and errors.
 */
function split(body: Buffer | string, recordsPath: string[] = [], cuts: number[] = [], capturePath?: string[]): Split {
  const byRecord = splitOnce(body, recordsPath, cuts, capturePath, false)
  const inRuns = splitOnce(body, recordsPath, cuts, capturePath, true)
  expect(inRuns).toEqual(byRecord)
  if (byRecord instanceof Error) throw byRecord
  return byRecord
}

function splitOnce(body: Buffer | string, recordsPath: string[], cuts: number[], capturePath: string[] | undefined, runs: boolean): Split | Error {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const out: Split = { records: [], captured: undefined, found: false }
  const splitter = new JsonSplitter(recordsPath, capturePath, {
    record: (record) => out.records.push(record.toString()),
    captured: (json) => {
      out.captured = json
    },
    ...(runs ? { lines: (run: Buffer, count: number) => out.records.push(...splitLines(run, count)) } : {}),
  })
  try {
    let from = 0
    for (const cut of [...cuts, bytes.length]) {
      // In runs the splitter rewrites the chunks it is given: each is a copy.
      const chunk = bytes.subarray(from, cut)
      splitter.write(runs ? Buffer.from(chunk) : chunk)
      from = cut
    }
    splitter.end()
  } catch (err) {
    return err as Error
  }
  out.found = splitter.found
  return out
}

/** A run's records, checking that it holds `count` lines. */
function splitLines(run: Buffer, count: number): string[] {
  const lines = run.toString('latin1').split('\n')
  expect(lines.length).toBe(count)
  return lines.map((line) => Buffer.from(line, 'latin1').toString())
}

function inBytes(body: string | Buffer, size: number): number[] {
  const cuts: number[] = []
  for (let i = size; i < Buffer.byteLength(body); i += size) cuts.push(i)
  return cuts
}

const TRICKY = [
  '{"id":1,"s":"a]b}c[d{e","q":"say \\"hi\\"","b":"back\\\\slash\\\\","u":"\\u00e9\\ud83d\\ude00 é 😀"}',
  '{"id":2,"nested":{"a":[1,[2,[3,{"b":[]}]]],"o":{}},"n":-0.5e-3,"z":0,"t":true,"f":false,"x":null}',
  '[1,"two",{"three":3}]',
  '"a string record with \\/ and \\b\\f\\n\\r\\t"',
  '-12.5E+7',
  'null',
]
const PRETTY = `[\n${TRICKY.map((r) => `  ${JSON.stringify(JSON.parse(r), null, 2).replaceAll('\n', '\n  ')}`).join(',\n')}\n]\n`

describe('JsonSplitter', () => {
  it('cuts each element of a top-level array out as it came', () => {
    expect(split(`[${TRICKY.join(',')}]`).records).toEqual(TRICKY)
  })

  it('puts a pretty-printed record on one line, its strings untouched', () => {
    const records = split(PRETTY).records
    expect(records.map((r) => JSON.parse(r))).toEqual(TRICKY.map((r) => JSON.parse(r)))
    for (const record of records) expect(record).not.toMatch(/\n/)
    expect(records[0]).toBe(JSON.stringify(JSON.parse(TRICKY[0] as string)))
    expect(split('[ { "s" : "keeps  inner  spaces\\n" , "a" : [ 1 , 2 ] } ]').records).toEqual(['{"s":"keeps  inner  spaces\\n","a":[1,2]}'])
  })

  it('gives the same records wherever the chunks are cut', () => {
    for (const body of [`[${TRICKY.join(',')}]`, PRETTY, `{"meta":{"next":"c\\"2"},"data":{"items":${PRETTY}},"after":[1]}`]) {
      const path = body.startsWith('{') ? ['data', 'items'] : []
      const capture = body.startsWith('{') ? ['meta', 'next'] : undefined
      const whole = split(body, path, [], capture)
      expect(whole.records).toHaveLength(TRICKY.length)
      const size = Buffer.byteLength(body)
      for (let cut = 0; cut <= size; cut++) expect(split(body, path, [cut], capture)).toEqual(whole)
      expect(split(body, path, inBytes(body, 1), capture)).toEqual(whole)
      expect(split(body, path, inBytes(body, 3), capture)).toEqual(whole)
    }
  })

  it('detects a body cut short at every byte', () => {
    const body = Buffer.from(`{"data":{"items":${PRETTY}}}`)
    const complete = body.lastIndexOf('}') + 1
    for (let end = 0; end < complete; end++) {
      const cut = body.subarray(0, end)
      expect(() => split(cut, ['data', 'items']), `cut at ${end}`).toThrow(JsonSyntaxError)
      expect(() => split(cut, ['data', 'items'], [Math.floor(end / 2)]), `cut at ${end}`).toThrow(JsonSyntaxError)
    }
    expect(() => split(body, ['data', 'items'])).not.toThrow()
  })

  it('names where a cut body ends, and says when it is empty', () => {
    expect(() => split('[{"id":1},{"id":2', [])).toThrow('it ends at byte 17 inside the records array, before its JSON is complete (cut short?)')
    expect(() => split('  \n', [])).toThrow('the body is empty')
    expect(() => split('', [])).toThrow('the body is empty')
  })

  it('refuses garbage after the top-level value, and invalid JSON anywhere', () => {
    expect(() => split('[1,2] x')).toThrow("expected the end of the body at byte 6, found 'x'")
    expect(() => split('[1]\n[2]')).toThrow(JsonSyntaxError)
    for (const bad of [
      '[1,]',
      '[,1]',
      '[01]',
      '[1.]',
      '[-]',
      '[.5]',
      '[1e]',
      '[+1]',
      '[tru]',
      '[nul]',
      '["\\x"]',
      '["\\u12g4"]',
      '["a\tb"]',
      '[{"a" 1}]',
      '[{"a":1,}]',
      '[{1:2}]',
      '[{"a":1]',
      '[[1}]',
      "['a']",
      '[NaN]',
      '[1 2]',
    ]) {
      expect(() => split(bad), bad).toThrow(JsonSyntaxError)
    }
  })

  it('agrees with JSON.parse on what is JSON, over many small mutations of a body', () => {
    const body = `{"items":[${TRICKY.join(', ')}],"n":[1.5e3,-0,0.25]}`
    const alphabet = '{}[]:,"\\ -+.0123456789eEtrufalsn\tux'
    let seed = 7
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    for (let round = 0; round < 3000; round++) {
      const at = random(body.length)
      const kind = random(3)
      const char = alphabet[random(alphabet.length)] as string
      const mutated = kind === 0 ? body.slice(0, at) + body.slice(at + 1) : body.slice(0, at) + char + body.slice(at + (kind === 1 ? 0 : 1))
      let parsed = true
      try {
        JSON.parse(mutated)
      } catch {
        parsed = false
      }
      let scanned = true
      try {
        split(mutated, ['items'], [random(mutated.length)])
      } catch (err) {
        expect(err).toBeInstanceOf(JsonSyntaxError)
        scanned = false
      }
      expect(scanned, mutated).toBe(parsed)
    }
  })

  it('finds the records under a path, and ignores arrays elsewhere', () => {
    const body = '{"meta":{"items":[9]},"data":{"count":2,"items":[{"id":1},{"id":2}],"other":[{"id":3}]},"items":[{"id":4}]}'
    expect(split(body, ['data', 'items']).records).toEqual(['{"id":1}', '{"id":2}'])
    expect(split('[[{"a":1}],[{"b":2}]]', ['1']).records).toEqual(['{"b":2}'])
    expect(split('{"users":[{"id":1}]}', ['rptrs']).found).toBe(false)
  })

  it('reads an empty array as no records, and captures a scalar before or after them', () => {
    expect(split('[]')).toEqual({ records: [], captured: undefined, found: true })
    expect(split(' { "users" : [ ] } ', ['users'])).toEqual({ records: [], captured: undefined, found: true })
    expect(split('{"items":[{"id":1}],"meta":{"next":"c2"}}', ['items'], [], ['meta', 'next']).captured).toBe('"c2"')
    expect(split('{"meta":{"next":17},"items":[]}', ['items'], [], ['meta', 'next']).captured).toBe('17')
  })

  it('skips a byte-order mark at the start, even split across chunks, and refuses one elsewhere', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"id":1}]')])
    for (const cuts of [[], [1], [2], [1, 2], [3]]) expect(split(body, [], cuts).records).toEqual(['{"id":1}'])
    expect(() => split(Buffer.concat([Buffer.from('['), body.subarray(0, 3), Buffer.from('1]')]))).toThrow(JsonSyntaxError)
  })

  it('passes bytes that are not UTF-8 inside strings on as they came: the sync rejects such a record', () => {
    const body = Buffer.concat([Buffer.from('[{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]')])
    expect(Buffer.from(split(body).records[0] as string, 'latin1')).toBeDefined()
    const raw: Buffer[] = []
    const splitter = new JsonSplitter([], undefined, { record: (r) => raw.push(Buffer.from(r)), captured: () => {} })
    splitter.write(body)
    splitter.end()
    expect(raw[0]).toEqual(body.subarray(1, body.length - 1))
  })

  it('reads records nested far deeper than a recursive parser could', () => {
    const deep = `{"id":2,"data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    expect(split(`[${deep}]`).records).toEqual([deep])
  })
})
