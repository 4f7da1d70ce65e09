import Testing

@testable import Engine

@Suite("Key hash")
struct KeyHashTests {
    /// 100k keys shaped like redis-benchmark's fill buckets as uniformly as chance allows, in the
    /// low bits (buckets) and in the high bits (keyspace shards).
    @Test func spreadsBenchmarkShapedKeys() {
        let n = 100_000, bucketBits = 17
        var buckets = [Int](repeating: 0, count: 1 << bucketBits)
        var shards = [Int](repeating: 0, count: Database.shardCount)
        for i in 0..<n {
            let digits = String(i)
            let h = KeyHash.hash(Bytes("key:" + String(repeating: "0", count: 12 - digits.count) + digits))
            buckets[Int(h & UInt64((1 << bucketBits) - 1))] += 1
            shards[Database.shard(h)] += 1
        }
        let empty = buckets.filter { $0 == 0 }.count
        // Poisson with mean n / 2^17: e^-0.763 * 131072 ≈ 61118 empty buckets expected.
        #expect(abs(empty - 61118) < 1500)
        #expect(buckets.max()! <= 10)
        let mean = n / Database.shardCount
        #expect(shards.min()! > mean * 3 / 4 && shards.max()! < mean * 5 / 4)
    }

    @Test func lengthAndEveryByteCount() {
        #expect(KeyHash.hash(Bytes("a")) != KeyHash.hash(Bytes("a\0")))
        #expect(KeyHash.hash([]) != KeyHash.hash([0]))
        #expect(KeyHash.hash(Bytes("same")) == KeyHash.hash(Bytes("same")))
        let base = Bytes("0123456789abcdefXYZ")
        for i in 0..<base.count {
            var b = base
            b[i] ^= 1
            #expect(KeyHash.hash(b) != KeyHash.hash(base), "byte \(i)")
        }
    }
}
