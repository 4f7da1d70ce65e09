import Engine

/// Hashes in RDB, as Redis 7.0 writes them: a listpack-encoded hash as one listpack blob
/// (type 16, byte-identical to Redis's for the same insertion order), a hash table as
/// `length (field value)…` (type 4). Also reads the older zipmap (9) and ziplist (13) forms.
/// Loaded hashes take the encoding Redis's loader would give them.
enum HashRDB {
    static func typeByte(_ h: HashValue) -> RDB.TypeByte { h.isListpack ? .hashListpack : .hash }

    static func write(_ h: HashValue, to w: inout RDBWriter) {
        if h.isListpack {
            var flat: [Bytes] = []
            flat.reserveCapacity(h.count * 2)
            h.forEach { f, v in
                flat.append(f)
                flat.append(v)
            }
            w.string(Listpack.encode(flat))
            return
        }
        w.length(h.count)
        h.forEach { f, v in
            w.string(f)
            w.string(v)
        }
    }

    static func read(_ t: RDB.TypeByte, from r: inout RDBReader) throws -> HashValue {
        var h = HashValue()
        switch t {
        case .hash:
            let n = try r.length()
            if n > HashValue.maxListpackEntries { h.convertToTable() }
            for _ in 0..<n {
                let f = try r.string()
                guard h.set(f, try r.string()) else { throw RDBError("Duplicate hash fields detected") }
            }
        case .hashListpack:
            try load(pairs: try Listpack.decode(try r.string()), into: &h)
        case .hashZiplist:
            try load(pairs: try Ziplist.decode(try r.string()), into: &h)
        case .hashZipmap:
            try load(pairs: try zipmap(try r.string()), into: &h)
        default:
            throw RDBError("Hash encoding \(t) is not supported")
        }
        guard !h.isEmpty else { throw RDBError("Empty keys are not allowed") }
        return h
    }

    static func load(pairs items: [Bytes], into h: inout HashValue) throws {
        guard items.count % 2 == 0 else { throw RDBError("Bad hash listpack") }
        if items.count / 2 > HashValue.maxListpackEntries { h.convertToTable() }
        for i in stride(from: 0, to: items.count, by: 2) {
            guard h.set(items[i], items[i + 1]) else { throw RDBError("Duplicate hash fields detected") }
        }
    }

    /// Redis 2.x's zipmap: `zmlen | (len key len free value free-bytes)… | 0xFF`, lengths one
    /// byte below 254 or 254 + u32 (little-endian).
    static func zipmap(_ blob: [UInt8]) throws -> [Bytes] {
        var i = 1
        var out: [Bytes] = []
        func length() throws -> Int {
            guard i < blob.count else { throw RDBError("Zipmap truncated") }
            let b = blob[i]
            if b < 254 {
                i += 1
                return Int(b)
            }
            guard b == 254, i + 5 <= blob.count else { throw RDBError("Zipmap bad length") }
            let n = Int(UInt32(blob[i + 1]) | UInt32(blob[i + 2]) << 8 | UInt32(blob[i + 3]) << 16 | UInt32(blob[i + 4]) << 24)
            i += 5
            return n
        }
        func bytes(_ n: Int) throws -> Bytes {
            guard n >= 0, i + n <= blob.count else { throw RDBError("Zipmap truncated") }
            defer { i += n }
            return Array(blob[i..<(i + n)])
        }
        guard !blob.isEmpty else { throw RDBError("Zipmap empty") }
        while true {
            guard i < blob.count else { throw RDBError("Zipmap truncated") }
            if blob[i] == 0xFF {
                guard i == blob.count - 1 else { throw RDBError("Zipmap trailing bytes") }
                break
            }
            out.append(try bytes(try length()))
            let vlen = try length()
            guard i < blob.count else { throw RDBError("Zipmap truncated") }
            let free = Int(blob[i])
            i += 1
            out.append(try bytes(vlen))
            _ = try bytes(free)
        }
        return out
    }
}
