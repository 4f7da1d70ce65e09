import Engine
import LuaShim
import RESP

/// One Lua state with Redis's sandbox: the EVAL VM, or the FUNCTION VM shared by all libraries.
/// Swift functions called from Lua reach their VM through the heap's `owner` pointer and never
/// raise: they return a status the C trampoline acts on (see LuaShim.h).
final class LuaVM {
    enum Kind { case eval, functions }

    let L: LuaState
    /// The coroutine scripts and library code run in, so that a script running inline on an
    /// I/O loop can be suspended and finished on the engine loop (see `ScriptingEngine.finishSuspended`).
    let co: LuaState
    let kind: Kind
    private let heap: UnsafeMutablePointer<mnemo_heap>
    unowned let host: ScriptingEngine
    /// `host` lent without reference counting to redis.call (an `unowned` reference is
    /// retained twice per use); the engine owns this VM, so it outlives every call.
    let hostRef: Unmanaged<ScriptingEngine>
    /// redis.call's argument array, emptied and reused (it is unique again after the call
    /// unless the command kept it, e.g. as its logged effect).
    var spareArguments: [Bytes] = []
    /// Recent short arguments of redis.call by the address of their Lua string (see `cachedArgument`).
    var argumentCache = [(address: UnsafeRawPointer?, bytes: Bytes)](repeating: (nil, []), count: 1 << LuaVM.argumentCacheBits)
    static let argumentCacheBits = 8
    /// Recent integer arguments of redis.call and their text (see `integerArgument`).
    var integerCache = [(value: Int64, bytes: Bytes)](repeating: (0, []), count: 1 << LuaVM.integerCacheBits)
    static let integerCacheBits = 4
    /// Lua keeps one copy of each string up to this long (LUAI_MAXSHORTLEN).
    static let cachedArgumentLength = 40
    /// The script or function being executed (nil between runs).
    var run: ScriptRun? {
        didSet { runRef = run.map { .passUnretained($0) } }
    }
    /// `run` lent to redis.call without reference counting (`run` keeps it alive).
    private(set) var runRef: Unmanaged<ScriptRun>?
    /// The library being loaded by FUNCTION LOAD (register_function adds to it).
    var loading: LibraryBuilder?

    static let chunkEval = "@user_script"
    static let chunkFunction = "@user_function"
    /// Instructions between two checks of the time limit and the kill flag (as Redis), once a
    /// run has lasted about a millisecond (see `mnemo_run_begin`).
    static let hookInterval: Int32 = 100_000

    init(kind: Kind, host: ScriptingEngine, heapLimit: Int) {
        self.kind = kind
        self.host = host
        hostRef = .passUnretained(host)
        heap = .allocate(capacity: 1)
        heap.initialize(to: mnemo_heap(used: 0, limit: heapLimit, enforce: 0, hook: LuaVM.hook, owner: nil))
        guard let state = mnemo_newstate(heap) else { fatalError("cannot create a Lua state") }
        L = state
        co = lua_newthread(state)!
        _ = luaL_ref(state, LUA_REGISTRYINDEX_)  // the registry keeps the coroutine alive
        heap.pointee.owner = Unmanaged.passUnretained(self).toOpaque()
        mnemo_open_libs(L)
        installSandbox()
    }

    deinit {
        lua_close(L)
        heap.deallocate()
    }

    static func from(_ L: LuaState?) -> LuaVM {
        Unmanaged<LuaVM>.fromOpaque(mnemo_heap_of(L!)!.pointee.owner!).takeUnretainedValue()
    }

    /// The VM of `L` lent to `body` (the engine holds it while its script runs): a call from
    /// Lua (redis.call) then costs no reference counting.
    @inline(__always) static func with<R>(_ L: LuaState?, _ body: (LuaVM) -> R) -> R {
        Unmanaged<LuaVM>.fromOpaque(mnemo_heap_of(L!)!.pointee.owner!)._withUnsafeGuaranteedRef(body)
    }

    var heapLimit: Int {
        get { heap.pointee.limit }
        set { heap.pointee.limit = newValue }
    }

    var heapUsed: Int { heap.pointee.used }

    // MARK: sandbox

    private func installSandbox() {
        let rc = Sandbox.prelude.withCString { p in mnemo_load(L, p, strlen(p), "=mnemo") }
        precondition(rc == LUA_OK, "sandbox prelude does not compile: \(lua_tostring(L, -1)?.text ?? "")")
        lua_createtable(L, 0, 10)
        let api = lua_gettop(L)
        lua_setfunction(L, api, "call", RedisAPI.call)
        lua_setfunction(L, api, "pcall", RedisAPI.pcall)
        lua_setfunction(L, api, "sha1hex", RedisAPI.sha1hex)
        lua_setfunction(L, api, "log", RedisAPI.log)
        lua_setfunction(L, api, "setresp", RedisAPI.setresp)
        lua_setfunction(L, api, "set_repl", RedisAPI.setRepl)
        lua_setfunction(L, api, "acl_check_cmd", RedisAPI.aclCheckCmd)
        if kind == .functions { lua_setfunction(L, api, "register_function", RedisAPI.registerFunction) }
        lua_pushswiftstring(L, ScriptingEngine.redisVersion)
        lua_setfield(L, api, "version")
        lua_pushinteger(L, lua_Integer(ScriptingEngine.redisVersionNum))
        lua_setfield(L, api, "version_num")
        let status = lua_pcall(L, 1, 1, 0)
        precondition(status == LUA_OK, "sandbox prelude failed: \(lua_tostring(L, -1)?.text ?? "")")
        for table in RegistryTable.allCases {
            lua_getfield(L, -1, table.name)
            registryRefs[table.rawValue] = luaL_ref(L, LUA_REGISTRYINDEX_)
        }
        lua_pop(L, 1)
    }

    /// The prelude's tables, kept in the registry under integer references: every script run
    /// fetches some of them, and an integer key costs no string building or hashing.
    enum RegistryTable: Int, CaseIterable {
        case env, storage, handler, libraryEnv
        var name: String { "\(self)" }
    }
    private var registryRefs = [Int32](repeating: 0, count: RegistryTable.allCases.count)

    func pushRegistry(_ table: RegistryTable) { lua_rawgeti(L, LUA_REGISTRYINDEX_, lua_Integer(registryRefs[table.rawValue])) }

    /// Compiles `code` as a chunk whose globals are `env` (pushed by `pushEnv`); leaves the
    /// function on the stack, or returns the compiler's message.
    func compile(_ code: Bytes, chunkName: String, pushEnv: () -> Void) -> String? {
        let rc = code.withUnsafeBufferPointer { p in
            mnemo_load(L, UnsafeRawPointer(p.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self), p.count, chunkName)
        }
        if rc != LUA_OK {
            let msg = lua_tostring(L, -1)?.text ?? "unknown error"
            lua_pop(L, 1)
            return msg
        }
        pushEnv()
        lua_setupvalue(L, -2, 1)  // _ENV
        return nil
    }

    /// Calls the function below `nargs` arguments with the message handler, the heap budget
    /// and the time hook, in the coroutine. Leaves one result (or the error value) on the
    /// stack; or returns LUA_YIELD if the hook suspended it (finish with `continueCall`).
    func protectedCall(nargs: Int32) -> Int32 {
        let fnIndex = lua_gettop(L) - nargs
        pushRegistry(.handler)
        lua_insert(L, fnIndex)
        mnemo_run_begin(co, LuaVM.hookInterval)
        return ended(mnemo_resume(L, co, nargs))
    }

    /// Continues a call the hook suspended (on another thread: the watchdog follows it).
    func continueCall() -> Int32 {
        mnemo_run_begin(co, LuaVM.hookInterval)
        return ended(mnemo_continue(L, co))
    }

    private func ended(_ status: Int32) -> Int32 {
        if status == LUA_YIELD { return status }
        mnemo_run_end(co)
        if status == LUA_ERRMEM { mnemo_gc_collect(L) }
        return status
    }

    // MARK: hook

    /// The count hook: the time limit, SCRIPT KILL / FUNCTION KILL, and the FUNCTION LOAD timeout.
    static let hook: mnemo_swift_hook = { L in
        let vm = LuaVM.from(L)
        if let builder = vm.loading {
            if Engine.monotonicMicros() - builder.startMicros > ScriptingEngine.loadTimeoutMicros {
                lua_pushswiftstring(L!, "FUNCTION LOAD timeout")
                return 1
            }
            return 0
        }
        guard let run = vm.run else { return 0 }
        if vm.host.busy.check() {
            lua_pusherrortable(L!, "ERR Script killed by user with SCRIPT KILL...")
            return 1
        }
        // Running inline on an I/O loop past its budget: suspend, to be finished on the engine loop.
        if run.engine.scriptsMayYield && vm.host.busy.pastInlineBudget() { return 2 }
        return 0
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
