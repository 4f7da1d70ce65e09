/// Where a pub/sub command's channel arguments are, for ACL `&channel` checks (Redis's
/// `getChannelsFromCommand`): declared on the spec beside the key specs.
public struct ChannelSpec: Sendable {
    public enum Kind: Sendable {
        /// Literal channel names (PUBLISH, SUBSCRIBE, SSUBSCRIBE…): ACL matches them against its patterns.
        case channel
        /// Patterns (PSUBSCRIBE): ACL requires the same pattern literally.
        case pattern
    }

    public var kind: Kind
    /// First channel argument.
    public var first: Int
    /// Last channel argument: -1 = the last argument, 0 = only `first`.
    public var last: Int

    public init(_ kind: Kind, first: Int, last: Int) {
        self.kind = kind
        self.first = first
        self.last = last
    }

    /// One channel at `index` (PUBLISH channel message).
    public static func single(_ index: Int) -> ChannelSpec { ChannelSpec(.channel, first: index, last: 0) }
    /// Every argument from `index` on (SUBSCRIBE channel [channel ...]).
    public static func all(from index: Int, _ kind: Kind = .channel) -> ChannelSpec { ChannelSpec(kind, first: index, last: -1) }

    /// The channel (or pattern) arguments in `argv`.
    public func channels(_ argv: [Bytes]) -> [Bytes] {
        guard first < argv.count else { return [] }
        let end = last == 0 ? first : (last < 0 ? argv.count + last : min(last, argv.count - 1))
        guard end >= first else { return [] }
        return Array(argv[first...end])
    }
}
