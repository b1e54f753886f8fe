/**
 * The public API of the `bpftime-vm` package (`import { ... } from 'bpftime-vm'`): what the README documents and the
 * package test imports. Everything else under src/ is internal and may change without notice.
 *
 * The pipeline, as the package exposes it: bytes -> `loadCollectionSpec` (a pure `CollectionSpec`, no I/O) ->
 * `new Collection(spec)` (live maps and programs on a backend) -> `Program.run` and the maps' user API. Raw programs
 * run on `Interpreter` or `loadRaw`; `assemble`/`disassemble` convert text; `exportModule` translates a program to a
 * WebAssembly module for another host. Nothing here reads files or touches the process: the caller passes bytes
 * (and, for CO-RE, the target BTF), so the same API runs in a browser.
 */

// Errors: every error raised on purpose is a BpfError subclass with a stable `code` and a `location`.
export { BpfError, AsmError, LoadError, VerifierError, ExecError, NotSupportedError, UsageError } from './errors.js';
export type { ErrorLocation } from './errors.js';
export { VERSION } from './version.js';

// The ISA: instructions, text assembly in the bpf_conformance syntax, bytecode.
export { assemble, assembleWithLines, disassemble, disassembleLines, listing, decodeProgram, encodeProgram, formatInsn, validateProgram } from './isa/index.js';
export type { Insn, Assembled, DisasmLine, ValidProgram } from './isa/index.js';

// Loading ELF objects into specs.
export { loadCollectionSpec } from './loader/collection.js';
export type { LoadOptions as LoadCollectionSpecOptions, LoadedCollection } from './loader/collection.js';
export type { CollectionSpec, ProgramSpec, MapSpec, MapEntry, MapEntryValue, AttachSpec, LineInfo, FuncInfo, CoreRelocation } from './loader/spec.js';
export { MapType, MapFlag, MAP_TYPES } from './loader/spec.js';
export { parseKconfig, kernelVersionCode } from './loader/data.js';
export type { KconfigOptions } from './loader/data.js';
export { parseBtf, Btf, formatValue, formatTypeC } from './loader/btf/index.js';
export type { FormattedValue } from './loader/btf/index.js';

// The verifier (on by default in Collection): verdicts, located rejections, the per-instruction state log, JIT facts.
export { verifyProgram, verifySpec, mapInfo, parseVerifierLog, KNOWN_TYPES, normalizeType, VERIFY_MODES, parseVerifyMode } from './verifier/index.js';
export type { VerifyResult, VerifyOptions, VerifyStats, VerifierFacts, MapInfo, LogEntry, VerifyMode } from './verifier/index.js';
export { verifyForLoad, UNMODELLED } from './runtime/verification.js';
export type { LoadVerification } from './runtime/verification.js';

// Live objects: collections, programs, maps, and reading their output.
export { Collection, Program } from './runtime/collection.js';
export type { CollectionOptions, RunInput, RunOutput } from './runtime/collection.js';
export type { ContextInput } from './runtime/context.js';
export type { Host, HostOptions } from './runtime/host.js';
export type { HostEnv } from './helpers/env.js';
export { dumpMap, drainRecords } from './runtime/inspect.js';
export { readCapture, writePcap, LINKTYPE } from './runtime/pcap.js';
export type { Capture, CapturedPacket } from './runtime/pcap.js';
export { decodePacket, summarize as summarizeHeaders } from './runtime/packet-decode.js';
export type { Layer as HeaderLayer } from './runtime/packet-decode.js';
export { verdictOf, verdictName } from './runtime/verdict.js';
export type { Verdict } from './runtime/verdict.js';
export type { NetEnv, NetInterface, Route, Neighbour, DeclaredSocket, PacketActions, RedirectAction, TunnelInfo, MsgActions } from './helpers/packet/net.js';
export type { MapDump, OutputRecord } from './runtime/inspect.js';
export { MapError, Errno, UpdateFlag } from './helpers/maps/types.js';
export type { BpfMap } from './helpers/maps/types.js';
export { ArrayMap, HashMap, LpmTrieMap, QueueStackMap, BloomFilterMap, StackTraceMap, ProgArrayMap, ArrayOfMapsMap, HashOfMapsMap } from './helpers/maps/index.js';
export { RingBufMap, RingBufConsumer, PerfEventArrayMap, PerfReader } from './helpers/maps/index.js';
export { DevMap, DevHashMap, CpuMap, XskMap, SockMap, SockHash, SockMapBase, FIRST_SOCKET_FD } from './helpers/maps/index.js';
export type { PerfSample, PerfReaderOptions } from './helpers/maps/index.js';

// Helper sets: the kernel's (for objects) and the uBPF test set (for raw conformance-style programs).
export { kernelHelpers, KERNEL_HELPER_NAMES, helperId } from './helpers/kernel/index.js';
export { ubpfTestHelpers } from './helpers/ubpf-test.js';
export { HelperSet } from './helpers/registry.js';
export type { HelperDef, HelperProto, HelperCall, HelperImpl } from './helpers/registry.js';

// Backends: the reference interpreter, the two WebAssembly JIT tiers, and `auto`.
export { Interpreter, traceRun, DEFAULT_BUDGET, DEFAULT_MAX_CALL_DEPTH } from './vm/index.js';
export type { InterpreterOptions, RunOptions, RunResult, TraceStep, RegChange } from './vm/index.js';
export { BACKENDS, ENGINES, AUTO_TIER_UP_STEPS, prepareBackend, loadOn, missesBinaryen, loadRaw, resolveBackend } from './runtime/backends.js';
export type { BackendName, BackendChoice, LoadedProgram, LoadOptions as LoadRawOptions, CompileStats } from './runtime/backends.js';

// Translating to WebAssembly for another host (`bpftime-vm compile`; ABI in docs/jit-wasm.md).
export { exportModule } from './runtime/export.js';
export type { ExportOptions, ExportedModule, Manifest } from './runtime/export.js';
export { abi, loadBinaryen, setBinaryenSource } from './jit-wasm/index.js';

// Views for people: what `prog show`, `prog dump` and `map show` print, as data (the web playground renders them).
export { describeProgram, describeMap, describeBtfTypes, programListing } from './runtime/describe.js';
export type { ProgramSummary, MapSummary, ListingRow, BtfTypeSummary } from './runtime/describe.js';
// Reading inputs typed by people as the CLI reads its options (`--args`, `--mem`, `--host`), with the same errors.
export { parseU64, parseHex, splitList, parseHostOptions, HOST_KEYS } from './runtime/inputs.js';
export type { Tier, BinaryenSource } from './jit-wasm/index.js';
