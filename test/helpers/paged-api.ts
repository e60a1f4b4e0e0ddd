import { startServer, type TestServer } from './warm.js'

/** The records every paged test API serves: 25, `{ id, call }`. */
export const PAGED_RECORDS = Array.from({ length: 25 }, (_, i) => ({ id: i + 1, call: `K${i + 1}` }))

/**
 * One small API per pagination style, records under `items`, pages of 10 (7 for the cursor, to end on a
 * short page): `/offset?take=&skip=`, `/page?p=&size=`, `/cursor?after=` (cursor at `meta.next`),
 * `/next?from=` (link at `links.next`), `/link?from=` (Link header); and three that page wrongly.
 */
export async function startPagedApi(): Promise<TestServer> {
  const server: TestServer = await startServer((_req, res, url) => {
    const send = (body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
    }
    const q = (name: string): number => Number(url.searchParams.get(name))
    switch (url.pathname) {
      case '/offset':
        return send({ items: PAGED_RECORDS.slice(q('skip'), q('skip') + q('take')) })
      case '/page':
        return send({ items: PAGED_RECORDS.slice((q('p') - 1) * q('size'), q('p') * q('size')) })
      case '/cursor': {
        const from = q('after')
        const items = PAGED_RECORDS.slice(from, from + 7)
        return send({ meta: { next: from + 7 < PAGED_RECORDS.length ? String(from + 7) : null }, items })
      }
      case '/next': {
        const from = q('from')
        const next = from + 10 < PAGED_RECORDS.length ? `/next?from=${from + 10}` : null
        return send({ items: PAGED_RECORDS.slice(from, from + 10), links: { next } })
      }
      case '/link': {
        const from = q('from')
        const link =
          from + 10 < PAGED_RECORDS.length ? { link: `<${server.url}/link?from=${from + 10}>; rel="next", <${server.url}/link?from=20>; rel="last"` } : {}
        return send({ items: PAGED_RECORDS.slice(from, from + 10) }, link)
      }
      case '/ignores-paging':
        // An API that knows no paging: everything, whatever is asked.
        return send({ items: PAGED_RECORDS })
      case '/first-page-forever':
        // Honours the limit but not the offset.
        return send({ items: PAGED_RECORDS.slice(0, q('limit')) })
      case '/empty-ends':
        // Every page is full; only an empty page says it is over.
        return send({ items: q('offset') < 20 ? PAGED_RECORDS.slice(q('offset'), q('offset') + 10) : [] })
      default:
        res.writeHead(404).end()
    }
  })
  return server
}
