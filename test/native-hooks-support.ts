/**
 * What the native syscall hooks and the injector need beyond test/toolchain.ts's HAS_NATIVE: capstone's headers
 * (libcapstone-dev), and, for zpoline, vm.mmap_min_addr=0. Missing, the tests skip with the reason, except under
 * NATIVE_REQUIRED=1 (CI), where it is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { HAS_NATIVE, NATIVE_SKIP } from './toolchain.js';

function readSysctl(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** MMAP_MIN_ADDR is vm.mmap_min_addr ('' when unreadable). */
export const MMAP_MIN_ADDR = readSysctl('/proc/sys/vm/mmap_min_addr');

function missingHooks(): string {
  if (!HAS_NATIVE) return NATIVE_SKIP.replace(/^ \(skipped: |\)$/g, '');
  if (!existsSync('/usr/include/capstone/capstone.h')) return 'capstone headers not found (libcapstone-dev)';
  return '';
}

/** HOOKS_MISSING says why the syscall hooks cannot be built ('' when they can). */
export const HOOKS_MISSING = missingHooks();
/** ZPOLINE_MISSING says why zpoline cannot run here ('' when it can). */
export const ZPOLINE_MISSING = HOOKS_MISSING || (MMAP_MIN_ADDR === '0' ? '' : `vm.mmap_min_addr is ${MMAP_MIN_ADDR || 'unknown'} (zpoline needs 0: sysctl -w vm.mmap_min_addr=0)`);
for (const m of [HOOKS_MISSING, ZPOLINE_MISSING]) {
  if (m && process.env.NATIVE_REQUIRED === '1') throw new Error(`NATIVE_REQUIRED=1 but ${m}`);
}

/** skipNote formats a reason for a test title. */
export const skipNote = (m: string): string => (m ? ` (skipped: ${m})` : '');
