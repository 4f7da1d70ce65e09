import Testing

@testable import Engine

@Suite struct GlobTests {
    /// (pattern, string, matches) — every expected value was taken from Redis 7.0 (KEYS).
    static let redisCases: [(Bytes, Bytes, Bool)] = [
        ([42], [], true),  // '*' ''
        ([42], [97, 98, 99], true),  // '*' 'abc'
        ([], [], true),  // '' ''
        ([], [97], false),  // '' 'a'
        ([97], [], false),  // 'a' ''
        ([63], [], false),  // '?' ''
        ([63], [97], true),  // '?' 'a'
        ([63, 63], [97], false),  // '??' 'a'
        ([97, 42], [97], true),  // 'a*' 'a'
        ([97, 42, 98], [97, 98], true),  // 'a*b' 'ab'
        ([97, 42, 98], [97, 120, 120, 98], true),  // 'a*b' 'axxb'
        ([97, 42, 98], [97, 120, 120, 98, 99], false),  // 'a*b' 'axxbc'
        ([42, 98, 42], [97, 98, 99], true),  // '*b*' 'abc'
        ([42, 42, 97, 42, 42], [97], true),  // '**a**' 'a'
        ([97, 42, 42], [97, 98, 99], true),  // 'a**' 'abc'
        ([104, 63, 108, 108, 111], [104, 101, 108, 108, 111], true),  // 'h?llo' 'hello'
        ([104, 42, 108, 108, 111], [104, 101, 101, 101, 101, 108, 108, 111], true),  // 'h*llo' 'heeeello'
        ([104, 91, 97, 101, 93, 108, 108, 111], [104, 97, 108, 108, 111], true),  // 'h[ae]llo' 'hallo'
        ([104, 91, 97, 101, 93, 108, 108, 111], [104, 105, 108, 108, 111], false),  // 'h[ae]llo' 'hillo'
        ([104, 91, 94, 101, 93, 108, 108, 111], [104, 97, 108, 108, 111], true),  // 'h[^e]llo' 'hallo'
        ([104, 91, 94, 101, 93, 108, 108, 111], [104, 101, 108, 108, 111], false),  // 'h[^e]llo' 'hello'
        ([104, 91, 97, 45, 98, 93, 108, 108, 111], [104, 98, 108, 108, 111], true),  // 'h[a-b]llo' 'hbllo'
        ([104, 91, 98, 45, 97, 93, 108, 108, 111], [104, 97, 108, 108, 111], true),  // 'h[b-a]llo' 'hallo'
        ([104, 91, 97, 45, 98, 93, 108, 108, 111], [104, 99, 108, 108, 111], false),  // 'h[a-b]llo' 'hcllo'
        ([91], [97], false),  // '[' 'a'
        ([91], [91], false),  // '[' '['
        ([91, 94], [97], true),  // '[^' 'a'
        ([91, 94], [], false),  // '[^' ''
        ([91, 93], [97], false),  // '[]' 'a'
        ([91, 93, 93], [93], false),  // '[]]' ']'
        ([91, 97, 45, 93], [45], false),  // '[a-]' '-'
        ([91, 97, 45, 93], [98], false),  // '[a-]' 'b'
        ([91, 97, 45, 93], [94], true),  // '[a-]' '^'
        ([91, 97, 45, 93], [93], true),  // '[a-]' ']'
        ([91, 45, 97, 93], [45], true),  // '[-a]' '-'
        ([91, 92, 93, 93], [93], true),  // '[\\]]' ']'
        ([91, 92], [92], true),  // '[\\' '\\'
        ([91, 92], [97], false),  // '[\\' 'a'
        ([91, 97, 92, 45, 122, 93], [45], true),  // '[a\\-z]' '-'
        ([91, 97, 92, 45, 122, 93], [98], false),  // '[a\\-z]' 'b'
        ([92], [92], true),  // '\\' '\\'
        ([92, 42], [42], true),  // '\\*' '*'
        ([92, 42], [97], false),  // '\\*' 'a'
        ([97, 92], [97, 92], true),  // 'a\\' 'a\\'
        ([92, 63], [63], true),  // '\\?' '?'
        ([92, 97], [97], true),  // '\\a' 'a'
        ([91, 97, 98, 99], [97], true),  // '[abc' 'a'
        ([91, 97, 98, 99], [98], true),  // '[abc' 'b'
        ([91, 97, 98, 99], [100], false),  // '[abc' 'd'
        ([97, 98, 91], [97, 98], false),  // 'ab[' 'ab'
        ([42, 97, 42, 97, 42, 97, 42, 97, 42, 97, 42, 97, 42, 97, 42, 97, 42, 98], [97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97, 97], false),  // '*a*a*a*a*a*a*a*a*b' 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
        ([97, 42], [65], false),  // 'a*' 'A'
        ([91, 65, 45, 90, 93], [97], false),  // '[A-Z]' 'a'
        ([91, 94, 97, 45, 122, 93], [65], true),  // '[^a-z]' 'A'
        ([42, 91], [97, 98, 99], false),  // '*[' 'abc'
        ([42, 63], [97], true),  // '*?' 'a'
        ([42, 63], [], false),  // '*?' ''
        ([102, 111, 111, 42, 98, 97, 114], [102, 111, 111, 98, 97, 114], true),  // 'foo*bar' 'foobar'
        ([102, 111, 111, 42, 98, 97, 114], [102, 111, 111, 120, 98, 97, 114, 98, 97, 114], true),  // 'foo*bar' 'fooxbarbar'
        ([91, 91, 93], [91], true),  // '[[]' '['
        ([91, 42, 93], [42], true),  // '[*]' '*'
        ([91, 42, 93], [97], false),  // '[*]' 'a'
        ([91, 63, 93], [97], false),  // '[?]' 'a'
        ([120, 91, 97, 45, 99, 45, 101, 93, 121], [120, 100, 121], false),  // 'x[a-c-e]y' 'xdy'
        ([120, 91, 97, 45, 99, 45, 101, 93, 121], [120, 45, 121], true),  // 'x[a-c-e]y' 'x-y'
        ([120, 91, 97, 45, 99, 45, 101, 93, 121], [120, 101, 121], true),  // 'x[a-c-e]y' 'xey'
        ([91, 233, 93], [233], true),  // '[é]' 'é'
        ([91, 97, 45, 233, 93], [98], false),  // '[a-é]' 'b'
        ([91, 97, 45, 233, 93], [255], true),  // '[a-é]' 'ÿ'
        ([91, 97, 45, 233, 93], [0], true),  // '[a-é]' '\x00'
        ([91, 97, 45, 233, 93], [224], false),  // '[a-é]' 'à'
    ]

    @Test func matchesLikeRedis() {
        for (pattern, string, expected) in Self.redisCases {
            #expect(Glob.match(pattern, string) == expected, "pattern \(pattern.text) string \(string.text)")
        }
    }

    @Test func nocaseFoldsLiteralsAndRanges() {
        #expect(Glob.match(Bytes("HeLLo*"), Bytes("hello world"), nocase: true))
        #expect(!Glob.match(Bytes("HeLLo*"), Bytes("hello world")))
        #expect(Glob.match(Bytes("[A-C]x"), Bytes("bX"), nocase: true))
        #expect(Glob.match(Bytes("[abc]"), Bytes("B"), nocase: true))
        #expect(Glob.match(Bytes("[^abc]"), Bytes("B"), nocase: false))
        #expect(!Glob.match(Bytes("[^abc]"), Bytes("B"), nocase: true))
        #expect(Glob.match(Bytes("maxmemory*"), Bytes("MAXMEMORY-POLICY"), nocase: true))
        // Redis swaps a reversed range before folding case: [Z-a] covers Z [ \ ] ^ _ ` a.
        #expect(Glob.match(Bytes("[Z-a]"), Bytes("_")))
        #expect(!Glob.match(Bytes("[Z-a]"), Bytes("m"), nocase: true))
    }

    @Test func escapesInsideBracketsAreCaseSensitive() {
        // As in stringmatchlen, an escaped character in a class is compared exactly.
        #expect(!Glob.match(Bytes("[\\A]"), Bytes("a"), nocase: true))
        #expect(Glob.match(Bytes("[\\A]"), Bytes("A"), nocase: true))
    }

    @Test func pathologicalPatternsFinishQuickly() {
        let pattern = Bytes(String(repeating: "a*", count: 60) + "b")
        let string = Bytes(String(repeating: "a", count: 5000))
        #expect(!Glob.match(pattern, string))
    }

    @Test func deepNestingIsRejectedLikeRedis() {
        // More than 1000 stars nest deeper than Redis allows: no match, and no stack overflow.
        let pattern = Bytes(String(repeating: "*a", count: 1100))
        let string = Bytes(String(repeating: "a", count: 1100))
        #expect(!Glob.match(pattern, string))
        let shallow = Bytes(String(repeating: "*a", count: 900))
        #expect(Glob.match(shallow, string))
    }

    @Test func binarySafe() {
        #expect(Glob.match([0, 42, 0], [0, 1, 2, 0]))
        #expect(Glob.match([63], [0]))
        #expect(!Glob.match([0], [1]))
    }
}
