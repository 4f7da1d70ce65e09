#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import LuaShim
import RESP

/// The Swift half of the `redis` table. Each function returns a result count, or -1 after
/// pushing the error value that the C trampoline raises (never raising itself).
enum RedisAPI {
    static let call: mnemo_swift_function = { L in LuaVM.with(L) { $0.redisCall(L!, raise: true) } }
    static let pcall: mnemo_swift_function = { L in LuaVM.with(L) { $0.redisCall(L!, raise: false) } }

    static let sha1hex: mnemo_swift_function = { L in
        let L = L!
        guard lua_gettop(L) == 1 else {
            lua_pusherrortable(L, "ERR wrong number of arguments")
            return -1
        }
        let bytes = lua_tostring(L, 1) ?? []
        lua_pushswiftstring(L, SHA1.hex(bytes))
        return 1
    }

    static let log: mnemo_swift_function = { L in
        let vm = LuaVM.from(L)
        let L = L!
        let argc = lua_gettop(L)
        guard argc >= 2 else {
            lua_pusherrortable(L, "ERR redis.log() requires two arguments or more.")
            return -1
        }
        guard lua_type(L, 1) == LUA_TNUMBER else {
            lua_pusherrortable(L, "ERR First argument must be a number (log level).")
            return -1
        }
        let level = lua_tointeger(L, 1)
        guard (0...3).contains(level) else {
            lua_pusherrortable(L, "ERR Invalid debug level.")
            return -1
        }
        var parts: [String] = []
        for i in 2...argc where lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER {
            // Numbers are converted on a copy, so the argument itself stays a number.
            lua_pushvalue(L, i)
            parts.append(lua_tostring(L, -1)?.text ?? "")
            lua_pop(L, 1)
        }
        vm.host.log(Int(level), parts.joined(separator: " "))
        return 0
    }

    static let setresp: mnemo_swift_function = { L in
        let vm = LuaVM.from(L)
        let L = L!
        guard lua_gettop(L) == 1 else {
            lua_pusherrortable(L, "ERR redis.setresp() requires one argument.")
            return -1
        }
        let v = lua_tonumber(L, 1)
        guard v == 2 || v == 3 else {
            lua_pusherrortable(L, "ERR RESP version must be 2 or 3.")
            return -1
        }
        if let run = vm.run {
            run.resp = v == 3 ? .resp3 : .resp2
            run.client.resp = run.resp
        }
        return 0
    }

    /// Validated like Redis, then ignored: every write of a script is in the durable log.
    static let setRepl: mnemo_swift_function = { L in
        let L = L!
        guard lua_gettop(L) == 1 else {
            lua_pusherrortable(L, "ERR redis.set_repl() requires one argument.")
            return -1
        }
        let flags = lua_tonumber(L, 1)
        guard flags == 0 || flags == 1 || flags == 2 || flags == 3 else {
            lua_pusherrortable(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
            return -1
        }
        return 0
    }

    static let aclCheckCmd: mnemo_swift_function = { L in
        let vm = LuaVM.from(L)
        let L = L!
        guard let run = vm.run else { return 0 }
        var error: RedisError?
        guard let argv = vm.arguments(L, error: &error) else {
            lua_pusherrortable(L, error!.text)
            return -1
        }
        guard let spec = run.dispatcher.resolve(argv, error: &error) else {
            lua_pusherrortable(L, "ERR Invalid command passed to redis.acl_check_cmd()")
            return -1
        }
        // The Dispatcher's check gates (ACL) decide, as for a real call by the script's user.
        let denied = run.dispatcher.runCheckGates(run.client, spec, argv) != nil
        lua_pushboolean(L, denied ? 0 : 1)
        return 1
    }

    static let registerFunction: mnemo_swift_function = { L in LuaVM.from(L).registerFunction(L!) }
}

extension LuaVM {
    /// The arguments of redis.call & co. as a command line (Redis's rules: strings, and numbers
    /// in full precision; anything else is refused).
    /// nil with `error` set if an argument is of another type. (Not a `Result`: destroying
    /// one goes through the runtime's generic value witnesses, element by element.)
    func arguments(_ L: LuaState, error: inout RedisError?) -> [Bytes]? {
        let argc = lua_gettop(L)
        guard argc > 0 else {
            error = RedisError("Please specify at least one argument for this redis lib call")
            return nil
        }
        var argv: [Bytes] = []
        swap(&argv, &spareArguments)
        argv.reserveCapacity(Int(argc))
        for i in 1...argc {
            switch lua_type(L, i) {
            case LUA_TSTRING:
                var len = 0
                let p = UnsafeRawPointer(lua_tolstring(L, i, &len)!)
                argv.append(len <= LuaVM.cachedArgumentLength ? cachedArgument(p, len) : Bytes(UnsafeRawBufferPointer(start: p, count: len)))
            case LUA_TNUMBER:
                if lua_isinteger(L, i) != 0 {
                    argv.append(integerArgument(Int64(lua_tointeger(L, i))))
                } else {
                    argv.append(RESPEncoder.formatDoubleBytes(lua_tonumber(L, i)))
                }
            default:
                error = RedisError("Lua redis lib command arguments must be strings or integers")
                return nil
            }
        }
        return argv
    }

    /// A short argument's bytes, reused if the same Lua string (by address, as Lua keeps one
    /// copy of each short string) was an argument recently: a script repeats its command names,
    /// constant words and keys, and a reused array costs no allocation and no free. An entry is
    /// used only if its bytes still match: Lua may free a string and reuse its address.
    @inline(__always) private func cachedArgument(_ p: UnsafeRawPointer, _ len: Int) -> Bytes {
        let slot = KeyHash.slot(UInt(bitPattern: p), bits: LuaVM.argumentCacheBits)
        if argumentCache[slot].address == p {
            let cached = argumentCache[slot].bytes
            if cached.count == len && (len == 0 || cached.withUnsafeBytes { memcmp($0.baseAddress!, p, len) == 0 }) {
                return cached
            }
        }
        let bytes = Bytes(UnsafeRawBufferPointer(start: p, count: len))
        argumentCache[slot] = (p, bytes)
        return bytes
    }

    /// An integer argument's text, reused if the same number was an argument recently (a
    /// script passes the same score or increment to several calls).
    @inline(__always) private func integerArgument(_ v: Int64) -> Bytes {
        let slot = KeyHash.slot(UInt(bitPattern: Int(v)), bits: LuaVM.integerCacheBits)
        if integerCache[slot].value == v && !integerCache[slot].bytes.isEmpty { return integerCache[slot].bytes }
        let bytes = RESPEncoder.integerBytes(v)
        integerCache[slot] = (v, bytes)
        return bytes
    }

    func redisCall(_ L: LuaState, raise: Bool) -> Int32 {
        func fail(_ text: String) -> Int32 {
            lua_pusherrortable(L, text)
            return raise ? -1 : 1
        }
        guard let runRef else { return fail("ERR redis.call is not available here") }
        var error: RedisError?
        guard var argv = arguments(L, error: &error) else { return fail(error!.text) }
        // Lua keeps one copy of a short string: the name's address identifies a call site's command.
        let nameKey = lua_type(L, 1) == LUA_TSTRING ? UInt(bitPattern: lua_tolstring(L, 1, nil)) : 0
        let reply = hostRef._withUnsafeGuaranteedRef { host in
            runRef._withUnsafeGuaranteedRef { host.execute(argv, nameKey: nameKey, run: $0) }
        }
        if argv.capacity <= 32 {
            // Emptied one by one: `removeAll(keepingCapacity:)` destroys through the runtime's
            // generic value witnesses (about 800 instructions for a call's four arguments).
            while argv.popLast() != nil {}
            swap(&argv, &spareArguments)  // a move: an assignment would retain one and release the other
        }
        if case .error(let text) = reply { return fail(Conversion.trimCRLF(text)) }
        Conversion.push(L, reply, resp: runRef._withUnsafeGuaranteedRef { $0.resp })
        return 1
    }

    /// redis.register_function(name, callback) or redis.register_function{function_name=…,
    /// callback=…, flags={…}, description=…}, during FUNCTION LOAD.
    func registerFunction(_ L: LuaState) -> Int32 {
        func fail(_ message: String) -> Int32 {
            lua_pusherrortable(L, "ERR " + message)
            return -1
        }
        guard let builder = loading else { return fail("redis.register_function can only be called on FUNCTION LOAD command") }
        let argc = lua_gettop(L)
        var name: Bytes?
        var flags: ScriptFlags = []
        var description: Bytes?
        var callbackSlot: Int32 = 0
        if argc == 1 {
            guard lua_istable(L, 1) else {
                return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
            }
            lua_settop(L, 2)  // slot 2 receives the callback
            lua_pushnil(L)
            while lua_next(L, 1) != 0 {
                guard lua_type(L, -2) == LUA_TSTRING else {
                    return fail("named argument key given to redis.register_function is not a string")
                }
                let key = lua_tostring(L, -2)?.text ?? ""
                switch key {
                case "function_name":
                    guard lua_isstring(L, -1) != 0 else {
                        return fail("function_name argument given to redis.register_function must be a string")
                    }
                    lua_pushvalue(L, -1)
                    name = lua_tostring(L, -1)
                    lua_pop(L, 1)
                case "description":
                    guard lua_isstring(L, -1) != 0 else {
                        return fail("description argument given to redis.register_function must be a string")
                    }
                    lua_pushvalue(L, -1)
                    description = lua_tostring(L, -1)
                    lua_pop(L, 1)
                case "callback":
                    guard lua_isfunction(L, -1) else {
                        return fail("callback argument given to redis.register_function must be a function")
                    }
                    lua_pushvalue(L, -1)
                    lua_replace(L, 2)
                    callbackSlot = 2
                case "flags":
                    guard lua_istable(L, -1) else {
                        return fail("flags argument to redis.register_function must be a table representing function flags")
                    }
                    let t = lua_gettop(L)
                    lua_pushnil(L)
                    while lua_next(L, t) != 0 {
                        guard lua_type(L, -1) == LUA_TSTRING, let f = ScriptFlags.named(lua_tostring(L, -1)?.text ?? "") else {
                            return fail("unknown flag given")
                        }
                        flags.insert(f)
                        lua_pop(L, 1)
                    }
                default:
                    return fail("unknown argument given to redis.register_function")
                }
                lua_pop(L, 1)
            }
            guard name != nil else { return fail("redis.register_function must get a function name argument") }
            guard callbackSlot != 0 else { return fail("redis.register_function must get a callback argument") }
        } else if argc == 2 {
            guard lua_isstring(L, 1) != 0 else { return fail("first argument to redis.register_function must be a string") }
            guard lua_isfunction(L, 2) else { return fail("second argument to redis.register_function must be a function") }
            lua_pushvalue(L, 1)
            name = lua_tostring(L, -1)
            lua_pop(L, 1)
            callbackSlot = 2
        } else {
            return fail("wrong number of arguments to redis.register_function")
        }
        let fname = name!.text
        guard FunctionLibrary.isValidName(name!) else {
            return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        }
        if builder.functions.contains(where: { $0.name == fname }) { return fail("Function already exists in the library") }
        lua_pushvalue(L, callbackSlot)
        let ref = luaL_ref(L, LUA_REGISTRYINDEX_)
        builder.functions.append(ScriptFunction(name: fname, ref: ref, flags: flags, description: description))
        return 0
    }
}
