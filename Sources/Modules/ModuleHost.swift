#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import ModuleABI
import RESP

/// The module host: loads shared libraries that follow the Redis module API, keeps what they
/// registered (commands in the one command table, data types, timers), and serves the API.
public final class ModuleHost {
    public let engine: Engine
    public let dispatcher: Dispatcher
    public private(set) var modules: [String: LoadedModule] = [:]
    /// Log sink: level ("debug", "verbose", "notice", "warning") and message.
    public var log: (String, String) -> Void = { _, _ in }
    /// Runs `body` on the engine after `ms` milliseconds (timers); returns a cancel function.
    public var schedule: ((Int64, @escaping () -> Void) -> () -> Void)?
    /// Contexts of the module calls in progress (innermost last).
    var stack: [ModuleCtx] = []
    /// The client Call runs commands as (RedisModule_Call's fake client).
    lazy var callClient: Client = Client(id: Int64.max - 1, address: "", localAddress: "")
    var timers: [UInt64: ModuleTimer] = [:]
    var nextTimerID: UInt64 = 1

    nonisolated(unsafe) static var current: ModuleHost?

    public init(engine: Engine, dispatcher: Dispatcher) {
        self.engine = engine
        self.dispatcher = dispatcher
        callClient.kind = "module"
        ModuleHost.current = self
        ModuleAPI.install()
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Loads the module at `path` and runs its OnLoad with `args`. Errors name the cause.
    @discardableResult
    public func load(path: String, args: [Bytes], client: Client? = nil) throws -> LoadedModule {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw LoadError(message: "Module \(path) failed to load: \(why)")
        }
        guard let onLoad = dlsym(handle, "RedisModule_OnLoad") else {
            dlclose(handle)
            throw LoadError(message: "Module \(path) does not export RedisModule_OnLoad() symbol. Module not loaded.")
        }
        let module = LoadedModule(path: path, args: args, handle: handle)
        let ctx = ModuleCtx(host: self, module: module, client: client, db: client?.db ?? 0)
        let rc = invoke(onLoad, ctx, argv: args)
        module.loading = false
        var failure: String?
        if rc != 0 {
            failure = "Module \(path) initialization failed. Module not loaded"
        } else if module.name.isEmpty {
            failure = "Module \(path) initialization failed: RedisModule_Init was not called. Module not loaded"
        } else if module.apiVersion != 1 {
            failure = "Module \(path) asks for module API version \(module.apiVersion); Mnemo provides version 1. Module not loaded"
        } else if modules[module.name] != nil {
            failure = "Module \(module.name) is already loaded. Module not loaded"
        }
        if let failure {
            discard(module)
            dlclose(handle)
            throw LoadError(message: failure)
        }
        modules[module.name] = module
        log("notice", "Module '\(module.name)' loaded from \(path)")
        return module
    }

    /// Takes back what a module registered (failed load or unload).
    private func discard(_ m: LoadedModule) {
        for c in m.commands { engine.unregister(c) }
        for t in m.types { ModuleTypeRegistry.unregister(t.name) }
        for id in m.timers { timers.removeValue(forKey: id)?.cancel?() }
        m.commands.removeAll()
        m.types.removeAll()
        m.timers.removeAll()
    }

    public func unload(name: String) throws {
        guard let m = modules[name] else {
            throw LoadError(message: "Error unloading module: no such module with that name")
        }
        if m.types.contains(where: { $0.liveValues.value > 0 }) {
            throw LoadError(message: "Error unloading module: the module exports one or more module-side data types, can't unload")
        }
        if m.blockedClients > 0 {
            throw LoadError(message: "Error unloading module: the module has blocked clients. Please wait them unblocked and try again")
        }
        if let onUnload = dlsym(m.handle, "RedisModule_OnUnload") {
            let ctx = ModuleCtx(host: self, module: m, client: nil, db: 0)
            stack.append(ctx)
            let rc = mnemo_invoke_unload(onUnload, ctx.raw)
            stack.removeLast()
            ctx.finish()
            if rc != 0 { throw LoadError(message: "Error unloading module: operation not possible.") }
        }
        discard(m)
        modules[name] = nil
        dlclose(m.handle)
        log("notice", "Module \(name) unloaded")
    }

    /// The module that registered the type with this name, if any.
    func type(named: String) -> ModuleType? {
        for m in modules.values { if let t = m.types.first(where: { $0.name == named }) { return t } }
        return nil
    }

    // MARK: module commands

    /// The command handler for a module command function.
    func handler(for fn: RawPtr, module: LoadedModule, name: String) -> CommandHandler {
        return { [unowned self] cctx in
            let ctx = ModuleCtx(host: self, module: module, client: cctx.client, db: cctx.client.db)
            ctx.argv = cctx.argv
            ctx.command = cctx
            _ = self.invoke(fn, ctx, argv: cctx.argv)
            if let refused = ctx.blockRefused { return .error(refused) }
            if ctx.didBlock { return .null }  // not sent: the client's batch waits for the callbacks
            return self.reply(of: ctx, command: name)
        }
    }

    /// Runs a module function with the (ctx, argv, argc) signature — OnLoad, a command, a
    /// blocked client's callback — with `ctx` on the call stack; the call's memory is released.
    func invoke(_ fn: RawPtr, _ ctx: ModuleCtx, argv: [Bytes]) -> Int32 {
        var handles: [RawPtr?] = argv.map { b in
            let h = ModuleString(b).retainedHandle()
            ctx.ownedStrings.append(h)
            return h
        }
        stack.append(ctx)
        let rc = handles.withUnsafeMutableBufferPointer { mnemo_invoke_command(fn, ctx.raw, $0.baseAddress, Int32($0.count)) }
        stack.removeLast()
        ctx.finish()
        return rc
    }

    /// What a finished call replied: its first reply, or an error naming what went wrong.
    func reply(of ctx: ModuleCtx, command name: String) -> RESPValue {
        if let missing = ctx.unsupported {
            return .error("ERR module '\(ctx.module?.name ?? "")' called \(missing), which Mnemo does not provide")
        }
        guard let first = ctx.reply.replies.first else {
            if !ctx.reply.frames.isEmpty {
                return .error("ERR module command '\(name)' left a postponed array without a length")
            }
            return .error("ERR module command '\(name)' returned without a reply")
        }
        return first
    }

    /// Flags string of CreateCommand → command flags and ACL categories. nil on an unknown flag.
    static func parseFlags(_ s: String) -> (CommandFlags, ACLCategories, getkeysAPI: Bool)? {
        var flags: CommandFlags = []
        var acl: ACLCategories = []
        var getkeys = false
        for word in s.split(separator: " ") {
            switch word.lowercased() {
            case "write": flags.insert(.write)
            case "readonly": flags.insert(.readonly)
            case "admin": flags.insert(.admin)
            case "deny-oom": flags.insert(.denyoom)
            case "deny-script": flags.insert(.noscript)
            case "allow-loading": flags.insert(.loading)
            case "pubsub": flags.insert(.pubsub)
            case "random": break
            case "allow-stale": flags.insert(.stale)
            case "no-monitor": flags.insert(.skipMonitor)
            case "no-slowlog": flags.insert(.skipSlowlog)
            case "fast": flags.insert(.fast)
            case "getkeys-api": getkeys = true
            case "no-cluster", "no-commands": break
            case "no-auth": flags.insert(.noAuth)
            case "may-replicate": break
            case "no-mandatory-keys": flags.insert(.noMandatoryKeys)
            case "blocking": flags.insert(.blocking)
            case "allow-busy": flags.insert(.allowBusy)
            default: return nil
            }
        }
        _ = acl
        acl = []
        return (flags, acl, getkeys)
    }

    /// Legacy first/last/step → one key spec, as Redis derives it for module commands.
    static func keySpecs(first: Int32, last: Int32, step: Int32, flags: CommandFlags) -> [KeySpec] {
        guard first > 0 else { return [] }
        let kflags: KeySpec.Flags = flags.contains(.write) ? [.RW, .access, .update] : (flags.contains(.readonly) ? [.RO, .access] : [.RW, .access, .update])
        let lastKey = last < 0 ? Int(last) : Int(last - first)
        return [KeySpec(begin: .index(Int(first)), find: .range(lastKey: lastKey, step: Int(max(step, 1)), limit: 0), flags: kflags)]
    }
}

/// A module timer (CreateTimer).
final class ModuleTimer {
    let id: UInt64
    let module: LoadedModule
    let callback: RawPtr
    let data: RawPtr?
    let due: Int64
    var cancel: (() -> Void)?
    init(id: UInt64, module: LoadedModule, callback: RawPtr, data: RawPtr?, due: Int64) {
        self.id = id
        self.module = module
        self.callback = callback
        self.data = data
        self.due = due
    }
}
