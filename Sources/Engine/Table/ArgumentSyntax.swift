import RESP

/// A command's arguments as COMMAND DOCS describes them, parsed from the Redis usage syntax in
/// `CommandDocs.syntax` (`key value [NX | XX] [EX seconds | PX milliseconds]`, `key [key ...]`).
public indirect enum ArgumentSyntax: Equatable {
    case token(String)
    case argument(String)
    case sequence([ArgumentSyntax])
    case optional(ArgumentSyntax)
    case oneOf([ArgumentSyntax])
    case multiple(ArgumentSyntax)

    public static func parse(_ text: String) -> ArgumentSyntax {
        var tokens = tokenize(text)[...]
        return parseAlternatives(&tokens, until: nil)
    }

    static func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in text {
            if ch == " " {
                if !cur.isEmpty { out.append(cur); cur = "" }
            } else if ch == "[" || ch == "]" || ch == "|" || ch == "<" || ch == ">" {
                if !cur.isEmpty { out.append(cur); cur = "" }
                out.append(String(ch))
            } else {
                cur.append(ch)
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    static func parseAlternatives(_ t: inout ArraySlice<String>, until end: String?) -> ArgumentSyntax {
        var alternatives: [ArgumentSyntax] = []
        var seq: [ArgumentSyntax] = []
        while let tok = t.first {
            if tok == end { t.removeFirst(); break }
            t.removeFirst()
            switch tok {
            case "[":
                let inner = parseAlternatives(&t, until: "]")
                // `key [key ...]` is one repeated argument.
                if case .sequence(let s) = inner, s.count == 2, case .multiple(let m) = s[1], let last = seq.last, m == last {
                    seq[seq.count - 1] = .multiple(last)
                } else {
                    seq.append(.optional(inner))
                }
            case "<":
                // `<LEFT | RIGHT>`: a required choice.
                seq.append(parseAlternatives(&t, until: ">"))
            case "|":
                alternatives.append(seq.count == 1 ? seq[0] : .sequence(seq))
                seq = []
            case "...":
                if let last = seq.popLast() { seq.append(.multiple(last)) }
            default:
                let isToken = tok.first.map { $0.isUppercase || $0.isNumber } ?? false
                seq.append(isToken ? .token(tok) : .argument(tok))
            }
        }
        let tail: ArgumentSyntax = seq.count == 1 ? seq[0] : .sequence(seq)
        if alternatives.isEmpty { return tail }
        alternatives.append(tail)
        return .oneOf(alternatives)
    }

    /// The fewest arguments this syntax accepts.
    public var minimumCount: Int {
        switch self {
        case .token, .argument: return 1
        case .sequence(let s): return s.reduce(0) { $0 + $1.minimumCount }
        case .optional: return 0
        case .oneOf(let a): return a.map(\.minimumCount).min() ?? 0
        case .multiple(let m): return m.minimumCount
        }
    }

    /// Whether it accepts an unbounded number of arguments or optional ones.
    public var isVariable: Bool {
        switch self {
        case .token, .argument: return false
        case .sequence(let s): return s.contains(where: \.isVariable)
        case .optional, .multiple: return true
        case .oneOf(let a): return Set(a.map(\.minimumCount)).count > 1 || a.contains(where: \.isVariable)
        }
    }

    static func type(of name: String) -> String {
        let integers: Set = ["seconds", "milliseconds", "count", "numkeys", "index", "start", "end", "offset",
                             "timeout", "increment", "decrement", "len", "db", "destination-db", "numreplicas",
                             "cursor", "rank", "maxlen", "min-match-len", "client-id", "protover", "limit", "stop"]
        if name.contains("key") && name != "numkeys" || name == "destination" || name == "source" { return "key" }
        if name.hasPrefix("unix-time") { return "unix-time" }
        if name == "pattern" { return "pattern" }
        if integers.contains(name) { return "integer" }
        if ["score", "min", "max", "double"].contains(name) { return "double" }
        return "string"
    }

    /// COMMAND DOCS `arguments` entries.
    public func docs() -> [RESPValue] {
        switch self {
        case .sequence(let s): return s.map { $0.doc(flags: []) }
        default: return [doc(flags: [])]
        }
    }

    var displayName: String {
        switch self {
        case .token(let t): return t.lowercased()
        case .argument(let a): return a
        case .sequence(let s): return s.map(\.displayName).last ?? ""
        case .optional(let o): return o.displayName
        case .oneOf(let a): return a.map(\.displayName).joined(separator: "-")
        case .multiple(let m): return m.displayName
        }
    }

    func doc(flags: [String]) -> RESPValue {
        var pairs: [(RESPValue, RESPValue)] = []
        var flags = flags
        func finish(_ name: String, _ type: String, token: String? = nil, children: [RESPValue]? = nil) -> RESPValue {
            pairs.append((.bulk("name"), .bulk(name)))
            pairs.append((.bulk("type"), .bulk(type)))
            if let token { pairs.append((.bulk("token"), .bulk(token))) }
            if !flags.isEmpty { pairs.append((.bulk("flags"), .array(flags.map { .simple($0) }))) }
            if let children { pairs.append((.bulk("arguments"), .array(children))) }
            return .map(pairs)
        }
        switch self {
        case .token(let t):
            return finish(t.lowercased(), "pure-token", token: t)
        case .argument(let a):
            return finish(a, ArgumentSyntax.type(of: a))
        case .optional(let o):
            return o.doc(flags: flags + ["optional"])
        case .multiple(let m):
            return m.doc(flags: flags + ["multiple"])
        case .sequence(let s):
            if s.count == 2, case .token(let t) = s[0], case .argument(let a) = s[1] {
                return finish(a, ArgumentSyntax.type(of: a), token: t)
            }
            flags = flags.filter { $0 != "multiple" } + (flags.contains("multiple") ? ["multiple"] : [])
            return finish(displayName, "block", children: s.map { $0.doc(flags: []) })
        case .oneOf(let a):
            return finish(displayName, "oneof", children: a.map { $0.doc(flags: []) })
        }
    }
}
