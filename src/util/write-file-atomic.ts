import { open, rename, rm } from 'node:fs/promises'

/**
 * Writes `text` to `target` so that a reader sees the old file or the new one, never a part: a temp file
 * beside it, synced, then renamed over it. A failure removes the temp file and leaves `target` as it was.
 */
export async function writeFileAtomic(target: string, text: string): Promise<void> {
  const temp = `${target}.${process.pid}.tmp`
  const handle = await open(temp, 'w')
  try {
    await handle.writeFile(text)
    await handle.sync()
  } catch (err) {
    await handle.close().catch(() => undefined)
    await rm(temp, { force: true })
    throw err
  }
  await handle.close()
  await rename(temp, target)
}
