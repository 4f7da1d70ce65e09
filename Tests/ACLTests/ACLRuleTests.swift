import Testing
@testable import ACL
@testable import Engine
import RESP

@Suite struct ACLPlaceholder {
    @Test func sha256() {
        #expect(SHA256.hex(Array("a".utf8)) == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
    }
}
