// @ts-check
import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  const state =
    /** @type {{ __brmsEmbedded?: { stop(): Promise<void> }, __brmsEmbeddedDir?: string }} */ (
      globalThis
    );
  await state.__brmsEmbedded?.stop();
  if (state.__brmsEmbeddedDir) rmSync(state.__brmsEmbeddedDir, { recursive: true, force: true });
}
