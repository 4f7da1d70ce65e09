import Engine

/// Sets in RDB, as Redis 7.0 writes them: an intset-encoded set as one intset blob (type 11,
/// byte-identical to Redis's, element width included), a hash table as `length member…`
/// (type 2). Loaded sets take the encoding Redis's loader would give them.
enum SetRDB {
    static func typeByte(_ s: SetValue) -> RDB.TypeByte { s.isIntset ? .setIntset : .set }

    static func write(_ s: SetValue, to w: inout RDBWriter) {
        if s.isIntset {
            w.string(Intset.encode(s.integers, minimumWidth: s.intsetWidth))
            return
        }
        w.length(s.count)
        s.forEach { w.string($0) }
    }

    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> SetValue {
        var s: SetValue
        switch t {
        case .set:
            s = SetValue()
            let n = try r.length()
            if n > SetValue.maxIntsetEntries { s.convertToTable() }
            for _ in 0..<n {
                guard s.add(try r.string()) else { throw RDBError("Duplicate set members detected") }
            }
        case .setIntset:
            let blob = try r.string()
            let values = try Intset.decode(blob)
            for k in values.indices.dropFirst() where values[k - 1] >= values[k] {
                throw RDBError("Intset is not sorted or has duplicates")
            }
            s = SetValue(intset: values, width: Int(blob[0]))
        default:
            throw RDBError("Set encoding \(t) is not supported")
        }
        guard !s.isEmpty else { throw RDBError("Empty keys are not allowed") }
        return s
    }
}
