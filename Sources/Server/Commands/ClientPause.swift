import Engine
import NIOCore
import RESP

/// CLIENT PAUSE / UNPAUSE: while a pause is on, the commands it covers wait (their client's batch
/// is suspended, as for a blocking command) until the pause ends, then run in arrival order.
struct ClientPause {
    enum Mode: Int, Comparable {
        case none = 0, write, all
        static func < (a: Mode, b: Mode) -> Bool { a.rawValue < b.rawValue }
    }

    var mode = Mode.none
    var deadline: Int64 = 0  // wall-clock ms
    /// Clients waiting for the pause to end, in the order they were paused.
    var waiting: [Int64] = []

    /// Commands that WRITE mode also holds back (Redis 7.0's may-replicate commands).
    static let mayReplicate: Set<String> = ["eval", "evalsha", "fcall", "publish", "spublish", "pfcount"]

    /// Whether `spec` (run by `client`) must wait while the pause lasts.
    func holds(_ spec: CommandSpec, _ client: Client) -> Bool {
        switch mode {
        case .none: return false
        case .all: return true
        case .write:
            if spec.flags.contains(.write) || ClientPause.mayReplicate.contains(spec.fullName) { return true }
            if spec.name == "exec", let queued = client.multi?.queued {
                return queued.contains { $0.spec.flags.contains(.write) || ClientPause.mayReplicate.contains($0.spec.fullName) }
            }
            return false
        }
    }
}

extension MnemoServer {
    /// In `process`: whether the command must wait for the pause to end (it is then suspended).
    func pauseHolds(_ argv: [Bytes], _ client: Client) -> Bool {
        guard clientPause.mode != .none, case .success(let spec) = dispatcher.resolve(argv) else { return false }
        return clientPause.holds(spec, client)
    }

    /// Suspends `client`'s batch from `remaining` on (the paused command first) until the pause ends.
    func suspendForPause(_ client: Client, _ remaining: ArraySlice<Request>) {
        suspended[client.id] = SuspendedBatch(remaining: remaining, output: ByteBufferAllocator().buffer(capacity: 64))
        clientPause.waiting.append(client.id)
    }

    func pauseClients(until deadline: Int64, _ mode: ClientPause.Mode) {
        // A new pause never shortens or weakens the current one (as Redis's pauseClients).
        clientPause.mode = max(clientPause.mode, mode)
        clientPause.deadline = max(clientPause.deadline, deadline)
        let delay = max(0, clientPause.deadline - Engine.wallClockMs())
        onEngine(in: .milliseconds(delay)) { [weak self] in
            guard let self, self.clientPause.mode != .none, Engine.wallClockMs() >= self.clientPause.deadline else { return }
            self.unpauseClients()
        }
    }

    /// Ends the pause and runs the waiting clients' batches, in the order they were paused.
    func unpauseClients() {
        clientPause.mode = .none
        clientPause.deadline = 0
        let waiting = clientPause.waiting
        clientPause.waiting = []
        for id in waiting {
            guard let client = engine.clients[id], client.blocked == nil, suspended[id] != nil else { continue }
            resume(client, nil)
        }
    }
}

extension ClientCommand {
    static func pauseSpecs(_ server: MnemoServer) -> [CommandSpec] {
        [
            CommandSpec(
                "pause", arity: -3, flags: [.admin, .noscript, .loading, .stale], acl: [.connection],
                docs: CommandDocs("Suspend all the Redis clients for the specified amount of time.", since: "2.9.50",
                                  group: "connection", syntax: "timeout [WRITE | ALL]"),
                handler: { ctx in
                    if ctx.argv.count > 4 {
                        throw RedisError("unknown subcommand or wrong number of arguments for '\(ctx.argv[1].text)'. Try CLIENT HELP.")
                    }
                    guard let ms = Numbers.parseInt(ctx.argv[2]) else { throw RedisError("timeout is not an integer or out of range") }
                    if ms < 0 { throw RedisError("timeout is negative") }
                    var mode = ClientPause.Mode.all
                    if ctx.argv.count == 4 {
                        if ctx.argv[3].equalsIgnoringCase("WRITE") {
                            mode = .write
                        } else if !ctx.argv[3].equalsIgnoringCase("ALL") {
                            throw RedisError("CLIENT PAUSE mode must be WRITE or ALL")
                        }
                    }
                    let (deadline, overflow) = Engine.wallClockMs().addingReportingOverflow(ms)
                    server.pauseClients(until: overflow ? Int64.max : deadline, mode)
                    return .ok
                }),
            CommandSpec(
                "unpause", arity: 2, flags: [.admin, .noscript, .loading, .stale], acl: [.connection],
                docs: CommandDocs("Resume processing of clients that were paused", since: "6.2.0", group: "connection",
                                  complexity: "O(N) Where N is the number of paused clients"),
                handler: { _ in
                    // After this batch: the resumed clients' commands run on their own, not inside this one.
                    server.onEngine { server.unpauseClients() }
                    return .ok
                }),
        ]
    }

    static let trackingSpecs: [CommandSpec] = [
        CommandSpec(
            "tracking", arity: -3, flags: [.noscript, .loading, .stale], acl: [.connection],
            docs: CommandDocs("Enable or disable server assisted client side caching support", since: "6.0.0", group: "connection",
                              complexity: "O(1). Some options may introduce additional complexity.",
                              syntax: "ON | OFF [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"),
            handler: tracking),
        CommandSpec(
            "caching", arity: 3, flags: [.noscript, .loading, .stale], acl: [.connection],
            docs: CommandDocs("Instruct the server about tracking or not keys in the next request", since: "6.0.0",
                              group: "connection", syntax: "YES | NO"),
            handler: { ctx in
                guard let t = ctx.client.tracking else {
                    throw RedisError("CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
                }
                if ctx.argv[2].equalsIgnoringCase("YES") {
                    guard t.optin else { throw RedisError("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.") }
                    ctx.client.tracking!.caching = true
                } else if ctx.argv[2].equalsIgnoringCase("NO") {
                    guard t.optout else { throw RedisError("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.") }
                    ctx.client.tracking!.caching = false
                } else {
                    throw RedisError.syntax
                }
                return .ok
            }),
        CommandSpec(
            "getredir", arity: 2, flags: [.noscript, .loading, .stale], acl: [.connection],
            docs: CommandDocs("Get tracking notifications redirection client ID if any", since: "6.0.0", group: "connection"),
            handler: { ctx in .integer(ctx.client.tracking?.redirect ?? -1) }),
        CommandSpec(
            "trackinginfo", arity: 2, flags: [.noscript, .loading, .stale], acl: [.connection],
            docs: CommandDocs("Return information about server assisted client side caching for the current connection",
                              since: "6.2.0", group: "connection"),
            handler: { ctx in
                var flags: [String] = ["off"]
                if let t = ctx.client.tracking {
                    flags = ["on"]
                    if t.bcast { flags.append("bcast") }
                    if t.optin { flags.append("optin") }
                    if t.optout { flags.append("optout") }
                    if t.caching == true { flags.append("caching-yes") }
                    if t.caching == false { flags.append("caching-no") }
                    if t.noloop { flags.append("noloop") }
                    if t.redirect > 0 && ctx.engine.clients[t.redirect] == nil { flags.append("broken_redirect") }
                }
                return .map([
                    (.bulk(Bytes("flags")), .set(flags.map { .bulk(Bytes($0)) })),
                    (.bulk(Bytes("redirect")), .integer(ctx.client.tracking?.redirect ?? -1)),
                    (.bulk(Bytes("prefixes")), .array((ctx.client.tracking?.prefixes ?? []).map { .bulk($0) })),
                ])
            }),
    ]

    /// CLIENT TRACKING with Redis 7.0's validation (the options are kept; invalidations are not sent).
    static func tracking(_ ctx: inout CommandContext) throws -> RESPValue {
        let on: Bool
        if ctx.argv[2].equalsIgnoringCase("ON") {
            on = true
        } else if ctx.argv[2].equalsIgnoringCase("OFF") {
            on = false
        } else {
            throw RedisError.syntax
        }
        var t = TrackingSettings()
        var args = Arguments(ctx.argv, from: 3)
        while !args.isEmpty {
            if args.flag("REDIRECT") {
                guard !args.isEmpty else { throw RedisError.syntax }
                t.redirect = try args.int()
                // Redirecting to oneself is the same as no redirection.
                if t.redirect != ctx.client.id && ctx.engine.clients[t.redirect] == nil {
                    throw RedisError("The client ID you want redirect to does not exist")
                }
            } else if args.flag("BCAST") {
                t.bcast = true
            } else if args.flag("OPTIN") {
                t.optin = true
            } else if args.flag("OPTOUT") {
                t.optout = true
            } else if args.flag("NOLOOP") {
                t.noloop = true
            } else if args.flag("PREFIX") {
                guard !args.isEmpty else { throw RedisError.syntax }
                t.prefixes.append(try args.next())
            } else {
                throw RedisError.syntax
            }
        }
        guard on else {
            ctx.client.tracking = nil
            return .ok
        }
        if !t.bcast && !t.prefixes.isEmpty { throw RedisError("PREFIX option requires BCAST mode to be enabled") }
        if let old = ctx.client.tracking {
            if old.bcast != t.bcast {
                throw RedisError("You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
            }
            t.prefixes = old.prefixes + t.prefixes
        }
        if t.optin && t.optout { throw RedisError("You can't specify both OPTIN mode and OPTOUT mode") }
        if (t.optin || t.optout) && t.bcast { throw RedisError("OPTIN and OPTOUT are not compatible with BCAST") }
        if let old = ctx.client.tracking, (old.optin && t.optout) || (old.optout && t.optin) {
            throw RedisError("You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
        }
        ctx.client.tracking = t
        return .ok
    }
}
