import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import RESP

@Suite("RESP request decoder", .timeLimit(.minutes(1)))
struct RequestDecoderTests {
    static func decodeAll(_ text: String, limits: RESPLimits = RESPLimits(), authenticated: Bool = true) throws -> [[String]] {
        var decoder = RESPRequestDecoder(limits: limits, authenticated: authenticated)
        var buf = ByteBuffer(string: text)
        var out: [[String]] = []
        while let args = try decoder.next(&buf) {
            out.append(args.map { String(decoding: $0, as: UTF8.self) })
        }
        return out
    }

    static func bytes(_ words: [String]) -> [[UInt8]] { words.map { Array($0.utf8) } }

    @Test func multibulkAndInlineThroughEverySplit() throws {
        // The verifier feeds the input in every possible split and checks the same output.
        let input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\nPING\r\nset a \"b c\"\r\n*0\r\n*1\r\n$0\r\n\r\n\r\n"
        let expected: [[[UInt8]]] = [
            Self.bytes(["SET", "k", "hello"]), Self.bytes(["PING"]), Self.bytes(["set", "a", "b c"]), Self.bytes([""]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [(input, expected)],
            decoderFactory: { RESPRequestDecoder() })
    }

    @Test func binarySafeBulk() throws {
        var d = RESPRequestDecoder()
        var buf = ByteBuffer(bytes: Array("*2\r\n$3\r\nGET\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n".utf8))
        let args = try d.next(&buf)
        #expect(args == [Array("GET".utf8), [0, 13, 10, 255]])
    }

    @Test func incompleteInputWaits() throws {
        var d = RESPRequestDecoder()
        var buf = ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$5\r\nhel")
        #expect(try d.next(&buf) == nil)
        buf.writeString("lo\r\n")
        #expect(try d.next(&buf) == [Array("GET".utf8), Array("hello".utf8)])
    }

    @Test(arguments: [
        ("*abc\r\n", "invalid multibulk length"),
        ("*1\r\n$-5\r\n", "invalid bulk length"),
        ("*1\r\n$abc\r\n", "invalid bulk length"),
        ("*1\r\nfoo\r\n", "expected '$', got 'f'"),
        ("set \"a\r\n", "unbalanced quotes in request"),
        ("set 'a\r\n", "unbalanced quotes in request"),
        ("set \"a\"b\r\n", "unbalanced quotes in request"),
        ("*1\r\n$536870913\r\n", "invalid bulk length"),
        ("*3000000000\r\n", "invalid multibulk length"),
    ])
    func malformedInput(input: String, message: String) {
        #expect(throws: RESPProtocolError(message)) { _ = try Self.decodeAll(input) }
    }

    @Test func unauthenticatedLimits() {
        #expect(throws: RESPProtocolError("unauthenticated multibulk length")) {
            _ = try Self.decodeAll("*11\r\n", authenticated: false)
        }
        #expect(throws: RESPProtocolError("unauthenticated bulk length")) {
            _ = try Self.decodeAll("*1\r\n$16385\r\n", authenticated: false)
        }
        #expect((try? Self.decodeAll("*2\r\n$4\r\nAUTH\r\n$3\r\npwd\r\n", authenticated: false)) == [["AUTH", "pwd"]])
    }

    @Test func tooBigInlineAndCountLines() {
        let long = String(repeating: "a", count: 70 * 1024)
        #expect(throws: RESPProtocolError("too big inline request")) { _ = try Self.decodeAll(long) }
        #expect(throws: RESPProtocolError("too big mbulk count string")) { _ = try Self.decodeAll("*" + long) }
    }

    @Test func configurableBulkLimit() {
        var limits = RESPLimits()
        limits.maxBulkLength = 10
        #expect(throws: RESPProtocolError("invalid bulk length")) { _ = try Self.decodeAll("*1\r\n$11\r\n", limits: limits) }
    }

    @Test func inlineEscapes() throws {
        let r = try Self.decodeAll("echo \"a\\x41\\n\" 'it\\'s'  \r\n")
        #expect(r == [["echo", "aA\n", "it's"]])
        #expect(try Self.decodeAll("\r\n   \r\nPING\n") == [["PING"]])
    }
}

@Suite("RESP request decoder: shared command names, recycled arrays", .timeLimit(.minutes(1)))
struct CommandNameSharingTests {
    @Test func aRepeatedNameIsSharedAndADifferentOneOfTheSameLengthIsNot() throws {
        var d = RESPRequestDecoder()
        var buf = ByteBuffer(string: "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nPING\r\n$1\r\nx\r\n*1\r\n$4\r\nPONG\r\n*1\r\n$0\r\n\r\n")
        let a = try #require(try d.next(&buf))
        let b = try #require(try d.next(&buf))
        let c = try #require(try d.next(&buf))
        let e = try #require(try d.next(&buf))
        #expect(a == [Array("PING".utf8)] && b == [Array("PING".utf8), Array("x".utf8)])
        a[0].withUnsafeBufferPointer { x in b[0].withUnsafeBufferPointer { y in #expect(x.baseAddress == y.baseAddress) } }
        #expect(c == [Array("PONG".utf8)])
        #expect(e == [[]])
    }

    @Test func aRepeatedKeyIsSharedAndChangingKeysStayCorrect() throws {
        var d = RESPRequestDecoder()
        func request(_ words: String...) -> String {
            "*\(words.count)\r\n" + words.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
        }
        // 200 different keys of one length (the comparison gives up, then retries), then one repeated.
        var text = (0..<200).map { request("GET", "key:" + String(1000 + $0)) }.joined()
        // A key that then repeats is shared again within 64 requests.
        text += String(repeating: request("LPUSH", "mylist", "a"), count: 70) + request("LPUSH", "mylisu", "c")
        var buf = ByteBuffer(string: text)
        for i in 0..<200 {
            let argv = try #require(try d.next(&buf))
            #expect(argv == RequestDecoderTests.bytes(["GET", "key:" + String(1000 + i)]))
        }
        var pushes: [[[UInt8]]] = []
        for _ in 0..<70 { pushes.append(try #require(try d.next(&buf))) }
        #expect(pushes.allSatisfy { $0 == RequestDecoderTests.bytes(["LPUSH", "mylist", "a"]) })
        pushes[68][1].withUnsafeBufferPointer { x in
            pushes[69][1].withUnsafeBufferPointer { y in #expect(x.baseAddress == y.baseAddress) }
        }
        #expect(try d.next(&buf) == RequestDecoderTests.bytes(["LPUSH", "mylisu", "c"]))
    }

    @Test func arraysHandedBackAreReusedAndOnesStillHeldAreLeftIntact() throws {
        var d = RESPRequestDecoder()
        var buf = ByteBuffer(string: "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n*2\r\n$3\r\nGET\r\n$1\r\nc\r\n")
        let first = try #require(try d.next(&buf))
        let kept = first  // still held elsewhere (a queued transaction, a blocked client)
        d.recycle(first)
        let second = try #require(try d.next(&buf))
        #expect(kept == [Array("GET".utf8), Array("a".utf8)])
        #expect(second == [Array("GET".utf8), Array("b".utf8)])
        d.recycle(second)
        let third = try #require(try d.next(&buf))
        #expect(third == [Array("GET".utf8), Array("c".utf8)])
    }
}
