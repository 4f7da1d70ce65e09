import RESP
import Testing

@testable import Engine

@Suite struct HashCommandsTests {
    func flat(_ v: RESPValue) -> [String] {
        switch v {
        case .array(let a), .set(let a): return a.flatMap(flat)
        case .map(let pairs): return pairs.flatMap { flat($0.0) + flat($0.1) }
        case .bulk(let b): return [b.text]
        case .null: return ["(nil)"]
        case .integer(let i): return [String(i)]
        default: return ["?\(v)"]
        }
    }

    @Test func hsetHgetAndEffects() {
        let s = TestServer()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        #expect(s("HSET", "h", "a", "1", "b", "2") == int(2))
        #expect(s("HSET", "h", "a", "10", "c", "3") == int(1))
        #expect(s("HGET", "h", "a") == bulk("10"))
        #expect(s("HGET", "h", "zz") == .null)
        #expect(s("HGET", "nokey", "a") == .null)
        #expect(s("HMSET", "h", "d", "4") == .ok)
        // HSET always counts as a change, even when nothing is new.
        #expect(s("HSET", "h", "a", "10") == int(0))
        #expect(s.effectWords() == [
            ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "10", "c", "3"], ["HMSET", "h", "d", "4"], ["HSET", "h", "a", "10"],
        ])
        // HGET of a missing key reports a keymiss, as Redis does.
        #expect(events == ["hset", "hset", "keymiss", "hset", "hset"])
        #expect(s("HSET", "h", "a") == err("ERR wrong number of arguments for 'hset' command"))
        #expect(s("HSET", "h", "a", "1", "b") == err("ERR wrong number of arguments for 'hset' command"))
        #expect(s("HMSET", "h", "a", "1", "b") == err("ERR wrong number of arguments for 'hmset' command"))
        #expect(s.effects().isEmpty)
        s("SET", "str", "x")
        _ = s.effects()
        #expect(s("HSET", "str", "a", "1") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s("HGET", "str", "a") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s.effects().isEmpty)
    }

    @Test func hsetnx() {
        let s = TestServer()
        #expect(s("HSETNX", "h", "a", "1") == int(1))
        #expect(s("HSETNX", "h", "a", "2") == int(0))
        #expect(s("HGET", "h", "a") == bulk("1"))
        #expect(s.effectWords() == [["HSETNX", "h", "a", "1"]])
        // An existing field with a long value does not convert (nothing is set), as in Redis.
        #expect(s("HSETNX", "h", "a", String(repeating: "v", count: 70)) == int(0))
        #expect(s("OBJECT", "ENCODING", "h") == bulk("listpack"))
    }

    @Test func hdelDeletesEmptiedKeyWithEventsInRedisOrder() {
        let s = TestServer()
        s("HSET", "h", "a", "1", "b", "2")
        _ = s.effects()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        #expect(s("HDEL", "h", "zz") == int(0))
        #expect(s.effects().isEmpty)
        #expect(s("HDEL", "h", "a", "zz", "a") == int(1))
        #expect(s("HDEL", "h", "b") == int(1))
        #expect(s("EXISTS", "h") == int(0))
        #expect(s("HDEL", "h", "b") == int(0))
        #expect(events == ["hdel", "hdel", "del"])
        #expect(s.effectWords() == [["HDEL", "h", "a", "zz", "a"], ["HDEL", "h", "b"]])
    }

    @Test func readers() {
        let s = TestServer()
        s("HSET", "h", "a", "1", "b", "hello", "c", "")
        #expect(s("HLEN", "h") == int(3))
        #expect(s("HLEN", "nokey") == int(0))
        #expect(s("HSTRLEN", "h", "b") == int(5))
        #expect(s("HSTRLEN", "h", "zz") == int(0))
        #expect(s("HEXISTS", "h", "c") == int(1))
        #expect(s("HEXISTS", "h", "zz") == int(0))
        #expect(s("HMGET", "h", "a", "zz", "b") == .array([bulk("1"), .null, bulk("hello")]))
        #expect(s("HMGET", "nokey", "a") == .array([.null]))
        // A listpack hash replies in insertion order.
        #expect(flat(s("HKEYS", "h")) == ["a", "b", "c"])
        #expect(flat(s("HVALS", "h")) == ["1", "hello", ""])
        #expect(s("HGETALL", "h") == .map([(bulk("a"), bulk("1")), (bulk("b"), bulk("hello")), (bulk("c"), bulk(""))]))
        #expect(s("HGETALL", "nokey") == .map([]))
        #expect(s("HKEYS", "nokey") == .array([]))
        #expect(s.effects().count == 1)
    }

    @Test func hincrby() {
        let s = TestServer()
        #expect(s("HINCRBY", "h", "n", "5") == int(5))
        #expect(s("HINCRBY", "h", "n", "-7") == int(-2))
        #expect(s("HINCRBY", "h", "n", "x") == err("ERR value is not an integer or out of range"))
        s("HSET", "h", "s", "abc", "big", "9223372036854775807", "sp", " 1")
        #expect(s("HINCRBY", "h", "s", "1") == err("ERR hash value is not an integer"))
        #expect(s("HINCRBY", "h", "sp", "1") == err("ERR hash value is not an integer"))
        #expect(s("HINCRBY", "h", "big", "1") == err("ERR increment or decrement would overflow"))
        #expect(s.effectWords() == [["HINCRBY", "h", "n", "5"], ["HINCRBY", "h", "n", "-7"], ["HSET", "h", "s", "abc", "big", "9223372036854775807", "sp", " 1"]])
        #expect(s("HINCRBY", "nokey", "n", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("EXISTS", "nokey") == int(0))
    }

    @Test func hincrbyfloatIsLoggedAsHset() {
        let s = TestServer()
        #expect(s("HINCRBYFLOAT", "h", "f", "10.5") == bulk("10.5"))
        #expect(s("HINCRBYFLOAT", "h", "f", "0.1") == bulk("10.6"))
        #expect(s("HINCRBYFLOAT", "h", "f", "-10.6") == bulk("0"))
        #expect(s("HINCRBYFLOAT", "h", "e", "5.0e3") == bulk("5000"))
        #expect(s.effectWords() == [["HSET", "h", "f", "10.5"], ["HSET", "h", "f", "10.6"], ["HSET", "h", "f", "0"], ["HSET", "h", "e", "5000"]])
        #expect(s("HINCRBYFLOAT", "h", "f", "inf") == err("ERR value is NaN or Infinity"))
        #expect(s("HINCRBYFLOAT", "h", "f", "x") == err("ERR value is not a valid float"))
        s("HSET", "h", "s", "abc")
        #expect(s("HINCRBYFLOAT", "h", "s", "1") == err("ERR hash value is not a float"))
        // Computed in long double, as in Redis: beyond Double's range is fine, beyond long double's is not.
        s("HSET", "h", "m", "1.7e308")
        #expect(s("HINCRBYFLOAT", "h", "m", "1.7e308").isError == (MemoryLayout<LongDouble>.size == 8))
        s("HSET", "h", "m", "1e4932")
        #expect(s("HINCRBYFLOAT", "h", "m", "1e4932") == err("ERR increment would produce NaN or Infinity"))
        _ = s.effects()
        #expect(s("HINCRBYFLOAT", "nokey", "f", "inf") == err("ERR value is NaN or Infinity"))
        #expect(s("EXISTS", "nokey") == int(0))
        #expect(s.effects().isEmpty)
    }

    @Test func encodingFollowsRedisRules() {
        let s = TestServer()
        s("HSET", "h", "a", String(repeating: "v", count: 64))
        #expect(s("OBJECT", "ENCODING", "h") == bulk("listpack"))
        s("HSET", "h", "b", String(repeating: "v", count: 65))
        #expect(s("OBJECT", "ENCODING", "h") == bulk("hashtable"))
        s("HDEL", "h", "b")
        #expect(s("OBJECT", "ENCODING", "h") == bulk("hashtable"))  // one-way
        // A long field set through HINCRBY converts too (Redis's hashTypeSet checks both).
        s("HSET", "i", "a", "1")
        s("HINCRBY", "i", String(repeating: "f", count: 65), "1")
        #expect(s("OBJECT", "ENCODING", "i") == bulk("hashtable"))
        var argv = [Bytes("HSET"), Bytes("n")]
        for i in 0..<512 { argv += [Bytes("f\(i)"), Bytes("\(i)")] }
        s.call(argv)
        #expect(s("OBJECT", "ENCODING", "n") == bulk("listpack"))
        s("HSET", "n", "one-more", "x")
        #expect(s("OBJECT", "ENCODING", "n") == bulk("hashtable"))
        #expect(s("HLEN", "n") == int(513))
    }

    @Test func hrandfield() {
        let s = TestServer()
        #expect(s("HRANDFIELD", "nokey") == .null)
        #expect(s("HRANDFIELD", "nokey", "3") == .array([]))
        s("HSET", "h", "a", "1", "b", "2", "c", "3")
        _ = s.effects()
        let one = flat(s("HRANDFIELD", "h"))
        #expect(one.count == 1 && ["a", "b", "c"].contains(one[0]))
        #expect(Set(flat(s("HRANDFIELD", "h", "10"))) == ["a", "b", "c"])
        #expect(flat(s("HRANDFIELD", "h", "10")).count == 3)
        let two = flat(s("HRANDFIELD", "h", "2"))
        #expect(two.count == 2 && Set(two).count == 2)
        #expect(flat(s("HRANDFIELD", "h", "-10")).count == 10)
        let wv = flat(s("HRANDFIELD", "h", "-5", "WITHVALUES"))
        #expect(wv.count == 10)
        for i in stride(from: 0, to: 10, by: 2) { #expect(["a": "1", "b": "2", "c": "3"][wv[i]] == wv[i + 1]) }
        #expect(s("HRANDFIELD", "h", "0") == .array([]))
        #expect(s("HRANDFIELD", "h", "1", "x") == err("ERR syntax error"))
        #expect(s("HRANDFIELD", "h", "1", "WITHVALUES", "x") == err("ERR syntax error"))
        #expect(s("HRANDFIELD", "h", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES") == err("ERR value is out of range"))
        #expect(s("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == err("ERR value is out of range"))
        #expect(s("HRANDFIELD", "h", "-9223372036854775808")
                == err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        #expect(s("HRANDFIELD", "h", "-9223372036854775807") == err("ERR value is out of range"))
        #expect(s.effects().isEmpty)
        // RESP3: WITHVALUES gives [field, value] pairs.
        s.client.resp = .resp3
        guard case .array(let pairs) = s("HRANDFIELD", "h", "2", "WITHVALUES") else { Issue.record("not an array"); return }
        #expect(pairs.count == 2)
        for p in pairs { #expect(p.items.count == 2) }
        // Distinct sampling on a large hash (the sampling path).
        for i in 0..<1000 { s("HSET", "big", "f\(i)", "\(i)") }
        let sample = flat(s("HRANDFIELD", "big", "50"))
        #expect(sample.count == 50 && Set(sample).count == 50)
        let most = flat(s("HRANDFIELD", "big", "900"))
        #expect(most.count == 900 && Set(most).count == 900)
    }

    @Test func hscanReturnsEveryFieldAcrossResizes() {
        let s = TestServer()
        #expect(s("HSCAN", "nokey", "0", "COUNT", "x") == .array([bulk("0"), .array([])]))
        s("HSET", "small", "a", "1", "b", "2")
        #expect(s("HSCAN", "small", "0", "COUNT", "1") == .array([bulk("0"), .array([bulk("a"), bulk("1"), bulk("b"), bulk("2")])]))
        #expect(s("HSCAN", "small", "0", "MATCH", "b*") == .array([bulk("0"), .array([bulk("b"), bulk("2")])]))
        #expect(s("HSCAN", "small", "0", "COUNT", "0") == err("ERR syntax error"))
        #expect(s("HSCAN", "small", "0", "COUNT", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("HSCAN", "small", "0", "TYPE", "hash") == err("ERR syntax error"))
        #expect(s("HSCAN", "small", "x") == err("ERR invalid cursor"))
        for i in 0..<2000 { s("HSET", "big", "f\(i)", "v\(i)") }
        var seen = Set<String>()
        var cursor = "0"
        var rounds = 0
        repeat {
            let r = s("HSCAN", "big", cursor, "COUNT", "20")
            let parts = r.items
            cursor = flat(parts[0])[0]
            let items = flat(parts[1])
            for i in stride(from: 0, to: items.count, by: 2) {
                #expect(items[i + 1] == "v" + items[i].dropFirst())
                seen.insert(items[i])
            }
            // Shrink and grow the table mid-scan: fields present throughout must still come back.
            if rounds == 3 { for i in 1000..<2000 { s("HDEL", "big", "f\(i)") } }
            if rounds == 6 { for i in 2000..<4000 { s("HSET", "big", "f\(i)", "v\(i)") } }
            rounds += 1
        } while cursor != "0" && rounds < 10000
        for i in 0..<1000 { #expect(seen.contains("f\(i)")) }
    }
}
