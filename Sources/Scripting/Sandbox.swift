/// The Lua side of the sandbox, run once per VM with full privileges (chunk `=mnemo`).
/// It builds what scripts see — Redis 7's globals, read-only library tables, the `redis`
/// table — and returns the pieces the Swift side keeps in the registry. Errors it raises on
/// a script's behalf skip its own frames, so they point at the script's line as Redis's do.
enum Sandbox {
    static let prelude = #"""
    local api = ...
    local error, rawget, rawset, setmetatable, getmetatable, type, next, select, load, pairs, ipairs =
          error, rawget, rawset, setmetatable, getmetatable, type, next, select, load, pairs, ipairs
    local rawtostring, format, mathtype, floor = tostring, string.format, math.type, math.floor
    local getinfo = debug.getinfo

    -- Lua 5.1 prints floats with %.14g (so 10/2 is "5", not "5.0").
    local function tostring(v)
      if mathtype(v) == 'float' then return format('%.14g', v) end
      return rawtostring(v)
    end

    -- Tables scripts may read but not change, as Redis 7 makes them read-only.
    local realOf = setmetatable({}, {__mode = 'k'})
    local function refuse() error('Attempt to modify a readonly table', 2) end

    local function protect(real)
      local proxy = {}
      realOf[proxy] = real
      return setmetatable(proxy, {
        __index = real, __newindex = refuse, __metatable = false,
        __pairs = function() return next, real, nil end,
        __len = function() return #real end,
      })
    end

    local function missing(k)
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
    end

    -- A globals table: reading an unknown name is an error, writing is refused. A name that
    -- exists is read through a table (`__index = storage`), which the VM follows itself: a
    -- function there would be a Lua call for every global a script reads. Only a miss in
    -- `storage` calls a function (its own metatable's), from the script's frame as before.
    local function strict(storage)
      local proxy = {}
      realOf[proxy] = storage
      setmetatable(storage, {__index = function(_, k) missing(k) end})
      return setmetatable(proxy, {
        __index = storage, __newindex = refuse, __metatable = false,
        __pairs = function() return next, storage, nil end,
      })
    end

    -- Redis's error-reply text from "-CODE message" (or "-message": code ERR).
    local function errorText(msg)
      local code, body
      local sp = msg:find(' ', 1, true)
      if sp then code, body = msg:sub(2, sp - 1), msg:sub(sp + 1) else code, body = 'ERR', msg:sub(2) end
      body = (body:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', ''))
      return code .. ' ' .. body
    end

    local redis = {
      call = api.call, pcall = api.pcall, sha1hex = api.sha1hex, log = api.log,
      setresp = api.setresp, set_repl = api.set_repl, acl_check_cmd = api.acl_check_cmd,
      LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
      REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
      REDIS_VERSION = api.version, REDIS_VERSION_NUM = api.version_num,
    }
    function redis.error_reply(...)
      local msg = ...
      if select('#', ...) ~= 1 or type(msg) ~= 'string' then
        return {err = 'ERR wrong number or type of arguments'}
      end
      if msg:sub(1, 1) ~= '-' then msg = '-' .. msg end
      return {err = errorText(msg)}
    end
    function redis.status_reply(...)
      local msg = ...
      if select('#', ...) ~= 1 or type(msg) ~= 'string' then
        return {err = 'ERR wrong number or type of arguments'}
      end
      return {ok = msg}
    end
    function redis.replicate_commands() return true end
    function redis.breakpoint() return false end
    function redis.debug() end

    local scriptEnv -- set below; loadstring/load compile into it
    local function sandboxedLoad(chunk, name, mode, env)
      return load(chunk, name, 't', env or scriptEnv)
    end

    local storage = {
      assert = assert, collectgarbage = collectgarbage, error = error, getmetatable = getmetatable,
      ipairs = ipairs, next = next, pairs = pairs, pcall = pcall, rawequal = rawequal, rawget = rawget,
      select = select, tonumber = tonumber, tostring = tostring, type = type, xpcall = xpcall,
      _VERSION = _VERSION, unpack = table.unpack,
      loadstring = function(s, name) return sandboxedLoad(s, name) end,
      load = sandboxedLoad,
      gcinfo = function() return floor(collectgarbage('count')) end,
      rawset = function(t, k, v)
        if realOf[t] then error('Attempt to modify a readonly table', 0) end
        return rawset(t, k, v)
      end,
      setmetatable = function(t, mt)
        if realOf[t] then error('Attempt to modify a readonly table', 0) end
        return setmetatable(t, mt)
      end,
    }
    table.getn = function(t) return #t end
    table.maxn = function(t)
      local m = 0
      for k in pairs(t) do if type(k) == 'number' and k > m then m = k end end
      return m
    end
    for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
      storage[name] = protect(_G[name])
    end
    storage.redis = protect(redis)
    -- Method calls on strings go through the same read-only string table.
    local stringMeta = getmetatable('')
    stringMeta.__index = storage.string
    stringMeta.__metatable = protect(stringMeta)

    scriptEnv = strict(storage)
    storage._G = scriptEnv

    -- FUNCTION LOAD runs library code with only redis.register_function / log / constants.
    local loadRedis = {
      register_function = api.register_function, log = api.log,
      LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
      REDIS_VERSION = api.version, REDIS_VERSION_NUM = api.version_num,
    }
    local loadStorage = {redis = strict(loadRedis)}

    -- A library's globals: the load-time API while it loads, the full one afterwards.
    local function libraryEnv()
      local loading = true
      local env = {}
      realOf[env] = storage
      local meta = {
        __index = function(_, k)
          local v = rawget(loading and loadStorage or storage, k)
          if v == nil then missing(k) end
          return v
        end,
        __newindex = refuse, __metatable = false,
        __pairs = function() return next, loading and loadStorage or storage, nil end,
      }
      setmetatable(env, meta)
      -- Loaded: its functions read globals as scripts do, through the table.
      return env, function() loading = false; meta.__index = storage end
    end

    -- The message handler: Redis's error table with the script's source and line.
    local function handler(err)
      local level, info = 2, nil
      repeat
        info = getinfo(level, 'Sl')
        level = level + 1
      until not info or (info.what ~= 'C' and info.source ~= '=mnemo')
      if type(err) ~= 'table' or realOf[err] then err = {err = 'ERR ' .. tostring(err)} end
      if info then
        rawset(err, 'source', info.source)
        rawset(err, 'line', info.currentline)
      end
      return err
    end

    return {env = scriptEnv, storage = storage, handler = handler, libraryEnv = libraryEnv}
    """#
}
