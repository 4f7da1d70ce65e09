#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import RESP

/// DEBUG subcommands that tests and tools need.
enum DebugCommand {
    static func run(_ ctx: inout CommandContext, _ server: MnemoServer) throws -> RESPValue {
        let sub = ctx.argv[1].lower
        switch sub {
        case "sleep":
            guard ctx.argv.count == 3, let secs = Numbers.parseDouble(ctx.argv[2]) else { throw RedisError.syntax }
            usleep(useconds_t(max(0, secs) * 1_000_000))
            return .ok
        case "set-active-expire":
            guard ctx.argv.count == 3, let v = Numbers.parseInt(ctx.argv[2]) else { throw RedisError.syntax }
            server.activeExpireEnabled = v != 0
            return .ok
        case "object":
            guard ctx.argv.count == 3 else { throw RedisError.syntax }
            guard let e = ctx.engine.lookup(ctx.client.db, ctx.argv[2]) else { throw RedisError.noSuchKey }
            return .simple("Value at:0x0 refcount:1 encoding:\(e.value.encoding) serializedlength:0 lru:0 lru_seconds_idle:\((ctx.now - e.lastAccess) / 1000)")
        case "jmap", "log":
            if ctx.argv.count >= 3 { server.logger.notice("DEBUG LOG: \(ctx.argv[2].text)") }
            return .ok
        case "quicklist-packed-threshold", "listpack", "stringmatch-len", "change-repl-id", "replybuffer":
            return .ok
        case "protocol":
            guard ctx.argv.count == 3 else { throw RedisError.syntax }
            switch ctx.argv[2].lower {
            case "string": return .bulk("Hello World")
            case "integer": return .integer(12345)
            case "double": return .double(3.141)
            case "bignum": return .bigNumber("1234567999999999999999999999999999999")
            case "null": return .null
            case "array": return .array([.integer(0), .integer(1), .integer(2)])
            case "set": return .set([.integer(0), .integer(1), .integer(2)])
            case "map": return .map([(.integer(0), .boolean(false)), (.integer(1), .boolean(true)), (.integer(2), .boolean(false))])
            case "attrib": return .bulk("Some real reply following the attribute")
            case "push": return .push([.bulk("server-cpu-usage"), .integer(42)])
            case "verbatim": return .verbatim(format: "txt", text: Bytes("This is a verbatim\nstring"))
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw RedisError("Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
            }
        default:
            if let handler = server.debugHandlers[sub] { return try handler(&ctx) }
            throw RedisError("unknown subcommand or wrong number of arguments for '\(ctx.argv[1].text)'. Try DEBUG HELP.")
        }
    }
}
