import RESP

/// Connection commands that need only the engine (session-level ones live in Server).
public enum ConnectionCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            "ping", arity: -1, flags: [.fast], acl: [.connection],
            docs: CommandDocs("Returns the server's liveliness response.", since: "1.0.0", group: "connection", syntax: "[message]"),
            handler: ping),
        CommandSpec(
            "echo", arity: 2, flags: [.loading, .stale, .fast], acl: [.connection],
            docs: CommandDocs("Returns the given string.", since: "1.0.0", group: "connection", syntax: "message"),
            handler: { ctx in .bulk(ctx.argv[1]) }),
        CommandSpec(
            "select", arity: 2, flags: [.loading, .stale, .fast], acl: [.connection],
            docs: CommandDocs("Changes the selected database.", since: "1.0.0", group: "connection", syntax: "index"),
            handler: select),
    ]

    static func ping(_ ctx: inout CommandContext) throws -> RESPValue {
        if ctx.argv.count > 2 { throw RedisError.wrongArity("ping") }
        // RESP2 clients in subscribed mode get a multi-bulk (they parse everything as messages).
        let c = ctx.client
        if c.resp == .resp2 && c.subscriptions + c.patternSubscriptions + c.shardSubscriptions > 0 {
            return .array([.bulk("pong"), .bulk(ctx.argv.count == 2 ? ctx.argv[1] : [])])
        }
        return ctx.argv.count == 2 ? .bulk(ctx.argv[1]) : .simple("PONG")
    }

    static func select(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let i = Numbers.parseInt(ctx.argv[1]) else { throw RedisError.notInteger }
        guard i >= 0 && i < Int64(ctx.engine.databases.count) else { throw RedisError.dbIndexOutOfRange }
        ctx.client.db = Int(i)
        return .ok
    }
}
