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

    /// Compresses with the same choices as liblzf's "very fast" mode that Redis builds (16-bit
    /// hash of three bytes, re-hashing two positions after a match), so Mnemo writes the same
    /// bytes Redis does. Returns nil unless it saves at least four bytes: Redis gives liblzf an
    /// output buffer of `len - 4` (rdbSaveLzfStringObject) and stores the string raw otherwise.
    public static func compress(_ input: [UInt8]) -> [UInt8]? {
        let n = input.count
        if n <= 4 { return nil }
        let maxOut = n - 4
        let hashBits: UInt32 = 16
        var table = [Int](repeating: -1, count: 1 << 16)
        var out = [UInt8](repeating: 0, count: n + 16)
        var op = 1  // room for the first literal-run header
        var lit = 0
        var ip = 0
        @inline(__always) func idx(_ h: UInt32) -> Int {
            Int(((h >> (24 - hashBits)) &- h &* 5) & ((1 << hashBits) - 1))
        }
        /// Appends input[ip] to the open literal run, closing the run at 32 bytes.
        func copyLiteral() {
            lit += 1
            out[op] = input[ip]
            op += 1
            ip += 1
            if lit == 32 {
                out[op - lit - 1] = UInt8(lit - 1)
                lit = 0
                op += 1
            }
        }
        var hval = UInt32(input[0]) << 8 | UInt32(input[1])
        while ip < n - 2 {
            hval = (hval << 8) | UInt32(input[ip + 2])
            let slot = idx(hval)
            let ref = table[slot]
            table[slot] = ip
            if ref > 0, ip - ref - 1 < 8192, input[ref + 2] == input[ip + 2], input[ref] == input[ip], input[ref + 1] == input[ip + 1] {
                let off = ip - ref - 1
                var len = 2
                let maxLen = min(n - ip - len, 264)
                if op + 4 >= maxOut && op - (lit == 0 ? 1 : 0) + 4 >= maxOut { return nil }
                out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
                if lit == 0 { op -= 1 }
                repeat { len += 1 } while len < maxLen && input[ref + len] == input[ip + len]
                len -= 2
                ip += 1
                if len < 7 {
                    out[op] = UInt8((off >> 8) + (len << 5))
                    op += 1
                } else {
                    out[op] = UInt8((off >> 8) + (7 << 5))
                    out[op + 1] = UInt8(len - 7)
                    op += 2
                }
                out[op] = UInt8(off & 0xFF)
                op += 1
                lit = 0
                op += 1
                ip += len + 1
                if ip >= n - 2 { break }
                ip -= 2
                hval = UInt32(input[ip]) << 8 | UInt32(input[ip + 1])
                hval = (hval << 8) | UInt32(input[ip + 2])
                table[idx(hval)] = ip
                ip += 1
                hval = (hval << 8) | UInt32(input[ip + 2])
                table[idx(hval)] = ip
                ip += 1
            } else {
                if op >= maxOut { return nil }
                copyLiteral()
            }
        }
        if op + 3 > maxOut { return nil }
        while ip < n { copyLiteral() }
        out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
        if lit == 0 { op -= 1 }
        guard op <= maxOut else { return nil }
        return Array(out[0..<op])
    }
}
