import RESP

/// Generic keyspace commands. Expiry commands are in ExpireCommands.swift, OBJECT in
/// ObjectCommand.swift, whole-database commands in DatabaseCommands.swift.
public enum KeyCommands {
    public static var specs: [CommandSpec] { keySpecs + expireSpecs + [objectSpec] + databaseSpecs }

    static let keySpecs: [CommandSpec] = [
        CommandSpec(
            "del", arity: -2, flags: [.write], acl: [.keyspace],
            keys: [.range(1, last: -1, [.RM, .delete])],
            docs: CommandDocs(
                "Delete a key", since: "1.0.0", group: "generic",
                complexity:
                    "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
                syntax: "key [key ...]"),
            handler: del),
        CommandSpec(
            "unlink", arity: -2, flags: [.write, .fast], acl: [.keyspace],
            keys: [.range(1, last: -1, [.RM, .delete])],
            docs: CommandDocs(
                "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", since: "4.0.0",
                group: "generic",
                complexity:
                    "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
                syntax: "key [key ...]"),
            handler: del),
        CommandSpec(
            "exists", arity: -2, flags: [.readonly, .fast], acl: [.keyspace],
            keys: [.range(1, last: -1, [.RO])],
            docs: CommandDocs(
                "Determine if a key exists", since: "1.0.0", group: "generic",
                complexity: "O(N) where N is the number of keys to check.", syntax: "key [key ...]"),
            handler: exists),
        CommandSpec(
            "touch", arity: -2, flags: [.readonly, .fast], acl: [.keyspace],
            keys: [.range(1, last: -1, [.RO])],
            docs: CommandDocs(
                "Alters the last access time of a key(s). Returns the number of existing keys specified.", since: "3.2.1",
                group: "generic", complexity: "O(N) where N is the number of keys that will be touched.", syntax: "key [key ...]"),
            handler: touch),
        CommandSpec(
            "type", arity: 2, flags: [.readonly, .fast], acl: [.keyspace],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Determine the type stored at key", since: "1.0.0", group: "generic", syntax: "key"),
            handler: type),
        CommandSpec(
            "rename", arity: 3, flags: [.write], acl: [.keyspace],
            keys: [.single(1, [.RW, .access, .delete]), .single(2, [.OW, .update])],
            docs: CommandDocs("Rename a key", since: "1.0.0", group: "generic", syntax: "key newkey"),
            handler: { ctx in try rename(&ctx, nx: false) }),
        CommandSpec(
            "renamenx", arity: 3, flags: [.write, .fast], acl: [.keyspace],
            keys: [.single(1, [.RW, .access, .delete]), .single(2, [.OW, .insert])],
            docs: CommandDocs("Rename a key, only if the new key does not exist", since: "1.0.0", group: "generic", syntax: "key newkey"),
            handler: { ctx in try rename(&ctx, nx: true) }),
        CommandSpec(
            "copy", arity: -3, flags: [.write, .denyoom], acl: [.keyspace],
            keys: [.single(1, [.RO, .access]), .single(2, [.OW, .update])],
            docs: CommandDocs(
                "Copy a key", since: "6.2.0", group: "generic",
                complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
                syntax: "source destination [DB destination-db] [REPLACE]"),
            handler: copy),
        CommandSpec(
            "move", arity: 3, flags: [.write, .fast], acl: [.keyspace],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs("Move a key to another database", since: "1.0.0", group: "generic", syntax: "key db"),
            handler: move),
        CommandSpec(
            "randomkey", arity: 1, flags: [.readonly], acl: [.keyspace],
            docs: CommandDocs("Return a random key from the keyspace", since: "1.0.0", group: "generic"),
            handler: randomkey),
        CommandSpec(
            "keys", arity: 2, flags: [.readonly], acl: [.keyspace, .dangerous],
            docs: CommandDocs(
                "Find all keys matching the given pattern", since: "1.0.0", group: "generic",
                complexity:
                    "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
                syntax: "pattern"),
            handler: keys),
        CommandSpec(
            "scan", arity: -2, flags: [.readonly], acl: [.keyspace],
            docs: CommandDocs(
                "Incrementally iterate the keys space", since: "2.8.0", group: "generic",
                complexity:
                    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
                syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]"),
            handler: scan),
        CommandSpec(
            "wait", arity: 3, flags: [.noscript], acl: [.connection],
            docs: CommandDocs(
                "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
                since: "3.0.0", group: "generic", syntax: "numreplicas timeout"),
            handler: wait),
    ]

    static func del(_ ctx: inout CommandContext) throws -> RESPValue {
        var n: Int64 = 0
        for key in ctx.argv.dropFirst() where ctx.delete(key) {
            ctx.emit([EffectWord.del, key])
            ctx.notify(.generic, "del", key)
            n += 1
        }
        return .integer(n)
    }

    static func exists(_ ctx: inout CommandContext) throws -> RESPValue {
        var n: Int64 = 0
        for key in ctx.argv.dropFirst() where ctx.lookupNoTouch(key) != nil { n += 1 }
        return .integer(n)
    }

    static func touch(_ ctx: inout CommandContext) throws -> RESPValue {
        var n: Int64 = 0
        for key in ctx.argv.dropFirst() where ctx.lookupRead(key) != nil { n += 1 }
        return .integer(n)
    }

    static func type(_ ctx: inout CommandContext) throws -> RESPValue {
        .simple(ctx.lookupNoTouch(ctx.argv[1])?.value.typeName ?? "none")
    }

    static func rename(_ ctx: inout CommandContext, nx: Bool) throws -> RESPValue {
        let src = ctx.argv[1]
        let dst = ctx.argv[2]
        guard let entry = ctx.lookup(src) else { throw RedisError.noSuchKey }
        if src == dst { return nx ? .integer(0) : .ok }
        if ctx.lookup(dst) != nil && nx { return .integer(0) }
        // The value moves with its expiry and access clock, as Redis moves the object.
        ctx.engine.databases[ctx.db].remove(src)
        ctx.engine.databases[ctx.db].set(dst, entry)
        ctx.engine.keyChanged(ctx.db, src)
        ctx.engine.keyChanged(ctx.db, dst)
        ctx.emit([EffectWord.rename, src, dst])
        ctx.notify(.generic, "rename_from", src)
        ctx.notify(.generic, "rename_to", dst)
        return nx ? .integer(1) : .ok
    }

    /// Redis's `getIntFromObjectOrReply` + `selectDb` check for a database index argument.
    static func databaseIndex(_ ctx: CommandContext, _ arg: Bytes) throws -> Int {
        let v = try arg.int()
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw RedisError.notInteger }
        guard v >= 0 && v < Int64(ctx.engine.databases.count) else { throw RedisError.dbIndexOutOfRange }
        return Int(v)
    }

    static func copy(_ ctx: inout CommandContext) throws -> RESPValue {
        let src = ctx.argv[1]
        let dst = ctx.argv[2]
        var target = ctx.db
        var replace = false
        var j = 3
        while j < ctx.argv.count {
            if ctx.argv[j].equalsIgnoringCase("REPLACE") {
                replace = true
            } else if ctx.argv[j].equalsIgnoringCase("DB") && j + 1 < ctx.argv.count {
                target = try databaseIndex(ctx, ctx.argv[j + 1])
                j += 1
            } else {
                throw RedisError.syntax
            }
            j += 1
        }
        if target == ctx.db && src == dst { throw RedisError("source and destination objects are the same") }
        guard var entry = ctx.lookupRead(src) else { return .integer(0) }
        if ctx.engine.lookup(target, dst) != nil && !replace { return .integer(0) }
        entry.lastAccess = ctx.now
        ctx.engine.databases[target].set(dst, entry)
        ctx.engine.keyChanged(target, dst)
        ctx.emitVerbatim()
        ctx.engine.notify(.generic, "copy_to", db: target, key: dst)
        return .integer(1)
    }

    static func move(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let target = try databaseIndex(ctx, ctx.argv[2])
        if target == ctx.db { throw RedisError("source and destination objects are the same") }
        guard let entry = ctx.lookup(key) else { return .integer(0) }
        if ctx.engine.lookup(target, key) != nil { return .integer(0) }
        ctx.engine.databases[target].set(key, entry)
        ctx.engine.databases[ctx.db].remove(key)
        ctx.engine.keyChanged(ctx.db, key)
        ctx.engine.keyChanged(target, key)
        ctx.emitVerbatim()
        ctx.notify(.generic, "move_from", key)
        ctx.engine.notify(.generic, "move_to", db: target, key: key)
        return .integer(1)
    }

    static func randomkey(_ ctx: inout CommandContext) throws -> RESPValue {
        var rng = ctx.engine.rng
        // Each expired key found is deleted, so this ends.
        while let key = ctx.engine.databases[ctx.db].randomKey(using: &rng) {
            if ctx.lookup(key) != nil { return .bulk(key) }
        }
        return .null
    }

    static func keys(_ ctx: inout CommandContext) throws -> RESPValue {
        let pattern = ctx.argv[1]
        let all = Glob.matchesAll(pattern)
        let now = ctx.now
        let replaying = ctx.engine.isReplaying
        var out: [RESPValue] = []
        pattern.withUnsafeBufferPointer { p in
            ctx.engine.databases[ctx.db].forEach { key, e in
                if e.expireAt != 0 && e.expireAt <= now && !replaying { return }
                if all || key.withUnsafeBufferPointer({ Glob.match(p, $0) }) { out.append(.bulk(key)) }
            }
        }
        return .array(out)
    }

    /// Redis's `parseScanCursorOrReply`: `strtoul` in base 10 (so `+5` and `-1` are accepted),
    /// but no leading space, no trailing garbage and no overflow.
    static func parseCursor(_ b: Bytes) -> UInt64? {
        if b.isEmpty { return 0 }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        guard i < b.count else { return nil }
        var v: UInt64 = 0
        while i < b.count {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return negative ? 0 &- v : v
    }

    static func scan(_ ctx: inout CommandContext) throws -> RESPValue {
        let cursor = try CollectionScan.cursor(ctx.argv[1])
        let o = try CollectionScan.Options(ctx.argv, from: 2, allowType: true)
        var found: [Bytes] = []
        let next = ctx.engine.databases[ctx.db].scan(cursor: cursor, count: o.count) { key, _ in
            found.append(key)
        }
        var out: [RESPValue] = []
        out.reserveCapacity(found.count)
        for key in found {
            if !o.matches(key) { continue }
            // Expired keys are dropped (and deleted) rather than returned.
            guard let e = ctx.lookup(key) else { continue }
            if let typeName = o.typeName, typeName.lower != e.value.typeName { continue }
            out.append(.bulk(key))
        }
        return CollectionScan.reply(next, out)
    }

    static func wait(_ ctx: inout CommandContext) throws -> RESPValue {
        _ = try ctx.argv[1].int()
        guard let timeout = Numbers.parseInt(ctx.argv[2]) else { throw RedisError("timeout is not an integer or out of range") }
        if timeout < 0 { throw RedisError("timeout is negative") }
        // No replicas: nothing can acknowledge, and there is nothing to wait for.
        return .integer(0)
    }
}

extension CommandContext {
    /// A read lookup that counts a hit or miss but leaves the access clock alone
    /// (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, TTL, OBJECT).
    func lookupNoTouch(_ key: Bytes) -> Entry? {
        let e = engine.lookup(db, key)
        if e != nil { engine.stats.keyspaceHits += 1 } else { engine.stats.keyspaceMisses += 1 }
        return e
    }
}
