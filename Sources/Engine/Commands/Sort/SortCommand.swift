#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import RESP

/// SORT and SORT_RO over lists, sets and sorted sets (BY, LIMIT, GET, ASC/DESC, ALPHA, STORE).
/// SORT … STORE is logged as DEL + RPUSH of the stored list.
public enum SortCommand {
    public static let specs: [CommandSpec] = [
        withStoreKey(CommandSpec(
            "sort", arity: -2, flags: [.write, .denyoom], acl: [.set, .sortedset, .list, .dangerous],
            keys: [.single(1, [.RO, .access]), .unknownKeys([.RO, .access], notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"), .unknownKeys([.OW, .update], notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")],
            docs: CommandDocs(
                "Sort the elements in a list, set or sorted set", since: "1.0.0", group: "generic",
                complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
                syntax: "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"),
            handler: { ctx in try sort(&ctx, readonly: false) })),
        CommandSpec(
            "sort_ro", arity: -2, flags: [.readonly], acl: [.set, .sortedset, .list, .dangerous],
            keys: [.single(1, [.RO, .access]), .unknownKeys([.RO, .access], notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort")],
            docs: CommandDocs(
                "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", since: "7.0.0", group: "generic",
                complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
                syntax: "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]"),
            handler: { ctx in try sort(&ctx, readonly: true) }),
    ]

    /// SORT's keys as Redis's sortGetKeys finds them: the sorted key, and the last STORE target
    /// (options' arguments are skipped), so ACL and GETKEYS see the destination.
    static func withStoreKey(_ spec: CommandSpec) -> CommandSpec {
        var s = spec
        let source = spec.keySpecs[0], store = spec.keySpecs[2]
        s.getKeys = { argv in
            var keys: [(Int, KeySpec)] = argv.count > 1 ? [(1, source)] : []
            var storeAt: Int?
            var i = 2
            while i < argv.count {
                let a = argv[i]
                if a.equalsIgnoringCase("LIMIT") { i += 2 }
                else if a.equalsIgnoringCase("GET") || a.equalsIgnoringCase("BY") { i += 1 }
                else if a.equalsIgnoringCase("STORE") && i + 1 < argv.count { storeAt = i + 1 }
                i += 1
            }
            if let storeAt { keys.append((storeAt, store)) }
            return keys
        }
        return s
    }

    /// BY/GET name keys from the sorted data: ACL lets them through only with full key access.
    static func checkPatternAccess(_ ctx: CommandContext, _ option: String) throws {
        if let check = ctx.engine.aclFullKeyAccess, !check(ctx.client, ctx.spec, ctx.argv) {
            throw RedisError("\(option) option of SORT denied due to insufficient ACL permissions.")
        }
    }

    struct Item {
        var value: Bytes
        var score: Double = 0
        var compareWith: Bytes?
    }

    /// Redis's lookupKeyByPattern: `#` is the element itself; the first `*` is replaced by
    /// the element; `key->field` reads a hash field. Only strings (or hash fields) count.
    static func lookup(_ ctx: inout CommandContext, pattern: Bytes, element: Bytes) -> Bytes? {
        if pattern == [UInt8(ascii: "#")] { return element }
        guard let star = pattern.firstIndex(of: UInt8(ascii: "*")) else { return nil }
        var field: Bytes?
        var keyEnd = pattern.count
        if star + 1 < pattern.count {
            let rest = pattern[(star + 1)...]
            if let arrow = rest.indices.first(where: { $0 + 1 < pattern.count && pattern[$0] == UInt8(ascii: "-") && pattern[$0 + 1] == UInt8(ascii: ">") }),
                arrow + 2 < pattern.count
            {
                field = Array(pattern[(arrow + 2)...])
                keyEnd = arrow
            }
        }
        let key = Array(pattern[..<star]) + element + Array(pattern[(star + 1)..<keyEnd])
        guard let e = ctx.lookupRead(key) else { return nil }
        if let field {
            guard case .hash(let h) = e.value else { return nil }
            return h.get(field)
        }
        guard case .string(let s) = e.value else { return nil }
        return s
    }

    /// SORT / SORT_RO (Redis's sortCommandGeneric).
    static func sort(_ ctx: inout CommandContext, readonly: Bool) throws -> RESPValue {
        let argv = ctx.argv
        var desc = false, alpha = false, dontSort = false
        var limitStart: Int64 = 0, limitCount: Int64 = -1
        var sortBy: Bytes?
        var storeKey: Bytes?
        var gets: [Bytes] = []
        var j = 2
        while j < argv.count {
            let left = argv.count - j - 1
            let a = argv[j]
            if a.equalsIgnoringCase("ASC") {
                desc = false
            } else if a.equalsIgnoringCase("DESC") {
                desc = true
            } else if a.equalsIgnoringCase("ALPHA") {
                alpha = true
            } else if a.equalsIgnoringCase("LIMIT") && left >= 2 {
                limitStart = try argv[j + 1].int()
                limitCount = try argv[j + 2].int()
                j += 2
            } else if !readonly && a.equalsIgnoringCase("STORE") && left >= 1 {
                storeKey = argv[j + 1]
                j += 1
            } else if a.equalsIgnoringCase("BY") && left >= 1 {
                sortBy = argv[j + 1]
                if !argv[j + 1].contains(UInt8(ascii: "*")) { dontSort = true } else { try checkPatternAccess(ctx, "BY") }
                j += 1
            } else if a.equalsIgnoringCase("GET") && left >= 1 {
                try checkPatternAccess(ctx, "GET")
                gets.append(argv[j + 1])
                j += 1
            } else {
                throw RedisError.syntax
            }
            j += 1
        }

        enum Source { case list(ListValue), set(SetValue), zset(SortedSetValue), none }
        var source = Source.none
        if let e = ctx.lookupRead(argv[1]) {
            switch e.value {
            case .list(let l): source = .list(l)
            case .set(let s): source = .set(s)
            case .zset(let z): source = .zset(z)
            default: throw RedisError.wrongType
            }
        }
        if case .set = source, dontSort, storeKey != nil || ctx.client.nonBlockingDepth > 0 {
            // A set's own order is not deterministic: sort it so the stored result replicates.
            dontSort = false
            alpha = true
            sortBy = nil
        }
        let length: Int
        switch source {
        case .list(let l): length = l.count
        case .set(let s): length = s.count
        case .zset(let z): length = z.count
        case .none: length = 0
        }
        var start = limitStart < 0 ? 0 : Int(clamping: limitStart)
        var end = limitCount < 0 ? length - 1 : Int(clamping: Int64(start) &+ limitCount &- 1)
        if start >= length {
            start = length - 1
            end = length - 2
        }
        if end >= length { end = length - 1 }

        var items: [Item] = []
        switch source {
        case .list(let l) where dontSort:
            if end >= start {
                let n = end - start + 1
                if desc {
                    let from = l.count - start - 1
                    for i in stride(from: from, to: Swift.max(from - n, -1), by: -1) { items.append(Item(value: l.items[i])) }
                } else {
                    for i in start..<Swift.min(start + n, l.count) { items.append(Item(value: l.items[i])) }
                }
                end -= start
                start = 0
            }
        case .list(let l):
            items = l.items.map { Item(value: $0) }
        case .set(let s):
            s.forEach { items.append(Item(value: $0)) }
        case .zset(let z) where dontSort:
            if end >= start {
                let n = end - start + 1
                let first = desc ? z.count - 1 - start : start
                items = z.elements(fromRank: first, limit: n, reverse: desc).map { Item(value: $0.member) }
            }
            end -= start
            start = 0
        case .zset(let z):
            z.forEach { m, _ in items.append(Item(value: m)) }
        case .none:
            break
        }

        var conversionError = false
        if !dontSort {
            for i in items.indices {
                let by: Bytes
                if let sortBy {
                    guard let v = lookup(&ctx, pattern: sortBy, element: items[i].value) else { continue }
                    by = v
                } else {
                    by = items[i].value
                }
                if alpha {
                    if sortBy != nil { items[i].compareWith = by }
                } else if let d = sortScore(by) {
                    items[i].score = d
                } else {
                    conversionError = true
                }
            }
            let byPattern = sortBy != nil
            items.sort { a, b in
                var c: Int
                if !alpha {
                    c = a.score > b.score ? 1 : a.score < b.score ? -1 : compareMembers(a.value, b.value)
                } else if byPattern {
                    switch (a.compareWith, b.compareWith) {
                    case (nil, nil): c = 0
                    case (nil, _): c = -1
                    case (_, nil): c = 1
                    case (let x?, let y?): c = compareMembers(x, y)
                    }
                } else {
                    c = compareMembers(a.value, b.value)
                }
                return desc ? c > 0 : c < 0
            }
        }
        if conversionError { throw RedisError("One or more scores can't be converted into double") }

        var output: [Bytes?] = []
        if end >= start {
            for i in start...end {
                if gets.isEmpty {
                    output.append(items[i].value)
                } else {
                    for g in gets { output.append(lookup(&ctx, pattern: g, element: items[i].value)) }
                }
            }
        }
        guard let storeKey else { return .array(output.map { $0.map { .bulk($0) } ?? .null }) }
        if output.isEmpty {
            if ctx.delete(storeKey) {
                ctx.notify(.generic, "del", storeKey)
                ctx.emit([EffectWord.del, storeKey])
            }
            return .integer(0)
        }
        let values = output.map { $0 ?? [] }
        var list = ListValue()
        for v in values { list.items.append(v) }
        ctx.set(storeKey, Entry(value: .list(list)))
        ctx.notify(.list, "sortstore", storeKey)
        ctx.emit([EffectWord.del, storeKey])
        ctx.emit([EffectWord.rpush, storeKey] + values)
        return .integer(Int64(values.count))
    }

    /// `strtod` over the whole value, as SORT reads numeric weights (NaN and overflow fail).
    static func sortScore(_ b: Bytes) -> Double? {
        if let v = Numbers.parseInt(b) { return Double(v) }
        var text = b
        if let nul = text.firstIndex(of: 0) { text = Array(text[..<nul]) }
        text.append(0)
        return text.withUnsafeBufferPointer { p -> Double? in
            let s = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var e: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let d = strtod(s, &e)
            guard let e, e.pointee == 0, errno != ERANGE, !d.isNaN else { return nil }
            return d
        }
    }
}
