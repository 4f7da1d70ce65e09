import Engine

// Plain (non-compact) RDB encodings of the collection types, which every Redis 7.0 loads.
// Each family replaces its enum with Redis's own choice of encodings (listpack, intset,
// quicklist) and adds readers for what real Redis writes.

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
