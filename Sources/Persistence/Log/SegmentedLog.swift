#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CSupport
import Engine
import Foundation

/// fsync policy (`appendfsync`).
public enum FsyncPolicy: String, Sendable {
    case always, everysec, no
}

/// The effect log as segment files in one directory, written by one writer thread that takes
/// every pending record at once, writes them, fdatasyncs and then publishes the committed
/// sequence (group commit).
public final class SegmentedLog: EffectLog, @unchecked Sendable {
    public static let magic: [UInt8] = Array("MNEMOLOG".utf8)
    public static let formatVersion: UInt32 = 1
    public static let segmentHeaderSize = 8 + 4 + 8
    /// Segments grow by this much zero-filled space ahead of the records. Overwriting blocks
    /// that already exist lets fdatasync skip the file-size (journal) update that an append
    /// needs: ~30% less per durable commit on ext4 here. Readers treat the zeros as the end.
    public static let preallocationChunk: Int64 = 1 << 20

    public let directory: String
    public var policy: FsyncPolicy
    public var segmentLimit: Int64

    private let lock = NSCondition()
    private var pending: [UInt8] = []
    private var pendingLast: UInt64 = 0
    private var _lastAppended: UInt64
    private var _committed: UInt64
    private var waiters: [(UInt64, () -> Void)] = []
    private var _onCommit: ((UInt64) -> Void)?
    /// The buffer the writer hands back after writing it, so appends reuse its capacity (and
    /// memory stays with the thread that appends: no allocation per group commit).
    private var spare: [UInt8] = []
    /// A thread (the writer, or a caller in `writeHere`) owns the file and is writing.
    private var writing = false
    private var waiterHead = 0
    private var stopping = false
    private var thread: Thread?
    private var _failure: String? {
        didSet { mnemo_flag_store(failing, _failure == nil ? 0 : 1) }
    }
    /// Mirrors `_failure != nil` for lock-free readers (`isFailing`).
    private let failing: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    private var _sizeSinceDiscard: Int64 = 0

    // Writer-thread state.
    private var fd: Int32 = -1
    private var segmentFirst: UInt64 = 0
    /// Where the next record goes in the current segment.
    private var segmentSize: Int64 = 0
    /// The segment file's size: zeros from `segmentSize` up to here are preallocated space.
    private var allocatedEnd: Int64 = 0
    private var lastFsync = Date()
    private var unsynced = false
    public private(set) var fsyncCount: Int64 = 0

    // Direct writes under `appendfsync always`: the segment is also open with O_DIRECT|O_DSYNC,
    // so a group commit is one write that reaches the device, with no page-cache writeback
    // behind an fdatasync: ~15 µs less kernel CPU and 10–30 µs less time per commit on ext4
    // here (2.4 KB commits: 76–79 µs instead of 88–110). Direct I/O writes whole aligned blocks,
    // so the segment's last partial block is kept in `staged` and written again with the records
    // that follow it; the rest of the block is zeros, as the preallocated space on disk is.
    public static let directBlock = 4096
    /// -1: direct I/O is not in use (unsupported here, or not opened yet).
    private var directFD: Int32 = -1
    /// The file system refused direct I/O once: buffered writes and fdatasync from then on.
    private var directUnsupported = false
    /// Block-aligned memory: the segment's last partial block, then the records being written.
    private var staged: UnsafeMutableRawPointer?
    private var stagedCapacity = 0
    /// How many bytes of the segment's last partial block `staged` holds; -1 when it must be
    /// read back from the file first (a new segment, or after a buffered write).
    private var stagedTail = -1
    /// Whether this log writes with direct I/O (for tests).
    public var writesDirectly: Bool { directFD >= 0 }

    /// Opens the log for appending after `last` (recovery has already read it).
    public init(directory: String, last: UInt64, policy: FsyncPolicy, segmentLimit: Int64 = 64 << 20) throws {
        self.directory = directory
        self.policy = policy
        self.segmentLimit = segmentLimit
        self._lastAppended = last
        self._committed = last
        self.pendingLast = last
        try SegmentedLog.makeDirectory(directory)
        // The log already on disk counts toward the automatic-snapshot threshold.
        for seg in SegmentedLog.segments(in: directory) {
            var st = stat()
            if stat(seg.path, &st) == 0 { _sizeSinceDiscard += max(0, Int64(st.st_size) - Int64(SegmentedLog.segmentHeaderSize)) }
        }
        try openSegment(first: last + 1, reuseExisting: true)
        // Strong: the thread ends at close(), which releases it (no weak reference on the log).
        let t = Thread { self.writerLoop() }
        t.name = "mnemo-log-writer"
        thread = t
        t.start()
    }

    public static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw LogError.io("Can't create log directory \(path): \(String(cString: strerror(errno)))")
        }
    }

    public static func segmentName(_ first: UInt64) -> String {
        let s = String(first)
        return "log-" + String(repeating: "0", count: max(0, 20 - s.count)) + s + ".seg"
    }

    /// Segment files in `directory`, by first sequence.
    public static func segments(in directory: String) -> [(first: UInt64, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { n -> (UInt64, String)? in
            guard n.hasPrefix("log-"), n.hasSuffix(".seg"), let v = UInt64(n.dropFirst(4).dropLast(4)) else { return nil }
            return (v, directory + "/" + n)
        }.sorted { $0.0 < $1.0 }
    }

    /// Opens the newest segment for appending if it ends right before `first`; else starts one.
    /// (Recovery has cut the newest segment at its last record, preallocated space included.)
    private func openSegment(first: UInt64, reuseExisting: Bool) throws {
        if fd >= 0 {
            // The old segment's unused preallocation goes (readers would skip it anyway).
            ftruncate(fd, off_t(segmentSize))
            Glibc.close(fd)
            closeDirect()
        }
        stagedTail = -1
        if reuseExisting, let last = SegmentedLog.segments(in: directory).last {
            let f = open(last.path, O_RDWR)
            if f >= 0 {
                var st = stat()
                fstat(f, &st)
                fd = f
                segmentFirst = last.first
                segmentSize = Int64(st.st_size)
                allocatedEnd = segmentSize
                openDirect(last.path)
                return
            }
        }
        let path = directory + "/" + SegmentedLog.segmentName(first)
        let f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard f >= 0 else { throw LogError.io("Can't open log segment \(path): \(String(cString: strerror(errno)))") }
        var header = SegmentedLog.magic
        appendLE(SegmentedLog.formatVersion, &header)
        appendLE(first, &header)
        guard writeAll(f, header, at: 0) else {
            let e = String(cString: strerror(errno))
            Glibc.close(f)
            unlink(path)
            throw LogError.io("Can't write log segment header \(path): \(e)")
        }
        fd = f
        segmentFirst = first
        segmentSize = Int64(header.count)
        allocatedEnd = segmentSize
        // Best effort: a failure here shows (and is retried) when a record needs the space.
        _ = preallocate(upTo: segmentSize + 1)
        fdatasync(f)
        SegmentedLog.syncDirectory(directory)
        openDirect(path)
    }

    private func openDirect(_ path: String) {
        if directUnsupported { return }
        let f = mnemo_open_direct_sync(path)
        if f >= 0 { directFD = f } else { directUnsupported = true }
    }

    private func closeDirect() {
        if directFD >= 0 { Glibc.close(directFD) }
        directFD = -1
    }

    /// Writes `batch` at the end of the segment with one direct, synchronous write of the
    /// blocks it touches (the last partial block's bytes first). Durable when it returns true.
    private func writeDirect(_ batch: [UInt8]) -> Bool {
        let block = SegmentedLog.directBlock
        let tail = Int(segmentSize % Int64(block))
        let blockStart = segmentSize - Int64(tail)
        let total = tail + batch.count
        let padded = (total + block - 1) / block * block
        // Overwriting space that exists (and is synced, see `preallocate`) changes no metadata.
        guard preallocate(upTo: blockStart + Int64(padded)) else { return false }
        guard stagedCapacity >= padded || resizeStaged(padded) else { errno = ENOMEM; return false }
        let buffer = staged!
        if stagedTail != tail {
            // The block as the file has it (a reopened segment, or after a buffered write).
            if tail > 0 {
                let n = pread(fd, buffer, tail, off_t(blockStart))
                if n != tail {
                    if n >= 0 { errno = EIO }
                    return false
                }
            }
            stagedTail = tail
        }
        batch.withUnsafeBytes { buffer.advanced(by: tail).copyMemory(from: $0.baseAddress!, byteCount: batch.count) }
        buffer.advanced(by: total).initializeMemory(as: UInt8.self, repeating: 0, count: padded - total)
        while true {
            let n = pwrite(directFD, buffer, padded, off_t(blockStart))
            if n == padded { break }
            if n < 0 && errno == EINTR { continue }
            if n >= 0 { errno = EIO }
            return false
        }
        // The new last partial block moves to the front for the next write.
        let keep = total % block
        if keep > 0 && total > keep { buffer.copyMemory(from: buffer.advanced(by: total - keep), byteCount: keep) }
        stagedTail = keep
        // Let a huge batch's buffer go (a big value); keep an ordinary one.
        if stagedCapacity > 4 << 20 { _ = resizeStaged(64 << 10) }
        return true
    }

    /// Moves `staged` to block-aligned memory of `capacity` bytes, keeping the partial block it
    /// holds. False (and `staged` unchanged) if the memory cannot be had.
    private func resizeStaged(_ capacity: Int) -> Bool {
        var moved: UnsafeMutableRawPointer?
        guard posix_memalign(&moved, SegmentedLog.directBlock, capacity) == 0, let moved else { return false }
        if let staged {
            if stagedTail > 0 { moved.copyMemory(from: staged, byteCount: stagedTail) }
            free(staged)
        }
        staged = moved
        stagedCapacity = capacity
        return true
    }

    /// Makes sure the segment has zero-filled space up to `end` (growing it a chunk at a time).
    /// For direct writes the new space is synced at once: the blocks are then allocated and
    /// the size recorded, so each commit's write into them changes no metadata.
    private func preallocate(upTo end: Int64) -> Bool {
        if end <= allocatedEnd { return true }
        let chunk = SegmentedLog.preallocationChunk
        let target = (end + chunk - 1) / chunk * chunk
        let written = SegmentedLog.zeros.withUnsafeBytes { z in
            while allocatedEnd < target {
                let n = pwrite(fd, z.baseAddress!, min(z.count, Int(target - allocatedEnd)), off_t(allocatedEnd))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                allocatedEnd += Int64(n)
            }
            return true
        }
        return written && (directFD < 0 || fdatasync(fd) == 0)
    }
    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    public static func syncDirectory(_ path: String) {
        let d = open(path, O_RDONLY)
        if d >= 0 {
            fsync(d)
            Glibc.close(d)
        }
    }

    private func writeAll(_ f: Int32, _ bytes: [UInt8], at position: Int64) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(f, $0.baseAddress! + off, bytes.count - off, off_t(position) + off_t(off)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }

    // MARK: EffectLog

    public var lastAppended: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return _lastAppended
    }

    public var committed: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return _committed
    }

    public var isFailing: Bool { mnemo_flag_load(failing) != 0 }

    deinit { failing.deallocate() }

    public var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return _failure
    }

    public var sizeSinceDiscard: Int64 {
        lock.lock()
        defer { lock.unlock() }
        return _sizeSinceDiscard
    }

    public func append(_ effects: [Effect], timestamp: Int64, after expected: UInt64, wake: Bool) throws -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        guard expected == _lastAppended else { throw LogAppendError.conflict(expected: expected, actual: _lastAppended) }
        let seq = _lastAppended + 1
        let before = pending.count
        LogRecord.encode(sequence: seq, timestamp: timestamp, effects: effects, into: &pending)
        _sizeSinceDiscard += Int64(pending.count - before)
        _lastAppended = seq
        pendingLast = seq
        if wake { lock.signal() }
        return seq
    }


    public var onCommit: ((UInt64) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return _onCommit }
        set { lock.lock(); _onCommit = newValue; lock.unlock() }
    }

    public func whenCommitted(_ sequence: UInt64, _ body: @escaping () -> Void) {
        lock.lock()
        if sequence <= _committed {
            lock.unlock()
            body()
            return
        }
        waiters.append((sequence, body))
        lock.unlock()
    }

    public func read(after: UInt64, _ body: (LogRecord) throws -> Void) throws {
        try LogScanner.forEachRecord(directory: directory, after: after, body)
    }

    public func discard(through sequence: UInt64) {
        lock.lock()
        let current = segmentFirst
        _sizeSinceDiscard = 0
        lock.unlock()
        let segs = SegmentedLog.segments(in: directory)
        for (i, s) in segs.enumerated() where i + 1 < segs.count {
            // A segment ends right before the next one starts.
            if segs[i + 1].first - 1 <= sequence && s.first != current { unlink(s.path) }
        }
        SegmentedLog.syncDirectory(directory)
    }

    /// Starts a new segment at the next sequence (so older segments can be discarded).
    public func rotate() {
        lock.lock()
        rotateRequested = true
        lock.signal()
        lock.unlock()
    }
    private var rotateRequested = false

    public func close() {
        lock.lock()
        stopping = true
        lock.signal()
        lock.unlock()
        while true {
            lock.lock()
            let done = thread == nil
            lock.unlock()
            if done { break }
            usleep(1000)
        }
    }

    // MARK: writing

    /// Writes, syncs and publishes what is pending right here, on the caller's thread, if the
    /// writer thread is not busy with it (under `appendfsync always`). An event loop that
    /// served a tick's clients calls this once, as Redis writes and fsyncs before its loop
    /// sleeps: one fsync for all of them and no thread hand-offs. Otherwise the writer is woken.
    public func writeHere() {
        lock.lock()
        if writing || pending.isEmpty || policy != .always || stopping || _failure != nil {
            lock.signal()
            lock.unlock()
            return
        }
        writeTaken(here: true)
    }

    public func wake() {
        lock.lock()
        lock.signal()
        lock.unlock()
    }

    private func writerLoop() {
        while true {
            lock.lock()
            while (pending.isEmpty || writing) && !stopping && !rotateRequested && !(unsynced && policy == .everysec) {
                _ = lock.wait(until: Date().addingTimeInterval(policy == .everysec ? 1 : 3600))
            }
            if writing {
                // Stopping while a caller writes: let it finish first.
                lock.unlock()
                usleep(100)
                continue
            }
            if pending.isEmpty && stopping {
                thread = nil
                lock.unlock()
                if unsynced { fdatasync(fd) }
                ftruncate(fd, off_t(segmentSize))
                Glibc.close(fd)
                closeDirect()
                if let staged { free(staged) }
                staged = nil
                return
            }
            writeTaken(here: false)
        }
    }

    /// Takes the pending records (entered with the lock held; returns with it released),
    /// writes and syncs them, rotates the segment if due, and publishes the new committed
    /// sequence. `here`: on a caller's thread, which must not wait out a failing disk — a
    /// failed write goes back to the writer thread, which retries.
    private func writeTaken(here: Bool) {
        var batch = pending
        pending = spare
        spare = []
        let target = pendingLast
        let rotate = rotateRequested
        rotateRequested = false
        writing = true
        lock.unlock()

        if !batch.isEmpty && !writeDurably(batch, once: here) {
            lock.lock()
            if here {
                // The writer thread takes it from here (and retries with back-off).
                batch.append(contentsOf: pending)
                pending = batch
            }  // else: stopping with a disk that keeps failing; the records are not durable.
            writing = false
            lock.signal()
            lock.unlock()
            return
        }
        // Keep a buffer of ordinary size for reuse; let a huge one (a big value) go.
        batch.removeAll(keepingCapacity: batch.capacity <= 4 << 20)
        if rotate || segmentSize >= segmentLimit {
            try? openSegment(first: target + 1, reuseExisting: false)
        }
        if policy == .everysec && unsynced && Date().timeIntervalSince(lastFsync) >= 1 {
            fdatasync(fd)
            fsyncCount += 1
            unsynced = false
            lastFsync = Date()
        }
        lock.lock()
        spare = batch
        writing = false
        // Records appended meanwhile: a wake-up for them may have come while this write ran and
        // been taken by a writer thread that then went back to sleep (it waits while someone
        // writes). Without this, they would wait for the next append that wakes it.
        if !pending.isEmpty { lock.signal() }
        lock.unlock()
        publish(target)
    }

    /// Writes (and under `always` syncs) a batch, retrying until the disk takes it (unless
    /// `once`); while it cannot, `failure` says why so writes are refused.
    @discardableResult
    private func writeDurably(_ batch: [UInt8], once: Bool = false) -> Bool {
        var delay: useconds_t = 10_000
        while true {
            let start = segmentSize
            var ok: Bool
            var err = ""
            // Direct unless records written buffered (`everysec` before) still need an fdatasync.
            if policy == .always && directFD >= 0 && !unsynced {
                ok = writeDirect(batch)
                if !ok && errno == EINVAL {
                    // This file system takes no direct I/O after all: buffered from now on.
                    closeDirect()
                    directUnsupported = true
                    continue
                }
                if !ok { err = String(cString: strerror(errno)) }
                fsyncCount += 1
            } else {
                stagedTail = -1
                ok = preallocate(upTo: start + Int64(batch.count)) && writeAll(fd, batch, at: start)
                err = ok ? "" : String(cString: strerror(errno))
                if ok && policy == .always {
                    if fdatasync(fd) != 0 {
                        ok = false
                        err = String(cString: strerror(errno))
                    }
                    fsyncCount += 1
                    unsynced = false
                }
            }
            if ok {
                segmentSize += Int64(batch.count)
                if policy != .always { unsynced = true }
                lock.lock()
                let wasFailing = _failure != nil
                _failure = nil
                lock.unlock()
                if wasFailing { LogScanner.report("Log write succeeded again; accepting writes.") }
                return true
            }
            // Whatever part of the batch reached the file is overwritten by the retry (and is a
            // torn tail to recovery if there is none).
            lock.lock()
            let first = _failure == nil
            _failure = err
            lock.unlock()
            if first { LogScanner.report("Error writing to the log: \(err). Refusing writes until it succeeds.") }
            if once { return false }
            usleep(delay)
            delay = min(delay * 2, 1_000_000)
            lock.lock()
            let stop = stopping
            lock.unlock()
            if stop && delay >= 1_000_000 { return false }
        }
    }

    private func publish(_ target: UInt64) {
        var ready: [() -> Void] = []
        lock.lock()
        if target > _committed { _committed = target }
        while waiterHead < waiters.count && waiters[waiterHead].0 <= _committed {
            ready.append(waiters[waiterHead].1)
            waiterHead += 1
        }
        if waiterHead > 1024 && waiterHead * 2 > waiters.count {
            waiters.removeFirst(waiterHead)
            waiterHead = 0
        }
        let committed = _committed
        let listener = _onCommit
        lock.unlock()
        for r in ready { r() }
        listener?(committed)
    }
}
