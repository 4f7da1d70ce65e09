#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The engine's mutual exclusion. The keyspace is owned by whoever holds it: the engine loop
/// for handed-off batches, timers, scripts and recovery, or an I/O loop that runs a short batch
/// of its own connection inline (no thread hop, as Redis answers on the thread that read).
/// I/O loops only ever `tryLock`: they never wait for a busy engine.
final class EngineMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
    @inline(__always) func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }

    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
