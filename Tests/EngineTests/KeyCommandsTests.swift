import RESP
import Testing

@testable import Engine

@Suite struct KeyCommandsTests {
    // MARK: existence and type

    @Test func existsCountsEveryArgument() {
        let s = TestServer()
        s("MSET", "a", "1", "b", "2")
        #expect(s("EXISTS", "a", "a", "b", "c") == int(3))
        #expect(s("EXISTS", "c") == int(0))
    }

    @Test func typeAndTouch() {
        let s = TestServer()
        s("SET", "a", "1")
        #expect(s("TYPE", "a") == .simple("string"))
        #expect(s("TYPE", "none") == .simple("none"))
        #expect(s("TOUCH", "a", "b", "a") == int(2))
    }

    @Test func delAndUnlink() {
        let s = TestServer()
        s("MSET", "a", "1", "b", "2", "c", "3")
        _ = s.effects()
        #expect(s("DEL", "a", "x") == int(1))
        #expect(s("UNLINK", "b", "c", "b") == int(2))
        #expect(s.effectWords() == [["DEL", "a"], ["DEL", "b"], ["DEL", "c"]])
    }

    @Test func lazilyExpiredKeyIsDeletedAndLogged() {
        let s = TestServer()
        s("SET", "a", "1")
        s.expireNow("a")
        _ = s.effects()
        #expect(s("EXISTS", "a") == int(0))
        #expect(s.effectWords() == [["DEL", "a"]])
        #expect(s.engine.databases[0].count == 0)
    }

    // MARK: expiry

    @Test func expireSetsAbsoluteTimeAndLogsPEXPIREAT() {
        let s = TestServer()
        s("SET", "k", "v")
        _ = s.effects()
        let before = s.now
        #expect(s("EXPIRE", "k", "100") == int(1))
        let e = s.effectWords()
        #expect(e.count == 1 && e[0][0] == "PEXPIREAT" && e[0][1] == "k" && e[0].count == 3)
        let at = Int64(e[0][2])!
        #expect(at >= before + 100_000 && at <= s.now + 100_000)
        #expect(s("TTL", "k") == int(100))
        let p = s("PTTL", "k").int!
        #expect(p > 99_000 && p <= 100_000)
        #expect(s("PEXPIRETIME", "k") == int(at))
        #expect(s("EXPIRETIME", "k") == int((at + 500) / 1000))
    }

    @Test func expireVariantsLogTheSameEffect() {
        let s = TestServer()
        s("SET", "k", "v")
        _ = s.effects()
        let at = s.now + 60_000
        #expect(s("PEXPIREAT", "k", String(at)) == int(1))
        #expect(s.effectWords() == [["PEXPIREAT", "k", String(at)]])
        #expect(s("EXPIREAT", "k", String(at / 1000)) == int(1))
        #expect(s.effectWords() == [["PEXPIREAT", "k", String(at / 1000 * 1000)]])
        #expect(s("PEXPIRE", "k", "5000", "GT") == int(0))
        #expect(s("PEXPIRE", "k", "5000", "LT") == int(1))
        #expect(s.effectWords()[0].count == 3)  // options are not logged
    }

    @Test func expireInThePastDeletes() {
        let s = TestServer()
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("EXPIRE", "k", "-1") == int(1))
        #expect(s.effectWords() == [["DEL", "k"]])
        #expect(s("EXISTS", "k") == int(0))
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("PEXPIREAT", "k", "1") == int(1))
        #expect(s.effectWords() == [["DEL", "k"]])
        #expect(s("EXPIRE", "k", "10") == int(0))
        #expect(s.effects().isEmpty)
    }

    @Test func expireConditions() {
        let s = TestServer()
        s("SET", "k", "v")
        #expect(s("EXPIRE", "k", "100", "XX") == int(0))
        #expect(s("EXPIRE", "k", "100", "GT") == int(0))  // no TTL is an infinite TTL
        #expect(s("EXPIRE", "k", "100", "NX") == int(1))
        #expect(s("EXPIRE", "k", "200", "NX") == int(0))
        #expect(s("EXPIRE", "k", "50", "GT") == int(0))
        #expect(s("EXPIRE", "k", "200", "GT") == int(1))
        #expect(s("EXPIRE", "k", "300", "LT") == int(0))
        #expect(s("EXPIRE", "k", "150", "LT", "XX") == int(1))
        #expect(s("TTL", "k") == int(150))
        s("PERSIST", "k")
        #expect(s("EXPIRE", "k", "10", "LT") == int(1))
    }

    @Test func expireErrors() {
        let s = TestServer()
        s("SET", "k", "v")
        #expect(s("EXPIRE", "k", "abc", "foo") == err("ERR Unsupported option foo"))
        #expect(s("EXPIRE", "k", "10", "NX", "XX") == err("ERR NX and XX, GT or LT options at the same time are not compatible"))
        #expect(s("EXPIRE", "k", "10", "NX", "GT") == err("ERR NX and XX, GT or LT options at the same time are not compatible"))
        #expect(s("EXPIRE", "k", "10", "GT", "LT") == err("ERR GT and LT options at the same time are not compatible"))
        #expect(s("EXPIRE", "k", "abc") == err("ERR value is not an integer or out of range"))
        #expect(s("EXPIRE", "k", "9223372036854775807") == err("ERR invalid expire time in 'expire' command"))
        #expect(s("PEXPIRE", "k", "9223372036854775807") == err("ERR invalid expire time in 'pexpire' command"))
        #expect(s("EXPIREAT", "k", "-9223372036854775808") == err("ERR invalid expire time in 'expireat' command"))
        #expect(s("EXPIRE", "missing", "abc") == err("ERR value is not an integer or out of range"))
        #expect(s("EXPIRE", "missing", "10") == int(0))
        #expect(s("EXPIRE", "k") == err("ERR wrong number of arguments for 'expire' command"))
    }

    @Test func ttlFamily() {
        let s = TestServer()
        #expect(s("TTL", "k") == int(-2))
        #expect(s("PTTL", "k") == int(-2))
        #expect(s("EXPIRETIME", "k") == int(-2))
        s("SET", "k", "v")
        #expect(s("TTL", "k") == int(-1))
        #expect(s("PEXPIRETIME", "k") == int(-1))
        s("PEXPIREAT", "k", "9223372036854775807")
        #expect(s("EXPIRETIME", "k") == int(9_223_372_036_854_776))
        #expect(s("PEXPIRETIME", "k") == int(.max))
    }

    @Test func persist() {
        let s = TestServer()
        #expect(s("PERSIST", "k") == int(0))
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("PERSIST", "k") == int(0))
        #expect(s.effects().isEmpty)
        s("EXPIRE", "k", "100")
        _ = s.effects()
        #expect(s("PERSIST", "k") == int(1))
        #expect(s.effectWords() == [["PERSIST", "k"]])
        #expect(s("TTL", "k") == int(-1))
    }

    // MARK: rename, copy, move

    @Test func rename() {
        let s = TestServer()
        #expect(s("RENAME", "a", "b") == err("ERR no such key"))
        #expect(s("RENAMENX", "a", "b") == err("ERR no such key"))
        s("SET", "a", "1", "EX", "100")
        _ = s.effects()
        #expect(s("RENAME", "a", "a") == .ok)
        #expect(s("RENAMENX", "a", "a") == int(0))
        #expect(s.effects().isEmpty)
        #expect(s("RENAME", "a", "b") == .ok)
        #expect(s.effectWords() == [["RENAME", "a", "b"]])
        #expect(s("GET", "b") == bulk("1"))
        #expect(s("TTL", "b") == int(100))
        #expect(s("EXISTS", "a") == int(0))
        s("SET", "c", "3")
        _ = s.effects()
        #expect(s("RENAMENX", "b", "c") == int(0))
        #expect(s.effects().isEmpty)
        #expect(s("RENAMENX", "b", "d") == int(1))
        #expect(s.effectWords() == [["RENAME", "b", "d"]])
        #expect(s("RENAME", "d", "c") == .ok)
        #expect(s("GET", "c") == bulk("1"))
    }

    @Test func copy() {
        let s = TestServer()
        #expect(s("COPY", "a", "a") == err("ERR source and destination objects are the same"))
        #expect(s("COPY", "a", "a", "DB", "0") == err("ERR source and destination objects are the same"))
        #expect(s("COPY", "a", "b", "DB", "99") == err("ERR DB index is out of range"))
        #expect(s("COPY", "a", "b", "DB", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("COPY", "a", "b", "FOO") == err("ERR syntax error"))
        #expect(s("COPY", "a", "b") == int(0))
        s("SET", "a", "1", "EX", "100")
        s("SET", "b", "2")
        _ = s.effects()
        #expect(s("COPY", "a", "b") == int(0))
        #expect(s("COPY", "a", "b", "REPLACE") == int(1))
        #expect(s.effectWords() == [["COPY", "a", "b", "REPLACE"]])
        #expect(s("GET", "b") == bulk("1"))
        #expect(s("TTL", "b") == int(100))
        s.changed.removeAll()
        #expect(s("COPY", "a", "a", "DB", "3") == int(1))
        #expect(s.entry("a", db: 3) != nil)
        #expect(s.changed.map { "\($0.0):\($0.1)" } == ["3:a"])
        let e = s.effects()
        #expect(e == [Effect(db: 0, "COPY", "a", "a", "DB", "3")])
    }

    @Test func move() {
        let s = TestServer()
        #expect(s("MOVE", "a", "0") == err("ERR source and destination objects are the same"))
        #expect(s("MOVE", "a", "99") == err("ERR DB index is out of range"))
        #expect(s("MOVE", "a", "-1") == err("ERR DB index is out of range"))
        #expect(s("MOVE", "a", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("MOVE", "a", "1") == int(0))
        s("SET", "a", "1", "EX", "100")
        _ = s.effects()
        s.changed.removeAll()
        #expect(s("MOVE", "a", "1") == int(1))
        #expect(s.effects() == [Effect(db: 0, "MOVE", "a", "1")])
        #expect(Set(s.changed.map { "\($0.0):\($0.1)" }) == ["0:a", "1:a"])
        #expect(s("EXISTS", "a") == int(0))
        #expect(s.entry("a", db: 1)?.expireAt != 0)
        s("SET", "a", "2")
        #expect(s("MOVE", "a", "1") == int(0))
        #expect(s("GET", "a") == bulk("2"))
    }

    // MARK: iteration

    @Test func randomkey() {
        let s = TestServer()
        #expect(s("RANDOMKEY") == .null)
        s("MSET", "a", "1", "b", "2")
        let r = s("RANDOMKEY")
        #expect(r == bulk("a") || r == bulk("b"))
        s.expireNow("a")
        s.expireNow("b")
        _ = s.effects()
        #expect(s("RANDOMKEY") == .null)
        #expect(Set(s.effectWords().map { $0.joined(separator: " ") }) == ["DEL a", "DEL b"])
    }

    @Test func keys() {
        let s = TestServer()
        s("MSET", "one", "1", "two", "2", "three", "3", "four", "4")
        s.expireNow("four")
        let all = Set(s("KEYS", "*").items.compactMap(\.string))
        #expect(all == ["one", "two", "three"])
        #expect(Set(s("KEYS", "t*").items.compactMap(\.string)) == ["two", "three"])
        #expect(s("KEYS", "*o").items == [bulk("two")])
        #expect(s("KEYS", "nomatch").items.isEmpty)
    }

    func fullScan(_ s: TestServer, _ options: String...) -> [String] {
        var cursor = "0"
        var out: [String] = []
        repeat {
            let r = s.call([Bytes("SCAN"), Bytes(cursor)] + options.map { Bytes($0) }).items
            cursor = r[0].string!
            out += r[1].items.compactMap(\.string)
        } while cursor != "0"
        return out
    }

    @Test func scanReturnsEveryKeyWithOptions() {
        let s = TestServer()
        for i in 0..<500 { s("SET", "key:\(i)", "v") }
        let all = fullScan(s)
        #expect(all.count == 500)
        #expect(Set(all).count == 500)
        let matched = fullScan(s, "MATCH", "key:1*", "COUNT", "7")
        #expect(Set(matched) == Set((0..<500).map { "key:\($0)" }.filter { $0.hasPrefix("key:1") }))
        #expect(fullScan(s, "TYPE", "string").count == 500)
        #expect(fullScan(s, "TYPE", "STRING").count == 500)
        #expect(fullScan(s, "TYPE", "list").isEmpty)
        #expect(fullScan(s, "TYPE", "nosuchtype").isEmpty)
    }

    @Test func scanSkipsAndDeletesExpiredKeys() {
        let s = TestServer()
        s("MSET", "a", "1", "b", "2")
        s.expireNow("b")
        _ = s.effects()
        #expect(fullScan(s) == ["a"])
        #expect(s.effectWords() == [["DEL", "b"]])
    }

    @Test func scanArguments() {
        let s = TestServer()
        #expect(s("SCAN", "abc") == err("ERR invalid cursor"))
        #expect(s("SCAN", " 5") == err("ERR invalid cursor"))
        #expect(s("SCAN", "18446744073709551616") == err("ERR invalid cursor"))
        #expect(s("SCAN", "0", "COUNT", "0") == err("ERR syntax error"))
        #expect(s("SCAN", "0", "COUNT", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("SCAN", "0", "MATCH") == err("ERR syntax error"))
        #expect(s("SCAN", "0", "FOO", "bar") == err("ERR syntax error"))
        #expect(s("SCAN", "0") == .array([bulk("0"), .array([])]))
        #expect(s("SCAN", "+0").items.first == bulk("0"))
        // strtoul accepts a sign: -1 is the largest cursor; it must not crash.
        #expect(s("SCAN", "-1").items.count == 2)
        #expect(s("SCAN", "18446744073709551615").items.count == 2)
        #expect(KeyCommands.parseCursor(Bytes("-1")) == .max)
        #expect(KeyCommands.parseCursor(Bytes("")) == 0)
        #expect(KeyCommands.parseCursor(Bytes("+")) == nil)
    }

    /// SCAN's guarantee: a key present for the whole iteration is returned, while the tables
    /// grow and shrink under the cursor.
    @Test func scanGuaranteeUnderGrowthAndShrink() {
        let s = TestServer()
        func buckets() -> Int { s.engine.databases[0].shards.reduce(0) { $0 + $1.heads.count } }
        let stable = (0..<600).map { "stable:\($0)" }
        for k in stable { s("SET", k, "v") }
        let initialBuckets = buckets()
        var maxBuckets = 0
        var shrank = false
        var removed = Set<String>()
        var seen = Set<String>()
        var cursor = "0"
        var step = 0
        repeat {
            let r = s("SCAN", cursor, "COUNT", "10").items
            cursor = r[0].string!
            seen.formUnion(r[1].items.compactMap(\.string))
            step += 1
            switch step % 6 {
            case 1:  // grow every shard's table
                for i in 0..<4000 { s("SET", "tmp:\(step):\(i)", "v") }
            case 3:  // shrink them again
                for i in 0..<4000 { s("DEL", "tmp:\(step - 2):\(i)") }
            case 4:  // remove some stable keys for good
                for i in stride(from: step, to: stable.count, by: 37) where !removed.contains(stable[i]) {
                    removed.insert(stable[i])
                    s("DEL", stable[i])
                }
            default: break
            }
            if buckets() < maxBuckets { shrank = true }
            maxBuckets = max(maxBuckets, buckets())
        } while cursor != "0" && step < 100_000
        #expect(cursor == "0")
        #expect(maxBuckets > initialBuckets * 4)  // the tables grew…
        #expect(shrank)  // …and shrank during the scan
        let mustSee = Set(stable).subtracting(removed)
        #expect(mustSee.subtracting(seen).isEmpty)
    }

    @Test func hashTableScanGuaranteeAcrossResizes() {
        var t = HashTable<Int>()
        for i in 0..<1000 { t.set(Bytes("k\(i)"), i) }
        var seen = Set<Int>()
        var cursor: UInt64 = 0
        var step = 0
        repeat {
            cursor = t.scan(cursor: cursor, count: 10) { _, v in seen.insert(v) }
            step += 1
            if step == 5 { for i in 0..<20_000 { t.set(Bytes("g\(i)"), -1) } }
            if step == 30 { for i in 0..<20_000 { t.remove(Bytes("g\(i)")) } }
            if step == 40 { for i in 500..<1000 { t.remove(Bytes("k\(i)")) } }
        } while cursor != 0
        #expect(Set(0..<500).isSubset(of: seen))
    }

    // MARK: OBJECT

    @Test func object() {
        let s = TestServer()
        s("SET", "i", "12345")
        s("SET", "e", "hello")
        s("SET", "r", String(repeating: "x", count: 45))
        #expect(s("OBJECT", "ENCODING", "i") == bulk("int"))
        #expect(s("OBJECT", "ENCODING", "e") == bulk("embstr"))
        #expect(s("OBJECT", "ENCODING", "r") == bulk("raw"))
        #expect(s("OBJECT", "ENCODING", "missing") == .null)
        #expect(s("OBJECT", "REFCOUNT", "i") == int(1))
        s("SET", "small", "100")
        #expect(s("OBJECT", "REFCOUNT", "small") == int(2_147_483_647))
        #expect(s("OBJECT", "IDLETIME", "e") == int(0))
        #expect(s("OBJECT", "FREQ", "missing") == .null)
        #expect(s("OBJECT", "FREQ", "e").isError)
        #expect(s("OBJECT", "HELP").items.count == 15)
        #expect(s("OBJECT") == err("ERR wrong number of arguments for 'object' command"))
        #expect(s("OBJECT", "FOO") == err("ERR unknown subcommand 'FOO'. Try OBJECT HELP."))
        #expect(s("OBJECT", "ENCODING") == err("ERR wrong number of arguments for 'object|encoding' command"))
    }

    @Test func objectIdletimeReadsLastAccess() {
        let s = TestServer()
        s("SET", "k", "v")
        s.engine.databases[0].touch(Bytes("k"), now: s.now - 10_000)
        let idle = s("OBJECT", "IDLETIME", "k").int!
        #expect(idle >= 9 && idle <= 11)
        // OBJECT does not touch the key.
        #expect(s("OBJECT", "IDLETIME", "k").int! >= 9)
    }

    // MARK: databases

    @Test func dbsizeAndFlush() {
        let s = TestServer()
        #expect(s("DBSIZE") == int(0))
        s("MSET", "a", "1", "b", "2")
        #expect(s("DBSIZE") == int(2))
        _ = s.effects()
        #expect(s("FLUSHDB", "FOO") == err("ERR syntax error"))
        #expect(s("FLUSHDB", "ASYNC", "SYNC") == err("ERR syntax error"))
        s.changed.removeAll()
        #expect(s("FLUSHDB", "ASYNC") == .ok)
        #expect(s.effectWords() == [["FLUSHDB"]])
        #expect(Set(s.changed.map(\.1)) == ["a", "b"])
        #expect(s("DBSIZE") == int(0))
        #expect(s("FLUSHDB") == .ok)
        #expect(s.effects().isEmpty)
    }

    @Test func flushall() {
        let s = TestServer()
        s("SET", "a", "1")
        s("SELECT", "2")
        s("SET", "b", "2")
        _ = s.effects()
        s.changed.removeAll()
        #expect(s("FLUSHALL", "SYNC") == .ok)
        #expect(s.effects() == [Effect(db: 2, "FLUSHALL")])
        #expect(Set(s.changed.map { "\($0.0):\($0.1)" }) == ["0:a", "2:b"])
        #expect(s.engine.databases[0].count == 0 && s.engine.databases[2].count == 0)
    }

    @Test func swapdb() {
        let s = TestServer()
        #expect(s("SWAPDB", "a", "1") == err("ERR invalid first DB index"))
        #expect(s("SWAPDB", "0", "b") == err("ERR invalid second DB index"))
        #expect(s("SWAPDB", "0", "99") == err("ERR DB index is out of range"))
        #expect(s("SWAPDB", "-1", "0") == err("ERR DB index is out of range"))
        #expect(s("SWAPDB", "0", "0") == .ok)
        s("SET", "a", "0")
        s("SELECT", "1")
        s("SET", "b", "1")
        _ = s.effects()
        s.changed.removeAll()
        #expect(s("SWAPDB", "0", "1") == .ok)
        #expect(s.effects() == [Effect(db: 1, "SWAPDB", "0", "1")])
        #expect(s("GET", "a") == bulk("0"))
        #expect(s.entry("b", db: 0) != nil)
        #expect(Set(s.changed.map { "\($0.0):\($0.1)" }) == ["0:a", "1:a", "0:b", "1:b"])
    }

    @Test func timeAndWait() {
        let s = TestServer()
        let t = s("TIME").items
        #expect(t.count == 2)
        let secs = Int64(t[0].string!)!
        #expect(abs(secs - s.now / 1000) <= 1)
        #expect(Int64(t[1].string!)! < 1_000_000)
        #expect(s("WAIT", "0", "0") == int(0))
        #expect(s("WAIT", "1", "100") == int(0))
        #expect(s("WAIT", "0", "-1") == err("ERR timeout is negative"))
        #expect(s("WAIT", "x", "0") == err("ERR value is not an integer or out of range"))
        #expect(s("WAIT", "0", "x") == err("ERR timeout is not an integer or out of range"))
    }

    // MARK: declarations

    @Test func specsMatchRedis() {
        let table = CommandTable(BuiltinCommands.all)
        func spec(_ name: String) -> CommandSpec { table.lookup(Bytes(name))! }
        #expect(spec("keys").aclCategories == [.keyspace, .read, .slow, .dangerous])
        #expect(spec("swapdb").aclCategories == [.keyspace, .write, .fast, .dangerous])
        #expect(spec("time").aclCategories == [.fast])
        #expect(spec("wait").aclCategories == [.connection, .slow])
        #expect(spec("object").aclCategories == [.slow])
        #expect(spec("object").subcommands.first { $0.name == "help" }!.aclCategories == [.keyspace, .slow])
        #expect(spec("rename").keySpecs.map(\.flags) == [[.RW, .access, .delete], [.OW, .update]])
        #expect(spec("renamenx").keySpecs.map(\.flags) == [[.RW, .access, .delete], [.OW, .insert]])
        #expect(spec("copy").keys([Bytes("copy"), Bytes("a"), Bytes("b"), Bytes("DB"), Bytes("1")]) == [Bytes("a"), Bytes("b")])
        let objectEncoding = spec("object").subcommands.first { $0.name == "encoding" }!
        #expect(objectEncoding.keys([Bytes("object"), Bytes("encoding"), Bytes("k")]) == [Bytes("k")])
    }
}
