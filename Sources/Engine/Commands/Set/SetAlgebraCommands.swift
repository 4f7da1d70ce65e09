import RESP

/// SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD. A missing key is an empty set;
/// every key is type-checked first. STORE results take the encoding Redis would give a set
/// built by adding the members (intset when all are integers and few enough).
extension SetCommands {
    static let algebraSpecs: [CommandSpec] = [
        readSpec("sinter", "Intersect multiple sets", interComplexity, .inter),
        storeSpec("sinterstore", "Intersect multiple sets and store the resulting set in a key", interComplexity, .inter, [.RW, .update]),
        readSpec("sunion", "Add multiple sets", unionComplexity, .union),
        storeSpec("sunionstore", "Add multiple sets and store the resulting set in a key", unionComplexity, .union, [.OW, .update]),
        readSpec("sdiff", "Subtract multiple sets", unionComplexity, .diff),
        storeSpec("sdiffstore", "Subtract multiple sets and store the resulting set in a key", unionComplexity, .diff, [.OW, .update]),
        CommandSpec(
            "sintercard", arity: -3, flags: [.readonly], acl: [.set],
            keys: [.keynum(1, [.RO, .access])],
            docs: CommandDocs(
                "Intersect multiple sets and return the cardinality of the result", since: "7.0.0", group: "set",
                complexity: interComplexity, syntax: "numkeys key [key ...] [LIMIT limit]"),
            handler: sintercard),
    ]

    static let interComplexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
    static let unionComplexity = "O(N) where N is the total number of elements in all given sets."

    enum Operation { case inter, union, diff }

    static func readSpec(_ name: String, _ summary: String, _ complexity: String, _ op: Operation) -> CommandSpec {
        CommandSpec(
            name, arity: -2, flags: [.readonly], acl: [.set],
            keys: [.range(1, last: -1, [.RO, .access])],
            docs: CommandDocs(summary, since: "1.0.0", group: "set", complexity: complexity, syntax: "key [key ...]"),
            handler: { ctx in
                let sets = try loadSets(&ctx, Array(ctx.argv[1...]))
                var out: [RESPValue] = []
                compute(op, sets) { out.append(.bulk($0)) }
                return .set(out)
            })
    }

    static func storeSpec(
        _ name: String, _ summary: String, _ complexity: String, _ op: Operation, _ destination: KeySpec.Flags
    ) -> CommandSpec {
        CommandSpec(
            name, arity: -3, flags: [.write, .denyoom], acl: [.set],
            keys: [.single(1, destination), .range(2, last: -1, [.RO, .access])],
            docs: CommandDocs(summary, since: "1.0.0", group: "set", complexity: complexity, syntax: "destination key [key ...]"),
            handler: { ctx in try store(&ctx, op) })
    }

    /// The sets at `keys` (nil for a missing key); WRONGTYPE if any key holds another type.
    static func loadSets(_ ctx: inout CommandContext, _ keys: [Bytes]) throws -> [SetValue?] {
        try keys.map { try ctx.read($0, as: SetValue.self) }
    }

    /// Visits the members of the operation's result, each once.
    static func compute(_ op: Operation, _ sets: [SetValue?], limit: Int = 0, _ visit: (Bytes) -> Void) {
        switch op {
        case .inter:
            if sets.contains(where: { $0 == nil }) { return }
            // Walk the smallest set, probe the others from the next smallest on.
            let ordered = sets.map { $0! }.sorted { $0.count < $1.count }
            var found = 0
            ordered[0].forEach { m in
                if limit > 0 && found >= limit { return }
                for other in ordered.dropFirst() where !other.contains(m) { return }
                found += 1
                visit(m)
            }
        case .union:
            var seen = SetValue()
            for s in sets {
                s?.forEach { m in if seen.add(m) { visit(m) } }
            }
        case .diff:
            guard let first = sets[0] else { return }
            let others = sets.dropFirst().compactMap { $0 }
            first.forEach { m in
                for other in others where other.contains(m) { return }
                visit(m)
            }
        }
    }

    /// SINTERSTORE / SUNIONSTORE / SDIFFSTORE: the destination is replaced whatever its type,
    /// or deleted when the result is empty. Deterministic given the keyspace, so logged as given.
    static func store(_ ctx: inout CommandContext, _ op: Operation) throws -> RESPValue {
        let destination = ctx.argv[1]
        let sets = try loadSets(&ctx, Array(ctx.argv[2...]))
        var result = SetValue()
        compute(op, sets) { result.add($0) }
        if result.isEmpty {
            if ctx.delete(destination) {
                ctx.notify(.generic, "del", destination)
                ctx.emitVerbatim()
            }
            return .integer(0)
        }
        let count = result.count
        ctx.set(destination, Entry(value: .set(result)))
        ctx.notify(.set, ctx.spec.name, destination)
        ctx.emitVerbatim()
        return .integer(Int64(count))
    }

    static func sintercard(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let numkeys = Numbers.parseInt(ctx.argv[1]), numkeys >= 1 else {
            throw RedisError("numkeys should be greater than 0")
        }
        guard numkeys <= Int64(ctx.argv.count - 2) else {
            throw RedisError("Number of keys can't be greater than number of args")
        }
        let n = Int(numkeys)
        var limit = 0
        var j = 2 + n
        while j < ctx.argv.count {
            if ctx.argv[j].equalsIgnoringCase("LIMIT") && ctx.argv.count - j >= 2 {
                guard let l = Numbers.parseInt(ctx.argv[j + 1]), l >= 0 else { throw RedisError("LIMIT can't be negative") }
                limit = Int(clamping: l)
                j += 2
            } else {
                throw RedisError.syntax
            }
        }
        let sets = try loadSets(&ctx, Array(ctx.argv[2..<(2 + n)]))
        var count: Int64 = 0
        compute(.inter, sets, limit: limit) { _ in count += 1 }
        return .integer(count)
    }
}
