import Testing

@testable import Engine

/// The pending-write tracker may answer too high (a shared slot) but never too low: a read
/// released early could show a write that a crash takes back.
@Suite("Pending-write tracker")
struct KeySequencesTests {
    @Test func neverAnswersBelowAKeysLastMark() {
        var t = KeySequences()
        var rng = SystemRandomNumberGenerator()
        var model: [String: UInt64] = [:]
        // Far more keys than slots, so slots are shared many times over.
        for seq in UInt64(1)...60_000 {
            let db = Int.random(in: 0..<3, using: &rng)
            let key = "key:\(Int.random(in: 0..<40_000, using: &rng))"
            t.mark(db, Bytes(key.utf8), seq)
            model["\(db)/\(key)"] = seq
        }
        for (name, seq) in model {
            let parts = name.split(separator: "/", maxSplits: 1)
            let got = t.sequence(Int(parts[0])!, Bytes(parts[1].utf8))
            #expect(got != nil && got! >= seq, "\(name): \(String(describing: got)) < \(seq)")
        }
    }

    @Test func unmarkedKeysMostlyFindNothingPending() {
        var t = KeySequences()
        for i in 0..<500 { t.mark(0, Bytes("written:\(i)".utf8), UInt64(i + 1)) }
        let pending = (0..<10_000).filter { t.sequence(0, Bytes("other:\($0)".utf8)) != nil }.count
        // 500 marks in 8K slots: about 6% of other keys share a slot with one of them.
        #expect(pending < 1_500)
        #expect(t.hasPending(after: 499) && !t.hasPending(after: 500))
    }
}
