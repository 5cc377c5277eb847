// When an endpoint's disk spool asks the kernel to put its bytes on the disk itself (see
// src/spool/spool-sync.ts): shared by the settings that choose it and the spool that obeys.

export const SPOOL_SYNC_POLICIES = ['none', 'interval', 'always'] as const
export type SpoolSync = (typeof SPOOL_SYNC_POLICIES)[number]
