import Engine
import LuaShim

/// Swift equivalents of the Lua 5.4 C API macros (Swift imports functions, not macros).
public typealias LuaState = OpaquePointer

public let LUA_REGISTRYINDEX_: Int32 = Int32(mnemo_registry_index)

@inline(__always) public func lua_pop(_ L: LuaState, _ n: Int32) { lua_settop(L, -n - 1) }
@inline(__always) public func lua_newtable(_ L: LuaState) { lua_createtable(L, 0, 0) }
@inline(__always) public func lua_pcall(_ L: LuaState, _ nargs: Int32, _ nresults: Int32, _ msgh: Int32) -> Int32 {
    lua_pcallk(L, nargs, nresults, msgh, 0, nil)
}
@inline(__always) public func lua_isnil(_ L: LuaState, _ i: Int32) -> Bool { lua_type(L, i) == LUA_TNIL }
@inline(__always) public func lua_isnone(_ L: LuaState, _ i: Int32) -> Bool { lua_type(L, i) == LUA_TNONE }
@inline(__always) public func lua_istable(_ L: LuaState, _ i: Int32) -> Bool { lua_type(L, i) == LUA_TTABLE }
@inline(__always) public func lua_isfunction(_ L: LuaState, _ i: Int32) -> Bool { lua_type(L, i) == LUA_TFUNCTION }
@inline(__always) public func lua_isboolean(_ L: LuaState, _ i: Int32) -> Bool { lua_type(L, i) == LUA_TBOOLEAN }
@inline(__always) public func lua_tonumber(_ L: LuaState, _ i: Int32) -> Double { lua_tonumberx(L, i, nil) }
@inline(__always) public func lua_tointeger(_ L: LuaState, _ i: Int32) -> Int64 { Int64(lua_tointegerx(L, i, nil)) }
@inline(__always) public func lua_insert(_ L: LuaState, _ i: Int32) { lua_rotate(L, i, 1) }
@inline(__always) public func lua_remove(_ L: LuaState, _ i: Int32) {
    lua_rotate(L, i, -1)
    lua_pop(L, 1)
}
@inline(__always) public func lua_replace(_ L: LuaState, _ i: Int32) {
    lua_copy(L, -1, i)
    lua_pop(L, 1)
}

/// `lua_tostring`: the bytes of a string (or number, converted in place), nil otherwise.
public func lua_tostring(_ L: LuaState, _ i: Int32) -> Bytes? {
    var len = 0
    guard let p = lua_tolstring(L, i, &len) else { return nil }
    return Bytes(UnsafeRawBufferPointer(start: p, count: len))
}

public func lua_pushbytes<C: Collection>(_ L: LuaState, _ b: C) where C.Element == UInt8 {
    if let done = b.withContiguousStorageIfAvailable({ p -> Void in
        _ = lua_pushlstring(L, UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), p.count)
    }) {
        return done
    }
    let copy = Array(b)
    copy.withUnsafeBufferPointer { p in
        _ = lua_pushlstring(L, UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), p.count)
    }
}

public func lua_pushswiftstring(_ L: LuaState, _ s: String) { lua_pushbytes(L, Array(s.utf8)) }

/// Pushes a literal without copying it first.
@inline(__always) public func lua_pushstatic(_ L: LuaState, _ s: StaticString) {
    _ = lua_pushlstring(L, UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self), s.utf8CodeUnitCount)
}

/// `lua_register`: a global Swift function (through the trampoline).
public func lua_register(_ L: LuaState, _ name: String, _ f: mnemo_swift_function) {
    mnemo_push_function(L, f)
    lua_setglobal(L, name)
}

/// Sets `t[name] = f` for the table at `index` (absolute) with a Swift function.
public func lua_setfunction(_ L: LuaState, _ index: Int32, _ name: String, _ f: mnemo_swift_function) {
    mnemo_push_function(L, f)
    lua_setfield(L, index, name)
}

/// Pushes Redis's error table `{err = text}`.
public func lua_pusherrortable(_ L: LuaState, _ text: String) {
    lua_createtable(L, 0, 1)
    lua_pushswiftstring(L, text)
    lua_setfield(L, -2, "err")
}
