/** Facts about other processes that the control plane checks (a lock's owner, an agent's process). */

/** processAlive tells whether process `pid` exists (one of another user counts: kill says EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
