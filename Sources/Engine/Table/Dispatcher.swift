import RESP

/// A check the dispatcher runs before executing (ACL, MULTI queueing, OOM, …). Returning a
/// reply short-circuits execution with that reply.
public typealias DispatchGate = (_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> RESPValue?

/// The one path every command takes: clients, MULTI, scripts and modules.
public final class Dispatcher {
    public let engine: Engine
    /// The spec the last `execute` resolved (nil if the command was unknown or had bad arity).
    public private(set) var lastResolved: CommandSpec?
    /// Gates run in order after lookup and arity. Every command passes each of them, so they
    /// are called without reference counting: a closure loaded from an array is retained,
    /// released and called through a reabstraction thunk, which cost 4% of a pipelined GET.
    /// `gateBoxes` owns the boxes `gates` points to.
    private var gates: [Unmanaged<Gate>] = []
    private var names = CommandNameCache()
    private var gateBoxes: [Gate] = []

    private final class Gate {
        let check: DispatchGate
        init(_ check: @escaping DispatchGate) { self.check = check }
    }

    public init(engine: Engine) {
        self.engine = engine
        insert(TransactionCommands.gate, at: 0)
    }

    /// Runs the gates that come before MULTI queueing (EXEC re-checks queued commands with
    /// them: ACL may have changed since the command was queued).
    public func runCheckGates(_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> RESPValue? {
        for i in 0..<queueGatePosition {
            if let reply = gates[i]._withUnsafeGuaranteedRef({ $0.check(client, spec, argv) }) { return countError(reply) }
        }
        return nil
    }

    /// Index of the MULTI queueing gate in `gates`; gates inserted before it run first.
    private(set) var queueGatePosition = 0

    /// Adds a gate that must run before MULTI queueing (ACL, LOADING, MISCONF…); `first` puts
    /// it before every other gate (auth/ACL comes first on a command's path).
    public func insertGate(first: Bool = false, _ gate: @escaping DispatchGate) {
        insert(gate, at: first ? 0 : queueGatePosition)
        queueGatePosition += 1
    }

    private func insert(_ gate: @escaping DispatchGate, at index: Int) {
        let box = Gate(gate)
        gateBoxes.append(box)
        gates.insert(Unmanaged.passUnretained(box), at: index)
    }

    /// Resolves the spec for argv: the command, or its subcommand. Errors are Redis's texts.
    /// For calls from inside (scripts, modules, ACL, CLIENT PAUSE): they leave the one-entry
    /// name cache to the clients' commands, which a script's calls would otherwise evict each time.
    public func resolve(_ argv: [Bytes]) -> Result<CommandSpec, RedisError> {
        var error: RedisError?
        if let spec = resolve(argv, error: &error) { return .success(spec) }
        return .failure(error!)
    }

    /// `resolve` with the error in `error`, for the paths a script's every call takes:
    /// destroying a `Result` goes through the runtime's generic value witnesses.
    public func resolve(_ argv: [Bytes], error: inout RedisError?) -> CommandSpec? {
        resolveSpec(argv, argv.first.flatMap { engine.table.lookup($0) }, &error)
    }

    /// The spec for argv given its command's spec (`found`, nil if unknown).
    @inline(__always) private func resolveSpec(_ argv: [Bytes], _ found: CommandSpec?, _ error: inout RedisError?) -> CommandSpec? {
        guard var spec = found else {
            error = Dispatcher.unknownCommand(argv)
            return nil
        }
        if !spec.subcommands.isEmpty && !(argv.count == 1 && spec.handler != nil) {
            guard argv.count >= 2 else {
                error = .wrongArity(spec.name)
                return nil
            }
            let subName = argv[1].lower
            guard let sub = spec.subcommands.first(where: { $0.name == subName }) else {
                error = RedisError("unknown subcommand '\(Dispatcher.clip(argv[1]))'. Try \(spec.name.uppercased()) HELP.")
                return nil
            }
            spec = sub
        }
        if Dispatcher.wrongArity(spec.arity, argv.count) {
            error = .wrongArity(spec.fullName)
            return nil
        }
        return spec
    }

    /// A call from a script (redis.call): the command comes from `names` (the scripting
    /// engine's cache, lent without a lookup or reference counting, found by `nameKey`: see
    /// `ScriptCommandNames`); it is refused if flagged noscript, or a write in a read-only
    /// script (`readOnly`), and checked by the gates before MULTI queueing, then run. `wrote`
    /// is set when a write command is let through.
    public func runFromScript(_ argv: [Bytes], nameKey: UInt, client: Client, names: inout ScriptCommandNames,
                              readOnly: Bool, wrote: inout Bool) -> RESPValue {
        guard let box = names.lend(argv, key: nameKey, in: engine) else {
            return .error("ERR Unknown Redis command called from script")
        }
        return box._withUnsafeGuaranteedRef { storage in
            let found = CommandSpec(storage: storage)
            if storage.subcommands.isEmpty {
                if Dispatcher.wrongArity(storage.arity, argv.count) {
                    return .error("ERR Wrong number of args calling Redis command from script")
                }
                return runScriptCall(found, argv, client, readOnly, &wrote)
            }
            var error: RedisError?
            guard let spec = resolveSpec(argv, found, &error) else {
                return .error(error!.message.hasPrefix("wrong number of arguments")
                    ? "ERR Wrong number of args calling Redis command from script"
                    : "ERR Unknown Redis command called from script")
            }
            return runScriptCall(spec, argv, client, readOnly, &wrote)
        }
    }

    @inline(__always) private func runScriptCall(_ spec: CommandSpec, _ argv: [Bytes], _ client: Client,
                                                 _ readOnly: Bool, _ wrote: inout Bool) -> RESPValue {
        if spec.flags.contains(.noscript) { return .error("ERR This Redis command is not allowed from script") }
        if let rejected = runCheckGates(client, spec, argv) { return rejected }
        if spec.flags.contains(.write) {
            if readOnly { return .error("ERR Write commands are not allowed from read-only scripts.") }
            wrote = true
        }
        return run(spec, argv, client: client)
    }

    /// Redis's arity rule: exactly `arity` arguments (name included), or at least `-arity`.
    @inline(__always) static func wrongArity(_ arity: Int, _ argc: Int) -> Bool {
        (arity > 0 && argc != arity) || argc < -arity
    }

    static func clip(_ b: Bytes) -> String { String(decoding: b.prefix(128), as: UTF8.self) }

    static func unknownCommand(_ argv: [Bytes]) -> RedisError {
        let name = argv.first.map(clip) ?? ""
        var args = ""
        for a in argv.dropFirst() {
            if args.utf8.count >= 128 { break }
            args += "'\(String(decoding: a.prefix(128 - args.utf8.count), as: UTF8.self))' "
        }
        return RedisError("unknown command '\(name)', with args beginning with: \(args)")
    }

    /// Executes one command for `client` and returns its reply. Effects accumulate in
    /// `engine.pendingEffects`; the caller commits them as one record.
    public func execute(_ argv: [Bytes], client: Client) -> RESPValue {
        // The command's spec borrowed from the name cache: no reference counting.
        guard let name = argv.first, let box = names.lend(name, in: engine) else {
            return reject(Dispatcher.unknownCommand(argv), argv, client)
        }
        return box._withUnsafeGuaranteedRef { dispatch(CommandSpec(storage: $0), argv, client) }
    }

    /// Resolves the subcommand if any, checks arity, then runs the gates and the command.
    @inline(__always) private func dispatch(_ found: CommandSpec, _ argv: [Bytes], _ client: Client) -> RESPValue {
        if !found.storage.subcommands.isEmpty {
            var error: RedisError?
            guard let spec = resolveSpec(argv, found, &error) else { return reject(error!, argv, client) }
            return admit(spec, argv, client)
        }
        if Dispatcher.wrongArity(found.storage.arity, argv.count) { return reject(.wrongArity(found.fullName), argv, client) }
        return admit(found, argv, client)
    }

    /// An unknown command or a wrong number of arguments.
    private func reject(_ error: RedisError, _ argv: [Bytes], _ client: Client) -> RESPValue {
        lastResolved = nil
        // A command rejected while queueing dooms the transaction (EXECABORT).
        if client.multi != nil { client.multi!.failed = true }
        if let s = engine.table.lookup(argv.first ?? []) { s.stats.rejectedCalls += 1 }
        return errorReply(error)
    }

    /// Runs the gates, then the command if they let it through.
    @inline(__always) private func admit(_ spec: CommandSpec, _ argv: [Bytes], _ client: Client) -> RESPValue {
        if lastResolved?.storage !== spec.storage { lastResolved = spec }  // a pipeline repeats it
        for i in 0..<gates.count {
            if let reply = gates[i]._withUnsafeGuaranteedRef({ $0.check(client, spec, argv) }) {
                if reply.isError {
                    spec.stats.rejectedCalls += 1
                    // Rejected before queueing (ACL, OOM…) inside MULTI: EXEC will abort.
                    if client.multi != nil && i < queueGatePosition { client.multi!.failed = true }
                }
                return countError(reply)
            }
        }
        return run(spec, argv, client: client, repliesToConnection: true)
    }

    /// Applies a logged effect during recovery: resolved and run, past the gates (ACL, LOADING…).
    public func replay(_ argv: [Bytes], client: Client) -> RESPValue {
        switch resolve(argv) {
        case .success(let spec): return run(spec, argv, client: client)
        case .failure(let e): return .error(e.text)
        }
    }

    /// Runs a resolved command past the gates (EXEC uses it for queued commands).
    /// `repliesToConnection`: the reply is only encoded for a connection (see `CommandContext`).
    public func run(_ spec: CommandSpec, _ argv: [Bytes], client: Client, repliesToConnection: Bool = false) -> RESPValue {
        // The handler and the counters are `let`s of the spec's box: borrowed, not retained.
        let box = spec.storage
        guard box.handler != nil else { return errorReply(RedisError("command has no handler")) }
        var ctx = CommandContext(engine: engine, client: client, argv: argv, spec: spec, dispatcher: self,
                                 repliesToConnection: repliesToConnection)
        // A pipeline repeats its command: only a different one costs a retain and a release.
        if client.recordsLastCommand && client.lastSpec?.storage !== box { client.lastSpec = spec }
        let start = CommandClock.ticks()
        let reply: RESPValue
        var failed = false
        do {
            reply = try box.handler!(&ctx)
            if reply.isError { failed = true }
        } catch let e as RedisError {
            failed = true
            reply = .error(e.text)
        } catch {
            failed = true
            reply = .error("ERR \(error)")
        }
        let elapsed = CommandClock.nanos(since: start)
        engine.stats.commandsProcessed += 1
        box.stats.calls += 1
        box.stats.nanoseconds += elapsed
        if failed { box.stats.failedCalls += 1 }
        if elapsed / 1000 >= engine.commandTimingThreshold, let report = engine.onCommandTimed {
            report(spec, argv, client, elapsed / 1000)
        }
        return failed ? countError(reply) : reply
    }

    func errorReply(_ e: RedisError) -> RESPValue { countError(.error(e.text)) }

    @discardableResult
    func countError(_ reply: RESPValue) -> RESPValue {
        if case .error(let text) = reply {
            engine.stats.totalErrorReplies += 1
            let code = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "ERR"
            engine.stats.errors[code, default: 0] += 1
        }
        return reply
    }
}
