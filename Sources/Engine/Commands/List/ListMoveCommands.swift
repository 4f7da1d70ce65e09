import RESP

/// LMOVE, RPOPLPUSH, LMPOP and the blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
/// A blocking command first tries to serve itself at once; otherwise it blocks with an
/// `attempt` the blocking registry re-runs when one of its keys changes. A served attempt
/// logs the pop it made (BLPOP → LPOP, BLMOVE → LMOVE…) and reports Redis's keyspace events.
extension ListCommands {
    static let moveSpecs: [CommandSpec] = [
        CommandSpec(
            "lmove", arity: 5, flags: [.write, .denyoom], acl: [.list],
            keys: moveKeys,
            docs: CommandDocs("Pop an element from a list, push it to another list and return it", since: "6.2.0", group: "list",
                              syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT>"),
            handler: lmove),
        CommandSpec(
            "rpoplpush", arity: 3, flags: [.write, .denyoom], acl: [.list],
            keys: moveKeys,
            docs: CommandDocs("Remove the last element in a list, prepend it to another list and return it", since: "1.2.0", group: "list",
                              syntax: "source destination"),
            handler: rpoplpush),
        CommandSpec(
            "lmpop", arity: -4, flags: [.write], acl: [.list],
            keys: [.keynum(1, [.RW, .access, .delete])],
            docs: CommandDocs("Pop elements from a list", since: "7.0.0", group: "list",
                              complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                              syntax: "numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
            handler: lmpop),
        CommandSpec(
            "blpop", arity: -3, flags: [.write, .noscript, .blocking], acl: [.list],
            keys: [.range(1, last: -2, [.RW, .access, .delete])],
            docs: CommandDocs("Remove and get the first element in a list, or block until one is available", since: "2.0.0", group: "list",
                              complexity: "O(N) where N is the number of provided keys.", syntax: "key [key ...] timeout"),
            handler: { ctx in try bpop(&ctx, .head) }),
        CommandSpec(
            "brpop", arity: -3, flags: [.write, .noscript, .blocking], acl: [.list],
            keys: [.range(1, last: -2, [.RW, .access, .delete])],
            docs: CommandDocs("Remove and get the last element in a list, or block until one is available", since: "2.0.0", group: "list",
                              complexity: "O(N) where N is the number of provided keys.", syntax: "key [key ...] timeout"),
            handler: { ctx in try bpop(&ctx, .tail) }),
        CommandSpec(
            "blmove", arity: 6, flags: [.write, .denyoom, .noscript, .blocking], acl: [.list],
            keys: moveKeys,
            docs: CommandDocs("Pop an element from a list, push it to another list and return it; or block until one is available",
                              since: "6.2.0", group: "list", syntax: "source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"),
            handler: blmove),
        CommandSpec(
            "brpoplpush", arity: 4, flags: [.write, .denyoom, .noscript, .blocking], acl: [.list],
            keys: moveKeys,
            docs: CommandDocs("Pop an element from a list, push it to another list and return it; or block until one is available",
                              since: "2.2.0", group: "list", syntax: "source destination timeout"),
            handler: brpoplpush),
        CommandSpec(
            "blmpop", arity: -5, flags: [.write, .blocking], acl: [.list],
            keys: [.keynum(2, [.RW, .access, .delete])],
            docs: CommandDocs("Pop elements from a list, or block until one is available", since: "7.0.0", group: "list",
                              complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                              syntax: "timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"),
            handler: blmpop),
    ]

    static let moveKeys: [KeySpec] = [.single(1, [.RW, .access, .delete]), .single(2, [.RW, .insert])]

    // MARK: LMOVE / RPOPLPUSH

    /// How a move is logged: RPOPLPUSH for (B)RPOPLPUSH, LMOVE for (B)LMOVE, as Redis propagates.
    enum MoveLog { case lmove, rpoplpush }

    static func parseEnd(_ word: Bytes) throws -> End {
        guard let e = End.parse(word) else { throw RedisError.syntax }
        return e
    }

    static func lmove(_ ctx: inout CommandContext) throws -> RESPValue {
        let from = try parseEnd(ctx.argv[3])
        let to = try parseEnd(ctx.argv[4])
        return try move(&ctx, ctx.argv[1], ctx.argv[2], from, to, .lmove).map { .bulk($0) } ?? .null
    }

    static func rpoplpush(_ ctx: inout CommandContext) throws -> RESPValue {
        try move(&ctx, ctx.argv[1], ctx.argv[2], .tail, .head, .rpoplpush).map { .bulk($0) } ?? .null
    }

    /// Moves one element from `source`'s `from` end to `destination`'s `to` end (Redis's
    /// `lmoveGenericCommand`): nil if the source is missing; WRONGTYPE for either key before
    /// anything changes. Events in Redis's order: push on the destination, pop on the source,
    /// then `del` if the source is left empty.
    static func move(_ ctx: inout CommandContext, _ source: Bytes, _ destination: Bytes,
                     _ from: End, _ to: End, _ log: MoveLog) throws -> Bytes? {
        guard let value = try ctx.listPeek(source, from) else { return nil }
        _ = try ctx.listLength(destination)  // type check only
        let c = ctx
        if source == destination {
            try ctx.mutate(source, as: ListValue.self, create: false) { l in
                l.push(l.pop(from: from)!, to: to)
                return ((), true)
            }
            ctx.notify(.list, to.pushName, destination)
            ctx.notify(.list, from.popName, source)
        } else {
            try ctx.mutate(destination, as: ListValue.self, create: true) { l in
                l.push(value, to: to)
                return ((), true)
            }
            ctx.notify(.list, to.pushName, destination)
            try ctx.mutate(source, as: ListValue.self, create: false) { l in
                _ = l.pop(from: from)
                c.notify(.list, from.popName, source)
                return ((), true)
            }
        }
        switch log {
        case .lmove: ctx.emit([EffectWord.lmove, source, destination, Bytes(from.word), Bytes(to.word)])
        case .rpoplpush: ctx.emit([EffectWord.rpoplpush, source, destination])
        }
        return value
    }

    // MARK: LMPOP

    struct MultiPop {
        var keys: [Bytes]
        var end: End
        var count: Int
    }

    /// `numkeys key [key ...] <LEFT | RIGHT> [COUNT count]` from `argv[numkeysIndex]`, with
    /// Redis's error texts and order of checks.
    static func parseMultiPop(_ argv: [Bytes], numkeysIndex: Int) throws -> MultiPop {
        let greaterThanZero = RedisError("numkeys should be greater than 0")
        guard let numkeys = Numbers.parseInt(argv[numkeysIndex]), numkeys >= 1 else { throw greaterThanZero }
        guard numkeys < Int64(argv.count) else { throw RedisError.syntax }
        let whereIndex = numkeysIndex + Int(numkeys) + 1
        guard whereIndex < argv.count else { throw RedisError.syntax }
        let end = try parseEnd(argv[whereIndex])
        var count: Int?
        var j = whereIndex + 1
        while j < argv.count {
            if count == nil && argv[j].equalsIgnoringCase("COUNT") && j + 1 < argv.count {
                j += 1
                guard let n = Numbers.parseInt(argv[j]), n >= 1 else { throw RedisError("count should be greater than 0") }
                count = Int(clamping: n)
            } else {
                throw RedisError.syntax
            }
            j += 1
        }
        return MultiPop(keys: Array(argv[(numkeysIndex + 1)..<whereIndex]), end: end, count: count ?? 1)
    }

    static func lmpop(_ ctx: inout CommandContext) throws -> RESPValue {
        let p = try parseMultiPop(ctx.argv, numkeysIndex: 1)
        return try popFirst(&ctx, p.keys, p.end, count: p.count, skipWrongType: false) ?? .nullArray
    }

    /// Pops from the first of `keys` holding a list: one element as `[key, element]`
    /// (count nil, BLPOP) or up to `count` as `[key, [elements]]` (LMPOP). Another type is
    /// WRONGTYPE, or skipped when serving a blocked client (Redis serves only lists).
    static func popFirst(_ ctx: inout CommandContext, _ keys: [Bytes], _ end: End, count: Int?,
                         skipWrongType: Bool) throws -> RESPValue? {
        for key in keys {
            let length: Int?
            do {
                length = try ctx.listLength(key)
            } catch let e as RedisError where e == .wrongType && skipWrongType {
                continue
            }
            guard let length, length > 0 else { continue }
            let popped = try ctx.popList(key, count ?? 1, from: end)
            let name = end.popCommand
            if let count {
                ctx.emit([name, key, Numbers.format(Int64(min(count, length)))])
                return .array([.bulk(key), .array(popped.map { .bulk($0) })])
            }
            ctx.emit([name, key])
            return .array([.bulk(key), .bulk(popped[0])])
        }
        return nil
    }

    // MARK: blocking

    static func bpop(_ ctx: inout CommandContext, _ end: End) throws -> RESPValue {
        let timeout = try Arguments.timeoutMs(ctx.argv[ctx.argv.count - 1])
        let keys = Array(ctx.argv[1..<(ctx.argv.count - 1)])
        if let reply = try popFirst(&ctx, keys, end, count: nil, skipWrongType: false) { return reply }
        return ctx.block(keys: keys, timeoutMs: timeout, timeoutReply: .nullArray) { c in
            try popFirst(&c, keys, end, count: nil, skipWrongType: true)
        }
    }

    static func blmpop(_ ctx: inout CommandContext) throws -> RESPValue {
        let timeout = try Arguments.timeoutMs(ctx.argv[1])
        let p = try parseMultiPop(ctx.argv, numkeysIndex: 2)
        if let reply = try popFirst(&ctx, p.keys, p.end, count: p.count, skipWrongType: false) { return reply }
        return ctx.block(keys: p.keys, timeoutMs: timeout, timeoutReply: .nullArray) { c in
            try popFirst(&c, p.keys, p.end, count: p.count, skipWrongType: true)
        }
    }

    static func blmove(_ ctx: inout CommandContext) throws -> RESPValue {
        let from = try parseEnd(ctx.argv[3])
        let to = try parseEnd(ctx.argv[4])
        let timeout = try Arguments.timeoutMs(ctx.argv[5])
        return try blockingMove(&ctx, from, to, timeout, .lmove)
    }

    static func brpoplpush(_ ctx: inout CommandContext) throws -> RESPValue {
        let timeout = try Arguments.timeoutMs(ctx.argv[3])
        return try blockingMove(&ctx, .tail, .head, timeout, .rpoplpush)
    }

    /// Redis's `blmoveGenericCommand`: serve at once if the source holds a list, else block on
    /// the source alone. When served later, a destination of another type is WRONGTYPE for
    /// the waiter (and it stops waiting); a source of another type keeps it waiting.
    static func blockingMove(_ ctx: inout CommandContext, _ from: End, _ to: End, _ timeoutMs: Int64,
                             _ log: MoveLog) throws -> RESPValue {
        let source = ctx.argv[1]
        let destination = ctx.argv[2]
        if let v = try move(&ctx, source, destination, from, to, log) { return .bulk(v) }
        return ctx.block(keys: [source], timeoutMs: timeoutMs, timeoutReply: .null) { c in
            guard c.holdsList(source) else { return nil }
            return try move(&c, source, destination, from, to, log).map { .bulk($0) }
        }
    }
}
