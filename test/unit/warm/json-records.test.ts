import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { extractRecords, type RecordSink } from '../../../src/warm/json-records.js'

function memorySink(): RecordSink & { lines: string[]; flushes: number } {
  const sink = {
    lines: [] as string[],
    flushes: 0,
    writeRecord(bytes: Buffer) {
      sink.lines.push(bytes.toString())
    },
    get full() {
      return sink.lines.length % 2 === 0
    },
    async flush() {
      sink.flushes++
    },
  }
  return sink
}

/** The body cut into pieces of `size` bytes, as a network delivers it. */
function body(text: string, size = 7): Readable {
  const bytes = Buffer.from(text)
  const pieces: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size))
  return Readable.from(pieces)
}

async function extract(text: string, recordsPath: string[], capturePath?: string[], size?: number) {
  const sink = memorySink()
  const result = await extractRecords(body(text, size), { recordsPath, capturePath, sink })
  return { ...result, lines: sink.lines, flushes: sink.flushes }
}

describe('extractRecords', () => {
  it('writes each element of a top-level array as one compact line, its bytes as they came', async () => {
    const out = await extract('[ {"id": 1, "name": "é\\n\\"x\\""},\n {"id":2,"tags":[1,[2,{"a":null}]],"n":-1.5e3} ]', [])
    expect(out.records).toBe(2)
    expect(out.lines).toEqual(['{"id":1,"name":"é\\n\\"x\\""}', '{"id":2,"tags":[1,[2,{"a":null}]],"n":-1.5e3}'])
  })

  it('finds the array at a dotted path and ignores arrays elsewhere, before and after', async () => {
    const text = '{"meta":{"items":[9]},"data":{"count":2,"items":[{"id":1},{"id":2}],"other":[{"id":3}]},"items":[{"id":4}]}'
    const out = await extract(text, ['data', 'items'])
    expect(out.lines).toEqual(['{"id":1}', '{"id":2}'])
  })

  it('reads the RadioID shape byte by byte as well as in one piece', async () => {
    const text = '{"rptrs":[{"id":310001,"callsign":"W1AW","lat":"41.7"},{"id":310002,"callsign":"K1ABC","lat":41.7}]}'
    const oneByte = await extract(text, ['rptrs'], undefined, 1)
    const whole = await extract(text, ['rptrs'], undefined, 1 << 20)
    expect(oneByte.lines).toEqual(whole.lines)
    expect(whole.lines).toEqual(['{"id":310001,"callsign":"W1AW","lat":"41.7"}', '{"id":310002,"callsign":"K1ABC","lat":41.7}'])
  })

  it('keeps scalar elements as lines (the sync rejects them, with their line)', async () => {
    expect((await extract('[1,"a",null,true]', [])).lines).toEqual(['1', '"a"', 'null', 'true'])
  })

  it('captures a scalar elsewhere in the body, before or after the records', async () => {
    expect((await extract('{"items":[{"id":1}],"meta":{"next":"c2"}}', ['items'], ['meta', 'next'])).captured).toBe('c2')
    expect((await extract('{"meta":{"next":17},"items":[]}', ['items'], ['meta', 'next'])).captured).toBe(17)
    expect((await extract('{"meta":{},"items":[]}', ['items'], ['meta', 'next'])).captured).toBeUndefined()
  })

  it('flushes the sink whenever it says it is full after a chunk, and at the end', async () => {
    // Chunks '[1' ',2' ',3' ',4' ',5' ']': full (an even count) after 0, 2 and 4 lines, then the last flush.
    const out = await extract('[1,2,3,4,5]', [], undefined, 2)
    expect(out.lines).toHaveLength(5)
    expect(out.flushes).toBe(4)
  })

  it('an empty records array is zero records', async () => {
    expect((await extract('{"users":[]}', ['users'])).records).toBe(0)
  })

  it('refuses a body without the records array, saying what it found', async () => {
    await expect(extract('{"error":"quota"}', ['users'])).rejects.toMatchObject({
      code: 'ERR_PARSE',
      message: 'the body holds no records: expected an array at "users", found an object',
    })
    await expect(extract('{"rptrs":[]}', [])).rejects.toThrow('expected a top-level array, found an object (set recordsPath)')
    await expect(extract('', [])).rejects.toMatchObject({ code: 'ERR_PARSE', message: 'the body is empty' })
  })

  it('refuses invalid and truncated JSON', async () => {
    await expect(extract('[{"id":1},{"id": oops}]', [])).rejects.toMatchObject({ code: 'ERR_PARSE' })
    await expect(extract('{"users":[{"id":1},{"id":2', ['users'])).rejects.toMatchObject({ code: 'ERR_PARSE' })
  })

  it('passes a transport error through as it is', async () => {
    const failing = new Readable({
      read() {
        this.push('[{"id":1},')
        this.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
      },
    })
    await expect(extractRecords(failing, { recordsPath: [], sink: memorySink() })).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' })
  })
})
