import Engine
import RESP

/// One atomic log record: the effects of one command, EXEC, script or module call.
///
/// On disk (little-endian), frozen by a golden test — change only by adding a new version:
///
///     u32 payloadLength | u32 crc32c(of everything after this field) | u64 sequence |
///     i64 timestampMs | u8 opcode | u32 db | payload[payloadLength]
///
/// The payload of `.effects` is RESP arrays, one per effect; `SELECT n` arrays switch the
/// database for the effects after them (the record's `db` is the first one's).
public struct LogRecord: Equatable, Sendable {
    public enum Opcode: UInt8, Sendable {
        case effects = 1
    }

    public static let headerSize = 4 + 4 + 8 + 8 + 1 + 4

    public var sequence: UInt64
    public var timestamp: Int64
    public var opcode: Opcode
    public var db: UInt32
    public var payload: [UInt8]

    public init(sequence: UInt64, timestamp: Int64, opcode: Opcode = .effects, db: UInt32, payload: [UInt8]) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.opcode = opcode
        self.db = db
        self.payload = payload
    }

    /// Builds an effects record, inserting SELECT where the database changes.
    public init(sequence: UInt64, timestamp: Int64, effects: [Effect]) {
        var payload: [UInt8] = []
        LogRecord.appendPayload(effects, to: &payload)
        self.init(sequence: sequence, timestamp: timestamp, db: UInt32(effects.first?.db ?? 0), payload: payload)
    }

    /// Encodes an effects record straight onto `out` (the log's pending buffer): the same bytes
    /// as `LogRecord(sequence:timestamp:effects:).encode(into:)` without building the payload
    /// on its own first.
    public static func encode(sequence: UInt64, timestamp: Int64, effects: [Effect], into out: inout [UInt8]) {
        let db = effects.first?.db ?? 0
        if effects.allSatisfy({ $0.db == db }) {
            encodeOneDatabase(sequence: sequence, timestamp: timestamp, db: UInt32(db), effects: effects, into: &out)
            return
        }
        let start = out.count
        out.reserveCapacity(start + headerSize + payloadSize(effects))
        appendHeader(length: 0, sequence: sequence, timestamp: timestamp, opcode: .effects,
                     db: UInt32(effects.first?.db ?? 0), to: &out)
        appendPayload(effects, to: &out)
        writeLE(UInt32(out.count - start - headerSize), &out, at: start)
        sealChecksum(&out, from: start)
    }

    /// The common case (no SELECT): the size is known exactly, so the record is written in one
    /// pass over raw memory instead of many small appends (each a capacity and uniqueness check).
    private static func encodeOneDatabase(sequence: UInt64, timestamp: Int64, db: UInt32, effects: [Effect],
                                          into out: inout [UInt8]) {
        let length = payloadSize(effects)
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: headerSize + length))
        out.withUnsafeMutableBufferPointer { buf in
            let raw = UnsafeMutableRawPointer(buf.baseAddress! + start)
            raw.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)  // CRC, sealed below
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: UInt64(bitPattern: timestamp).littleEndian, toByteOffset: 16, as: UInt64.self)
            raw.storeBytes(of: Opcode.effects.rawValue, toByteOffset: 24, as: UInt8.self)
            raw.storeBytes(of: db.littleEndian, toByteOffset: 25, as: UInt32.self)
            var frame = RESPFrame(buf.baseAddress! + start + headerSize)
            for e in effects {
                frame.header(UInt8(ascii: "*"), e.argv.count)
                for a in e.argv { a.withUnsafeBytes { frame.bulk($0) } }
            }
            assert(frame.position == buf.baseAddress! + start + headerSize + length)
        }
        sealChecksum(&out, from: start)
    }

    /// The effects as RESP arrays, with `SELECT n` where the database changes.
    static func appendPayload(_ effects: [Effect], to out: inout [UInt8]) {
        var current = effects.first?.db ?? 0
        for e in effects {
            if e.db != current {
                appendRESP([Bytes("SELECT"), Bytes(String(e.db))], to: &out)
                current = e.db
            }
            appendRESP(e.argv, to: &out)
        }
    }

    /// The payload's size without SELECTs: exact when every effect is in one database.
    static func payloadSize(_ effects: [Effect]) -> Int {
        var n = 0
        for e in effects {
            n += RESPFrame.headerSize(e.argv.count)
            for a in e.argv { n += RESPFrame.bulkSize(a.count) }
        }
        return n
    }

    static func appendRESP(_ argv: [Bytes], to out: inout [UInt8]) {
        appendLine(UInt8(ascii: "*"), argv.count, to: &out)
        for a in argv {
            appendLine(UInt8(ascii: "$"), a.count, to: &out)
            out += a
            out.append(13)
            out.append(10)
        }
    }

    /// `<prefix><n>\r\n` without building a string for the number.
    @inline(__always) static func appendLine(_ prefix: UInt8, _ n: Int, to out: inout [UInt8]) {
        out.append(prefix)
        RESPEncoder.appendDecimal(n, to: &out)
        out.append(13)
        out.append(10)
    }

    /// The effects, with their databases resolved.
    public func effects() throws -> [Effect] {
        var out: [Effect] = []
        var db = Int(self.db)
        var i = 0
        let p = payload
        func readLine() throws -> Int {
            var v = 0
            var neg = false
            if i < p.count && p[i] == UInt8(ascii: "-") { neg = true; i += 1 }
            while i < p.count && p[i] != 13 {
                guard p[i] >= 48 && p[i] <= 57 else { throw LogError.corrupt("bad number in payload") }
                v = v * 10 + Int(p[i] - 48)
                i += 1
            }
            guard i + 1 < p.count else { throw LogError.corrupt("truncated payload") }
            i += 2
            return neg ? -v : v
        }
        while i < p.count {
            guard p[i] == UInt8(ascii: "*") else { throw LogError.corrupt("expected array in payload") }
            i += 1
            let n = try readLine()
            var argv: [Bytes] = []
            argv.reserveCapacity(n)
            for _ in 0..<n {
                guard i < p.count, p[i] == UInt8(ascii: "$") else { throw LogError.corrupt("expected bulk in payload") }
                i += 1
                let len = try readLine()
                guard len >= 0, i + len + 2 <= p.count else { throw LogError.corrupt("truncated bulk in payload") }
                argv.append(Array(p[i..<(i + len)]))
                i += len + 2
            }
            if argv.count == 2 && argv[0] == Bytes("SELECT"), let n = Int(argv[1].text) {
                db = n
                continue
            }
            out.append(Effect(db: db, argv))
        }
        return out
    }

    public func encode(into out: inout [UInt8]) {
        let start = out.count
        out.reserveCapacity(start + LogRecord.headerSize + payload.count)
        LogRecord.appendHeader(length: payload.count, sequence: sequence, timestamp: timestamp, opcode: opcode, db: db, to: &out)
        out += payload
        LogRecord.sealChecksum(&out, from: start)
    }

    /// The header with a zero CRC (see `sealChecksum`).
    static func appendHeader(length: Int, sequence: UInt64, timestamp: Int64, opcode: Opcode, db: UInt32,
                             to out: inout [UInt8]) {
        appendLE(UInt32(length), &out)
        appendLE(UInt32(0), &out)  // CRC placeholder
        appendLE(sequence, &out)
        appendLE(UInt64(bitPattern: timestamp), &out)
        out.append(opcode.rawValue)
        appendLE(db, &out)
    }

    /// Fills in the CRC of the record that starts at `start` and ends at the end of `out`.
    static func sealChecksum(_ out: inout [UInt8], from start: Int) {
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
        writeLE(crc, &out, at: start + 4)
    }

    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public enum DecodeResult: Equatable {
        case record(LogRecord, size: Int)
        /// The bytes end before the record does (a torn tail if this is the end of the log).
        case incomplete
        case corrupt(String)
    }

    /// Decodes the record at `offset` of `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> DecodeResult {
        let avail = bytes.count - offset
        if avail < headerSize { return .incomplete }
        let len = Int(readLE(bytes, offset, UInt32.self))
        let crc = readLE(bytes, offset + 4, UInt32.self)
        if len > 1 << 31 { return .corrupt("record length \(len) is implausible") }
        if avail < headerSize + len { return .incomplete }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(offset + headerSize + len)])
        guard CRC32C.checksum(body) == crc else { return .corrupt("checksum mismatch") }
        let seq = readLE(bytes, offset + 8, UInt64.self)
        let ts = Int64(bitPattern: readLE(bytes, offset + 16, UInt64.self))
        guard let op = Opcode(rawValue: bytes[offset + 24]) else { return .corrupt("unknown opcode \(bytes[offset + 24])") }
        let db = readLE(bytes, offset + 25, UInt32.self)
        let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + headerSize)..<(offset + headerSize + len)]))
        return .record(LogRecord(sequence: seq, timestamp: ts, opcode: op, db: db, payload: payload), size: headerSize + len)
    }
}

public enum LogError: Error, CustomStringConvertible, Equatable {
    case corrupt(String)
    case io(String)
    public var description: String {
        switch self {
        case .corrupt(let s): return "corrupt log: \(s)"
        case .io(let s): return s
        }
    }
}

@inline(__always) func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
}

@inline(__always) func writeLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8], at: Int) {
    var x = v.littleEndian
    withUnsafeBytes(of: &x) { b in
        for i in 0..<b.count { out[at + i] = b[i] }
    }
}

@inline(__always) func readLE<T: FixedWidthInteger>(_ p: UnsafeRawBufferPointer, _ at: Int, _: T.Type) -> T {
    var v: T = 0
    withUnsafeMutableBytes(of: &v) { dst in
        for i in 0..<MemoryLayout<T>.size { dst[i] = p[at + i] }
    }
    return T(littleEndian: v)
}
