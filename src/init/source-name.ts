/**
 * A source name from an API's URL: the last segment of its path that is not a version or a number, without
 * a `.json` extension (`/v2/device` → `device`, `/static/users.json` → `users`), else the host's first label;
 * made a valid name (letters, digits, `_`, `-`, starting with a letter).
 */
export function sourceNameFor(url: URL): string {
  const segments = url.pathname
    .split('/')
    .map(safeDecode)
    .map((segment) => segment.replace(/\.(json|ndjson|jsonl)$/i, ''))
    .filter((segment) => segment !== '' && !/^(v?\d+(\.\d+)*|api)$/i.test(segment))
  const raw = segments.at(-1) ?? url.hostname.split('.').find((label) => !/^(www|api|\d+)$/i.test(label)) ?? ''
  let name = raw
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '')
    .slice(0, 56)
  if (!/^[A-Za-z]/.test(name)) name = name === '' ? 'source' : `source_${name}`
  if (/^sync_/i.test(name)) name = `source_${name}`
  return name
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
