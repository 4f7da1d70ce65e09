import Engine
import LuaShim
import NIOCore
import RESP

/// Redis's conversion rules between replies and Lua values, both ways, RESP2 and RESP3.
/// Everything here reads tables with raw access only (no metamethods, so nothing can raise).
enum Conversion {
    static let maxDepth = 256

    // MARK: reply → Lua (what redis.call returns to the script)

    /// Pushes a command's reply as the script sees it under `redis.setresp(resp)`.
    static func push(_ L: LuaState, _ reply: RESPValue, resp: RESPVersion, depth: Int = 0) {
        guard depth < maxDepth, lua_checkstack(L, 4) != 0 else {
            lua_pushnil(L)
            return
        }
        let resp3 = resp == .resp3
        switch reply {
        case .simple(let s):
            lua_createtable(L, 0, 1)
            lua_pushswiftstring(L, s)
            lua_setfield(L, -2, "ok")
        case .error(let e):
            lua_pusherrortable(L, trimCRLF(e))
        case .integer(let i):
            lua_pushinteger(L, lua_Integer(i))
        case .bulk(let b):
            lua_pushbytes(L, b)
        case .raw(let bytes):
            // Encoded already (commands do that only for connections): read back, if it is one reply.
            if let value = RESPValue(encoded: bytes) { return push(L, value, resp: resp, depth: depth) }
            if resp3 { lua_pushnil(L) } else { lua_pushboolean(L, 0) }
        case .null, .nullArray:
            if resp3 { lua_pushnil(L) } else { lua_pushboolean(L, 0) }
        case .array(let items), .push(let items):
            pushArray(L, items, resp: resp, depth: depth)
        case .set(let items):
            if !resp3 { return pushArray(L, items, resp: resp, depth: depth) }
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(clamping: items.count))
            for item in items {
                push(L, item, resp: resp, depth: depth + 1)
                if lua_isnil(L, -1) {
                    lua_pop(L, 1)
                    continue
                }
                lua_pushboolean(L, 1)
                lua_rawset(L, -3)
            }
            lua_setfield(L, -2, "set")
        case .map(let pairs):
            if !resp3 { return pushArray(L, pairs.flatMap { [$0.0, $0.1] }, resp: resp, depth: depth) }
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(clamping: pairs.count))
            for (k, v) in pairs {
                push(L, k, resp: resp, depth: depth + 1)
                push(L, v, resp: resp, depth: depth + 1)
                if lua_isnil(L, -2) {
                    lua_pop(L, 2)
                    continue
                }
                lua_rawset(L, -3)
            }
            lua_setfield(L, -2, "map")
        case .double(let d):
            if resp3 {
                lua_createtable(L, 0, 1)
                lua_pushnumber(L, d)
                lua_setfield(L, -2, "double")
            } else {
                RESPEncoder.withDoubleText(d) { lua_pushbytes(L, $0) }
            }
        case .boolean(let b):
            if resp3 { lua_pushboolean(L, b ? 1 : 0) } else { lua_pushinteger(L, b ? 1 : 0) }
        case .bigNumber(let n):
            if resp3 {
                lua_createtable(L, 0, 1)
                lua_pushswiftstring(L, n)
                lua_setfield(L, -2, "big_number")
            } else {
                lua_pushswiftstring(L, n)
            }
        case .verbatim(let format, let text):
            if resp3 {
                lua_createtable(L, 0, 1)
                lua_createtable(L, 0, 2)
                lua_pushswiftstring(L, format)
                lua_setfield(L, -2, "format")
                lua_pushbytes(L, text)
                lua_setfield(L, -2, "string")
                lua_setfield(L, -2, "verbatim_string")
            } else {
                lua_pushbytes(L, text)
            }
        }
    }

    private static func pushArray(_ L: LuaState, _ items: [RESPValue], resp: RESPVersion, depth: Int) {
        lua_createtable(L, Int32(clamping: items.count), 0)
        for (i, item) in items.enumerated() {
            push(L, item, resp: resp, depth: depth + 1)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }

    // MARK: Lua → reply (what a script returns)

    /// Converts the value at `index` (absolute) with the rules of a script whose protocol is `resp`.
    static func reply(_ L: LuaState, _ index: Int32, resp: RESPVersion, depth: Int = 0) -> RESPValue {
        var sink = ValueSink()
        emit(L, index, resp: resp, depth: depth, into: &sink)
        return sink.result
    }

    /// The same, encoded at once for a client speaking `version` when it is an array (a reply
    /// that only goes to a connection: no value per element is built, retained and destroyed,
    /// and strings are copied once, from Lua's memory). Anything else stays a value (an error
    /// reply must still count as one).
    static func encodedReply(_ L: LuaState, _ index: Int32, resp: RESPVersion, version: RESPVersion) -> RESPValue {
        guard lua_type(L, index) == LUA_TTABLE, isPlainArray(L, index) else { return reply(L, index, resp: resp) }
        var sink = EncodingSink(version: version)
        emitArray(L, index, resp: resp, depth: 0, into: &sink)
        return .raw(Array(sink.buffer.readableBytesView))
    }

    /// Walks a value as Redis converts it, telling `sink` what it finds.
    private static func emit<Sink: ReplySink>(_ L: LuaState, _ index: Int32, resp: RESPVersion, depth: Int, into sink: inout Sink) {
        guard depth < maxDepth, lua_checkstack(L, 4) != 0 else { return sink.scalar(.error("ERR reached lua stack limit")) }
        switch lua_type(L, index) {
        case LUA_TSTRING:
            var len = 0
            let p = lua_tolstring(L, index, &len)
            sink.bulk(UnsafeRawBufferPointer(start: p, count: len))
        case LUA_TBOOLEAN:
            let b = lua_toboolean(L, index) != 0
            sink.scalar(resp == .resp3 ? .boolean(b) : b ? .integer(1) : .null)
        case LUA_TNUMBER:
            sink.scalar(.integer(lua_isinteger(L, index) != 0 ? lua_tointeger(L, index) : truncate(lua_tonumber(L, index))))
        case LUA_TTABLE:
            if isPlainArray(L, index) {
                emitArray(L, index, resp: resp, depth: depth, into: &sink)
            } else {
                sink.scalar(tableReply(L, index, resp: resp, depth: depth))
            }
        default:
            sink.scalar(.null)
        }
    }

    /// The table's array part, up to the first nil (as Redis).
    private static func emitArray<Sink: ReplySink>(_ L: LuaState, _ t: Int32, resp: RESPVersion, depth: Int, into sink: inout Sink) {
        var count: lua_Integer = 0
        while lua_rawgeti(L, t, count + 1) != LUA_TNIL {
            lua_pop(L, 1)
            count += 1
        }
        lua_pop(L, 1)
        sink.beginArray(count: Int(count))
        for j in 0..<count {
            lua_rawgeti(L, t, j + 1)
            emit(L, lua_gettop(L), resp: resp, depth: depth + 1, into: &sink)
            lua_pop(L, 1)
        }
    }

    /// A table with none of the fields that make it another reply type (`err`, `ok`, `double`,
    /// `big_number`, `map`, `set`, `verbatim_string`): an array.
    private static func isPlainArray(_ L: LuaState, _ t: Int32) -> Bool {
        // The common case first: no key after the array part (`next` from its last index),
        // so none of those fields: two calls instead of seven lookups by name.
        let n = lua_rawlen(L, t)
        if n > 0 { lua_pushinteger(L, lua_Integer(n)) } else { lua_pushnil(L) }
        if lua_next(L, t) == 0 { return true }
        lua_pop(L, 2)
        return !(has(L, t, "err", LUA_TSTRING) || has(L, t, "ok", LUA_TSTRING) || has(L, t, "double", LUA_TNUMBER)
            || has(L, t, "big_number", LUA_TSTRING) || has(L, t, "map", LUA_TTABLE) || has(L, t, "set", LUA_TTABLE)
            || has(L, t, "verbatim_string", LUA_TTABLE))
    }

    private static func has(_ L: LuaState, _ t: Int32, _ name: StaticString, _ type: Int32) -> Bool {
        guard field(L, t, name, type) else { return false }
        lua_pop(L, 1)
        return true
    }

    /// Lua numbers become integer replies by truncation; like C on x86, what does not fit is INT64_MIN.
    static func truncate(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9_223_372_036_854_775_808.0 || d < -9_223_372_036_854_775_808.0 { return Int64.min }
        return Int64(d)
    }

    /// `t[field]` (raw) if it has type `type`: left on the stack (returns true), else nothing pushed.
    private static func field(_ L: LuaState, _ t: Int32, _ name: StaticString, _ type: Int32) -> Bool {
        lua_pushstatic(L, name)
        if lua_rawget(L, t) == type { return true }
        lua_pop(L, 1)
        return false
    }

    /// A table that is another reply type than an array (see `isPlainArray`).
    private static func tableReply(_ L: LuaState, _ t: Int32, resp: RESPVersion, depth: Int) -> RESPValue {
        if field(L, t, "err", LUA_TSTRING) {
            defer { lua_pop(L, 1) }
            return .error(statusText(trimCRLF(lua_tostring(L, -1)?.text ?? "")))
        }
        if field(L, t, "ok", LUA_TSTRING) {
            defer { lua_pop(L, 1) }
            return .simple(statusText(lua_tostring(L, -1)?.text ?? ""))
        }
        if field(L, t, "double", LUA_TNUMBER) {
            defer { lua_pop(L, 1) }
            return .double(lua_tonumber(L, -1))
        }
        if field(L, t, "big_number", LUA_TSTRING) {
            defer { lua_pop(L, 1) }
            return .bigNumber(statusText(lua_tostring(L, -1)?.text ?? ""))
        }
        if field(L, t, "map", LUA_TTABLE) {
            defer { lua_pop(L, 1) }
            let m = lua_gettop(L)
            var pairs: [(RESPValue, RESPValue)] = []
            lua_pushnil(L)
            while lua_next(L, m) != 0 {
                let top = lua_gettop(L)
                pairs.append((reply(L, top - 1, resp: resp, depth: depth + 1), reply(L, top, resp: resp, depth: depth + 1)))
                lua_pop(L, 1)
            }
            return .map(pairs)
        }
        if field(L, t, "set", LUA_TTABLE) {
            defer { lua_pop(L, 1) }
            let s = lua_gettop(L)
            var items: [RESPValue] = []
            lua_pushnil(L)
            while lua_next(L, s) != 0 {
                items.append(reply(L, lua_gettop(L) - 1, resp: resp, depth: depth + 1))
                lua_pop(L, 1)
            }
            return .set(items)
        }
        if field(L, t, "verbatim_string", LUA_TTABLE) {
            let v = lua_gettop(L)
            defer { lua_settop(L, v - 1) }
            if field(L, v, "format", LUA_TSTRING), field(L, v, "string", LUA_TSTRING) {
                let format = lua_tostring(L, -2) ?? []
                let text = lua_tostring(L, -1) ?? []
                return .verbatim(format: String(decoding: format.prefix(3), as: UTF8.self), text: text)
            }
        }
        // A verbatim_string table without both its fields: the table's array part.
        var sink = ValueSink()
        emitArray(L, t, resp: resp, depth: depth, into: &sink)
        return sink.result
    }

    /// Status and error texts cannot hold line breaks: Redis maps them to spaces.
    static func statusText(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 13 || $0 == 10 }) else { return s }
        return String(decoding: s.utf8.map { $0 == 13 || $0 == 10 ? 32 : $0 }, as: UTF8.self)
    }

    static func trimCRLF(_ s: String) -> String {
        var b = Array(s.utf8)
        while let l = b.last, l == 13 || l == 10 { b.removeLast() }
        var i = 0
        while i < b.count, b[i] == 13 || b[i] == 10 { i += 1 }
        return String(decoding: b[i...], as: UTF8.self)
    }
}

/// Where `Conversion.emit` puts a script's reply.
private protocol ReplySink {
    /// Anything but a bulk string or an array.
    mutating func scalar(_ value: RESPValue)
    mutating func bulk(_ bytes: UnsafeRawBufferPointer)
    /// An array of `count` elements, which follow.
    mutating func beginArray(count: Int)
}

/// Builds the reply as a value (for callers that read it, and the rarer reply types).
private struct ValueSink: ReplySink {
    var result = RESPValue.null
    /// Arrays being filled, innermost last, with how many elements each still expects.
    private var open: [(items: [RESPValue], missing: Int)] = []

    mutating func scalar(_ value: RESPValue) { put(value) }
    mutating func bulk(_ bytes: UnsafeRawBufferPointer) { put(.bulk(Array(bytes))) }

    mutating func beginArray(count: Int) {
        if count == 0 { return put(.array([])) }
        var items: [RESPValue] = []
        items.reserveCapacity(count)
        open.append((items, count))
    }

    private mutating func put(_ value: RESPValue) {
        guard !open.isEmpty else {
            result = value
            return
        }
        let last = open.count - 1
        open[last].items.append(value)
        open[last].missing -= 1
        if open[last].missing == 0 { put(.array(open.removeLast().items)) }
    }
}

/// Encodes the reply for a connection.
private struct EncodingSink: ReplySink {
    let version: RESPVersion
    var buffer = ByteBufferAllocator().buffer(capacity: 256)

    init(version: RESPVersion) { self.version = version }

    mutating func scalar(_ value: RESPValue) { RESPEncoder.encode(value, version: version, into: &buffer) }
    mutating func bulk(_ bytes: UnsafeRawBufferPointer) { buffer.writeBulk(bytes) }
    mutating func beginArray(count: Int) { buffer.writeHeader(UInt8(ascii: "*"), count) }
}
