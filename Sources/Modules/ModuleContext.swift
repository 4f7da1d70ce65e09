#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import ModuleABI
import RESP

/// A loaded module: what it registered, so MODULE UNLOAD can take it all back.
public final class LoadedModule {
    public internal(set) var name = ""
    public internal(set) var version: Int32 = 0
    public internal(set) var apiVersion: Int32 = 0
    public let path: String
    public let args: [Bytes]
    let handle: RawPtr
    var commands: [String] = []
    var types: [ModuleType] = []
    var timers: Set<UInt64> = []
    /// Blocked-client handles not yet ended (MODULE UNLOAD waits for them, as Redis).
    var blockedClients = 0
    /// True while its OnLoad runs (CreateCommand / CreateDataType are allowed only then).
    var loading = true

    init(path: String, args: [Bytes], handle: RawPtr) {
        self.path = path
        self.args = args
        self.handle = handle
    }
}

/// RedisModuleType: a data type a module created, with its callbacks.
final class ModuleType: ModuleDataType {
    let name: String
    let encodingVersion: Int
    let moduleName: String
    let id: UInt64
    let methods: MnemoTypeMethods
    let liveValues = AtomicCounter()
    unowned let host: ModuleHost
    /// The handle modules hold (RedisModuleType*); the type lives as long as the process.
    lazy var handle: RawPtr = Unmanaged.passUnretained(self).toOpaque()

    init(name: String, encver: Int, module: String, id: UInt64, methods: MnemoTypeMethods, host: ModuleHost) {
        self.name = name
        self.encodingVersion = encver
        self.moduleName = module
        self.id = id
        self.methods = methods
        self.host = host
    }

    func free(_ pointer: UnsafeMutableRawPointer) {
        if let f = methods.free { mnemo_invoke_free(f, pointer) }
    }

    func rdbSave(_ value: ModuleValue, to sink: ModuleRDBSink) {
        let io = ModuleIO(type: self, sink: sink)
        if let f = methods.rdb_save, let p = value.pointer {
            withExtendedLifetime(io) { mnemo_invoke_rdb_save(f, io.handle, p) }
        }
        sink.writeLength(ModuleIO.opEOF)
    }

    func rdbLoad(encver: Int, from source: ModuleRDBSource) throws -> ModuleValue {
        guard let f = methods.rdb_load else { throw RedisError("module type \(name) has no rdb_load") }
        let io = ModuleIO(type: self, source: source)
        let p = withExtendedLifetime(io) { mnemo_invoke_rdb_load(f, io.handle, Int32(encver)) }
        if io.error != nil || p == nil {
            if let p { self.free(p) }
            throw RedisError("Error loading a value of module type \(name): \(io.error ?? "rdb_load returned NULL")")
        }
        guard try source.readLength() == ModuleIO.opEOF else {
            self.free(p!)
            throw RedisError("The RDB file contains module data for type \(name) that was not fully loaded")
        }
        return ModuleValue(type: self, pointer: p)
    }

    func digest(_ value: ModuleValue) -> Bytes {
        guard let f = methods.digest, let p = value.pointer else { return [] }
        let d = ModuleDigest()
        withExtendedLifetime(d) { mnemo_invoke_digest(f, d.handle, p) }
        d.endSequence()
        return d.result
    }

    func memoryUsage(_ value: ModuleValue) -> Int {
        guard let f = methods.mem_usage, let p = value.pointer else { return 0 }
        return Int(mnemo_invoke_mem_usage(f, p))
    }
}

/// RedisModuleIO: an RDB payload being written or read, or an AOF rewrite collecting commands.
final class ModuleIO {
    static let opEOF: UInt64 = 0, opSInt: UInt64 = 1, opUInt: UInt64 = 2, opFloat: UInt64 = 3
    static let opDouble: UInt64 = 4, opString: UInt64 = 5
    let type: ModuleType
    let sink: ModuleRDBSink?
    let source: ModuleRDBSource?
    var error: String?
    var key: Bytes?
    /// Commands emitted by aof_rewrite (EmitAOF).
    var emitted: [[Bytes]] = []
    var ctx: ModuleCtx?
    lazy var handle: RawPtr = Unmanaged.passUnretained(self).toOpaque()

    init(type: ModuleType, sink: ModuleRDBSink? = nil, source: ModuleRDBSource? = nil) {
        self.type = type
        self.sink = sink
        self.source = source
    }

    static func from(_ p: UnsafeRawPointer?) -> ModuleIO? {
        guard let p else { return nil }
        return Unmanaged<ModuleIO>.fromOpaque(p).takeUnretainedValue()
    }

    /// Reads the opcode a Load* expects; records an error on mismatch.
    func expect(_ op: UInt64, or alternative: UInt64? = nil) -> Bool {
        guard error == nil, let source else { return false }
        do {
            let got = try source.readLength()
            if got != op && got != alternative {
                error = "Unexpected module opcode \(got) (expected \(op))"
                return false
            }
            return true
        } catch {
            self.error = "\(error)"
            return false
        }
    }
}

/// RedisModuleDigest: an order-sensitive digest of a value (DEBUG DIGEST-VALUE / DIGEST).
final class ModuleDigest {
    var sequence: Bytes = []
    var result: Bytes = []
    lazy var handle: RawPtr = Unmanaged.passUnretained(self).toOpaque()
    static func from(_ p: UnsafeRawPointer?) -> ModuleDigest? {
        guard let p else { return nil }
        return Unmanaged<ModuleDigest>.fromOpaque(p).takeUnretainedValue()
    }
    func add(_ b: Bytes) { sequence += Bytes(String(b.count).utf8) + [0] + b }
    func endSequence() {
        if sequence.isEmpty { return }
        let h = SHA1.hash(sequence)
        if result.isEmpty { result = h } else { result = SHA1.hash(result + h) }
        sequence = []
    }
}

/// RedisModuleCtx: what one call into a module runs with (a command, OnLoad, a timer).
final class ModuleCtx {
    unowned let host: ModuleHost
    let module: LoadedModule?
    let client: Client?
    var db: Int
    /// The command's arguments (ReplicateVerbatim logs them).
    var argv: [Bytes] = []
    let raw: UnsafeMutablePointer<MnemoModuleCtx>
    var autoMemory = false
    var autoStrings: [RawPtr] = []
    var autoReplies: [RawPtr] = []
    var openKeys: [ModuleKey] = []
    var pool: [RawPtr] = []
    var reply = ReplyBuilder()
    /// Set when the module called an API function Mnemo does not provide.
    var unsupported: String?
    /// Arguments owned by the host (released when the call ends).
    var ownedStrings: [RawPtr] = []
    /// The command being run, when this call is one (BlockClientOnKeys blocks its client).
    var command: CommandContext?
    /// Set in a blocked client's callbacks: which one runs, its private data, the ready key.
    var blockedFlags: BlockedFlags = []
    var blockedPrivdata: RawPtr?
    var blockedReadyKey: Bytes?
    var blockedClient: ModuleBlockedClient?
    /// The command blocked its client (its reply comes later, from a callback).
    var didBlock = false
    /// BlockClientOnKeys was refused (MULTI, script): the command replies with this error.
    var blockRefused: String?

    struct BlockedFlags: OptionSet {
        let rawValue: Int
        static let reply = BlockedFlags(rawValue: 1)
        static let timeout = BlockedFlags(rawValue: 2)
        static let disconnected = BlockedFlags(rawValue: 4)
    }

    init(host: ModuleHost, module: LoadedModule?, client: Client?, db: Int) {
        self.host = host
        self.module = module
        self.client = client
        self.db = db
        raw = UnsafeMutablePointer<MnemoModuleCtx>.allocate(capacity: 1)
        raw.pointee.getapi = unsafeBitCast(mnemo_get_api as @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Int32, to: UnsafeMutableRawPointer.self)
        raw.pointee.host = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit { raw.deallocate() }

    static func from(_ p: UnsafeRawPointer?) -> ModuleCtx? {
        guard let p else { return nil }
        let c = p.assumingMemoryBound(to: MnemoModuleCtx.self)
        guard let h = c.pointee.host else { return nil }
        return Unmanaged<ModuleCtx>.fromOpaque(h).takeUnretainedValue()
    }

    var engine: Engine { host.engine }

    /// A new string handle; under AutoMemory it is freed when the call ends.
    func makeString(_ ptr: UnsafeRawPointer?, _ len: Int) -> RawPtr {
        let h = ModuleString(ptr, len).retainedHandle()
        if autoMemory { autoStrings.append(h) }
        return h
    }

    func makeString(_ b: Bytes) -> RawPtr {
        b.withUnsafeBytes { makeString($0.baseAddress, $0.count) }
    }

    /// Ends the call: keys closed (DMA written back), AutoMemory and pool memory released.
    func finish() {
        for k in openKeys { k.close() }
        openKeys.removeAll()
        for s in autoStrings { ModuleString.release(s) }
        autoStrings.removeAll()
        for r in autoReplies { Unmanaged<CallReply>.fromOpaque(r).release() }
        autoReplies.removeAll()
        for s in ownedStrings { ModuleString.release(s) }
        ownedStrings.removeAll()
        for p in pool { free(p) }
        pool.removeAll()
    }
}
