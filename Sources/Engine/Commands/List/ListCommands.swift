import RESP

/// List family: pushes, pops, indexing, ranges and edits. Moves (LMOVE, LMPOP) and the
/// blocking commands live in ListMoveCommands.swift.
public enum ListCommands {
    public static var specs: [CommandSpec] { accessSpecs + moveSpecs }

    typealias End = ListValue.End

    static let pushComplexity =
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."

    static let accessSpecs: [CommandSpec] = [
        CommandSpec(
            "lpush", arity: -3, flags: [.write, .denyoom, .fast], acl: [.list],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs("Prepend one or multiple elements to a list", since: "1.0.0", group: "list",
                              complexity: pushComplexity, syntax: "key element [element ...]"),
            handler: { ctx in try push(&ctx, .head, onlyIfExists: false) }),
        CommandSpec(
            "rpush", arity: -3, flags: [.write, .denyoom, .fast], acl: [.list],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs("Append one or multiple elements to a list", since: "1.0.0", group: "list",
                              complexity: pushComplexity, syntax: "key element [element ...]"),
            handler: { ctx in try push(&ctx, .tail, onlyIfExists: false) }),
        CommandSpec(
            "lpushx", arity: -3, flags: [.write, .denyoom, .fast], acl: [.list],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs("Prepend an element to a list, only if the list exists", since: "2.2.0", group: "list",
                              complexity: pushComplexity, syntax: "key element [element ...]"),
            handler: { ctx in try push(&ctx, .head, onlyIfExists: true) }),
        CommandSpec(
            "rpushx", arity: -3, flags: [.write, .denyoom, .fast], acl: [.list],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs("Append an element to a list, only if the list exists", since: "2.2.0", group: "list",
                              complexity: pushComplexity, syntax: "key element [element ...]"),
            handler: { ctx in try push(&ctx, .tail, onlyIfExists: true) }),
        CommandSpec(
            "lpop", arity: -2, flags: [.write, .fast], acl: [.list],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs("Remove and get the first elements in a list", since: "1.0.0", group: "list",
                              complexity: "O(N) where N is the number of elements returned", syntax: "key [count]"),
            handler: { ctx in try pop(&ctx, .head) }),
        CommandSpec(
            "rpop", arity: -2, flags: [.write, .fast], acl: [.list],
            keys: [.single(1, [.RW, .access, .delete])],
            docs: CommandDocs("Remove and get the last elements in a list", since: "1.0.0", group: "list",
                              complexity: "O(N) where N is the number of elements returned", syntax: "key [count]"),
            handler: { ctx in try pop(&ctx, .tail) }),
        CommandSpec(
            "llen", arity: 2, flags: [.readonly, .fast], acl: [.list],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Get the length of a list", since: "1.0.0", group: "list", syntax: "key"),
            handler: llen),
        CommandSpec(
            "lindex", arity: 3, flags: [.readonly], acl: [.list],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get an element from a list by its index", since: "1.0.0", group: "list",
                complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
                syntax: "key index"),
            handler: lindex),
        CommandSpec(
            "lrange", arity: 4, flags: [.readonly], acl: [.list],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get a range of elements from a list", since: "1.0.0", group: "list",
                complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
                syntax: "key start stop"),
            handler: lrange),
        CommandSpec(
            "lpos", arity: -3, flags: [.readonly], acl: [.list],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Return the index of matching elements on a list", since: "6.0.6", group: "list",
                complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
                syntax: "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"),
            handler: lpos),
        CommandSpec(
            "linsert", arity: 5, flags: [.write, .denyoom], acl: [.list],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs(
                "Insert an element before or after another element in a list", since: "2.2.0", group: "list",
                complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
                syntax: "key <BEFORE | AFTER> pivot element"),
            handler: linsert),
        CommandSpec(
            "lset", arity: 4, flags: [.write, .denyoom], acl: [.list],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(
                "Set the value of an element in a list by its index", since: "1.0.0", group: "list",
                complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
                syntax: "key index element"),
            handler: lset),
        CommandSpec(
            "lrem", arity: 4, flags: [.write], acl: [.list],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Remove elements from a list", since: "1.0.0", group: "list",
                complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
                syntax: "key count element"),
            handler: lrem),
        CommandSpec(
            "ltrim", arity: 4, flags: [.write], acl: [.list],
            keys: [.single(1, [.RW, .delete])],
            docs: CommandDocs(
                "Trim a list to the specified range", since: "1.0.0", group: "list",
                complexity: "O(N) where N is the number of elements to be removed by the operation.",
                syntax: "key start stop"),
            handler: ltrim),
    ]

    // MARK: push / pop

    static func push(_ ctx: inout CommandContext, _ end: End, onlyIfExists: Bool) throws -> RESPValue {
        let key = ctx.argv[1]
        let elements = ctx.argv[2...]
        guard let n = try ctx.mutate(key, as: ListValue.self, create: !onlyIfExists, { l in
            for e in elements { l.push(e, to: end) }
            return (l.count, true)
        }) else { return .integer(0) }
        ctx.notify(.list, end.pushName, key)
        ctx.emitVerbatim()
        return .integer(Int64(n))
    }

    static func pop(_ ctx: inout CommandContext, _ end: End) throws -> RESPValue {
        guard ctx.argv.count <= 3 else { throw RedisError.wrongArity(ctx.spec.name) }
        let key = ctx.argv[1]
        var count: Int?
        if ctx.argv.count == 3 {
            guard let n = Numbers.parseInt(ctx.argv[2]), n >= 0 else { throw RedisError.mustBePositive }
            count = Int(clamping: n)
        }
        guard let count else {
            guard let element = try ctx.popOne(key, from: end) else { return .null }
            ctx.emit([end.popCommand, key])
            return .bulk(element)
        }
        if count == 0 { return try ctx.listLength(key) == nil ? .nullArray : .emptyArray }
        // A list in the keyspace is never empty: nothing popped means no list.
        let popped = try ctx.popList(key, count, from: end)
        if popped.isEmpty { return .nullArray }
        ctx.emit([end.popCommand, key, Numbers.format(Int64(count))])
        return .array(popped.map { .bulk($0) })
    }

    // MARK: reads

    static func llen(_ ctx: inout CommandContext) throws -> RESPValue {
        .integer(Int64(try ctx.read(ctx.argv[1], as: ListValue.self)?.count ?? 0))
    }

    static func lindex(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let l = try ctx.read(ctx.argv[1], as: ListValue.self) else { return .null }
        let index = try ctx.argv[2].int()
        return l.element(at: index).map { .bulk($0) } ?? .null
    }

    static func lrange(_ ctx: inout CommandContext) throws -> RESPValue {
        let start = try ctx.argv[2].int()
        let stop = try ctx.argv[3].int()
        guard let l = try ctx.read(ctx.argv[1], as: ListValue.self), let r = l.clamp(start, stop) else { return .emptyArray }
        return ctx.bulkArray(l.items[r])
    }

    static func lpos(_ ctx: inout CommandContext) throws -> RESPValue {
        var rank: Int64 = 1
        var count: Int?
        var maxlen = 0
        var args = ctx.args
        _ = try args.next()
        let element = try args.next()
        while !args.isEmpty {
            let hasValue = args.remaining >= 2
            if hasValue && args.flag("RANK") {
                rank = try args.int()
                guard rank != 0 else {
                    throw RedisError(
                        "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
                }
            } else if hasValue && args.flag("COUNT") {
                guard let n = Numbers.parseInt(try args.next()), n >= 0 else { throw RedisError("COUNT can't be negative") }
                count = Int(clamping: n)
            } else if hasValue && args.flag("MAXLEN") {
                guard let n = Numbers.parseInt(try args.next()), n >= 0 else { throw RedisError("MAXLEN can't be negative") }
                maxlen = Int(clamping: n)
            } else {
                throw RedisError.syntax
            }
        }
        guard let l = try ctx.read(ctx.argv[1], as: ListValue.self) else { return count == nil ? .null : .emptyArray }
        let found = l.positions(of: element, rank: rank, count: count ?? 1, maxlen: maxlen)
        if count != nil { return .array(found.map { .integer(Int64($0)) }) }
        return found.first.map { .integer(Int64($0)) } ?? .null
    }

    // MARK: edits

    static func linsert(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let after: Bool
        if ctx.argv[2].equalsIgnoringCase("AFTER") {
            after = true
        } else if ctx.argv[2].equalsIgnoringCase("BEFORE") {
            after = false
        } else {
            throw RedisError.syntax
        }
        let pivot = ctx.argv[3]
        let element = ctx.argv[4]
        guard let (inserted, n) = try ctx.mutate(key, as: ListValue.self, create: false, { l in
            let ok = l.insert(element, after: after, pivot: pivot)
            return ((ok, l.count), ok)
        }) else { return .integer(0) }
        guard inserted else { return .integer(-1) }
        ctx.notify(.list, "linsert", key)
        ctx.emitVerbatim()
        return .integer(Int64(n))
    }

    static func lset(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        guard try ctx.listLength(key) != nil else { throw RedisError.noSuchKey }
        let index = try ctx.argv[2].int()
        let element = ctx.argv[3]
        try ctx.mutate(key, as: ListValue.self, create: false) { l in
            guard let i = l.position(index) else { throw RedisError.outOfRange }
            l.items[i] = element
            return ((), true)
        }
        ctx.notify(.list, "lset", key)
        ctx.emitVerbatim()
        return .ok
    }

    static func lrem(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let count = try ctx.argv[2].int()
        let element = ctx.argv[3]
        let c = ctx
        let removed = try ctx.mutate(key, as: ListValue.self, create: false) { l in
            let n = l.remove(element, count: count)
            if n > 0 { c.notify(.list, "lrem", key) }
            return (n, n > 0)
        } ?? 0
        if removed > 0 { ctx.emitVerbatim() }
        return .integer(Int64(removed))
    }

    static func ltrim(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let start = try ctx.argv[2].int()
        let stop = try ctx.argv[3].int()
        let c = ctx
        let removed = try ctx.mutate(key, as: ListValue.self, create: false) { l in
            let n = l.trim(start, stop)
            c.notify(.list, "ltrim", key)
            return (n, true)  // Redis signals the key as modified even when nothing is trimmed
        } ?? 0
        if removed > 0 { ctx.emitVerbatim() }
        return .ok
    }
}

extension RedisError {
    static let mustBePositive = RedisError("value is out of range, must be positive")
}

extension CommandContext {
    /// The length of the list at `key` (nil if missing; WRONGTYPE if another type), without
    /// counting a keyspace hit or keeping a reference to the list (which would make the next
    /// in-place change copy it).
    func listLength(_ key: Bytes) throws -> Int? {
        guard let e = lookup(key) else { return nil }
        guard case .list(let l) = e.value else { throw RedisError.wrongType }
        return l.count
    }

    /// Whether `key` holds a list (without keeping a reference to it).
    func holdsList(_ key: Bytes) -> Bool {
        guard let e = lookup(key), case .list = e.value else { return false }
        return true
    }

    /// The element at `end` of the list at `key` (nil if missing; WRONGTYPE if another type).
    func listPeek(_ key: Bytes, _ end: ListValue.End) throws -> Bytes? {
        guard let e = lookup(key) else { return nil }
        guard case .list(let l) = e.value else { throw RedisError.wrongType }
        return l.peek(end)
    }

    /// Pops up to `n` elements from an existing list and reports the pop event (and `del` if
    /// the list is left empty), in Redis's order. Logs nothing: callers emit their effect.
    func popList(_ key: Bytes, _ n: Int, from end: ListValue.End) throws -> [Bytes] {
        try mutate(key, as: ListValue.self, create: false) { l in
            let popped = l.pop(n, from: end)
            notify(.list, end.popName, key)
            return (popped, true)
        } ?? []
    }

    /// `popList` of one element: the element, or nil if there is no list.
    func popOne(_ key: Bytes, from end: ListValue.End) throws -> Bytes? {
        try mutate(key, as: ListValue.self, create: false) { l in
            let popped = l.pop(from: end)
            notify(.list, end.popName, key)
            return (popped, true)
        } ?? nil
    }
}
