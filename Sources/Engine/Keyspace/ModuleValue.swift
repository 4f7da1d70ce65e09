#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A value of a module-defined data type: a pointer the module owns, released through its
/// type's `free` when the last reference (keyspace or snapshot) goes away.
public final class ModuleValue {
    public let type: ModuleDataType
    public private(set) var pointer: UnsafeMutableRawPointer?

    public init(type: ModuleDataType, pointer: UnsafeMutableRawPointer?) {
        self.type = type
        self.pointer = pointer
        type.liveValues.add(1)
    }

    /// Hands the pointer to someone else (the value no longer frees it).
    public func release() -> UnsafeMutableRawPointer? {
        let p = pointer
        pointer = nil
        return p
    }

    deinit {
        type.liveValues.add(-1)
        if let p = pointer { type.free(p) }
    }
}

/// A thread-safe counter (values may die on the snapshot thread).
public final class AtomicCounter: @unchecked Sendable {
    private let lock = PlainLock()
    private var n = 0
    public init() {}
    public func add(_ d: Int) { lock.lock(); n += d; lock.unlock() }
    public var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

/// Where a module value's RDB payload is written (the RDB layer implements it).
public protocol ModuleRDBSink: AnyObject {
    /// An RDB length-encoded unsigned integer (module opcodes and integers).
    func writeLength(_ v: UInt64)
    func writeString(_ b: Bytes)
    func writeRaw(_ b: Bytes)
}

/// Where a module value's RDB payload is read from.
public protocol ModuleRDBSource: AnyObject {
    func readLength() throws -> UInt64
    func readString() throws -> Bytes
    func readRaw(_ n: Int) throws -> Bytes
}

/// A module-defined data type (RedisModule_CreateDataType). The Modules target implements it.
public protocol ModuleDataType: AnyObject {
    /// The 9-character type name (TYPE shows it).
    var name: String { get }
    var encodingVersion: Int { get }
    var moduleName: String { get }
    /// The 64-bit RDB module id: name in 6-bit characters, then the 10-bit encoding version.
    var id: UInt64 { get }
    var liveValues: AtomicCounter { get }
    func free(_ pointer: UnsafeMutableRawPointer)
    /// The value's RDB payload (opcodes and EOF), through the module's rdb_save.
    func rdbSave(_ value: ModuleValue, to sink: ModuleRDBSink)
    /// Reads a payload written with encoding version `encver` through the module's rdb_load.
    func rdbLoad(encver: Int, from source: ModuleRDBSource) throws -> ModuleValue
    /// A digest of the value (DEBUG DIGEST), through the module's digest callback.
    func digest(_ value: ModuleValue) -> Bytes
    /// The value's size in bytes (MEMORY USAGE), through the module's mem_usage callback.
    func memoryUsage(_ value: ModuleValue) -> Int
}

/// The loaded module types, by name (RDB loading finds a type from the id's name bits).
public enum ModuleTypeRegistry {
    private static let lock = PlainLock()
    nonisolated(unsafe) private static var types: [String: ModuleDataType] = [:]

    /// Redis's character set for type names.
    public static let charset = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func register(_ t: ModuleDataType) { lock.lock(); types[t.name] = t; lock.unlock() }
    public static func unregister(_ name: String) { lock.lock(); types[name] = nil; lock.unlock() }
    public static func type(named name: String) -> ModuleDataType? { lock.lock(); defer { lock.unlock() }; return types[name] }

    /// The id Redis computes, or nil if the name is not 9 characters of the charset.
    public static func id(name: String, encver: Int) -> UInt64? {
        let b = Array(name.utf8)
        guard b.count == 9, encver >= 0, encver <= 1023 else { return nil }
        var id: UInt64 = 0
        for c in b {
            guard let pos = charset.firstIndex(of: c) else { return nil }
            id = (id << 6) | UInt64(pos)
        }
        return (id << 10) | UInt64(encver)
    }

    /// Name and encoding version from an id.
    public static func decode(id: UInt64) -> (name: String, encver: Int) {
        var bits = id >> 10
        var chars = [UInt8](repeating: 0, count: 9)
        for i in stride(from: 8, through: 0, by: -1) {
            chars[i] = charset[Int(bits & 63)]
            bits >>= 6
        }
        return (String(decoding: chars, as: UTF8.self), Int(id & 1023))
    }
}

/// A pthread mutex (the engine target does not import Foundation).
public final class PlainLock: @unchecked Sendable {
    private var m = pthread_mutex_t()
    public init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    public func lock() { pthread_mutex_lock(&m) }
    public func unlock() { pthread_mutex_unlock(&m) }
}
