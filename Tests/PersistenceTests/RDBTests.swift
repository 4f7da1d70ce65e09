import Engine
import Foundation
import Testing

@testable import Persistence

@Suite("RDB codec")
struct RDBTests {
    @Test func lzfRoundTrip() {
        let inputs: [[UInt8]] = [
            Array(String(repeating: "abcabcabc", count: 100).utf8),
            Array((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7 % 13) }),
            Array(String(repeating: "x", count: 70000).utf8),
        ]
        for input in inputs {
            guard let c = LZF.compress(input) else { Issue.record("not compressible"); continue }
            #expect(c.count < input.count)
            #expect(LZF.decompress(c, expectedLength: input.count) == input)
        }
        #expect(LZF.compress(Array("abcdefgh".utf8)) == nil)
        #expect(LZF.decompress([0x05, 1, 2], expectedLength: 6) == nil)
    }

    @Test func stringEncodings() throws {
        for s in ["0", "-1", "127", "-128", "300", "-32768", "70000", "2147483647", "-2147483648", "2147483648",
                  "012", "hello", String(repeating: "ab", count: 100), ""] {
            var w = RDBWriter()
            w.string(Bytes(s))
            var r = RDBReader(w.bytes)
            #expect(try r.string() == Bytes(s), "\(s)")
            #expect(r.atEnd)
        }
        var w = RDBWriter()
        w.string(Bytes("12"))
        #expect(w.bytes == [0xC0, 12])
        for n in [0, 63, 64, 16383, 16384, 1 << 32, Int(UInt32.max) + 5] {
            var w = RDBWriter()
            w.length(n)
            var r = RDBReader(w.bytes)
            #expect(try r.length() == n)
        }
    }

    @Test func fileRoundTripKeepsExpiriesAndDatabases() throws {
        var dbs = Array(repeating: Database(), count: 16)
        dbs[0].set(Bytes("a"), Entry(value: .string(Bytes("1"))))
        dbs[0].set(Bytes("big"), Entry(value: .string(Bytes(String(repeating: "z", count: 1000)))))
        dbs[5].set(Bytes("t"), Entry(value: .string(Bytes("x")), expireAt: 9_999_999_999_999))
        dbs[5].set(Bytes("gone"), Entry(value: .string(Bytes("x")), expireAt: 10))
        let bytes = RDBFile.serialize(dbs, sequence: 42, now: 1000)
        let loaded = try RDBFile.parse(bytes, databases: 16, now: 1000)
        #expect(loaded.sequence == 42)
        #expect(loaded.databases[0].count == 2)
        #expect(loaded.databases[5].count == 1)
        #expect(loaded.databases[5].raw(Bytes("t"))?.expireAt == 9_999_999_999_999)
        #expect(KeyspaceDigest.digest(loaded.databases) == KeyspaceDigest.digest(dbs.enumerated().map { i, db in
            var d = db
            if i == 5 { d.remove(Bytes("gone")) }
            return d
        }))
        var corrupt = bytes
        corrupt[20] ^= 1
        #expect(throws: (any Error).self) { _ = try RDBFile.parse(corrupt, databases: 16, now: 1000) }
    }

    /// `save` writes the file a megabyte at a time as it serializes, with the checksum running
    /// across the drains: its file is byte for byte what `serialize` builds in memory.
    @Test func streamedSaveWritesExactlyWhatSerializeBuilds() throws {
        var dbs = Array(repeating: Database(), count: 16)
        // ~2.8 MB of incompressible values across two databases: the writer drains twice,
        // mid-database.
        var seed: UInt64 = 42
        for i in 0..<3000 {
            let value = (0..<(600 + i % 700)).map { _ -> UInt8 in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: seed >> 33)
            }
            dbs[i % 3 == 0 ? 2 : 0].set(Bytes("key:\(i)"), Entry(value: .string(value), expireAt: i % 7 == 0 ? 9_999_999_999_999 : 0))
        }
        let functions = [Bytes("#!lua name=lib\nredis.register_function('f', function() return 1 end)")]
        let aux = [("mnemo-x", Bytes("y"))]
        let inMemory = RDBFile.serialize(dbs, sequence: 7, now: 1000, usedMemory: 5, extraAux: aux, functions: functions)
        #expect(inMemory.count > 2 * RDBFile.drainThreshold)
        let dir = NSTemporaryDirectory() + "rdb-stream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/snapshot.rdb"
        try RDBFile.save(dbs, to: path, sequence: 7, now: 1000, usedMemory: 5, extraAux: aux, functions: functions)
        let onDisk = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(onDisk == inMemory)
        let loaded = try RDBFile.parse(onDisk, databases: 16, now: 1000)
        #expect(KeyspaceDigest.digest(loaded.databases) == KeyspaceDigest.digest(dbs))
        // No temp file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["snapshot.rdb"])
    }

    /// `rdbcompression no`: long strings are stored as they are; both forms load the same.
    @Test func compressionCanBeTurnedOff() throws {
        var dbs = Array(repeating: Database(), count: 1)
        let value = Bytes(String(repeating: "z", count: 1000))
        dbs[0].set(Bytes("big"), Entry(value: .string(value)))
        let plain = RDBFile.serialize(dbs, sequence: 1, now: 0, compress: false)
        let packed = RDBFile.serialize(dbs, sequence: 1, now: 0)
        #expect(plain.count > 1000 && packed.count < 200)
        #expect(plain.firstRange(of: value) != nil)
        for file in [plain, packed] {
            let loaded = try RDBFile.parse(file, databases: 1, now: 0)
            guard case .string(let s)? = loaded.databases[0].raw(Bytes("big"))?.value else {
                Issue.record("not a string")
                continue
            }
            #expect(s == value)
        }
    }

    /// A snapshot that cannot be written leaves no file, temp or final, and reports why.
    @Test func failedSaveLeavesNothing() throws {
        var dbs = Array(repeating: Database(), count: 1)
        dbs[0].set(Bytes("a"), Entry(value: .string(Bytes("1"))))
        #expect(throws: RDBError.self) {
            try RDBFile.save(dbs, to: "/nonexistent-dir-\(getpid())/snapshot.rdb", sequence: 1, now: 0)
        }
    }

    @Test func dumpPayloadMatchesRedis() throws {
        // `DUMP` of a key holding "hello" on Redis 7.0.
        let redis: [UInt8] = [0x00, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x0a, 0x00]
        let ours = DumpPayload.encode(.string(Bytes("hello")))
        #expect(Array(ours.prefix(9)) == redis)
        #expect(ours.count == 17)
        guard case .string(let s) = try DumpPayload.decode(ours) else { Issue.record("wrong type"); return }
        #expect(s == Bytes("hello"))
        var bad = ours
        bad[2] ^= 1
        #expect(throws: RedisError("DUMP payload version or checksum are wrong")) { _ = try DumpPayload.decode(bad) }
    }
}
