/**
 * A database URL fit for logs and reports: the password (in the user info or a `password` parameter)
 * replaced by `***`; the user, host, port and database stay, since they say where the rows went.
 */
export function maskUrl(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return '(an unparseable URL)'
  }
  if (url.password !== '') url.password = '***'
  for (const name of [...url.searchParams.keys()]) if (/pass/i.test(name)) url.searchParams.set(name, '***')
  return url.toString().replaceAll('%2A%2A%2A', '***')
}
