/**
 * The public API of the native control plane, `import { ... } from 'bpftime-vm/native'` (Node on Linux x86-64 only;
 * the browser bundle and `bpftime-vm` itself never import it): what `bpftime-vm load`, `trace`, `start`, `attach`,
 * `detach` and `status` are made of, documented in README ("Trace a live process") and docs/native.md.
 *
 * The pipeline: `prepareNative()` (an installed package builds the native layer once into the user's cache) ->
 * `loadNative(spec, session)` (verify, compile to native code, create the session's shared-memory segment, its maps
 * and attachments) -> processes join it (`startTraced`: LD_PRELOAD; `attachProcess`: ptrace injection) -> the
 * programs' output read with an `OutputStream`, the maps through `NativeMap`, the tables with `summarize` ->
 * `detachAgents`, then `session.end()`.
 */

// Building and locating the native layer.
export { prepareNative, nativeLayer, LIVE_FILES } from './build.js';
export { checkPrerequisites } from './prerequisites.js';
export type { NativeLayer, NativeBuildOptions, LiveFile } from './build.js';

// Loading an object into a session.
export { loadNative, sessionName, DEFAULT_SESSION_NAME } from './load.js';
export type { NativeLoad, LoadOptions as NativeLoadOptions, LoadedProgram as LoadedNativeProgram } from './load.js';
export { attachmentOf } from './attachments.js';
export type { NativeAttachment } from './attachments.js';

// Sessions, their maps and tables.
export { NativeSession } from './session.js';
export type { SessionOptions, NativeMapOptions } from './session.js';
export { NativeMap } from './map.js';
export type { NativePerfSample } from './map.js';
export { SegmentError } from './addon.js';
export type { SegmentInfo, ShmMapInfo, ProgEntry, AttachEntry, AgentEntry, LogRecord, FaultKind, AttachKind, AgentState, AgentMode, LogKind } from './addon.js';

// Processes: started under the agent, or a running one injected; detaching.
export { startTraced, preloadEnv, waitExit, injectAgent, agentLibrary } from './agent.js';
export type { SyscallHooks, InjectResult } from './agent.js';
export { attachProcess, detachAgents, ATTACH_WAIT_MS, DETACH_WAIT_MS } from './control.js';
export type { DetachResult } from './control.js';

// The one-command form (`bpftime-vm trace`): a command run under a loaded session's agent, its output as it comes.
export { traceCommand } from './trace.js';
export type { TraceOptions, TraceResult } from './trace.js';

// What programs send, and the state of a session.
export { OutputStream, followOutput, summarize } from './stream.js';
export type { NativeEvent, TraceLine, AgentMessage, StreamRecord, SessionSummary } from './stream.js';

// Compiling a program for the agent (eBPF -> Wasm -> wasm2c -> cc), cached by content hash.
export { compileNative, compileCollectionProgram, nativeSourceOf, nativeCacheDir } from './aot.js';
export type { NativeSource, NativeCompileOptions, CompiledNative } from './aot.js';
