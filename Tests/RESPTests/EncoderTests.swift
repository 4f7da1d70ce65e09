#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore
import Testing

@testable import RESP

@Suite("RESP encoder")
struct EncoderTests {
    func wire(_ v: RESPValue, _ version: RESPVersion) -> String {
        String(buffer: RESPEncoder.encode(v, version: version))
    }

    @Test func scalars() {
        #expect(wire(.simple("OK"), .resp2) == "+OK\r\n")
        #expect(wire(.error("ERR x"), .resp2) == "-ERR x\r\n")
        #expect(wire(.integer(-42), .resp2) == ":-42\r\n")
        #expect(wire(.integer(Int64.min), .resp2) == ":-9223372036854775808\r\n")
        #expect(wire(.bulk("hi"), .resp3) == "$2\r\nhi\r\n")
    }

    /// The digit-by-digit path for whole numbers must give exactly what `%.17g` gives.
    @Test func doubleTextMatchesPrintf() {
        func printf17g(_ d: Double) -> String {
            var buf = [CChar](repeating: 0, count: 64)
            let n = withVaList([d]) { vsnprintf(&buf, 64, "%.17g", $0) }
            return String(decoding: buf[..<Int(n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        var values: [Double] = [0, -0.0, 1, -1, 7, 10, 99, 100, 1234567, -987654321, 0.1, -0.5, 1.5, 3.14159,
                                1e15, 1e16, 9_999_999_999_999_998, 1e17, -1e17, 1e18, 2e17 + 2, 9007199254740993,
                                1e-300, 5e-324, Double.greatestFiniteMagnitude, 123456789012345680]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let whole = Double(Int64(bitPattern: x) >> Int64(x % 60))
            values += [whole, whole / 1024, Double(bitPattern: x & 0x7FEF_FFFF_FFFF_FFFF)]
        }
        for d in values {
            #expect(RESPEncoder.formatDouble(d) == printf17g(d), "\(d)")
        }
        #expect(RESPEncoder.formatDouble(.infinity) == "inf")
        #expect(RESPEncoder.formatDouble(-.infinity) == "-inf")
        #expect(RESPEncoder.formatDouble(.nan) == "nan")
        #expect(wire(.double(-0.0), .resp2) == "$2\r\n-0\r\n")
        #expect(wire(.double(42), .resp3) == ",42\r\n")
        #expect(wire(.double(0.25), .resp2) == "$4\r\n0.25\r\n")
    }

    @Test func integerText() {
        for v: Int64 in [0, 7, -7, 10, -10, 99, 100, 1_000_000, -987_654_321, .max, .min, .max - 1, .min + 1] {
            #expect(RESPEncoder.integerBytes(v) == Array(String(v).utf8))
        }
    }

    @Test func nullsDowngrade() {
        #expect(wire(.null, .resp2) == "$-1\r\n")
        #expect(wire(.nullArray, .resp2) == "*-1\r\n")
        #expect(wire(.null, .resp3) == "_\r\n")
        #expect(wire(.nullArray, .resp3) == "_\r\n")
    }

    @Test func resp3TypesAndTheirRESP2Forms() {
        let map = RESPValue.map([(.bulk("a"), .integer(1))])
        #expect(wire(map, .resp3) == "%1\r\n$1\r\na\r\n:1\r\n")
        #expect(wire(map, .resp2) == "*2\r\n$1\r\na\r\n:1\r\n")
        #expect(wire(.set([.bulk("x")]), .resp3) == "~1\r\n$1\r\nx\r\n")
        #expect(wire(.set([.bulk("x")]), .resp2) == "*1\r\n$1\r\nx\r\n")
        #expect(wire(.double(1.5), .resp3) == ",1.5\r\n")
        #expect(wire(.double(1.5), .resp2) == "$3\r\n1.5\r\n")
        #expect(wire(.double(.infinity), .resp3) == ",inf\r\n")
        #expect(wire(.double(1.1), .resp2) == "$18\r\n1.1000000000000001\r\n")
        #expect(wire(.boolean(true), .resp3) == "#t\r\n")
        #expect(wire(.boolean(false), .resp2) == ":0\r\n")
        #expect(wire(.bigNumber("123"), .resp3) == "(123\r\n")
        #expect(wire(.bigNumber("123"), .resp2) == "$3\r\n123\r\n")
        #expect(wire(.verbatim(format: "txt", text: Array("hi".utf8)), .resp3) == "=6\r\ntxt:hi\r\n")
        #expect(wire(.verbatim(format: "txt", text: Array("hi".utf8)), .resp2) == "$2\r\nhi\r\n")
        #expect(wire(.push([.bulk("m")]), .resp3) == ">1\r\n$1\r\nm\r\n")
        #expect(wire(.push([.bulk("m")]), .resp2) == "*1\r\n$1\r\nm\r\n")
    }
}

@Suite("RESP reply parser")
struct ReplyParserTests {
    func roundTrip(_ v: RESPValue, _ version: RESPVersion = .resp3) -> RESPValue? {
        RESPValue(encoded: Array(RESPEncoder.encode(v, version: version).readableBytesView))
    }

    @Test func readsBackWhatTheEncoderWrites() {
        let values: [RESPValue] = [
            .simple("OK"), .error("ERR bad"), .integer(-7), .bulk(Array("a\r\nb".utf8)), .bulk([]), .null,
            .double(1.5), .double(.infinity), .boolean(true), .bigNumber("12345678901234567890"),
            .verbatim(format: "txt", text: Array("hi".utf8)),
            .array([.integer(1), .array([.bulk(Array("x".utf8)), .null]), .array([])]),
            .map([(.bulk(Array("k".utf8)), .integer(2))]), .set([.bulk(Array("m".utf8))]), .push([.integer(3)]),
        ]
        for v in values { #expect(roundTrip(v) == v) }
        #expect(roundTrip(.nullArray, .resp2) == .nullArray)
        #expect(roundTrip(.encodedBulkArray([Array("a".utf8), []])) == .array([.bulk(Array("a".utf8)), .bulk([])]))
    }

    @Test func rejectsWhatIsNotOneWholeReply() {
        for text in ["", "+OK", "$3\r\nab\r\n", "*2\r\n:1\r\n", ":1\r\n:2\r\n", "?x\r\n"] {
            #expect(RESPValue(encoded: Array(text.utf8)) == nil)
        }
    }
}
