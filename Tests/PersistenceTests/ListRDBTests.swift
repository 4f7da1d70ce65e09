import Engine
import Foundation
import Testing

@testable import Persistence

@Suite("List RDB encodings")
struct ListRDBTests {
    func list(_ items: [String]) -> Value { .list(ListValue(items.map { Bytes($0) })) }

    func elements(_ v: Value) -> [String] {
        guard case .list(let l) = v else { return [] }
        return l.items.map(\.text)
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// DUMP of `RPUSH s a 1 -5 300` from Redis 7.0.15.
    static let smallDump = hex("120102121200000004008161020101dffb02c12c02ff0a00d8c6918441c94000")

    /// DUMP of `RPUSH m element-number-00000 … element-number-00449` from Redis 7.0.15: two
    /// LZF-compressed listpack nodes (371 + 79 elements).
    static let mediumDump = Array(Data(base64Encoded: "EgICw0daX+kW6R8AAHMBlGVsZW1lbnQtbnVtYmVyLTBAAAAV4AsVADHgDBUAMuAMFQAz4AwVADTgDBUANeAMFQA24AwVADfgDBUAOOAMFQA54AsVADHgDNsAMeAM2wAx4AzbADHgDNsAMeAM2wAx4AzbADHgDNsAMeAM2wAx4AzbADHgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAz4AzbADPgDNsAM+AM2wAz4AzbADPgDNsAM+AM2wAz4AzbADPgDNsAM+AM2wAz4AzbADTgDNsANOAM2wA04AzbADTgDNsANOAM2wA04AzbADTgDNsANOAM2wA04AzbADTgDNsANeAM2wA14AzbADXgDNsANeAM2wA14AzbADXgDNsANeAM2wA14AzbADXgDNsANeAM2wA24AzbADbgDNsANuAM2wA24AzbADbgDNsANuAM2wA24AzbADbgDNsANuAM2wA24AzbADfgDNsAN+AM2wA34AzbADfgDNsAN+AM2wA34AzbADfgDNsAN+AM2wA34AzbADfgDNsAOOAM2wA44AzbADjgDNsAOOAM2wA44AzbADjgDNsAOOAM2wA44AzbADjgDNsAOOAM2wA54AzbADngDNsAOeAM2wA54AzbADngDNsAOeAM2wA54AzbADngDNsAOeAM2wA54AvbADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMegMlwAx6AyXADHoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAy6AyXADLoDJcAMugMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADPoDJcAM+gMlwAz6AyXADMolwD/AsNBr0bRG9EGAABPAJRlbGVtZW50LW51bWJlci0wMDM3MRXgCxUAMuAMFQAz4AwVADTgDBUANeAMFQA24AwVADfgDBUAOOAMFQA54AsVATgw4AwV4AzbADjgDNsAOOAM2wA44AzbADjgDNsAOOAM2wA44AzbADjgDNsAOOAM2wA54AzbADngDNsAOeAM2wA54AzbADngDNsAOeAM2wA54AzbADngDNsAOeAM2wA54AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AvbATQw4AzbADHgDNsAMeAM2wAx4AzbADHgDNsAMeAM2wAx4AzbADHgDNsAMeAM2wAx4AzbADHgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAy4AzbADLgDNsAMuAM2wAz4AzbADPgDNsAM+AM2wAz4AzbADPgDNsAM+AM2wAz4AzbADPgDNsAM+AM2wAz4AzbADTgDNsANOAM2wA04AzbADTgDNsANOAM2wA04AzbADTgDNsANOAM2wA04AzbAzQ5Ff8KAGM2gCe2rsoN")!)

    @Test func smallListDumpIsByteIdenticalToRedis() throws {
        let v = list(["a", "1", "-5", "300"])
        #expect(DumpPayload.encode(v) == Self.smallDump)
        #expect(elements(try DumpPayload.decode(Self.smallDump)) == ["a", "1", "-5", "300"])
    }

    @Test func multiNodeListDumpIsByteIdenticalToRedis() throws {
        let items = (0..<450).map { String(format: "element-number-%05d", $0) }
        #expect(DumpPayload.encode(list(items)) == Self.mediumDump)
        #expect(elements(try DumpPayload.decode(Self.mediumDump)) == items)
        let nodes = ListRDB.nodes(items.map { Bytes($0) })
        #expect(nodes.count == 2)
        if case .packed(let first) = nodes[0] { #expect(first.count == 371) } else { Issue.record("plain node") }
    }

    @Test func largeListDumpMatchesRedisLengthAndChecksum() {
        // RPUSH b value-0…value-4999, "x"*10000, 12345678901, INT64_MIN, "0"…"2999" on Redis 7.0.15.
        var items = (0..<5000).map { "value-\($0)" }
        items += [String(repeating: "x", count: 10000), "12345678901", "-9223372036854775808"]
        items += (0..<3000).map { String($0) }
        let payload = DumpPayload.encode(list(items))
        #expect(payload.count == 33926)
        #expect(Array(payload.suffix(8)) == Self.hex("69f2ea8425629a68"))
    }

    @Test func nodeSplitFollowsRedisFillRule() {
        // 10-byte elements take 12 bytes: Redis fits 681 per 8 KB node.
        func count(_ n: Int) -> Int { ListRDB.nodes(Array(repeating: Bytes("xxxxxxxxxx"), count: n)).count }
        #expect(count(681) == 1)
        #expect(count(682) == 2)
        #expect(count(1362) == 2)
        #expect(count(1363) == 3)
        // An element too large for any node's budget gets a packed node of its own.
        let big = Bytes(repeating: 0x61, count: 9000)
        let nodes = ListRDB.nodes([Bytes("a"), big, Bytes("b")])
        #expect(nodes == [.packed([Bytes("a")]), .packed([big]), .packed([Bytes("b")])])
    }

    func roundTrip(_ bytes: [UInt8]) throws -> [String] {
        var r = RDBReader(bytes)
        let v = try RDBValueCodec.read(type: try r.byte(), from: &r)
        #expect(r.atEnd)
        return elements(v)
    }

    @Test func readsPlainNodesAndOlderEncodings() throws {
        // quicklist2 with a PLAIN node between two packed ones.
        var w = RDBWriter()
        w.byte(RDB.TypeByte.listQuicklist2.rawValue)
        w.length(3)
        w.length(2)
        w.string(Listpack.encode([Bytes("a")]))
        w.length(1)
        w.string(Bytes("plain element"))
        w.length(2)
        w.string(Listpack.encode([Bytes("7"), Bytes("z")]))
        #expect(try roundTrip(w.bytes) == ["a", "plain element", "7", "z"])

        // Redis ≤ 6.2: quicklist of ziplists, a lone ziplist, and the plain linked list.
        w = RDBWriter()
        w.byte(RDB.TypeByte.listQuicklist.rawValue)
        w.length(2)
        w.string(ZiplistTests.golden)
        w.string(Ziplist.encode([Bytes("tail"), Bytes("-70000")]))
        #expect(try roundTrip(w.bytes) == ["a", "12", "-5", "300", "tail", "-70000"])

        w = RDBWriter()
        w.byte(RDB.TypeByte.listZiplist.rawValue)
        w.string(ZiplistTests.golden)
        #expect(try roundTrip(w.bytes) == ["a", "12", "-5", "300"])

        w = RDBWriter()
        w.byte(RDB.TypeByte.list.rawValue)
        w.length(2)
        w.string(Bytes("x"))
        w.string(Bytes("123"))
        #expect(try roundTrip(w.bytes) == ["x", "123"])
    }

    @Test func rejectsEmptyAndCorruptLists() {
        var w = RDBWriter()
        w.byte(RDB.TypeByte.listQuicklist2.rawValue)
        w.length(0)
        #expect(throws: RDBError.self) { try roundTrip(w.bytes) }
        w = RDBWriter()
        w.byte(RDB.TypeByte.listQuicklist2.rawValue)
        w.length(1)
        w.length(3)  // no such container
        w.string(Listpack.encode([Bytes("a")]))
        #expect(throws: RDBError.self) { try roundTrip(w.bytes) }
        var bad = Self.smallDump
        bad[8] ^= 0xFF
        #expect(throws: RedisError.self) { try DumpPayload.decode(bad) }
    }

    @Test func randomListsRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let n = Int.random(in: 1...3000, using: &rng)
            let items: [String] = (0..<n).map { _ in
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: return String(Int64.random(in: Int64.min...Int64.max, using: &rng))
                case 1: return String(Int.random(in: -5000...5000, using: &rng))
                case 2: return String(repeating: "q", count: Int.random(in: 0...300, using: &rng))
                default: return "item-\(Int.random(in: 0...99, using: &rng))"
                }
            }
            #expect(elements(try DumpPayload.decode(DumpPayload.encode(list(items)))) == items)
        }
    }
}
