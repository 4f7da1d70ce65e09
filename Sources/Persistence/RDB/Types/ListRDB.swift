import Engine

/// Lists in RDB, as Redis 7.0 writes them: RDB_TYPE_LIST_QUICKLIST_2, a sequence of nodes,
/// each `container` (2 = PACKED listpack, 1 = PLAIN single element) + blob. Node boundaries
/// follow Redis's quicklist fill rule for `list-max-listpack-size -2` as if the list had been
/// built by RPUSH, so DUMP payloads equal Redis's for lists built that way (and always for
/// lists that fit one node). Reads every list encoding Redis ≤ 7.0 wrote.
enum ListRDB {
    static let containerPlain = 1
    static let containerPacked = 2
    /// `list-max-listpack-size -2`: 8 KB per node.
    static let nodeSizeLimit = 8192
    /// Redis's SIZE_ESTIMATE_OVERHEAD: what it adds to an element's length to estimate growth.
    static let sizeEstimateOverhead = 8
    /// Redis's default `packed_threshold`: elements this large get a PLAIN node of their own.
    static let packedThreshold = 1 << 30

    static func typeByte(_ l: ListValue) -> RDB.TypeByte { .listQuicklist2 }

    /// One quicklist node: a run of elements in a listpack, or one large element alone.
    enum Node: Equatable {
        case packed(ArraySlice<Bytes>)
        case plain(Bytes)
    }

    /// Splits `items` into nodes as Redis's `_quicklistNodeAllowInsert` does for tail pushes.
    static func nodes(_ all: [Bytes]) -> [Node] {
        var out: [Node] = []
        var start = 0
        var size = 0  // current packed node's listpack bytes; 0 = no open packed node
        func close(_ end: Int) {
            if size > 0 { out.append(.packed(all[start..<end])) }
            size = 0
        }
        for (i, e) in all.enumerated() {
            if e.count >= packedThreshold {
                close(i)
                out.append(.plain(e))
                start = i + 1
                continue
            }
            if size > 0 && size + e.count + sizeEstimateOverhead <= nodeSizeLimit {
                size += Listpack.entrySize(e)
            } else {
                close(i)
                start = i
                size = 7 + Listpack.entrySize(e)
            }
        }
        close(all.count)
        return out
    }

    static func write(_ l: ListValue, to w: inout RDBWriter) {
        let ns = nodes(Array(l.items))
        w.length(ns.count)
        for n in ns {
            switch n {
            case .packed(let run):
                w.length(containerPacked)
                w.string(Listpack.encode(Array(run)))
            case .plain(let e):
                w.length(containerPlain)
                w.string(e)
            }
        }
    }

    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> ListValue {
        var l = ListValue()
        switch t {
        case .list:
            for _ in 0..<(try r.length()) { l.items.append(try r.string()) }
        case .listZiplist:
            l.items.append(contentsOf: try Ziplist.decode(try r.string()))
        case .listQuicklist:
            for _ in 0..<(try r.length()) {
                l.items.append(contentsOf: try Ziplist.decode(try r.string()))
            }
        case .listQuicklist2:
            for _ in 0..<(try r.length()) {
                let container = try r.length()
                let blob = try r.string()
                switch container {
                case containerPlain: l.items.append(blob)
                case containerPacked: l.items.append(contentsOf: try Listpack.decode(blob))
                default: throw RDBError("Quicklist integrity check failed: unknown container \(container)")
                }
            }
        default:
            throw RDBError("List encoding \(t) is not supported")
        }
        // Redis refuses (RESTORE) or skips (loading) an empty list.
        guard !l.isEmpty else { throw RDBError("Empty list") }
        return l
    }
}

extension Listpack {
    /// Bytes one entry takes in a listpack: encoding, data and back-length.
    public static func entrySize(_ item: Bytes) -> Int {
        let n: Int
        if item.count <= 20, let v = Numbers.parseInt(item) {
            n = v >= 0 && v <= 127 ? 1 : v >= -4096 && v <= 4095 ? 2 : v >= -32768 && v <= 32767 ? 3
                : v >= -8_388_608 && v <= 8_388_607 ? 4 : v >= Int64(Int32.min) && v <= Int64(Int32.max) ? 5 : 9
        } else {
            n = item.count + (item.count < 64 ? 1 : item.count < 4096 ? 2 : 5)
        }
        return n + backlenSize(n)
    }
}
