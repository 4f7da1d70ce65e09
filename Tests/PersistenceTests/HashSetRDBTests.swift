import Engine
import Testing

@testable import Persistence

/// Hash and set RDB encodings: round trips, real Redis 7.0.15 DUMP payloads decoded, and our
/// DUMP byte-identical to Redis's where the encoding is deterministic (listpack, intset).
@Suite("Hash and set RDB")
struct HashSetRDBTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    static func hexString(_ b: [UInt8]) -> String { b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    static func hash(_ pairs: [(String, String)]) -> HashValue {
        var h = HashValue()
        for (f, v) in pairs { h.set(Bytes(f), Bytes(v)) }
        return h
    }

    static func dict(_ h: HashValue) -> [String: String] {
        var d: [String: String] = [:]
        h.forEach { d[$0.text] = $1.text }
        return d
    }

    static func members(_ s: SetValue) -> Set<String> {
        var out = Set<String>()
        s.forEach { out.insert($0.text) }
        return out
    }

    // Captured from redis-server 7.0.15: HSET h a 1 b hello c -5 d 70000 e <63 x>; DUMP h.
    static let smallHashDump =
        "10c33040681f680000000a0081610201018162028568656c6c6f06816302dffb02816402f27007110104816502bf78e035000140ff0a00810e2b836f7b3955"

    @Test func smallHashDumpIsByteIdenticalToRedis() throws {
        let h = Self.hash([("a", "1"), ("b", "hello"), ("c", "-5"), ("d", "70000"), ("e", String(repeating: "x", count: 63))])
        #expect(h.encoding == "listpack")
        #expect(Self.hexString(DumpPayload.encode(.hash(h))) == Self.smallHashDump)
        guard case .hash(let back) = try DumpPayload.decode(Self.hex(Self.smallHashDump)) else {
            Issue.record("not a hash")
            return
        }
        #expect(back.encoding == "listpack")
        #expect(back.entries.map { $0.field.text } == ["a", "b", "c", "d", "e"])
        #expect(Self.dict(back) == Self.dict(h))
    }

    @Test func largestListpackHashMatchesRedis() {
        // HSET h512 f0 0 … f511 511 (still a listpack at 512 fields): Redis's DUMP is 3171 bytes.
        var h = HashValue()
        for i in 0..<512 { h.set(Bytes("f\(i)"), Bytes("\(i)")) }
        #expect(h.encoding == "listpack")
        let d = DumpPayload.encode(.hash(h))
        #expect(d.count == 3171)
        #expect(Self.hexString(SHA1.hash(d)) == "4bda8c3c0343c77e79f7034251001edafe9adedf")
        h.set(Bytes("one-more"), Bytes("x"))
        #expect(h.encoding == "hashtable")
        #expect(d.first == RDB.TypeByte.hashListpack.rawValue)
        #expect(DumpPayload.encode(.hash(h)).first == RDB.TypeByte.hash.rawValue)
    }

    @Test func hashtableHashFromRedisDecodes() throws {
        // HSET hl a 1 long <70 y>: a hash table (type 4), with an LZF-compressed value.
        let payload = Self.hex("04020161c001046c6f6e67c3094046017979e039000179790a0093eb49c190317fe9")
        guard case .hash(let h) = try DumpPayload.decode(payload) else {
            Issue.record("not a hash")
            return
        }
        #expect(h.encoding == "hashtable")
        #expect(Self.dict(h) == ["a": "1", "long": String(repeating: "y", count: 70)])
        // Written back as a plain hash, which decodes to the same content.
        let again = DumpPayload.encode(.hash(h))
        #expect(again.first == RDB.TypeByte.hash.rawValue)
        guard case .hash(let h2) = try DumpPayload.decode(again) else { return }
        #expect(Self.dict(h2) == Self.dict(h))
    }

    @Test func intsetDumpIsByteIdenticalIncludingKeptWidth() throws {
        // SADD si 1 2 3 -100000; SREM si -100000: Redis keeps the 4-byte width.
        let redis = "0b1404000000030000000100000002000000030000000a00d53e603ee33662a9"
        var s = SetValue()
        for m in ["1", "2", "3", "-100000"] { s.add(Bytes(m)) }
        s.remove(Bytes("-100000"))
        #expect(s.encoding == "intset")
        #expect(s.intsetWidth == 4)
        #expect(Self.hexString(DumpPayload.encode(.set(s))) == redis)
        guard case .set(let back) = try DumpPayload.decode(Self.hex(redis)) else {
            Issue.record("not a set")
            return
        }
        #expect(back.intsetWidth == 4)
        #expect(Self.members(back) == ["1", "2", "3"])
        #expect(Self.hexString(DumpPayload.encode(.set(back))) == redis)

        // SADD sw 5 4294967296 -7; SREM sw 4294967296: width 8 stays.
        let wide = "0b180800000002000000f9ffffffffffffff05000000000000000a004c5ed4ad2aebee32"
        var w = SetValue()
        for m in ["5", "4294967296", "-7"] { w.add(Bytes(m)) }
        w.remove(Bytes("4294967296"))
        #expect(Self.hexString(DumpPayload.encode(.set(w))) == wide)
    }

    @Test func largestIntsetMatchesRedis() {
        // SADD si512 -256 … 255: 512 members, still an intset; Redis's DUMP is 1045 bytes.
        var s = SetValue()
        for i in -256..<256 { s.add(Bytes("\(i)")) }
        #expect(s.encoding == "intset")
        let d = DumpPayload.encode(.set(s))
        #expect(d.count == 1045)
        #expect(Self.hexString(SHA1.hash(d)) == "9bd3f0e7bb88d980bddbdd37f3ee03c492bb3655")
        s.add(Bytes("1000"))
        #expect(s.encoding == "hashtable")
        #expect(DumpPayload.encode(.set(s)).first == RDB.TypeByte.set.rawValue)
    }

    @Test func hashtableSetsFromRedisDecode() throws {
        // SADD ss a → hash table (type 2) with one member.
        guard case .set(let one) = try DumpPayload.decode(Self.hex("020101610a006296e97e44d21a6d")) else {
            Issue.record("not a set")
            return
        }
        #expect(Self.members(one) == ["a"])
        #expect(one.encoding == "hashtable")
        // SADD sbig2 m0 … m19.
        let payload = Self.hex(
            "0214036d3131036d3130026d34026d33026d30036d3134026d32026d31036d3133026d37036d3137036d3139026d38026d36036d3135036d3132036d3138036d3136026d35026d390a001bbb04eecf42308c"
        )
        guard case .set(let s) = try DumpPayload.decode(payload) else {
            Issue.record("not a set")
            return
        }
        #expect(Self.members(s) == Set((0..<20).map { "m\($0)" }))
    }

    @Test func plainSetOfIntegersLoadsAsIntset() throws {
        // Redis's loader turns a type-2 set of few integers into an intset.
        var w = RDBWriter()
        w.length(3)
        for m in ["10", "-3", "7"] { w.string(Bytes(m)) }
        var r = RDBReader(w.bytes)
        let s = try SetRDB.read(.set, from: &r)
        #expect(s.encoding == "intset")
        #expect(s.integers == [-3, 7, 10])
    }

    static func payload(type: RDB.TypeByte, blob: [UInt8]) -> [UInt8] {
        var w = RDBWriter()
        w.byte(type.rawValue)
        w.string(blob)
        w.le(RDB.version)
        w.le(CRC64.checksum(w.bytes))
        return w.bytes
    }

    @Test func ziplistHashLoads() throws {
        let blob = Ziplist.encode([Bytes("f1"), Bytes("v1"), Bytes("n"), Bytes("-42")])
        guard case .hash(let h) = try DumpPayload.decode(Self.payload(type: .hashZiplist, blob: blob)) else {
            Issue.record("not a hash")
            return
        }
        #expect(h.encoding == "listpack")
        #expect(h.entries.map { [$0.field.text, $0.value.text] } == [["f1", "v1"], ["n", "-42"]])
    }

    @Test func zipmapHashLoads() throws {
        // zmlen=2, "a" → "1" (with 2 free bytes), "key" → "value", end.
        let blob: [UInt8] = [2, 1, 97, 1, 2, 49, 0, 0, 3, 107, 101, 121, 5, 0, 118, 97, 108, 117, 101, 0xFF]
        guard case .hash(let h) = try DumpPayload.decode(Self.payload(type: .hashZipmap, blob: blob)) else {
            Issue.record("not a hash")
            return
        }
        #expect(h.entries.map { [$0.field.text, $0.value.text] } == [["a", "1"], ["key", "value"]])
        // Truncated zipmaps are rejected, not crashed on.
        for cut in 1..<blob.count {
            #expect(throws: (any Error).self) { try DumpPayload.decode(Self.payload(type: .hashZipmap, blob: Array(blob[0..<cut]))) }
        }
    }

    @Test func duplicatesAndEmptyCollectionsAreRejected() {
        let dupHash = Listpack.encode([Bytes("a"), Bytes("1"), Bytes("a"), Bytes("2")])
        #expect(throws: (any Error).self) { try DumpPayload.decode(Self.payload(type: .hashListpack, blob: dupHash)) }
        #expect(throws: (any Error).self) { try DumpPayload.decode(Self.payload(type: .hashListpack, blob: Listpack.encode([]))) }
        let unsorted = Intset.encode([3, 1])  // encode sorts: build a bad one by hand
        var bad = unsorted
        bad.swapAt(8, 10)
        #expect(throws: (any Error).self) { try DumpPayload.decode(Self.payload(type: .setIntset, blob: bad)) }
        #expect(throws: (any Error).self) { try DumpPayload.decode(Self.payload(type: .setIntset, blob: Intset.encode([]))) }
    }

    @Test func roundTripsKeepContentAndEncoding() throws {
        var rng = SystemRandomNumberGenerator()
        for size in [1, 5, 100, 512, 513, 2000] {
            var h = HashValue()
            var s = SetValue()
            var t = SetValue()
            for i in 0..<size {
                h.set(Bytes("field:\(i)"), Bytes(String(Int.random(in: -100_000...100_000, using: &rng))))
                s.add(Bytes(String(Int64.random(in: Int64.min...Int64.max, using: &rng))))
                t.add(Bytes("m\(i)"))
            }
            for v in [Value.hash(h), .set(s), .set(t)] {
                let back = try DumpPayload.decode(DumpPayload.encode(v))
                #expect(back.encoding == v.encoding, "size \(size)")
                #expect(KeyspaceDigest.valueDigest(back) == KeyspaceDigest.valueDigest(v))
            }
        }
    }
}
