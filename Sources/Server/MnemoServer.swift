#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Dispatch
import Persistence
import Engine
import ACL
import Logging
import Modules
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PubSub
import RESP
import Scripting

/// The result of executing one batch of a connection's requests on the engine.
struct BatchResult {
    var output: ByteBuffer
    var close: Bool
    /// The log sequence that must be durable before `output` may be sent (0 = none).
    var barrier: UInt64
    /// A command blocked: the batch continues when the client is unblocked.
    var suspended: Bool
}

/// The rest of a batch whose client is blocked, and the replies produced before it.
struct SuspendedBatch {
    var remaining: ArraySlice<Request>
    var output: ByteBuffer
}

/// The server: listeners on I/O event loops, one engine loop that owns the keyspace.
public final class MnemoServer: @unchecked Sendable {
    public let config: ServerConfig
    public let engine: Engine
    public let dispatcher: Dispatcher
    public var logger: Logger
    let ioGroup: MultiThreadedEventLoopGroup
    let engineGroup: MultiThreadedEventLoopGroup
    /// The engine's own loop: handed-off batches, timers, scripts, recovery. Whoever touches
    /// engine state holds `engineMutex` (see `onEngine`); I/O loops may run short batches inline.
    public let engineLoop: EventLoop
    let engineMutex = EngineMutex()
    /// Each I/O loop's replies waiting for the log (see `HeldReplies`).
    private var held: [ObjectIdentifier: HeldReplies] = [:]
    /// When each I/O loop flushes its replies (see `TickFlush`).
    private var flushes: [ObjectIdentifier: TickFlush] = [:]
    /// When each I/O loop runs the requests it reads (see `TickSubmit`).
    private var submits: [ObjectIdentifier: TickSubmit] = [:]
    private var listeners: [Channel] = []
    private let connectionCount = NIOLockedValueBox(0)
    public let startTime = Engine.wallClockMs()
    let runID: String
    private var shutdownPromise: EventLoopPromise<Void>
    private var isShuttingDown = false
    public var statConnectionsReceived = NIOLockedValueBox<Int64>(0)
    public var statRejectedConnections = NIOLockedValueBox<Int64>(0)
    var persistence: PersistenceHooks?
    /// The same controller, lent to the per-command path without reference counting (a
    /// reference to it, even a local one, was retained and released twice per command).
    private var persistenceRef: Unmanaged<PersistenceController>?
    public static let version = "0.1.0"
    /// What clients see as the server version: Redis 7.0-compatible.
    public static let redisVersion = "7.0.15"
    public var configFile = ""
    /// Called by RESET for families that keep per-client state (transactions, pub/sub, ACL).
    var resetHooks: [(Client) -> Void] = []
    /// Set by the ACL family: checks credentials for HELLO AUTH / AUTH, throws WRONGPASS.
    var authenticate: ((Client, Bytes, Bytes) throws -> Void)?
    /// Users, permissions, ACL LOG (its gate is the Dispatcher's first).
    var acl: AccessControl?
    /// Whether a new connection must authenticate first (read by the I/O loops for the decoder's limits).
    let aclAuthRequired = NIOLockedValueBox(false)
    var activeExpireEnabled = true
    /// SLOWLOG and the latency monitor.
    let monitor = CommandMonitor()
    /// CLIENT PAUSE state (see ClientPause.swift).
    var clientPause = ClientPause()
    /// Extra DEBUG subcommands registered by other families.
    var debugHandlers: [String: CommandHandler] = [:]
    var peakMemory: Int64 = 0
    var opsPerSecond: Int64 = 0
    private var opsSample: (time: Int64, commands: Int64) = (0, 0)
    var blockedClients: Int { engine.blocking.blockedCount }
    /// Engine-side: the session of each client, and batches suspended by blocking commands.
    var sessions: [Int64: SessionHandler] = [:]
    /// Every open connection's session, kept by the I/O loops (not the engine): a script turning
    /// busy must reach connections accepted while it runs, whose engine-side registration
    /// (`sessions`) is queued behind the script.
    let openSessions = NIOLockedValueBox<[ObjectIdentifier: SessionHandler]>([:])
    var suspended: [Int64: SuspendedBatch] = [:]
    /// Scripts finished on the engine loop after running past their budget inline (engine only).
    var scriptsMovedToEngineLoop = 0
    /// FUNCTION libraries found in the snapshot: loaded at once, before the log replays.
    var loadedFunctions: [Bytes] = [] { didSet { loadSnapshotFunctions(loadedFunctions) } }
    /// Lua scripting and Functions (EVAL, FCALL…); its busy state is read by the I/O threads.
    public private(set) var scripting: ScriptingEngine?
    /// Native modules (MODULE LOAD, `loadmodule`).
    public private(set) var moduleHost: ModuleHost?
    /// What FUNCTION libraries a snapshot should carry (the scripting family replaces this).
    var functionsForSnapshot: () -> [Bytes] = { [] }
    /// Extra aux fields a snapshot carries (ACL users), and what to do with them on load.
    var snapshotAux: () -> [(String, Bytes)] = { [] }
    var snapshotAuxLoaded: ([String: Bytes]) -> Void = { _ in }
    var pubsubCounts: () -> (channels: Int, patterns: Int) = { (0, 0) }
    /// Channels, patterns, shard channels, PUBLISH fan-out, keyspace notifications.
    let pubsub = PubSubHub()
    /// `client-output-buffer-limit`, read by the sessions on the I/O loops.
    let outputLimits = NIOLockedValueBox(OutputBufferLimits())
    var persistenceInfo: () -> [(String, String)] = {
        [("loading", "0"), ("async_loading", "0"), ("rdb_changes_since_last_save", "0"),
         ("rdb_bgsave_in_progress", "0"), ("rdb_last_save_time", "0"), ("rdb_last_bgsave_status", "ok"),
         ("aof_enabled", "0"), ("aof_rewrite_in_progress", "0"), ("aof_last_write_status", "ok")]
    }

    public init(config: ServerConfig) throws {
        self.config = config
        var settings = EngineSettings()
        settings.databases = config.int("databases")
        settings.protoMaxBulkLength = config.int("proto-max-bulk-len")
        settings.hz = config.int("hz")
        settings.activeExpireEffort = config.int("active-expire-effort")
        engine = Engine(settings: settings)
        dispatcher = Dispatcher(engine: engine)
        logger = Logger(label: "mnemo")
        // io-threads 0 (default) = one I/O loop per core beyond the engine's, at least one.
        let configured = config.int("io-threads")
        let ioThreads = configured > 0 ? configured : max(1, min(4, System.coreCount - 1))
        ioGroup = MultiThreadedEventLoopGroup(numberOfThreads: ioThreads)
        engineGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        engineLoop = engineGroup.next()
        for loop in ioGroup.makeIterator() {
            held[ObjectIdentifier(loop)] = HeldReplies(loop: loop)
            flushes[ObjectIdentifier(loop)] = TickFlush(loop: loop)
            submits[ObjectIdentifier(loop)] = TickSubmit(loop: loop, engine: engine, engineMutex: engineMutex)
        }
        shutdownPromise = engineLoop.makePromise()
        var rid = ""
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<40 { rid += String("0123456789abcdef".randomElement(using: &rng)!) }
        runID = rid
        engine.register(ServerCommands.specs(self))
        acl = installACL()
        scripting = installScripting()
        moduleHost = installModules()
        installPubSub()
        installMonitoring()
        engine.blocking.onUnblocked = { [unowned self] client, reply in self.resume(client, reply) }
        engine.blocking.onBlocked = { [unowned self] client, cmd in self.armBlockingTimer(client, cmd) }
        config.onChange = { [unowned self] names in try self.applyConfig(names) }
    }

    func applyConfig(_ names: [String]) throws {
        for name in names {
            switch name {
            case "proto-max-bulk-len":
                engine.settings.protoMaxBulkLength = config.int(name)
                let n = config.int(name)
                sharedLimits.update { $0.maxBulkLength = n }
            case "hz": engine.settings.hz = config.int(name)
            case "active-expire-effort": engine.settings.activeExpireEffort = config.int(name)
            case "loglevel": logger.logLevel = MnemoServer.logLevel(config["loglevel"])
            case "requirepass", "acllog-max-len", "acl-pubsub-default": applyACLConfig([name])
            case "notify-keyspace-events", "client-output-buffer-limit": applyPubSubConfig()
            case "slowlog-log-slower-than", "slowlog-max-len", "latency-monitor-threshold": configureMonitor()
            case "busy-reply-threshold", "lua-time-limit", "lua-heap-limit": applyScriptingConfig()
            default: break
            }
        }
        try persistence?.configChanged(names)
    }

    static func logLevel(_ s: String) -> Logger.Level {
        switch s {
        case "debug": return .debug
        case "verbose": return .info
        case "notice": return .notice
        case "warning": return .warning
        default: return .critical
        }
    }

    // MARK: start / stop

    public func start() throws {
        let controller = PersistenceController(server: self)
        persistence = controller
        persistenceRef = .passUnretained(controller)
        try engineLoop.submit { try self.engineMutex.withLock { try self.loadACLAtStart() } }.wait()
        // Recovery starts on the engine; the log replay continues in chunks after we listen.
        // Modules first: their commands and data types must exist when the snapshot and log load.
        try engineLoop.submit { try self.engineMutex.withLock { try self.loadConfiguredModules() } }.wait()
        try engineLoop.submit { try self.engineMutex.withLock { try controller.recover() } }.wait()
        let bindAddresses = config["bind"].split(separator: " ").map(String.init)
        let port = config.int("port")
        // The plain port opens last: once it answers, every other listener is up too.
        let tlsPort = config.int("tls-port")
        if tlsPort > 0 {
            let ctx = try makeTLSContext()
            try bindAll(bindAddresses, port: tlsPort, tls: ctx)
        }
        let unixPath = config["unixsocket"]
        if !unixPath.isEmpty {
            unlink(unixPath)
            let ch = try makeBootstrap(tls: nil).bind(unixDomainSocketPath: unixPath).wait()
            let perm = config.int("unixsocketperm")
            if perm != 0 { chmod(unixPath, mode_t(perm)) }
            listeners.append(ch)
            logger.notice("Listening on unix socket \(unixPath)")
        }
        if port > 0 {
            try bindAll(bindAddresses, port: port, tls: nil)
        }
        if listeners.isEmpty && port == 0 && tlsPort == 0 && unixPath.isEmpty {
            logger.warning("No listener configured (port 0, no tls-port, no unixsocket)")
        }
        scheduleCron()
        logger.notice("Ready to accept connections")
    }

    private func bindAll(_ addresses: [String], port: Int, tls: NIOSSLContext?) throws {
        var bound = 0
        for raw in addresses {
            // A leading '-' marks an optional address (skipped if unavailable), as in Redis.
            let optional = raw.hasPrefix("-")
            let host = optional ? String(raw.dropFirst()) : raw
            do {
                let ch = try makeBootstrap(tls: tls).bind(host: host, port: port).wait()
                listeners.append(ch)
                bound += 1
                logger.notice("Listening on \(host):\(ch.localAddress?.port ?? port)\(tls != nil ? " (TLS)" : "")")
            } catch {
                if !optional { throw ConfigError("Could not create server TCP listening socket \(host):\(port): \(error)") }
            }
        }
        if bound == 0 { throw ConfigError("Failed listening on port \(port)") }
    }

    /// Bound TCP ports (for tests that start with port 0 → ephemeral is not supported; informative).
    public var boundAddresses: [SocketAddress] { listeners.compactMap(\.localAddress) }

    private func makeTLSContext() throws -> NIOSSLContext {
        let cert = config["tls-cert-file"]
        let key = config["tls-key-file"]
        guard !cert.isEmpty, !key.isEmpty else {
            throw ConfigError("tls-port requires tls-cert-file and tls-key-file")
        }
        let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        var tlsConfig = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let ca = config["tls-ca-cert-file"]
        if !ca.isEmpty { tlsConfig.trustRoots = .file(ca) }
        switch config["tls-auth-clients"] {
        case "no": tlsConfig.certificateVerification = .none
        case "optional": tlsConfig.certificateVerification = .optionalVerification
        default: tlsConfig.certificateVerification = .noHostnameVerification
        }
        return try NIOSSLContext(configuration: tlsConfig)
    }

    private func makeBootstrap(tls: NIOSSLContext?) -> ServerBootstrap {
        let limits = currentLimits()
        return ServerBootstrap(group: ioGroup)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(config.int("tcp-backlog")))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 1024 * 1024))
            .childChannelInitializer { channel in
                self.statConnectionsReceived.withLockedValue { $0 += 1 }
                let maxClients = self.config.int("maxclients")
                let admitted = self.connectionCount.withLockedValue { n -> Bool in
                    if n >= maxClients { return false }
                    n += 1
                    return true
                }
                if !admitted {
                    self.statRejectedConnections.withLockedValue { $0 += 1 }
                    // Answer once the connection is active (and after TLS), then close.
                    do {
                        if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                        try channel.pipeline.syncOperations.addHandler(RejectingHandler(message: "-ERR max number of clients reached\r\n"))
                        return channel.eventLoop.makeSucceededVoidFuture()
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                do {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    // Redis's smaller request limits apply until the connection authenticates.
                    let authFlag = AuthenticationFlag(!self.aclAuthRequired.withLockedValue { $0 })
                    var decoder = RESPRequestDecoder(limits: limits, flag: authFlag)
                    decoder.shared = self.sharedLimits
                    let session = SessionHandler(server: self, eventLoop: channel.eventLoop, decoder: decoder)
                    session.authFlag = authFlag
                    try channel.pipeline.syncOperations.addHandler(session)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
    }

    private func currentLimits() -> RESPLimits {
        var l = RESPLimits()
        l.maxBulkLength = config.int("proto-max-bulk-len")
        return l
    }

    /// Decoder limits every connection reads (CONFIG SET proto-max-bulk-len applies at once).
    lazy var sharedLimits = SharedRESPLimits(currentLimits())

    func connectionClosed() { connectionCount.withLockedValue { $0 -= 1 } }
    public var connectedClients: Int { connectionCount.withLockedValue { $0 } }

    /// Blocks until the server has shut down.
    public func waitUntilShutdown() throws {
        try shutdownPromise.futureResult.wait()
    }

    /// Stop accepting, finish in-flight work, flush what must be durable, close.
    public func shutdown(save: Bool?) {
        onEngine {
            guard !self.isShuttingDown else { return }
            self.isShuttingDown = true
            self.logger.notice("User requested shutdown...")
            for l in self.listeners { l.close(promise: nil) }
            self.persistence?.shutdown(save: save)
            if !self.config["unixsocket"].isEmpty { unlink(self.config["unixsocket"]) }
            self.logger.notice("Mnemo is now ready to exit, bye bye...")
            // Let replies already produced (those before SHUTDOWN in a pipeline) reach their sockets.
            self.engineLoop.scheduleTask(in: .milliseconds(100)) { self.shutdownPromise.succeed(()) }
        }
    }

    // MARK: engine side

    /// Runs `body` on the engine loop, holding the engine.
    func onEngine(_ body: @escaping () -> Void) {
        engineLoop.execute {
            self.engineMutex.lock()
            body()
            self.engineMutex.unlock()
        }
    }

    private lazy var engineLogWake = CoalescedTask(loop: engineLoop)

    /// On the engine loop: wakes the log writer once the batches queued on this loop so far
    /// have run, so they share one group commit (instead of the first record of the first
    /// batch starting an fsync that the rest then wait behind).
    func wakeLogAfterQueuedBatches(_ log: EffectLog) {
        if engineLogWake.isQueued { return }  // (no closure made for nothing)
        engineLogWake.schedule { log.wake() }
    }

    /// Runs `body` on the engine loop after `delay`, holding the engine.
    @discardableResult
    func onEngine(in delay: TimeAmount, _ body: @escaping () -> Void) -> Scheduled<Void> {
        engineLoop.scheduleTask(in: delay) {
            self.engineMutex.lock()
            body()
            self.engineMutex.unlock()
        }
    }

    /// Executes a batch of requests for one client on the engine loop. If a command blocks
    /// (BLPOP…), the rest of the batch is suspended until the client is served, times out or
    /// is unblocked; its replies then continue in order.
    /// `executed`: the first request has run already and this is its reply (a script finished
    /// on the engine loop after it suspended, see `finishSuspendedScript`); it ends as a command.
    func process(_ batch: ArraySlice<Request>, keyHashes: [UInt64]? = nil, client: Client, output: ByteBuffer,
                 executed: RESPValue? = nil) -> BatchResult {
        var executed = executed
        var out = output
        var close = false
        var barrier: UInt64 = 0
        if let keyHashes {
            engine.prefetch(db: client.db, keyHashes)
        } else if batch.count > 1 || (batch.count == 1 && batch.first!.argumentCount >= 5) {
            engine.prefetch(db: client.db) { MnemoServer.keyHashes(of: batch, into: &$0) }
        }
        let persistence = persistenceRef
        var i = batch.startIndex
        while i < batch.endIndex {
            i += 1
            switch batch[i - 1] {
            case .command(let argv):
                let db = client.db
                let reply: RESPValue
                if let done = executed {
                    executed = nil
                    reply = done
                } else {
                    if clientPause.mode != .none && pauseHolds(argv, client) {
                        // Paused: this command and the rest of the batch wait for CLIENT UNPAUSE or the timeout.
                        suspendForPause(client, batch[(i - 1)...])
                        pubsubFlush()
                        return BatchResult(output: out, close: false, barrier: barrier, suspended: true)
                    }
                    engine.beginExecution()
                    client.lastInteraction = engine.commandTime
                    pubsub.executingClient = client.id
                    reply = dispatcher.execute(argv, client: client)
                    if engine.commandSuspended {
                        // A script ran past its budget inline on an I/O loop: it and the rest of the
                        // batch go on on the engine loop (`finishSuspendedScript`); the replies so far
                        // go out now. Its effects stay pending: they will be one record.
                        suspended[client.id] = SuspendedBatch(remaining: batch[(i - 1)...], output: ByteBufferAllocator().buffer(capacity: 64))
                        return BatchResult(output: out, close: false, barrier: barrier, suspended: true)
                    }
                }
                let record = engine.commitEffects()
                var commandBarrier: UInt64 = 0
                if let p = persistence {
                    commandBarrier = p._withUnsafeGuaranteedRef { $0.commandBarrier(dispatcher, argv, db: db, record: record) }
                    barrier = max(barrier, commandBarrier)
                }
                pubsubAfterCommand(barrier: commandBarrier, output: &out)
                if client.blocked != nil {
                    // Replies before the blocking command go out now; the rest waits for it.
                    suspended[client.id] = SuspendedBatch(remaining: batch[i...], output: ByteBufferAllocator().buffer(capacity: 64))
                    if engine.blocking.hasReady { engine.blocking.serveReady(engine, dispatcher) }
                    pubsubFlush()
                    return BatchResult(output: out, close: false, barrier: barrier, suspended: true)
                }
                encodeReply(reply, for: client, into: &out)
                if engine.blocking.hasReady { engine.blocking.serveReady(engine, dispatcher) }
                if client.closeRequested { close = true }
            case .protocolError(let text):
                RESPEncoder.encode(.error(text), version: client.resp, into: &out)
                logger.info("Protocol error from client \(client.address): \(text)")
                close = true
            }
            if close { break }
        }
        pubsubFlush()
        return BatchResult(output: out, close: close, barrier: barrier, suspended: false)
    }

    /// Hashes of what may be the keys of a batch, for `Engine.prefetch`: the first argument is
    /// the key of most commands; later short arguments may be keys too (MSET, MGET, DEL…). A
    /// non-key costs one hash and a wasted hint; long arguments (values) are skipped.
    /// A pipeline often repeats its first key (LPUSH mylist …): a key equal to the previous
    /// request's is hashed and hinted once (a SADD batch spent 7% of its time here before).
    static func keyHashes<C: Collection>(of batch: C, into hashes: inout [UInt64]) where C.Element == Request {
        var previous: Bytes?
        for request in batch {
            guard case .command(let argv) = request, argv.count > 1 else { continue }
            if argv[1] != previous {
                previous = argv[1]
                hashes.append(Database.hash(argv[1]))
            }
            // Commands with several keys have at least five arguments (MSET k v k v…).
            var i = argv.count >= 5 ? 2 : argv.count
            while i < argv.count && i <= 32 {
                if argv[i].count <= 64 { hashes.append(Database.hash(argv[i])) }
                i += 1
            }
            if hashes.count >= 64 { break }
        }
    }

    private func encodeReply(_ reply: RESPValue, for client: Client, into out: inout ByteBuffer) {
        switch client.replyMode {
        case .on:
            RESPEncoder.encode(reply, version: client.resp, into: &out)
        case .off:
            break
        case .skipNext:
            client.replyMode = .skipping
        case .skipping:
            client.replyMode = .on
        }
    }

    /// On the engine loop, holding the engine an I/O loop handed off after its inline batch ran
    /// a script past its budget (nothing ran since): finishes the script, which then ends as the
    /// command it is (one record, its barrier, its messages, its reply), then the rest of the batch.
    func finishSuspendedScript(_ client: Client) {
        engine.commandSuspended = false
        scriptsMovedToEngineLoop += 1
        guard let scripting, let s = suspended.removeValue(forKey: client.id) else { return }
        let reply = scripting.finishSuspended()
        send(process(s.remaining, client: client, output: s.output, executed: reply), to: client)
    }

    /// A blocked client got its reply (or a paused one may go on: nil): finish its suspended batch and send it.
    func resume(_ client: Client, _ reply: RESPValue?) {
        guard let s = suspended.removeValue(forKey: client.id) else { return }
        var out = s.output
        if let reply { encodeReply(reply, for: client, into: &out) }
        var result = process(s.remaining, client: client, output: out)
        // The served command's own record (and anything before it) must be durable too.
        result.barrier = max(result.barrier, persistence?.barrier() ?? 0)
        send(result, to: client)
    }

    /// The rest of a suspended batch ran: its replies go out, or those up to where it blocked again.
    private func send(_ result: BatchResult, to client: Client) {
        if result.suspended {
            if result.output.readableBytes > 0 { sessions[client.id]?.sendPartial(result) }
            return
        }
        sessions[client.id]?.complete(result)
    }

    func heldReplies(for loop: EventLoop) -> HeldReplies { held[ObjectIdentifier(loop)]! }
    func tickFlush(for loop: EventLoop) -> TickFlush { flushes[ObjectIdentifier(loop)]! }
    func tickSubmit(for loop: EventLoop) -> TickSubmit { submits[ObjectIdentifier(loop)]! }

    /// On the log's thread: the log is durable up to `sequence`.
    func logCommitted(_ sequence: UInt64) {
        for h in held.values { h.committed(sequence) }
    }

    /// Whether a reply that must wait for `barrier` may go out now.
    func isDurable(_ barrier: UInt64) -> Bool { barrier == 0 || persistence == nil }

    /// Whether the request must run on the engine loop (see `CommandSpec.mayRunLong`).
    func mayRunLong(_ request: Request, _ names: inout CommandNameCache) -> Bool {
        traits(of: request, &names)?.mayRunLong ?? false
    }

    /// Whether the request runs a script or function (EVAL, FCALL…).
    func isScriptCall(_ request: Request, _ names: inout CommandNameCache) -> Bool {
        traits(of: request, &names)?.isScript ?? false
    }

    /// The command's traits (nil for an unknown one or a protocol error), through `names`.
    private func traits(of request: Request, _ names: inout CommandNameCache) -> (mayRunLong: Bool, isScript: Bool)? {
        guard case .command(let argv) = request, let name = argv.first else { return nil }
        return names.traits(name, in: engine)
    }

    /// Runs `body` once everything up to `barrier` is durable (at once if nothing is pending).
    func whenDurable(_ barrier: UInt64, _ body: @escaping () -> Void) {
        if isDurable(barrier) {
            body()
        } else {
            persistence!.whenDurable(barrier, body)
        }
    }

    func clientConnected(_ c: Client, _ session: SessionHandler) {
        sessions[c.id] = session
        aclClientConnected(c, session)
    }

    func clientDisconnected(_ c: Client) {
        sessions[c.id] = nil
        c.connection = nil
        suspended[c.id] = nil
        pubsub.registry.removeAll(c)
        engine.removeClient(c)
    }

    /// Arms the timer of a client that blocked with a timeout.
    private func armBlockingTimer(_ client: Client, _ cmd: BlockedCommand) {
        guard let deadline = cmd.deadline else { return }
        let delay = max(0, deadline - Engine.wallClockMs())
        // By id, not a weak reference: an object ever weakly referenced pays a slower retain
        // and release for the rest of its life, and clients are retained on every command.
        let id = client.id
        onEngine(in: .milliseconds(delay)) {
            guard let client = self.engine.clients[id] else { return }
            self.engine.blocking.timeout(client, token: cmd.token)
        }
    }

    private func scheduleCron() {
        let hz = max(1, engine.settings.hz)
        engineLoop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(1000 / hz)), delay: .milliseconds(Int64(1000 / hz))) { _ in
            self.engineMutex.withLock { self.cron() }
        }
    }

    /// Periodic work on the engine: active expiry, idle timeouts, persistence housekeeping.
    private func cron() {
        if persistence?.isLoading == true { return }
        let hz = max(1, engine.settings.hz)
        // Redis gives the slow cycle 25% of each period.
        if activeExpireEnabled {
            engine.activeExpireCycle(budgetMicros: Int64(1_000_000 / hz / 4))
            engine.commitEffects()
            pubsubFlush()
        }
        let nowMs = Engine.wallClockMs()
        if nowMs - opsSample.time >= 1000 {
            if opsSample.time > 0 {
                opsPerSecond = (engine.stats.commandsProcessed - opsSample.commands) * 1000 / (nowMs - opsSample.time)
            }
            opsSample = (nowMs, engine.stats.commandsProcessed)
        }
        let timeout = Int64(config.int("timeout"))
        if timeout > 0 {
            let now = Engine.wallClockMs()
            for c in engine.clients.values where now - c.lastInteraction > timeout * 1000 && c.kind == "normal" && c.blocked == nil {
                c.connection?.closeAfterReplies()
            }
        }
        persistence?.cron()
    }
}

/// Answers a connection that cannot be admitted and closes it.
final class RejectingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let message: String
    init(message: String) { self.message = message }

    func channelActive(context: ChannelHandlerContext) {
        var buf = context.channel.allocator.buffer(capacity: message.utf8.count)
        buf.writeString(message)
        context.writeAndFlush(wrapOutboundOut(buf)).whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// What the persistence layer provides to the server (the durable log, snapshots, recovery).
protocol PersistenceHooks: AnyObject {
    func recover() throws
    var isLoading: Bool { get }
    /// The sequence a reply produced now must wait for (everything appended so far).
    func barrier() -> UInt64
    /// What one command's reply must wait for (see PersistenceController).
    /// The command's spec (`dispatcher.lastResolved`) is read only when the barrier depends on
    /// its keys (reading it costs a retain).
    func commandBarrier(_ dispatcher: Dispatcher, _ argv: [Bytes], db: Int, record: UInt64?) -> UInt64
    func whenDurable(_ sequence: UInt64, _ body: @escaping () -> Void)
    func configChanged(_ names: [String]) throws
    func cron()
    func shutdown(save: Bool?)
    /// Runs a batch with the log's writer left asleep by its appends; returns the log to
    /// write or wake afterwards (nil if nothing was appended), so batches form one group commit.
    func deferringWake<R>(_ body: () -> R) -> (R, EffectLog?)
}
