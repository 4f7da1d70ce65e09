import RESP
import Testing

@testable import Engine

/// Randomized tests of HashValue and SetValue against plain Swift collections, and of the
/// hash/set commands' effects: replaying them rebuilds the same keyspace, encodings included.
@Suite struct HashSetModelTests {
    @Test func hashValueMatchesADictionary() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<20 {
            var h = HashValue()
            var model: [Bytes: Bytes] = [:]
            var order: [Bytes] = []  // insertion order while a listpack
            var everConverted = false
            let keySpace = round % 2 == 0 ? 40 : 900
            for _ in 0..<3000 {
                let f = Bytes("f\(Int.random(in: 0..<keySpace, using: &rng))")
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5:
                    let long = Int.random(in: 0..<400, using: &rng) == 0
                    let v = Bytes(String(repeating: "v", count: long ? 65 : Int.random(in: 0...8, using: &rng)))
                    let isNew = model[f] == nil
                    #expect(h.set(f, v) == isNew)
                    if isNew { order.append(f) }
                    model[f] = v
                    if long || model.count > HashValue.maxListpackEntries { everConverted = true }
                case 5..<8:
                    let existed = model.removeValue(forKey: f) != nil
                    #expect(h.remove(f) == existed)
                    order.removeAll { $0 == f }
                default:
                    #expect(h.get(f) == model[f])
                }
                #expect(h.count == model.count)
            }
            #expect(h.encoding == (everConverted ? "hashtable" : "listpack"))
            var seen: [Bytes: Bytes] = [:]
            h.forEach { seen[$0] = $1 }
            #expect(seen == model)
            if h.isListpack { #expect(h.entries.map(\.field) == order) }
            var rngCopy = rng
            if let (f, v) = h.randomEntry(using: &rngCopy) { #expect(model[f] == v) }
        }
    }

    @Test func setValueMatchesASet() {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<20 {
            var s = SetValue()
            var model = Set<Bytes>()
            var everConverted = false
            var widest = 2
            let range: ClosedRange<Int64> = round % 3 == 0 ? -40_000...40_000 : round % 3 == 1 ? -300...300 : Int64.min...Int64.max
            for _ in 0..<3000 {
                let v = Int64.random(in: range, using: &rng)
                let m = Int.random(in: 0..<500, using: &rng) == 0 ? Bytes("x\(v)") : Bytes(String(v))
                switch Int.random(in: 0..<10, using: &rng) {
                case 0..<5:
                    #expect(s.add(m) == model.insert(m).inserted)
                    if Numbers.parseInt(m) == nil || model.count > SetValue.maxIntsetEntries { everConverted = true }
                    if let i = Numbers.parseInt(m), !everConverted { widest = max(widest, SetValue.width(of: i)) }
                case 5..<8:
                    #expect(s.remove(m) == (model.remove(m) != nil))
                default:
                    #expect(s.contains(m) == model.contains(m))
                }
                #expect(s.count == model.count)
            }
            #expect(s.encoding == (everConverted ? "hashtable" : "intset"))
            #expect(Set(s.members) == model)
            if s.isIntset {
                #expect(s.integers == s.integers.sorted())
                #expect(s.intsetWidth == widest)
            }
        }
    }

    /// Type, encoding and content of every hash and set key (listpack order and intset width too).
    static func snapshot(_ engine: Engine) -> [String] {
        var out: [String] = []
        for (i, db) in engine.databases.enumerated() {
            db.forEach { key, e in
                switch e.value {
                case .hash(let h):
                    var pairs = h.entries.map { "\($0.field.text)=\($0.value.text)" }
                    if !h.isListpack { pairs.sort() }
                    out.append("\(i) \(key.text) hash \(h.encoding) \(pairs)")
                case .set(let s):
                    out.append("\(i) \(key.text) set \(s.encoding) w\(s.isIntset ? s.intsetWidth : 0) \(s.members.map(\.text).sorted())")
                default:
                    out.append("\(i) \(key.text) \(e.value.typeName)")
                }
            }
        }
        return out.sorted()
    }

    @Test func effectsReplayToTheSameKeyspace() {
        var rng = SystemRandomNumberGenerator()
        let s = TestServer()
        var log: [Effect] = []
        let keys = ["h1", "h2", "s1", "s2", "s3", "str"]
        func any() -> String { keys[Int.random(in: 0..<keys.count, using: &rng)] }
        func member() -> String {
            let n = Int.random(in: 0..<700, using: &rng)
            return Int.random(in: 0..<30, using: &rng) == 0 ? "m\(n)" : String(n - 350)
        }
        s("SET", "str", "x")
        for _ in 0..<4000 {
            var cmd: [String]
            switch Int.random(in: 0..<16, using: &rng) {
            case 0: cmd = ["HSET", any(), member(), member(), member(), String(repeating: "z", count: Int.random(in: 0...66, using: &rng))]
            case 1: cmd = ["HDEL", any(), member(), member()]
            case 2: cmd = ["HINCRBY", any(), member(), String(Int.random(in: -5...5, using: &rng))]
            case 3: cmd = ["HINCRBYFLOAT", any(), member(), "0.1"]
            case 4: cmd = ["HSETNX", any(), member(), "v"]
            case 5, 6: cmd = ["SADD", any()] + (0..<Int.random(in: 1...20, using: &rng)).map { _ in member() }
            case 7: cmd = ["SREM", any(), member(), member(), member()]
            case 8: cmd = ["SPOP", any()]
            case 9: cmd = ["SPOP", any(), String(Int.random(in: 0...400, using: &rng))]
            case 10: cmd = ["SMOVE", any(), any(), member()]
            case 11: cmd = ["SINTERSTORE", any(), any(), any()]
            case 12: cmd = ["SUNIONSTORE", any(), any(), any()]
            case 13: cmd = ["SDIFFSTORE", any(), any(), any()]
            case 14: cmd = ["HMSET", any(), member(), member()]
            default: cmd = ["SADD", any()] + (0..<300).map { _ in member() }
            }
            s.call(cmd.map { Bytes($0) })
            log += s.effects()
        }
        let replica = Engine()
        replica.isReplaying = true
        let client = replica.newClient()
        for effect in log {
            client.db = effect.db
            let reply = run(replica, client, effect.argv)
            #expect(!reply.isError, "\(effect.argv.map(\.text)) -> \(reply)")
            replica.pendingEffects.removeAll()
        }
        let original = Self.snapshot(s.engine)
        #expect(Self.snapshot(replica) == original)
        #expect(original.count > 1)
    }
}
