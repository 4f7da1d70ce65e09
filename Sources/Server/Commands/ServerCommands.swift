#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import RESP

/// Session, configuration and server-introspection commands (they need the server's state).
enum ServerCommands {
    static func specs(_ server: MnemoServer) -> [CommandSpec] {
        [
            CommandSpec(
                "hello", arity: -1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy], acl: [.connection],
                docs: CommandDocs("Handshakes with the Redis server.", since: "6.0.0", group: "connection",
                                  syntax: "[protover [AUTH username password] [SETNAME clientname]]"),
                handler: { ctx in try hello(&ctx, server) }),
            CommandSpec(
                "quit", arity: -1, flags: [.allowBusy, .noscript, .loading, .stale, .fast, .noAuth], acl: [.connection],
                docs: CommandDocs("Closes the connection.", since: "1.0.0", group: "connection"),
                handler: { ctx in
                    ctx.client.closeRequested = true
                    return .ok
                }),
            CommandSpec(
                "reset", arity: 1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy], acl: [.connection],
                docs: CommandDocs("Resets the connection.", since: "6.2.0", group: "connection"),
                handler: { ctx in
                    let c = ctx.client
                    c.db = 0
                    c.resp = .resp2
                    c.name = nil
                    c.replyMode = .on
                    c.noEvict = false
                    c.noTouch = false
                    c.tracking = nil
                    c.user = "default"
                    TransactionCommands.endTransaction(c, ctx.engine)
                    server.resetHooks.forEach { $0(c) }
                    return .simple("RESET")
                }),
            CommandSpec(
                "client", arity: -2,
                docs: CommandDocs("A container for client connection commands.", since: "2.4.0", group: "connection"),
                subcommands: ClientCommand.specs(server)),
            CommandSpec(
                "config", arity: -2, acl: [],
                docs: CommandDocs("A container for server configuration commands.", since: "2.0.0", group: "server"),
                subcommands: configSpecs(server)),
            CommandSpec(
                "info", arity: -1, flags: [.loading, .stale], acl: [.dangerous],
                docs: CommandDocs("Returns information and statistics about the server.", since: "1.0.0", group: "server",
                                  complexity: "O(1)", syntax: "[section [section ...]]"),
                handler: { ctx in
                    let sections = ctx.argv.dropFirst().map { $0.lower }
                    return .verbatim(format: "txt", text: Bytes(InfoReport(server: server).render(sections)))
                }),
            CommandSpec(
                "shutdown", arity: -1, flags: [.admin, .noscript, .loading, .stale, .noMulti, .sentinel, .allowBusy],
                docs: CommandDocs("Synchronously saves the database(s) to disk and shuts down the Redis server.",
                                  since: "1.0.0", group: "server", complexity: "O(N)",
                                  syntax: "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
                handler: { ctx in
                    var args = ctx.args
                    var save: Bool? = nil
                    while !args.isEmpty {
                        if args.flag("NOSAVE") { save = false }
                        else if args.flag("SAVE") { save = true }
                        else if args.flag("NOW") || args.flag("FORCE") {}
                        else if args.flag("ABORT") { throw RedisError("No shutdown in progress.") }
                        else { throw RedisError.syntax }
                    }
                    server.shutdown(save: save)
                    ctx.client.closeRequested = true
                    return .raw([])
                }),
            CommandSpec(
                "debug", arity: -2, flags: [.admin, .noscript, .loading, .stale],
                docs: CommandDocs("A container for debugging commands.", since: "1.0.0", group: "server"),
                handler: { ctx in try DebugCommand.run(&ctx, server) }),
            CommandSpec(
                "lolwut", arity: -1, flags: [.readonly, .fast],
                docs: CommandDocs("Displays computer art and the Redis version", since: "5.0.0", group: "server",
                                  syntax: "[VERSION version]"),
                handler: { ctx in
                    // Redis prints its art for VERSION 5 and 6 and only the version line otherwise.
                    if ctx.argv.count >= 3 && ctx.argv[1].equalsIgnoringCase("VERSION") { _ = try ctx.argv[2].int() }
                    return .verbatim(format: "txt", text: Bytes("Mnemo ver. \(MnemoServer.version), Redis ver. \(MnemoServer.redisVersion)\n"))
                }),
        ] + MonitoringCommands.specs(server)
    }

    static func hello(_ ctx: inout CommandContext, _ server: MnemoServer) throws -> RESPValue {
        var args = ctx.args
        var version = ctx.client.resp
        if !args.isEmpty {
            let v = try args.next()
            guard let n = Numbers.parseInt(v) else { throw RedisError("Protocol version is not an integer or out of range") }
            guard n == 2 || n == 3 else { throw RedisError("NOPROTO", "unsupported protocol version") }
            version = n == 3 ? .resp3 : .resp2
        }
        var setName: Bytes?
        while !args.isEmpty {
            let option = args.peek()!
            if args.flag("AUTH") {
                guard args.remaining >= 2 else { throw RedisError("Syntax error in HELLO option '\(option.text)'") }
                let user = try args.next()
                let pass = try args.next()
                if let auth = server.authenticate {
                    try auth(ctx.client, user, pass)
                } else if user.text != "default" {
                    throw RedisError("WRONGPASS", "invalid username-password pair or user is disabled.")
                }
            } else if args.flag("SETNAME") {
                guard args.remaining >= 1 else { throw RedisError("Syntax error in HELLO option '\(option.text)'") }
                let name = try args.next()
                try ClientCommand.validateName(name)
                setName = name
            } else {
                throw RedisError("Syntax error in HELLO option '\(Dispatcher.clipText(args.peek() ?? []))'")
            }
        }
        if let setName { ctx.client.name = setName.isEmpty ? nil : setName }
        ctx.client.resp = version
        return .map([
            (.bulk("server"), .bulk("redis")),
            (.bulk("version"), .bulk(MnemoServer.redisVersion)),
            (.bulk("proto"), .integer(Int64(version.rawValue))),
            (.bulk("id"), .integer(ctx.client.id)),
            (.bulk("mode"), .bulk("standalone")),
            (.bulk("role"), .bulk("master")),
            (.bulk("modules"), .array([])),
        ])
    }

    static func configSpecs(_ server: MnemoServer) -> [CommandSpec] {
        [
            CommandSpec(
                "get", arity: -3, flags: [.admin, .noscript, .loading, .stale],
                docs: CommandDocs("Returns the effective values of configuration parameters.", since: "2.0.0",
                                  group: "server", complexity: "O(N)", syntax: "parameter [parameter ...]"),
                handler: { ctx in
                    let pairs = server.config.get(Array(ctx.argv.dropFirst(2)))
                    return .map(pairs.map { (.bulk($0.0), .bulk($0.1)) })
                }),
            CommandSpec(
                "set", arity: -4, flags: [.admin, .noscript, .loading, .stale],
                docs: CommandDocs("Sets configuration parameters in-flight.", since: "2.0.0", group: "server",
                                  complexity: "O(N)", syntax: "parameter value [parameter value ...]"),
                handler: { ctx in
                    let rest = Array(ctx.argv.dropFirst(2))
                    guard rest.count % 2 == 0 else { throw RedisError.wrongArity("config|set") }
                    var pairs: [(String, String)] = []
                    for i in stride(from: 0, to: rest.count, by: 2) { pairs.append((rest[i].text, rest[i + 1].text)) }
                    do {
                        try server.config.set(pairs)
                    } catch let e as ConfigError {
                        throw RedisError(e.message)
                    }
                    return .ok
                }),
            CommandSpec(
                "resetstat", arity: 2, flags: [.admin, .noscript, .loading, .stale],
                docs: CommandDocs("Resets the server's statistics.", since: "2.0.0", group: "server"),
                handler: { ctx in
                    ctx.engine.stats = EngineStats()
                    for spec in ctx.engine.table.allSpecs { spec.stats.reset() }
                    server.statConnectionsReceived.withLockedValue { $0 = 0 }
                    server.statRejectedConnections.withLockedValue { $0 = 0 }
                    return .ok
                }),
            CommandSpec(
                "rewrite", arity: 2, flags: [.admin, .noscript, .loading, .stale],
                docs: CommandDocs("Persists the effective configuration to file.", since: "2.8.0", group: "server"),
                handler: { _ in throw RedisError("The server is running without a config file") }),
            CommandSpec(
                "help", arity: 2, flags: [.loading, .stale],
                docs: CommandDocs("Returns helpful text about the different subcommands.", since: "5.0.0", group: "server"),
                handler: { _ in
                    helpReply("CONFIG", [
                        "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                        "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
                        "RESETSTAT", "    Reset statistics reported by the INFO command.",
                        "REWRITE", "    Rewrite the configuration file.",
                    ])
                }),
        ]
    }

    static func helpReply(_ command: String, _ lines: [String]) -> RESPValue {
        var out: [RESPValue] = [.simple("\(command) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")]
        out += lines.map { .simple($0) }
        out += [.simple("HELP"), .simple("    Print this help.")]
        return .array(out)
    }
}

extension Dispatcher {
    static func clipText(_ b: Bytes) -> String { String(decoding: b.prefix(128), as: UTF8.self) }
}
