import Engine

/// DEBUG DIGEST: an order-independent digest of the keyspace (XOR of per-key SHA-1s), so two
/// servers — or one server before and after a restart — can be compared in one reply.
public enum KeyspaceDigest {
    public static func digest(_ databases: [Database]) -> [UInt8] {
        var acc = [UInt8](repeating: 0, count: 20)
        for (index, db) in databases.enumerated() where db.count > 0 {
            db.forEach { key, entry in
                var h = SHA1()
                h.update(Bytes(String(index)))
                h.update([0])
                h.update(key)
                h.update([0])
                h.update(valueDigest(entry.value))
                h.update(Bytes(String(entry.expireAt)))
                let d = h.finalize()
                for i in 0..<20 { acc[i] ^= d[i] }
            }
        }
        return acc
    }

    /// A digest of one value that does not depend on the value's internal order.
    public static func valueDigest(_ value: Value) -> [UInt8] {
        switch value {
        case .string(let s):
            return SHA1.hash(Bytes("string") + [0] + s)
        case .hash(let h):
            return unorderedEach("hash") { visit in h.forEach { k, v in visit(k + [0] + v) } }
        case .set(let s):
            return unorderedEach("set") { visit in s.forEach { visit($0) } }
        case .zset(let z):
            return unorderedEach("zset") { visit in z.forEach { k, v in visit(k + [0] + Numbers.formatDouble(v)) } }
        case .list(let l):
            var h = SHA1()
            h.update(Bytes("list"))
            for item in l.items {
                h.update(Bytes(String(item.count)))
                h.update([0])
                h.update(item)
            }
            return h.finalize()
        case .module(let m):
            return SHA1.hash(Bytes(m.type.name) + [0] + m.type.digest(m))
        }
    }

    /// XOR of per-element digests: independent of the collection's internal order.
    static func unorderedEach(_ type: String, _ each: ((Bytes) -> Void) -> Void) -> [UInt8] {
        var acc = SHA1.hash(Bytes(type))
        each { bytes in
            let d = SHA1.hash(bytes)
            for i in 0..<20 { acc[i] ^= d[i] }
        }
        return acc
    }

    public static func hex(_ d: [UInt8]) -> String {
        d.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
    }
}
