import Engine

/// Redis's listpack blob (used inside RDB for small hashes, sorted sets and list nodes):
/// `u32 total-bytes | u16 count | entries… | 0xFF`, each entry = encoding + data + back-length.
public enum Listpack {
    public static func encode(_ items: [Bytes]) -> [UInt8] {
        var body: [UInt8] = []
        for item in items {
            let start = body.count
            if item.count <= 20, let v = Numbers.parseInt(item) {
                encodeInt(v, into: &body)
            } else {
                let n = item.count
                if n < 64 {
                    body.append(0x80 | UInt8(n))
                } else if n < 4096 {
                    body.append(0xE0 | UInt8(n >> 8))
                    body.append(UInt8(n & 0xFF))
                } else {
                    body.append(0xF0)
                    appendLE(UInt32(n), &body)
                }
                body += item
            }
            appendBacklen(body.count - start, into: &body)
        }
        var out: [UInt8] = []
        appendLE(UInt32(6 + body.count + 1), &out)
        appendLE(UInt16(min(items.count, 65535)), &out)
        out += body
        out.append(0xFF)
        return out
    }

    static func encodeInt(_ v: Int64, into out: inout [UInt8]) {
        if v >= 0 && v <= 127 {
            out.append(UInt8(v))
        } else if v >= -4096 && v <= 4095 {
            let u = UInt16(bitPattern: Int16(v < 0 ? (1 << 13) + v : v))
            out.append(UInt8(u >> 8) | 0xC0)
            out.append(UInt8(u & 0xFF))
        } else if v >= -32768 && v <= 32767 {
            out.append(0xF1)
            appendLE(UInt16(bitPattern: Int16(v)), &out)
        } else if v >= -8_388_608 && v <= 8_388_607 {
            let u = UInt32(bitPattern: Int32(v < 0 ? (1 << 24) + v : v))
            out.append(0xF2)
            out += [UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8((u >> 16) & 0xFF)]
        } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
            out.append(0xF3)
            appendLE(UInt32(bitPattern: Int32(v)), &out)
        } else {
            out.append(0xF4)
            appendLE(UInt64(bitPattern: v), &out)
        }
    }

    static func appendBacklen(_ l: Int, into out: inout [UInt8]) {
        if l <= 127 {
            out.append(UInt8(l))
        } else if l < 16383 {
            out += [UInt8(l >> 7), UInt8(l & 127) | 128]
        } else if l < 2_097_151 {
            out += [UInt8(l >> 14), UInt8((l >> 7) & 127) | 128, UInt8(l & 127) | 128]
        } else if l < 268_435_455 {
            out += [UInt8(l >> 21), UInt8((l >> 14) & 127) | 128, UInt8((l >> 7) & 127) | 128, UInt8(l & 127) | 128]
        } else {
            out += [UInt8(l >> 28), UInt8((l >> 21) & 127) | 128, UInt8((l >> 14) & 127) | 128,
                    UInt8((l >> 7) & 127) | 128, UInt8(l & 127) | 128]
        }
    }

    static func backlenSize(_ l: Int) -> Int {
        l <= 127 ? 1 : l < 16383 ? 2 : l < 2_097_151 ? 3 : l < 268_435_455 ? 4 : 5
    }

    /// Decodes every entry (integers as their decimal text).
    public static func decode(_ blob: [UInt8]) throws -> [Bytes] {
        guard blob.count >= 7 else { throw RDBError("Listpack too short") }
        let total = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard total == blob.count, blob.last == 0xFF else { throw RDBError("Listpack integrity check failed") }
        var out: [Bytes] = []
        var i = 6
        func need(_ n: Int) throws { if i + n > blob.count - 1 { throw RDBError("Listpack entry out of range") } }
        func le(_ at: Int, _ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n { v |= UInt64(blob[at + k]) << (8 * UInt64(k)) }
            return v
        }
        while i < blob.count - 1 {
            let start = i
            let b = blob[i]
            if b & 0x80 == 0 {
                out.append(Numbers.format(Int64(b)))
                i += 1
            } else if b & 0xC0 == 0x80 {
                let n = Int(b & 0x3F)
                try need(1 + n)
                out.append(Array(blob[(i + 1)..<(i + 1 + n)]))
                i += 1 + n
            } else if b & 0xE0 == 0xC0 {
                try need(2)
                var v = Int64(b & 0x1F) << 8 | Int64(blob[i + 1])
                if v >= 1 << 12 { v -= 1 << 13 }
                out.append(Numbers.format(v))
                i += 2
            } else if b & 0xF0 == 0xE0 {
                try need(2)
                let n = Int(b & 0x0F) << 8 | Int(blob[i + 1])
                try need(2 + n)
                out.append(Array(blob[(i + 2)..<(i + 2 + n)]))
                i += 2 + n
            } else {
                switch b {
                case 0xF0:
                    try need(5)
                    let n = Int(le(i + 1, 4))
                    try need(5 + n)
                    out.append(Array(blob[(i + 5)..<(i + 5 + n)]))
                    i += 5 + n
                case 0xF1:
                    try need(3)
                    out.append(Numbers.format(Int64(Int16(bitPattern: UInt16(le(i + 1, 2))))))
                    i += 3
                case 0xF2:
                    try need(4)
                    var v = Int64(le(i + 1, 3))
                    if v >= 1 << 23 { v -= 1 << 24 }
                    out.append(Numbers.format(v))
                    i += 4
                case 0xF3:
                    try need(5)
                    out.append(Numbers.format(Int64(Int32(bitPattern: UInt32(le(i + 1, 4))))))
                    i += 5
                case 0xF4:
                    try need(9)
                    out.append(Numbers.format(Int64(bitPattern: le(i + 1, 8))))
                    i += 9
                default:
                    throw RDBError("Invalid listpack entry encoding \(b)")
                }
            }
            i += backlenSize(i - start)
        }
        return out
    }
}

/// Redis's intset blob: `u32 encoding (2|4|8) | u32 length | sorted little-endian integers`.
public enum Intset {
    public static func decode(_ blob: [UInt8]) throws -> [Int64] {
        guard blob.count >= 8 else { throw RDBError("Intset too short") }
        let width = Int(blob[0]) | Int(blob[1]) << 8
        let n = Int(UInt32(blob[4]) | UInt32(blob[5]) << 8 | UInt32(blob[6]) << 16 | UInt32(blob[7]) << 24)
        guard [2, 4, 8].contains(width), blob.count == 8 + n * width else { throw RDBError("Intset integrity check failed") }
        return (0..<n).map { k in
            var v: UInt64 = 0
            for b in 0..<width { v |= UInt64(blob[8 + k * width + b]) << (8 * UInt64(b)) }
            switch width {
            case 2: return Int64(Int16(bitPattern: UInt16(v)))
            case 4: return Int64(Int32(bitPattern: UInt32(v)))
            default: return Int64(bitPattern: v)
            }
        }
    }

    /// `minimumWidth`: Redis's intsets never narrow after a removal, so a set that once held a
    /// wide value keeps the wider encoding; pass it to reproduce Redis's bytes.
    public static func encode(_ values: [Int64], minimumWidth: Int = 2) -> [UInt8] {
        let sorted = values.sorted()
        let fitted = sorted.allSatisfy { $0 >= Int64(Int16.min) && $0 <= Int64(Int16.max) } ? 2
            : sorted.allSatisfy { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) } ? 4 : 8
        let width = max(fitted, minimumWidth)
        var out: [UInt8] = []
        appendLE(UInt32(width), &out)
        appendLE(UInt32(sorted.count), &out)
        for v in sorted {
            switch width {
            case 2: appendLE(UInt16(bitPattern: Int16(v)), &out)
            case 4: appendLE(UInt32(bitPattern: Int32(v)), &out)
            default: appendLE(UInt64(bitPattern: v), &out)
            }
        }
        return out
    }
}
