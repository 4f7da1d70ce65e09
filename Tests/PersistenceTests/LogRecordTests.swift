import Engine
import Foundation
import Testing

@testable import Persistence

@Suite("Log record codec")
struct LogRecordTests {
    static let sample = LogRecord(
        sequence: 7, timestamp: 1_700_000_000_123,
        effects: [Effect(db: 0, "SET", "k", "v"), Effect(db: 3, "DEL", "x"), Effect(db: 3, "INCR", "n")])

    @Test func roundTrip() throws {
        let bytes = Self.sample.encoded
        let r = bytes.withUnsafeBytes { LogRecord.decode($0, at: 0) }
        guard case .record(let rec, let size) = r else { Issue.record("not decoded: \(r)"); return }
        #expect(size == bytes.count)
        #expect(rec == Self.sample)
        #expect(try rec.effects() == [Effect(db: 0, "SET", "k", "v"), Effect(db: 3, "DEL", "x"), Effect(db: 3, "INCR", "n")])
    }

    /// The on-disk format is frozen: these bytes must never change for version 1.
    @Test func goldenEncoding() {
        let rec = LogRecord(sequence: 1, timestamp: 2, effects: [Effect(db: 1, "DEL", "a")])
        let hex = rec.encoded.map { String(format: "%02x", $0) }.joined()
        #expect(hex == "14000000" + String(format: "%08x", CRC32C.checksum(Array(rec.encoded[8...])).byteSwapped)
            + "0100000000000000" + "0200000000000000" + "01" + "01000000"
            + "2a320d0a24330d0a44454c0d0a24310d0a610d0a")
        #expect(LogRecord.Opcode.effects.rawValue == 1)
        #expect(SegmentedLog.magic == Array("MNEMOLOG".utf8))
        #expect(SegmentedLog.formatVersion == 1)
        #expect(LogRecord.headerSize == 29)
    }

    @Test func crcKnownValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0xE9C6_D914_C4B8_D9CA)
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.software($0) } == 0xE306_9283)
    }

    /// The CPU instruction path (8 bytes at a time, then a byte tail) agrees with the table
    /// for every length and alignment, and with a running seed.
    @Test func crcInstructionMatchesTable() {
        var rng = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in stride(from: start, through: all.count, by: 7) {
                    let p = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    #expect(CRC32C.checksum(p) == CRC32C.software(p), "bytes \(start)..<\(end)")
                    #expect(CRC32C.checksum(p, seed: 0xDEAD_BEEF) == CRC32C.software(p, seed: 0xDEAD_BEEF))
                }
            }
        }
    }

    @Test func everyTruncationIsIncompleteNeverWrong() {
        let bytes = Self.sample.encoded
        for cut in 0..<bytes.count {
            let r = Array(bytes[0..<cut]).withUnsafeBytes { LogRecord.decode($0, at: 0) }
            #expect(r == .incomplete, "cut at \(cut)")
        }
    }

    @Test func flippedBitIsCorrupt() {
        var bytes = Self.sample.encoded
        for i in stride(from: 8, to: bytes.count, by: 3) {
            bytes[i] ^= 0x40
            let r = bytes.withUnsafeBytes { LogRecord.decode($0, at: 0) }
            if case .record = r { Issue.record("bit flip at \(i) not detected") }
            bytes[i] ^= 0x40
        }
    }
}

@Suite("Segmented log on disk", .serialized, .timeLimit(.minutes(2)))
struct SegmentedLogTests {
    func tempDir() -> String {
        let d = NSTemporaryDirectory() + "mnemo-log-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func writeRecords(_ dir: String, count: Int, segmentLimit: Int64 = 1 << 20) throws -> SegmentedLog {
        let log = try SegmentedLog(directory: dir, last: 0, policy: .always, segmentLimit: segmentLimit)
        var last: UInt64 = 0
        for i in 0..<count {
            last = try log.append([Effect(db: 0, "SET", "key\(i)", String(repeating: "v", count: i % 50))], timestamp: 1, after: last)
            // Commit in groups, as clients waiting for replies would.
            if i % 10 == 9 || i == count - 1 {
                let done = DispatchSemaphore(value: 0)
                log.whenCommitted(last) { done.signal() }
                done.wait()
            }
        }
        return log
    }

    @Test func appendCommitAndRead() throws {
        let dir = tempDir()
        let log = try writeRecords(dir, count: 100)
        #expect(log.committed == 100)
        log.close()
        var seen: [UInt64] = []
        let s = try LogScanner.scan(directory: dir) { seen.append($0.sequence) }
        #expect(seen == Array(1...100))
        #expect(s.tornTail == nil)
    }

    /// The event loop's path: appends that do not wake the writer, then one write+fsync on the
    /// caller's thread that commits them all and tells the commit listener before returning.
    @Test func writeHereCommitsDeferredAppendsOnTheCallersThread() throws {
        let dir = tempDir()
        let log = try SegmentedLog(directory: dir, last: 0, policy: .always)
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var sequences: [UInt64] = []
        }
        let seen = Seen()
        log.onCommit = { seq in seen.lock.withLock { seen.sequences.append(seq) } }
        var last: UInt64 = 0
        for i in 0..<20 {
            last = try log.append([Effect(db: 0, "SET", "k\(i)", "v")], timestamp: 1, after: last, wake: false)
        }
        let fsyncsBefore = log.fsyncCount
        log.writeHere()
        // Committed when writeHere returns (or, if the writer thread got there first, soon after).
        for _ in 0..<200 where log.committed < 20 { usleep(5000) }
        #expect(log.committed == 20)
        #expect(seen.lock.withLock { seen.sequences.last } == 20)
        #expect(log.fsyncCount - fsyncsBefore <= 2)
        log.close()
        var read: [UInt64] = []
        _ = try LogScanner.scan(directory: dir) { read.append($0.sequence) }
        #expect(read == Array(1...20))
    }

    /// A record appended (and the writer woken) while a caller's `writeHere` is writing must be
    /// written once that write ends: the writer thread took the wake-up while the caller wrote
    /// and went back to sleep, so it used to wait for the next append that wakes it (replies
    /// held for it hung meanwhile).
    @Test func anAppendDuringACallersWriteIsNotLeftBehind() throws {
        let dir = tempDir()
        let log = try SegmentedLog(directory: dir, last: 0, policy: .always)
        var last: UInt64 = 0
        let big = String(repeating: "x", count: 1 << 20)
        for i in 0..<16 {
            last = try log.append([Effect(db: 0, "SET", "big\(i)", big)], timestamp: 1, after: last, wake: false)
        }
        let started = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            started.signal()
            log.writeHere()  // 16 MB and an fdatasync: long enough to append during it
        }
        started.wait()
        usleep(2000)
        let seq = try log.append([Effect(db: 0, "SET", "late", "1")], timestamp: 1, after: last, wake: true)
        let done = DispatchSemaphore(value: 0)
        log.whenCommitted(seq) { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
        log.close()
    }

    /// Direct writes rewrite the segment's last partial block with every commit. Records of
    /// many sizes (across block boundaries, one larger than the staging buffer keeps), a
    /// reopened segment (its last block read back from the file), buffered `everysec` writes
    /// followed by `always` again: every record reads back whole and in order.
    @Test func directWritesKeepEveryRecordAcrossBlocksReopensAndPolicySwitches() throws {
        let dir = tempDir()
        var expected: [Effect] = []
        func commit(_ log: SegmentedLog, _ sizes: [Int]) throws {
            var last = log.lastAppended
            for size in sizes {
                let e = Effect(db: expected.count % 3, [Array("SET".utf8), Array("k\(expected.count)".utf8), [UInt8](repeating: UInt8(expected.count % 251), count: size)])
                last = try log.append([e], timestamp: 1, after: last)
                expected.append(e)
            }
            let done = DispatchSemaphore(value: 0)
            log.whenCommitted(last) { done.signal() }
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
        let log = try SegmentedLog(directory: dir, last: 0, policy: .always)
        // Where the file system takes direct I/O (ext4, xfs), this is the path under test.
        let direct = log.writesDirectly
        for round in 0..<40 { try commit(log, [1, 7, 100, 4_000, 4_096 - 37, round * 97]) }
        try commit(log, [5 << 20])
        try commit(log, [3, 4_100])
        log.close()
        let reopened = try SegmentedLog(directory: dir, last: UInt64(expected.count), policy: .everysec)
        #expect(reopened.writesDirectly == direct)
        try commit(reopened, [10, 5_000])
        try commit(reopened, [4_095])
        reopened.policy = .always
        try commit(reopened, [1, 2, 9_000])
        reopened.close()
        var read: [Effect] = []
        let scan = try LogScanner.scan(directory: dir) { read.append(contentsOf: try $0.effects()) }
        #expect(scan.tornTail == nil && scan.lastSequence == UInt64(expected.count))
        #expect(read == expected)
    }

    @Test func conditionalAppendRejectsAStaleExpectation() throws {
        let dir = tempDir()
        let log = try SegmentedLog(directory: dir, last: 0, policy: .always)
        defer { log.close() }
        _ = try log.append([Effect(db: 0, "DEL", "a")], timestamp: 0, after: 0)
        #expect(throws: LogAppendError.self) { _ = try log.append([Effect(db: 0, "DEL", "a")], timestamp: 0, after: 0) }
    }

    @Test func segmentsRotateBySize() throws {
        let dir = tempDir()
        let log = try writeRecords(dir, count: 300, segmentLimit: 2048)
        log.close()
        #expect(SegmentedLog.segments(in: dir).count > 3)
        var seen = 0
        _ = try LogScanner.scan(directory: dir) { _ in seen += 1 }
        #expect(seen == 300)
        // Discarding drops only segments wholly covered.
        let log2 = try SegmentedLog(directory: dir, last: 300, policy: .always, segmentLimit: 2048)
        log2.discard(through: 150)
        log2.close()
        var first: UInt64 = 0
        _ = try LogScanner.scan(directory: dir) { if first == 0 { first = $0.sequence } }
        #expect(first > 1 && first <= 151)
    }

    /// Cut the log at every byte of its last record: recovery sees every earlier record and
    /// reports a torn tail, which truncation removes.
    @Test func tornTailAtEveryOffset() throws {
        let dir = tempDir()
        let log = try writeRecords(dir, count: 5)
        log.close()
        let seg = SegmentedLog.segments(in: dir)[0].path
        let full = try Data(contentsOf: URL(fileURLWithPath: seg))
        let lastSize = LogRecord(sequence: 5, timestamp: 1, effects: [Effect(db: 0, "SET", "key4", "vvvv")]).encoded.count
        let lastStart = full.count - lastSize
        for cut in lastStart..<full.count {
            try full.prefix(cut).write(to: URL(fileURLWithPath: seg))
            let s = try LogScanner.scan(directory: dir)
            #expect(s.lastSequence == 4, "cut at \(cut)")
            if cut > lastStart { #expect(s.tornTail?.offset == lastStart) }
            LogScanner.truncateTornTail(s)
            let again = try LogScanner.scan(directory: dir)
            #expect(again.tornTail == nil && again.lastSequence == 4)
        }
    }

    /// A segment still open (as after SIGKILL) ends in preallocated zeros: every record is read,
    /// the zeros are unused space (not a torn tail), and a partial record written into them is
    /// a torn tail that truncation removes with the zeros.
    @Test func preallocatedSpaceAfterACrash() throws {
        let dir = tempDir()
        let log = try writeRecords(dir, count: 20)
        defer { log.close() }
        let seg = SegmentedLog.segments(in: dir)[0].path
        var data = try Data(contentsOf: URL(fileURLWithPath: seg))
        #expect(Int64(data.count) % SegmentedLog.preallocationChunk == 0)
        let s = try LogScanner.scan(directory: dir)
        #expect(s.records == 20 && s.lastSequence == 20 && s.tornTail == nil)
        let end = try #require(s.unusedTail?.offset)
        #expect(data[end...].allSatisfy { $0 == 0 } && data[end - 1] != 0)
        // Half a record where the next one would go.
        let half = LogRecord(sequence: 21, timestamp: 1, effects: [Effect(db: 0, "SET", "k", "v")]).encoded.prefix(20)
        data.replaceSubrange(end..<(end + half.count), with: half)
        let copy = tempDir()
        let copied = copy + "/" + (seg as NSString).lastPathComponent
        try data.write(to: URL(fileURLWithPath: copied))
        let torn = try LogScanner.scan(directory: copy)
        #expect(torn.records == 20 && torn.tornTail?.offset == end)
        LogScanner.truncateTornTail(torn)
        let again = try LogScanner.scan(directory: copy)
        #expect(again.tornTail == nil && again.unusedTail == nil && again.records == 20)
        #expect(try Data(contentsOf: URL(fileURLWithPath: copied)).count == end)
    }

    /// The log encodes records straight into its buffer: byte for byte the same as a record
    /// built first (database switches, empty and long arguments included).
    @Test func directEncodingMatchesTheRecord() {
        let effects = [
            Effect(db: 3, "SET", "k", ""), Effect(db: 3, "INCR", "counter"),
            Effect(db: 12, ["HSET", "h", String(repeating: "f", count: 1234), "v"].map { Bytes($0) }),
            Effect(db: 0, "DEL", "k"),
            // Counts and lengths of every digit count the encoder writes.
            Effect(db: 0, [Bytes("RPUSH"), Bytes("l")] + (0..<11).map { Bytes(String(repeating: "e", count: $0 * 10)) }),
            Effect(db: 0, "SET", "k", String(repeating: "v", count: 100_000)),
        ]
        // Mixed databases (SELECTs in the payload) and one database (written in one pass).
        for effects in [effects, effects.map { Effect(db: 5, $0.argv) }] {
            var out: [UInt8] = [7, 7]
            LogRecord.encode(sequence: 99, timestamp: -5, effects: effects, into: &out)
            #expect(Array(out.dropFirst(2)) == LogRecord(sequence: 99, timestamp: -5, effects: effects).encoded)
            let decoded = out.withUnsafeBytes { LogRecord.decode(UnsafeRawBufferPointer(rebasing: $0[2...]), at: 0) }
            guard case .record(let r, let size) = decoded else { Issue.record("not decoded"); return }
            #expect(size == out.count - 2 && r.sequence == 99 && (try? r.effects()) == effects)
        }
    }

    @Test func corruptionInTheMiddleStopsWithFileAndOffset() throws {
        let dir = tempDir()
        let log = try writeRecords(dir, count: 10)
        log.close()
        let seg = SegmentedLog.segments(in: dir)[0].path
        var data = try Data(contentsOf: URL(fileURLWithPath: seg))
        let at = SegmentedLog.segmentHeaderSize + 40
        data[at] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: seg))
        do {
            _ = try LogScanner.scan(directory: dir)
            Issue.record("corruption not detected")
        } catch let p as LogScanner.Problem {
            #expect(p.file == seg)
            #expect(p.offset == SegmentedLog.segmentHeaderSize)
        }
        // --check-log --fix truncates to the last good record.
        #expect(LogScanner.check(directory: dir, fix: false) == 1)
        #expect(LogScanner.check(directory: dir, fix: true) == 0)
        #expect(try LogScanner.scan(directory: dir).records == 0)
    }
}
