import Engine
import Foundation
import Testing

@testable import Persistence

@Suite("Sorted set RDB")
struct SortedSetRDBTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    static func zset(_ pairs: [(String, Double)]) -> SortedSetValue {
        var z = SortedSetValue()
        for (m, s) in pairs { z.set(Bytes(m), s) }
        return z
    }

    static func elements(_ v: Value) -> [String] {
        guard case .zset(let z) = v else { return [] }
        return z.sorted.map { "\($0.member.text)=\(Numbers.formatDouble($0.score).text)" }
    }

    /// `ZADD zsmall 1 a 2.5 b -3 c inf d 100000 e 0 f` then DUMP zsmall, on redis-server 7.0.15.
    static let redisSmall = hex(
        "112f2f0000000c00816302dffd028166020001816102010181620283322e3504816502f2a086010481640283696e6604ff0a00195cb6614e2022e1")

    static var big: SortedSetValue { zset((0..<200).map { ("m\($0)", Double($0) * 1.5) }) }

    @Test func decodesRealRedisListpackDump() throws {
        let v = try DumpPayload.decode(Self.redisSmall)
        #expect(Self.elements(v) == ["c=-3", "f=0", "a=1", "b=2.5", "e=100000", "d=inf"])
        #expect(v.encoding == "listpack")
    }

    @Test func smallDumpIsByteIdenticalToRedis() {
        let z = Self.zset([("a", 1), ("b", 2.5), ("c", -3), ("d", .infinity), ("e", 100000), ("f", 0)])
        #expect(z.encoding == "listpack")
        #expect(DumpPayload.encode(.zset(z)) == Self.redisSmall)
    }

    /// 200 members `m<i>` with score i*1.5 (skiplist): Redis's DUMP is 2503 bytes with this SHA-1.
    @Test func bigDumpMatchesRedis() throws {
        let z = Self.big
        #expect(z.encoding == "skiplist")
        let payload = DumpPayload.encode(.zset(z))
        #expect(payload.count == 2503)
        #expect(SHA1.hash(payload).map { String(format: "%02x", $0) }.joined() == "8737858e66ace115b6d36c26dc9e1a48e265ef18")
        #expect(payload[0] == 5)  // zset2
        let back = try DumpPayload.decode(payload)
        #expect(Self.elements(back) == Self.elements(.zset(z)))
        #expect(back.encoding == "skiplist")
    }

    @Test func roundTripsKeepEncodingRules() throws {
        // Long member → skiplist, written as zset2 and loaded back as skiplist.
        let long = Self.zset([(String(repeating: "x", count: 65), 1), ("y", -0.0), ("z", 1e-300)])
        #expect(long.encoding == "skiplist")
        let v = try DumpPayload.decode(DumpPayload.encode(.zset(long)))
        #expect(v.encoding == "skiplist")
        #expect(Self.elements(v) == Self.elements(.zset(long)))
        // A listpack keeps -0 as 0, as Redis's d2string does.
        let small = Self.zset([("n", -0.0), ("p", 0.1), ("q", -1.5e20)])
        guard case .zset(let back) = try DumpPayload.decode(DumpPayload.encode(.zset(small))) else {
            Issue.record("not a zset"); return
        }
        #expect(back.score(Bytes("n"))!.sign == .plus)
        #expect(back.score(Bytes("q")) == -1.5e20)
        #expect(back.encoding == "listpack")
    }

    @Test func readsLegacyTextZsetAndZiplist() throws {
        // RDB_TYPE_ZSET (3): length, then member + text double (length byte, or 253/254/255 specials).
        var w = RDBWriter()
        w.length(3)
        w.string(Bytes("a")); w.byte(3); w.bytes += Array("1.5".utf8)
        w.string(Bytes("b")); w.byte(254)  // +inf
        w.string(Bytes("c")); w.byte(255)  // -inf
        var r = RDBReader(w.bytes)
        let z = try RDBValueCodec.read(type: 3, from: &r)
        #expect(Self.elements(z) == ["c=-inf", "a=1.5", "b=inf"])

        // RDB_TYPE_ZSET_ZIPLIST (12): member, score entries in a ziplist.
        let entries: [[UInt8]] = [Array("x".utf8), Array("2.5".utf8), Array("y".utf8)]
        var body: [UInt8] = []
        var prev = 0
        var sizes: [Int] = []
        for e in entries {
            let entry: [UInt8] = [UInt8(prev), UInt8(e.count)] + e
            body += entry
            sizes.append(entry.count)
            prev = entry.count
        }
        // Integer entry 7: the 4-bit immediate encoding 0xF0 | (7 + 1).
        body += [UInt8(prev), 0xF0 | 8]
        let tail = 10 + sizes.reduce(0, +)
        var zl: [UInt8] = []
        let total = 10 + body.count + 1
        zl += withUnsafeBytes(of: UInt32(total).littleEndian, Array.init)
        zl += withUnsafeBytes(of: UInt32(tail).littleEndian, Array.init)
        zl += withUnsafeBytes(of: UInt16(4).littleEndian, Array.init)
        zl += body + [0xFF]
        var w2 = RDBWriter(compress: false)
        w2.string(zl)
        var r2 = RDBReader(w2.bytes)
        let z2 = try RDBValueCodec.read(type: 12, from: &r2)
        #expect(Self.elements(z2) == ["x=2.5", "y=7"])
    }

    @Test func rejectsBadPayloads() {
        var w = RDBWriter()
        w.length(2)
        w.string(Bytes("a")); w.binaryDouble(1)
        w.string(Bytes("a")); w.binaryDouble(2)  // duplicate member
        var r = RDBReader(w.bytes)
        #expect(throws: (any Error).self) { try RDBValueCodec.read(type: 5, from: &r) }
        var w2 = RDBWriter()
        w2.length(1)
        w2.string(Bytes("a")); w2.binaryDouble(.nan)
        var r2 = RDBReader(w2.bytes)
        #expect(throws: (any Error).self) { try RDBValueCodec.read(type: 5, from: &r2) }
        let odd = Listpack.encode([Bytes("a"), Bytes("1"), Bytes("b")])
        var w3 = RDBWriter()
        w3.string(odd)
        var r3 = RDBReader(w3.bytes)
        #expect(throws: (any Error).self) { try RDBValueCodec.read(type: 17, from: &r3) }
    }
}
