import RESP
import Testing

@testable import Engine

/// Captures committed effect records (served blocked pops commit their own).
final class RecordingSink: EffectSink {
    var records: [[Effect]] = []
    func append(_ effects: [Effect]) -> UInt64 {
        records.append(effects)
        return UInt64(records.count)
    }
    var words: [[[String]]] { records.map { $0.map { $0.argv.map(\.text) } } }
}

extension TestServer {
    /// Keyspace events reported from now on, as "event:key".
    func recordEvents() -> () -> [String] {
        var events: [String] = []
        engine.onKeyspaceEvent = { _, name, _, key in events.append("\(name):\(key.text)") }
        return {
            defer { events.removeAll() }
            return events
        }
    }

    func list(_ key: String) -> [String] {
        guard let e = entry(key), case .list(let l) = e.value else { return [] }
        return l.items.map(\.text)
    }
}

func arr(_ items: String...) -> RESPValue { .array(items.map { bulk($0) }) }

@Suite struct ListCommandsTests {
    // MARK: push / pop

    @Test func pushesReturnLengthAndLogVerbatim() {
        let s = TestServer()
        let events = s.recordEvents()
        #expect(s("RPUSH", "l", "a", "b") == int(2))
        #expect(s("LPUSH", "l", "x", "y") == int(4))
        #expect(s.list("l") == ["y", "x", "a", "b"])
        #expect(s.effectWords() == [["RPUSH", "l", "a", "b"], ["LPUSH", "l", "x", "y"]])
        #expect(events() == ["rpush:l", "lpush:l"])
        #expect(s("LPUSHX", "nx", "a") == int(0))
        #expect(s("RPUSHX", "nx", "a") == int(0))
        #expect(s.entry("nx") == nil)
        #expect(s.effects().isEmpty)
        #expect(s("RPUSHX", "l", "z") == int(5))
        #expect(s("LPUSHX", "l", "w", "v") == int(7))
        #expect(s.list("l") == ["v", "w", "y", "x", "a", "b", "z"])
        #expect(events() == ["rpush:l", "lpush:l"])
        s("SET", "str", "v")
        _ = s.effects()
        for cmd in ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"] {
            #expect(s(cmd, "str", "a") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        }
        #expect(s.effects().isEmpty)
        #expect(s("LPUSH", "l") == err("ERR wrong number of arguments for 'lpush' command"))
    }

    @Test func popSingleAndCount() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "c", "d", "e")
        _ = s.effects()
        let events = s.recordEvents()
        #expect(s("LPOP", "l") == bulk("a"))
        #expect(s("RPOP", "l") == bulk("e"))
        #expect(s("RPOP", "l", "2") == arr("d", "c"))
        #expect(s.effectWords() == [["LPOP", "l"], ["RPOP", "l"], ["RPOP", "l", "2"]])
        #expect(s("LPOP", "l", "0") == .emptyArray)
        #expect(s.effects().isEmpty)
        #expect(s("LPOP", "l", "10") == arr("b"))
        #expect(s.entry("l") == nil)
        #expect(s.effectWords() == [["LPOP", "l", "10"]])
        #expect(events() == ["lpop:l", "rpop:l", "rpop:l", "lpop:l", "del:l"])
        #expect(s("LPOP", "l") == .null)
        #expect(s("LPOP", "l", "0") == .nullArray)
        #expect(s("RPOP", "l", "3") == .nullArray)
        #expect(s.effects().isEmpty)
        #expect(s("LPOP", "l", "-1") == err("ERR value is out of range, must be positive"))
        #expect(s("LPOP", "l", "x") == err("ERR value is out of range, must be positive"))
        #expect(s("LPOP", "l", "1", "2") == err("ERR wrong number of arguments for 'lpop' command"))
        s("SET", "str", "v")
        #expect(s("LPOP", "str", "0") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
    }

    // MARK: reads

    @Test func indexRangeLength() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "c", "d")
        #expect(s("LLEN", "l") == int(4))
        #expect(s("LLEN", "nx") == int(0))
        #expect(s("LINDEX", "l", "0") == bulk("a"))
        #expect(s("LINDEX", "l", "-1") == bulk("d"))
        #expect(s("LINDEX", "l", "4") == .null)
        #expect(s("LINDEX", "l", "-5") == .null)
        #expect(s("LINDEX", "nx", "x") == .null)  // missing key before the index is parsed
        #expect(s("LINDEX", "l", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("LRANGE", "l", "0", "-1") == arr("a", "b", "c", "d"))
        #expect(s("LRANGE", "l", "-2", "100") == arr("c", "d"))
        #expect(s("LRANGE", "l", "-100", "1") == arr("a", "b"))
        #expect(s("LRANGE", "l", "2", "1") == .emptyArray)
        #expect(s("LRANGE", "l", "5", "10") == .emptyArray)
        #expect(s("LRANGE", "l", "-9223372036854775808", "9223372036854775807") == arr("a", "b", "c", "d"))
        #expect(s("LRANGE", "nx", "0", "-1") == .emptyArray)
        #expect(s("LRANGE", "nx", "x", "1") == err("ERR value is not an integer or out of range"))
        s("SET", "str", "v")
        #expect(s("LINDEX", "str", "x") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s("LLEN", "str") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s.effectWords() == [["RPUSH", "l", "a", "b", "c", "d"], ["SET", "str", "v"]])
    }

    @Test func lpos() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c")
        #expect(s("LPOS", "l", "c") == int(2))
        #expect(s("LPOS", "l", "c", "RANK", "2") == int(6))
        #expect(s("LPOS", "l", "c", "RANK", "-1") == int(7))
        #expect(s("LPOS", "l", "c", "RANK", "-3") == int(2))
        #expect(s("LPOS", "l", "c", "RANK", "4") == .null)
        #expect(s("LPOS", "l", "c", "COUNT", "0") == .array([int(2), int(6), int(7)]))
        #expect(s("LPOS", "l", "c", "COUNT", "2", "RANK", "-1") == .array([int(7), int(6)]))
        #expect(s("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7") == .array([int(2), int(6)]))
        #expect(s("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1") == int(7))
        #expect(s("LPOS", "l", "a", "RANK", "-9223372036854775808") == int(0))
        #expect(s("LPOS", "l", "zz", "COUNT", "1") == .emptyArray)
        #expect(s("LPOS", "nx", "a") == .null)
        #expect(s("LPOS", "nx", "a", "COUNT", "0") == .emptyArray)
        #expect(s("LPOS", "l", "a", "RANK", "0") == err(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"))
        #expect(s("LPOS", "l", "a", "RANK", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("LPOS", "l", "a", "COUNT", "-1") == err("ERR COUNT can't be negative"))
        #expect(s("LPOS", "l", "a", "COUNT", "x") == err("ERR COUNT can't be negative"))
        #expect(s("LPOS", "l", "a", "MAXLEN", "-1") == err("ERR MAXLEN can't be negative"))
        #expect(s("LPOS", "l", "a", "FOO") == err("ERR syntax error"))
        #expect(s("LPOS", "l", "a", "RANK") == err("ERR syntax error"))
    }

    // MARK: edits

    @Test func linsert() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "a")
        _ = s.effects()
        let events = s.recordEvents()
        #expect(s("LINSERT", "l", "BEFORE", "a", "x") == int(4))
        #expect(s("LINSERT", "l", "after", "a", "y") == int(5))
        #expect(s.list("l") == ["x", "a", "y", "b", "a"])
        #expect(s("LINSERT", "l", "AFTER", "zz", "y") == int(-1))
        #expect(s("LINSERT", "nx", "AFTER", "a", "y") == int(0))
        #expect(s("LINSERT", "l", "MIDDLE", "a", "y") == err("ERR syntax error"))
        #expect(s.effectWords() == [["LINSERT", "l", "BEFORE", "a", "x"], ["LINSERT", "l", "after", "a", "y"]])
        #expect(events() == ["linsert:l", "linsert:l"])
    }

    @Test func lset() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "c")
        _ = s.effects()
        #expect(s("LSET", "l", "-1", "z") == .ok)
        #expect(s("LSET", "l", "0", "y") == .ok)
        #expect(s.list("l") == ["y", "b", "z"])
        #expect(s("LSET", "l", "3", "q") == err("ERR index out of range"))
        #expect(s("LSET", "l", "x", "q") == err("ERR value is not an integer or out of range"))
        #expect(s("LSET", "nx", "x", "q") == err("ERR no such key"))
        #expect(s.effectWords() == [["LSET", "l", "-1", "z"], ["LSET", "l", "0", "y"]])
    }

    @Test func lrem() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "a", "c", "a", "b")
        _ = s.effects()
        #expect(s("LREM", "l", "-2", "a") == int(2))
        #expect(s.list("l") == ["a", "b", "c", "b"])
        #expect(s("LREM", "l", "1", "b") == int(1))
        #expect(s.list("l") == ["a", "c", "b"])
        #expect(s("LREM", "l", "0", "zz") == int(0))
        #expect(s("LREM", "nx", "0", "a") == int(0))
        #expect(s("LREM", "l", "x", "a") == err("ERR value is not an integer or out of range"))
        #expect(s.effectWords() == [["LREM", "l", "-2", "a"], ["LREM", "l", "1", "b"]])
        let events = s.recordEvents()
        #expect(s("LREM", "l", "0", "a") == int(1))
        #expect(s("LREM", "l", "0", "c") == int(1))
        #expect(s("LREM", "l", "0", "b") == int(1))
        #expect(s.entry("l") == nil)
        #expect(events() == ["lrem:l", "lrem:l", "lrem:l", "del:l"])
    }

    @Test func ltrim() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b", "c", "d", "e")
        _ = s.effects()
        let events = s.recordEvents()
        #expect(s("LTRIM", "l", "1", "-2") == .ok)
        #expect(s.list("l") == ["b", "c", "d"])
        #expect(s("LTRIM", "l", "0", "100") == .ok)
        #expect(s.list("l") == ["b", "c", "d"])
        #expect(s.effectWords() == [["LTRIM", "l", "1", "-2"]])  // a no-op trim logs nothing
        #expect(s("LTRIM", "l", "2", "1") == .ok)
        #expect(s.entry("l") == nil)
        #expect(s("LTRIM", "nx", "0", "1") == .ok)
        #expect(s("LTRIM", "nx", "a", "1") == err("ERR value is not an integer or out of range"))
        #expect(events() == ["ltrim:l", "ltrim:l", "ltrim:l", "del:l"])
    }

    // MARK: moves

    @Test func lmoveBetweenListsAndRotation() {
        let s = TestServer()
        s("RPUSH", "src", "a", "b")
        _ = s.effects()
        let events = s.recordEvents()
        #expect(s("LMOVE", "src", "dst", "LEFT", "RIGHT") == bulk("a"))
        #expect(s("RPOPLPUSH", "src", "dst") == bulk("b"))
        #expect(s.entry("src") == nil)
        #expect(s.list("dst") == ["b", "a"])
        #expect(events() == ["rpush:dst", "lpop:src", "lpush:dst", "rpop:src", "del:src"])
        #expect(s.effectWords() == [["LMOVE", "src", "dst", "LEFT", "RIGHT"], ["RPOPLPUSH", "src", "dst"]])
        #expect(s("LMOVE", "dst", "dst", "LEFT", "RIGHT") == bulk("b"))
        #expect(s.list("dst") == ["a", "b"])
        #expect(s("RPOPLPUSH", "dst", "dst") == bulk("b"))
        #expect(s.list("dst") == ["b", "a"])
        #expect(s("LMOVE", "nx", "dst", "LEFT", "LEFT") == .null)
        #expect(s("LMOVE", "dst", "x", "UP", "LEFT") == err("ERR syntax error"))
        s("SET", "str", "v")
        _ = s.effects()
        #expect(s("LMOVE", "dst", "str", "LEFT", "LEFT") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s("LMOVE", "str", "dst", "LEFT", "LEFT") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s("LMOVE", "nx", "str", "LEFT", "LEFT") == .null)
        #expect(s.list("dst") == ["b", "a"])
        #expect(s.effects().isEmpty)
    }

    @Test func lmpop() {
        let s = TestServer()
        s("RPUSH", "b", "1", "2", "3")
        _ = s.effects()
        #expect(s("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2") == .array([bulk("b"), arr("3", "2")]))
        #expect(s("LMPOP", "2", "a", "b", "LEFT", "COUNT", "5") == .array([bulk("b"), arr("1")]))
        #expect(s.effectWords() == [["RPOP", "b", "2"], ["LPOP", "b", "1"]])
        #expect(s("LMPOP", "2", "a", "b", "LEFT") == .nullArray)
        #expect(s("LMPOP", "0", "a", "LEFT") == err("ERR numkeys should be greater than 0"))
        #expect(s("LMPOP", "x", "a", "LEFT") == err("ERR numkeys should be greater than 0"))
        #expect(s("LMPOP", "2", "a", "LEFT") == err("ERR syntax error"))
        #expect(s("LMPOP", "1", "a", "MIDDLE") == err("ERR syntax error"))
        #expect(s("LMPOP", "1", "a", "LEFT", "COUNT", "0") == err("ERR count should be greater than 0"))
        #expect(s("LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1") == err("ERR syntax error"))
        #expect(s("LMPOP", "1", "a", "LEFT", "COUNT") == err("ERR syntax error"))
        s("SET", "str", "v")
        s("RPUSH", "c", "x")
        #expect(s("LMPOP", "2", "str", "c", "LEFT") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s("LMPOP", "2", "c", "str", "LEFT") == .array([bulk("c"), arr("x")]))
    }

    // MARK: blocking

    /// A second client that blocks; served replies land in `replies`.
    final class Blocker {
        let client: Client
        var replies: [RESPValue] = []
        init(_ s: TestServer) { client = s.engine.newClient() }
    }

    func blockingServer() -> (TestServer, RecordingSink, (Client) -> [RESPValue]) {
        let s = TestServer()
        let sink = RecordingSink()
        s.engine.effectSink = sink
        var served: [Int64: [RESPValue]] = [:]
        s.engine.blocking.onUnblocked = { c, reply in served[c.id, default: []].append(reply) }
        return (s, sink, { c in served[c.id] ?? [] })
    }

    /// Runs a command as the server does: execute, commit, then serve ready waiters.
    @discardableResult
    func exec(_ s: TestServer, _ c: Client, _ words: String...) -> RESPValue {
        let reply = run(s.engine, c, words.map { Bytes($0) })
        s.engine.commitEffects()
        if s.engine.blocking.hasReady { s.engine.blocking.serveReady(s.engine, Dispatcher(engine: s.engine)) }
        return reply
    }

    @Test func blockingPopServedAtOnceLogsPlainPop() {
        let (s, sink, _) = blockingServer()
        exec(s, s.client, "RPUSH", "b", "x", "y")
        #expect(exec(s, s.client, "BLPOP", "a", "b", "0") == arr("b", "x"))
        #expect(exec(s, s.client, "BRPOP", "b", "0") == arr("b", "y"))
        #expect(s.client.blocked == nil)
        #expect(sink.words.suffix(2) == [[["LPOP", "b"]], [["RPOP", "b"]]])
        #expect(exec(s, s.client, "BLPOP", "a", "-1") == err("ERR timeout is negative"))
        #expect(exec(s, s.client, "BLPOP", "a", "x") == err("ERR timeout is not a float or out of range"))
        exec(s, s.client, "SET", "str", "v")
        #expect(exec(s, s.client, "BLPOP", "a", "str", "0") == err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(s.client.blocked == nil)
    }

    @Test func waitersAreServedFIFOAndLogTheirPops() {
        let (s, sink, served) = blockingServer()
        let w1 = s.engine.newClient()
        let w2 = s.engine.newClient()
        let w3 = s.engine.newClient()
        exec(s, w1, "BLPOP", "k", "0")
        exec(s, w2, "BRPOP", "other", "k", "0")
        exec(s, w3, "BLMPOP", "0", "1", "k", "LEFT", "COUNT", "5")
        #expect(s.engine.blocking.blockedCount == 3)
        #expect(sink.records.isEmpty)
        exec(s, s.client, "RPUSH", "k", "a", "b")
        #expect(served(w1) == [arr("k", "a")])
        #expect(served(w2) == [arr("k", "b")])
        #expect(served(w3) == [])
        #expect(s.entry("k") == nil)
        #expect(sink.words == [[["RPUSH", "k", "a", "b"]], [["LPOP", "k"]], [["RPOP", "k"]]])
        exec(s, s.client, "RPUSH", "k", "c", "d", "e")
        #expect(served(w3) == [.array([bulk("k"), arr("c", "d", "e")])])
        #expect(sink.words.last == [["LPOP", "k", "3"]])
        #expect(s.engine.blocking.blockedCount == 0)
    }

    /// A served client's next pipelined command runs only after every waiter the change can
    /// serve has been served (Redis resumes unblocked clients after handling ready keys).
    @Test func servedClientResumesAfterOtherWaitersAreServed() {
        let s = TestServer()
        let a = s.engine.newClient()
        let b = s.engine.newClient()
        var served: [Int64: [RESPValue]] = [:]
        var aPipeline = [["BLPOP", "k", "0"]]  // what A sent after its first BLPOP
        s.engine.blocking.onUnblocked = { c, reply in
            served[c.id, default: []].append(reply)
            if c === a, !aPipeline.isEmpty {
                let next = aPipeline.removeFirst()
                _ = self.exec(s, a, next[0], next[1], next[2])
            }
        }
        exec(s, a, "BLPOP", "k", "0")
        exec(s, b, "BLPOP", "k", "0")
        exec(s, s.client, "RPUSH", "k", "1", "2")
        #expect(served[a.id] == [arr("k", "1")])
        #expect(served[b.id] == [arr("k", "2")])
        #expect(a.blocked != nil)  // A's second BLPOP found nothing left and waits
        #expect(b.blocked == nil)
    }

    @Test func blmoveServedLaterLogsLmove() {
        let (s, sink, served) = blockingServer()
        let w = s.engine.newClient()
        let events = s.recordEvents()
        exec(s, w, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
        let w2 = s.engine.newClient()
        exec(s, w2, "BRPOPLPUSH", "src", "dst2", "0")
        exec(s, s.client, "RPUSH", "src", "a", "b")
        #expect(served(w) == [bulk("b")])
        #expect(served(w2) == [bulk("a")])
        #expect(s.list("dst") == ["b"])
        #expect(s.list("dst2") == ["a"])
        #expect(sink.words.suffix(2) == [[["LMOVE", "src", "dst", "RIGHT", "LEFT"]], [["RPOPLPUSH", "src", "dst2"]]])
        #expect(events() == ["rpush:src", "lpush:dst", "rpop:src", "lpush:dst2", "rpop:src", "del:src"])
    }

    @Test func waiterIgnoresOtherTypesOfSourceButFailsOnWrongDestination() {
        let (s, _, served) = blockingServer()
        let w = s.engine.newClient()
        let w2 = s.engine.newClient()
        exec(s, s.client, "SET", "dst", "string")
        exec(s, w, "BLPOP", "k", "0")
        exec(s, s.client, "SET", "k", "v")  // not a list: the waiter keeps waiting
        #expect(served(w) == [])
        #expect(w.blocked != nil)
        exec(s, s.client, "DEL", "k")
        exec(s, w2, "BLMOVE", "k", "dst", "LEFT", "LEFT", "0")
        exec(s, s.client, "RPUSH", "k", "a", "b")
        #expect(served(w) == [arr("k", "a")])
        #expect(served(w2) == [err("WRONGTYPE Operation against a key holding the wrong kind of value")])
        #expect(s.list("k") == ["b"])
        #expect(s.engine.blocking.blockedCount == 0)
    }

    @Test func blockingInsideNonBlockingContextRepliesAsTimeout() {
        let (s, _, _) = blockingServer()
        s.client.nonBlockingDepth = 1
        #expect(exec(s, s.client, "BLPOP", "k", "0") == .nullArray)
        #expect(exec(s, s.client, "BLMPOP", "0", "1", "k", "LEFT") == .nullArray)
        #expect(exec(s, s.client, "BLMOVE", "k", "d", "LEFT", "LEFT", "0") == .null)
        #expect(exec(s, s.client, "BRPOPLPUSH", "k", "d", "0") == .null)
        #expect(s.client.blocked == nil)
    }

    @Test func timeoutAndUnblockReplies() {
        let (s, _, served) = blockingServer()
        let w = s.engine.newClient()
        exec(s, w, "BLPOP", "k", "0.5")
        let deadline = w.blocked?.deadline ?? 0
        #expect(deadline >= s.now + 400 && deadline <= s.now + 600)
        s.engine.blocking.timeout(w, token: w.blocked!.token)
        #expect(served(w) == [.nullArray])
        exec(s, w, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        #expect(w.blocked?.deadline == nil)
        s.engine.blocking.unblock(w, with: w.blocked!.timeoutReply)
        // Unblocked during a command (CLIENT UNBLOCK): resumed once that command is committed.
        #expect(served(w) == [.nullArray])
        #expect(s.engine.blocking.hasReady)
        s.engine.blocking.serveReady(s.engine, Dispatcher(engine: s.engine))
        #expect(served(w) == [.nullArray, .null])
    }

    // MARK: specs

    @Test func keySpecsFindKeys() {
        let e = Engine()
        func keys(_ words: String...) -> [String] {
            let argv = words.map { Bytes($0) }
            return e.table.lookup(argv[0])!.keys(argv).map(\.text)
        }
        #expect(keys("BLPOP", "a", "b", "0") == ["a", "b"])
        #expect(keys("BLMPOP", "0", "2", "a", "b", "LEFT") == ["a", "b"])
        #expect(keys("LMPOP", "2", "a", "b", "LEFT") == ["a", "b"])
        #expect(keys("BLMOVE", "a", "b", "LEFT", "LEFT", "0") == ["a", "b"])
        #expect(keys("LPUSH", "a", "x", "y") == ["a"])
    }
}

/// Random list commands (and served blocked pops) on one engine; replaying the committed
/// effects on an empty engine must rebuild the same lists.
@Suite struct ListEffectReplayTests {
    static func lists(_ e: Engine) -> [String: [String]] {
        var out: [String: [String]] = [:]
        e.databases[0].forEach { key, entry in
            if case .list(let l) = entry.value { out[key.text] = l.items.map(\.text) }
        }
        return out
    }

    @Test func effectsRebuildTheLists() {
        let s = TestServer()
        let sink = RecordingSink()
        s.engine.effectSink = sink
        let dispatcher = Dispatcher(engine: s.engine)
        let waiter = s.engine.newClient()
        var rng = SystemRandomNumberGenerator()
        func k() -> String { ["a", "b", "c"].randomElement(using: &rng)! }
        func v() -> String { ["x", "y", "1", "-7", "zz"].randomElement(using: &rng)! }
        func i() -> String { String(Int.random(in: -4...4, using: &rng)) }
        func end() -> String { Bool.random(using: &rng) ? "LEFT" : "RIGHT" }
        for _ in 0..<3000 {
            let commands: [[String]] = [
                ["LPUSH", k(), v(), v()], ["RPUSH", k(), v()], ["LPUSHX", k(), v()], ["RPUSHX", k(), v()],
                ["LPOP", k()], ["RPOP", k(), String(Int.random(in: 0...3, using: &rng))],
                ["LINSERT", k(), Bool.random(using: &rng) ? "BEFORE" : "AFTER", v(), v()],
                ["LSET", k(), i(), v()], ["LREM", k(), i(), v()], ["LTRIM", k(), i(), i()],
                ["LMOVE", k(), k(), end(), end()], ["RPOPLPUSH", k(), k()],
                ["LMPOP", "2", k(), k(), end(), "COUNT", "2"],
            ]
            let argv = commands.randomElement(using: &rng)!
            s.engine.beginExecution()
            _ = dispatcher.execute(argv.map { Bytes($0) }, client: s.client)
            s.engine.commitEffects()
            if waiter.blocked == nil {
                let blocking: [[String]] = [
                    ["BLPOP", k(), k(), "0"], ["BLMOVE", k(), k(), end(), end(), "0"],
                    ["BLMPOP", "0", "1", k(), end(), "COUNT", "3"], ["BRPOPLPUSH", k(), k(), "0"],
                ]
                s.engine.beginExecution()
                _ = dispatcher.execute(blocking.randomElement(using: &rng)!.map { Bytes($0) }, client: waiter)
                s.engine.commitEffects()
            }
            if s.engine.blocking.hasReady { s.engine.blocking.serveReady(s.engine, dispatcher) }
        }
        let replica = Engine()
        replica.isReplaying = true
        let client = replica.newClient()
        for record in sink.records {
            for effect in record {
                let reply = run(replica, client, effect.argv)
                #expect(!reply.isError, "\(effect.argv.map(\.text)) -> \(reply)")
            }
        }
        #expect(Self.lists(replica) == Self.lists(s.engine))
        #expect(sink.records.count > 100)
    }
}
