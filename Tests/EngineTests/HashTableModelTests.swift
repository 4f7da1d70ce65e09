import Testing

@testable import Engine

@Suite("HashTable against a Dictionary model")
struct HashTableModelTests {
    @Test func randomOperationsAgreeWithDictionary() {
        var rng = SystemRandomNumberGenerator()
        var table = HashTable<Int>()
        var model: [Bytes: Int] = [:]
        for step in 0..<200_000 {
            let key = Bytes("k\(Int.random(in: 0..<3000, using: &rng))")
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<4:
                table.set(key, step)
                model[key] = step
            case 4..<7:
                #expect(table.remove(key) == model.removeValue(forKey: key))
            case 7:
                _ = table.update(key, hash: HashTable<Int>.hash(key)) { $0 += 1 }
                if model[key] != nil { model[key]! += 1 }
            default:
                #expect(table.get(key) == model[key])
            }
            // Occasionally empty most of the table to force shrinking.
            if step % 50_000 == 49_999 {
                for k in Array(model.keys).prefix(model.count - 10) {
                    table.remove(k)
                    model[k] = nil
                }
            }
        }
        #expect(table.count == model.count)
        for (k, v) in model { #expect(table.get(k) == v) }
        var seen = 0
        table.forEach { k, v in
            seen += 1
            #expect(model[k] == v)
        }
        #expect(seen == model.count)
    }
}

@Suite("Keyspace entry layout")
struct EntryLayoutTests {
    /// Slots are walked on every lookup: keep an entry small (collections are boxed).
    @Test func entryStaysSmall() {
        #expect(MemoryLayout<Value>.size <= 9)
        #expect(MemoryLayout<Entry>.size <= 32)
    }
}
