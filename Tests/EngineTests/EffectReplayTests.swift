import RESP
import Testing

@testable import Engine

/// Replaying a run's effects on an empty engine must rebuild exactly the same keyspace.
@Suite struct EffectReplayTests {
    static func dump(_ engine: Engine) -> [String] {
        var out: [String] = []
        for (i, db) in engine.databases.enumerated() {
            db.forEach { key, e in
                guard case .string(let s) = e.value else { return }
                out.append("\(i) \(key.text)=\(s.map(String.init).joined(separator: ",")) @\(e.expireAt)")
            }
        }
        return out.sorted()
    }

    @Test func effectsRebuildTheKeyspace() {
        let s = TestServer()
        var log: [Effect] = []
        func step(_ words: String...) {
            s.call(words.map { Bytes($0) })
            log += s.effects()
        }
        step("SET", "a", "1", "EX", "1000")
        step("INCR", "a")
        step("INCRBYFLOAT", "a", "0.25")
        step("SETEX", "b", "500", "x")
        step("PSETEX", "c", "90000", "y")
        step("APPEND", "b", "yz")
        step("SETRANGE", "d", "3", "abc")
        step("MSET", "e", "1", "f", "2")
        step("MSETNX", "g", "1", "h", "2")
        step("GETEX", "e", "EX", "300")
        step("GETEX", "a", "PERSIST")
        step("GETDEL", "f")
        step("GETSET", "g", "new")
        step("SETNX", "i", "1")
        step("EXPIRE", "h", "100")
        step("EXPIREAT", "i", "1")
        step("PEXPIRE", "d", "123456", "NX")
        step("RENAME", "h", "h2")
        step("RENAMENX", "h2", "h3")
        step("COPY", "h3", "copy", "DB", "2")
        step("MOVE", "b", "3")
        step("SELECT", "3")
        step("COPY", "b", "b2")
        step("SWAPDB", "3", "4")
        step("SELECT", "0")
        step("PERSIST", "d")
        step("DECRBY", "new", "7")
        step("FLUSHDB")
        step("SET", "last", "v", "PX", "100000")
        step("SELECT", "2")
        step("DEL", "copy")
        step("SET", "z", "1")

        let replica = Engine()
        replica.isReplaying = true
        let client = replica.newClient()
        for effect in log {
            client.db = effect.db
            let reply = run(replica, client, effect.argv)
            #expect(!reply.isError, "\(effect.argv.map(\.text)) -> \(reply)")
            replica.pendingEffects.removeAll()
        }
        #expect(Self.dump(replica) == Self.dump(s.engine))
        #expect(!Self.dump(s.engine).isEmpty)
    }

    @Test func flushallReplays() {
        let s = TestServer()
        var log: [Effect] = []
        s("SET", "a", "1")
        s("SELECT", "5")
        s("SET", "b", "1")
        s("FLUSHALL", "ASYNC")
        s("SET", "c", "1")
        log = s.effects()
        let replica = Engine()
        replica.isReplaying = true
        let client = replica.newClient()
        for effect in log {
            client.db = effect.db
            run(replica, client, effect.argv)
        }
        #expect(Self.dump(replica) == Self.dump(s.engine))
        #expect(Self.dump(replica).count == 1)
    }
}
