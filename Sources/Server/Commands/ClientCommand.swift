import Engine
import RESP

/// CLIENT subcommands.
enum ClientCommand {
    static func spec(_ name: String, _ arity: Int, _ flags: CommandFlags = [], _ summary: String, syntax: String = "",
                     _ handler: @escaping CommandHandler) -> CommandSpec {
        CommandSpec(name, arity: arity, flags: flags.union([.noscript, .loading, .stale]), acl: [.connection],
                    docs: CommandDocs(summary, since: "2.4.0", group: "connection", syntax: syntax), handler: handler)
    }

    static func specs(_ server: MnemoServer) -> [CommandSpec] {
        [
            spec("id", 2, [], "Returns the unique client ID of the connection.") { ctx in .integer(ctx.client.id) },
            spec("setname", 3, [], "Sets the connection name.", syntax: "connection-name") { ctx in
                try validateName(ctx.argv[2])
                ctx.client.name = ctx.argv[2].isEmpty ? nil : ctx.argv[2]
                return .ok
            },
            spec("getname", 2, [], "Returns the name of the connection.") { ctx in
                ctx.client.name.map { .bulk($0) } ?? .null
            },
            spec("setinfo", 4, [], "Sets information specific to the client or connection.",
                 syntax: "LIB-NAME libname | LIB-VER libver") { ctx in
                if ctx.argv[2].equalsIgnoringCase("LIB-NAME") {
                    try validateName(ctx.argv[3], what: "lib-name")
                    ctx.client.libName = ctx.argv[3]
                } else if ctx.argv[2].equalsIgnoringCase("LIB-VER") {
                    try validateName(ctx.argv[3], what: "lib-ver")
                    ctx.client.libVersion = ctx.argv[3]
                } else {
                    throw RedisError("Unrecognized option '\(ctx.argv[2].text)'")
                }
                return .ok
            },
            spec("list", -2, [.admin], "Lists open connections.",
                 syntax: "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]") { ctx in
                var args = ctx.args
                var ids: Set<Int64>? = nil
                var type: String? = nil
                while !args.isEmpty {
                    if args.flag("TYPE") {
                        let t = try args.next().lower
                        guard ["normal", "master", "replica", "slave", "pubsub"].contains(t) else {
                            throw RedisError("Unknown client type '\(t)'")
                        }
                        type = t
                    } else if args.flag("ID") {
                        var set = Set<Int64>()
                        while let p = args.peek(), let id = Numbers.parseInt(p) {
                            guard id > 0 else { throw RedisError("Invalid client ID") }
                            set.insert(id)
                            _ = try args.next()
                        }
                        if set.isEmpty { throw RedisError.syntax }
                        ids = set
                    } else {
                        throw RedisError.syntax
                    }
                }
                let lines = ctx.engine.clients.values.sorted { $0.id < $1.id }.filter { c in
                    (ids == nil || ids!.contains(c.id)) && (type == nil || type == c.kind)
                }.map { describe($0, ctx.engine, current: ctx.client) + "\n" }
                return .verbatim(format: "txt", text: Bytes(lines.joined()))
            },
            spec("info", 2, [], "Returns information about the connection.") { ctx in
                .verbatim(format: "txt", text: Bytes(describe(ctx.client, ctx.engine, current: ctx.client) + "\n"))
            },
            spec("kill", -3, [.admin], "Terminates open connections.",
                 syntax: "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES | NO]") { ctx in
                try kill(&ctx)
            },
            spec("reply", 3, [], "Instructs the server whether to reply to commands.", syntax: "ON | OFF | SKIP") { ctx in
                let mode = ctx.argv[2]
                if mode.equalsIgnoringCase("ON") {
                    ctx.client.replyMode = .on
                    return .ok
                } else if mode.equalsIgnoringCase("OFF") {
                    ctx.client.replyMode = .off
                } else if mode.equalsIgnoringCase("SKIP") {
                    ctx.client.replyMode = .skipNext
                } else {
                    throw RedisError.syntax
                }
                return .ok
            },
            spec("unblock", -3, [.admin], "Unblocks a client blocked by a blocking command from a different connection.",
                 syntax: "client-id [TIMEOUT | ERROR]") { ctx in
                guard let id = Numbers.parseInt(ctx.argv[2]) else { throw RedisError.notInteger }
                var error = false
                if ctx.argv.count == 4 {
                    if ctx.argv[3].equalsIgnoringCase("ERROR") { error = true }
                    else if !ctx.argv[3].equalsIgnoringCase("TIMEOUT") {
                        throw RedisError("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
                    }
                } else if ctx.argv.count > 4 {
                    throw RedisError.syntax
                }
                guard let target = ctx.engine.clients[id], ctx.engine.blocking.mayTimeout(target) else { return .integer(0) }
                if error {
                    ctx.engine.blocking.unblock(target, with: .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
                } else {
                    ctx.engine.blocking.unblockAsTimeout(target)
                }
                return .integer(1)
            },
            spec("no-evict", 3, [.admin], "Sets the client eviction mode of the connection.", syntax: "ON | OFF") { ctx in
                ctx.client.noEvict = try onOff(ctx.argv[2])
                return .ok
            },
            spec("no-touch", 3, [], "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
                 syntax: "ON | OFF") { ctx in
                ctx.client.noTouch = try onOff(ctx.argv[2])
                return .ok
            },
            spec("help", 2, [], "Returns helpful text about the different subcommands.") { _ in
                ServerCommands.helpReply("CLIENT", [
                    "ID", "    Return the ID of the current connection.",
                    "GETNAME", "    Return the name of the current connection.",
                    "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                    "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are: ID, TYPE, USER, ADDR, LADDR, SKIPME.",
                    "LIST [options ...]", "    Return information about client connections.",
                    "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
                    "SETNAME <name>", "    Assign the name <name> to the current connection.",
                    "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
                    "NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on.",
                    "PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
                    "UNPAUSE", "    Stop the current client pause, resuming traffic.",
                    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]",
                    "    Control server assisted client side caching.",
                    "CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
                    "GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
                    "TRACKINGINFO", "    Report tracking status for the current connection.",
                ])
            },
        ] + pauseSpecs(server) + trackingSpecs
    }

    static func onOff(_ b: Bytes) throws -> Bool {
        if b.equalsIgnoringCase("ON") { return true }
        if b.equalsIgnoringCase("OFF") { return false }
        throw RedisError.syntax
    }

    static func validateName(_ name: Bytes, what: String = "Client names") throws {
        for c in name where c < 33 || c > 126 {
            if what == "Client names" {
                throw RedisError("Client names cannot contain spaces, newlines or special characters.")
            }
            throw RedisError("\(what) cannot contain spaces, newlines or special characters.")
        }
    }

    static func describe(_ c: Client, _ engine: Engine, current: Client) -> String {
        let now = Engine.wallClockMs()
        let age = (now - c.createdAt) / 1000
        let idle = (now - c.lastInteraction) / 1000
        var flags = ""
        if c.replyMode == .off { flags += "" }
        if c.kind == "pubsub" { flags += "P" }
        if c.blocked != nil { flags += "b" }
        if c.isUnixSocket { flags += "U" }
        if c.noEvict { flags += "e" }
        if c.noTouch { flags += "T" }
        if flags.isEmpty { flags = "N" }
        let name = c.name?.text ?? ""
        let fd = c.isUnixSocket ? 9 : 8
        return "id=\(c.id) addr=\(c.address) laddr=\(c.localAddress) fd=\(fd) name=\(name) age=\(age) idle=\(idle) "
            + "flags=\(flags) db=\(c.db) sub=\(c.subscriptions) psub=\(c.patternSubscriptions) ssub=\(c.shardSubscriptions) "
            + "multi=\(c.multiDepth) qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 "
            + "tot-mem=1024 events=r cmd=\(c.lastCommand) user=\(c.user) redir=-1 resp=\(c.resp.rawValue) "
            + "lib-name=\(c.libName?.text ?? "") lib-ver=\(c.libVersion?.text ?? "")"
    }

    static func kill(_ ctx: inout CommandContext) throws -> RESPValue {
        let argv = ctx.argv
        // Old form: CLIENT KILL ip:port → OK or error.
        if argv.count == 3 {
            let addr = argv[2].text
            guard let target = ctx.engine.clients.values.first(where: { $0.address == addr }) else {
                throw RedisError("No such client")
            }
            closeClient(target, ctx.client)
            return .ok
        }
        var args = ctx.args
        var id: Int64?
        var type: String?
        var user: String?
        var addr: String?
        var laddr: String?
        var skipMe = true
        while !args.isEmpty {
            guard args.remaining >= 2 else { throw RedisError.syntax }
            let opt = try args.next()
            let val = try args.next()
            if opt.equalsIgnoringCase("ID") {
                guard let v = Numbers.parseInt(val), v > 0 else { throw RedisError("client-id should be greater than 0") }
                id = v
            } else if opt.equalsIgnoringCase("TYPE") {
                let t = val.lower
                guard ["normal", "master", "replica", "slave", "pubsub"].contains(t) else {
                    throw RedisError("Unknown client type '\(val.text)'")
                }
                type = t == "slave" ? "replica" : t
            } else if opt.equalsIgnoringCase("USER") {
                user = val.text
            } else if opt.equalsIgnoringCase("ADDR") {
                addr = val.text
            } else if opt.equalsIgnoringCase("LADDR") {
                laddr = val.text
            } else if opt.equalsIgnoringCase("SKIPME") {
                if val.equalsIgnoringCase("YES") { skipMe = true }
                else if val.equalsIgnoringCase("NO") { skipMe = false }
                else { throw RedisError.syntax }
            } else {
                throw RedisError.syntax
            }
        }
        var killed: Int64 = 0
        for c in ctx.engine.clients.values {
            if let id, c.id != id { continue }
            if let type, c.kind != type { continue }
            if let user, c.user != user { continue }
            if let addr, c.address != addr { continue }
            if let laddr, c.localAddress != laddr { continue }
            if skipMe && c === ctx.client { continue }
            closeClient(c, ctx.client)
            killed += 1
        }
        return .integer(killed)
    }

    static func closeClient(_ target: Client, _ current: Client) {
        if target === current {
            target.closeRequested = true
        } else {
            target.connection?.closeAfterReplies()
        }
    }
}
