import Engine

/// The log protocol the server depends on. The local segmented file is one implementation; a
/// replicated log (conditional append decides leadership) is meant to be another, so nothing
/// above this protocol knows which one it has.
public protocol EffectLog: AnyObject {
    /// Appends one atomic record right after `expected` (the caller's view of the last
    /// sequence); returns the new record's sequence. Throws `LogAppendError.conflict` if the
    /// log has moved on (another writer appended first).
    /// `wake: false` leaves the writer asleep: a caller appending many records in a row (one
    /// event-loop tick's clients, or the batches queued on the engine) then calls `writeHere`
    /// or `wake` once, so they form one group commit.
    func append(_ effects: [Effect], timestamp: Int64, after expected: UInt64, wake: Bool) throws -> UInt64
    /// Writes and syncs what is pending on the caller's thread if no one else is (else wakes
    /// the writer); replies waiting for it are released before it returns.
    func writeHere()
    /// Wakes the writer for what is pending (after appends with `wake: false` on a thread that
    /// must not wait for the disk itself).
    func wake()
    /// The last sequence appended (not necessarily durable).
    var lastAppended: UInt64 { get }
    /// Every record up to this sequence is durable.
    var committed: UInt64 { get }
    /// Runs `body` (on the log's thread) once `sequence` is durable; at once if it already is.
    func whenCommitted(_ sequence: UInt64, _ body: @escaping () -> Void)
    /// Called on the log's thread with the new committed sequence each time it advances
    /// (after the `whenCommitted` bodies it released). Set before the first append.
    var onCommit: ((UInt64) -> Void)? { get set }
    /// Visits every record with a sequence > `after`, in order.
    func read(after: UInt64, _ body: (LogRecord) throws -> Void) throws
    /// Drops storage wholly covered by a snapshot that includes `sequence`.
    func discard(through sequence: UInt64)
    /// The error that stops writes, if the log cannot currently be written.
    var failure: String? { get }
    /// `failure != nil` without taking a lock (every write command asks).
    var isFailing: Bool { get }
    /// Bytes written since the log was opened or last discarded (auto-snapshot trigger).
    var sizeSinceDiscard: Int64 { get }
    func close()
}

extension EffectLog {
    public func append(_ effects: [Effect], timestamp: Int64, after expected: UInt64) throws -> UInt64 {
        try append(effects, timestamp: timestamp, after: expected, wake: true)
    }
}

public enum LogAppendError: Error {
    case conflict(expected: UInt64, actual: UInt64)
}
