import Engine
import Testing

@testable import Persistence

@Suite("Ziplist codec")
struct ZiplistTests {
    /// A ziplist as Redis 6.2 lays it out for ["a", 12, -5, 300]: 1-byte string, 4-bit
    /// immediate, int8, int16.
    static let golden: [UInt8] = [
        23, 0, 0, 0, 18, 0, 0, 0, 4, 0,
        0, 0x01, 0x61,
        3, 0xFD,
        2, 0xFE, 0xFB,
        3, 0xC0, 0x2C, 0x01,
        0xFF,
    ]

    @Test func decodesRedisLayout() throws {
        #expect(try Ziplist.decode(Self.golden) == ["a", "12", "-5", "300"].map { Bytes($0) })
        #expect(Ziplist.encode(["a", "12", "-5", "300"].map { Bytes($0) }) == Self.golden)
    }

    @Test func roundTripsEveryEncoding() throws {
        let values = ["", "0", "13", "-128", "127", "-32768", "32767", "8388607", "-8388608", "2147483647",
                      "-2147483648", "9223372036854775807", "-9223372036854775808", "007", "1.5",
                      String(repeating: "x", count: 63), String(repeating: "y", count: 64),
                      String(repeating: "z", count: 16384), String(repeating: "w", count: 300)]
        let items = values.map { Bytes($0) }
        #expect(try Ziplist.decode(Ziplist.encode(items)) == items)
        #expect(try Ziplist.decode(Ziplist.encode([])) == [])
    }

    @Test func rejectsCorruption() {
        var bad = Self.golden
        bad[13] = 9  // wrong prevlen
        #expect(throws: RDBError.self) { try Ziplist.decode(bad) }
        #expect(throws: RDBError.self) { try Ziplist.decode(Array(Self.golden.dropLast())) }
        var count = Self.golden
        count[8] = 5
        #expect(throws: RDBError.self) { try Ziplist.decode(count) }
        var len = Self.golden
        len[11] = 0x30  // string longer than the blob
        #expect(throws: RDBError.self) { try Ziplist.decode(len) }
    }
}
