import Engine
import Testing

@testable import Modules

@Suite struct ModuleTypeIdTests {
    @Test func idRoundTripsNameAndEncodingVersion() {
        let id = ModuleTypeRegistry.id(name: "mnemocntr", encver: 3)
        #expect(id != nil)
        let (name, encver) = ModuleTypeRegistry.decode(id: id!)
        #expect(name == "mnemocntr")
        #expect(encver == 3)
    }

    @Test func idRejectsBadNames() {
        #expect(ModuleTypeRegistry.id(name: "short", encver: 0) == nil)
        #expect(ModuleTypeRegistry.id(name: "bad name!", encver: 0) == nil)
        #expect(ModuleTypeRegistry.id(name: "abcdefghi", encver: 1024) == nil)
    }

    @Test func flagsStringMapsToCommandFlags() {
        let f = ModuleHost.parseFlags("write deny-oom fast")
        #expect(f?.0 == [.write, .denyoom, .fast])
        #expect(ModuleHost.parseFlags("bogus") == nil)
    }

    @Test func replyBuilderClosesPostponedArrays() {
        var b = ReplyBuilder()
        b.open(.array, nil)
        b.add(.integer(1))
        b.open(.array, 1)
        b.add(.integer(2))
        b.setLength(.array, 2)
        #expect(b.replies.first == .array([.integer(1), .array([.integer(2)])]))
    }
}
