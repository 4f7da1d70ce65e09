import RESP
import Testing

@testable import Engine

@Suite struct BitCommandsTests {
    @Test func setbitLogsOnlyChanges() {
        let s = TestServer()
        #expect(s("SETBIT", "k", "9", "1") == int(0))
        #expect(s("GET", "k") == .bulk([0x00, 0x40]))
        #expect(s("SETBIT", "k", "9", "1") == int(1))
        #expect(s("SETBIT", "k", "9", "0") == int(1))
        // Unchanged bit, no growth: nothing to log.
        #expect(s("SETBIT", "k", "3", "0") == int(0))
        #expect(s.effectWords() == [["SETBIT", "k", "9", "1"], ["SETBIT", "k", "9", "0"]])
    }

    @Test func offsetLimitFollowsProtoMaxBulkLen() {
        var settings = EngineSettings()
        settings.protoMaxBulkLength = 16
        let s = TestServer(settings: settings)
        #expect(s("SETBIT", "k", "127", "1") == int(0))
        #expect(s("SETBIT", "k", "128", "1") == err("ERR bit offset is not an integer or out of range"))
        #expect(s("BITFIELD", "k", "GET", "u8", "#16") == err("ERR bit offset is not an integer or out of range"))
        #expect(s("BITFIELD", "k", "GET", "u8", "#15") == .array([int(1)]))
    }

    @Test func bitcountAndBitposRanges() {
        let s = TestServer()
        s.call([Bytes("SET"), Bytes("k"), [0xFF, 0xF0, 0x00]])
        #expect(s("BITCOUNT", "k") == int(12))
        #expect(s("BITCOUNT", "k", "4", "11", "BIT") == int(8))
        #expect(s("BITCOUNT", "k", "-1", "-3") == int(0))
        #expect(s("BITPOS", "k", "0") == int(12))
        #expect(s("BITPOS", "k", "1", "12", "-1", "BIT") == int(-1))
        #expect(s("BITPOS", "k", "0", "0", "0") == int(-1))
        s.call([Bytes("SET"), Bytes("f"), [0xFF]])
        #expect(s("BITPOS", "f", "0") == int(8))  // zeros continue past the end
        #expect(s("BITPOS", "f", "0", "0", "-1") == int(-1))  // …unless the end is given
    }

    @Test func bitopReplacesDestinationAndDeletesOnEmpty() {
        let s = TestServer()
        s("SET", "d", "x", "EX", "100")
        s.call([Bytes("SET"), Bytes("a"), [0x0F, 0xF0]])
        _ = s.effects()
        #expect(s("BITOP", "NOT", "d", "a") == int(2))
        #expect(s("GET", "d") == .bulk([0xF0, 0x0F]))
        #expect(s.entry("d")?.expireAt == 0)
        #expect(s("BITOP", "AND", "d", "missing") == int(0))
        #expect(s("EXISTS", "d") == int(0))
        #expect(s("BITOP", "AND", "d", "missing") == int(0))
        #expect(s.effectWords() == [["BITOP", "NOT", "d", "a"], ["BITOP", "AND", "d", "missing"]])
    }

    @Test func bitfieldOverflowModes() {
        let s = TestServer()
        #expect(
            s("BITFIELD", "k", "INCRBY", "u4", "0", "20", "OVERFLOW", "SAT", "INCRBY", "u4", "0", "20",
              "OVERFLOW", "FAIL", "INCRBY", "u4", "0", "1", "INCRBY", "i4", "4", "-9")
                == .array([int(4), int(15), .null, .null]))
        #expect(s("BITFIELD", "k", "SET", "i8", "8", "-128", "GET", "u8", "8") == .array([int(0), int(128)]))
    }

    @Test func bitfieldWithoutWritesLogsNothing() {
        let s = TestServer()
        #expect(s("BITFIELD", "k", "GET", "u8", "0") == .array([int(0)]))
        #expect(s("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "0", "7") == .array([.null]))
        #expect(s("EXISTS", "k") == int(0))
        #expect(s("BITFIELD", "k", "SET", "u8", "0", "0") == .array([int(0)]))  // creates the key
        #expect(s("BITFIELD", "k", "SET", "u8", "0", "0") == .array([int(0)]))  // same value: no change
        #expect(s.effectWords() == [["BITFIELD", "k", "SET", "u8", "0", "0"]])
        #expect(s("BITFIELD_RO", "k", "SET", "u8", "0", "1") == err("ERR BITFIELD_RO only supports the GET subcommand"))
    }
}
