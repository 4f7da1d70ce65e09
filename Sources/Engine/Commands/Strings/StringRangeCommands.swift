import RESP

/// APPEND, GETRANGE, SUBSTR, SETRANGE, STRLEN, LCS.
extension StringCommands {
    static let rangeComplexity =
        "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings."

    static let rangeSpecs: [CommandSpec] = [
        CommandSpec(
            "append", arity: 3, flags: [.write, .denyoom, .fast], acl: [.string],
            keys: [.single(1, [.RW, .insert])],
            docs: CommandDocs(
                "Append a value to a key", since: "2.0.0", group: "string",
                complexity:
                    "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
                syntax: "key value"),
            handler: append),
        CommandSpec(
            "getrange", arity: 4, flags: [.readonly], acl: [.string],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get a substring of the string stored at a key", since: "2.4.0", group: "string", complexity: rangeComplexity,
                syntax: "key start end"),
            handler: getrange),
        CommandSpec(
            "substr", arity: 4, flags: [.readonly], acl: [.string],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Get a substring of the string stored at a key", since: "1.0.0", group: "string", complexity: rangeComplexity,
                syntax: "key start end"),
            handler: getrange),
        CommandSpec(
            "setrange", arity: 4, flags: [.write, .denyoom], acl: [.string],
            keys: [.single(1, [.RW, .update])],
            docs: CommandDocs(
                "Overwrite part of a string at key starting at the specified offset", since: "2.2.0", group: "string",
                complexity:
                    "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
                syntax: "key offset value"),
            handler: setrange),
        CommandSpec(
            "strlen", arity: 2, flags: [.readonly, .fast], acl: [.string],
            keys: [.single(1, [.RO])],
            docs: CommandDocs("Get the length of the value stored in a key", since: "2.2.0", group: "string", syntax: "key"),
            handler: strlen),
        CommandSpec(
            "lcs", arity: -3, flags: [.readonly], acl: [.string],
            keys: [.range(1, last: 1, [.RO, .access])],
            docs: CommandDocs(
                "Find longest common substring", since: "7.0.0", group: "string",
                complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
                syntax: "key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"),
            handler: lcs),
    ]

    static func append(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let tail = ctx.argv[2]
        let oldLength: Int
        do {  // scoped so the looked-up copy is released before the in-place append
            guard let e = ctx.lookup(key) else {
                ctx.set(key, Entry(value: .string(tail)))
                ctx.emitVerbatim()
                ctx.notify(.string, "append", key)
                return .integer(Int64(tail.count))
            }
            guard case .string(let s) = e.value else { throw RedisError.wrongType }
            oldLength = s.count
        }
        try ctx.checkStringLength(oldLength, adding: tail.count)
        let length = oldLength + tail.count
        if !tail.isEmpty {
            ctx.updateString(key) { $0.append(contentsOf: tail) }
            ctx.emitVerbatim()
        }
        // Redis notifies even when the appended string is empty.
        ctx.notify(.string, "append", key)
        return .integer(Int64(length))
    }

    static func getrange(_ ctx: inout CommandContext) throws -> RESPValue {
        var start = try ctx.argv[2].int()
        var end = try ctx.argv[3].int()
        guard let e = ctx.lookupRead(ctx.argv[1]) else { return .bulk([]) }
        guard case .string(let s) = e.value else { throw RedisError.wrongType }
        let n = Int64(s.count)
        if start < 0 && end < 0 && start > end { return .bulk([]) }
        if start < 0 { start = n &+ start }
        if end < 0 { end = n &+ end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= n { end = n - 1 }
        if start > end || n == 0 { return .bulk([]) }
        return .bulk(Array(s[Int(start)...Int(end)]))
    }

    static func setrange(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let value = ctx.argv[3]
        let offset64 = try ctx.argv[2].int()
        if offset64 < 0 { throw RedisError("offset is out of range") }
        let offset = Int(offset64)
        do {  // scoped so the looked-up copy is released before the in-place write
            guard let e = ctx.lookup(key) else {
                if value.isEmpty { return .integer(0) }
                try ctx.checkStringLength(offset, adding: value.count)
                var s = Bytes(repeating: 0, count: offset)
                s.append(contentsOf: value)
                ctx.set(key, Entry(value: .string(s)))
                ctx.emitVerbatim()
                ctx.notify(.string, "setrange", key)
                return .integer(Int64(s.count))
            }
            guard case .string(let old) = e.value else { throw RedisError.wrongType }
            if value.isEmpty { return .integer(Int64(old.count)) }
        }
        try ctx.checkStringLength(offset, adding: value.count)
        var length = 0
        ctx.updateString(key) { s in
            if s.count < offset + value.count {
                s.append(contentsOf: repeatElement(0, count: offset + value.count - s.count))
            }
            s.replaceSubrange(offset..<(offset + value.count), with: value)
            length = s.count
        }
        ctx.emitVerbatim()
        ctx.notify(.string, "setrange", key)
        return .integer(Int64(length))
    }

    static func strlen(_ ctx: inout CommandContext) throws -> RESPValue {
        guard let s = try ctx.string(ctx.argv[1]) else { return .integer(0) }
        return .integer(Int64(s.count))
    }

    static func lcs(_ ctx: inout CommandContext) throws -> RESPValue {
        let ea = ctx.lookupRead(ctx.argv[1])
        let eb = ctx.lookupRead(ctx.argv[2])
        var a: Bytes = []
        var b: Bytes = []
        if let ea {
            guard case .string(let s) = ea.value else { throw RedisError("The specified keys must contain string values") }
            a = s
        }
        if let eb {
            guard case .string(let s) = eb.value else { throw RedisError("The specified keys must contain string values") }
            b = s
        }
        var getIdx = false
        var getLen = false
        var withMatchLen = false
        var minMatchLen: Int64 = 0
        var j = 3
        while j < ctx.argv.count {
            let opt = ctx.argv[j]
            let more = ctx.argv.count - 1 - j
            if opt.equalsIgnoringCase("IDX") {
                getIdx = true
            } else if opt.equalsIgnoringCase("LEN") {
                getLen = true
            } else if opt.equalsIgnoringCase("WITHMATCHLEN") {
                withMatchLen = true
            } else if opt.equalsIgnoringCase("MINMATCHLEN") && more > 0 {
                minMatchLen = max(0, try ctx.argv[j + 1].int())
                j += 1
            } else {
                throw RedisError.syntax
            }
            j += 1
        }
        if getIdx && getLen { throw RedisError("If you want both the length and indexes, please just use IDX.") }
        if a.count >= Int(UInt32.max) - 1 || b.count >= Int(UInt32.max) - 1 { throw RedisError("String too long for LCS") }
        let alen = a.count
        let blen = b.count
        let (cells, o1) = (alen + 1).multipliedReportingOverflow(by: blen + 1)
        let (bytes, o2) = cells.multipliedReportingOverflow(by: 4)
        if o1 || o2 { throw RedisError("Insufficient memory, failed allocating transient memory for LCS") }
        if bytes > ctx.engine.settings.protoMaxBulkLength {
            throw RedisError("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        }

        // table[i*(blen+1)+j] = LCS length of a[0..<i] and b[0..<j].
        let w = blen + 1
        var table = [UInt32](repeating: 0, count: cells)
        table.withUnsafeMutableBufferPointer { t in
            for i in 1...max(alen, 1) where alen > 0 {
                let ai = a[i - 1]
                for j in 1...max(blen, 1) where blen > 0 {
                    if ai == b[j - 1] {
                        t[i * w + j] = t[(i - 1) * w + j - 1] + 1
                    } else {
                        t[i * w + j] = max(t[(i - 1) * w + j], t[i * w + j - 1])
                    }
                }
            }
        }
        let total = Int(table[alen * w + blen])
        if getLen { return .integer(Int64(total)) }

        // Walk back from the end, building the string and the matching ranges (as Redis does).
        var result = Bytes(repeating: 0, count: total)
        var idx = total
        var matches: [RESPValue] = []
        var aStart = alen, aEnd = 0, bStart = 0, bEnd = 0
        var i = alen, jj = blen
        while i > 0 && jj > 0 {
            var emit = false
            if a[i - 1] == b[jj - 1] {
                result[idx - 1] = a[i - 1]
                if aStart == alen {
                    aStart = i - 1
                    aEnd = i - 1
                    bStart = jj - 1
                    bEnd = jj - 1
                } else if aStart == i && bStart == jj {
                    aStart -= 1
                    bStart -= 1
                } else {
                    emit = true
                }
                if aStart == 0 || bStart == 0 { emit = true }
                idx -= 1
                i -= 1
                jj -= 1
            } else {
                if table[(i - 1) * w + jj] > table[i * w + jj - 1] { i -= 1 } else { jj -= 1 }
                if aStart != alen { emit = true }
            }
            if emit {
                let matchLen = aEnd - aStart + 1
                if getIdx && (minMatchLen == 0 || Int64(matchLen) >= minMatchLen) {
                    var m: [RESPValue] = [
                        .array([.integer(Int64(aStart)), .integer(Int64(aEnd))]),
                        .array([.integer(Int64(bStart)), .integer(Int64(bEnd))]),
                    ]
                    if withMatchLen { m.append(.integer(Int64(matchLen))) }
                    matches.append(.array(m))
                }
                aStart = alen
            }
        }
        if getIdx {
            return .map([(.bulk("matches"), .array(matches)), (.bulk("len"), .integer(Int64(total)))])
        }
        return .bulk(result)
    }
}
