#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import ModuleABI
import RESP

typealias RawPtr = UnsafeMutableRawPointer

/// RedisModuleString: NUL-terminated bytes at a stable address, reference counted by hand
/// (Create* = 1 reference, RetainString +1, FreeString −1) through Unmanaged.
final class ModuleString {
    private(set) var buf: UnsafeMutablePointer<CChar>
    private(set) var count: Int

    init(_ ptr: UnsafeRawPointer?, _ len: Int) {
        buf = UnsafeMutablePointer<CChar>.allocate(capacity: len + 1)
        if len > 0, let ptr { memcpy(buf, ptr, len) }
        buf[len] = 0
        count = len
    }

    convenience init(_ bytes: Bytes) {
        self.init(nil, 0)
        replace(bytes)
    }

    deinit { buf.deallocate() }

    var bytes: Bytes { Bytes(UnsafeRawBufferPointer(start: buf, count: count)) }

    func replace(_ bytes: Bytes) {
        buf.deallocate()
        buf = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { if $0.count > 0 { memcpy(buf, $0.baseAddress!, $0.count) } }
        buf[bytes.count] = 0
        count = bytes.count
    }

    func append(_ ptr: UnsafeRawPointer, _ len: Int) {
        var b = bytes
        b.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: len))
        replace(b)
    }

    /// A new handle holding one reference.
    func retainedHandle() -> RawPtr { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ p: UnsafeRawPointer?) -> ModuleString? {
        guard let p else { return nil }
        return Unmanaged<ModuleString>.fromOpaque(p).takeUnretainedValue()
    }

    static func release(_ p: RawPtr) { Unmanaged<ModuleString>.fromOpaque(p).release() }
    static func retain(_ p: RawPtr) { _ = Unmanaged<ModuleString>.fromOpaque(p).retain() }
}

/// RedisModuleCallReply: a reply tree; elements are owned by their parent.
final class CallReply {
    let value: RESPValue
    /// The reply was produced for RESP3 (CallReplyProto encodes it so).
    var resp3 = false
    private var children: [Int: RawPtr] = [:]
    private var text: UnsafeMutablePointer<CChar>?
    private var protoText: UnsafeMutablePointer<CChar>?
    private var formatText: UnsafeMutablePointer<CChar>?

    init(_ value: RESPValue) { self.value = value }

    deinit {
        for (_, c) in children { Unmanaged<CallReply>.fromOpaque(c).release() }
        text?.deallocate()
        protoText?.deallocate()
        formatText?.deallocate()
    }

    static func from(_ p: UnsafeRawPointer?) -> CallReply? {
        guard let p else { return nil }
        return Unmanaged<CallReply>.fromOpaque(p).takeUnretainedValue()
    }

    /// Redis's REDISMODULE_REPLY_* codes.
    var type: Int32 {
        switch value {
        case .simple, .bulk: return 0
        case .error: return 1
        case .integer: return 2
        case .array, .push: return 3
        case .null, .nullArray: return 4
        case .map: return 5
        case .set: return 6
        case .boolean: return 7
        case .double: return 8
        case .bigNumber: return 9
        case .verbatim: return 10
        default: return -1
        }
    }

    var elements: [RESPValue] {
        switch value {
        case .array(let a), .set(let a), .push(let a): return a
        case .map(let m): return m.flatMap { [$0.0, $0.1] }
        default: return []
        }
    }

    var length: Int {
        switch value {
        case .array(let a), .set(let a), .push(let a): return a.count
        case .map(let m): return m.count
        case .bulk(let b): return b.count
        case .simple(let s), .error(let s), .bigNumber(let s): return s.utf8.count
        case .verbatim(_, let t): return t.count
        default: return 0
        }
    }

    /// The element at `index` of `elements` (cached so it lives as long as this reply).
    func child(_ index: Int) -> RawPtr? {
        let els = elements
        guard index >= 0, index < els.count else { return nil }
        if let c = children[index] { return c }
        let c = Unmanaged.passRetained(CallReply(els[index])).toOpaque()
        children[index] = c
        return c
    }

    static func cString(_ bytes: Bytes) -> UnsafeMutablePointer<CChar> {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBytes { if $0.count > 0 { memcpy(p, $0.baseAddress!, $0.count) } }
        p[bytes.count] = 0
        return p
    }

    var stringBytes: Bytes? {
        switch value {
        case .bulk(let b): return b
        case .simple(let s), .error(let s), .bigNumber(let s): return Bytes(s.utf8)
        case .verbatim(_, let t): return t
        default: return nil
        }
    }

    func stringPointer(_ len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
        guard let b = stringBytes else { len?.pointee = 0; return nil }
        if text == nil { text = CallReply.cString(b) }
        len?.pointee = b.count
        return UnsafePointer(text)
    }

    func verbatimFormat() -> UnsafePointer<CChar>? {
        guard case .verbatim(let f, _) = value else { return nil }
        if formatText == nil { formatText = CallReply.cString(Bytes(f.utf8)) }
        return UnsafePointer(formatText)
    }

    func proto(_ len: UnsafeMutablePointer<Int>?, resp3: Bool) -> UnsafePointer<CChar>? {
        if protoText == nil {
            var buf = RESPEncoder.encode(value, version: resp3 ? .resp3 : .resp2)
            let b = buf.readBytes(length: buf.readableBytes) ?? []
            protoText = CallReply.cString(b)
            protoLength = b.count
        }
        len?.pointee = protoLength
        return UnsafePointer(protoText)
    }
    private var protoLength = 0

    /// A reply as a RESP2 caller sees it (Call without the `3` flag).
    static func resp2(_ v: RESPValue) -> RESPValue {
        switch v {
        case .map(let m): return .array(m.flatMap { [resp2($0.0), resp2($0.1)] })
        case .set(let a), .push(let a): return .array(a.map(resp2))
        case .array(let a): return .array(a.map(resp2))
        case .double(let d): return .bulk(Numbers.formatDouble(d))
        case .boolean(let b): return .integer(b ? 1 : 0)
        case .bigNumber(let s): return .bulk(Bytes(s.utf8))
        case .verbatim(_, let t): return .bulk(t)
        case .nullArray: return .nullArray
        default: return v
        }
    }
}

/// The reply a module command builds with the Reply* family; arrays may have postponed lengths.
struct ReplyBuilder {
    enum Kind { case array, map, set, attribute }
    struct Frame {
        var kind: Kind
        var expected: Int?
        var items: [RESPValue] = []
        var needed: Int? { expected.map { kind == .map || kind == .attribute ? $0 * 2 : $0 } }
    }
    var frames: [Frame] = []
    var replies: [RESPValue] = []

    mutating func add(_ v: RESPValue) {
        if frames.isEmpty {
            replies.append(v)
            return
        }
        frames[frames.count - 1].items.append(v)
        closeFull()
    }

    mutating func open(_ kind: Kind, _ len: Int?) {
        frames.append(Frame(kind: kind, expected: len))
        closeFull()
    }

    mutating func setLength(_ kind: Kind, _ len: Int) {
        guard let i = frames.lastIndex(where: { $0.expected == nil && $0.kind == kind }) else { return }
        frames[i].expected = len
        closeFull()
    }

    private mutating func closeFull() {
        while let f = frames.last, let n = f.needed, f.items.count >= n {
            frames.removeLast()
            let v: RESPValue
            switch f.kind {
            case .array: v = .array(f.items)
            case .set: v = .set(f.items)
            case .map, .attribute:
                var pairs: [(RESPValue, RESPValue)] = []
                var i = 0
                while i + 1 < f.items.count {
                    pairs.append((f.items[i], f.items[i + 1]))
                    i += 2
                }
                v = .map(pairs)
            }
            if f.kind == .attribute { continue }  // attributes are not sent (RESP3 only; dropped)
            add(v)
        }
    }
}
