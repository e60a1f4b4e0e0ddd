import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, type HttpClient } from '../../../src/warm/http-client.js'
import { startServer, type TestServer } from '../../helpers/warm.js'

const BODY = JSON.stringify({ items: [{ id: 1, name: 'Zoë' }] })
let server: TestServer
let client: HttpClient

beforeAll(async () => {
  server = await startServer((_req, res, url) => {
    const encode: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, br: brotliCompressSync, deflate: deflateSync }
    const coding = url.searchParams.get('coding')
    if (url.pathname === '/moved') return void res.writeHead(302, { location: '/plain' }).end()
    if (coding === 'zstd-ish') return void res.writeHead(200, { 'content-encoding': 'compress' }).end('x')
    const encoder = coding === null ? undefined : encode[coding]
    res.writeHead(200, { 'content-type': 'application/json', ...(encoder === undefined ? {} : { 'content-encoding': coding as string }) })
    res.end(encoder === undefined ? BODY : encoder(Buffer.from(BODY)))
  })
  client = createHttpClient({ userAgent: 'cachesync/9.9.9', headersTimeoutMs: 5000, bodyTimeoutMs: 5000 })
})
afterAll(async () => {
  await client.close()
  await server.close()
})

async function text(body: NodeJS.ReadableStream): Promise<string> {
  let out = ''
  for await (const chunk of body) out += chunk.toString()
  return out
}

describe('the undici HTTP client', () => {
  it.each(['gzip', 'br', 'deflate'])('decompresses %s bodies as they stream, and says it accepts them', async (coding) => {
    const response = await client.get(new URL(`${server.url}/x?coding=${coding}`), { headers: {}, followRedirects: false })
    expect(response.status).toBe(200)
    expect(await text(response.body)).toBe(BODY)
    const request = server.requests.at(-1)
    expect(request?.headers['accept-encoding']).toBe('gzip, deflate, br')
    expect(request?.headers['user-agent']).toBe('cachesync/9.9.9')
  })

  it('refuses a coding it did not ask for', async () => {
    await expect(client.get(new URL(`${server.url}/x?coding=zstd-ish`), { headers: {}, followRedirects: false })).rejects.toThrow(
      'unsupported Content-Encoding compress',
    )
  })

  it('follows redirects only when allowed', async () => {
    const followed = await client.get(new URL(`${server.url}/moved`), { headers: {}, followRedirects: true })
    expect(followed.status).toBe(200)
    expect(await text(followed.body)).toBe(BODY)
    const kept = await client.get(new URL(`${server.url}/moved`), { headers: {}, followRedirects: false })
    expect(kept.status).toBe(302)
    await kept.discard()
  })
})
