#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOConcurrencyHelpers
import NIOCore

/// A protocol error: Redis replies `-ERR Protocol error: <message>` and closes the connection.
public struct RESPProtocolError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var reply: String { "ERR Protocol error: \(message)" }
}

/// Limits a request decoder enforces, as Redis's networking layer does.
public struct RESPLimits: Sendable, Equatable {
    /// `proto-max-bulk-len`.
    public var maxBulkLength: Int = 512 * 1024 * 1024
    /// Longest inline request or length line before a newline is seen.
    public var maxInlineLength: Int = 64 * 1024
    /// Unauthenticated clients may send at most this many arguments / bytes per argument.
    public var unauthenticatedMaxArgs: Int = 10
    public var unauthenticatedMaxBulk: Int = 16 * 1024
    public init() {}
}

/// Limits shared by every connection's decoder, so CONFIG SET changes them at once.
public final class SharedRESPLimits: Sendable {
    private let box: NIOLockedValueBox<RESPLimits>
    public init(_ limits: RESPLimits = RESPLimits()) { box = NIOLockedValueBox(limits) }
    public var current: RESPLimits {
        get { box.withLockedValue { $0 } }
    }
    public func update(_ body: (inout RESPLimits) -> Void) { box.withLockedValue { body(&$0) } }
}

/// Whether a connection has authenticated, shared by its decoder and its session on the I/O loop
/// (the session flips it when AUTH/HELLO succeed or RESET/ACL changes undo it).
public final class AuthenticationFlag: @unchecked Sendable {
    public var authenticated: Bool
    public init(_ authenticated: Bool) { self.authenticated = authenticated }
}

/// Incremental decoder of client requests: RESP multibulk arrays and inline (telnet) commands.
/// Each decoded request is the argument vector, one byte array per argument.
public struct RESPRequestDecoder: ByteToMessageDecoder {
    public typealias InboundOut = [[UInt8]]

    public var limits: RESPLimits
    /// When set, the bulk-length limit is read from here (it can change at runtime).
    public var shared: SharedRESPLimits?
    /// While false, the smaller unauthenticated limits apply.
    public var authenticated: Bool {
        get { flag?.authenticated ?? fixedAuthenticated }
        set { if let flag { flag.authenticated = newValue } else { fixedAuthenticated = newValue } }
    }
    private var fixedAuthenticated: Bool
    /// Set when the session decides (see `AuthenticationFlag`).
    public var flag: AuthenticationFlag?

    // State of a multibulk request being read across reads.
    private var pendingArgs: [[UInt8]] = []
    private var remainingArgs = 0
    private var pendingBulkLength = -1
    /// `proto-max-bulk-len`, read from `shared` when a read begins (`beginRead`), not per request:
    /// the shared value sits behind a lock.
    private var maxBulk = 0

    public init(limits: RESPLimits = RESPLimits(), authenticated: Bool = true, flag: AuthenticationFlag? = nil) {
        self.limits = limits
        self.fixedAuthenticated = authenticated
        self.flag = flag
        self.maxBulk = limits.maxBulkLength
    }

    /// Takes the current shared limits (CONFIG SET proto-max-bulk-len applies from the next read).
    public mutating func beginRead() {
        maxBulk = shared?.current.maxBulkLength ?? limits.maxBulkLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        beginRead()
        if let args = try next(&buffer) {
            context.fireChannelRead(wrapInboundOut(args))
            return .continue
        }
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }

    /// Decodes the next complete request, consuming its bytes; nil when more bytes are needed.
    /// Empty requests (blank inline lines, `*0`) are consumed and skipped.
    public mutating func next(_ buffer: inout ByteBuffer) throws -> [[UInt8]]? {
        while true {
            if remainingArgs == 0 {
                guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
                if first != UInt8(ascii: "*") {
                    guard let args = try readInline(&buffer) else { return nil }
                    if args.isEmpty { continue }
                    return args
                }
            }
            // One pass over the readable bytes: the header (if not read yet) and every argument
            // that is complete; the reader index moves once, past what was consumed.
            let (consumed, state) = try buffer.withUnsafeReadableBytes { try readMultibulk($0) }
            buffer.moveReaderIndex(forwardBy: consumed)
            switch state {
            case .incomplete: return nil
            case .empty: continue
            case .complete:
                let args = pendingArgs
                pendingArgs = []
                return args
            }
        }
    }

    private enum MultibulkState { case incomplete, empty, complete }

    /// Reads from `raw` (starting at a `*` header when no request is under way) as far as the
    /// bytes go; returns how many bytes it consumed. Redis's checks and error texts.
    private mutating func readMultibulk(_ raw: UnsafeRawBufferPointer) throws -> (Int, MultibulkState) {
        var pos = 0
        if remainingArgs == 0 {
            guard let (count, end) = Self.lengthLine(raw, at: 0) else {
                if raw.count > limits.maxInlineLength { throw RESPProtocolError("too big mbulk count string") }
                return (0, .incomplete)
            }
            guard let n = count, n <= Int(Int32.max) else { throw RESPProtocolError("invalid multibulk length") }
            if !authenticated && n > limits.unauthenticatedMaxArgs {
                throw RESPProtocolError("unauthenticated multibulk length")
            }
            if n <= 0 { return (end, .empty) }
            remainingArgs = n
            if n <= Self.recycledCapacity, let spare = spareArgs.popLast() {
                pendingArgs = spare
            } else {
                pendingArgs = []
                pendingArgs.reserveCapacity(min(n, 1024))
            }
            pos = end
        }
        while remainingArgs > 0 {
            if pendingBulkLength < 0 {
                guard pos < raw.count else { return (pos, .incomplete) }
                if raw[pos] == UInt8(ascii: "$"), let (len, end) = Self.shortLength(raw, at: pos), len <= maxBulk,
                    len <= limits.unauthenticatedMaxBulk || authenticated
                {
                    pendingBulkLength = len
                    pos = end
                } else {
                    guard let end = try readBulkLength(raw, at: pos) else { return (pos, .incomplete) }
                    pos = end
                }
            }
            let len = pendingBulkLength
            guard raw.count - pos >= len + 2 else { return (pos, .incomplete) }
            let bytes = UnsafeRawBufferPointer(rebasing: raw[pos..<(pos + len)])
            switch pendingArgs.count {
            case 0: pendingArgs.append(Self.repeated(bytes, &lastName))
            case 1: pendingArgs.append(Self.repeated(bytes, &lastKey))
            default: pendingArgs.append([UInt8](bytes))
            }
            pos += len + 2  // Redis does not check the trailing CRLF either
            pendingBulkLength = -1
            remainingArgs -= 1
        }
        return (pos, .complete)
    }

    /// A bulk length line at `pos` the fast path did not take: sets `pendingBulkLength` and
    /// returns the offset after the line, nil if it is not complete; Redis's errors otherwise.
    private mutating func readBulkLength(_ raw: UnsafeRawBufferPointer, at pos: Int) throws -> Int? {
        let first = raw[pos]
        if first != UInt8(ascii: "$") {
            throw RESPProtocolError("expected '$', got '\(Character(Unicode.Scalar(first)))'")
        }
        guard let (length, end) = Self.lengthLine(raw, at: pos) else {
            if raw.count - pos > limits.maxInlineLength { throw RESPProtocolError("too big bulk count string") }
            return nil
        }
        guard let len = length, len >= 0, len <= maxBulk else {
            throw RESPProtocolError("invalid bulk length")
        }
        if !authenticated && len > limits.unauthenticatedMaxBulk {
            throw RESPProtocolError("unauthenticated bulk length")
        }
        pendingBulkLength = len
        return end
    }

    /// Argument arrays of requests that have run, emptied, for the next requests to fill: a
    /// request's array then costs no allocation and no free (about 7% of a pipelined GET).
    private var spareArgs: [[[UInt8]]] = []
    static let recycledCapacity = 16

    /// Takes back a request's arguments once it has run. An array something still shares (a
    /// queued transaction, a blocked client, a slow-log entry) is left to it; large ones are let go.
    public mutating func recycle(_ argv: consuming [[UInt8]]) {
        guard spareArgs.count < 64, argv.capacity <= Self.recycledCapacity, argv.capacity > 0,
            var args = Self.unique(argv)
        else { return }
        args.removeAll(keepingCapacity: true)
        spareArgs.append(args)
    }

    /// `array` if it owns its storage alone (emptying a shared array would allocate a new one).
    /// The standard library has no public uniqueness test for arrays: on Linux an array is one
    /// reference to its storage object, tested the way `isKnownUniquelyReferenced` tests any
    /// object. This only decides whether recycling is worth it: emptying an array still goes
    /// through the array's own copy-on-write check, so another holder never sees it change.
    @inline(__always)
    public static func unique<T>(_ array: consuming [T]) -> [T]? {
        #if os(Linux)
        guard MemoryLayout<[T]>.size == MemoryLayout<AnyObject>.size else { return nil }
        var storage = unsafeBitCast(consume array, to: AnyObject.self)
        guard isKnownUniquelyReferenced(&storage) else { return nil }
        return unsafeBitCast(consume storage, to: [T].self)
        #else
        return nil
        #endif
    }

    /// The last command name and first argument (usually the key) this connection sent: a
    /// pipeline repeats its command and often its key (`LPUSH mylist …`, `INCR counter`), so
    /// the next request shares their bytes instead of allocating (and later freeing) its own.
    /// Where they keep changing (`GET` of random keys) the comparison stops after a few misses
    /// and is tried again every 64 requests, so it costs nothing there.
    private var lastName = Repeated()
    private var lastKey = Repeated()

    struct Repeated {
        var bytes: [UInt8] = []
        var misses = 0
    }

    @inline(__always)
    private static func repeated(_ bytes: UnsafeRawBufferPointer, _ last: inout Repeated) -> [UInt8] {
        if last.misses < 3 || last.misses & 63 == 0 {
            if bytes.count == last.bytes.count,
                last.bytes.withUnsafeBytes({ bytes.count == 0 || memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 })
            {
                last.misses = 0
                return last.bytes
            }
            let arg = [UInt8](bytes)
            // A miss on a retry (every 64th) compares the next request too: a key that now repeats is shared from then on.
            last.misses = last.misses < 3 ? last.misses + 1 : 2
            if arg.count <= 64 { last.bytes = arg }
            return arg
        }
        last.misses += 1
        return [UInt8](bytes)
    }

    /// The common case of a length line, in one pass: `<prefix>` then 1 to 9 digits (no
    /// leading zero) then `\r\n`, all present. Anything else (incomplete, negative, invalid)
    /// returns nil and goes the general way (`lengthLine`), which decides.
    @inline(__always)
    private static func shortLength(_ raw: UnsafeRawBufferPointer, at start: Int) -> (Int, Int)? {
        let n = raw.count
        var p = start + 1
        var value = 0
        while p < n {
            let d = raw[p] &- UInt8(ascii: "0")
            if d > 9 { break }
            value = value &* 10 &+ Int(d)
            p &+= 1
        }
        let digits = p &- start &- 1
        guard digits >= 1 && digits <= 9, p &+ 1 < n, raw[p] == UInt8(ascii: "\r"),
            digits == 1 || raw[start &+ 1] != UInt8(ascii: "0")
        else { return nil }
        return (value, p &+ 2)
    }

    /// `<prefix><integer>\r\n` at `start`: the integer (nil if not valid) and the offset after
    /// the line; nil if the line is not complete.
    @inline(__always)
    private static func lengthLine(_ raw: UnsafeRawBufferPointer, at start: Int) -> (Int?, Int)? {
        var cr = start + 1
        let n = raw.count
        while cr < n && raw[cr] != UInt8(ascii: "\r") { cr += 1 }
        guard cr + 1 < n else { return nil }
        return (parseInt(UnsafeRawBufferPointer(rebasing: raw[(start + 1)..<cr])), cr + 2)
    }

    /// Redis's `string2ll`: no sign but '-', no leading zeros, no spaces.
    static func parseInt(_ digits: UnsafeRawBufferPointer) -> Int? {
        let n = digits.count
        if n == 0 || n > 19 { return nil }
        let first = digits[0]
        if n > 1 && first == UInt8(ascii: "0") { return nil }
        if n > 1 && first == UInt8(ascii: "-") && digits[1] == UInt8(ascii: "0") { return nil }
        let negative = first == UInt8(ascii: "-")
        if negative && n == 1 { return nil }
        var result = 0
        for i in (negative ? 1 : 0)..<n {
            let c = digits[i]
            guard c >= 48 && c <= 57 else { return nil }
            result = result * 10 + Int(c - 48)
        }
        return negative ? -result : result
    }

    private func readInline(_ buffer: inout ByteBuffer) throws -> [[UInt8]]? {
        let view = buffer.readableBytesView
        guard let nl = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if view.count > limits.maxInlineLength { throw RESPProtocolError("too big inline request") }
            return nil
        }
        var end = nl
        if end > view.startIndex && view[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = Array(view[view.startIndex..<end])
        buffer.moveReaderIndex(to: nl + 1)
        guard let args = InlineSplitter.split(line) else {
            throw RESPProtocolError("unbalanced quotes in request")
        }
        return args
    }
}

/// Splits an inline request line into arguments like Redis's `sdssplitargs`:
/// whitespace separated, with "double quotes" (escapes \n \r \t \b \a \\ \" \xHH) and 'single quotes'.
public enum InlineSplitter {
    public static func split(_ line: [UInt8]) -> [[UInt8]]? {
        var args: [[UInt8]] = []
        var i = 0
        let n = line.count
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 || c == 11 || c == 12 || c == 0 }
        func hex(_ c: UInt8) -> Int? {
            switch c {
            case 48...57: return Int(c - 48)
            case 97...102: return Int(c - 87)
            case 65...70: return Int(c - 55)
            default: return nil
            }
        }
        while true {
            while i < n && isSpace(line[i]) { i += 1 }
            if i >= n { return args }
            var current: [UInt8] = []
            var inDouble = false
            var inSingle = false
            var done = false
            while !done {
                if inDouble {
                    if i >= n { return nil }
                    let c = line[i]
                    if c == UInt8(ascii: "\\") && i + 3 < n && line[i + 1] == UInt8(ascii: "x"),
                        let h = hex(line[i + 2]), let l = hex(line[i + 3])
                    {
                        current.append(UInt8(h * 16 + l))
                        i += 3
                    } else if c == UInt8(ascii: "\\") && i + 1 < n {
                        i += 1
                        switch line[i] {
                        case UInt8(ascii: "n"): current.append(10)
                        case UInt8(ascii: "r"): current.append(13)
                        case UInt8(ascii: "t"): current.append(9)
                        case UInt8(ascii: "b"): current.append(8)
                        case UInt8(ascii: "a"): current.append(7)
                        default: current.append(line[i])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        // The closing quote must be followed by a space or the end.
                        if i + 1 < n && !isSpace(line[i + 1]) { return nil }
                        done = true
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if i >= n { return nil }
                    let c = line[i]
                    if c == UInt8(ascii: "\\") && i + 1 < n && line[i + 1] == UInt8(ascii: "'") {
                        i += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if i + 1 < n && !isSpace(line[i + 1]) { return nil }
                        done = true
                    } else {
                        current.append(c)
                    }
                } else {
                    if i >= n { done = true; break }
                    let c = line[i]
                    if isSpace(c) {
                        done = true
                    } else if c == UInt8(ascii: "\"") {
                        inDouble = true
                    } else if c == UInt8(ascii: "'") {
                        inSingle = true
                    } else {
                        current.append(c)
                    }
                }
                if i < n { i += 1 }
            }
            args.append(current)
        }
    }
}
