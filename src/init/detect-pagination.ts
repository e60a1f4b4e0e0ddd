import type { Pagination } from '../config/config-schema.js'
import { nextLink } from '../warm/pagination.js'
import { type BodyField, bodyFields } from './body-fields.js'
import { allNew, type FetchRecords, pageKeyCandidates, parameterCandidates, tryPageNumber, tryParameters, withParams } from './page-parameters.js'

/** The first page of a source, as `init` fetched it. */
export interface FirstPage {
  readonly url: URL
  readonly body: unknown
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
  readonly recordsPath: readonly string[]
  /** Its records, each as JSON text. */
  readonly records: readonly string[]
}

/** How to fetch the next pages, or undefined for one request, with the reason and what else is worth knowing. */
export interface PaginationDecision {
  readonly pagination: Pagination | undefined
  readonly reason: string
  /** Things found and not used, each a sentence. */
  readonly notes: readonly string[]
}

/** Records of a next page read to check that it advances. */
const CHECKED = 20

/** Any name with next in it, for a field whose value is a link. */
const NEXT_NAME = /next/i
/** The names that say a field is a link even while it is empty: `next`, `next_url`, `nextPageUrl`… */
const NEXT_LINK_NAME = /^next(_?(url|link|href|uri)|_?page_?url)?$/i
const CURSOR_NAME = /cursor|next|after|continuation|token|marker|scroll_?id/i
const TOTAL_NAME = /^(total|total_?count|totalCount|total_?results|totalResults|total_?items|totalItems|count)$/i
/** The query parameters a cursor is most often sent back as, after the one its field's name suggests. */
const CURSOR_KEYS = ['cursor', 'after', 'next', 'page_token', 'pageToken', 'continuation', 'marker', 'starting_after']

/**
 * Detects how a source pages, trying each guess on the API: a `Link: <…>; rel="next"` header; a next link in
 * the body (a URL or a path in a field named like next: `links.next`, `next`, `_links.next.href`); a cursor
 * in the body (`next_cursor`, `meta.next`), sent back as a query parameter; offset/limit or page/per_page
 * parameters. A guess counts only when the page it leads to holds records the first page does not.
 */
export async function detectPagination(page: FirstPage, fetch: FetchRecords): Promise<PaginationDecision> {
  const notes: string[] = []
  const advances = async (url: URL): Promise<boolean> => {
    const next = await fetch(url, CHECKED)
    return next !== undefined && allNew(page.records, next)
  }
  const done = (pagination: Pagination, reason: string): PaginationDecision => ({ pagination, reason, notes })

  const link = nextLink(page.headers.link)
  if (link !== undefined) {
    if (await advances(new URL(link, page.url))) return done({ style: 'link-header' }, 'link-header: a Link rel="next" header names a page of other records')
    notes.push(`the Link rel="next" header (${link}) leads to no page of other records: not used`)
  }

  const fields = bodyFields(page.body, page.recordsPath)
  const named = fields.filter((f) => isNextLinkPath(f.path))
  for (const field of named) {
    if (typeof field.value !== 'string' || !isLinkLike(field.value)) continue
    const nextPath = field.path.join('.')
    if (await advances(new URL(field.value, page.url)))
      return done({ style: 'next-link', nextPath }, `next-link: ${nextPath} holds the URL of a page of other records`)
    notes.push(`${nextPath} (${field.value}) leads to no page of other records: not used`)
  }

  // A page may hold its own cursor beside the next one: those named next go first.
  const cursors = fields.filter(isCursorField).sort((a, b) => Number(NEXT_NAME.test(b.path.at(-1) as string)) - Number(NEXT_NAME.test(a.path.at(-1) as string)))
  for (const field of cursors) {
    const cursorPath = field.path.join('.')
    for (const cursorKey of cursorKeysFor(field.path.at(-1) as string)) {
      if (await advances(withParams(page.url, { [cursorKey]: String(field.value) }))) {
        return done(
          { style: 'cursor', cursorPath, ...(cursorKey === 'cursor' ? {} : { cursorKey }) },
          `cursor: ${cursorPath} holds a cursor; sent back as ?${cursorKey}= it gives a page of other records`,
        )
      }
    }
    notes.push(
      `${cursorPath} (${JSON.stringify(field.value)}) looks like a cursor, but no query parameter tried (${cursorKeysFor(field.path.at(-1) as string).join(', ')}) took it`,
    )
  }

  const ended = named.find((f) => (f.value === null || f.value === '') && isNextLinkPath(f.path, NEXT_LINK_NAME))
  if (ended !== undefined) {
    const nextPath = ended.path.join('.')
    return done({ style: 'next-link', nextPath }, `next-link: ${nextPath} is empty, so the first page is the only one; warm follows it when it names a page`)
  }
  for (const field of fields) {
    if (field.value === null && /cursor|token/i.test(field.path.at(-1) as string)) {
      notes.push(`${field.path.join('.')} is null, so the first page is the only one: the query parameter of its cursor cannot be tried`)
    }
  }

  if (page.records.length < 2) return { pagination: undefined, reason: 'none: the first page holds one record, too few to try page parameters on', notes }
  const candidates = parameterCandidates(page.url, fields, page.records.length)
  for (const candidate of candidates) {
    const found = await tryParameters(page.url, page.records, candidate, fetch)
    if (found !== undefined) return done(found.pagination, found.reason)
  }
  for (const pageKey of pageKeyCandidates(candidates)) {
    const found = await tryPageNumber(page.url, page.records, pageKey, fetch)
    if (found !== undefined) return done(found.pagination, found.reason)
  }
  const total = fields.find((f) => TOTAL_NAME.test(f.path.at(-1) as string) && typeof f.value === 'number' && f.value > page.records.length)
  if (total !== undefined) {
    notes.push(
      `${total.path.join('.')} says ${total.value} records but the first page holds ${page.records.length}: set pagination in the source, or warm gets only the first page`,
    )
  }
  return { pagination: undefined, reason: 'none: no next link, cursor or page parameter led to other records; warm makes one request', notes }
}

/** A field named like a next link (`next`, `next_url`, `links.next`, `_links.next.href`), or, with `name`, like that. */
function isNextLinkPath(path: readonly string[], name: RegExp = NEXT_NAME): boolean {
  const last = path.at(-1) as string
  const owner = /^(href|url|uri|link)$/i.test(last) ? path.at(-2) : last
  return owner !== undefined && name.test(owner) && !/cursor|token/i.test(owner)
}

/** An absolute http(s) URL, or a path or query relative to the page. */
function isLinkLike(value: string): boolean {
  return /^https?:\/\//i.test(value) || /^(\/|\?|\.\.?\/)/.test(value)
}

function isCursorField(field: BodyField): boolean {
  const name = field.path.at(-1) as string
  if (!CURSOR_NAME.test(name) || TOTAL_NAME.test(name) || /^(has_?next|has_?more|hasMore|hasNext)/i.test(name)) return false
  if (typeof field.value === 'number') return true
  return typeof field.value === 'string' && field.value !== '' && !isLinkLike(field.value)
}

/** `next_cursor` and `nextCursor` suggest `cursor`, `next_page` `page`, `after` itself; then the common names. */
function cursorKeysFor(name: string): string[] {
  const stripped = name.replace(/^next_?/i, '')
  const suggested = stripped === '' ? [] : [stripped.charAt(0).toLowerCase() + stripped.slice(1)]
  return [...new Set([...suggested, ...CURSOR_KEYS])]
}
