/** Exit statuses: scripts and cron wrappers act on them. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, locked: 3 } as const)
