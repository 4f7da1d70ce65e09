import Engine
import ModuleABI
import RESP

// Clients blocked by modules on keys (RedisModule_BlockClientOnKeys), on the Engine's one
// BlockingRegistry: served FIFO per key with BLPOP's waiters, Redis 7.0 semantics otherwise
// (see ModuleWait). Plain BlockClient (replies from other threads) is not provided.

/// RedisModuleBlockedClient: one blocking episode of a module command, with its callbacks.
final class ModuleBlockedClient {
    let module: LoadedModule
    let replyCallback: RawPtr?
    let timeoutCallback: RawPtr?
    let freePrivdata: RawPtr?
    var disconnectCallback: RawPtr?
    var privdata: RawPtr?
    /// The blocked client; nil for a handle whose blocking was refused (MULTI, script).
    var client: Client?
    /// UnblockClient/AbortBlock was called, or the wait ended otherwise.
    var unblocked = false
    private var unblockedByModule = false
    private var ended = false

    init(module: LoadedModule, reply: RawPtr?, timeout: RawPtr?, freePrivdata: RawPtr?, privdata: RawPtr?) {
        self.module = module
        self.replyCallback = reply
        self.timeoutCallback = timeout
        self.freePrivdata = freePrivdata
        self.privdata = privdata
        module.blockedClients += 1
    }

    /// The handle the module holds: retained until the wait ends (end()).
    func retainedHandle() -> RawPtr { Unmanaged.passRetained(self).toOpaque() }
    var handle: RawPtr { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ p: UnsafeRawPointer?) -> ModuleBlockedClient? {
        guard let p else { return nil }
        return Unmanaged<ModuleBlockedClient>.fromOpaque(p).takeUnretainedValue()
    }

    private func callbackContext(_ client: Client?, _ flags: ModuleCtx.BlockedFlags) -> ModuleCtx {
        let ctx = ModuleCtx(host: host, module: module, client: client, db: client?.db ?? 0)
        ctx.blockedFlags = flags
        ctx.blockedPrivdata = privdata
        ctx.blockedClient = self
        return ctx
    }

    /// A ready key woke the client: the reply callback's reply if it returned OK, else nil
    /// (the client keeps waiting; a declining callback's replies are dropped).
    func tryServe(_ cctx: CommandContext) -> RESPValue? {
        guard let fn = replyCallback, !unblocked else { return nil }
        let ctx = callbackContext(cctx.client, .reply)
        ctx.argv = cctx.argv
        ctx.blockedReadyKey = cctx.engine.blocking.servingKey
        guard host.invoke(fn, ctx, argv: cctx.argv) == OK else { return nil }
        return host.reply(of: ctx, command: cctx.spec.fullName)
    }

    /// The timeout callback's reply (on timeout, CLIENT UNBLOCK, UnblockClient/AbortBlock).
    func timedOut(_ client: Client) -> RESPValue {
        guard let fn = timeoutCallback else { return .null }
        let argv = client.blocked?.argv ?? []
        let ctx = callbackContext(client, .timeout)
        ctx.argv = argv
        _ = host.invoke(fn, ctx, argv: argv)
        disconnectCallback = nil  // as Redis: a timed-out client is not "disconnected"
        return host.reply(of: ctx, command: argv.first.map { String(decoding: $0, as: UTF8.self).lowercased() } ?? "")
    }

    /// The wait is over: the disconnect callback (if the connection closed), then free_privdata.
    /// As Redis 7.0, free_privdata sees BlockedClientDisconnected whenever the server ended the
    /// wait (timeout, CLIENT UNBLOCK, closed connection) rather than the module.
    func end(_ how: BlockEnd) {
        guard !ended else { return }
        ended = true
        unblocked = true
        if how == .disconnected, let fn = disconnectCallback {
            let ctx = callbackContext(client, [])
            host.stack.append(ctx)
            mnemo_invoke_ctx_callback(fn, ctx.raw, handle)
            host.stack.removeLast()
            ctx.finish()
        }
        if let p = privdata, let fn = freePrivdata {
            let gone = client == nil || (how != .served && !unblockedByModule)
            let ctx = callbackContext(gone ? nil : client, gone ? .disconnected : [])
            host.stack.append(ctx)
            mnemo_invoke_ctx_callback(fn, ctx.raw, p)
            host.stack.removeLast()
            ctx.finish()
        }
        client = nil
        module.blockedClients -= 1
        Unmanaged.passUnretained(self).release()
    }

    /// UnblockClient/AbortBlock: a client blocked on keys gets its timeout callback's reply
    /// now, and keeps its private data (Redis 7.0 ignores the one UnblockClient passes).
    func unblock() {
        unblocked = true
        unblockedByModule = true
        if let client, client.blocked?.module != nil {
            let reply = timedOut(client)
            host.engine.blocking.unblock(client, with: reply)  // ends the wait: end(.unblocked)
        } else {
            end(.unblocked)
        }
    }
}

extension ModuleAPI {
    static func registerBlocking() {
        typealias KeysPtr = UnsafeMutablePointer<P>?
        let blockOnKeys: @convention(c) (P, P, P, P, Int64, KeysPtr, Int32, P) -> P = {
            ctxp, replyCallback, timeoutCallback, freePrivdata, timeoutMs, keys, numkeys, privdata in
            guard let ctx = ModuleCtx.from(ctxp), let m = ctx.module, let command = ctx.command, !ctx.didBlock else { return nil }
            let bc = ModuleBlockedClient(module: m, reply: replyCallback, timeout: timeoutCallback,
                                         freePrivdata: freePrivdata, privdata: privdata)
            let handle = bc.retainedHandle()
            guard command.canBlock else {
                // As Redis: an already aborted handle, and an error reply to the command.
                let lua = command.client.kind == "lua" || command.client.executionContext == .lua
                let from = lua ? "Lua script" : "transaction"
                ctx.blockRefused = "ERR Blocking module command called from \(from)"
                return handle
            }
            var names: [Bytes] = []
            for i in 0..<Int(max(0, numkeys)) { names.append(ModuleString.from(keys?[i])?.bytes ?? []) }
            bc.client = command.client
            let wait = ModuleWait(
                onTimeout: timeoutCallback == nil ? nil : { client in bc.timedOut(client) },
                onEnd: { how in bc.end(how) })
            _ = command.block(keys: names, timeoutMs: max(0, timeoutMs), timeoutReply: .null, module: wait) { cctx in
                bc.tryServe(cctx)
            }
            ctx.didBlock = true
            ctx.blockedClient = bc
            return handle
        }
        reg("BlockClientOnKeys", blockOnKeys)

        let signal: @convention(c) (P, P) -> Void = { ctxp, key in
            guard let ctx = ModuleCtx.from(ctxp), let name = ModuleString.from(key) else { return }
            ctx.engine.blocking.signalKeyAsReady(ctx.db, name.bytes)
        }
        reg("SignalKeyAsReady", signal)

        let readyKey: @convention(c) (P) -> P = { ctxp in
            guard let ctx = ModuleCtx.from(ctxp), let key = ctx.blockedReadyKey else { return nil }
            let h = ModuleString(key).retainedHandle()
            ctx.ownedStrings.append(h)  // the module must not free it (as Redis)
            return h
        }
        reg("GetBlockedClientReadyKey", readyKey)

        let unblock: @convention(c) (P, P) -> Int32 = { bcp, _ in
            guard let bc = ModuleBlockedClient.from(bcp), bc.timeoutCallback != nil else { return ERR }
            if !bc.unblocked { bc.unblock() }
            return OK
        }
        reg("UnblockClient", unblock)
        let abort: @convention(c) (P) -> Int32 = { bcp in
            guard let bc = ModuleBlockedClient.from(bcp), bc.timeoutCallback != nil else { return ERR }
            bc.disconnectCallback = nil
            if !bc.unblocked { bc.unblock() }
            return OK
        }
        reg("AbortBlock", abort)

        let privdata: @convention(c) (P) -> P = { ctxp in ModuleCtx.from(ctxp)?.blockedPrivdata }
        reg("GetBlockedClientPrivateData", privdata)
        let isReply: @convention(c) (P) -> Int32 = { ctxp in
            ModuleCtx.from(ctxp)?.blockedFlags.contains(.reply) == true ? 1 : 0
        }
        reg("IsBlockedReplyRequest", isReply)
        let isTimeout: @convention(c) (P) -> Int32 = { ctxp in
            ModuleCtx.from(ctxp)?.blockedFlags.contains(.timeout) == true ? 1 : 0
        }
        reg("IsBlockedTimeoutRequest", isTimeout)
        let disconnected: @convention(c) (P) -> Int32 = { ctxp in
            ModuleCtx.from(ctxp)?.blockedFlags.contains(.disconnected) == true ? 1 : 0
        }
        reg("BlockedClientDisconnected", disconnected)
        let handle: @convention(c) (P) -> P = { ctxp in ModuleCtx.from(ctxp)?.blockedClient?.handle }
        reg("GetBlockedClientHandle", handle)
        let setDisconnect: @convention(c) (P, P) -> Void = { bcp, fn in ModuleBlockedClient.from(bcp)?.disconnectCallback = fn }
        reg("SetDisconnectCallback", setDisconnect)
    }
}
