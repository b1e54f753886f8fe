/**
 * What `verify` imports only when it needs it: the loader with the verifier's object entry (an ELF object) and the
 * kernel helper set (`--type`). Kept apart from verify.ts because the verify command runs as a script compiled with a
 * V8 code cache (../code-cache.ts), which cannot `import()`: in that build this module is the host's (the ES module
 * graph of dist/cli.js, scripts/build.mjs), so its dynamic imports load the library's chunks as before.
 */
import type { HelperSet } from '../../helpers/registry.js';

/** objectSupport loads what verifying an object needs: the loader's entry, the verifier's and the program facts. */
export async function objectSupport() {
  const [{ loadObject, pickProgram }, { verifySpec }, { readsKernelPointers }] = await Promise.all([
    import('../object.js'), import('../../verifier/index.js'), import('../../runtime/program-facts.js'),
  ]);
  return { loadObject, pickProgram, verifySpec, readsKernelPointers };
}

/** kernelHelperSet loads the kernel helpers, the table a typed program is verified against. */
export async function kernelHelperSet(): Promise<HelperSet> {
  return (await import('../../helpers/kernel/index.js')).kernelHelpers();
}
