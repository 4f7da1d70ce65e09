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
        }
    }

    public static func hex(_ d: [UInt8]) -> String {
        d.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
    }
}
