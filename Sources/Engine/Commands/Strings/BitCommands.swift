import RESP

/// Bitmaps: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO (Redis's bitops.c).
/// Bits are numbered from the most significant bit of the first byte.
enum BitCommands {
    static let specs: [CommandSpec] = [
        CommandSpec(
            "setbit", arity: 4, flags: [.write, .denyoom], acl: [.bitmap],
            keys: [.single(1, [.RW, .access, .update])],
            docs: CommandDocs(
                "Sets or clears the bit at offset in the string value stored at key", since: "2.2.0", group: "bitmap",
                syntax: "key offset value"),
            handler: setbit),
        CommandSpec(
            "getbit", arity: 3, flags: [.readonly, .fast], acl: [.bitmap],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Returns the bit value at offset in the string value stored at key", since: "2.2.0", group: "bitmap",
                syntax: "key offset"),
            handler: getbit),
        CommandSpec(
            "bitcount", arity: -2, flags: [.readonly], acl: [.bitmap],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Count set bits in a string", since: "2.6.0", group: "bitmap", complexity: "O(N)",
                syntax: "key [start end [BYTE | BIT]]"),
            handler: bitcount),
        CommandSpec(
            "bitpos", arity: -3, flags: [.readonly], acl: [.bitmap],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Find first bit set or clear in a string", since: "2.8.7", group: "bitmap", complexity: "O(N)",
                syntax: "key bit [start [end [BYTE | BIT]]]"),
            handler: bitpos),
        CommandSpec(
            "bitop", arity: -4, flags: [.write, .denyoom], acl: [.bitmap],
            keys: [.single(2, [.OW, .update]), .range(3, last: -1, [.RO, .access])],
            docs: CommandDocs(
                "Perform bitwise operations between strings", since: "2.6.0", group: "bitmap", complexity: "O(N)",
                syntax: "operation destkey key [key ...]"),
            handler: bitop),
        withBitfieldKeyFlags(CommandSpec(
            "bitfield", arity: -2, flags: [.write, .denyoom], acl: [.bitmap],
            keys: [
                KeySpec(
                    begin: .index(1), find: .range(lastKey: 0, step: 1, limit: 0),
                    flags: [.RW, .access, .update, .variableFlags],
                    notes: "This command allows both access and modification of the key")
            ],
            docs: CommandDocs(
                "Perform arbitrary bitfield integer operations on strings", since: "3.2.0", group: "bitmap",
                complexity: "O(1) for each subcommand specified",
                syntax:
                    "key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | INCRBY encoding offset increment [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | INCRBY encoding offset increment ...]]"
            ),
            handler: { ctx in try bitfield(&ctx, readOnly: false) })),
        CommandSpec(
            "bitfield_ro", arity: -2, flags: [.readonly, .fast], acl: [.bitmap],
            keys: [.single(1, [.RO, .access])],
            docs: CommandDocs(
                "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
                since: "6.0.0", group: "bitmap", complexity: "O(1) for each subcommand specified",
                syntax: "key [GET encoding offset [GET encoding offset ...]]"),
            handler: { ctx in try bitfield(&ctx, readOnly: true) }),
    ]

    /// Redis's `bitfieldGetKeys`: a BITFIELD of GETs only reads its key (ACL needs read access only).
    static func withBitfieldKeyFlags(_ spec: CommandSpec) -> CommandSpec {
        var s = spec
        s.getKeys = { argv in
            guard argv.count > 1 else { return [] }
            var readOnly = true
            var i = 2
            while i < argv.count {
                let remaining = argv.count - i - 1
                if argv[i].equalsIgnoringCase("GET") && remaining >= 2 {
                    i += 3
                } else if argv[i].equalsIgnoringCase("OVERFLOW") && remaining >= 1 {
                    i += 2
                } else {
                    readOnly = false  // a write, or a syntax error: safer to assume a write
                    break
                }
            }
            return [(1, .single(1, readOnly ? [.RO, .access] : [.RW, .access, .update]))]
        }
        return s
    }

    static let offsetError = RedisError("bit offset is not an integer or out of range")

    /// Redis's `getBitOffsetFromArgument`: a bit offset below proto-max-bulk-len bytes; with
    /// `bits` > 0, `#n` means n * bits. Replay is not limited (the offset was accepted once).
    static func bitOffset(_ arg: Bytes, _ ctx: CommandContext, bits: Int = 0) throws -> Int {
        let byIndex = bits > 0 && arg.first == UInt8(ascii: "#")
        guard var offset = Numbers.parseInt(byIndex ? Array(arg.dropFirst()) : arg) else { throw offsetError }
        if byIndex {
            let (product, overflow) = offset.multipliedReportingOverflow(by: Int64(bits))
            if overflow { throw offsetError }
            offset = product
        }
        if offset < 0 || (!ctx.engine.isReplaying && offset >> 3 >= Int64(ctx.engine.settings.protoMaxBulkLength)) {
            throw offsetError
        }
        return Int(offset)
    }

    /// The string at `key` for a bit write (no hit/miss counting), or nil if absent; throws on a non-string.
    static func writableString(_ ctx: CommandContext, _ key: Bytes) throws -> Bytes? {
        guard let e = ctx.lookup(key) else { return nil }
        guard case .string(let s) = e.value else { throw RedisError.wrongType }
        return s
    }


    // MARK: SETBIT / GETBIT

    static func setbit(_ ctx: inout CommandContext) throws -> RESPValue {
        let key = ctx.argv[1]
        let offset = try bitOffset(ctx.argv[2], ctx)
        let bitError = RedisError("bit is not an integer or out of range")
        guard let on = Numbers.parseInt(ctx.argv[3]) else { throw bitError }
        if on & ~1 != 0 { throw bitError }
        let old = try writableString(ctx, key)
        let byte = offset >> 3
        let mask = UInt8(1 << (7 - (offset & 7)))
        let grows = (old?.count ?? -1) < byte + 1
        let wasSet = !grows && old![byte] & mask != 0
        if grows || wasSet != (on == 1) {
            let write = { (s: inout Bytes) in
                if s.count <= byte { s.append(contentsOf: repeatElement(0, count: byte + 1 - s.count)) }
                if on == 1 { s[byte] |= mask } else { s[byte] &= ~mask }
            }
            if old != nil {
                ctx.updateString(key, write)
            } else {
                var s: Bytes = []
                write(&s)
                ctx.set(key, Entry(value: .string(s)))
            }
            ctx.emitVerbatim()
            ctx.notify(.string, "setbit", key)
        }
        return .integer(wasSet ? 1 : 0)
    }

    static func getbit(_ ctx: inout CommandContext) throws -> RESPValue {
        let offset = try bitOffset(ctx.argv[2], ctx)
        guard let s = try ctx.string(ctx.argv[1]) else { return .integer(0) }
        let byte = offset >> 3
        guard byte < s.count else { return .integer(0) }
        return .integer(s[byte] & UInt8(1 << (7 - (offset & 7))) != 0 ? 1 : 0)
    }

    // MARK: BITCOUNT / BITPOS

    /// A range of a string in bits (inclusive), resolved from Redis's start/end arguments.
    struct BitRange {
        var first: Int
        var last: Int
        var isEmpty: Bool { first > last }
    }

    /// Redis's start/end normalisation over `length` units (bytes, or bits when `bit`), returned in bits.
    static func bitRange(start: Int64, end: Int64, length: Int, bit: Bool) -> BitRange {
        let total = Int64(bit ? length * 8 : length)
        var start = start, end = end
        if start < 0 { start = total &+ start }
        if end < 0 { end = total &+ end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= total { end = total - 1 }
        if start > end { return BitRange(first: 1, last: 0) }
        return bit
            ? BitRange(first: Int(start), last: Int(end))
            : BitRange(first: Int(start) * 8, last: Int(end) * 8 + 7)
    }

    static func unit(_ arg: Bytes) throws -> Bool {
        if arg.equalsIgnoringCase("BIT") { return true }
        if arg.equalsIgnoringCase("BYTE") { return false }
        throw RedisError.syntax
    }

    static func bitcount(_ ctx: inout CommandContext) throws -> RESPValue {
        // Redis 7.0 looks the key up before it reads the range: a missing key is 0 whatever follows.
        guard let s = try ctx.string(ctx.argv[1]) else { return .integer(0) }
        let range: BitRange
        switch ctx.argv.count {
        case 2:
            range = BitRange(first: 0, last: s.count * 8 - 1)
        case 4, 5:
            let start = try ctx.argv[2].int()
            let end = try ctx.argv[3].int()
            let bit = ctx.argv.count == 5 ? try unit(ctx.argv[4]) : false
            if start < 0 && end < 0 && start > end { return .integer(0) }
            range = bitRange(start: start, end: end, length: s.count, bit: bit)
        default:
            throw RedisError.syntax
        }
        return .integer(Int64(countOnes(s, range)))
    }

    /// Set bits of `s` within `range`.
    static func countOnes(_ s: Bytes, _ range: BitRange) -> Int {
        if range.isEmpty { return 0 }
        let firstByte = range.first >> 3, lastByte = range.last >> 3
        var count = 0
        s.withUnsafeBufferPointer { p in
            var i = firstByte
            // Eight bytes at a time through the middle.
            while i + 8 <= lastByte + 1 {
                count += UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self).nonzeroBitCount
                i += 8
            }
            while i <= lastByte {
                count += p[i].nonzeroBitCount
                i += 1
            }
        }
        // Take out the bits of the edge bytes that lie outside the range.
        let headMask = UInt8(truncatingIfNeeded: 0xFF00 >> (range.first & 7))
        let tailMask = UInt8(truncatingIfNeeded: 0xFF >> ((range.last & 7) + 1))
        count -= (s[firstByte] & headMask).nonzeroBitCount
        count -= (s[lastByte] & tailMask).nonzeroBitCount
        return count
    }

    static func bitpos(_ ctx: inout CommandContext) throws -> RESPValue {
        let wanted = try ctx.argv[2].int()
        if wanted != 0 && wanted != 1 { throw RedisError("The bit argument must be 1 or 0.") }
        // A missing key is an endless run of zeros.
        guard let s = try ctx.string(ctx.argv[1]) else { return .integer(wanted == 1 ? -1 : 0) }
        var range = BitRange(first: 0, last: s.count * 8 - 1)
        var endGiven = false
        switch ctx.argv.count {
        case 3:
            break
        case 4, 5, 6:
            let start = try ctx.argv[3].int()
            let bit = ctx.argv.count == 6 ? try unit(ctx.argv[5]) : false
            var end = Int64(s.count - 1)
            if ctx.argv.count >= 5 {
                end = try ctx.argv[4].int()
                endGiven = true
            }
            range = bitRange(start: start, end: end, length: s.count, bit: bit)
        default:
            throw RedisError.syntax
        }
        if range.isEmpty { return .integer(-1) }
        if let found = firstBit(s, wanted == 1, range) { return .integer(Int64(found)) }
        // Looking for a clear bit without an explicit end: the string continues with zeros.
        if wanted == 0 && !endGiven { return .integer(Int64((range.last >> 3) + 1) * 8) }
        return .integer(-1)
    }

    /// Position of the first bit equal to `set` within `range`.
    static func firstBit(_ s: Bytes, _ set: Bool, _ range: BitRange) -> Int? {
        let skip: UInt8 = set ? 0x00 : 0xFF
        var pos = range.first
        while pos <= range.last {
            let byte = s[pos >> 3]
            if pos & 7 == 0 && pos + 7 <= range.last && byte == skip {
                pos += 8
                continue
            }
            if (byte & UInt8(0x80 >> (pos & 7)) != 0) == set { return pos }
            pos += 1
        }
        return nil
    }

    // MARK: BITOP

    static func bitop(_ ctx: inout CommandContext) throws -> RESPValue {
        enum Op { case and, or, xor, not }
        let name = ctx.argv[1]
        let op: Op
        if name.equalsIgnoringCase("AND") {
            op = .and
        } else if name.equalsIgnoringCase("OR") {
            op = .or
        } else if name.equalsIgnoringCase("XOR") {
            op = .xor
        } else if name.equalsIgnoringCase("NOT") {
            op = .not
        } else {
            throw RedisError.syntax
        }
        if op == .not && ctx.argv.count != 4 { throw RedisError("BITOP NOT must be called with a single source key.") }
        let dest = ctx.argv[2]
        var sources: [Bytes] = []
        for key in ctx.argv[3...] {
            // Missing keys are empty strings.
            sources.append(try ctx.string(key) ?? [])
        }
        let length = sources.map(\.count).max() ?? 0
        guard length > 0 else {
            if ctx.delete(dest) {
                ctx.emitVerbatim()
                ctx.notify(.generic, "del", dest)
            }
            return .integer(0)
        }
        var result: Bytes
        switch op {
        case .not:
            result = sources[0].map { ~$0 }
        case .and:
            // A shorter source has zeros past its end, so the result does too.
            let common = sources.map(\.count).min()!
            result = Array(sources[0][0..<common])
            for src in sources.dropFirst() {
                for i in 0..<common { result[i] &= src[i] }
            }
            result.append(contentsOf: repeatElement(0, count: length - common))
        case .or, .xor:
            result = Bytes(repeating: 0, count: length)
            for src in sources {
                for i in 0..<src.count {
                    if op == .or { result[i] |= src[i] } else { result[i] ^= src[i] }
                }
            }
        }
        // The destination is replaced, expiry included (Redis's setKey).
        ctx.set(dest, Entry(value: .string(result)))
        ctx.emitVerbatim()
        ctx.notify(.string, "set", dest)
        return .integer(Int64(length))
    }

    // MARK: BITFIELD

    enum Overflow { case wrap, sat, fail }

    struct FieldOp {
        enum Kind { case get, set, incrby }
        var kind: Kind
        var signed: Bool
        var bits: Int
        var offset: Int
        var value: Int64
        var overflow: Overflow
    }

    static func fieldType(_ arg: Bytes) throws -> (signed: Bool, bits: Int) {
        let error = RedisError("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
        guard let first = arg.first, first == UInt8(ascii: "i") || first == UInt8(ascii: "u"),
            let bits = Numbers.parseInt(Array(arg.dropFirst()))
        else { throw error }
        let signed = first == UInt8(ascii: "i")
        if bits < 1 || bits > (signed ? 64 : 63) { throw error }
        return (signed, Int(bits))
    }

    static func parseFieldOps(_ ctx: CommandContext) throws -> [FieldOp] {
        let argv = ctx.argv
        var ops: [FieldOp] = []
        var overflow = Overflow.wrap
        var j = 2
        while j < argv.count {
            let remaining = argv.count - j - 1
            let word = argv[j]
            let kind: FieldOp.Kind
            if word.equalsIgnoringCase("GET") && remaining >= 2 {
                kind = .get
            } else if word.equalsIgnoringCase("SET") && remaining >= 3 {
                kind = .set
            } else if word.equalsIgnoringCase("INCRBY") && remaining >= 3 {
                kind = .incrby
            } else if word.equalsIgnoringCase("OVERFLOW") && remaining >= 1 {
                let mode = argv[j + 1]
                if mode.equalsIgnoringCase("WRAP") {
                    overflow = .wrap
                } else if mode.equalsIgnoringCase("SAT") {
                    overflow = .sat
                } else if mode.equalsIgnoringCase("FAIL") {
                    overflow = .fail
                } else {
                    throw RedisError("Invalid OVERFLOW type specified")
                }
                j += 2
                continue
            } else {
                throw RedisError.syntax
            }
            let (signed, bits) = try fieldType(argv[j + 1])
            let offset = try bitOffset(argv[j + 2], ctx, bits: bits)
            let value = kind == .get ? 0 : try argv[j + 3].int()
            ops.append(FieldOp(kind: kind, signed: signed, bits: bits, offset: offset, value: value, overflow: overflow))
            j += kind == .get ? 3 : 4
        }
        return ops
    }

    static func bitfield(_ ctx: inout CommandContext, readOnly: Bool) throws -> RESPValue {
        let key = ctx.argv[1]
        let ops = try parseFieldOps(ctx)
        let writes = ops.filter { $0.kind != .get }
        if writes.isEmpty {
            let s = try ctx.string(key) ?? []
            return .array(ops.map { .integer(getField(s, $0.offset, $0.bits, signed: $0.signed)) })
        }
        if readOnly { throw RedisError("BITFIELD_RO only supports the GET subcommand") }
        let old = try writableString(ctx, key)
        let needed = (writes.map { $0.offset + $0.bits - 1 }.max()! >> 3) + 1
        var s = old ?? []
        let grows = s.count < needed
        if grows { s.append(contentsOf: repeatElement(0, count: needed - s.count)) }
        var changed = false
        var replies: [RESPValue] = []
        replies.reserveCapacity(ops.count)
        for op in ops {
            let current = getField(s, op.offset, op.bits, signed: op.signed)
            switch op.kind {
            case .get:
                replies.append(.integer(current))
            case .set, .incrby:
                let incr = op.kind == .incrby ? op.value : 0
                let base = op.kind == .incrby ? current : op.value
                let (overflowed, limited) =
                    op.signed
                    ? signedOverflow(base, incr, bits: op.bits, op.overflow)
                    : unsignedOverflow(UInt64(bitPattern: base), incr, bits: op.bits, op.overflow)
                if overflowed && op.overflow == .fail {
                    replies.append(.null)
                    continue
                }
                let new = overflowed ? limited : base &+ incr
                setField(&s, op.offset, op.bits, UInt64(bitPattern: new))
                replies.append(.integer(op.kind == .incrby ? new : current))
                if grows || new != current { changed = true }
            }
        }
        // Nothing written (every write failed its OVERFLOW FAIL or rewrote the same value): the
        // key is left as it was and nothing is logged.
        if changed {
            if old != nil {
                ctx.updateString(key) { $0 = s }  // keeps the expiry
            } else {
                ctx.set(key, Entry(value: .string(s)))
            }
            ctx.emitVerbatim()
            ctx.notify(.string, "setbit", key)
        }
        return .array(replies)
    }

    /// The `bits`-wide field at bit `offset` (bits past the end of `s` read as 0).
    static func getField(_ s: Bytes, _ offset: Int, _ bits: Int, signed: Bool) -> Int64 {
        var v: UInt64 = 0
        for i in 0..<bits {
            let pos = offset + i
            let byte = pos >> 3
            let bit: UInt64 = byte < s.count && s[byte] & UInt8(0x80 >> (pos & 7)) != 0 ? 1 : 0
            v = v << 1 | bit
        }
        if signed && bits < 64 && v & (1 << (bits - 1)) != 0 { v |= ~0 << bits }
        return Int64(bitPattern: v)
    }

    /// Writes the low `bits` of `value` at bit `offset` (`s` covers the field).
    static func setField(_ s: inout Bytes, _ offset: Int, _ bits: Int, _ value: UInt64) {
        for i in 0..<bits {
            let pos = offset + i
            let mask = UInt8(0x80 >> (pos & 7))
            if value >> (bits - 1 - i) & 1 != 0 { s[pos >> 3] |= mask } else { s[pos >> 3] &= ~mask }
        }
    }

    /// Redis's `checkUnsignedBitfieldOverflow`: whether `value + incr` leaves the field's
    /// range, and the value to store instead under `mode` (the bit pattern, as Int64).
    static func unsignedOverflow(_ value: UInt64, _ incr: Int64, bits: Int, _ mode: Overflow) -> (Bool, Int64) {
        let max: UInt64 = (1 << bits) - 1
        let maxIncr = Int64(bitPattern: max &- value)
        let minIncr = Int64(bitPattern: 0 &- value)
        let wrapped = Int64(bitPattern: (value &+ UInt64(bitPattern: incr)) & max)
        if value > max || (incr > 0 && incr > maxIncr) {
            return (true, mode == .wrap ? wrapped : Int64(bitPattern: max))
        }
        if incr < 0 && incr < minIncr {
            return (true, mode == .wrap ? wrapped : 0)
        }
        return (false, 0)
    }

    /// Redis's `checkSignedBitfieldOverflow`.
    static func signedOverflow(_ value: Int64, _ incr: Int64, bits: Int, _ mode: Overflow) -> (Bool, Int64) {
        let max: Int64 = bits == 64 ? .max : (1 << (bits - 1)) - 1
        let min = -max - 1
        let maxIncr = Int64(bitPattern: UInt64(bitPattern: max) &- UInt64(bitPattern: value))
        let minIncr = min &- value
        var sum = UInt64(bitPattern: value) &+ UInt64(bitPattern: incr)
        if bits < 64 {
            let high: UInt64 = ~0 << bits
            if sum & (1 << (bits - 1)) != 0 { sum |= high } else { sum &= ~high }
        }
        let wrapped = Int64(bitPattern: sum)
        if value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
            return (true, mode == .wrap ? wrapped : max)
        }
        if value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
            return (true, mode == .wrap ? wrapped : min)
        }
        return (false, 0)
    }
}
