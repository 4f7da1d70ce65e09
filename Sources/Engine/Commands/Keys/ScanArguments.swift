import RESP

/// SCAN / HSCAN / SSCAN / ZSCAN arguments, as Redis's `scanGenericCommand` parses them.
enum CollectionScan {
    static let complexity =
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."

    static func cursor(_ b: Bytes) throws -> UInt64 {
        guard let c = KeyCommands.parseCursor(b) else { throw RedisError("invalid cursor") }
        return c
    }

    /// The reply for a missing key (options are not even parsed, as in Redis).
    static let empty = RESPValue.array([.bulk(Bytes("0")), .array([])])

    static func reply(_ next: UInt64, _ items: [RESPValue]) -> RESPValue {
        .array([.bulk(Bytes(String(next).utf8)), .array(items)])
    }

    struct Options {
        var count = 10
        var pattern: Bytes?
        /// SCAN's TYPE filter (only SCAN accepts it).
        var typeName: Bytes?

        init(_ argv: [Bytes], from: Int, allowType: Bool = false) throws {
            var j = from
            while j < argv.count {
                let more = argv.count - j
                if argv[j].equalsIgnoringCase("COUNT") && more >= 2 {
                    let c = try argv[j + 1].int()
                    if c < 1 { throw RedisError.syntax }
                    count = Int(clamping: c)
                } else if argv[j].equalsIgnoringCase("MATCH") && more >= 2 {
                    pattern = Glob.matchesAll(argv[j + 1]) ? nil : argv[j + 1]
                } else if allowType && argv[j].equalsIgnoringCase("TYPE") && more >= 2 {
                    typeName = argv[j + 1]
                } else {
                    throw RedisError.syntax
                }
                j += 2
            }
        }

        func matches(_ element: Bytes) -> Bool {
            guard let pattern else { return true }
            return Glob.match(pattern, element)
        }
    }
}

