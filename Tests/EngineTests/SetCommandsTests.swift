import RESP
import Testing

@testable import Engine

@Suite struct SetCommandsTests {
    func strings(_ v: RESPValue) -> [String] {
        switch v {
        case .array(let a), .set(let a): return a.flatMap(strings)
        case .bulk(let b): return [b.text]
        case .integer(let i): return [String(i)]
        default: return ["?\(v)"]
        }
    }

    func members(_ v: RESPValue) -> Set<String> { Set(strings(v)) }

    let wrongType = err("WRONGTYPE Operation against a key holding the wrong kind of value")

    @Test func saddSremAndEffects() {
        let s = TestServer()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        #expect(s("SADD", "s", "a", "b", "a") == int(2))
        #expect(s("SADD", "s", "a") == int(0))
        #expect(s("SREM", "s", "zz") == int(0))
        #expect(s("SREM", "s", "a", "zz") == int(1))
        #expect(s("SREM", "s", "b") == int(1))
        #expect(s("EXISTS", "s") == int(0))
        #expect(s("SREM", "s", "b") == int(0))
        #expect(s.effectWords() == [["SADD", "s", "a", "b", "a"], ["SREM", "s", "a", "zz"], ["SREM", "s", "b"]])
        #expect(events == ["sadd", "srem", "srem", "del"])
        s("SET", "str", "x")
        #expect(s("SADD", "str", "a") == wrongType)
        #expect(s("SREM", "str", "a") == wrongType)
        #expect(s("SCARD", "str") == wrongType)
    }

    @Test func readers() {
        let s = TestServer()
        s("SADD", "s", "3", "1", "2")
        #expect(s("SCARD", "s") == int(3))
        #expect(s("SCARD", "nokey") == int(0))
        #expect(s("SISMEMBER", "s", "2") == int(1))
        #expect(s("SISMEMBER", "s", "02") == int(0))
        #expect(s("SISMEMBER", "nokey", "2") == int(0))
        #expect(s("SMISMEMBER", "s", "1", "9", "3") == .array([int(1), int(0), int(1)]))
        #expect(s("SMISMEMBER", "nokey", "1") == .array([int(0)]))
        // An intset replies in ascending order, as a RESP3 set.
        #expect(s("SMEMBERS", "s") == .set([bulk("1"), bulk("2"), bulk("3")]))
        #expect(s("SMEMBERS", "nokey") == .set([]))
    }

    @Test func encodingFollowsRedisRules() {
        let s = TestServer()
        s("SADD", "s", "1", "-5", "9223372036854775807")
        #expect(s("OBJECT", "ENCODING", "s") == bulk("intset"))
        s("SADD", "s", "01")  // not string2ll-canonical: not an integer member
        #expect(s("OBJECT", "ENCODING", "s") == bulk("hashtable"))
        s("SREM", "s", "01")
        #expect(s("OBJECT", "ENCODING", "s") == bulk("hashtable"))
        var argv = [Bytes("SADD"), Bytes("n")]
        for i in 0..<512 { argv.append(Bytes("\(i)")) }
        s.call(argv)
        #expect(s("OBJECT", "ENCODING", "n") == bulk("intset"))
        s("SADD", "n", "512")
        #expect(s("OBJECT", "ENCODING", "n") == bulk("hashtable"))
        #expect(s("SCARD", "n") == int(513))
        #expect(s("SISMEMBER", "n", "511") == int(1))
    }

    @Test func smove() {
        let s = TestServer()
        s("SADD", "a", "x", "y")
        s("SET", "str", "v")
        _ = s.effects()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        #expect(s("SMOVE", "nokey", "str", "x") == int(0))
        #expect(s("SMOVE", "a", "str", "x") == wrongType)
        #expect(s("SMOVE", "str", "a", "x") == wrongType)
        #expect(s("SMOVE", "a", "a", "x") == int(1))
        #expect(s("SMOVE", "a", "a", "zz") == int(0))
        #expect(s("SMOVE", "a", "b", "zz") == int(0))
        #expect(s.effects().isEmpty)
        #expect(s("SMOVE", "a", "b", "x") == int(1))
        #expect(s("SMOVE", "a", "b", "y") == int(1))
        #expect(s("EXISTS", "a") == int(0))
        #expect(members(s("SMEMBERS", "b")) == ["x", "y"])
        #expect(s.effectWords() == [["SMOVE", "a", "b", "x"], ["SMOVE", "a", "b", "y"]])
        #expect(events == ["srem", "sadd", "srem", "del", "sadd"])
        // Moving a member the destination already has still removes it from the source.
        s("SADD", "c", "x", "z")
        #expect(s("SMOVE", "c", "b", "x") == int(1))
        #expect(members(s("SMEMBERS", "c")) == ["z"])
    }

    @Test func spopLogsTheChosenMembers() {
        let s = TestServer()
        #expect(s("SPOP", "nokey") == .null)
        #expect(s("SPOP", "nokey", "3") == .set([]))
        let all = (0..<30).map { "m\($0)" }
        s.call([Bytes("SADD"), Bytes("s")] + all.map { Bytes($0) })
        _ = s.effects()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        let one = strings(s("SPOP", "s"))
        #expect(s.effectWords() == [["SREM", "s"] + one])
        let two = strings(s("SPOP", "s", "2"))
        #expect(two.count == 2 && Set(two).count == 2)
        #expect(s.effectWords() == [["SREM", "s"] + two])
        #expect(s("SCARD", "s") == int(27))
        #expect(s("SPOP", "s", "0") == .set([]))
        #expect(s.effects().isEmpty)
        let rest = strings(s("SPOP", "s", "100"))
        #expect(Set(one + two + rest) == Set(all))
        #expect(s("EXISTS", "s") == int(0))
        #expect(s.effectWords() == [["DEL", "s"]])
        #expect(events == ["spop", "spop", "spop", "del"])
        #expect(s("SPOP", "s", "-1") == err("ERR value is out of range, must be positive"))
        #expect(s("SPOP", "s", "x") == err("ERR value is out of range, must be positive"))
        #expect(s("SPOP", "s", "1", "2") == err("ERR syntax error"))
        s("SET", "str", "v")
        #expect(s("SPOP", "str") == wrongType)
        #expect(s("SPOP", "str", "0") == wrongType)
    }

    @Test func spopOfMostMembersRebuildsTheSetAndLogsIt() {
        // Redis rebuilds the set from the members it keeps: a hashtable of integers becomes an intset.
        let s = TestServer()
        var argv = [Bytes("SADD"), Bytes("s")]
        for i in 0..<600 { argv.append(Bytes("\(i)")) }
        s.call(argv)
        #expect(s("OBJECT", "ENCODING", "s") == bulk("hashtable"))
        _ = s.effects()
        let popped = strings(s("SPOP", "s", "500"))
        #expect(popped.count == 500 && Set(popped).count == 500)
        #expect(s("OBJECT", "ENCODING", "s") == bulk("intset"))
        #expect(s("SCARD", "s") == int(100))
        let effects = s.effectWords()
        #expect(effects.count == 2 && effects[0] == ["DEL", "s"] && effects[1].count == 102)
        let kept = Set(effects[1].dropFirst(2))
        #expect(kept.isDisjoint(with: popped))
        #expect(kept == members(s("SMEMBERS", "s")))
    }

    @Test func srandmember() {
        let s = TestServer()
        #expect(s("SRANDMEMBER", "nokey") == .null)
        #expect(s("SRANDMEMBER", "nokey", "5") == .array([]))
        s("SADD", "s", "a", "b", "c")
        _ = s.effects()
        #expect(["a", "b", "c"].contains(strings(s("SRANDMEMBER", "s"))[0]))
        #expect(members(s("SRANDMEMBER", "s", "9223372036854775807")) == ["a", "b", "c"])
        let two = strings(s("SRANDMEMBER", "s", "2"))
        #expect(two.count == 2 && Set(two).count == 2)
        #expect(strings(s("SRANDMEMBER", "s", "-7")).count == 7)
        #expect(s("SRANDMEMBER", "s", "0") == .array([]))
        #expect(s("SRANDMEMBER", "s", "1", "2") == err("ERR syntax error"))
        #expect(s("SRANDMEMBER", "s", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("SRANDMEMBER", "s", "-9223372036854775808")
                == err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        #expect(s("SCARD", "s") == int(3))
        #expect(s.effects().isEmpty)
    }

    @Test func algebra() {
        let s = TestServer()
        s("SADD", "a", "1", "2", "3", "x")
        s("SADD", "b", "2", "3", "4")
        s("SADD", "c", "3", "x", "y")
        s("SET", "str", "v")
        #expect(members(s("SINTER", "a", "b")) == ["2", "3"])
        #expect(members(s("SINTER", "a", "b", "c")) == ["3"])
        #expect(s("SINTER", "a", "nokey") == .set([]))
        #expect(members(s("SUNION", "a", "nokey", "b")) == ["1", "2", "3", "4", "x"])
        #expect(members(s("SDIFF", "a", "b", "nokey")) == ["1", "x"])
        #expect(members(s("SDIFF", "a", "b", "c")) == ["1"])
        #expect(s("SDIFF", "nokey", "a") == .set([]))
        for cmd in ["SINTER", "SUNION", "SDIFF"] {
            #expect(s(cmd, "nokey", "str") == wrongType)
            #expect(s(cmd, "a", "str") == wrongType)
        }
        #expect(s("SINTERCARD", "2", "a", "b") == int(2))
        #expect(s("SINTERCARD", "2", "a", "b", "LIMIT", "1") == int(1))
        #expect(s("SINTERCARD", "2", "a", "b", "LIMIT", "0") == int(2))
        #expect(s("SINTERCARD", "2", "a", "nokey") == int(0))
        #expect(s("SINTERCARD", "2", "nokey", "str") == wrongType)
        #expect(s("SINTERCARD", "0", "a") == err("ERR numkeys should be greater than 0"))
        #expect(s("SINTERCARD", "x", "a") == err("ERR numkeys should be greater than 0"))
        #expect(s("SINTERCARD", "3", "a", "b") == err("ERR Number of keys can't be greater than number of args"))
        #expect(s("SINTERCARD", "1", "a", "LIMIT", "-1") == err("ERR LIMIT can't be negative"))
        #expect(s("SINTERCARD", "1", "a", "LIMIT", "x") == err("ERR LIMIT can't be negative"))
        #expect(s("SINTERCARD", "1", "a", "FOO", "1") == err("ERR syntax error"))
        #expect(s("SINTERCARD", "1", "a", "LIMIT") == err("ERR syntax error"))
    }

    @Test func storeCommandsReplaceDeleteAndLogVerbatim() {
        let s = TestServer()
        s("SADD", "a", "1", "2", "3")
        s("SADD", "b", "3", "4", "x")
        s("SET", "dest", "string")
        _ = s.effects()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        #expect(s("SINTERSTORE", "dest", "a", "b") == int(1))
        #expect(s("TYPE", "dest") == .simple("set"))
        #expect(s("OBJECT", "ENCODING", "dest") == bulk("intset"))
        #expect(s("SUNIONSTORE", "dest", "a", "b") == int(5))
        #expect(s("OBJECT", "ENCODING", "dest") == bulk("hashtable"))
        #expect(s("SDIFFSTORE", "dest", "a", "b") == int(2))
        #expect(s("OBJECT", "ENCODING", "dest") == bulk("intset"))
        #expect(members(s("SMEMBERS", "dest")) == ["1", "2"])
        // Empty result: the destination goes away.
        #expect(s("SINTERSTORE", "dest", "a", "nokey") == int(0))
        #expect(s("EXISTS", "dest") == int(0))
        #expect(s("SDIFFSTORE", "dest", "a", "a") == int(0))
        #expect(s.effectWords() == [
            ["SINTERSTORE", "dest", "a", "b"], ["SUNIONSTORE", "dest", "a", "b"], ["SDIFFSTORE", "dest", "a", "b"],
            ["SINTERSTORE", "dest", "a", "nokey"],
        ])
        #expect(events == ["sinterstore", "sunionstore", "sdiffstore", "keymiss", "del"])
        // The destination may be one of the sources.
        #expect(s("SUNIONSTORE", "a", "a", "b") == int(5))
        #expect(s("SCARD", "a") == int(5))
        s("SET", "str", "v")
        #expect(s("SUNIONSTORE", "dest", "a", "str") == wrongType)
        #expect(s("EXISTS", "dest") == int(0))
        // A TTL on the destination does not survive the replacement.
        s("SADD", "t", "q")
        s("EXPIRE", "t", "100")
        s("SUNIONSTORE", "t", "b")
        #expect(s("TTL", "t") == int(-1))
    }

    @Test func sscanSeesEveryMember() {
        let s = TestServer()
        #expect(s("SSCAN", "nokey", "0") == .array([bulk("0"), .array([])]))
        s("SADD", "small", "1", "2", "10")
        #expect(s("SSCAN", "small", "0", "MATCH", "1*") == .array([bulk("0"), .array([bulk("1"), bulk("10")])]))
        #expect(s("SSCAN", "small", "x") == err("ERR invalid cursor"))
        #expect(s("SSCAN", "small", "0", "COUNT", "0") == err("ERR syntax error"))
        for i in 0..<3000 { s("SADD", "big", "m\(i)") }
        var seen = Set<String>()
        var cursor = "0"
        var rounds = 0
        repeat {
            let parts = s("SSCAN", "big", cursor, "COUNT", "50").items
            cursor = strings(parts[0])[0]
            seen.formUnion(strings(parts[1]))
            if rounds == 2 { for i in 1500..<3000 { s("SREM", "big", "m\(i)") } }
            if rounds == 5 { for i in 3000..<6000 { s("SADD", "big", "m\(i)") } }
            rounds += 1
        } while cursor != "0" && rounds < 10000
        for i in 0..<1500 { #expect(seen.contains("m\(i)")) }
        var matched = Set<String>()
        cursor = "0"
        repeat {
            let parts = s("SSCAN", "big", cursor, "MATCH", "m1?", "COUNT", "100").items
            cursor = strings(parts[0])[0]
            matched.formUnion(strings(parts[1]))
        } while cursor != "0"
        #expect(matched == Set((10..<20).map { "m\($0)" }))
    }
}

@Suite struct EngineRandomTests {
    @Test func copiesShareOneSequenceAndValuesSpread() {
        let engine = Engine()
        var a = engine.rng, b = engine.rng
        let x = a.next(), y = b.next()
        #expect(x != y)  // one generator: the second copy continues the sequence
        // Uniform enough for sampling: 60,000 draws over 6 buckets stay within 5% of 10,000 each.
        var buckets = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { buckets[Int.random(in: 0..<6, using: &a)] += 1 }
        #expect(buckets.allSatisfy { abs($0 - 10_000) < 500 })
        // Differently seeded generators differ; the same seed repeats.
        let s1 = EngineRandom(seed: 42), s2 = EngineRandom(seed: 42), s3 = EngineRandom(seed: 43)
        #expect(s1.next() == s2.next() && s1.next() != s3.next())
    }

    @Test func spopOfEveryMemberReturnsEachOnce() {
        let s = TestServer()
        for i in 0..<200 { _ = s("SADD", "s", "m\(i)") }
        var seen = Set<String>()
        for _ in 0..<200 {
            guard case .bulk(let b) = s("SPOP", "s") else { Issue.record("SPOP returned no member"); return }
            seen.insert(b.text)
        }
        #expect(seen.count == 200)
        #expect(s("SCARD", "s") == int(0))
    }
}
