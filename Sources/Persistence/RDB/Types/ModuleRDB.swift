import Engine

/// Module values in RDB (RDB_TYPE_MODULE_2): the 64-bit module type id as a length, then
/// the payload the type's rdb_save writes (opcode-tagged fields, then the EOF opcode).
enum ModuleRDB {
    static func write(_ m: ModuleValue, to w: inout RDBWriter) {
        let sink = Sink(w)
        sink.writeLength(m.type.id)
        m.type.rdbSave(m, to: sink)
        w = sink.w
    }

    static func read(from r: inout RDBReader) throws -> ModuleValue {
        let source = Source(r)
        let id = try source.readLength()
        let (name, encver) = ModuleTypeRegistry.decode(id: id)
        guard let type = ModuleTypeRegistry.type(named: name) else {
            throw RDBError("The RDB file contains module data I can't load: no matching module type '\(name)'")
        }
        let v = try type.rdbLoad(encver: encver, from: source)
        r = source.r
        return v
    }

    final class Sink: ModuleRDBSink {
        var w: RDBWriter
        init(_ w: RDBWriter) { self.w = w }
        func writeLength(_ v: UInt64) {
            if v <= UInt64(UInt32.max) {
                w.length(Int(v))
            } else {
                w.byte(0x81)
                withUnsafeBytes(of: v.bigEndian) { w.bytes.append(contentsOf: $0) }
            }
        }
        func writeString(_ b: Bytes) { w.string(b) }
        func writeRaw(_ b: Bytes) { w.bytes += b }
    }

    final class Source: ModuleRDBSource {
        var r: RDBReader
        init(_ r: RDBReader) { self.r = r }
        func readLength() throws -> UInt64 {
            let first = try r.byte()
            switch first >> 6 {
            case 0: return UInt64(first & 0x3F)
            case 1: return UInt64(first & 0x3F) << 8 | UInt64(try r.byte())
            default:
                if first == 0x80 { return UInt64(try r.be(UInt32.self)) }
                if first == 0x81 { return try r.be(UInt64.self) }
                throw RDBError("Unknown RDB length encoding \(first)")
            }
        }
        func readString() throws -> Bytes { try r.string() }
        func readRaw(_ n: Int) throws -> Bytes { try r.take(n) }
    }
}
