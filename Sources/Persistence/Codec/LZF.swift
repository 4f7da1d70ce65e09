/// LZF (as in liblzf, which Redis uses for RDB string compression): literal runs of up to 32
/// bytes and back references of length ≥ 3 within an 8 KB window.
public enum LZF {
    public static func decompress(_ input: [UInt8], expectedLength: Int) -> [UInt8]? {
        var out = [UInt8]()
        out.reserveCapacity(expectedLength)
        var i = 0
        let n = input.count
        while i < n {
            let ctrl = Int(input[i])
            i += 1
            if ctrl < 32 {
                let len = ctrl + 1
                guard i + len <= n, out.count + len <= expectedLength else { return nil }
                out.append(contentsOf: input[i..<(i + len)])
                i += len
            } else {
                var len = ctrl >> 5
                if len == 7 {
                    guard i < n else { return nil }
                    len += Int(input[i])
                    i += 1
                }
                len += 2
                guard i < n else { return nil }
                let back = ((ctrl & 0x1F) << 8) + Int(input[i]) + 1
                i += 1
                guard back <= out.count, out.count + len <= expectedLength else { return nil }
                var ref = out.count - back
                for _ in 0..<len {
                    out.append(out[ref])
                    ref += 1
                }
            }
        }
        return out.count == expectedLength ? out : nil
    }

    /// Compresses; returns nil when the result would not be smaller than the input.
    public static func compress(_ input: [UInt8]) -> [UInt8]? {
        let n = input.count
        if n < 4 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(n)
        var table = [Int](repeating: -1, count: 1 << 14)
        var literalStart = 0
        var i = 0
        func flushLiterals(upTo end: Int) {
            var s = literalStart
            while s < end {
                let len = min(32, end - s)
                out.append(UInt8(len - 1))
                out.append(contentsOf: input[s..<(s + len)])
                s += len
            }
        }
        while i + 2 < n {
            let h = (((Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])) &* 2_654_435_761) >> 18) & ((1 << 14) - 1)
            let ref = table[h]
            table[h] = i
            if ref >= 0 && i - ref <= 8192 && input[ref] == input[i] && input[ref + 1] == input[i + 1] && input[ref + 2] == input[i + 2] {
                var len = 3
                let maxLen = min(n - i, 264)
                while len < maxLen && input[ref + len] == input[i + len] { len += 1 }
                flushLiterals(upTo: i)
                let off = i - ref - 1
                let l = len - 2
                if l < 7 {
                    out.append(UInt8(l << 5 | off >> 8))
                } else {
                    out.append(UInt8(7 << 5 | off >> 8))
                    out.append(UInt8(l - 7))
                }
                out.append(UInt8(off & 0xFF))
                i += len
                literalStart = i
                if out.count >= n { return nil }
            } else {
                i += 1
            }
        }
        literalStart = min(literalStart, n)
        flushLiterals(upTo: n)
        return out.count < n ? out : nil
    }
}
