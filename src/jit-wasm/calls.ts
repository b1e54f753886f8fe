/**
 * Calls and exits. A helper is an import called with r1..r5 that returns r0; before it the code publishes the pc and
 * r10 (for located errors, callbacks and tail calls), after it the host may have set `ctl` to end the program, to
 * tail-call, or to say the helper changed guest memory's regions (the only case in which a helper call forgets the
 * cached region bounds; a bpf-to-bpf call, callx and a tail call always do). A bpf-to-bpf call is a Wasm call with r10 moved down one 512-byte frame, refused below `stack_limit`
 * (the interpreter's call depth limit); r6..r9 are the caller's locals, so they survive. `callx` compares the register
 * with each function's code address and otherwise asks the host for a helper by id. Exiting stores the budget left.
 */
import type { HelperDef } from '../helpers/registry.js';
import { TEXT_BASE } from '../memory/guest-memory.js';
import type { Insn } from '../isa/index.js';
import { CTL_REGIONS, CTL_TAIL_CALL, STACK_FRAME, TRAP_CALL_DEPTH } from './abi.js';
import { coldIf, fnName, getReg, i32c, i64c, local, L_BUDGET, L_FP, L_RHI, L_RLO, L_T1, L_WHI, L_WLO, regs0to9, regs1to5, seq, setReg, type Ctx } from './emit.js';
import type { Expr } from './builder.js';
import { makeInlineMapCall } from './inline-map.js';

const storeBudget = (c: Ctx): Expr => c.m.global.set('budget', local(c, L_BUDGET));
const loadBudget = (c: Ctx): Expr => c.m.local.set(L_BUDGET, c.m.global.get('budget', c.b.i64));

/** trap calls `bpf.trap(kind, pc, value)`, which raises the located error and does not return. */
export function trap(c: Ctx, kind: number, value: Expr, pc = c.pc): Expr {
  const { m, b } = c;
  return m.block(null, [storeBudget(c), m.call('trap', [i32c(c, kind), i32c(c, pc), value], b.none), m.unreachable()], b.unreachable);
}

/** exitWith ends the whole program (every frame) with r0 = `v`. */
export function exitWith(c: Ctx, v: Expr): Expr {
  const { m, b } = c;
  return m.block(null, [m.global.set('ctl', i32c(c, 1)), storeBudget(c), m.return(v)], b.unreachable);
}

/** makeExit returns r0 from the current function. */
export function makeExit(c: Ctx): Expr {
  const { m, b } = c;
  return m.block(null, [storeBudget(c), m.return(getReg(c, 0))], b.unreachable);
}

/** resetCaches forgets the cached region bounds (when a call may have changed regions). */
export function resetCaches(c: Ctx): Expr[] {
  return [L_RLO, L_RHI, L_WLO, L_WHI].map((l) => c.m.local.set(l, i64c(c, -1)));
}

/**
 * entryCaches starts a function's cached bounds: the read bounds from `entry_lo`/`entry_hi`, which the host may have
 * set to the region r1 points into before an entry (abi.ts), then emptied so that no later call sees them (calls and
 * callbacks start with none, as before); the write bounds empty. A first context read then needs no refill.
 */
export function entryCaches(c: Ctx): Expr[] {
  const { m, b } = c;
  return [
    m.local.set(L_RLO, m.global.get('entry_lo', b.i64)),
    m.local.set(L_RHI, m.global.get('entry_hi', b.i64)),
    m.global.set('entry_lo', i64c(c, -1)),
    m.local.set(L_WLO, i64c(c, -1)),
    m.local.set(L_WHI, i64c(c, -1)),
  ];
}

/**
 * afterHost handles `ctl` after the host ran: forget the cached bounds and go on when regions changed; otherwise
 * tail-call if asked, then leave the function if anything was asked.
 */
function afterHost(c: Ctx): Expr {
  const { m, b } = c;
  const leave: Expr[] = [];
  if (c.usesTailCall) {
    leave.push(m.if(
      m.i32.eq(m.global.get('ctl', b.i32), i32c(c, CTL_TAIL_CALL)),
      seq(c, [
        m.global.set('ctl', i32c(c, 0)),
        storeBudget(c),
        setReg(c, 0, m.call('tail_call', [...regs1to5(c), local(c, L_FP)], b.i64)),
        loadBudget(c),
      ]),
    ));
  }
  leave.push(storeBudget(c), m.return(getReg(c, 0)));
  const ctl = (): Expr => m.global.get('ctl', b.i32);
  const forget = seq(c, [m.global.set('ctl', i32c(c, 0)), ...resetCaches(c)]);
  return coldIf(c, ctl(), [m.if(m.i32.eq(ctl(), i32c(c, CTL_REGIONS)), forget, m.block(null, leave, b.unreachable))]);
}

/** publish stores the pc and r10 for the host before it runs. */
function publish(c: Ctx): Expr[] {
  return [c.m.global.set('pc', i32c(c, c.pc)), c.m.global.set('fp', local(c, L_FP))];
}

/** makeCallHelper calls a helper, inline where inline-map.ts can (map lookups and updates), else through its import. */
export function makeCallHelper(c: Ctx, def: HelperDef): Expr {
  const call = (): Expr => callImport(c, def);
  return makeInlineMapCall(c, def, call) ?? call();
}

/** callImport calls a helper import: r1..r5 split into i32 halves, r0 = the returned low half | `ret_hi` << 32. */
function callImport(c: Ctx, def: HelperDef): Expr {
  const { m, b } = c;
  const name = c.helperImport(def);
  const halves = [1, 2, 3, 4, 5].flatMap((r) => [m.i32.wrap(getReg(c, r)), m.i32.wrap(m.i64.shr_u(getReg(c, r), i64c(c, 32)))]);
  const r0 = m.i64.or(
    m.i64.extend_u(m.call(name, halves, b.i32)),
    m.i64.shl(m.i64.extend_u(m.global.get('ret_hi', b.i32)), i64c(c, 32)),
  );
  return seq(c, [...publish(c), setReg(c, 0, r0), afterHost(c)]);
}

/** makeCallLocal calls the BPF function at slot `target` in a new frame. */
export function makeCallLocal(c: Ctx, target: number): Expr {
  const { m, b } = c;
  const frame = (): Expr => m.i64.sub(local(c, L_FP), i64c(c, STACK_FRAME));
  return seq(c, [
    coldIf(c, m.i64.lt_u(frame(), m.global.get('stack_limit', b.i64)), [trap(c, TRAP_CALL_DEPTH, i64c(c, 0))]),
    storeBudget(c),
    setReg(c, 0, m.call(fnName(target), [...regs0to9(c), frame()], b.i64)),
    loadBudget(c),
    ...resetCaches(c),
    coldIf(c, m.global.get('ctl', b.i32), [m.return(getReg(c, 0))]),
  ]);
}

/** makeCallx calls the function whose code address is in dst, or else the helper whose id is there. */
export function makeCallx(c: Ctx, ins: Insn): Expr {
  const { m, b } = c;
  let chain = seq(c, [
    ...publish(c),
    setReg(c, 0, m.call('callx', [i32c(c, c.pc), local(c, L_T1), ...regs1to5(c)], b.i64)),
    ...resetCaches(c),
    afterHost(c),
  ]);
  for (const fpc of [...c.functions].reverse()) {
    const addr = i64c(c, TEXT_BASE + BigInt(fpc) * 8n);
    chain = m.if(m.i64.eq(local(c, L_T1), addr), makeCallLocal(c, fpc), chain);
  }
  return seq(c, [m.local.set(L_T1, getReg(c, ins.dst)), chain]);
}
