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
