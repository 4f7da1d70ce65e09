/// Redis's glob-style matcher (`stringmatchlen` in util.c), byte for byte: `*`, `?`, `[...]`
/// with ranges, `^` negation and `\` escapes, the same handling of malformed patterns, and the
/// same nesting limit against abusive patterns.
public enum Glob {
    public static func match(_ pattern: Bytes, _ string: Bytes, nocase: Bool = false) -> Bool {
        pattern.withUnsafeBufferPointer { p in
            string.withUnsafeBufferPointer { s in
                match(p, s, nocase: nocase)
            }
        }
    }

    public static func match(_ pattern: UnsafeBufferPointer<UInt8>, _ string: UnsafeBufferPointer<UInt8>, nocase: Bool = false) -> Bool {
        // Fast paths for the patterns callers use most.
        if pattern.count == 1 && pattern[0] == UInt8(ascii: "*") { return true }
        var skipLonger = false
        return matchImpl(pattern, 0, string, 0, nocase, &skipLonger, 0)
    }

    /// True if `pattern` matches every string (so callers can skip matching altogether).
    public static func matchesAll(_ pattern: Bytes) -> Bool { pattern.count == 1 && pattern[0] == UInt8(ascii: "*") }

    @inline(__always) private static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c + 32 : c }

    /// C `char` is signed on the platforms Redis ships on: ranges compare bytes as signed values.
    @inline(__always) private static func signed(_ c: UInt8) -> Int { Int(Int8(bitPattern: c)) }

    private static func matchImpl(
        _ pat: UnsafeBufferPointer<UInt8>, _ pStart: Int, _ str: UnsafeBufferPointer<UInt8>, _ sStart: Int,
        _ nocase: Bool, _ skipLonger: inout Bool, _ nesting: Int
    ) -> Bool {
        if nesting > 1000 { return false }
        let pEnd = pat.count
        let sEnd = str.count
        var p = pStart
        var s = sStart
        // The C code reads the pattern's NUL terminator at its end; model it as 0.
        @inline(__always) func pc(_ i: Int) -> UInt8 { i < pEnd ? pat[i] : 0 }

        while p < pEnd && s < sEnd {
            switch pat[p] {
            case UInt8(ascii: "*"):
                while p + 1 < pEnd && pat[p + 1] == UInt8(ascii: "*") { p += 1 }
                if p + 1 == pEnd { return true }
                while s < sEnd {
                    if matchImpl(pat, p + 1, str, s, nocase, &skipLonger, nesting + 1) { return true }
                    if skipLonger { return false }
                    s += 1
                }
                skipLonger = true
                return false
            case UInt8(ascii: "?"):
                s += 1
            case UInt8(ascii: "["):
                p += 1
                let not = pc(p) == UInt8(ascii: "^")
                if not { p += 1 }
                var matched = false
                let c = str[s]
                while true {
                    if pc(p) == UInt8(ascii: "\\") && pEnd - p >= 2 {
                        p += 1
                        if pat[p] == c { matched = true }
                    } else if pc(p) == UInt8(ascii: "]") {
                        break
                    } else if p >= pEnd {
                        p -= 1
                        break
                    } else if pEnd - p >= 3 && pat[p + 1] == UInt8(ascii: "-") {
                        var lo = pat[p]
                        var hi = pat[p + 2]
                        if signed(lo) > signed(hi) { swap(&lo, &hi) }
                        if nocase {
                            lo = lower(lo)
                            hi = lower(hi)
                        }
                        let v = nocase ? signed(lower(c)) : signed(c)
                        p += 2
                        if v >= signed(lo) && v <= signed(hi) { matched = true }
                    } else {
                        if nocase ? lower(pat[p]) == lower(c) : pat[p] == c { matched = true }
                    }
                    p += 1
                }
                if not { matched = !matched }
                if !matched { return false }
                s += 1
            default:
                if pat[p] == UInt8(ascii: "\\") && pEnd - p >= 2 { p += 1 }
                if nocase ? lower(pat[p]) != lower(str[s]) : pat[p] != str[s] { return false }
                s += 1
            }
            p += 1
            if s == sEnd {
                while p < pEnd && pat[p] == UInt8(ascii: "*") { p += 1 }
                break
            }
        }
        return p == pEnd && s == sEnd
    }
}
