#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine

/// Reads, verifies and (when asked) repairs a log directory.
public enum LogScanner {
    /// Where the persistence layer reports noteworthy events (the server points it at its logger).
    nonisolated(unsafe) public static var report: (String) -> Void = { print($0) }

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public let file: String
        public let offset: Int
        public let reason: String
        public var description: String { "Bad log record in \(file) at offset \(offset): \(reason)" }
    }

    public struct Summary: Equatable {
        public var segments = 0
        public var records = 0
        public var firstSequence: UInt64 = 0
        public var lastSequence: UInt64 = 0
        /// A torn tail: file, offset where the last complete record ends, bytes after it.
        public var tornTail: (file: String, offset: Int, bytes: Int)?
        /// Preallocated space (zeros) after the last record of the last segment: where the
        /// next record goes. Not damage; truncated at start-up like a torn tail, silently.
        public var unusedTail: (file: String, offset: Int)?
        public var problem: Problem?

        public static func == (a: Summary, b: Summary) -> Bool {
            a.segments == b.segments && a.records == b.records && a.lastSequence == b.lastSequence
                && a.problem == b.problem && a.tornTail?.offset == b.tornTail?.offset
        }
    }

    static func readWhole(_ path: String) -> [UInt8]? {
        let f = open(path, O_RDONLY)
        guard f >= 0 else { return nil }
        defer { close(f) }
        var st = stat()
        fstat(f, &st)
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        var off = 0
        while off < out.count {
            let n = out.withUnsafeMutableBytes { read(f, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 { break }
            off += n
        }
        return off == out.count ? out : Array(out[0..<off])
    }

    /// Walks every record. A torn tail of the last segment is reported in the summary (not an
    /// error); anything else that is wrong stops the walk with a `Problem`.
    public static func scan(directory: String, after: UInt64 = 0, _ body: ((LogRecord) throws -> Void)? = nil) throws -> Summary {
        var summary = Summary()
        let segs = SegmentedLog.segments(in: directory)
        summary.segments = segs.count
        var expected: UInt64? = nil
        for (index, seg) in segs.enumerated() {
            let isLast = index == segs.count - 1
            guard let bytes = readWhole(seg.path) else {
                throw Problem(file: seg.path, offset: 0, reason: "cannot read file")
            }
            if bytes.count < SegmentedLog.segmentHeaderSize || Array(bytes[0..<8]) != SegmentedLog.magic {
                if isLast && bytes.allSatisfy({ $0 == 0 }) || isLast && bytes.count < SegmentedLog.segmentHeaderSize {
                    summary.tornTail = (seg.path, 0, bytes.count)
                    break
                }
                throw Problem(file: seg.path, offset: 0, reason: "not a Mnemo log segment (bad header)")
            }
            let version = bytes.withUnsafeBytes { readLE($0, 8, UInt32.self) }
            guard version == SegmentedLog.formatVersion else {
                throw Problem(file: seg.path, offset: 8, reason: "unsupported log format version \(version)")
            }
            var offset = SegmentedLog.segmentHeaderSize
            while offset < bytes.count {
                let result = bytes.withUnsafeBytes { LogRecord.decode($0, at: offset) }
                switch result {
                case .record(let r, let size):
                    if let e = expected, r.sequence != e {
                        throw Problem(file: seg.path, offset: offset, reason: "sequence \(r.sequence) where \(e) was expected")
                    }
                    if summary.records == 0 { summary.firstSequence = r.sequence }
                    expected = r.sequence + 1
                    summary.records += 1
                    summary.lastSequence = r.sequence
                    if r.sequence > after { try body?(r) }
                    offset += size
                case .incomplete, .corrupt:
                    // Zeros from here on: space preallocated for records not written yet.
                    if bytes[offset...].allSatisfy({ $0 == 0 }) {
                        if isLast { summary.unusedTail = (seg.path, offset) }
                        offset = bytes.count
                        break
                    }
                    // A bad or partial record that is the last thing written (nothing but zeros
                    // after the end it declares) is a torn write, never acknowledged.
                    let declared = bytes.count - offset >= 4 ? Int(bytes.withUnsafeBytes { readLE($0, offset, UInt32.self) }) : 0
                    let declaredEnd = offset + LogRecord.headerSize + declared
                    let onlyZerosAfter = declaredEnd >= bytes.count || bytes[declaredEnd...].allSatisfy { $0 == 0 }
                    if isLast && onlyZerosAfter {
                        summary.tornTail = (seg.path, offset, bytes.count - offset)
                        offset = bytes.count
                    } else if case .corrupt(let why) = result {
                        throw Problem(file: seg.path, offset: offset, reason: why)
                    } else {
                        throw Problem(file: seg.path, offset: offset, reason: "record cut short before the end of a non-final segment")
                    }
                }
            }
        }
        return summary
    }

    public static func forEachRecord(directory: String, after: UInt64, _ body: (LogRecord) throws -> Void) throws {
        try withoutActuallyEscaping(body) { b in _ = try scan(directory: directory, after: after, b) }
    }

    /// Cuts a torn tail (or unused preallocated space) so appends continue from the last
    /// complete record.
    public static func truncateTornTail(_ summary: Summary) {
        guard let t = summary.tornTail else {
            if let u = summary.unusedTail { truncate(u.file, off_t(u.offset)) }
            return
        }
        if t.offset == 0 {
            unlink(t.file)
        } else {
            truncate(t.file, off_t(t.offset))
        }
        report("Truncated a torn log tail: \(t.bytes) bytes at offset \(t.offset) of \(t.file)")
    }

    /// `mnemo-server --check-log [--fix] DIR`: reports the log's state; with --fix truncates to
    /// the last good record (dropping everything after a bad one). Returns the exit code.
    public static func check(directory: String, fix: Bool) -> Int32 {
        let logDir = SegmentedLog.segments(in: directory).isEmpty && !SegmentedLog.segments(in: directory + "/appendonlydir").isEmpty
            ? directory + "/appendonlydir" : directory
        do {
            let s = try scan(directory: logDir)
            print("Log \(logDir): \(s.segments) segment(s), \(s.records) record(s), sequences \(s.firstSequence)…\(s.lastSequence)")
            if let t = s.tornTail {
                print("Torn tail: \(t.bytes) byte(s) after offset \(t.offset) in \(t.file) (never acknowledged)")
                if fix {
                    truncateTornTail(s)
                    print("Fixed: truncated to the last complete record.")
                }
            } else {
                print("Log OK")
            }
            return 0
        } catch let p as Problem {
            print(p.description)
            if fix {
                truncate(p.file, off_t(p.offset))
                // Later segments follow the bad record: they cannot be applied.
                for seg in SegmentedLog.segments(in: logDir) where seg.path > p.file { unlink(seg.path) }
                print("Fixed: truncated \(p.file) to offset \(p.offset) and removed later segments.")
                return 0
            }
            print("Run with --fix to truncate the log to the last good record (later records are lost).")
            return 1
        } catch {
            print("\(error)")
            return 1
        }
    }
}
