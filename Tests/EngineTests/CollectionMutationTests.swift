#if canImport(Glibc)
import Glibc
#endif
import RESP
import Testing

@testable import Engine

/// `Engine.mutate` (one probe, in place) and the one-reference collection values: changes
/// happen in place only when nothing else holds the value, so a snapshot keeps what it saw.
@Suite struct CollectionMutationTests {
    /// A copy of the keyspace (what BGSAVE takes) is not touched by later changes of any type.
    @Test func keyspaceCopyKeepsItsValues() {
        let s = TestServer()
        s("RPUSH", "l", "a", "b")
        s("SADD", "s", "1", "2")
        s("SADD", "sh", "x", "y")
        s("HSET", "h", "f", "v")
        s("ZADD", "z", "1", "m")
        let snapshot = s.engine.databases[0]
        s("RPUSH", "l", "c")
        s("SADD", "s", "3")
        s("SADD", "sh", "z")
        s("HSET", "h", "g", "w")
        s("ZADD", "z", "2", "n")
        #expect(s("LLEN", "l") == int(3))
        #expect(s("SCARD", "s") == int(3))
        #expect(s("SCARD", "sh") == int(3))
        #expect(s("HLEN", "h") == int(2))
        #expect(s("ZCARD", "z") == int(2))
        func count(_ key: String) -> Int? {
            switch snapshot.raw(Bytes(key))?.value {
            case .list(let l): return l.count
            case .set(let v): return v.count
            case .hash(let h): return h.count
            case .zset(let z): return z.count
            default: return nil
            }
        }
        #expect(count("l") == 2)
        #expect(count("s") == 2)
        #expect(count("sh") == 2)
        #expect(count("h") == 1)
        #expect(count("z") == 1)
    }

    /// A value read out of the keyspace is a snapshot too: changing the key later leaves it.
    @Test func heldValueIsNotChangedInPlace() throws {
        let s = TestServer()
        s("SADD", "s", "a")
        guard case .set(let held) = s.entry("s")!.value else { Issue.record("not a set"); return }
        s("SADD", "s", "b")
        #expect(held.count == 1)
        #expect(!held.contains(Bytes("b")))
    }

    /// A new key enters the keyspace only if the change leaves something in it: a body that
    /// throws or adds nothing creates no key, signals no change and reports no `del`.
    @Test func failedCreationLeavesNothing() throws {
        let s = TestServer()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        s.engine.beginExecution()
        #expect(throws: RedisError.self) {
            try s.engine.mutate(db: 0, Bytes("k"), as: SetValue.self, create: true) { _ -> (Void, Bool) in
                throw RedisError.syntax
            }
        }
        let nothing = try s.engine.mutate(db: 0, Bytes("k"), as: SetValue.self, create: true) { _ in (7, false) }
        #expect(nothing == 7)
        #expect(s.entry("k") == nil)
        #expect(events.isEmpty)
        #expect(s.changed.isEmpty)
        // XX never creates; an expired key counts as missing (and is expired, logged as DEL).
        #expect(s("ZADD", "z", "XX", "1", "m") == int(0))
        #expect(s.entry("z") == nil)
        s("ZADD", "z", "1", "m")
        s.expireNow("z")
        _ = s.effects()
        #expect(s("ZADD", "z", "XX", "2", "m") == int(0))
        #expect(s.effectWords() == [["DEL", "z"]])
        #expect(s.entry("z") == nil)
    }

    /// The short-integer fast path of score parsing gives exactly what `strtod` gives.
    @Test func parseDoubleMatchesStrtod() {
        var inputs = ["0", "-0", "7", "-7", "007", "-007", "123456789012345", "-123456789012345",
                      "1234567890123456", "9999999999999999", "-", "", "1.5", "+5", " 5", "5 ", "1e3",
                      "inf", "-inf", "nan", "12a", "0x10", "--1", "000000000000000001"]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let digits = Int.random(in: 1...17, using: &rng)
            var t = Bool.random(using: &rng) ? "-" : ""
            for _ in 0..<digits { t.append(Character(String(Int.random(in: 0...9, using: &rng)))) }
            inputs.append(t)
        }
        for text in inputs {
            let got = Numbers.parseDouble(Bytes(text))
            var end: UnsafeMutablePointer<CChar>? = nil
            let reference: Double? = text.withCString { p in
                let v = strtod(p, &end)
                return !text.isEmpty && end! - UnsafeMutablePointer(mutating: p) == text.utf8.count
                    && !v.isNaN && text.first != " " && text.last != " " ? v : nil
            }
            #expect(got?.bitPattern == reference?.bitPattern, "\(text)")
        }
    }
}

/// SET finds the key once and writes the new value into the slot it found: expiry, KEEPTTL and
/// the index of keys with a TTL must come out as with a lookup followed by an insert.
@Suite struct SetInPlaceTests {
    @Test func replacingKeepsTheExpiryIndexRight() {
        let s = TestServer()
        let db = { s.engine.databases[0] }
        #expect(s("SET", "k", "a", "EX", "100") == .ok)
        #expect(db().volatileCount == 1)
        #expect(s("SET", "k", "b", "KEEPTTL") == .ok)
        #expect(db().volatileCount == 1)
        #expect(s.entry("k")!.expireAt > s.now)
        #expect(s("SET", "k", "c") == .ok)  // a plain SET drops the TTL
        #expect(db().volatileCount == 0)
        #expect(s.entry("k")!.expireAt == 0)
        #expect(s("SET", "k", "d", "PX", "100000") == .ok)
        #expect(db().volatileCount == 1)
        #expect(s("GET", "k") == bulk("d"))
        #expect(s("SET", "k", "e", "XX") == .ok)
        #expect(s("SET", "k", "f", "NX") == .null)
        #expect(s("GET", "k") == bulk("e"))
        #expect(db().count == 1)
    }

    @Test func anExpiredKeyIsExpiredFirst() {
        let s = TestServer()
        var events: [String] = []
        s.engine.onKeyspaceEvent = { _, e, _, _ in events.append(e) }
        s("SET", "k", "old", "EX", "100")
        s.expireNow("k")
        _ = s.effects()
        events.removeAll()
        #expect(s("SET", "k", "x", "XX") == .null)  // expired = missing
        #expect(s.effectWords() == [["DEL", "k"]])
        #expect(events == ["expired"])
        #expect(s("SET", "k", "new", "KEEPTTL") == .ok)  // no TTL left to keep
        #expect(s.entry("k")!.expireAt == 0)
        #expect(s.engine.databases[0].volatileCount == 0)
        #expect(s("GET", "k") == bulk("new"))
    }

    /// A read moves the access clock in the same probe (OBJECT IDLETIME restarts).
    @Test func readsTouchTheEntry() {
        let s = TestServer()
        s("SET", "k", "v")
        s.engine.databases[0].touch(Bytes("k"), now: s.now - 10_000)
        #expect(s("OBJECT", "IDLETIME", "k") == int(10))
        s("GET", "k")
        #expect(s("OBJECT", "IDLETIME", "k") == int(0))
    }
}
