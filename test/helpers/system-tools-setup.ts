import { beforeEach } from 'vitest'

// In strict mode requireTools (system-tools.ts) does not skip a test that needs a missing tool: it fails here, before it runs.
beforeEach(({ task }) => {
  if (task.meta.missing !== undefined) throw new Error(`${task.meta.missing}; CACHESYNC_TEST_STRICT=1 makes this a failure`)
})
