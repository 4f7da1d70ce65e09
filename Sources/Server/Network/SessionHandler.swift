import Engine
import NIOConcurrencyHelpers
import NIOCore
import Persistence
import PubSub
import RESP

/// What a connection hands the engine: a decoded command, or the protocol error that ends it.
enum Request {
    case command([Bytes])
    case protocolError(String)

    var argumentCount: Int {
        if case .command(let argv) = self { return argv.count }
        return 0
    }
}

/// One client connection on an I/O event loop. It batches what each read decoded and hands
/// the batch to the engine; one batch per connection is in flight at a time, so replies stay
/// in order and a busy pipeline naturally forms bigger batches.
final class SessionHandler: ChannelInboundHandler, ClientConnection, TickFlush.Writer, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: MnemoServer
    /// Engine-side state; touched only while holding the engine.
    var client: Client!
    private var refused = false
    private var pending: [Request] = []
    private var inFlight = false
    private var closing = false
    private var context: ChannelHandlerContext?
    /// The channel's allocator, kept: reading it from the channel costs a retain and a release.
    private var allocator = ByteBufferAllocator()
    private var readPaused = false
    /// The protocol a HELLO answered on this thread during a busy script switched to (I/O loop only).
    var protocolWhileBusy: RESPVersion?
    /// A batch handed to the engine and not yet taken by it.
    private let handoff = NIOLockedValueBox<[Request]?>(nil)
    /// Shared with this connection's decoder: its unauthenticated limits end once AUTH succeeds.
    var authFlag: AuthenticationFlag?
    static let maxPendingBeforePause = 4096

    let eventLoop: EventLoop
    /// Engine side: the next ticket. Replies and pub/sub messages get tickets on the engine in
    /// the order they are produced; this loop writes them in ticket order (`arrive`).
    private var ticketCounter: UInt64 = 0
    /// I/O side: the next ticket to write, and items that arrived before their turn.
    private var nextTicket: UInt64 = 0
    private var parked: [UInt64: Outgoing] = [:]
    private var outputTracker = OutputBufferTracker()

    enum Outgoing {
        case reply(ByteBuffer, close: Bool, pubsub: Bool)
        case messages([ByteBuffer])
        /// Replies before a blocking command (the batch stays in flight).
        case partial(ByteBuffer)
    }

    /// Requests are decoded here, straight into `pending`: a `ByteToMessageHandler` in front
    /// would wrap each read's requests in an array and an `NIOAny`, then copy them out again
    /// (about 5% of a pipelined GET's CPU).
    private var decoder: RESPRequestDecoder
    /// Bytes of a request not complete yet (nil when a read ended on a request boundary).
    private var unread: ByteBuffer?

    init(server: MnemoServer, eventLoop: EventLoop, decoder: RESPRequestDecoder) {
        self.server = server
        self.eventLoop = eventLoop
        self.decoder = decoder
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        allocator = context.channel.allocator
        server.openSessions.withLockedValue { $0[ObjectIdentifier(self)] = self }
        let local = context.channel.localAddress.map(SessionHandler.describe) ?? ""
        var remote = context.channel.remoteAddress.map(SessionHandler.describe) ?? ""
        // Unix socket peers have no path of their own: Redis shows the socket's path.
        if remote.isEmpty || remote == ":0" { remote = local }
        let isUnix = context.channel.localAddress?.protocol == .unix
        server.onEngine {
            self.client = self.server.engine.newClient(address: remote, localAddress: local)
            self.client.isUnixSocket = isUnix
            self.client.connection = self
            self.server.clientConnected(self.client, self)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Requests read in this tick and left for its end (`TickSubmit`) run now, as they
        // would have before the connection's end was read (a client may send and close).
        if !inFlight && !pending.isEmpty { submit() }
        self.context = nil
        server.openSessions.withLockedValue { $0[ObjectIdentifier(self)] = nil }
        server.connectionClosed()
        server.onEngine {
            if let c = self.client { self.server.clientDisconnected(c) }
        }
        context.fireChannelInactive()
    }

    static func describe(_ a: SocketAddress) -> String {
        switch a {
        case .v4(let v): return "\(v.host):\(a.port ?? 0)"
        case .v6(let v): return "\(v.host):\(a.port ?? 0)"
        case .unixDomainSocket: return "\(a.pathname ?? ""):0"
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if closing { return }
        var buffer = unwrapInboundIn(data)
        if var earlier = unread {
            unread = nil  // `earlier` is the only reference: appending does not copy it
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        decoder.beginRead()
        do {
            while let argv = try decoder.next(&buffer) { pending.append(.command(argv)) }
        } catch {
            // Execute what came before the bad bytes, then reply with the error and close.
            let reply = (error as? RESPProtocolError)?.reply ?? "ERR Protocol error: \(error)"
            pending.append(.protocolError(reply))
            closing = true
            submit()
            return
        }
        if buffer.readableBytes > 0 {
            // Only the start of a request is left: move it to the front (a large value being
            // read keeps its bytes at the front and is not copied again).
            buffer.discardReadBytes()
            unread = buffer
        }
        if pending.count >= SessionHandler.maxPendingBeforePause && !readPaused {
            readPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // A pipelined batch runs at once: it prefetches its own keys, and its requests are
        // still in cache from decoding (left for the tick's end behind other connections'
        // batches, they are not: pipelined SET at -P 16 ran about 10% slower that way).
        if !inFlight && !pending.isEmpty && (pending.count > SessionHandler.inlineBatchLimit || tickSubmit.read(self)) {
            submit()
        }
        context.fireChannelReadComplete()
    }

    private lazy var tickSubmit: TickSubmit = server.tickSubmit(for: eventLoop)

    /// On the loop, at the end of a busy tick (see `TickSubmit`).
    func submitDue() { submit() }

    /// The database this connection's pending requests would run in, for the tick's prefetch
    /// (holding the engine); nil if there is nothing to prefetch.
    var prefetchDatabase: Int? {
        guard !inFlight, !pending.isEmpty, let client else { return nil }
        return client.db
    }

    /// The hashes of this connection's first pending requests' keys (see `MnemoServer.keyHashes`);
    /// none for a lone script call (its arguments are mostly not keys). Holding the engine.
    func appendKeyHashes(to hashes: inout [UInt64]) {
        if pending.count == 1 {
            guard case .command(let argv) = pending[0], argv.count > 1 else { return }
            // Only a name that starts as a script call's does (EVAL…, FCALL…) is looked up.
            let letter = (argv[0].first ?? 0) | 0x20
            if (letter == UInt8(ascii: "e") || letter == UInt8(ascii: "f")) && server.isScriptCall(pending[0], &commandNames) {
                // Its declared keys (`name|sha numkeys key…`), the first few: those it reads.
                guard argv.count > 3, let n = Numbers.parseInt(argv[2]), n > 0 else { return }
                // Each key's bytes read where they lie (a copy of the element retains it).
                argv.withUnsafeBufferPointer { b in
                    for i in 3..<min(b.count, 3 + Int(min(n, 8))) {
                        let key = b.baseAddress! + i
                        hashes.append(KeyHash.hash(bytes: UnsafeRawBufferPointer(start: key.pointee._baseAddressIfContiguous,
                                                                                count: key.pointee.count)))
                    }
                }
                return
            }
            // One request of a few arguments, the common case: its key's hash, directly.
            if argv.count < 5 {
                hashes.append(Database.hash(argv[1]))
                return
            }
        }
        MnemoServer.keyHashes(of: pending.prefix(4), into: &hashes)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// A script just turned busy: a batch still waiting for the engine comes back to be answered
    /// here (-BUSY, SCRIPT KILL…), as Redis answers what arrived before the threshold.
    func reclaimWhileScriptBusy() {
        eventLoop.execute {
            guard self.inFlight, let batch = self.handoff.withLockedValue({ b -> [Request]? in
                defer { b = nil }
                return b
            }) else { return }
            self.inFlight = false
            self.pending = batch + self.pending
            self.submit()
        }
    }

    private func submit() {
        guard !inFlight, !pending.isEmpty, let context else { return }
        // A script is busy on the engine: this thread answers (BUSY, SCRIPT KILL…) at once.
        if let busy = server.repliesWhileScriptBusy(pending, session: self, allocator: allocator) {
            pending.removeAll()
            context.writeAndFlush(wrapOutboundOut(busy.output), promise: nil)
            if busy.close {
                closing = true
                context.close(promise: nil)
            }
            return
        }
        inFlight = true
        let long = pending.count > SessionHandler.inlineBatchLimit
        if (!long || fanOutPerCommand < SessionHandler.hopFanOut) && runInline() { return }
        pending.reserveCapacity(16)
        // The keys' hashes for the engine's prefetch are computed here, where the bytes are
        // still in cache from decoding: the engine loop is the serial part.
        var keyHashes: [UInt64] = []
        keyHashes.reserveCapacity(min(64, pending.count))
        MnemoServer.keyHashes(of: pending.prefix(64), into: &keyHashes)
        // The batch waits in `handoff` until the engine takes it, so that a script turning busy
        // meanwhile lets this thread take it back and answer -BUSY (see reclaimWhileScriptBusy).
        handoff.withLockedValue { $0 = pending }
        pending = []
        server.onEngine {
            guard let batch = self.handoff.withLockedValue({ b -> [Request]? in
                defer { b = nil }
                return b
            }) else { return }
            // Records of the batches queued on the engine form one group commit.
            let (_, logToWake) = self.deferringLogWake { self.execute(batch, keyHashes: keyHashes) }
            if let logToWake { self.server.wakeLogAfterQueuedBatches(logToWake) }
        }
    }

    /// Batches up to this many commands run inline on the I/O loop when the engine is free;
    /// longer ones too, unless they fan out to many subscribers (`hopFanOut`). Running a
    /// pipelined batch inline saves two thread wake-ups; handing it to the engine loop pays
    /// only when the hand-off lets two cores work at once, and on a machine whose other core
    /// runs the clients, it does not: inline, a pipelined GET costs 1.1 µs of server CPU, handed
    /// off 1.3–1.6 µs, and LRANGE of 100 elements runs 10–20% faster.
    static let inlineBatchLimit = 4
    /// Long batches whose commands recently sent at least this many pub/sub messages each to
    /// other clients go to the engine loop: executing the next batch there overlaps with this
    /// loop writing the messages out (`PUBLISH` to 100 subscribers: 10–15% faster).
    static let hopFanOut = 32
    /// Messages to other clients per command of this connection's recent long batches (a moving
    /// average). Written while holding the engine, before the batch's replies are handed back;
    /// read by `submit` after they arrive.
    private var fanOutPerCommand = 0

    /// Runs the pending batch here, on the I/O loop, if the engine is free and no command in it
    /// can hold the engine for long (scripts, modules, EXEC, admin). No thread hop either way.
    /// This connection's last command name (see `CommandNameCache`), read holding the engine.
    private var commandNames = CommandNameCache()

    private func runInline() -> Bool {
        guard server.engineMutex.tryLock() else { return false }
        // The client is created on the engine loop when the connection opens.
        guard client != nil, !pending.contains(where: { server.mayRunLong($0, &commandNames) }) else {
            server.engineMutex.unlock()
            return false
        }
        let batch = pending
        pending = []
        let engine = server.engine
        engine.scriptsMayYield = true
        // A lone script: no other lookups for a prefetch of its keys to overlap with.
        let keyHashes: [UInt64]? = batch.count == 1 && server.isScriptCall(batch[0], &commandNames) ? [] : nil
        let (sendNow, logToWake) = deferringLogWake { execute(batch, keyHashes: keyHashes, inline: true) }
        engine.scriptsMayYield = false
        if engine.commandSuspended {
            // A script ran past its budget here: the engine loop finishes it and the batch,
            // holding the engine without a gap (this loop stays free to answer -BUSY).
            let client = self.client!
            server.engineMutex.handOff(to: server.engineLoop) { self.server.finishSuspendedScript(client) }
        } else {
            server.engineMutex.unlock()
        }
        if let logToWake { held.wakeAtEndOfTick(logToWake) }
        if let (ticket, item, barrier) = sendNow { send(ticket, item, after: barrier) }
        recycle(batch)
        return true
    }

    /// On the I/O loop, once a batch has run: its argument arrays go back to the decoder for the
    /// next requests, and the batch's own array becomes the next `pending` (no allocation for
    /// either). A batch something still holds (a blocked client's rest) is simply dropped.
    private func recycle(_ batch: consuming [Request]) {
        guard var requests = RESPRequestDecoder.unique(batch) else { return }
        while let request = requests.popLast() {
            switch consume request {
            case .command(let argv): decoder.recycle(argv)
            case .protocolError: break
            }
        }
        if pending.isEmpty && requests.capacity <= 256 { pending = requests }
    }

    /// On the I/O loop: writes `item` in its turn, or holds it until the log is durable up to
    /// `barrier` (0 = nothing to wait for).
    private func send(_ ticket: UInt64, _ item: Outgoing, after barrier: UInt64) {
        if barrier == 0 { arrive(ticket, item) } else { held.hold(barrier, self, ticket, item) }
    }

    /// Holding the engine: what a batch's replies must wait for, 0 if it is durable already.
    private func pendingBarrier(_ result: BatchResult) -> UInt64 {
        server.isDurable(result.barrier) ? 0 : result.barrier
    }

    /// Holding the engine: runs a batch whose appends leave the log's writer asleep; returns
    /// the log to write or wake once the batch (and those queued with it) are done.
    private func deferringLogWake<R>(_ body: () -> R) -> (R, EffectLog?) {
        guard let persistence = server.persistence else { return (body(), nil) }
        return persistence.deferringWake(body)
    }

    /// Where this loop keeps replies until they are durable.
    private lazy var held: HeldReplies = server.heldReplies(for: eventLoop)

    /// Holding the engine: executes a batch; its replies go out once durable. Inline, the
    /// replies are returned instead, with the log sequence they wait for (0 = none), to be
    /// written or held by this loop after the engine is released.
    @discardableResult
    private func execute(_ batch: [Request], keyHashes: [UInt64]? = nil, inline: Bool = false) -> (UInt64, Outgoing, UInt64)? {
        // Refused at connect (protected mode): nothing it sent runs; the refusal closes it.
        if refused { return nil }
        let fannedOut = server.pubsub.messagesFannedOut
        let result = server.process(batch[...], keyHashes: keyHashes, client: client, output: allocator.buffer(capacity: 256))
        if batch.count > SessionHandler.inlineBatchLimit {
            let perCommand = Int(server.pubsub.messagesFannedOut - fannedOut) / batch.count
            fanOutPerCommand = (fanOutPerCommand * 3 + perCommand) / 4
        }
        if result.suspended {
            if result.output.readableBytes > 0 { sendPartial(result) }
            return nil
        }
        if inline {
            authFlag?.authenticated = client.authenticated
            let barrier = pendingBarrier(result)
            return (takeTicket(), .reply(result.output, close: result.close, pubsub: client.kind == "pubsub"), barrier)
        }
        complete(result, releasing: batch)
        return nil
    }

    /// On the engine: sends the replies that preceded a blocking command, keeping the batch open.
    func sendPartial(_ result: BatchResult) {
        let output = result.output
        // A ticket keeps these replies in order with pub/sub messages to this client.
        let ticket = takeTicket()
        server.whenDurable(result.barrier) {
            self.eventLoop.execute { self.arrive(ticket, .partial(output)) }
        }
    }

    /// On the engine: sends a finished batch's replies once they are durable. The reply goes to
    /// this connection's loop, which holds it with the loop's other replies until the log
    /// commits (one wake-up per group commit, see `HeldReplies`).
    /// `requests` (the batch's arguments, allocated by this connection's I/O loop) go back there
    /// too, to be recycled or freed: memory freed on the thread that allocated it returns to that
    /// thread's malloc cache, instead of starving it (cross-thread frees cost ~10% of a pipelined GET).
    func complete(_ result: BatchResult, releasing requests: [Request] = []) {
        let ticket = takeTicket()
        let item = Outgoing.reply(result.output, close: result.close, pubsub: client.kind == "pubsub")
        let authenticated = client.authenticated
        let barrier = pendingBarrier(result)
        eventLoop.execute {
            self.authFlag?.authenticated = authenticated
            self.send(ticket, item, after: barrier)
            self.recycle(requests)
        }
    }

    /// On the engine: the place of the next reply or message in this connection's output.
    func takeTicket() -> UInt64 {
        defer { ticketCounter += 1 }
        return ticketCounter
    }

    /// On the I/O loop: writes `item` when its turn comes, then any parked items that follow.
    func arrive(_ ticket: UInt64, _ item: Outgoing) {
        guard ticket == nextTicket else {
            parked[ticket] = item
            return
        }
        var item = item
        while true {
            nextTicket += 1
            switch item {
            case .reply(let output, let close, let pubsub): deliver(output, close: close, pubsub: pubsub)
            case .messages(let buffers): push(buffers)
            case .partial(let output): context?.writeAndFlush(wrapOutboundOut(output), promise: nil)
            }
            guard !parked.isEmpty, let next = parked.removeValue(forKey: nextTicket) else { return }
            item = next
        }
    }

    /// Pub/sub messages: the engine already put small ones together in one buffer per batch
    /// (see `Outbox`); large ones are buffers shared with other subscribers, written as they are.
    private func push(_ buffers: [ByteBuffer]) {
        guard let context, !closing else { return }
        for b in buffers { context.write(wrapOutboundOut(b), promise: nil) }
        outputIsPubsub = true
        flushAtTickEnd()
    }

    /// `client-output-buffer-limit`: bytes written but not yet taken by the socket.
    private func enforceOutputLimit(_ context: ChannelHandlerContext, pubsub: Bool) {
        let limits = server.outputLimits.withLockedValue { $0 }
        let limit = pubsub ? limits.pubsub : limits.normal
        if limit.isUnlimited { return }
        let queued = Int64((try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0)
        if queued == 0 && outputTracker.softLimitReachedAt == 0 { return }
        guard outputTracker.exceeds(limit, queued: queued, nowMs: Engine.wallClockMs()) else { return }
        // Logged before the close reaches the engine, so the log shows the client's subscriptions.
        server.onEngine { self.server.outputLimitExceeded(self.client, queued: queued, pubsub: pubsub) }
        closing = true
        pending.removeAll()
        context.close(promise: nil)
    }

    private func deliver(_ output: ByteBuffer, close: Bool, pubsub: Bool) {
        inFlight = false
        guard let context else { return }
        // `closing` is also set by a protocol error (its reply is in `output`) and by the
        // output-buffer limit: either way the connection ends once the replies are written.
        if close || closing {
            if output.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(output), promise: nil) }
            closing = true
            pending.removeAll()
            context.close(promise: nil)
            return
        }
        if output.readableBytes > 0 {
            context.write(wrapOutboundOut(output), promise: nil)
            outputIsPubsub = pubsub
            flushAtTickEnd()
        }
        if readPaused && pending.count < SessionHandler.maxPendingBeforePause / 2 {
            readPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
        submit()
    }

    /// A reply is written and waits for the end of the tick to be flushed (see `TickFlush`).
    private var flushDue = false
    private var outputIsPubsub = false
    private lazy var flush: TickFlush = server.tickFlush(for: eventLoop)

    /// Replies and messages written in a busy tick go out together at its end: a subscriber
    /// fed by several publishers' batches in one tick gets one write, not one per batch.
    @inline(__always) private func flushAtTickEnd() {
        if !flushDue {
            if flush.wrote(self) { flushWritten() } else { flushDue = true }
        }
    }

    /// On the loop: flushes the replies `deliver` and the messages `push` wrote.
    func flushWritten() {
        flushDue = false
        guard let context else { return }
        context.flush()
        enforceOutputLimit(context, pubsub: outputIsPubsub)
    }

    // MARK: ClientConnection (called on the engine loop)

    func closeAfterReplies() {
        eventLoop.execute {
            self.closing = true
            // Replies written this tick and waiting for its end (`TickFlush`) go out first.
            self.context?.flush()
            self.context?.close(promise: nil)
        }
    }

    /// Refuses the connection with one error line, then closes it (protected mode).
    func refuse(_ message: String) {
        refused = true
        eventLoop.execute {
            self.closing = true
            guard let context = self.context else { return }
            var buf = context.channel.allocator.buffer(capacity: message.utf8.count + 3)
            buf.writeString("-\(message)\r\n")
            context.writeAndFlush(self.wrapOutboundOut(buf)).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
