import CLua
import Testing

@Suite("Lua 5.4 links")
struct LuaLinkTests {
    @Test func runsASnippet() {
        let L = luaL_newstate()!
        defer { lua_close(L) }
        luaL_openlibs(L)
        #expect(luaL_loadstring(L, "return 6 * 7") == LUA_OK)
        #expect(lua_pcallk(L, 0, 1, 0, 0, nil) == LUA_OK)
        #expect(lua_tointegerx(L, -1, nil) == 42)
    }
}
