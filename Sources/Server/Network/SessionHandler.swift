import Engine
import NIOCore
import RESP

/// What a connection hands the engine: a decoded command, or the protocol error that ends it.
enum Request {
    case command([Bytes])
    case protocolError(String)
}

/// One client connection on an I/O event loop. It batches what each read decoded and hands
/// the batch to the engine; one batch per connection is in flight at a time, so replies stay
/// in order and a busy pipeline naturally forms bigger batches.
final class SessionHandler: ChannelInboundHandler, ClientConnection, @unchecked Sendable {
    typealias InboundIn = [Bytes]
    typealias OutboundOut = ByteBuffer

    private let server: MnemoServer
    /// Engine-side state; touched only on the engine loop.
    var client: Client!
    private var pending: [Request] = []
    private var inFlight = false
    private var closing = false
    private var context: ChannelHandlerContext?
    private var readPaused = false
    static let maxPendingBeforePause = 4096

    private let eventLoop: EventLoop

    init(server: MnemoServer, eventLoop: EventLoop) {
        self.server = server
        self.eventLoop = eventLoop
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let remote = context.channel.remoteAddress.map(SessionHandler.describe) ?? ""
        let local = context.channel.localAddress.map(SessionHandler.describe) ?? ""
        let isUnix = context.channel.localAddress?.protocol == .unix
        server.engineLoop.execute {
            self.client = self.server.engine.newClient(address: remote, localAddress: local)
            self.client.isUnixSocket = isUnix
            self.client.connection = self
            self.server.clientConnected(self.client, self)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        server.connectionClosed()
        server.engineLoop.execute {
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
        pending.append(.command(unwrapInboundIn(data)))
        if pending.count >= SessionHandler.maxPendingBeforePause && !readPaused {
            readPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        submit()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let e = error as? RESPProtocolError {
            // Execute what came before the bad bytes, then reply with the error and close.
            pending.append(.protocolError(e.reply))
            closing = true
            submit()
            return
        }
        if let e = error as? ByteToMessageDecoderError, case .leftoverDataWhenDone = e { return }
        context.close(promise: nil)
    }

    private func submit() {
        guard !inFlight, !pending.isEmpty, let context else { return }
        let batch = pending
        pending = []
        pending.reserveCapacity(16)
        inFlight = true
        let channel = context.channel
        server.engineLoop.execute {
            let result = self.server.process(batch[...], client: self.client, output: channel.allocator.buffer(capacity: 256))
            if !result.suspended { self.complete(result) }
        }
    }

    /// On the engine: sends a finished batch's replies once they are durable.
    func complete(_ result: BatchResult) {
        server.whenDurable(result.barrier) {
            self.eventLoop.execute { self.deliver(result.output, close: result.close) }
        }
    }

    private func deliver(_ output: ByteBuffer, close: Bool) {
        inFlight = false
        guard let context else { return }
        if output.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(output), promise: nil)
        }
        if close {
            closing = true
            pending.removeAll()
            context.close(promise: nil)
            return
        }
        if readPaused && pending.count < SessionHandler.maxPendingBeforePause / 2 {
            readPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
        submit()
    }

    // MARK: ClientConnection (called on the engine loop)

    func closeAfterReplies() {
        eventLoop.execute {
            self.closing = true
            self.context?.close(promise: nil)
        }
    }
}
