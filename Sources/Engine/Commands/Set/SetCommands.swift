import RESP

/// Set family: membership, SMOVE, random members and SSCAN. The set algebra (SINTER, SUNION,
/// SDIFF and their STORE / CARD forms) lives in SetAlgebraCommands.swift.
public enum SetCommands {
    public static var specs: [CommandSpec] { memberSpecs + algebraSpecs }

    static let memberSpecs: [CommandSpec] = [
        CommandSpec(
            "sadd", arity: -3, flags: [.write, .denyoom, .fast], acl: [.set],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs(
                "Add one or more members to a set", since: "1.0.0", group: "set",
                complexity:
                    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
                syntax: "key member [member ...]"),
            handler: sadd),
        CommandSpec(
            "srem", arity: -3, flags: [.write, .fast], acl: [.set],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove one or more members from a set", since: "1.0.0", group: "set",
                complexity: "O(N) where N is the number of members to be removed.", syntax: "key member [member ...]"),
            handler: srem),
        CommandSpec(
            "scard", arity: 2, flags: [.readonly, .fast], acl: [.set],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Get the number of members in a set", since: "1.0.0", group: "set", syntax: "key"),
            handler: scard),
        CommandSpec(
            "sismember", arity: 3, flags: [.readonly, .fast], acl: [.set],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Determine if a given value is a member of a set", since: "1.0.0", group: "set", syntax: "key member"),
            handler: sismember),
        CommandSpec(
            "smismember", arity: -3, flags: [.readonly, .fast], acl: [.set],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Returns the membership associated with the given elements for a set", since: "6.2.0", group: "set",
                complexity: "O(N) where N is the number of elements being checked for membership",
                syntax: "key member [member ...]"),
            handler: smismember),
        CommandSpec(
            "smembers", arity: 2, flags: [.readonly], acl: [.set],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get all the members in a set", since: "1.0.0", group: "set",
                complexity: "O(N) where N is the set cardinality.", syntax: "key"),
            handler: smembers),
        CommandSpec(
            "smove", arity: 4, flags: [.write, .fast], acl: [.set],
            keys: [.single(1, [.RW, .access, .delete]), .single(2, [.RW, .insert])],
            docs: CommandDocs("Move a member from one set to another", since: "1.0.0", group: "set",
                              syntax: "source destination member"),
            handler: smove),
        CommandSpec(
            "spop", arity: -2, flags: [.write, .fast], acl: [.set],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs(
                "Remove and return one or multiple random members from a set", since: "1.0.0", group: "set",
                complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
                syntax: "key [count]"),
            handler: spop),
        CommandSpec(
            "srandmember", arity: -2, flags: [.readonly], acl: [.set],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get one or multiple random members from a set", since: "1.0.0", group: "set",
                complexity:
                    "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
                syntax: "key [count]"),
            handler: srandmember),
        CommandSpec(
            "sscan", arity: -3, flags: [.readonly], acl: [.set],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Incrementally iterate Set elements", since: "2.8.0", group: "set",
                complexity: CollectionScan.complexity, syntax: "key cursor [MATCH pattern] [COUNT count]"),
            handler: sscan),
    ]

    /// SPOP logs its removals as SREMs of at most this many members each (as Redis batches them).
    static let sremBatch = 1024

    // MARK: writes

    static func sadd(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let members = ctx.argv[2...]
        let added = try ctx.mutate(key, as: SetValue.self, create: true) { s -> (Int, Bool) in
            var n = 0
            for m in members where s.add(m) { n += 1 }
            return (n, n > 0)
        }!
        if added > 0 {
            ctx.notify(.set, "sadd", key)
            ctx.emitVerbatim()
        }
        return .integer(Int64(added))
    }

    static func srem(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let members = ctx.argv[2...]
        let c = ctx
        let removed = try ctx.mutate(key, as: SetValue.self, create: false) { s -> (Int, Bool) in
            var n = 0
            for m in members where s.remove(m) { n += 1 }
            if n > 0 { c.notify(.set, "srem", key) }  // before the "del" of an emptied key
            return (n, n > 0)
        } ?? 0
        if removed > 0 { ctx.emitVerbatim() }
        return .integer(Int64(removed))
    }

    /// SMOVE is deterministic: logged as given when it moved something.
    static func smove(_ ctx: inout CommandContext) throws -> RESPValue {
        let source = ctx.argv[1], destination = ctx.argv[2], member = ctx.argv[3]
        guard let src = ctx.lookup(source) else { return .integer(0) }
        guard case .set(let srcSet) = src.value else { throw RedisError.wrongType }
        if let dst = ctx.lookup(destination), SetValue.extract(dst.value) == nil { throw RedisError.wrongType }
        if source == destination { return .integer(srcSet.contains(member) ? 1 : 0) }
        let c = ctx
        let removed = try ctx.mutate(source, as: SetValue.self, create: false) { s -> (Bool, Bool) in
            let r = s.remove(member)
            if r { c.notify(.set, "srem", source) }
            return (r, r)
        } ?? false
        guard removed else { return .integer(0) }
        let added = try ctx.mutate(destination, as: SetValue.self, create: true) { s -> (Bool, Bool) in
            let a = s.add(member)
            return (a, a)
        }!
        if added { ctx.notify(.set, "sadd", destination) }
        ctx.emitVerbatim()
        return .integer(1)
    }

    /// SPOP: the chosen members are logged as SREMs (or, when Redis rebuilds the set from the
    /// members it keeps, as DEL + SADD of those, so replay yields the same encoding).
    static func spop(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        if ctx.argv.count > 3 { throw RedisError.syntax }
        let withCount = ctx.argv.count == 3
        var count: Int64 = 1
        if withCount {
            guard let v = Numbers.parseInt(ctx.argv[2]), v >= 0 else {
                throw RedisError("value is out of range, must be positive")
            }
            count = v
        }
        // Only the size is read here: holding the value across `mutate` would make it copy the set.
        let size: Int
        do {
            guard let e = ctx.lookup(key) else { return withCount ? .set([]) : .null }
            guard case .set(let current) = e.value else { throw RedisError.wrongType }
            size = current.count
        }
        if withCount && count == 0 { return .set([]) }
        var rng = ctx.engine.rng
        let c = ctx
        if count >= Int64(size) {
            // Everything goes: the reply is the whole set, the effect a DEL.
            let all = try ctx.read(key, as: SetValue.self)!.members
            c.notify(.set, "spop", key)
            ctx.delete(key)
            ctx.notify(.generic, "del", key)
            ctx.emit([EffectWord.del, key])
            return withCount ? .set(all.map { .bulk($0) }) : .bulk(all[0])
        }
        let n = Int(count)
        var popped: [Bytes] = []
        var kept: [Bytes]?
        try ctx.mutate(key, as: SetValue.self, create: false) { s -> (Void, Bool) in
            c.notify(.set, "spop", key)
            if withCount && n * 5 > size {
                // Redis's third case: pick the members that stay, rebuild the set from them.
                var rebuilt = SetValue()
                var stay: [Bytes] = []
                for _ in 0..<(size - n) {
                    let m = s.randomMember(using: &rng)!
                    s.remove(m)
                    rebuilt.add(m)
                    stay.append(m)
                }
                popped = s.members
                s = rebuilt
                kept = stay
            } else {
                popped.reserveCapacity(n)
                for _ in 0..<n {
                    let m = s.randomMember(using: &rng)!
                    s.remove(m)
                    popped.append(m)
                }
            }
            return ((), true)
        }
        if let kept {
            ctx.emit([EffectWord.del, key])
            for start in stride(from: 0, to: kept.count, by: sremBatch) {
                ctx.emit([EffectWord.sadd, key] + kept[start..<min(start + sremBatch, kept.count)])
            }
        } else {
            for start in stride(from: 0, to: popped.count, by: sremBatch) {
                ctx.emit([EffectWord.srem, key] + popped[start..<min(start + sremBatch, popped.count)])
            }
        }
        return withCount ? .set(popped.map { .bulk($0) }) : .bulk(popped[0])
    }

    // MARK: reads

    static func scard(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(Int64(try ctx.read(ctx.argv[1], as: SetValue.self)?.count ?? 0))
    }

    static func sismember(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(try ctx.read(ctx.argv[1], as: SetValue.self)?.contains(ctx.argv[2]) == true ? 1 : 0)
    }

    static func smismember(_ ctx: inout CommandContext) throws -> RESPValue {
        let s = try ctx.read(ctx.argv[1], as: SetValue.self)
        return .array(ctx.argv[2...].map { .integer(s?.contains($0) == true ? 1 : 0) })
    }

    static func smembers(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let s = try ctx.read(ctx.argv[1], as: SetValue.self) else { return .set([]) }
        var out: [RESPValue] = []
        out.reserveCapacity(s.count)
        s.forEach { out.append(.bulk($0)) }
        return .set(out)
    }

    static func srandmember(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        if ctx.argv.count > 3 { throw RedisError.syntax }
        var rng = ctx.engine.rng
        if ctx.argv.count == 2 {
            guard let s = try ctx.read(key, as: SetValue.self) else { return .null }
            return .bulk(s.randomMember(using: &rng)!)
        }
        let count = try RandomSampling.count(ctx.argv[2])
        guard let s = try ctx.read(key, as: SetValue.self) else { return .array([]) }
        let picked = try RandomSampling.pick(count: count, size: s.count, using: &rng,
                                             random: { s.randomMember(using: &$0)! }, identity: { $0 }, all: { s.members })
        return .array(picked.map { .bulk($0) })
    }

    static func sscan(_ ctx: inout CommandContext) throws -> RESPValue {
        let cursor = try CollectionScan.cursor(ctx.argv[2])
        guard let s = try ctx.read(ctx.argv[1], as: SetValue.self) else { return CollectionScan.empty }
        let o = try CollectionScan.Options(ctx.argv, from: 3)
        var out: [RESPValue] = []
        let next = s.scan(cursor: cursor, count: o.count) { m in
            if o.matches(m) { out.append(.bulk(m)) }
        }
        return CollectionScan.reply(next, out)
    }
}
