#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import ModuleABI
import RESP

// The Redis module API functions Mnemo provides, registered by name for GetApi. Each is a
// C-convention closure over the handles defined in ModuleObjects/ModuleContext/ModuleKey.
// C types: opaque handles = UnsafeMutableRawPointer?, const char * = UnsafePointer<CChar>?,
// size_t = Int, long long / mstime_t = Int64, int = Int32.

typealias P = UnsafeMutableRawPointer?
typealias CStr = UnsafePointer<CChar>?
let OK: Int32 = 0
let ERR: Int32 = 1

// Shared by the API files of this target (ModuleAPI*, ModuleBlocking).
/// Registers an API function under its `RedisModule_` name for GetApi.
func reg<T>(_ name: String, _ f: T) {
    mnemo_api_register("RedisModule_" + name, unsafeBitCast(f, to: UnsafeMutableRawPointer.self))
}

func text(_ s: CStr) -> String { s.map { String(cString: $0) } ?? "" }
func bytes(_ p: UnsafeRawPointer?, _ n: Int) -> Bytes {
    guard let p, n > 0 else { return [] }
    return Bytes(UnsafeRawBufferPointer(start: p, count: n))
}
func str(_ p: UnsafeRawPointer?) -> Bytes { ModuleString.from(p)?.bytes ?? [] }
/// The host whose module is loading or running (API calls come only from its commands).
var host: ModuleHost { ModuleHost.current! }

enum ModuleAPI {
    nonisolated(unsafe) static var installed = false

    static func install() {
        if installed { return }
        installed = true
        installHost()
        mnemo_abi_register_c_functions()
        registerCore()
        registerReplies()
        registerStrings()
        registerCallReplies()
        registerKeys()
        registerTypes()
        registerMisc()
        registerBlocking()
    }

    // MARK: the C shims' callbacks

    static func installHost() {
        mnemo_host.stringPtrLen = { s, len in
            guard let m = ModuleString.from(s) else { len?.pointee = 0; return nil }
            len?.pointee = m.count
            return UnsafePointer(m.buf)
        }
        mnemo_host.createString = { ctx, p, n in
            if let c = ModuleCtx.from(ctx) { return c.makeString(p, n) }
            return ModuleString(p, n).retainedHandle()
        }
        mnemo_host.call = { ctxp, cmd, flags, args, argc in
            guard let ctx = ModuleCtx.from(ctxp) else { errno = EINVAL; return nil }
            var argv: [Bytes] = [Bytes(text(cmd).utf8)]
            for i in 0..<argc { argv.append(bytes(args![i].ptr, args![i].len)) }
            return ModuleAPI.call(ctx, argv, flags: text(flags))
        }
        mnemo_host.replicate = { ctxp, cmd, args, argc in
            guard let ctx = ModuleCtx.from(ctxp) else { return ERR }
            var argv: [Bytes] = [Bytes(text(cmd).utf8)]
            for i in 0..<argc { argv.append(bytes(args![i].ptr, args![i].len)) }
            ctx.engine.pendingEffects.append(Effect(db: ctx.db, argv))
            return OK
        }
        mnemo_host.emitAOF = { iop, cmd, args, argc in
            guard let io = ModuleIO.from(iop) else { return }
            var argv: [Bytes] = [Bytes(text(cmd).utf8)]
            for i in 0..<argc { argv.append(bytes(args![i].ptr, args![i].len)) }
            io.emitted.append(argv)
        }
        mnemo_host.log = { ctxp, level, msg in
            let name = ModuleCtx.from(ctxp)?.module?.name ?? "module"
            host.log(ModuleAPI.normalizedLevel(text(level)), "<\(name)> \(text(msg))")
        }
        mnemo_host.logIO = { iop, level, msg in
            let name = ModuleIO.from(iop)?.type.moduleName ?? "module"
            host.log(ModuleAPI.normalizedLevel(text(level)), "<\(name)> \(text(msg))")
        }
        mnemo_host.replyWithError = { ctxp, msg in
            guard let ctx = ModuleCtx.from(ctxp) else { return ERR }
            ctx.reply.add(.error(ModuleAPI.errorText(text(msg))))
            return OK
        }
        mnemo_host.hashSetField = { keyp, flags, f, flen, v, vlen, del in
            guard let k = ModuleKey.from(keyp), k.writable else { return -1 }
            let field = bytes(f, flen)
            if del != 0 {
                return k.mutate(HashValue.self, create: false) { h in
                    let removed = h.remove(field)
                    return (removed ? 1 : 0, removed)
                } ?? (k.entry == nil ? 0 : -1)
            }
            let value = bytes(v, vlen)
            let r: Int32? = k.mutate(HashValue.self, create: true) { h in
                let exists = h.contains(field)
                if flags & 1 != 0 && exists { return (0, false) }  // NX
                if flags & 2 != 0 && !exists { return (0, false) }  // XX
                _ = h.set(field, value)
                // COUNT_ALL counts updates too; otherwise only new fields (Redis 7.0).
                return ((flags & 16 != 0 || !exists) ? 1 : 0, true)
            }
            return r ?? -1
        }
        mnemo_host.hashGetField = { keyp, flags, f, flen, out in
            guard let k = ModuleKey.from(keyp), let out else { return -1 }
            let field = bytes(f, flen)
            var found: Bytes?
            if let v = k.value {
                guard case .hash(let h) = v else { return -1 }
                found = h.get(field)
            }
            if flags & 8 != 0 {
                out.assumingMemoryBound(to: Int32.self).pointee = found == nil ? 0 : 1
            } else {
                out.assumingMemoryBound(to: UnsafeMutableRawPointer?.self).pointee = found.map { k.ctx.makeString($0) }
            }
            return 0
        }
        mnemo_host.unsupported = { name in
            let n = text(name)
            host.log("warning", "A module called \(n), which Mnemo does not provide")
            host.stack.last?.unsupported = host.stack.last?.unsupported ?? n
        }
    }

    static func normalizedLevel(_ l: String) -> String {
        switch l { case "debug", "verbose", "notice", "warning": return l; default: return "verbose" }
    }

    /// An error reply's text: Redis keeps a leading error code (uppercase word), else adds ERR.
    static func errorText(_ s: String) -> String {
        let t = s.hasPrefix("-") ? String(s.dropFirst()) : s
        if let first = t.split(separator: " ").first, first.count > 0, first.allSatisfy({ $0.isUppercase }) { return t }
        return "ERR " + t
    }

    // MARK: Call

    static func call(_ ctx: ModuleCtx, _ argv: [Bytes], flags: String) -> P {
        let engine = ctx.engine
        let dispatcher = host.dispatcher
        func fail(_ code: Int32, _ message: String) -> P {
            errno = code
            if flags.contains("E") { return wrap(ctx, .error(message)) }
            return nil
        }
        let spec: CommandSpec
        switch dispatcher.resolve(argv) {
        case .success(let s): spec = s
        case .failure(let e):
            if engine.table.lookup(argv[0]) == nil { return fail(ENOENT, "ERR Unknown Redis command '\(String(decoding: argv[0], as: UTF8.self))'.") }
            return fail(EINVAL, e.text)
        }
        if flags.contains("S") && spec.flags.contains(.noscript) {
            return fail(ESPIPE, "ERR command '\(spec.fullName)' is not allowed from script mode")
        }
        if flags.contains("W") && spec.flags.contains(.write) {
            return fail(ENOSPC, "ERR Write command '\(spec.fullName)' was called while write is not allowed.")
        }
        let client = host.callClient
        client.db = ctx.db
        client.resp = flags.contains("3") ? .resp3 : (flags.contains("0") ? (ctx.client?.resp ?? .resp2) : .resp2)
        client.nonBlockingDepth = 1
        client.multi = nil
        if flags.contains("C") {
            guard let caller = ctx.client else { return fail(ENOTSUP, "ERR no user attached to the module context") }
            client.user = caller.user
            client.authenticated = caller.authenticated
            if let rejected = dispatcher.runCheckGates(client, spec, argv) {
                if case .error(let t) = rejected { return fail(EACCES, t) }
            }
        } else {
            client.user = "default"
        }
        let mark = engine.pendingEffects.count
        let depth = host.stack.count
        var reply = dispatcher.run(spec, argv, client: client)
        if host.stack.count > depth { host.stack.removeLast(host.stack.count - depth) }
        // Without `!`, or with `A` (no AOF), the call's effects are not logged (Redis propagates
        // only with `!`); the module logs what it needs with Replicate/ReplicateVerbatim.
        if !(flags.contains("!") && !flags.contains("A")) && engine.pendingEffects.count > mark {
            engine.pendingEffects.removeSubrange(mark...)
        }
        if client.resp == .resp2 { reply = CallReply.resp2(reply) }
        return wrap(ctx, reply, resp3: client.resp != .resp2)
    }

    static func wrap(_ ctx: ModuleCtx, _ v: RESPValue, resp3: Bool = false) -> P {
        let reply = CallReply(v)
        reply.resp3 = resp3
        let h = Unmanaged.passRetained(reply).toOpaque()
        if ctx.autoMemory { ctx.autoReplies.append(h) }
        return h
    }

    // MARK: core

    static func registerCore() {
        let setAttribs: @convention(c) (P, CStr, Int32, Int32) -> Void = { ctxp, name, ver, apiver in
            guard let m = ModuleCtx.from(ctxp)?.module, m.name.isEmpty else { return }
            m.name = text(name)
            m.version = ver
            m.apiVersion = apiver
        }
        reg("SetModuleAttribs", setAttribs)
        let busy: @convention(c) (CStr) -> Int32 = { name in host.modules[text(name)] != nil ? 1 : 0 }
        reg("IsModuleNameBusy", busy)
        let getApi: @convention(c) (CStr, P) -> Int32 = { name, out in mnemo_get_api(name, out) }
        reg("GetApi", getApi)

        let createCommand: @convention(c) (P, CStr, P, CStr, Int32, Int32, Int32) -> Int32 = { ctxp, name, fn, flags, first, last, step in
            guard let ctx = ModuleCtx.from(ctxp), let m = ctx.module, m.loading else { return ERR }
            let n = text(name).lowercased()
            guard !n.isEmpty, !n.contains(" "), !n.contains("|"), host.engine.table.commands[n] == nil,
                  let (cflags, acl, _) = ModuleHost.parseFlags(text(flags)) else { return ERR }
            var spec = CommandSpec(n, arity: -1, flags: cflags.union(.module), acl: acl,
                                   keys: ModuleHost.keySpecs(first: first, last: last, step: step, flags: cflags),
                                   docs: CommandDocs("", since: "", group: "module", complexity: ""),
                                   handler: fn.map { host.handler(for: $0, module: m, name: n) })
            spec.module = m.name
            host.engine.register([spec])
            m.commands.append(n)
            return OK
        }
        reg("CreateCommand", createCommand)

        let getCommand: @convention(c) (P, CStr) -> P = { ctxp, name in
            guard let ctx = ModuleCtx.from(ctxp), let m = ctx.module else { return nil }
            let n = text(name).lowercased()
            guard m.commands.contains(n) else { return nil }
            return CommandHandle.make(module: m, name: n, sub: nil)
        }
        reg("GetCommand", getCommand)

        let createSub: @convention(c) (P, CStr, P, CStr, Int32, Int32, Int32) -> Int32 = { parentp, name, fn, flags, first, last, step in
            guard let parent = CommandHandle.from(parentp), parent.sub == nil, parent.module.loading,
                  var spec = host.engine.table.commands[parent.name], let fn else { return ERR }
            let n = text(name).lowercased()
            guard !n.isEmpty, !spec.subcommands.contains(where: { $0.name == n }),
                  let (cflags, acl, _) = ModuleHost.parseFlags(text(flags)) else { return ERR }
            var sub = CommandSpec(n, arity: -2, flags: cflags.union(.module), acl: acl,
                                  keys: ModuleHost.keySpecs(first: first, last: last, step: step, flags: cflags),
                                  docs: CommandDocs("", since: "", group: "module", complexity: ""),
                                  handler: host.handler(for: fn, module: parent.module, name: "\(parent.name)|\(n)"))
            sub.container = parent.name
            sub.module = parent.module.name
            spec.subcommands.append(sub)
            spec.handler = nil
            host.engine.replace(spec)
            return OK
        }
        reg("CreateSubcommand", createSub)

        let setInfo: @convention(c) (P, P) -> Int32 = { cmdp, infop in
            guard let cmd = CommandHandle.from(cmdp), let infop else { return ERR }
            return CommandHandle.setInfo(cmd, infop)
        }
        reg("SetCommandInfo", setInfo)

        let wrongArity: @convention(c) (P) -> Int32 = { ctxp in
            guard let ctx = ModuleCtx.from(ctxp) else { return ERR }
            let name = ctx.argv.first.map { String(decoding: $0, as: UTF8.self).lowercased() } ?? ""
            ctx.reply.add(.error("ERR wrong number of arguments for '\(name)' command"))
            return OK
        }
        reg("WrongArity", wrongArity)

        let autoMemory: @convention(c) (P) -> Void = { ctxp in ModuleCtx.from(ctxp)?.autoMemory = true }
        reg("AutoMemory", autoMemory)

        let replicateVerbatim: @convention(c) (P) -> Int32 = { ctxp in
            guard let ctx = ModuleCtx.from(ctxp), !ctx.argv.isEmpty else { return ERR }
            ctx.engine.pendingEffects.append(Effect(db: ctx.client?.db ?? ctx.db, ctx.argv))
            return OK
        }
        reg("ReplicateVerbatim", replicateVerbatim)

        let selectDb: @convention(c) (P, Int32) -> Int32 = { ctxp, db in
            guard let ctx = ModuleCtx.from(ctxp), db >= 0, Int(db) < ctx.engine.databases.count else { return ERR }
            ctx.db = Int(db)
            return OK
        }
        reg("SelectDb", selectDb)
        let getSelectedDb: @convention(c) (P) -> Int32 = { ctxp in Int32(ModuleCtx.from(ctxp)?.db ?? 0) }
        reg("GetSelectedDb", getSelectedDb)
        let getClientId: @convention(c) (P) -> UInt64 = { ctxp in UInt64(ModuleCtx.from(ctxp)?.client?.id ?? 0) }
        reg("GetClientId", getClientId)
        let getContextFlags: @convention(c) (P) -> Int32 = { ctxp in
            // MASTER (1<<2) and AOF (1<<6): Mnemo is a primary with a persistent log; MULTI (1<<1).
            var f: Int32 = (1 << 2) | (1 << 6)
            if let c = ModuleCtx.from(ctxp)?.client, c.multi != nil { f |= 1 << 1 }
            return f
        }
        reg("GetContextFlags", getContextFlags)
    }

    // MARK: replies

    static func registerReplies() {
        func r(_ p: P, _ v: RESPValue) -> Int32 {
            guard let ctx = ModuleCtx.from(p) else { return ERR }
            ctx.reply.add(v)
            return OK
        }
        let ll: @convention(c) (P, Int64) -> Int32 = { p, v in r(p, .integer(v)) }
        reg("ReplyWithLongLong", ll)
        let err: @convention(c) (P, CStr) -> Int32 = { p, s in r(p, .error(ModuleAPI.errorText(text(s)))) }
        reg("ReplyWithError", err)
        let simple: @convention(c) (P, CStr) -> Int32 = { p, s in r(p, .simple(text(s))) }
        reg("ReplyWithSimpleString", simple)
        let buffer: @convention(c) (P, CStr, Int) -> Int32 = { p, s, n in r(p, .bulk(bytes(s, n))) }
        reg("ReplyWithStringBuffer", buffer)
        let cstring: @convention(c) (P, CStr) -> Int32 = { p, s in r(p, .bulk(Bytes(text(s).utf8))) }
        reg("ReplyWithCString", cstring)
        let string: @convention(c) (P, P) -> Int32 = { p, s in r(p, .bulk(str(s))) }
        reg("ReplyWithString", string)
        let empty: @convention(c) (P) -> Int32 = { p in r(p, .bulk([])) }
        reg("ReplyWithEmptyString", empty)
        let verbatim: @convention(c) (P, CStr, Int) -> Int32 = { p, s, n in r(p, .verbatim(format: "txt", text: bytes(s, n))) }
        reg("ReplyWithVerbatimString", verbatim)
        let verbatimType: @convention(c) (P, CStr, Int, CStr) -> Int32 = { p, s, n, ext in
            r(p, .verbatim(format: String(text(ext).prefix(3)), text: bytes(s, n)))
        }
        reg("ReplyWithVerbatimStringType", verbatimType)
        let null: @convention(c) (P) -> Int32 = { p in r(p, .null) }
        reg("ReplyWithNull", null)
        let nullArray: @convention(c) (P) -> Int32 = { p in r(p, .nullArray) }
        reg("ReplyWithNullArray", nullArray)
        let emptyArray: @convention(c) (P) -> Int32 = { p in r(p, .array([])) }
        reg("ReplyWithEmptyArray", emptyArray)
        let bool: @convention(c) (P, Int32) -> Int32 = { p, b in r(p, .boolean(b != 0)) }
        reg("ReplyWithBool", bool)
        let double: @convention(c) (P, Double) -> Int32 = { p, d in r(p, .double(d)) }
        reg("ReplyWithDouble", double)
        let big: @convention(c) (P, CStr, Int) -> Int32 = { p, s, n in r(p, .bigNumber(String(decoding: bytes(s, n), as: UTF8.self))) }
        reg("ReplyWithBigNumber", big)
        let callReply: @convention(c) (P, P) -> Int32 = { p, cr in
            guard let c = CallReply.from(cr) else { return ERR }
            return r(p, c.value)
        }
        reg("ReplyWithCallReply", callReply)

        func open(_ p: P, _ kind: ReplyBuilder.Kind, _ len: Int) -> Int32 {
            guard let ctx = ModuleCtx.from(p) else { return ERR }
            ctx.reply.open(kind, len < 0 ? nil : len)
            return OK
        }
        func setLen(_ p: P, _ kind: ReplyBuilder.Kind, _ len: Int) {
            ModuleCtx.from(p)?.reply.setLength(kind, len)
        }
        let array: @convention(c) (P, Int) -> Int32 = { p, n in open(p, .array, n) }
        reg("ReplyWithArray", array)
        let map: @convention(c) (P, Int) -> Int32 = { p, n in open(p, .map, n) }
        reg("ReplyWithMap", map)
        let set: @convention(c) (P, Int) -> Int32 = { p, n in open(p, .set, n) }
        reg("ReplyWithSet", set)
        let arrayLen: @convention(c) (P, Int) -> Void = { p, n in setLen(p, .array, n) }
        reg("ReplySetArrayLength", arrayLen)
        let mapLen: @convention(c) (P, Int) -> Void = { p, n in setLen(p, .map, n) }
        reg("ReplySetMapLength", mapLen)
        let setLenF: @convention(c) (P, Int) -> Void = { p, n in setLen(p, .set, n) }
        reg("ReplySetSetLength", setLenF)
    }

    // MARK: strings

    static func registerStrings() {
        let create: @convention(c) (P, CStr, Int) -> P = { ctxp, s, n in
            if let c = ModuleCtx.from(ctxp) { return c.makeString(s, n) }
            return ModuleString(s, n).retainedHandle()
        }
        reg("CreateString", create)
        func make(_ ctxp: P, _ b: Bytes) -> P {
            if let c = ModuleCtx.from(ctxp) { return c.makeString(b) }
            return ModuleString(b).retainedHandle()
        }
        let fromLL: @convention(c) (P, Int64) -> P = { c, v in make(c, Bytes(String(v).utf8)) }
        reg("CreateStringFromLongLong", fromLL)
        let fromULL: @convention(c) (P, UInt64) -> P = { c, v in make(c, Bytes(String(v).utf8)) }
        reg("CreateStringFromULongLong", fromULL)
        let fromDouble: @convention(c) (P, Double) -> P = { c, v in make(c, Numbers.formatDouble(v)) }
        reg("CreateStringFromDouble", fromDouble)
        let fromString: @convention(c) (P, P) -> P = { c, s in make(c, str(s)) }
        reg("CreateStringFromString", fromString)
        let fromCallReply: @convention(c) (P) -> P = { r in
            guard let cr = CallReply.from(r) else { return nil }
            let b: Bytes
            switch cr.value {
            case .integer(let i): b = Bytes(String(i).utf8)
            case .double(let d): b = Numbers.formatDouble(d)
            default:
                guard let s = cr.stringBytes else { return nil }
                b = s
            }
            return make(host.stack.last.map { $0.raw }.map { UnsafeMutableRawPointer($0) }, b)
        }
        reg("CreateStringFromCallReply", fromCallReply)
        let freeString: @convention(c) (P, P) -> Void = { ctxp, s in
            guard let s else { return }
            if let c = ModuleCtx.from(ctxp), c.autoMemory, let i = c.autoStrings.lastIndex(of: s) { c.autoStrings.remove(at: i) }
            ModuleString.release(s)
        }
        reg("FreeString", freeString)
        let retain: @convention(c) (P, P) -> Void = { ctxp, s in
            guard let s else { return }
            // Under AutoMemory, retaining takes the string out of the pool instead.
            if let c = ModuleCtx.from(ctxp), c.autoMemory, let i = c.autoStrings.lastIndex(of: s) {
                c.autoStrings.remove(at: i)
                return
            }
            ModuleString.retain(s)
        }
        reg("RetainString", retain)
        let hold: @convention(c) (P, P) -> P = { ctxp, s in
            guard let s else { return nil }
            if let c = ModuleCtx.from(ctxp), c.autoMemory, let i = c.autoStrings.lastIndex(of: s) {
                c.autoStrings.remove(at: i)
                return s
            }
            ModuleString.retain(s)
            return s
        }
        reg("HoldString", hold)
        let ptrLen: @convention(c) (P, UnsafeMutablePointer<Int>?) -> CStr = { s, len in
            guard let m = ModuleString.from(s) else { len?.pointee = 0; return nil }
            len?.pointee = m.count
            return UnsafePointer(m.buf)
        }
        reg("StringPtrLen", ptrLen)
        let toLL: @convention(c) (P, UnsafeMutablePointer<Int64>?) -> Int32 = { s, out in
            guard let v = Numbers.parseInt(str(s)) else { return ERR }
            out?.pointee = v
            return OK
        }
        reg("StringToLongLong", toLL)
        let toULL: @convention(c) (P, UnsafeMutablePointer<UInt64>?) -> Int32 = { s, out in
            let b = str(s)
            guard !b.isEmpty, b.allSatisfy({ $0 >= 48 && $0 <= 57 }), !(b.count > 1 && b[0] == 48),
                  let v = UInt64(String(decoding: b, as: UTF8.self)) else { return ERR }
            out?.pointee = v
            return OK
        }
        reg("StringToULongLong", toULL)
        let toDouble: @convention(c) (P, UnsafeMutablePointer<Double>?) -> Int32 = { s, out in
            guard let v = Numbers.parseDouble(str(s)), !v.isNaN else { return ERR }
            out?.pointee = v
            return OK
        }
        reg("StringToDouble", toDouble)
        let compare: @convention(c) (P, P) -> Int32 = { a, b in
            let x = str(a), y = str(b)
            return x.lexicographicallyPrecedes(y) ? -1 : (x == y ? 0 : 1)
        }
        reg("StringCompare", compare)
        let append: @convention(c) (P, P, CStr, Int) -> Int32 = { _, s, buf, n in
            guard let m = ModuleString.from(s) else { return ERR }
            if n > 0, let buf { m.append(buf, n) }
            return OK
        }
        reg("StringAppendBuffer", append)
        let trim: @convention(c) (P) -> Void = { _ in }
        reg("TrimStringAllocation", trim)
    }

    // MARK: call replies

    static func registerCallReplies() {
        let type: @convention(c) (P) -> Int32 = { r in CallReply.from(r)?.type ?? -1 }
        reg("CallReplyType", type)
        let integer: @convention(c) (P) -> Int64 = { r in
            if case .integer(let i)? = CallReply.from(r)?.value { return i }
            return Int64.min
        }
        reg("CallReplyInteger", integer)
        let double: @convention(c) (P) -> Double = { r in
            if case .double(let d)? = CallReply.from(r)?.value { return d }
            return 0
        }
        reg("CallReplyDouble", double)
        let bool: @convention(c) (P) -> Int32 = { r in
            if case .boolean(let b)? = CallReply.from(r)?.value { return b ? 1 : 0 }
            return 0
        }
        reg("CallReplyBool", bool)
        let length: @convention(c) (P) -> Int = { r in CallReply.from(r)?.length ?? 0 }
        reg("CallReplyLength", length)
        let element: @convention(c) (P, Int) -> P = { r, i in
            guard let c = CallReply.from(r), c.type == 3 else { return nil }
            return c.child(i)
        }
        reg("CallReplyArrayElement", element)
        let setElement: @convention(c) (P, Int) -> P = { r, i in
            guard let c = CallReply.from(r), c.type == 6 else { return nil }
            return c.child(i)
        }
        reg("CallReplySetElement", setElement)
        let mapElement: @convention(c) (P, Int, UnsafeMutablePointer<P>?, UnsafeMutablePointer<P>?) -> Int32 = { r, i, k, v in
            guard let c = CallReply.from(r), c.type == 5, i >= 0, i < c.length else { return ERR }
            k?.pointee = c.child(2 * i)
            v?.pointee = c.child(2 * i + 1)
            return OK
        }
        reg("CallReplyMapElement", mapElement)
        let stringPtr: @convention(c) (P, UnsafeMutablePointer<Int>?) -> CStr = { r, len in
            guard let c = CallReply.from(r), c.type == 0 || c.type == 1 else { len?.pointee = 0; return nil }
            return c.stringPointer(len)
        }
        reg("CallReplyStringPtr", stringPtr)
        let bigNumber: @convention(c) (P, UnsafeMutablePointer<Int>?) -> CStr = { r, len in
            guard let c = CallReply.from(r), c.type == 9 else { return nil }
            return c.stringPointer(len)
        }
        reg("CallReplyBigNumber", bigNumber)
        let verbatim: @convention(c) (P, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<CStr>?) -> CStr = { r, len, fmt in
            guard let c = CallReply.from(r), c.type == 10 else { return nil }
            fmt?.pointee = c.verbatimFormat()
            return c.stringPointer(len)
        }
        reg("CallReplyVerbatim", verbatim)
        let proto: @convention(c) (P, UnsafeMutablePointer<Int>?) -> CStr = { r, len in
            guard let c = CallReply.from(r) else { return nil }
            return c.proto(len, resp3: c.resp3)
        }
        reg("CallReplyProto", proto)
        let free: @convention(c) (P) -> Void = { r in
            guard let r else { return }
            if let c = host.stack.last, let i = c.autoReplies.lastIndex(of: r) { c.autoReplies.remove(at: i) }
            Unmanaged<CallReply>.fromOpaque(r).release()
        }
        reg("FreeCallReply", free)
    }
}

/// RedisModuleCommand: a module command (or subcommand) by name.
final class CommandHandle {
    let module: LoadedModule
    let name: String
    let sub: String?
    nonisolated(unsafe) static var handles: [String: RawPtr] = [:]

    init(module: LoadedModule, name: String, sub: String?) {
        self.module = module
        self.name = name
        self.sub = sub
    }

    static func make(module: LoadedModule, name: String, sub: String?) -> RawPtr {
        let k = name + "|" + (sub ?? "")
        if let h = handles[k] { return h }
        let h = Unmanaged.passRetained(CommandHandle(module: module, name: name, sub: sub)).toOpaque()
        handles[k] = h
        return h
    }

    static func from(_ p: UnsafeRawPointer?) -> CommandHandle? {
        guard let p else { return nil }
        return Unmanaged<CommandHandle>.fromOpaque(p).takeUnretainedValue()
    }

    /// RedisModuleCommandInfo (version 1): summary, complexity, since, arity are applied.
    static func setInfo(_ cmd: CommandHandle, _ info: RawPtr) -> Int32 {
        guard var container = host.engine.table.commands[cmd.name] else { return ERR }
        let subIndex = cmd.sub.flatMap { sub in container.subcommands.firstIndex { $0.name == sub } }
        if cmd.sub != nil && subIndex == nil { return ERR }
        var spec = subIndex.map { container.subcommands[$0] } ?? container
        let fields = info.assumingMemoryBound(to: UnsafeRawPointer?.self)
        // layout: version*, summary, complexity, since, history*, tips, int arity, key_specs*, args*
        func cstr(_ i: Int) -> String? { fields[i].map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } }
        guard let version = fields[0] else { return ERR }  // as Redis: the info must name its version
        let arity = UnsafeRawPointer(fields + 6).load(as: Int32.self)
        var keySpecs: [KeySpec]?
        if let specs = fields[7] {
            // The module's struct size, from its version record (as Redis reads it).
            guard let parsed = parseKeySpecs(specs, stride: version.load(fromByteOffset: 16, as: Int.self)) else { return ERR }
            keySpecs = parsed
        }
        var docs = spec.docs
        if let s = cstr(1) { docs.summary = s }
        if let c = cstr(2) { docs.complexity = c }
        if let s = cstr(3) { docs.since = s }
        if arity != 0 { spec.arity = Int(arity) }
        if let keySpecs { spec.keySpecs = keySpecs }
        spec.docs = docs
        if let i = subIndex {
            container.subcommands[i] = spec
            host.engine.replace(container)
        } else {
            host.engine.replace(spec)
        }
        return OK
    }

    /// Reads a `RedisModuleCommandKeySpec` array (ends with begin_search_type 0). Layout (64-bit):
    /// notes* 0, flags u64 8, begin type 16, begin union 24 (pos | keyword*, startfrom 32),
    /// find type 40, find union 44/48/52 (lastkey, keystep, limit | keynumidx, firstkey, keystep).
    static func parseKeySpecs(_ base: UnsafeRawPointer, stride: Int) -> [KeySpec]? {
        guard stride >= 56 else { return nil }
        var out: [KeySpec] = []
        var p = base
        while true {
            let beginType = p.load(fromByteOffset: 16, as: Int32.self)
            if beginType == 0 { return out }
            let notes = p.load(fromByteOffset: 0, as: UnsafePointer<CChar>?.self).map { String(cString: $0) }
            let flags = KeySpec.Flags(rawValue: UInt16(truncatingIfNeeded: p.load(fromByteOffset: 8, as: UInt64.self) & 0x7FF))
            let begin: KeySpec.BeginSearch
            switch beginType {
            case 1: begin = .unknown
            case 2: begin = .index(Int(p.load(fromByteOffset: 24, as: Int32.self)))
            case 3:
                guard let kw = p.load(fromByteOffset: 24, as: UnsafePointer<CChar>?.self) else { return nil }
                begin = .keyword(String(cString: kw), startFrom: Int(p.load(fromByteOffset: 32, as: Int32.self)))
            default: return nil
            }
            let a = Int(p.load(fromByteOffset: 44, as: Int32.self))
            let b = Int(p.load(fromByteOffset: 48, as: Int32.self))
            let c = Int(p.load(fromByteOffset: 52, as: Int32.self))
            let find: KeySpec.FindKeys
            switch p.load(fromByteOffset: 40, as: Int32.self) {
            case 0: find = .range(lastKey: 0, step: 1, limit: 0)  // omitted: one key
            case 1: find = .unknown
            case 2: find = .range(lastKey: a, step: b, limit: c)
            case 3: find = .keynum(keyNumIndex: a, firstKey: b, step: c)
            default: return nil
            }
            out.append(KeySpec(begin: begin, find: find, flags: flags, notes: notes))
            p += stride
        }
    }
}
