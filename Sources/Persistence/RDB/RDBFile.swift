#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine

/// Whole RDB files: a snapshot of every database, readable by redis-check-rdb and redis-server.
public enum RDBFile {
    public static let sequenceAux = "mnemo-seq"

    /// Serializes a captured keyspace in memory (tests). `now` drops keys that have already
    /// expired; `compress` (`rdbcompression`) LZF-compresses long strings.
    public static func serialize(_ databases: [Database], sequence: UInt64, now: Int64, usedMemory: Int64 = 0,
                                 extraAux: [(String, Bytes)] = [], functions: [Bytes] = [], compress: Bool = true) -> [UInt8] {
        var w = RDBWriter(compress: compress, capacity: 1 << 16)
        var crc: UInt64 = 0
        // Never throws: nothing is drained.
        try! emit(databases, sequence: sequence, now: now, usedMemory: usedMemory, extraAux: extraAux,
                  functions: functions, into: &w, crc: &crc, drain: nil)
        return w.bytes
    }

    /// Writes a snapshot of `databases` to `path` durably (see `writeDurably`), serializing and
    /// writing a megabyte at a time: a snapshot built whole in memory first was a second copy
    /// of the dataset (tens of megabytes for 1M keys).
    public static func save(_ databases: [Database], to path: String, sequence: UInt64, now: Int64, usedMemory: Int64 = 0,
                            extraAux: [(String, Bytes)] = [], functions: [Bytes] = [], compress: Bool = true) throws {
        try writeDurably(to: path) { fd in
            var w = RDBWriter(compress: compress, capacity: drainThreshold + (1 << 16))
            var crc: UInt64 = 0
            try emit(databases, sequence: sequence, now: now, usedMemory: usedMemory, extraAux: extraAux,
                     functions: functions, into: &w, crc: &crc) { try writeAll(fd, $0) }
            try writeAll(fd, w.bytes)
        }
    }

    static let drainThreshold = 1 << 20

    /// The file's content into `w`; with `drain`, whenever `w` holds `drainThreshold` bytes
    /// they are checksummed, handed to `drain` and dropped, so `w` ends with the unwritten rest.
    private static func emit(_ databases: [Database], sequence: UInt64, now: Int64, usedMemory: Int64,
                             extraAux: [(String, Bytes)], functions: [Bytes], into w: inout RDBWriter,
                             crc: inout UInt64, drain: (([UInt8]) throws -> Void)?) throws {
        func drainIfFull() throws {
            guard let drain, w.bytes.count >= drainThreshold else { return }
            crc = CRC64.update(crc, w.bytes)
            try drain(w.bytes)
            w.bytes.removeAll(keepingCapacity: true)
        }
        w.bytes += Array("REDIS00\(RDB.version)".utf8)
        func aux(_ k: String, _ v: Bytes) {
            w.byte(RDB.Opcode.aux.rawValue)
            w.string(k)
            w.string(v)
        }
        aux("redis-ver", Bytes("7.0.15"))
        aux("redis-bits", Bytes("64"))
        aux("ctime", Bytes(String(now / 1000)))
        aux("used-mem", Bytes(String(usedMemory)))
        aux("aof-base", Bytes("0"))
        aux(sequenceAux, Bytes(String(sequence)))
        for (k, v) in extraAux { aux(k, v) }
        for f in functions {
            w.byte(RDB.Opcode.function2.rawValue)
            w.string(f)
            try drainIfFull()
        }
        for (index, db) in databases.enumerated() where db.count > 0 {
            w.byte(RDB.Opcode.selectDB.rawValue)
            w.length(index)
            w.byte(RDB.Opcode.resizeDB.rawValue)
            w.length(db.count)
            w.length(db.volatileCount)
            var failure: Error?
            db.forEach { key, entry in
                if failure != nil { return }
                if entry.expireAt != 0 {
                    w.byte(RDB.Opcode.expireTimeMs.rawValue)
                    w.le(UInt64(bitPattern: entry.expireAt))
                }
                w.byte(RDBValueCodec.typeByte(entry.value).rawValue)
                w.string(key)
                RDBValueCodec.writeBody(entry.value, to: &w)
                do { try drainIfFull() } catch { failure = error }
            }
            if let failure { throw failure }
        }
        w.byte(RDB.Opcode.eof.rawValue)
        crc = CRC64.update(crc, w.bytes)
        w.le(crc)
    }

    public struct Loaded {
        public var databases: [Database]
        public var aux: [String: Bytes] = [:]
        public var functions: [Bytes] = []
        public var sequence: UInt64 { aux[RDBFile.sequenceAux].flatMap { UInt64($0.text) } ?? 0 }
    }

    /// Parses an RDB file's bytes into databases (keys already expired at `now` are dropped
    /// when `dropExpired`).
    public static func parse(_ bytes: [UInt8], databases count: Int, now: Int64, dropExpired: Bool = true) throws -> Loaded {
        guard bytes.count >= 9, Array(bytes[0..<5]) == Array("REDIS".utf8),
              let version = Int(String(decoding: bytes[5..<9], as: UTF8.self))
        else { throw RDBError("Wrong signature trying to load DB from file") }
        guard version >= 1 && version <= Int(RDB.version) else {
            throw RDBError("Can't handle RDB format version \(version)")
        }
        var loaded = Loaded(databases: Array(repeating: Database(), count: count))
        var r = RDBReader(bytes, position: 9)
        var db = 0
        var expireAt: Int64 = 0
        while true {
            let type = try r.byte()
            switch type {
            case RDB.Opcode.eof.rawValue:
                if version >= 5 && r.position + 8 <= bytes.count {
                    let stored = try r.le(UInt64.self)
                    if stored != 0 && CRC64.checksum(bytes[0..<(r.position - 8)]) != stored {
                        throw RDBError("Wrong RDB checksum")
                    }
                }
                return loaded
            case RDB.Opcode.selectDB.rawValue:
                db = try r.length()
                guard db < count else {
                    throw RDBError("FATAL: Data file was created with a Redis server configured to handle more than \(count) databases.")
                }
            case RDB.Opcode.resizeDB.rawValue:
                _ = try r.length()
                _ = try r.length()
            case RDB.Opcode.aux.rawValue:
                let k = try r.string()
                let v = try r.string()
                loaded.aux[k.text] = v
            case RDB.Opcode.expireTimeMs.rawValue:
                expireAt = Int64(bitPattern: try r.le(UInt64.self))
            case RDB.Opcode.expireTime.rawValue:
                expireAt = Int64(try r.le(Int32.self)) * 1000
            case RDB.Opcode.freq.rawValue:
                _ = try r.byte()
            case RDB.Opcode.idle.rawValue:
                _ = try r.length()
            case RDB.Opcode.function2.rawValue:
                loaded.functions.append(try r.string())
            case RDB.Opcode.function.rawValue:
                throw RDBError("Pre-release function format not supported")
            case RDB.Opcode.moduleAux.rawValue:
                throw RDBError("Module auxiliary data in RDB is not supported")
            default:
                let key = try r.string()
                let value = try RDBValueCodec.read(type: type, from: &r)
                if !(dropExpired && expireAt != 0 && expireAt <= now) {
                    loaded.databases[db].set(key, Entry(value: value, expireAt: expireAt, lastAccess: now))
                }
                expireAt = 0
            }
        }
    }

    /// Writes a file durably: `body` writes the content to a temp file's descriptor, then
    /// fsync, rename over `path`, fsync the directory. On failure the temp file is removed.
    static func writeDurably(to path: String, _ body: (Int32) throws -> Void) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw RDBError("Failed opening \(tmp) for saving: \(String(cString: strerror(errno)))") }
        do {
            try body(fd)
            if fsync(fd) != 0 { throw RDBError("Write error saving DB on disk: \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            throw RDBError("Error moving temp DB file on the final destination: \(e)")
        }
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        SegmentedLog.syncDirectory(dir.isEmpty ? "." : dir)
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RDBError("Write error saving DB on disk: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }
}
