import Engine
import LuaShim
import RESP

/// The state of one script execution: its own client (database, protocol, user), the rules
/// from its flags, and whether it has written.
final class ScriptRun {
    let engine: Engine
    let dispatcher: Dispatcher
    let client: Client
    var resp: RESPVersion = .resp2
    var noWrites: Bool
    /// Between the start and the end of a run (a run is reused by the next one: see `runProtected`).
    var inUse = false

    init(engine: Engine, dispatcher: Dispatcher, client: Client, noWrites: Bool) {
        self.engine = engine
        self.dispatcher = dispatcher
        self.client = client
        self.noWrites = noWrites
    }
}

/// Lua scripting and Functions: the EVAL script cache and VM, the function libraries and
/// their VM. Everything runs on the engine, except `busy`, which the I/O threads read.
/// Inner commands go through the Dispatcher, so a script's effects join the record of the
/// command that ran it (one atomic record); replay applies effects and never re-runs Lua.
public final class ScriptingEngine {
    public static let redisVersion = "7.0.15"
    public static let redisVersionNum = 0x07_00_0F
    /// FUNCTION LOAD gives library code this long to register its functions (as Redis).
    static let loadTimeoutMicros: Int64 = 500_000

    public let busy = ScriptBusyState()
    /// `busy-reply-threshold` in ms, read at the start of every run.
    public var busyThresholdMs = 5000
    /// `lua-heap-limit` in bytes (0 = none), read at the start of every run.
    public var heapLimit = 1 << 30
    /// redis.log: level (0 debug … 3 warning) and message.
    public var logger: (Int, String) -> Void = { _, _ in }
    /// FUNCTION DUMP / RESTORE payloads (the RDB codec lives in Persistence; the Server sets these).
    public var encodePayload: ([Bytes]) -> Bytes = { _ in [] }
    /// Called on the engine when a running script turns busy (the server lets queued batches
    /// be answered -BUSY by the I/O threads).
    public var onBusy: () -> Void = {}
    public var decodePayload: (Bytes) throws -> [Bytes] = { _ in throw RedisError("DUMP payload version or checksum are wrong") }

    private(set) var evalVM: LuaVM!
    private(set) var functionsVM: LuaVM!
    var scripts: [String: CachedScript] = [:]
    /// The script the last EVALSHA ran: its SHA as sent, as a key of `scripts`, and the script.
    private var lastSHA: (bytes: Bytes, sha: String, script: CachedScript)?
    var libraries: [String: FunctionLibrary] = [:]
    /// Function name → library name.
    var functionOwner: [String: String] = [:]
    /// The client scripts run as (Redis's "lua client"): the caller's user and database.
    let scriptClient: Client

    public init() {
        scriptClient = Client(id: 0)
        scriptClient.kind = "lua"
        scriptClient.nonBlockingDepth = 1
        scriptClient.recordsLastCommand = false
        evalVM = LuaVM(kind: .eval, host: self, heapLimit: 0)
        functionsVM = LuaVM(kind: .functions, host: self, heapLimit: 0)
        busy.onBusy = { [unowned self] name, isFunction, ms in
            self.onBusy()
            self.logger(3, "Slow script detected: still in execution after \(ms) milliseconds. You can try killing the script using the \(isFunction ? "FUNCTION" : "SCRIPT") KILL command. Script name is: \(name).")
        }
    }

    func log(_ level: Int, _ message: String) { logger(level, message) }

    // MARK: running

    /// redis.call: resolved, checked (gates, the script rules from the flags) and run by the Dispatcher.
    /// `nameKey`: the address of the Lua string that named the command (0 if none).
    func execute(_ argv: [Bytes], nameKey: UInt, run: ScriptRun) -> RESPValue {
        var wrote = false
        let reply = run.dispatcher.runFromScript(argv, nameKey: nameKey, client: run.client, names: &commandNames,
                                                 readOnly: run.noWrites, wrote: &wrote)
        if wrote { busy.markWrote() }
        return reply
    }

    /// The commands redis.call names, lent without a lookup (see `ScriptCommandNames`).
    private var commandNames = ScriptCommandNames()

    /// Runs the function on `vm`'s stack (below `nargs` arguments) as `name`; the stack is
    /// restored to `base` afterwards. If the hook suspends it (it ran past its budget inline on
    /// an I/O loop), the engine's `commandSuspended` is set and `finishSuspended` completes it.
    private func runProtected(_ vm: LuaVM, _ ctx: CommandContext, name: String, isFunction: Bool, noWrites: Bool,
                              nargs: Int32, base: Int32) -> RESPValue {
        let client = scriptClient
        client.db = ctx.client.db
        client.user = ctx.client.user
        client.authenticated = ctx.client.authenticated
        client.resp = .resp2
        client.multi = nil
        // One run object serves run after run (a fresh one if it is somehow still in use).
        let run: ScriptRun
        if let spare = spareRun, !spare.inUse, spare.engine === ctx.engine, spare.dispatcher === ctx.dispatcher {
            run = spare
            run.noWrites = noWrites
            run.resp = .resp2
        } else {
            run = ScriptRun(engine: ctx.engine, dispatcher: ctx.dispatcher, client: client, noWrites: noWrites)
            if spareRun?.inUse != true { spareRun = run }
        }
        run.inUse = true
        vm.run = run
        vm.heapLimit = heapLimit
        busy.begin(name: name, command: ctx.argv, isFunction: isFunction, thresholdMs: busyThresholdMs)
        let version = ctx.repliesToConnection ? ctx.client.resp : nil
        let status = vm.protectedCall(nargs: nargs)
        if status == LUA_YIELD {
            suspended = RunEnding(vm: vm, run: run, name: name, base: base, version: version)
            ctx.engine.commandSuspended = true
            return .null
        }
        return finish(vm, run, name: name, base: base, version: version, status)
    }

    /// What ending a run needs: its VM and run, its name, the stack level to restore, and the
    /// protocol of the connection its reply goes to (nil when the caller reads the reply).
    private struct RunEnding {
        let vm: LuaVM
        let run: ScriptRun
        let name: String
        let base: Int32
        let version: RESPVersion?
    }

    private var spareRun: ScriptRun?

    /// The run suspended on an I/O loop, until the engine loop finishes it.
    private var suspended: RunEnding?

    /// On the engine loop (holding the engine, which nothing took since the suspension): runs
    /// the suspended script to its end; returns its reply.
    public func finishSuspended() -> RESPValue {
        guard let ending = suspended else { return .error("ERR no suspended script") }
        suspended = nil
        return finish(ending.vm, ending.run, name: ending.name, base: ending.base, version: ending.version,
                      ending.vm.continueCall())
    }

    /// Ends a run (the pieces of a `RunEnding`, passed apart: a run that was never suspended
    /// builds none) and returns its reply.
    private func finish(_ vm: LuaVM, _ run: ScriptRun, name: String, base: Int32, version: RESPVersion?,
                        _ status: Int32) -> RESPValue {
        let (_, shutdown) = busy.end()
        vm.run = nil
        run.inUse = false
        vm.heapLimit = 0
        let L = vm.L
        let reply: RESPValue
        switch status {
        case LUA_OK:
            reply = version.map { Conversion.encodedReply(L, lua_gettop(L), resp: run.resp, version: $0) }
                ?? Conversion.reply(L, lua_gettop(L), resp: run.resp)
        case LUA_ERRMEM: reply = .error("ERR Lua heap limit exceeded (lua-heap-limit) script: \(name)")
        default: reply = errorReply(L, name: name)
        }
        lua_settop(L, base)
        // SHUTDOWN NOSAVE stopped it: none of its writes may reach the log.
        if shutdown { run.engine.pendingEffects.removeAll() }
        return reply
    }

    /// The reply for a script that raised: Redis's `<message> script: <name>, on <source>:<line>.`
    private func errorReply(_ L: LuaState, name: String?) -> RESPValue {
        let top = lua_gettop(L)
        guard lua_istable(L, top) else {
            let msg = lua_type(L, top) == LUA_TSTRING ? (lua_tostring(L, top)?.text ?? "") : "execution failure"
            return .error(Conversion.statusText("ERR Error running script \(name ?? ""), \(Conversion.trimCRLF(msg))"))
        }
        func rawField(_ key: String) -> Bytes? {
            lua_pushswiftstring(L, key)
            defer { lua_pop(L, 1) }
            let t = lua_rawget(L, top)
            guard t == LUA_TSTRING || t == LUA_TNUMBER else { return nil }
            lua_pushvalue(L, -1)
            defer { lua_pop(L, 1) }
            return lua_tostring(L, -1)
        }
        var text = Conversion.trimCRLF(rawField("err")?.text ?? "ERR unknown error")
        if let name, let source = rawField("source"), let line = rawField("line") {
            text += " script: \(name), on \(source.text):\(line.text)."
        }
        return .error(Conversion.statusText(text))
    }

    private static func pushList(_ L: LuaState, _ items: ArraySlice<Bytes>) {
        lua_createtable(L, Int32(clamping: items.count), 0)
        // Each element's bytes read where they lie: `withUnsafeBytes` on an element retains
        // and releases it.
        items.withUnsafeBufferPointer { list in
            guard let base = list.baseAddress else { return }
            for i in list.indices {
                let bytes = (base + i).pointee._baseAddressIfContiguous
                _ = lua_pushlstring(L, UnsafeRawPointer(bytes)?.assumingMemoryBound(to: CChar.self), (base + i).pointee.count)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        }
    }

    /// `numkeys key… arg…` after the script or function name.
    static func splitKeys(_ argv: [Bytes]) throws -> (ArraySlice<Bytes>, ArraySlice<Bytes>) {
        guard let n = Numbers.parseInt(argv[2]) else { throw RedisError.notInteger }
        if n > Int64(argv.count - 3) { throw RedisError("Number of keys can't be greater than number of args") }
        if n < 0 { throw RedisError("Number of keys can't be negative") }
        let split = 3 + Int(n)
        return (argv[3..<split], argv[split...])
    }

    // MARK: EVAL

    func eval(_ ctx: CommandContext, bySHA: Bool, readOnly: Bool) throws -> RESPValue {
        let (keys, args) = try ScriptingEngine.splitKeys(ctx.argv)
        let sha: String
        let script: CachedScript
        if bySHA {
            // A client calling one script over and over is the common case: no lowercasing,
            // String or dictionary lookup when it is the same SHA as last time.
            if let last = lastSHA, last.bytes == ctx.argv[1] {
                (sha, script) = (last.sha, last.script)
            } else {
                sha = ctx.argv[1].lower
                guard let s = scripts[sha] else { throw RedisError("NOSCRIPT", "No matching script. Please use EVAL.") }
                script = s
                lastSHA = (ctx.argv[1], sha, s)
            }
        } else {
            sha = SHA1.hex(ctx.argv[1])
            script = try scripts[sha] ?? createScript(ctx.argv[1], sha: sha)
        }
        if readOnly && script.hasShebang && !script.flags.contains(.noWrites) {
            throw RedisError("Can not execute a script with write flag using *_ro command.")
        }
        let vm = evalVM!
        let L = vm.L
        let base = lua_gettop(L)
        lua_rawgeti(L, LUA_REGISTRYINDEX_, lua_Integer(script.ref))
        vm.pushRegistry(.storage)
        ScriptingEngine.pushList(L, keys)
        lua_setfield(L, -2, "KEYS")
        ScriptingEngine.pushList(L, args)
        lua_setfield(L, -2, "ARGV")
        lua_pop(L, 1)
        return runProtected(vm, ctx, name: sha, isFunction: false,
                            noWrites: readOnly || script.flags.contains(.noWrites), nargs: 0, base: base)
    }

    /// Compiles and caches a script (EVAL, SCRIPT LOAD).
    @discardableResult
    func createScript(_ body: Bytes, sha: String) throws -> CachedScript {
        if let s = scripts[sha] { return s }
        let (flags, hasShebang, code) = try CachedScript.parseShebang(body)
        let vm = evalVM!
        let L = vm.L
        if let msg = vm.compile(code, chunkName: LuaVM.chunkEval, pushEnv: { vm.pushRegistry(.env) }) {
            throw RedisError(Conversion.statusText("Error compiling script (new function): \(msg)"))
        }
        // The compiled function stays in the registry under an integer reference (no SHA key).
        let ref = luaL_ref(L, LUA_REGISTRYINDEX_)
        let s = CachedScript(body: body, flags: flags, hasShebang: hasShebang, ref: ref)
        scripts[sha] = s
        return s
    }

    /// SCRIPT FLUSH: forget every script and start a fresh VM (as Redis does).
    func flushScripts() {
        scripts.removeAll()
        lastSHA = nil
        evalVM = LuaVM(kind: .eval, host: self, heapLimit: 0)
    }

    // MARK: Functions

    func fcall(_ ctx: CommandContext, readOnly: Bool) throws -> RESPValue {
        let fname = ctx.argv[1].text
        guard let owner = functionOwner[fname], let fn = libraries[owner]?.functions.first(where: { $0.name == fname }) else {
            throw RedisError("Function not found")
        }
        let (keys, args) = try ScriptingEngine.splitKeys(ctx.argv)
        if readOnly && !fn.flags.contains(.noWrites) {
            throw RedisError("Can not execute a script with write flag using *_ro command.")
        }
        let vm = functionsVM!
        let L = vm.L
        let base = lua_gettop(L)
        lua_rawgeti(L, LUA_REGISTRYINDEX_, lua_Integer(fn.ref))
        ScriptingEngine.pushList(L, keys)
        ScriptingEngine.pushList(L, args)
        return runProtected(vm, ctx, name: fname, isFunction: true,
                            noWrites: readOnly || fn.flags.contains(.noWrites), nargs: 2, base: base)
    }

    /// FUNCTION LOAD: runs the library's code in its own sandbox and registers its functions.
    @discardableResult
    public func loadLibrary(_ code: Bytes, replace: Bool) throws -> String {
        do {
            return try load(code, replace: replace)
        } catch let e as RedisError {
            // Messages quote the user's code: no line breaks in an error reply.
            throw RedisError(e.code, Conversion.statusText(Conversion.trimCRLF(e.message)))
        }
    }

    private func load(_ code: Bytes, replace: Bool) throws -> String {
        let meta = try FunctionLibrary.parseMetadata(code)
        guard meta.engine.lowercased() == "lua" else { throw RedisError("Engine '\(meta.engine)' not found") }
        guard FunctionLibrary.isValidName(Bytes(meta.name)) else {
            throw RedisError("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        }
        if libraries[meta.name] != nil && !replace { throw RedisError("Library '\(meta.name)' already exists") }
        let vm = functionsVM!
        let L = vm.L
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        let builder = LibraryBuilder(name: meta.name)
        func discard() { for f in builder.functions { luaL_unref(L, LUA_REGISTRYINDEX_, f.ref) } }

        vm.pushRegistry(.libraryEnv)
        guard lua_pcall(L, 0, 2, 0) == LUA_OK else { throw RedisError("Error registering functions: cannot create the library environment") }
        let env = lua_gettop(L) - 1
        if let msg = vm.compile(meta.body, chunkName: LuaVM.chunkFunction, pushEnv: { lua_pushvalue(L, env) }) {
            throw RedisError("Error compiling function: \(msg)")
        }
        vm.loading = builder
        vm.heapLimit = heapLimit
        let status = vm.protectedCall(nargs: 0)
        vm.loading = nil
        vm.heapLimit = 0
        if status != LUA_OK {
            let reply = status == LUA_ERRMEM ? RESPValue.error("ERR Lua heap limit exceeded (lua-heap-limit)") : errorReply(L, name: nil)
            discard()
            throw RedisError("Error registering functions: \(reply.string ?? "ERR unknown error")")
        }
        if builder.functions.isEmpty { throw RedisError("No functions registered") }
        for f in builder.functions {
            if let other = functionOwner[f.name], other != meta.name {
                discard()
                throw RedisError("Function \(f.name) already exists")
            }
        }
        // The library's globals switch from the load-time API to the full one.
        lua_pushvalue(L, env + 1)
        _ = lua_pcall(L, 0, 0, 0)
        if libraries[meta.name] != nil { deleteLibrary(meta.name) }
        libraries[meta.name] = FunctionLibrary(name: meta.name, code: code, functions: builder.functions)
        for f in builder.functions { functionOwner[f.name] = meta.name }
        updateCounts()
        return meta.name
    }

    @discardableResult
    func deleteLibrary(_ name: String) -> Bool {
        guard let lib = libraries.removeValue(forKey: name) else { return false }
        for f in lib.functions {
            luaL_unref(functionsVM.L, LUA_REGISTRYINDEX_, f.ref)
            functionOwner[f.name] = nil
        }
        updateCounts()
        return true
    }

    func flushLibraries() {
        libraries.removeAll()
        functionOwner.removeAll()
        functionsVM = LuaVM(kind: .functions, host: self, heapLimit: 0)
        updateCounts()
    }

    private func updateCounts() {
        busy.setCounts(libraries: libraries.count, functions: functionOwner.count)
    }

    /// Library codes in a stable order: what snapshots (RDB FUNCTION2) and FUNCTION DUMP carry.
    public var libraryCodes: [Bytes] { libraries.keys.sorted().map { libraries[$0]!.code } }

    /// Loads libraries found in a snapshot; returns the errors of those that failed.
    public func loadLibraries(_ codes: [Bytes]) -> [String] {
        var errors: [String] = []
        for code in codes {
            do { try loadLibrary(code, replace: true) } catch { errors.append("\(error)") }
        }
        return errors
    }

    enum RestorePolicy { case flush, append, replace }

    /// FUNCTION RESTORE: all or nothing.
    func restore(_ payload: Bytes, policy: RestorePolicy) throws {
        let codes = try decodePayload(payload)
        let metas = try codes.map { try FunctionLibrary.parseMetadata($0) }
        let previous = libraries.values.map(\.code)
        switch policy {
        case .append:
            for m in metas where libraries[m.name] != nil { throw RedisError("Library \(m.name) already exists") }
        case .flush:
            flushLibraries()
        case .replace:
            break
        }
        var loaded: [String] = []
        do {
            for code in codes { loaded.append(try loadLibrary(code, replace: policy == .replace)) }
        } catch {
            // Undo: back to the libraries as they were.
            if policy == .flush {
                flushLibraries()
            } else {
                for name in loaded { deleteLibrary(name) }
            }
            for code in previous {
                if let m = try? FunctionLibrary.parseMetadata(code), libraries[m.name] == nil {
                    _ = try? loadLibrary(code, replace: false)
                }
            }
            throw error
        }
    }
}
