import Engine

/// Value ⇄ RDB object (type byte + encoding). Shared by snapshots and DUMP/RESTORE.
/// Each value family adds its encodings here.
public enum RDBValueCodec {
    /// Type byte then encoding (a DUMP payload's object).
    public static func write(_ value: Value, to w: inout RDBWriter) {
        w.byte(typeByte(value).rawValue)
        writeBody(value, to: &w)
    }

    public static func typeByte(_ value: Value) -> RDB.TypeByte {
        switch value {
        case .string: return .string
        case .hash(let h): return HashRDB.typeByte(h)
        case .list(let l): return ListRDB.typeByte(l)
        case .set(let s): return SetRDB.typeByte(s)
        case .zset(let z): return SortedSetRDB.typeByte(z)
        case .module: return .module2
        }
    }

    public static func writeBody(_ value: Value, to w: inout RDBWriter) {
        switch value {
        case .string(let s): w.string(s)
        case .hash(let h): HashRDB.write(h, to: &w)
        case .list(let l): ListRDB.write(l, to: &w)
        case .set(let s): SetRDB.write(s, to: &w)
        case .zset(let z): SortedSetRDB.write(z, to: &w)
        case .module(let m): ModuleRDB.write(m, to: &w)
        }
    }

    public static func read(type: UInt8, from r: inout RDBReader) throws -> Value {
        guard let t = RDB.TypeByte(rawValue: type) else { throw RDBError("Unknown RDB value type \(type)") }
        switch t {
        case .string:
            return .string(try r.string())
        case .hash, .hashListpack, .hashZiplist, .hashZipmap:
            return .hash(try HashRDB.read(t, from: &r))
        case .list, .listQuicklist, .listQuicklist2, .listZiplist:
            return .list(try ListRDB.read(t, from: &r))
        case .set, .setIntset:
            return .set(try SetRDB.read(t, from: &r))
        case .zset, .zset2, .zsetListpack, .zsetZiplist:
            return .zset(try SortedSetRDB.read(t, from: &r))
        case .module2:
            return .module(try ModuleRDB.read(from: &r))
        default:
            throw RDBError("RDB value type \(t) is not supported")
        }
    }
}

/// DUMP payloads: RDB object + 2-byte RDB version + CRC-64, byte-compatible with Redis 7.0.
public enum DumpPayload {
    public static func encode(_ value: Value) -> [UInt8] {
        var w = RDBWriter()
        RDBValueCodec.write(value, to: &w)
        w.le(RDB.version)
        let crc = CRC64.checksum(w.bytes)
        w.le(crc)
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws -> Value {
        guard payload.count >= 10 else { throw RedisError("DUMP payload version or checksum are wrong") }
        let n = payload.count
        let version = UInt16(payload[n - 10]) | UInt16(payload[n - 9]) << 8
        var crc: UInt64 = 0
        for i in 0..<8 { crc |= UInt64(payload[n - 8 + i]) << (8 * UInt64(i)) }
        guard version <= RDB.version, CRC64.checksum(payload[0..<(n - 8)]) == crc else {
            throw RedisError("DUMP payload version or checksum are wrong")
        }
        var r = RDBReader(Array(payload[0..<(n - 10)]))
        do {
            let v = try RDBValueCodec.read(type: try r.byte(), from: &r)
            guard r.atEnd else { throw RDBError("trailing bytes") }
            return v
        } catch {
            throw RedisError("Bad data format")
        }
    }
}
