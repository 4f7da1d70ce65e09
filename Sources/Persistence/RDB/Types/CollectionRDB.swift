import Engine

// Plain (non-compact) RDB encodings of the collection types, which every Redis 7.0 loads.
// Each family replaces its enum with Redis's own choice of encodings (listpack, intset,
// quicklist) and adds readers for what real Redis writes.

enum HashRDB {
    static func typeByte(_ h: HashValue) -> RDB.TypeByte { .hash }
    static func write(_ h: HashValue, to w: inout RDBWriter) {
        w.length(h.count)
        h.fields.forEach { f, v in
            w.string(f)
            w.string(v)
        }
    }
    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> HashValue {
        var h = HashValue()
        switch t {
        case .hash:
            for _ in 0..<(try r.length()) { h.fields.set(try r.string(), try r.string()) }
        case .hashListpack:
            let items = try Listpack.decode(try r.string())
            guard items.count % 2 == 0 else { throw RDBError("Bad hash listpack") }
            for i in stride(from: 0, to: items.count, by: 2) { h.fields.set(items[i], items[i + 1]) }
        default:
            throw RDBError("Hash encoding \(t) is not supported")
        }
        return h
    }
}

enum SetRDB {
    static func typeByte(_ s: SetValue) -> RDB.TypeByte { .set }
    static func write(_ s: SetValue, to w: inout RDBWriter) {
        w.length(s.count)
        s.members.forEach { m, _ in w.string(m) }
    }
    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> SetValue {
        var s = SetValue()
        switch t {
        case .set:
            for _ in 0..<(try r.length()) { s.members.set(try r.string(), true) }
        case .setIntset:
            for v in try Intset.decode(try r.string()) { s.members.set(Numbers.format(v), true) }
        default:
            throw RDBError("Set encoding \(t) is not supported")
        }
        return s
    }
}

enum ListRDB {
    static func typeByte(_ l: ListValue) -> RDB.TypeByte { .listQuicklist2 }
    /// One packed (listpack) node per 128 items.
    static func write(_ l: ListValue, to w: inout RDBWriter) {
        let items = Array(l.items)
        let chunks = stride(from: 0, to: items.count, by: 128).map { Array(items[$0..<min($0 + 128, items.count)]) }
        w.length(chunks.count)
        for c in chunks {
            w.length(2)  // QUICKLIST_NODE_CONTAINER_PACKED
            w.string(Listpack.encode(c))
        }
    }
    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> ListValue {
        var l = ListValue()
        switch t {
        case .list:
            for _ in 0..<(try r.length()) { l.items.append(try r.string()) }
        case .listQuicklist2:
            for _ in 0..<(try r.length()) {
                let container = try r.length()
                let blob = try r.string()
                if container == 1 {
                    l.items.append(blob)
                } else {
                    l.items.append(contentsOf: try Listpack.decode(blob))
                }
            }
        default:
            throw RDBError("List encoding \(t) is not supported")
        }
        return l
    }
}

enum SortedSetRDB {
    static func typeByte(_ z: SortedSetValue) -> RDB.TypeByte { .zset2 }
    static func write(_ z: SortedSetValue, to w: inout RDBWriter) {
        w.length(z.count)
        z.scores.forEach { m, s in
            w.string(m)
            w.binaryDouble(s)
        }
    }
    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> SortedSetValue {
        var z = SortedSetValue()
        switch t {
        case .zset2:
            for _ in 0..<(try r.length()) {
                let m = try r.string()
                z.scores.set(m, try r.binaryDouble())
            }
        case .zsetListpack:
            let items = try Listpack.decode(try r.string())
            guard items.count % 2 == 0 else { throw RDBError("Bad zset listpack") }
            for i in stride(from: 0, to: items.count, by: 2) {
                guard let s = Numbers.parseDouble(items[i + 1]) else { throw RDBError("Bad zset score") }
                z.scores.set(items[i], s)
            }
        default:
            throw RDBError("Sorted set encoding \(t) is not supported")
        }
        return z
    }
}
