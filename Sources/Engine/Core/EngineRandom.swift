/// The engine's random numbers (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY):
/// wyrand, seeded once per process from the system. The system generator is one getrandom(2)
/// system call per number, and SPOP spent more time in the kernel for it than on its work;
/// Redis uses a plain PRNG here too. Not for secrets (ACL GENPASS keeps the system generator).
/// A class, so every `var rng = engine.rng` shares one sequence.
public final class EngineRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64? = nil) {
        if let seed {
            state = seed
        } else {
            var system = SystemRandomNumberGenerator()
            state = system.next()
        }
    }

    @inline(__always)
    public func next() -> UInt64 {
        state &+= 0xa076_1d64_78bd_642f
        let m = state.multipliedFullWidth(by: state ^ 0xe703_7ed1_a0b4_28db)
        return m.high ^ m.low
    }
}
