import Engine

/// Redis's ziplist blob (RDB versions before 10 used it for small lists, hashes and sorted
/// sets, and for quicklist nodes): `u32 zlbytes | u32 zltail | u16 zllen | entries… | 0xFF`,
/// each entry = prevlen (1 byte, or 0xFE + u32) + encoding + data. Read-only: Redis 7.0
/// never writes it.
public enum Ziplist {
    /// Decodes every entry (integers as their decimal text).
    public static func decode(_ blob: [UInt8]) throws -> [Bytes] {
        guard blob.count >= 11 else { throw RDBError("Ziplist too short") }
        let total = Int(le(blob, 0, 4))
        let tail = Int(le(blob, 4, 4))
        let declared = Int(le(blob, 8, 2))
        guard total == blob.count, blob.last == 0xFF, tail >= 10, tail < total else {
            throw RDBError("Ziplist integrity check failed")
        }
        var out: [Bytes] = []
        var i = 10
        var previousLength = 0
        let end = blob.count - 1
        func need(_ n: Int) throws { if n < 0 || i + n > end { throw RDBError("Ziplist entry out of range") } }
        while i < end {
            let start = i
            if i != 10 && start > tail { throw RDBError("Ziplist entry past its tail") }
            // prevlen
            try need(1)
            var prev = Int(blob[i])
            if prev == 0xFE {
                try need(5)
                prev = Int(le(blob, i + 1, 4))
                i += 5
            } else if prev == 0xFF {
                throw RDBError("Ziplist bad prevlen")
            } else {
                i += 1
            }
            guard prev == previousLength else { throw RDBError("Ziplist prevlen mismatch") }
            try need(1)
            let b = blob[i]
            switch b >> 6 {
            case 0:
                let n = Int(b & 0x3F)
                try need(1 + n)
                out.append(Array(blob[(i + 1)..<(i + 1 + n)]))
                i += 1 + n
            case 1:
                try need(2)
                let n = Int(b & 0x3F) << 8 | Int(blob[i + 1])
                try need(2 + n)
                out.append(Array(blob[(i + 2)..<(i + 2 + n)]))
                i += 2 + n
            case 2:
                guard b == 0x80 else { throw RDBError("Ziplist bad string encoding") }
                try need(5)
                let n = Int(UInt32(blob[i + 1]) << 24 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 8 | UInt32(blob[i + 4]))
                try need(5 + n)
                out.append(Array(blob[(i + 5)..<(i + 5 + n)]))
                i += 5 + n
            default:
                let v: Int64
                switch b {
                case 0xC0:
                    try need(3)
                    v = Int64(Int16(bitPattern: UInt16(le(blob, i + 1, 2))))
                    i += 3
                case 0xD0:
                    try need(5)
                    v = Int64(Int32(bitPattern: UInt32(le(blob, i + 1, 4))))
                    i += 5
                case 0xE0:
                    try need(9)
                    v = Int64(bitPattern: le(blob, i + 1, 8))
                    i += 9
                case 0xF0:
                    try need(4)
                    var x = Int64(le(blob, i + 1, 3))
                    if x >= 1 << 23 { x -= 1 << 24 }
                    v = x
                    i += 4
                case 0xFE:
                    try need(2)
                    v = Int64(Int8(bitPattern: blob[i + 1]))
                    i += 2
                case 0xF1...0xFD:
                    v = Int64(b & 0x0F) - 1
                    i += 1
                default:
                    throw RDBError("Ziplist bad entry encoding \(b)")
                }
                out.append(Numbers.format(v))
            }
            previousLength = i - start
        }
        guard i == end else { throw RDBError("Ziplist integrity check failed") }
        // zllen saturates at UINT16_MAX, when the count must be found by walking.
        guard declared == 0xFFFF || declared == out.count else { throw RDBError("Ziplist entry count mismatch") }
        return out
    }

    private static func le(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<n { v |= UInt64(b[at + k]) << (8 * UInt64(k)) }
        return v
    }

    /// Encodes entries as Redis ≤ 6.2 did (for tests of the reader and for old-format fixtures).
    public static func encode(_ items: [Bytes]) -> [UInt8] {
        var body: [UInt8] = []
        var prev = 0
        var tailOffset = 10
        for item in items {
            let start = body.count
            tailOffset = 10 + start
            if prev < 254 {
                body.append(UInt8(prev))
            } else {
                body.append(0xFE)
                appendLE(UInt32(prev), &body)
            }
            if item.count <= 20, let v = Numbers.parseInt(item) {
                if v >= 0 && v <= 12 {
                    body.append(0xF1 + UInt8(v))
                } else if v >= Int64(Int8.min) && v <= Int64(Int8.max) {
                    body += [0xFE, UInt8(bitPattern: Int8(v))]
                } else if v >= Int64(Int16.min) && v <= Int64(Int16.max) {
                    body.append(0xC0)
                    appendLE(UInt16(bitPattern: Int16(v)), &body)
                } else if v >= -(1 << 23) && v < (1 << 23) {
                    let u = UInt32(bitPattern: Int32(v)) & 0xFF_FFFF
                    body += [0xF0, UInt8(u & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u >> 16)]
                } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
                    body.append(0xD0)
                    appendLE(UInt32(bitPattern: Int32(v)), &body)
                } else {
                    body.append(0xE0)
                    appendLE(UInt64(bitPattern: v), &body)
                }
            } else {
                let n = item.count
                if n <= 63 {
                    body.append(UInt8(n))
                } else if n <= 16383 {
                    body += [0x40 | UInt8(n >> 8), UInt8(n & 0xFF)]
                } else {
                    body += [0x80, UInt8((n >> 24) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
                }
                body += item
            }
            prev = body.count - start
        }
        var out: [UInt8] = []
        appendLE(UInt32(10 + body.count + 1), &out)
        appendLE(UInt32(tailOffset), &out)
        appendLE(UInt16(min(items.count, 0xFFFF)), &out)
        out += body
        out.append(0xFF)
        return out
    }
}
