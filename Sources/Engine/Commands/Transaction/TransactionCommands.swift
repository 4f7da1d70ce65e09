import RESP

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH, and the dispatcher gate that queues commands.
public enum TransactionCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            "multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], acl: [.transaction],
            docs: CommandDocs("Starts a transaction.", since: "1.2.0", group: "transactions"),
            handler: { ctx in
                guard ctx.client.multi == nil else { throw RedisError("MULTI calls can not be nested") }
                ctx.client.multi = MultiState()
                ctx.client.multiDepth = 0
                return .ok
            }),
        CommandSpec(
            "exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog], acl: [.transaction],
            docs: CommandDocs("Executes all commands in a transaction.", since: "1.2.0", group: "transactions",
                              complexity: "Depends on commands in the transaction"),
            handler: exec),
        CommandSpec(
            "discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], acl: [.transaction],
            docs: CommandDocs("Discards a transaction.", since: "2.0.0", group: "transactions",
                              complexity: "O(N), when N is the number of queued commands"),
            handler: { ctx in
                guard ctx.client.multi != nil else { throw RedisError("DISCARD without MULTI") }
                endTransaction(ctx.client, ctx.engine)
                return .ok
            }),
        CommandSpec(
            "watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy], acl: [.transaction],
            keys: [.range(1, last: -1, [.RO])],
            docs: CommandDocs("Monitors changes to keys to determine the execution of a transaction.", since: "2.2.0",
                              group: "transactions", syntax: "key [key ...]"),
            handler: { ctx in
                guard ctx.client.multi == nil else { throw RedisError("WATCH inside MULTI is not allowed") }
                for key in ctx.argv.dropFirst() {
                    let expired = ctx.engine.databases[ctx.db].raw(key).map { $0.expireAt != 0 && $0.expireAt <= ctx.now } ?? false
                    ctx.engine.watches.watch(ctx.client, db: ctx.db, key: key, expiredNow: expired)
                }
                return .ok
            }),
        CommandSpec(
            "unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], acl: [.transaction],
            docs: CommandDocs("Forgets about watched keys of a transaction.", since: "2.2.0", group: "transactions"),
            handler: { ctx in
                ctx.engine.watches.unwatchAll(ctx.client)
                return .ok
            }),
    ]

    /// Commands that run at once even inside MULTI.
    static let immediate: Set<String> = ["exec", "discard", "multi", "watch", "quit", "reset"]

    /// The dispatcher gate: inside MULTI, queue instead of executing.
    static func gate(_ client: Client, _ spec: CommandSpec, _ argv: [Bytes]) -> RESPValue? {
        guard client.multi != nil else { return nil }
        let name = spec.container ?? spec.name
        if immediate.contains(name) { return nil }
        if spec.flags.contains(.noMulti) || (spec.container != nil && spec.flags.contains(.noMulti)) {
            client.multi!.failed = true
            return .error("ERR Command not allowed inside a transaction")
        }
        client.multi!.queued.append((spec, argv))
        client.multiDepth = client.multi!.queued.count
        return .queued
    }

    public static func endTransaction(_ client: Client, _ engine: Engine) {
        client.multi = nil
        client.multiDepth = -1
        engine.watches.unwatchAll(client)
    }

    static func exec(_ ctx: inout CommandContext) throws -> RESPValue {
        let client = ctx.client
        guard let multi = client.multi else { throw RedisError("EXEC without MULTI") }
        let engine = ctx.engine
        if multi.failed {
            endTransaction(client, engine)
            throw RedisError("EXECABORT", "Transaction discarded because of previous errors.")
        }
        // A watched key changed, or expired since it was watched: the transaction fails.
        var dirty = client.watchDirty
        if !dirty {
            for w in client.watched where !w.expiredAtWatch {
                if let e = engine.databases[w.db].raw(w.key), e.expireAt != 0 && e.expireAt <= ctx.now { dirty = true }
            }
        }
        endTransaction(client, engine)
        if dirty { return .nullArray }
        client.nonBlockingDepth += 1
        let outerContext = client.executionContext
        client.executionContext = .multi
        defer {
            client.nonBlockingDepth -= 1
            client.executionContext = outerContext
        }
        var replies: [RESPValue] = []
        replies.reserveCapacity(multi.queued.count)
        for (spec, argv) in multi.queued {
            // Gates run again (ACL may have changed since queueing), then the command itself.
            if let rejected = ctx.dispatcher.runCheckGates(client, spec, argv) {
                replies.append(rejected)
                continue
            }
            replies.append(ctx.dispatcher.run(spec, argv, client: client))
        }
        return .array(replies)
    }
}
