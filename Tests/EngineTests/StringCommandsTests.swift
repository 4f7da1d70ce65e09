import RESP
import Testing

@testable import Engine

@Suite struct StringCommandsTests {
    // MARK: SET and its variants

    @Test func setAndGet() {
        let s = TestServer()
        #expect(s("SET", "k", "v") == .ok)
        #expect(s("GET", "k") == bulk("v"))
        #expect(s("GET", "missing") == .null)
        #expect(s.effectWords() == [["SET", "k", "v"]])
    }

    @Test func setRepeatedExpiryOfSameKindIsAccepted() {
        let s = TestServer()
        #expect(s("SET", "k", "v", "EX", "10", "EX", "20") == .ok)
        #expect(s("TTL", "k") == int(20))
        #expect(s("SET", "k", "v", "EX", "10", "PX", "20") == err("ERR syntax error"))
        #expect(s("SET", "k", "v", "KEEPTTL", "EX", "20") == err("ERR syntax error"))
        #expect(s("SET", "k", "v", "NX", "XX") == err("ERR syntax error"))
        #expect(s("SET", "k", "v", "PERSIST") == err("ERR syntax error"))
        #expect(s("SET", "k", "v", "EX") == err("ERR syntax error"))
        // Syntax is checked before the expire value.
        #expect(s("SET", "k", "v", "EX", "abc", "FOO") == err("ERR syntax error"))
        #expect(s("SET", "k", "v", "EX", "abc") == err("ERR value is not an integer or out of range"))
        #expect(s("SET", "k", "v", "EX", "0") == err("ERR invalid expire time in 'set' command"))
    }

    @Test func setExpiryIsLoggedAsAbsolutePXAT() {
        let s = TestServer()
        _ = s.effects()
        let before = s.now
        s("SET", "k", "v", "EX", "100")
        let e = s.effectWords()
        #expect(e.count == 1)
        #expect(Array(e[0].prefix(4)) == ["SET", "k", "v", "PXAT"])
        let at = Int64(e[0][4])!
        #expect(at >= before + 100_000 && at <= s.now + 100_000)
        #expect(s.entry("k")?.expireAt == at)
    }

    @Test func setNXWithGet() {
        let s = TestServer()
        s("SET", "k", "old")
        _ = s.effects()
        #expect(s("SET", "k", "new", "NX", "GET") == bulk("old"))
        #expect(s.effects().isEmpty)
        #expect(s("SET", "k", "new", "XX", "GET") == bulk("old"))
        #expect(s("GET", "k") == bulk("new"))
    }

    @Test func setnx() {
        let s = TestServer()
        #expect(s("SETNX", "k", "a") == int(1))
        #expect(s("SETNX", "k", "b") == int(0))
        #expect(s("GET", "k") == bulk("a"))
        #expect(s.effectWords() == [["SET", "k", "a"]])
    }

    @Test func setexAndPsetex() {
        let s = TestServer()
        #expect(s("SETEX", "k", "100", "v") == .ok)
        #expect(s("TTL", "k") == int(100))
        let e = s.effectWords()
        #expect(e.count == 1 && e[0][0] == "SET" && e[0][3] == "PXAT")
        #expect(s("PSETEX", "k", "5000", "v") == .ok)
        let p = s("PTTL", "k").int!
        #expect(p > 4000 && p <= 5000)
        #expect(s("SETEX", "k", "0", "v") == err("ERR invalid expire time in 'setex' command"))
        #expect(s("PSETEX", "k", "-5", "v") == err("ERR invalid expire time in 'psetex' command"))
        #expect(s("SETEX", "k", "x", "v") == err("ERR value is not an integer or out of range"))
        #expect(s("SETEX", "k", "9223372036854775", "v") == err("ERR invalid expire time in 'setex' command"))
        #expect(s("SETEX", "k", "1") == err("ERR wrong number of arguments for 'setex' command"))
    }

    @Test func getsetReturnsOldValueAndClearsTTL() {
        let s = TestServer()
        #expect(s("GETSET", "k", "a") == .null)
        s("EXPIRE", "k", "100")
        _ = s.effects()
        #expect(s("GETSET", "k", "b") == bulk("a"))
        #expect(s("TTL", "k") == int(-1))
        #expect(s.effectWords() == [["SET", "k", "b"]])
    }

    @Test func getdel() {
        let s = TestServer()
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("GETDEL", "k") == bulk("v"))
        #expect(s("EXISTS", "k") == int(0))
        #expect(s.effectWords() == [["DEL", "k"]])
        #expect(s("GETDEL", "k") == .null)
        #expect(s.effects().isEmpty)
    }

    @Test func getexOptions() {
        let s = TestServer()
        #expect(s("GETEX", "nokey", "EX", "abc") == .null)
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("GETEX", "k") == bulk("v"))
        #expect(s.effects().isEmpty)

        let before = s.now
        #expect(s("GETEX", "k", "EX", "100") == bulk("v"))
        let e = s.effectWords()
        #expect(e.count == 1 && e[0][0] == "PEXPIREAT" && e[0][1] == "k")
        let at = Int64(e[0][2])!
        #expect(at >= before + 100_000 && at <= s.now + 100_000)

        #expect(s("GETEX", "k", "PERSIST") == bulk("v"))
        #expect(s.effectWords() == [["PERSIST", "k"]])
        #expect(s("TTL", "k") == int(-1))
        #expect(s("GETEX", "k", "PERSIST", "PERSIST") == bulk("v"))
        #expect(s.effects().isEmpty)  // nothing to persist

        #expect(s("GETEX", "k", "PXAT", String(s.now + 50_000)) == bulk("v"))
        #expect(s.effectWords()[0][0] == "PEXPIREAT")
    }

    @Test func getexInThePastDeletes() {
        let s = TestServer()
        s("SET", "k", "v")
        _ = s.effects()
        #expect(s("GETEX", "k", "EXAT", "1") == bulk("v"))
        #expect(s.effectWords() == [["DEL", "k"]])
        #expect(s("EXISTS", "k") == int(0))
    }

    @Test func getexErrors() {
        let s = TestServer()
        s("SET", "k", "v")
        #expect(s("GETEX", "k", "EX", "10", "PERSIST") == err("ERR syntax error"))
        #expect(s("GETEX", "k", "PERSIST", "EX", "10") == err("ERR syntax error"))
        #expect(s("GETEX", "k", "EX", "10", "PX", "10") == err("ERR syntax error"))
        #expect(s("GETEX", "k", "EX") == err("ERR syntax error"))
        #expect(s("GETEX", "k", "KEEPTTL") == err("ERR syntax error"))
        #expect(s("GETEX", "k", "EX", "0") == err("ERR invalid expire time in 'getex' command"))
        #expect(s("GETEX", "k", "EX", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("GETEX", "k", "EX", "10", "EX", "20") == bulk("v"))
    }

    @Test func mgetMsetMsetnx() {
        let s = TestServer()
        #expect(s("MSET", "a", "1", "b", "2") == .ok)
        #expect(s.effectWords() == [["MSET", "a", "1", "b", "2"]])
        #expect(s("MGET", "a", "x", "b") == .array([bulk("1"), .null, bulk("2")]))
        #expect(s("MSET", "a", "1", "b") == err("ERR wrong number of arguments for 'mset' command"))
        #expect(s("MSETNX", "a", "1", "b") == err("ERR wrong number of arguments for 'msetnx' command"))
        #expect(s("MSETNX", "c", "3", "a", "9") == int(0))
        #expect(s("GET", "c") == .null)
        #expect(s.effects().isEmpty)
        #expect(s("MSETNX", "c", "3", "d", "4") == int(1))
        #expect(s.effectWords() == [["MSET", "c", "3", "d", "4"]])
        s("EXPIRE", "a", "100")
        s("MSET", "a", "5")
        #expect(s("TTL", "a") == int(-1))
    }

    // MARK: counters

    @Test func incrDecr() {
        let s = TestServer()
        #expect(s("INCR", "n") == int(1))
        #expect(s("INCRBY", "n", "10") == int(11))
        #expect(s("DECR", "n") == int(10))
        #expect(s("DECRBY", "n", "-5") == int(15))
        #expect(s("GET", "n") == bulk("15"))
        #expect(
            s.effectWords() == [["INCR", "n"], ["INCRBY", "n", "10"], ["DECR", "n"], ["DECRBY", "n", "-5"]])
    }

    @Test func incrErrors() {
        let s = TestServer()
        s("SET", "n", "9223372036854775807")
        #expect(s("INCR", "n") == err("ERR increment or decrement would overflow"))
        s("SET", "n", "-9223372036854775808")
        #expect(s("DECR", "n") == err("ERR increment or decrement would overflow"))
        #expect(s("DECRBY", "n", "-9223372036854775808") == err("ERR decrement would overflow"))
        s("SET", "n", " 1")
        #expect(s("INCR", "n") == err("ERR value is not an integer or out of range"))
        s("SET", "n", "01")
        #expect(s("INCR", "n") == err("ERR value is not an integer or out of range"))
        #expect(s("INCRBY", "m", "1.5") == err("ERR value is not an integer or out of range"))
        #expect(s("INCRBY", "m", "9223372036854775808") == err("ERR value is not an integer or out of range"))
        _ = s.effects()
        s("SET", "n", "abc")
        _ = s.effects()
        #expect(s("INCR", "n") == err("ERR value is not an integer or out of range"))
        #expect(s.effects().isEmpty)
    }

    @Test func incrKeepsTTL() {
        let s = TestServer()
        s("SET", "n", "1", "EX", "100")
        s("INCR", "n")
        #expect(s("TTL", "n") == int(100))
    }

    @Test func incrbyfloat() {
        let s = TestServer()
        s("SET", "f", "10.50")
        _ = s.effects()
        #expect(s("INCRBYFLOAT", "f", "0.1") == bulk("10.6"))
        #expect(s.effectWords() == [["SET", "f", "10.6", "KEEPTTL"]])
        #expect(s("INCRBYFLOAT", "f", "-5") == bulk("5.6"))
        s("SET", "f", "5.0e3")
        #expect(s("INCRBYFLOAT", "f", "2.0e2") == bulk("5200"))
        #expect(s("INCRBYFLOAT", "g", "3") == bulk("3"))
        #expect(s("INCRBYFLOAT", "g", "0x10") == bulk("19"))
        #expect(s("INCRBYFLOAT", "g", "-19") == bulk("0"))
        s("SET", "f", "1", "EX", "100")
        s("INCRBYFLOAT", "f", "1")
        #expect(s("TTL", "f") == int(100))
    }

    @Test func incrbyfloatErrors() {
        let s = TestServer()
        s("SET", "f", "1")
        _ = s.effects()
        #expect(s("INCRBYFLOAT", "f", "inf") == err("ERR increment would produce NaN or Infinity"))
        #expect(s("INCRBYFLOAT", "f", "nan") == err("ERR value is not a valid float"))
        #expect(s("INCRBYFLOAT", "f", " 1") == err("ERR value is not a valid float"))
        #expect(s("INCRBYFLOAT", "f", "1.5e") == err("ERR value is not a valid float"))
        #expect(s("INCRBYFLOAT", "f", "") == err("ERR value is not a valid float"))
        s("SET", "f", "abc")
        _ = s.effects()
        #expect(s("INCRBYFLOAT", "f", "1") == err("ERR value is not a valid float"))
        #expect(s.effects().isEmpty)
    }

    #if arch(x86_64)
        @Test func incrbyfloatUsesLongDouble() {
            let s = TestServer()
            // A denormal long double is a valid increment in Redis, and prints as 0.
            #expect(s("INCRBYFLOAT", "f", "1e-4940") == bulk("0"))
            s("SET", "g", "0.1")
            // 80-bit precision: 0.1 + 0.2 prints as 0.3 (a double would give 0.30000000000000004).
            #expect(s("INCRBYFLOAT", "g", "0.2") == bulk("0.3"))
        }
    #endif

    // MARK: APPEND, ranges

    @Test func append() {
        let s = TestServer()
        #expect(s("APPEND", "k", "Hello") == int(5))
        #expect(s("APPEND", "k", " World") == int(11))
        #expect(s("GET", "k") == bulk("Hello World"))
        #expect(s("APPEND", "k", "") == int(11))
        #expect(s.effectWords() == [["APPEND", "k", "Hello"], ["APPEND", "k", " World"]])
        s("EXPIRE", "k", "100")
        s("APPEND", "k", "!")
        #expect(s("TTL", "k") == int(100))
    }

    @Test func appendRespectsProtoMaxBulkLength() {
        var settings = EngineSettings()
        settings.protoMaxBulkLength = 10
        let s = TestServer(settings: settings)
        s("SET", "k", "12345")
        #expect(s("APPEND", "k", "67890") == int(10))
        #expect(s("APPEND", "k", "x") == err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
        #expect(s("SETRANGE", "k", "10", "x") == err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
        #expect(s("SETRANGE", "new", "9", "x") == int(10))
        #expect(s("SETRANGE", "new2", "10", "x") == err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"))
    }

    @Test func getrange() {
        let s = TestServer()
        s("SET", "k", "This is a string")
        #expect(s("GETRANGE", "k", "0", "3") == bulk("This"))
        #expect(s("GETRANGE", "k", "-3", "-1") == bulk("ing"))
        #expect(s("GETRANGE", "k", "0", "-1") == bulk("This is a string"))
        #expect(s("GETRANGE", "k", "10", "100") == bulk("string"))
        #expect(s("GETRANGE", "k", "-1", "-5") == bulk(""))
        #expect(s("GETRANGE", "k", "5", "3") == bulk(""))
        #expect(s("GETRANGE", "k", "-100", "2") == bulk("Thi"))
        #expect(s("GETRANGE", "k", "-9223372036854775808", "9223372036854775807") == bulk("This is a string"))
        #expect(s("GETRANGE", "missing", "0", "-1") == bulk(""))
        #expect(s("GETRANGE", "k", "a", "1") == err("ERR value is not an integer or out of range"))
        #expect(s("SUBSTR", "k", "0", "3") == bulk("This"))
        s("SET", "e", "")
        #expect(s("GETRANGE", "e", "0", "-1") == bulk(""))
    }

    @Test func setrange() {
        let s = TestServer()
        s("SET", "k", "Hello World")
        _ = s.effects()
        #expect(s("SETRANGE", "k", "6", "Redis") == int(11))
        #expect(s("GET", "k") == bulk("Hello Redis"))
        #expect(s.effectWords() == [["SETRANGE", "k", "6", "Redis"]])
        #expect(s("SETRANGE", "k", "13", "!") == int(14))
        #expect(s("GET", "k") == .bulk(Bytes("Hello Redis") + [0, 0] + Bytes("!")))
        #expect(s("SETRANGE", "pad", "3", "x") == .integer(4))
        #expect(s("GET", "pad") == .bulk([0, 0, 0, 120]))
        _ = s.effects()
        #expect(s("SETRANGE", "none", "5", "") == int(0))
        #expect(s("EXISTS", "none") == int(0))
        #expect(s("SETRANGE", "k", "100", "") == int(14))
        #expect(s.effects().isEmpty)
        #expect(s("SETRANGE", "k", "-1", "x") == err("ERR offset is out of range"))
        #expect(s("SETRANGE", "k", "x", "x") == err("ERR value is not an integer or out of range"))
    }

    @Test func strlen() {
        let s = TestServer()
        #expect(s("STRLEN", "k") == int(0))
        s("SET", "k", "hello")
        #expect(s("STRLEN", "k") == int(5))
    }

    // MARK: LCS

    @Test func lcs() {
        let s = TestServer()
        s("MSET", "a", "ohmytext", "b", "mynewtext")
        #expect(s("LCS", "a", "b") == bulk("mytext"))
        #expect(s("LCS", "a", "b", "LEN") == int(6))
        #expect(s("LCS", "a", "missing") == bulk(""))
        let range: (Int64, Int64) -> RESPValue = { .array([int($0), int($1)]) }
        #expect(
            s("LCS", "a", "b", "IDX")
                == .map([
                    (bulk("matches"), .array([.array([range(4, 7), range(5, 8)]), .array([range(2, 3), range(0, 1)])])),
                    (bulk("len"), int(6)),
                ]))
        #expect(
            s("LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN")
                == .map([
                    (bulk("matches"), .array([.array([range(4, 7), range(5, 8), int(4)])])),
                    (bulk("len"), int(6)),
                ]))
        #expect(s.effects().count == 1)  // only the MSET
    }

    @Test func lcsErrors() {
        let s = TestServer()
        s("MSET", "a", "ohmytext", "b", "mynewtext")
        #expect(s("LCS", "a", "b", "IDX", "LEN") == err("ERR If you want both the length and indexes, please just use IDX."))
        #expect(s("LCS", "a", "b", "MINMATCHLEN") == err("ERR syntax error"))
        #expect(s("LCS", "a", "b", "MINMATCHLEN", "x") == err("ERR value is not an integer or out of range"))
        #expect(s("LCS", "a", "b", "FOO") == err("ERR syntax error"))
        var settings = EngineSettings()
        settings.protoMaxBulkLength = 100
        let small = TestServer(settings: settings)
        small("MSET", "a", "0123456789", "b", "0123456789")
        #expect(
            small("LCS", "a", "b")
                == err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"))
    }

    // MARK: declarations

    @Test func specsMatchRedis() {
        let table = CommandTable(BuiltinCommands.all)
        func spec(_ name: String) -> CommandSpec { table.lookup(Bytes(name))! }
        #expect(spec("append").flags == [.write, .denyoom, .fast])
        #expect(spec("getrange").aclCategories == [.read, .string, .slow])
        let msetRange = spec("mset").legacyKeyRange
        #expect(msetRange.0 == 1 && msetRange.1 == -1 && msetRange.2 == 2)
        #expect(spec("msetnx").keys([Bytes("msetnx"), Bytes("a"), Bytes("1"), Bytes("b"), Bytes("2")]) == [Bytes("a"), Bytes("b")])
        #expect(spec("lcs").keys([Bytes("lcs"), Bytes("a"), Bytes("b"), Bytes("LEN")]) == [Bytes("a"), Bytes("b")])
        #expect(spec("setex").aclCategories == [.write, .string, .slow])
        #expect(spec("getdel").keySpecs[0].flags == [.RW, .access, .delete])
    }
}
