// Builds dist/ once before the tests, so tests that spawn bin/bpftime-vm or the plugin run the current sources.
export default async function setup(): Promise<void> {
  // @ts-expect-error: plain JavaScript build script without type declarations.
  const { buildAll } = await import('../../scripts/build.mjs');
  await buildAll({ quiet: true });
}
