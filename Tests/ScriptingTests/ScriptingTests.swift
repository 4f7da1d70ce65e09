import Engine
import LuaShim
import RESP
import Testing

@testable import Scripting

/// An engine with the scripting commands, driven like the server drives it.
final class ScriptHarness {
    let engine = Engine()
    let dispatcher: Dispatcher
    let scripting = ScriptingEngine()
    let client: Client
    var log: [[Effect]] = []

    init() {
        dispatcher = Dispatcher(engine: engine)
        engine.register(scripting.specs)
        client = engine.newClient()
    }

    @discardableResult
    func call(_ words: String...) -> RESPValue { run(words.map { Bytes($0) }) }

    @discardableResult
    func run(_ argv: [Bytes]) -> RESPValue {
        engine.beginExecution()
        var reply = dispatcher.execute(argv, client: client)
        if !engine.pendingEffects.isEmpty { log.append(engine.pendingEffects) }
        engine.pendingEffects.removeAll()
        // A script's array reply to a client comes encoded already: tests compare values.
        if case .raw(let bytes) = reply, let value = RESPValue(encoded: bytes) { reply = value }
        return reply
    }

    func eval(_ script: String, _ rest: String...) -> RESPValue {
        run([Bytes("EVAL"), Bytes(script)] + (rest.isEmpty ? [Bytes("0")] : rest.map { Bytes($0) }))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ConversionTests {
    @Test func luaValuesBecomeRedisReplies() {
        let h = ScriptHarness()
        #expect(h.eval("return 1") == .integer(1))
        #expect(h.eval("return -3.99") == .integer(-3))
        #expect(h.eval("return 2^63") == .integer(Int64.min))
        #expect(h.eval("return 0/0") == .integer(Int64.min))
        #expect(h.eval("return 'x'") == .bulk("x"))
        #expect(h.eval("return true") == .integer(1))
        #expect(h.eval("return false") == .null)
        #expect(h.eval("return nil") == .null)
        #expect(h.eval("return {1, 'a', {2}, nil, 5}") == .array([.integer(1), .bulk("a"), .array([.integer(2)])]))
        #expect(h.eval("return {ok='fine'}") == .simple("fine"))
        #expect(h.eval("return {ok='a\\r\\nb'}") == .simple("a  b"))
        #expect(h.eval("return {err='MY bad'}") == .error("MY bad"))
        #expect(h.eval("return {err=5}") == .array([]))
        #expect(h.eval("return {double=3.5}") == .double(3.5))
        #expect(h.eval("return {big_number='12345678901234567890'}") == .bigNumber("12345678901234567890"))
        #expect(h.eval("return {map={a=1}}") == .map([(.bulk("a"), .integer(1))]))
        #expect(h.eval("return {set={a=true}}") == .set([.bulk("a")]))
        #expect(h.eval("return {verbatim_string={format='markdown', string='x'}}") == .verbatim(format: "mar", text: Bytes("x")))
        #expect(h.eval("redis.setresp(3) return true") == .boolean(true))
        #expect(h.eval("redis.setresp(3) return false") == .boolean(false))
    }

    @Test func argumentsKeepTheirBytesAcrossManyStrings() {
        // redis.call reuses short arguments' bytes by Lua string address: many distinct strings
        // (more than its 64 entries, colliding) and rebuilt ones must still arrive exactly.
        let h = ScriptHarness()
        #expect(h.eval("for i = 1, 300 do redis.call('set', 'k' .. i, 'v' .. (i * 7)) end return 1") == .integer(1))
        #expect(h.eval("local bad = 0 for i = 300, 1, -1 do if redis.call('get', 'k' .. i) ~= 'v' .. (i * 7) then bad = bad + 1 end end return bad") == .integer(0))
        #expect(h.call("GET", "k123") == .bulk(Bytes("v861")))
    }

    @Test func repliesBecomeLuaValuesUnderBothProtocols() {
        let h = ScriptHarness()
        h.call("SET", "k", "v")
        #expect(h.eval("return redis.call('get', 'k')") == .bulk("v"))
        #expect(h.eval("return type(redis.call('get', 'nokey'))") == .bulk("boolean"))
        #expect(h.eval("redis.setresp(3) return type(redis.call('get', 'nokey'))") == .bulk("nil"))
        #expect(h.eval("return redis.call('set', 'k', 'v').ok") == .bulk("OK"))
        #expect(h.eval("return redis.pcall('incr', 'k').err") == .bulk("ERR value is not an integer or out of range"))
        #expect(h.eval("return redis.call('exists', 'k')") == .integer(1))
        // Numbers passed to redis.call keep their precision, integers stay integers.
        h.eval("redis.call('set', 'f', 0.1) redis.call('set', 'i', 10/2) redis.call('set', 'n', 7)")
        #expect(h.call("GET", "f") == .bulk("0.10000000000000001"))
        #expect(h.call("GET", "i") == .bulk("5"))
        #expect(h.call("GET", "n") == .bulk("7"))
    }

    @Test func resp3ValuesRoundTripUnderSetresp() {
        let h = ScriptHarness()
        let state = h.scripting.evalVM.L
        let top = lua_gettop(state)
        defer { lua_settop(state, top) }
        for value in [RESPValue.map([(.bulk("a"), .double(1.5))]), .set([.bulk("x")]), .boolean(true), .bigNumber("123"),
                      .verbatim(format: "txt", text: Bytes("t")), .array([.integer(1), .simple("OK")])] {
            Conversion.push(state, value, resp: .resp3)
            #expect(Conversion.reply(state, lua_gettop(state), resp: .resp3) == value)
            lua_settop(state, top)
        }
        Conversion.push(state, .map([(.bulk("a"), .double(1.5))]), resp: .resp2)
        #expect(Conversion.reply(state, lua_gettop(state), resp: .resp2) == .array([.bulk("a"), .bulk("1.5")]))
        lua_settop(state, top)
        Conversion.push(state, .boolean(false), resp: .resp2)
        #expect(Conversion.reply(state, lua_gettop(state), resp: .resp2) == .integer(0))
    }
}

@Suite(.timeLimit(.minutes(1))) struct SandboxTests {
    @Test func globalsAreProtected() {
        let h = ScriptHarness()
        let sha = SHA1.hex(Bytes("x = 5"))
        #expect(h.eval("x = 5") == .error("ERR user_script:1: Attempt to modify a readonly table script: \(sha), on @user_script:1."))
        #expect(h.eval("return y").string?.hasPrefix("ERR user_script:1: Script attempted to access nonexistent global variable 'y'") == true)
        #expect(h.eval("string.foo = 1").string?.contains("Attempt to modify a readonly table") == true)
        #expect(h.eval("redis.call = nil").string?.contains("Attempt to modify a readonly table") == true)
        #expect(h.eval("rawset(_G, 'x', 1)").string?.hasPrefix("ERR Attempt to modify a readonly table") == true)
        #expect(h.eval("load('x = 1')()").string?.contains("Attempt to modify a readonly table") == true)
    }

    @Test func dangerousLibrariesAreAbsent() {
        let h = ScriptHarness()
        for name in ["os", "io", "print", "loadfile", "dofile", "require", "debug", "package"] {
            #expect(h.eval("return type(\(name))").string?.contains("nonexistent global variable '\(name)'") == true)
        }
        #expect(h.eval("return {type(unpack), type(loadstring), type(cjson), type(bit), type(cmsgpack), type(struct)}")
            == .array(Array(repeating: .bulk("function"), count: 2) + Array(repeating: .bulk("table"), count: 4)))
        #expect(h.eval("return loadstring('return 1 + 1')()") == .integer(2))
        #expect(h.eval("return tostring(10/2)") == .bulk("5"))
    }

    @Test func keysAndArgv() {
        let h = ScriptHarness()
        #expect(h.eval("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "k", "a", "b")
            == .array([.bulk("k"), .bulk("a"), .integer(1), .integer(2)]))
        #expect(h.eval("return 1", "2", "a") == .error("ERR Number of keys can't be greater than number of args"))
        #expect(h.eval("return 1", "-1") == .error("ERR Number of keys can't be negative"))
    }

    @Test func mathRandomFollowsRedisSequence() {
        let h = ScriptHarness()
        // rand48 seeded with 0: the values Redis 7.0 gives after math.randomseed(0).
        #expect(h.eval("math.randomseed(0) return {math.random(100), math.random(100), math.random(100)}")
            == .array([.integer(18), .integer(75), .integer(10)]))
    }
}

@Suite(.timeLimit(.minutes(1))) struct ErrorTextTests {
    @Test func scriptRulesAndErrors() {
        let h = ScriptHarness()
        let sha = SHA1.hex(Bytes("return redis.call('nosuch')"))
        #expect(h.eval("return redis.call('nosuch')") == .error("ERR Unknown Redis command called from script script: \(sha), on @user_script:1."))
        #expect(h.eval("return redis.call('get')").string?.hasPrefix("ERR Wrong number of args calling Redis command from script") == true)
        #expect(h.eval("return redis.call()").string?.hasPrefix("ERR Please specify at least one argument for this redis lib call") == true)
        #expect(h.eval("return redis.call('eval', 'return 1', '0')").string?.hasPrefix("ERR This Redis command is not allowed from script") == true)
        #expect(h.eval("return redis.call('set', {})").string?.hasPrefix("ERR Lua redis lib command arguments must be strings or integers") == true)
        #expect(h.run([Bytes("EVAL_RO"), Bytes("return redis.call('set', 'a', 'b')"), Bytes("0")]).string?
            .hasPrefix("ERR Write commands are not allowed from read-only scripts.") == true)
        #expect(h.call("EVALSHA", String(repeating: "f", count: 40), "0") == .error("NOSCRIPT No matching script. Please use EVAL."))
        #expect(h.eval("return +") == .error("ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'"))
        #expect(h.eval("error('boom')").string?.hasPrefix("ERR user_script:1: boom script: ") == true)
        #expect(h.eval("return redis.error_reply('x')") == .error("ERR x"))
        #expect(h.eval("return redis.error_reply('MY x')") == .error("MY x"))
    }

    @Test func scriptCacheCommands() {
        let h = ScriptHarness()
        let loaded = h.call("SCRIPT", "LOAD", "return 'hi'")
        let sha = SHA1.hex(Bytes("return 'hi'"))
        #expect(loaded == .bulk(sha))
        #expect(h.call("EVALSHA", sha.uppercased(), "0") == .bulk("hi"))
        #expect(h.call("SCRIPT", "EXISTS", sha, "nope") == .array([.integer(1), .integer(0)]))
        #expect(h.call("SCRIPT", "FLUSH") == .ok)
        #expect(h.call("SCRIPT", "EXISTS", sha) == .array([.integer(0)]))
        #expect(h.call("SCRIPT", "KILL") == .error("NOTBUSY No scripts in execution right now."))
    }
}

@Suite(.timeLimit(.minutes(1))) struct CompatLibraryTests {
    @Test func cjsonAndBit() {
        let h = ScriptHarness()
        #expect(h.eval("return cjson.encode({1, 2, 3})") == .bulk("[1,2,3]"))
        #expect(h.eval("return cjson.decode('{\"a\":[1,{\"b\":\"c\"}]}').a[2].b") == .bulk("c"))
        #expect(h.eval("return cjson.decode('[null]')[1] == cjson.null") == .integer(1))
        #expect(h.eval("return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(5, 3), bit.lshift(1, 4), bit.tohex(255)}")
            == .array([.integer(15), .integer(3), .integer(6), .integer(16), .bulk("000000ff")]))
    }

    @Test func cmsgpackMatchesTheFormat() {
        let h = ScriptHarness()
        let hex = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end "
        #expect(h.eval(hex + "return hex(cmsgpack.pack({1, 2, 3}))") == .bulk("93010203"))
        #expect(h.eval(hex + "return hex(cmsgpack.pack({a=1}))") == .bulk("81a16101"))
        #expect(h.eval(hex + "return hex(cmsgpack.pack('abc', 300, -5, true, nil))") == .bulk("a3616263cd012cfbc3c0"))
        #expect(h.eval(hex + "return hex(cmsgpack.pack(1.5, 0.1))") == .bulk("ca3fc00000cb3fb999999999999a"))
        #expect(h.eval(hex + "return hex(cmsgpack.pack(-70000, 2^40))") == .bulk("d2fffeee90cf0000010000000000"))
        #expect(h.eval("local a, b, c = cmsgpack.unpack(cmsgpack.pack({1, {2, 'x'}}, 'y', -1)) return {a[2][2], b, c}")
            == .array([.bulk("x"), .bulk("y"), .integer(-1)]))
        #expect(h.eval("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}") == .array([.integer(1), .integer(1)]))
        #expect(h.eval("return cmsgpack.unpack('\\xcd\\x01')").string?.contains("Missing bytes in input.") == true)
        #expect(h.eval("return cmsgpack.unpack('\\xc1')").string?.contains("Bad data format in input.") == true)
    }

    @Test func structPackUnpackSize() {
        let h = ScriptHarness()
        #expect(h.eval("return struct.pack('>I2', 258)") == .bulk([1, 2]))
        #expect(h.eval("return struct.pack('<i4', -2)") == .bulk([0xfe, 0xff, 0xff, 0xff]))
        #expect(h.eval("return {struct.unpack('>I2', 'AB')}") == .array([.integer(0x4142), .integer(3)]))
        #expect(h.eval("return {struct.unpack('<h', '\\xff\\xff')}") == .array([.integer(-1), .integer(3)]))
        #expect(h.eval("return struct.size('>iIhb')") == .integer(11))
        #expect(h.eval("return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'abc'))}") == .array([.bulk("abc"), .integer(5)]))
        #expect(h.eval("return {struct.unpack('s', struct.pack('s', 'zz'))}") == .array([.bulk("zz"), .integer(4)]))
        #expect(h.eval("return {struct.unpack('>d', struct.pack('>d', 2.5))}") == .array([.integer(2), .integer(9)]))
        #expect(h.eval("return struct.pack('y', 1)").string?.contains("invalid format option 'y'") == true)
    }
}

@Suite(.timeLimit(.minutes(1))) struct FunctionTests {
    static let lib = "#!lua name=mylib\nredis.register_function('myset', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n"
        + "redis.register_function{function_name='myget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"

    @Test func loadCallListDelete() {
        let h = ScriptHarness()
        #expect(h.call("FUNCTION", "LOAD", FunctionTests.lib) == .bulk("mylib"))
        #expect(h.call("FCALL", "myset", "1", "k", "v") == .ok)
        #expect(h.call("FCALL_RO", "myget", "1", "k") == .bulk("v"))
        #expect(h.call("FCALL_RO", "myset", "1", "k", "v") == .error("ERR Can not execute a script with write flag using *_ro command."))
        #expect(h.call("FUNCTION", "LOAD", FunctionTests.lib) == .error("ERR Library 'mylib' already exists"))
        #expect(h.call("FUNCTION", "LOAD", "REPLACE", FunctionTests.lib) == .bulk("mylib"))
        #expect(h.call("FUNCTION", "LOAD", "#!lua name=x\nredis.call('get', 'a')")
            == .error("ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"))
        #expect(h.call("FUNCTION", "LOAD", "#!lua name=x\nreturn 1") == .error("ERR No functions registered"))
        #expect(h.call("FUNCTION", "DELETE", "mylib") == .ok)
        #expect(h.call("FCALL", "myset", "0") == .error("ERR Function not found"))
    }

    @Test func libraryChangesAreLoggedVerbatimAndReplay() {
        let h = ScriptHarness()
        h.call("FUNCTION", "LOAD", FunctionTests.lib)
        h.call("FCALL", "myset", "1", "k", "v")
        #expect(h.log.count == 2)
        #expect(h.log[0] == [Effect(db: 0, [Bytes("FUNCTION"), Bytes("LOAD"), Bytes(FunctionTests.lib)])])
        #expect(h.log[1] == [Effect(db: 0, "SET", "k", "v")])
        // Replaying the log on a fresh engine rebuilds the library and the data, without running Lua for data.
        let replica = ScriptHarness()
        replica.engine.isReplaying = true
        for record in h.log { for e in record { replica.client.db = e.db; _ = replica.dispatcher.replay(e.argv, client: replica.client) } }
        replica.engine.isReplaying = false
        #expect(replica.call("FCALL", "myget", "1", "k") == .bulk("v"))
    }

    @Test func scriptWritesFormOneRecord() {
        let h = ScriptHarness()
        h.eval("redis.call('set', 'a', '1') redis.call('select', 2) redis.call('set', 'b', '2') return 1")
        #expect(h.log.count == 1)
        #expect(h.log[0] == [Effect(db: 0, "SET", "a", "1"), Effect(db: 2, "SET", "b", "2")])
        #expect(h.client.db == 0)  // SELECT inside the script does not change the caller's database
    }
}

@Suite(.timeLimit(.minutes(1))) struct HeapLimitTests {
    @Test func runawayAllocationGetsAnError() {
        let h = ScriptHarness()
        h.scripting.heapLimit = 8 << 20
        let reply = h.eval("local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 64) .. i end")
        #expect(reply.string?.contains("Lua heap limit exceeded") == true)
        #expect(h.eval("return 1") == .integer(1))
    }
}
