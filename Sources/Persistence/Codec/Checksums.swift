import CSupport

/// CRC-32C (Castagnoli), used by log records.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C, seed: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        bytes.withContiguousStorageIfAvailable { checksum(UnsafeRawBufferPointer($0), seed: seed) }
            ?? software(bytes, seed: seed)
    }

    public static func checksum(_ p: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        var hardware: Int32 = 0
        if let base = p.baseAddress {
            let crc = mnemo_crc32c(~seed, base.assumingMemoryBound(to: UInt8.self), p.count, &hardware)
            if hardware != 0 { return ~crc }
        }
        return software(p, seed: seed)
    }

    /// The table-driven CRC, for CPUs without the instruction (and to check it against).
    public static func software<C: Collection>(_ bytes: C, seed: UInt32 = 0) -> UInt32 where C.Element == UInt8 {
        var crc = ~seed
        table.withUnsafeBufferPointer { t in
            for b in bytes { crc = t[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        }
        return ~crc
    }
}

/// CRC-64/Jones as Redis uses it for RDB files and DUMP payloads (reflected, init 0).
public enum CRC64 {
    static let table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x95AC_9329_AC4B_C9B5 : c >> 1 }
        return c
    }

    public static func update<C: Collection>(_ crc: UInt64, _ bytes: C) -> UInt64 where C.Element == UInt8 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt64(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 { update(0, bytes) }
}
