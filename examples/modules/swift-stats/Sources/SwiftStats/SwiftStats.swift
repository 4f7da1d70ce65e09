// stats: a Mnemo module written in Swift. It keeps series of numbers in ordinary lists (so any
// client can read them) and summarises them; both commands go through RedisModule_Call.
import CRedisModule

public typealias Ctx = OpaquePointer?
public typealias Argv = UnsafeMutablePointer<OpaquePointer?>?

/// STATS.PUSH key number [number ...]: appends the numbers to the list at key (RPUSH through
/// Call with "!", so it is logged) once every one of them parses; replies the new length.
private func push(_ ctx: Ctx, _ argv: Argv, _ argc: Int32) -> Int32 {
    guard argc >= 3, let argv else { return RedisModule_WrongArity(ctx) }
    RedisModule_AutoMemory(ctx)
    for i in 2..<Int(argc) {
        var value = 0.0
        if RedisModule_StringToDouble(argv[i], &value) != REDISMODULE_OK {
            return RedisModule_ReplyWithError(ctx, "ERR value is not a valid float")
        }
    }
    guard let reply = SwiftModule_Call(ctx, "RPUSH", "!", argv + 1, Int(argc) - 1) else {
        return RedisModule_ReplyWithError(ctx, "ERR RPUSH failed")
    }
    return RedisModule_ReplyWithCallReply(ctx, reply)
}

/// STATS.SUMMARY key: [count, sum, min, max, mean] of the numbers in the list at key (LRANGE
/// through Call); min, max and mean are null for an empty or missing list.
private func summary(_ ctx: Ctx, _ argv: Argv, _ argc: Int32) -> Int32 {
    guard argc == 2, let argv else { return RedisModule_WrongArity(ctx) }
    RedisModule_AutoMemory(ctx)
    var args: [OpaquePointer?] = [argv[1], RedisModule_CreateString(ctx, "0", 1), RedisModule_CreateString(ctx, "-1", 2)]
    let reply = args.withUnsafeMutableBufferPointer { SwiftModule_Call(ctx, "LRANGE", "", $0.baseAddress, $0.count) }
    guard let reply else { return RedisModule_ReplyWithError(ctx, "ERR LRANGE failed") }
    if RedisModule_CallReplyType(reply) == REDISMODULE_REPLY_ERROR {
        return RedisModule_ReplyWithCallReply(ctx, reply)  // WRONGTYPE
    }
    var values: [Double] = []
    for i in 0..<RedisModule_CallReplyLength(reply) {
        var len = 0
        let ptr = RedisModule_CallReplyStringPtr(RedisModule_CallReplyArrayElement(reply, i), &len)
        let text = String(decoding: UnsafeRawBufferPointer(start: ptr, count: len), as: UTF8.self)
        guard let value = Double(text) else {
            return RedisModule_ReplyWithError(ctx, "ERR element '\(text)' is not a number")
        }
        values.append(value)
    }
    _ = RedisModule_ReplyWithArray(ctx, 5)
    _ = RedisModule_ReplyWithLongLong(ctx, Int64(values.count))
    _ = RedisModule_ReplyWithDouble(ctx, values.reduce(0, +))
    if let min = values.min(), let max = values.max() {
        _ = RedisModule_ReplyWithDouble(ctx, min)
        _ = RedisModule_ReplyWithDouble(ctx, max)
        _ = RedisModule_ReplyWithDouble(ctx, values.reduce(0, +) / Double(values.count))
    } else {
        for _ in 0..<3 { _ = RedisModule_ReplyWithNull(ctx) }
    }
    return REDISMODULE_OK
}

@_cdecl("RedisModule_OnLoad")
public func onLoad(_ ctx: Ctx, _ argv: Argv, _ argc: Int32) -> Int32 {
    guard SwiftModule_Init(ctx, "stats", 1) == REDISMODULE_OK,
          RedisModule_CreateCommand(ctx, "stats.push", push, "write deny-oom", 1, 1, 1) == REDISMODULE_OK,
          RedisModule_CreateCommand(ctx, "stats.summary", summary, "readonly", 1, 1, 1) == REDISMODULE_OK
    else { return REDISMODULE_ERR }
    return REDISMODULE_OK
}
