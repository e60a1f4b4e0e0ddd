import type { AuthSpec } from '../config/config-schema.js'
import { ConfigError } from '../util/errors.js'

/** What a source's credentials add to its requests, and the secret values to scrub from any text. */
export interface PreparedAuth {
  readonly headers: Readonly<Record<string, string>>
  /** A query parameter carrying the secret: added to every request URL, masked wherever a URL is shown. */
  readonly queryParam: { readonly name: string; readonly value: string } | undefined
  readonly secrets: readonly string[]
}

const NO_AUTH: PreparedAuth = Object.freeze({ headers: {}, queryParam: undefined, secrets: [] })

/** Reads a source's secret (from the environment, or the configuration) into headers or a query parameter. */
export function prepareAuth(source: string, auth: Readonly<AuthSpec> | undefined, env: NodeJS.ProcessEnv): PreparedAuth {
  if (auth === undefined) return NO_AUTH
  const secret = auth.env === undefined ? auth.value : env[auth.env]
  if (secret === undefined || secret === '') {
    throw new ConfigError(`Source ${source}: environment variable ${auth.env} (its auth) is not set`)
  }
  const secrets = [secret]
  if (auth.type === 'bearer') {
    const value = `${auth.scheme ?? 'Bearer'} ${secret}`
    return { headers: { authorization: value }, queryParam: undefined, secrets: [...secrets, value] }
  }
  if (auth.type === 'header') return { headers: { [(auth.name as string).toLowerCase()]: secret }, queryParam: undefined, secrets }
  return { headers: {}, queryParam: { name: auth.name as string, value: secret }, secrets: [...secrets, encodeURIComponent(secret)] }
}

/** Credentials written into a URL (`https://user:pass@host/…`) as a Basic Authorization header, never sent in the URL. */
export function userInfoAuth(url: URL): PreparedAuth | undefined {
  if (url.username === '' && url.password === '') return undefined
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  const value = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  return { headers: { authorization: value }, queryParam: undefined, secrets: [value, url.password, password].filter((s) => s !== '') }
}

const SECRET_PARAM = /(^|[_-])(key|api[_-]?key|token|secret|password|passwd|sig|signature|auth|access[_-]?token)$/i

/**
 * A source URL fit for logs, errors and meta files: all of the user info and the values of the auth query parameter and of
 * any parameter named like a secret (`api_key`, `token`, …) replaced by `***`.
 */
export function maskSourceUrl(url: URL | string, secretParams: readonly string[] = []): string {
  const parsed = typeof url === 'string' ? new URL(url) : url
  const userInfo = parsed.username !== '' || parsed.password !== '' ? '***@' : ''
  const query = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [rawName = '', ...rest] = pair.split('=')
      const name = safeDecode(rawName)
      return rest.length > 0 && (secretParams.includes(name) || SECRET_PARAM.test(name)) ? `${rawName}=***` : pair
    })
  return `${parsed.protocol}//${userInfo}${parsed.host}${parsed.pathname}${query.length > 0 ? `?${query.join('&')}` : ''}`
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

/** Replaces every occurrence of the given secrets in a text: the last guard before a message leaves the warm stage. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***')
  return out
}
