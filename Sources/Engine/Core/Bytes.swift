import RESP
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

public typealias Bytes = [UInt8]

#if arch(x86_64) || arch(i386)
/// Redis computes INCRBYFLOAT in C `long double`; x86's 80-bit extended type matches it.
public typealias LongDouble = Float80
let longDoubleFormat = "%.17Lf"
@inline(__always) func strtoldCompat(_ s: UnsafePointer<CChar>, _ e: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Float80 { strtold(s, e) }
#else
public typealias LongDouble = Double
let longDoubleFormat = "%.17f"
@inline(__always) func strtoldCompat(_ s: UnsafePointer<CChar>, _ e: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Double { strtod(s, e) }
#endif

extension Array where Element == UInt8 {
    @inline(__always) public init(_ s: String) { self = Array(s.utf8) }
    public var text: String { String(decoding: self, as: UTF8.self) }
    public var upper: String { String(decoding: self.map { ($0 >= 97 && $0 <= 122) ? $0 - 32 : $0 }, as: UTF8.self) }
    public var lower: String { String(decoding: self.map { ($0 >= 65 && $0 <= 90) ? $0 + 32 : $0 }, as: UTF8.self) }

    /// Case-insensitive comparison with an ASCII keyword.
    @inline(__always) public func equalsIgnoringCase(_ keyword: StaticString) -> Bool {
        guard count == keyword.utf8CodeUnitCount else { return false }
        let p = keyword.utf8Start
        for i in 0..<count {
            var c = self[i]
            if c >= 97 && c <= 122 { c -= 32 }
            var k = p[i]
            if k >= 97 && k <= 122 { k -= 32 }
            if c != k { return false }
        }
        return true
    }
}

/// Number parsing and formatting with Redis's exact rules.
public enum Numbers {
    /// Redis `string2ll`: optional '-', no '+', no leading zeros, no spaces, fits in Int64.
    public static func parseInt(_ b: Bytes) -> Int64? {
        let n = b.count
        if n == 0 || n > 20 { return nil }
        if n == 1 && b[0] == 48 { return 0 }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
            if n == 1 { return nil }
        }
        if b[i] < 49 || b[i] > 57 { return nil }  // first digit 1-9
        var v: UInt64 = 0
        while i < n {
            let c = b[i]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        if v > UInt64(Int64.max) { return nil }
        return Int64(v)
    }

    /// Redis `string2ld`/`strtod` rules for floats: no spaces, no empty, not NaN; "inf" allowed.
    public static func parseDouble(_ b: Bytes) -> Double? {
        if let v = parseShortInteger(b) { return v }
        if b.isEmpty || b.count > 5000 { return nil }
        if isSpace(b[0]) || isSpace(b[b.count - 1]) { return nil }
        var copy = b
        copy.append(0)
        return copy.withUnsafeBufferPointer { p -> Double? in
            let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(start, &end)
            guard let e = end, e - UnsafeMutablePointer(mutating: start) == b.count else { return nil }
            if v.isNaN { return nil }
            if errno == ERANGE && (v == .infinity || v == -.infinity || v == 0) && !isInfText(b) { return nil }
            return v
        }
    }

    /// The common case of a score: an optional '-' and at most 15 decimal digits, which a
    /// double holds exactly, so the result is `strtod`'s (including -0) at a fraction of the cost.
    @inline(__always) private static func parseShortInteger(_ b: Bytes) -> Double? {
        let n = b.count
        if n == 0 || n > 16 { return nil }
        return b.withUnsafeBufferPointer { p -> Double? in
            let negative = p[0] == UInt8(ascii: "-")
            var i = negative ? 1 : 0
            if i == n || n - i > 15 { return nil }
            var v: Int64 = 0
            while i < n {
                let d = p[i] &- 48
                if d > 9 { return nil }
                v = v &* 10 &+ Int64(d)
                i += 1
            }
            return negative ? -Double(v) : Double(v)
        }
    }

    private static func isInfText(_ b: Bytes) -> Bool {
        let l = b.lower
        return l.hasSuffix("inf") || l.hasSuffix("infinity")
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

    public static func format(_ v: Int64) -> Bytes { RESPEncoder.integerBytes(v) }

    /// Redis's human-friendly long double format (INCRBYFLOAT, HINCRBYFLOAT): `%.17Lf` with
    /// trailing zeros removed, exponent-free.
    public static func formatHuman(_ v: LongDouble) -> Bytes {
        if v.isInfinite { return v > 0 ? Bytes("inf") : Bytes("-inf") }
        var s = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 5200) { buf in
            let n = withVaList([v]) { vsnprintf(buf.baseAddress!, 5200, longDoubleFormat, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buf.baseAddress!, count: Int(min(n, 5199))), as: UTF8.self)
        }
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        if s == "-0" { s = "0" }
        return Array(s.utf8)
    }

    /// `strtold` with Redis's rules (no spaces, not NaN, whole string consumed).
    public static func parseLongDouble(_ b: Bytes) -> LongDouble? {
        if b.isEmpty || b.count > 5000 { return nil }
        if isSpace(b[0]) || isSpace(b[b.count - 1]) { return nil }
        var copy = b
        copy.append(0)
        return copy.withUnsafeBufferPointer { p -> LongDouble? in
            let start = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = LongDouble(strtoldCompat(start, &end))
            guard let e = end, e - UnsafeMutablePointer(mutating: start) == b.count else { return nil }
            if v.isNaN { return nil }
            // Like Redis's string2ld: overflow and underflow to zero fail, denormals are kept.
            if errno == ERANGE && (v.isInfinite || v == 0) && !isInfText(b) { return nil }
            return v
        }
    }

    /// Redis's `%.17g` double format used in replies (ZSCORE and friends in 7.0).
    public static func formatDouble(_ v: Double) -> Bytes { RESPEncoder.formatDoubleBytes(v) }
}
