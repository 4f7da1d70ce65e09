import Engine

/// Sorted sets in RDB, as Redis 7.0 writes them: a listpack of member, score pairs in rank
/// order (type 17) while the value is listpack-encoded, else zset2 (type 5: binary doubles,
/// from the highest rank down). Reads also the older ziplist (12) and zset (3, text doubles).
enum SortedSetRDB {
    static func typeByte(_ z: SortedSetValue) -> RDB.TypeByte { z.isSkiplist ? .zset2 : .zsetListpack }

    static func write(_ z: SortedSetValue, to w: inout RDBWriter) {
        if z.isSkiplist {
            w.length(z.count)
            z.forEachDescending { m, s in
                w.string(m)
                w.binaryDouble(s)
            }
        } else {
            var items: [Bytes] = []
            items.reserveCapacity(z.count * 2)
            z.forEachAscending { m, s in
                items.append(m)
                items.append(SortedSetCommands.d2string(s))
            }
            w.string(Listpack.encode(items))
        }
    }

    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> SortedSetValue {
        var pairs: [(Bytes, Double)] = []
        switch t {
        case .zset2, .zset:
            let n = try r.length()
            pairs.reserveCapacity(Swift.min(n, 1 << 20))
            for _ in 0..<n {
                let m = try r.string()
                let s = t == .zset2 ? try r.binaryDouble() : try r.textDouble()
                if s.isNaN { throw RDBError("Zset with NAN score detected") }
                pairs.append((m, s))
            }
        case .zsetListpack, .zsetZiplist:
            let blob = try r.string()
            let items = t == .zsetListpack ? try Listpack.decode(blob) : try Ziplist.decode(blob)
            guard items.count % 2 == 0 else { throw RDBError("Bad sorted set \(t) payload") }
            pairs.reserveCapacity(items.count / 2)
            for i in stride(from: 0, to: items.count, by: 2) {
                guard let s = Numbers.parseDouble(items[i + 1]) else { throw RDBError("Bad sorted set score") }
                pairs.append((items[i], s))
            }
        default:
            throw RDBError("Sorted set encoding \(t) is not supported")
        }
        let z = SortedSetValue(pairs)
        guard z.count == pairs.count else { throw RDBError("Duplicate sorted set members") }
        return z
    }
}
