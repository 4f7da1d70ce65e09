#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore

/// The engine's mutual exclusion. The keyspace is owned by whoever holds it: the engine loop
/// for handed-off batches, timers, scripts and recovery, or an I/O loop that runs a short batch
/// of its own connection inline (no thread hop, as Redis answers on the thread that read).
/// I/O loops only ever `tryLock`: they never wait for a busy engine; only the engine loop waits.
///
/// Ownership is a flag, not a thread, so the holder can pass the engine on (`handOff`): a
/// script that ran past its budget inline on an I/O loop is finished on the engine loop, and
/// nothing else takes the engine in between.
final class EngineMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var held = false
    /// Work handed off with the engine, for the engine loop to run before anything else.
    private var handedOff: (() -> Void)?

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// On the engine loop: waits for the engine. Work handed off to this loop runs first.
    func lock() {
        pthread_mutex_lock(mutex)
        while held {
            if let work = handedOff {
                // The engine is this loop's already: run the work, then take it as usual.
                handedOff = nil
                pthread_mutex_unlock(mutex)
                work()
                pthread_mutex_lock(mutex)
                held = false
                continue
            }
            pthread_cond_wait(condition, mutex)
        }
        held = true
        pthread_mutex_unlock(mutex)
    }

    func unlock() {
        pthread_mutex_lock(mutex)
        held = false
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    @inline(__always) func tryLock() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        if held { return false }
        held = true
        return true
    }

    /// The holder passes the engine to `loop` (the engine loop) instead of releasing it: `work`
    /// runs there, holding it, before any other task takes it; then it is released.
    func handOff(to loop: EventLoop, _ work: @escaping () -> Void) {
        pthread_mutex_lock(mutex)
        handedOff = work
        pthread_cond_signal(condition)  // the loop may be waiting in `lock`
        pthread_mutex_unlock(mutex)
        loop.execute {
            self.lock()  // runs `work` if no other task's `lock` has
            self.unlock()
        }
    }

    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
