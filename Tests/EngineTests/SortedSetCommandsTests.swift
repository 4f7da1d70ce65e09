import RESP
import Testing

@testable import Engine

@Suite struct SortedSetCommandsTests {
    func dbl(_ v: Double) -> RESPValue { .double(v) }
    func arr(_ words: String...) -> RESPValue { .array(words.map { bulk($0) }) }

    // MARK: ZADD / ZINCRBY

    @Test func zaddOptionsAndErrors() {
        let s = TestServer()
        #expect(s("ZADD", "z", "1", "a", "2", "b") == int(2))
        #expect(s.effectWords() == [["ZADD", "z", "1", "a", "2", "b"]])
        #expect(s("ZADD", "z", "NX", "XX", "1", "a") == err("ERR XX and NX options at the same time are not compatible"))
        #expect(s("ZADD", "z", "GT", "LT", "1", "a") == err("ERR GT, LT, and/or NX options at the same time are not compatible"))
        #expect(s("ZADD", "z", "NX", "GT", "1", "a") == err("ERR GT, LT, and/or NX options at the same time are not compatible"))
        #expect(s("ZADD", "z", "INCR", "1", "a", "2", "b") == err("ERR INCR option supports a single increment-element pair"))
        #expect(s("ZADD", "z", "1", "a", "2") == err("ERR syntax error"))
        #expect(s("ZADD", "z", "x", "a") == err("ERR value is not a valid float"))
        #expect(s("ZADD", "z", "nan", "a") == err("ERR value is not a valid float"))
        #expect(s.effectWords().isEmpty)
        #expect(s("ZADD", "z", "CH", "5", "a", "2", "b", "3", "c") == int(2))
        #expect(s("ZADD", "z", "GT", "CH", "1", "a", "10", "b") == int(1))
        #expect(s("ZSCORE", "z", "a") == dbl(5))
        #expect(s("ZADD", "z", "XX", "1", "nope") == int(0))
        #expect(s("ZADD", "missing", "XX", "1", "a") == int(0))
        #expect(s("EXISTS", "missing") == int(0))
        _ = s.effects()
        // Unchanged scores log nothing.
        #expect(s("ZADD", "z", "5", "a") == int(0))
        #expect(s.effects().isEmpty)
    }

    @Test func zincrLogsResultingScore() {
        let s = TestServer()
        #expect(s("ZINCRBY", "z", "1.5", "m") == dbl(1.5))
        #expect(s("ZINCRBY", "z", "0.1", "m") == dbl(1.6))
        #expect(s.effectWords() == [["ZADD", "z", "1.5", "m"], ["ZADD", "z", "1.6000000000000001", "m"]])
        #expect(s("ZADD", "z", "INCR", "inf", "m") == dbl(.infinity))
        #expect(s("ZADD", "z", "INCR", "-inf", "m") == err("ERR resulting score is not a number (NaN)"))
        #expect(s("ZADD", "z", "XX", "INCR", "1", "nope") == .null)
        #expect(s("ZADD", "z", "LT", "INCR", "1", "m") == .null)
        #expect(s("ZINCRBY", "z", "abc", "m") == err("ERR value is not a valid float"))
        #expect(s.effectWords() == [["ZADD", "z", "inf", "m"]])
        s("SET", "str", "x")
        #expect(s("ZINCRBY", "str", "1", "m") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }

    // MARK: reads

    @Test func pointReads() {
        let s = TestServer()
        s("ZADD", "z", "1", "a", "2", "b", "3", "c")
        #expect(s("ZCARD", "z") == int(3))
        #expect(s("ZCARD", "nope") == int(0))
        #expect(s("ZSCORE", "z", "nope") == .null)
        #expect(s("ZMSCORE", "z", "a", "x", "c") == .array([dbl(1), .null, dbl(3)]))
        #expect(s("ZRANK", "z", "c") == int(2))
        #expect(s("ZREVRANK", "z", "c") == int(0))
        #expect(s("ZRANK", "z", "x") == .null)
        #expect(s("ZCOUNT", "z", "(1", "+inf") == int(2))
        #expect(s("ZCOUNT", "z", "a", "1") == err("ERR min or max is not a float"))
        #expect(s("ZLEXCOUNT", "z", "-", "+") == int(3))
        #expect(s("ZLEXCOUNT", "z", "a", "+") == err("ERR min or max not valid string range item"))
        #expect(s.effects().count == 1)
    }

    @Test func ranges() {
        let s = TestServer()
        s("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        #expect(s("ZRANGE", "z", "0", "-1") == arr("a", "b", "c", "d"))
        #expect(s("ZRANGE", "z", "1", "2", "WITHSCORES") == .array([bulk("b"), dbl(2), bulk("c"), dbl(3)]))
        #expect(s("ZRANGE", "z", "0", "1", "REV") == arr("d", "c"))
        #expect(s("ZRANGE", "z", "(1", "3", "BYSCORE") == arr("b", "c"))
        #expect(s("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2") == arr("c", "b"))
        #expect(s("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1")
            == err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"))
        #expect(s("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES")
            == err("ERR syntax error, WITHSCORES not supported in combination with BYLEX"))
        #expect(s("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2") == .array([]))
        #expect(s("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2", "-1") == arr("c", "d"))
        #expect(s("ZRANGEBYSCORE", "z", "0", "5", "REV") == err("ERR syntax error"))
        #expect(s("ZREVRANGEBYSCORE", "z", "3", "(1") == arr("c", "b"))
        #expect(s("ZREVRANGE", "z", "0", "0", "WITHSCORES") == .array([bulk("d"), dbl(4)]))
        #expect(s("ZRANGEBYLEX", "z", "[b", "(d") == arr("b", "c"))
        #expect(s("ZREVRANGEBYLEX", "z", "+", "[c", "LIMIT", "0", "1") == arr("d"))
        #expect(s("ZRANGE", "nope", "0", "-1") == .array([]))
        // RESP3: WITHSCORES pairs are nested.
        s.client.resp = .resp3
        #expect(s("ZRANGE", "z", "0", "0", "WITHSCORES") == .array([.array([bulk("a"), dbl(1)])]))
    }

    @Test func rangeStoreAndRemoveRanges() {
        let s = TestServer()
        s("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        _ = s.effects()
        #expect(s("ZRANGESTORE", "dst", "z", "1", "-1") == int(3))
        #expect(s("ZRANGE", "dst", "0", "-1") == arr("b", "c", "d"))
        #expect(s.effectWords() == [["ZRANGESTORE", "dst", "z", "1", "-1"]])
        #expect(s("ZRANGESTORE", "dst", "z", "10", "20") == int(0))
        #expect(s("EXISTS", "dst") == int(0))
        #expect(s.effectWords() == [["ZRANGESTORE", "dst", "z", "10", "20"]])
        #expect(s("ZRANGESTORE", "dst", "z", "10", "20") == int(0))
        #expect(s.effects().isEmpty)
        #expect(s("ZREMRANGEBYSCORE", "z", "(1", "2") == int(1))
        #expect(s("ZREMRANGEBYRANK", "z", "-1", "-1") == int(1))
        #expect(s("ZREMRANGEBYLEX", "z", "-", "+") == int(2))
        #expect(s("EXISTS", "z") == int(0))
        #expect(s.effects().count == 3)
        #expect(s("ZREMRANGEBYRANK", "z", "0", "-1") == int(0))
        #expect(s.effects().isEmpty)
    }

    @Test func zremDeletesEmptyKey() {
        let s = TestServer()
        s("ZADD", "z", "1", "a")
        _ = s.effects()
        #expect(s("ZREM", "z", "a", "nope") == int(1))
        #expect(s("EXISTS", "z") == int(0))
        #expect(s.effectWords() == [["ZREM", "z", "a", "nope"]])
        #expect(s("ZREM", "z", "a") == int(0))
        #expect(s.effects().isEmpty)
    }

    // MARK: pops

    @Test func popsLogZremOfPoppedMembers() {
        let s = TestServer()
        s("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        _ = s.effects()
        #expect(s("ZPOPMIN", "z") == .array([bulk("a"), dbl(1)]))
        #expect(s("ZPOPMAX", "z", "2") == .array([bulk("d"), dbl(4), bulk("c"), dbl(3)]))
        #expect(s.effectWords() == [["ZREM", "z", "a"], ["ZREM", "z", "d", "c"]])
        #expect(s("ZPOPMIN", "z", "-1") == err("ERR value is out of range, must be positive"))
        #expect(s("ZPOPMIN", "z", "0") == .array([]))
        #expect(s("ZPOPMIN", "nope") == .array([]))
        #expect(s("ZMPOP", "2", "nope", "z", "MIN", "COUNT", "5") == .array([bulk("z"), .array([.array([bulk("b"), dbl(2)])])]))
        #expect(s("EXISTS", "z") == int(0))
        #expect(s("ZMPOP", "1", "z", "MIN") == .nullArray)
        #expect(s("ZMPOP", "0", "z", "MIN") == err("ERR numkeys should be greater than 0"))
        #expect(s("ZMPOP", "1", "z", "MIN", "COUNT", "0") == err("ERR count should be greater than 0"))
        #expect(s("ZMPOP", "2", "z", "MIN") == err("ERR syntax error"))
        #expect(s.effectWords() == [["ZREM", "z", "b"]])
    }

    @Test func blockingPopServedByLaterWrite() {
        let s = TestServer()
        let other = s.engine.newClient()
        var replies: [RESPValue] = []
        s.engine.blocking.onUnblocked = { _, reply in replies.append(reply) }
        // Nothing to pop: the client blocks (its reply is held).
        _ = run(s.engine, other, "BZPOPMIN", "z", "0")
        #expect(other.blocked != nil)
        s("ZADD", "z", "2", "b", "1", "a")
        s.engine.blocking.serveReady(s.engine, Dispatcher(engine: s.engine))
        #expect(replies == [.array([bulk("z"), bulk("a"), dbl(1)])])
        #expect(other.blocked == nil)
        #expect(s("ZRANGE", "z", "0", "-1") == arr("b"))
        // Something to pop: served at once, no blocking.
        #expect(run(s.engine, other, "BZPOPMAX", "z", "0") == .array([bulk("z"), bulk("b"), dbl(2)]))
        #expect(run(s.engine, other, "BZPOPMAX", "z", "x") == err("ERR timeout is not a float or out of range"))
        #expect(run(s.engine, other, "BZPOPMAX", "z", "-1") == err("ERR timeout is negative"))
    }

    // MARK: algebra

    @Test func unionInterDiff() {
        let s = TestServer()
        s("ZADD", "a", "1", "x", "2", "y", "3", "z")
        s("ZADD", "b", "10", "y", "20", "z", "30", "w")
        s("SADD", "set", "z", "q")
        #expect(s("ZUNION", "2", "a", "b", "WITHSCORES")
            == .array([bulk("x"), dbl(1), bulk("y"), dbl(12), bulk("z"), dbl(23), bulk("w"), dbl(30)]))
        #expect(s("ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "AGGREGATE", "MAX", "WITHSCORES")
            == .array([bulk("y"), dbl(10), bulk("z"), dbl(20)]))
        #expect(s("ZINTER", "2", "a", "set", "WITHSCORES") == .array([bulk("z"), dbl(4)]))
        #expect(s("ZDIFF", "2", "a", "b") == arr("x"))
        #expect(s("ZINTERCARD", "2", "a", "b", "LIMIT", "1") == int(1))
        #expect(s("ZINTERCARD", "2", "a", "b", "LIMIT", "-1") == err("ERR LIMIT can't be negative"))
        #expect(s("ZUNION", "0", "a") == err("ERR at least 1 input key is needed for 'zunion' command"))
        #expect(s("ZUNION", "3", "a", "b") == err("ERR syntax error"))
        #expect(s("ZUNION", "1", "a", "WEIGHTS", "x") == err("ERR weight value is not a float"))
        #expect(s("ZDIFF", "1", "a", "WEIGHTS", "1") == err("ERR syntax error"))
        s("SET", "str", "v")
        #expect(s("ZUNION", "2", "a", "str") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        // inf + -inf sums to 0, as in Redis.
        s("ZADD", "p", "inf", "m")
        s("ZADD", "n", "-inf", "m")
        #expect(s("ZUNION", "2", "p", "n", "WITHSCORES") == .array([bulk("m"), dbl(0)]))
        _ = s.effects()
        #expect(s("ZUNIONSTORE", "dst", "2", "a", "b") == int(4))
        #expect(s("ZDIFFSTORE", "dst2", "2", "a", "a") == int(0))
        #expect(s("ZINTERSTORE", "dst", "2", "a", "nope") == int(0))
        #expect(s("EXISTS", "dst") == int(0))
        #expect(s.effectWords() == [["ZUNIONSTORE", "dst", "2", "a", "b"], ["ZINTERSTORE", "dst", "2", "a", "nope"]])
    }

    @Test func randomMemberAndScan() {
        let s = TestServer()
        s("ZADD", "z", "1", "a", "2", "b", "3", "c")
        _ = s.effects()
        #expect(s("ZRANDMEMBER", "z", "5") == arr("c", "b", "a"))
        #expect(s("ZRANDMEMBER", "z", "-5").items.count == 5)
        #expect(s("ZRANDMEMBER", "z", "2", "WITHSCORES").items.count == 4)
        #expect(s("ZRANDMEMBER", "z", "1", "WITHSCORES", "x") == err("ERR syntax error"))
        #expect(s("ZRANDMEMBER", "nope") == .null)
        #expect(s.effects().isEmpty)
        #expect(s("ZSCAN", "z", "0") == .array([bulk("0"), arr("a", "1", "b", "2", "c", "3")]))
        #expect(s("ZSCAN", "z", "0", "MATCH", "b*") == .array([bulk("0"), arr("b", "2")]))
        #expect(s("ZSCAN", "z", "x") == err("ERR invalid cursor"))
        // A skiplist set is scanned with the reverse-binary cursor: every member exactly once.
        for i in 0..<300 { s("ZADD", "big", "\(i)", "m\(i)") }
        var cursor = "0"
        var seen = Set<String>()
        repeat {
            let r = s("ZSCAN", "big", cursor, "COUNT", "20").items
            cursor = r[0].string!
            let items = r[1].items
            for i in stride(from: 0, to: items.count, by: 2) { seen.insert(items[i].string!) }
        } while cursor != "0"
        #expect(seen.count == 300)
    }

    @Test func objectEncoding() {
        let s = TestServer()
        s("ZADD", "z", "1", "a")
        #expect(s("OBJECT", "ENCODING", "z") == bulk("listpack"))
        s("ZADD", "z", "1", String(repeating: "x", count: 65))
        #expect(s("OBJECT", "ENCODING", "z") == bulk("skiplist"))
    }

    // MARK: SORT

    @Test func sortCommand() {
        let s = TestServer()
        s("RPUSH", "l", "3", "1", "2")
        #expect(s("SORT", "l") == arr("1", "2", "3"))
        #expect(s("SORT", "l", "DESC", "LIMIT", "0", "2") == arr("3", "2"))
        s("MSET", "w_1", "30", "w_2", "20", "w_3", "10")
        s("HSET", "h_1", "f", "one")
        #expect(s("SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->f") == .array([bulk("3"), .null, bulk("2"), .null, bulk("1"), bulk("one")]))
        #expect(s("SORT", "l", "BY", "nosort") == arr("3", "1", "2"))
        s("RPUSH", "bad", "x")
        #expect(s("SORT", "bad") == err("ERR One or more scores can't be converted into double"))
        #expect(s("SORT", "bad", "ALPHA") == arr("x"))
        #expect(s("SORT_RO", "l", "STORE", "d") == err("ERR syntax error"))
        _ = s.effects()
        #expect(s("SORT", "l", "STORE", "d") == int(3))
        #expect(s("LRANGE", "d", "0", "-1") == arr("1", "2", "3"))
        #expect(s.effectWords() == [["DEL", "d"], ["RPUSH", "d", "1", "2", "3"]])
        #expect(s("SORT", "nope", "STORE", "d") == int(0))
        #expect(s("EXISTS", "d") == int(0))
        #expect(s.effectWords() == [["DEL", "d"]])
        s("ZADD", "z", "1", "b", "2", "a")
        #expect(s("SORT", "z", "BY", "nosort", "DESC") == arr("a", "b"))
        #expect(s("SORT", "z", "ALPHA") == arr("a", "b"))
        s("SET", "str", "1")
        #expect(s("SORT", "str") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }

    @Test func sortKeySpecsDeclarePatternKeys() {
        let s = TestServer()
        let spec = s.engine.table.lookup(Bytes("sort"))!
        #expect(spec.keySpecs.count == 3)
        if case .unknown = spec.keySpecs[1].begin {} else { Issue.record("BY/GET spec should be unknown") }
        #expect(spec.keys([Bytes("SORT"), Bytes("l"), Bytes("BY"), Bytes("w_*")]) == [Bytes("l")])
    }
}
