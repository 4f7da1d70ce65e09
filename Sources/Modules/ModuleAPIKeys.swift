#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Engine
import ModuleABI
import RESP

private let noExpire: Int64 = -1

extension ModuleAPI {
    // MARK: keys

    static func registerKeys() {
        let openKey: @convention(c) (P, P, Int32) -> P = { ctxp, name, mode in
            guard let ctx = ModuleCtx.from(ctxp) else { return nil }
            let k = ModuleKey(ctx: ctx, key: str(name), mode: mode)
            if !k.writable && k.entry == nil { return nil }
            ctx.openKeys.append(k)
            return Unmanaged.passRetained(k).toOpaque()
        }
        reg("OpenKey", openKey)
        let closeKey: @convention(c) (P) -> Void = { kp in
            guard let kp, let k = ModuleKey.from(kp) else { return }
            if !k.closed {
                k.close()
                if let i = k.ctx.openKeys.firstIndex(where: { $0 === k }) { k.ctx.openKeys.remove(at: i) }
                Unmanaged<ModuleKey>.fromOpaque(kp).release()
            }
        }
        reg("CloseKey", closeKey)
        let keyExists: @convention(c) (P, P) -> Int32 = { ctxp, name in
            guard let ctx = ModuleCtx.from(ctxp) else { return 0 }
            return ctx.engine.lookup(ctx.db, str(name)) != nil ? 1 : 0
        }
        reg("KeyExists", keyExists)
        let keyType: @convention(c) (P) -> Int32 = { kp in
            guard let k = ModuleKey.from(kp) else { return 0 }
            k.flushDMA()
            switch k.value {
            case nil: return 0
            case .string?: return 1
            case .list?: return 2
            case .hash?: return 3
            case .set?: return 4
            case .zset?: return 5
            case .module?: return 6
            }
        }
        reg("KeyType", keyType)
        let valueLength: @convention(c) (P) -> Int = { kp in
            guard let k = ModuleKey.from(kp) else { return 0 }
            if k.dma != nil { return k.dmaLength }
            switch k.value {
            case .string(let s)?: return s.count
            case .list(let l)?: return l.count
            case .hash(let h)?: return h.count
            case .set(let s)?: return s.count
            case .zset(let z)?: return z.count
            default: return 0
            }
        }
        reg("ValueLength", valueLength)
        let deleteKey: @convention(c) (P) -> Int32 = { kp in
            guard let k = ModuleKey.from(kp), k.writable else { return ERR }
            k.dma?.deallocate()
            k.dma = nil
            _ = k.delete()
            return OK
        }
        reg("DeleteKey", deleteKey)
        reg("UnlinkKey", deleteKey)
        let getExpire: @convention(c) (P) -> Int64 = { kp in
            guard let k = ModuleKey.from(kp), let e = k.entry, e.expireAt != 0 else { return noExpire }
            return max(0, e.expireAt - k.engine.commandTime)
        }
        reg("GetExpire", getExpire)
        let getAbsExpire: @convention(c) (P) -> Int64 = { kp in
            guard let k = ModuleKey.from(kp), let e = k.entry, e.expireAt != 0 else { return noExpire }
            return e.expireAt
        }
        reg("GetAbsExpire", getAbsExpire)
        func setExpireAt(_ k: ModuleKey, _ at: Int64) -> Int32 {
            guard k.writable, k.entry != nil else { return ERR }
            k.engine.databases[k.db].setExpire(k.key, at)
            k.engine.keyChanged(k.db, k.key)
            return OK
        }
        let setExpire: @convention(c) (P, Int64) -> Int32 = { kp, ms in
            guard let k = ModuleKey.from(kp) else { return ERR }
            if ms < 0 && ms != noExpire { return ERR }
            return setExpireAt(k, ms == noExpire ? 0 : k.engine.commandTime + ms)
        }
        reg("SetExpire", setExpire)
        let setAbsExpire: @convention(c) (P, Int64) -> Int32 = { kp, at in
            guard let k = ModuleKey.from(kp) else { return ERR }
            if at < 0 && at != noExpire { return ERR }
            return setExpireAt(k, at == noExpire ? 0 : at)
        }
        reg("SetAbsExpire", setAbsExpire)

        // strings
        let stringSet: @convention(c) (P, P) -> Int32 = { kp, s in
            guard let k = ModuleKey.from(kp), k.writable else { return ERR }
            k.dma?.deallocate()
            k.dma = nil
            k.setValue(.string(str(s)), keepTTL: false)
            return OK
        }
        reg("StringSet", stringSet)
        let dma: @convention(c) (P, UnsafeMutablePointer<Int>?, Int32) -> UnsafeMutablePointer<CChar>? = { kp, len, mode in
            guard let k = ModuleKey.from(kp) else { return nil }
            if let d = k.dma {
                len?.pointee = k.dmaLength
                return d
            }
            var current: Bytes
            switch k.value {
            case .string(let s)?: current = s
            case nil:
                guard k.writable else { return nil }
                current = []
                k.setValue(.string([]), keepTTL: false)
            default: return nil
            }
            if mode & ModuleKey.modeWrite != 0 && !k.writable { return nil }
            let d = UnsafeMutablePointer<CChar>.allocate(capacity: current.count + 1)
            current.withUnsafeBytes { if $0.count > 0 { memcpy(d, $0.baseAddress!, $0.count) } }
            d[current.count] = 0
            k.dma = d
            k.dmaLength = current.count
            len?.pointee = current.count
            return d
        }
        reg("StringDMA", dma)
        let truncate: @convention(c) (P, Int) -> Int32 = { kp, newLen in
            guard let k = ModuleKey.from(kp), k.writable, newLen >= 0, newLen <= 512 * 1024 * 1024 else { return ERR }
            var current: Bytes
            if let d = k.dma {
                current = Bytes(UnsafeRawBufferPointer(start: d, count: k.dmaLength))
            } else {
                switch k.value {
                case .string(let s)?: current = s
                case nil:
                    if newLen == 0 { return OK }
                    current = []
                default: return ERR
                }
            }
            if newLen < current.count { current.removeLast(current.count - newLen) } else { current += Bytes(repeating: 0, count: newLen - current.count) }
            if let d = k.dma {
                d.deallocate()
                let nd = UnsafeMutablePointer<CChar>.allocate(capacity: newLen + 1)
                current.withUnsafeBytes { if $0.count > 0 { memcpy(nd, $0.baseAddress!, $0.count) } }
                nd[newLen] = 0
                k.dma = nd
                k.dmaLength = newLen
            }
            k.setValue(.string(current), keepTTL: true)
            return OK
        }
        reg("StringTruncate", truncate)

        // lists
        let listPush: @convention(c) (P, Int32, P) -> Int32 = { kp, whereTo, ele in
            guard let k = ModuleKey.from(kp), k.writable, ele != nil else { errno = EINVAL; return ERR }
            let e = str(ele)
            let r: Bool? = k.mutate(ListValue.self, create: true) { l in
                l.push(e, to: whereTo == 0 ? .head : .tail)
                return (true, true)
            }
            if r == nil { errno = ENOTSUP; return ERR }
            return OK
        }
        reg("ListPush", listPush)
        let listPop: @convention(c) (P, Int32) -> P = { kp, whereFrom in
            guard let k = ModuleKey.from(kp), k.writable else { errno = EBADF; return nil }
            let r: Bytes?? = k.mutate(ListValue.self, create: false) { l in
                let v = l.pop(from: whereFrom == 0 ? .head : .tail)
                return (v, v != nil)
            }
            guard let v = r ?? nil else { return nil }
            return k.ctx.makeString(v)
        }
        reg("ListPop", listPop)
        let listGet: @convention(c) (P, Int) -> P = { kp, index in
            guard let k = ModuleKey.from(kp), case .list(let l)? = k.value else { errno = ENOTSUP; return nil }
            guard let v = l.element(at: Int64(index)) else { errno = EDOM; return nil }
            return k.ctx.makeString(v)
        }
        reg("ListGet", listGet)
        let listSet: @convention(c) (P, Int, P) -> Int32 = { kp, index, ele in
            guard let k = ModuleKey.from(kp), k.writable, case .list(let l)? = k.value else { errno = ENOTSUP; return ERR }
            guard let pos = l.position(Int64(index)) else { errno = EDOM; return ERR }
            let e = str(ele)
            _ = k.mutate(ListValue.self, create: false) { l -> (Bool, Bool) in
                l.items[pos] = e
                return (true, true)
            }
            return OK
        }
        reg("ListSet", listSet)
        let listInsert: @convention(c) (P, Int, P) -> Int32 = { kp, index, ele in
            guard let k = ModuleKey.from(kp), k.writable else { errno = EBADF; return ERR }
            let e = str(ele)
            let count: Int
            switch k.value {
            case .list(let l)?: count = l.count
            case nil: count = 0
            default: errno = ENOTSUP; return ERR
            }
            // index 0 inserts at the head, -1 (or count) at the tail, as Redis.
            var pos = index < 0 ? count + index + 1 : index
            if count == 0 && (index == 0 || index == -1) { pos = 0 }
            guard pos >= 0, pos <= count else { errno = EDOM; return ERR }
            _ = k.mutate(ListValue.self, create: true) { l -> (Bool, Bool) in
                l.items.insert(e, at: pos)
                return (true, true)
            }
            return OK
        }
        reg("ListInsert", listInsert)
        let listDelete: @convention(c) (P, Int) -> Int32 = { kp, index in
            guard let k = ModuleKey.from(kp), k.writable, case .list(let l)? = k.value else { errno = ENOTSUP; return ERR }
            guard let pos = l.position(Int64(index)) else { errno = EDOM; return ERR }
            _ = k.mutate(ListValue.self, create: false) { l -> (Bool, Bool) in
                l.items.remove(at: pos)
                return (true, true)
            }
            return OK
        }
        reg("ListDelete", listDelete)

        // sorted sets
        func zadd(_ k: ModuleKey, _ score: Double, _ member: Bytes, _ flagsp: UnsafeMutablePointer<Int32>?, incr: Bool, _ newScore: UnsafeMutablePointer<Double>?) -> Int32 {
            guard k.writable, !score.isNaN else { return ERR }
            let inFlags = flagsp?.pointee ?? 0
            let xx = inFlags & 1 != 0, nx = inFlags & 2 != 0, gt = inFlags & 32 != 0, lt = inFlags & 64 != 0
            var out: Int32 = 0
            var failed = false
            let r: Bool? = k.mutate(SortedSetValue.self, create: true) { z in
                let old = z.score(member)
                if (xx && old == nil) || (nx && old != nil) { out = 16; return (true, false) }
                var target = score
                if incr, let old { target = old + score }
                if target.isNaN { failed = true; return (true, false) }
                if let old {
                    if (gt && target <= old) || (lt && target >= old) || target == old {
                        out = 16
                        newScore?.pointee = old
                        return (true, false)
                    }
                    _ = z.set(member, target)
                    out = 8
                } else {
                    _ = z.set(member, target)
                    out = 4
                }
                newScore?.pointee = target
                return (true, true)
            }
            if r == nil || failed { return ERR }
            flagsp?.pointee = out
            return OK
        }
        let zsetAdd: @convention(c) (P, Double, P, UnsafeMutablePointer<Int32>?) -> Int32 = { kp, score, ele, flags in
            guard let k = ModuleKey.from(kp) else { return ERR }
            return zadd(k, score, str(ele), flags, incr: false, nil)
        }
        reg("ZsetAdd", zsetAdd)
        let zsetIncrby: @convention(c) (P, Double, P, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Double>?) -> Int32 = { kp, score, ele, flags, newScore in
            guard let k = ModuleKey.from(kp) else { return ERR }
            return zadd(k, score, str(ele), flags, incr: true, newScore)
        }
        reg("ZsetIncrby", zsetIncrby)
        let zsetRem: @convention(c) (P, P, UnsafeMutablePointer<Int32>?) -> Int32 = { kp, ele, deleted in
            guard let k = ModuleKey.from(kp), k.writable else { return ERR }
            let m = str(ele)
            if k.value == nil { deleted?.pointee = 0; return OK }
            guard let r: Bool = k.mutate(SortedSetValue.self, create: false, { z in
                let removed = z.remove(m)
                return (removed, removed)
            }) else { return ERR }
            deleted?.pointee = r ? 1 : 0
            return OK
        }
        reg("ZsetRem", zsetRem)
        let zsetScore: @convention(c) (P, P, UnsafeMutablePointer<Double>?) -> Int32 = { kp, ele, score in
            guard let k = ModuleKey.from(kp), case .zset(let z)? = k.value, let s = z.score(str(ele)) else { return ERR }
            score?.pointee = s
            return OK
        }
        reg("ZsetScore", zsetScore)
        func startRange(_ kp: P, last: Bool, _ ranks: (SortedSetValue) -> Range<Int>?) -> Int32 {
            guard let k = ModuleKey.from(kp), case .zset(let z)? = k.value, let r = ranks(z) else { return ERR }
            k.zrange = (z, r, last ? r.upperBound - 1 : r.lowerBound)
            return OK
        }
        let firstScore: @convention(c) (P, Double, Double, Int32, Int32) -> Int32 = { kp, min, max, minex, maxex in
            startRange(kp, last: false) { $0.ranks(in: ScoreRange(min: min, max: max, minExclusive: minex != 0, maxExclusive: maxex != 0)) }
        }
        reg("ZsetFirstInScoreRange", firstScore)
        let lastScore: @convention(c) (P, Double, Double, Int32, Int32) -> Int32 = { kp, min, max, minex, maxex in
            startRange(kp, last: true) { $0.ranks(in: ScoreRange(min: min, max: max, minExclusive: minex != 0, maxExclusive: maxex != 0)) }
        }
        reg("ZsetLastInScoreRange", lastScore)
        let firstLex: @convention(c) (P, P, P) -> Int32 = { kp, min, max in
            guard let r = LexRange.parse(str(min), str(max)) else { return ERR }
            return startRange(kp, last: false) { $0.ranks(in: r) }
        }
        reg("ZsetFirstInLexRange", firstLex)
        let lastLex: @convention(c) (P, P, P) -> Int32 = { kp, min, max in
            guard let r = LexRange.parse(str(min), str(max)) else { return ERR }
            return startRange(kp, last: true) { $0.ranks(in: r) }
        }
        reg("ZsetLastInLexRange", lastLex)
        let current: @convention(c) (P, UnsafeMutablePointer<Double>?) -> P = { kp, score in
            guard let k = ModuleKey.from(kp), let zr = k.zrange, zr.ranks.contains(zr.cursor),
                  let e = zr.set.element(atRank: zr.cursor) else { return nil }
            score?.pointee = e.score
            return k.ctx.makeString(e.member)
        }
        reg("ZsetRangeCurrentElement", current)
        func move(_ kp: P, _ d: Int) -> Int32 {
            guard let k = ModuleKey.from(kp), var zr = k.zrange, zr.ranks.contains(zr.cursor) else { return 0 }
            zr.cursor += d
            k.zrange = zr
            return zr.ranks.contains(zr.cursor) ? 1 : 0
        }
        let next: @convention(c) (P) -> Int32 = { kp in move(kp, 1) }
        reg("ZsetRangeNext", next)
        let prev: @convention(c) (P) -> Int32 = { kp in move(kp, -1) }
        reg("ZsetRangePrev", prev)
        let endReached: @convention(c) (P) -> Int32 = { kp in
            guard let k = ModuleKey.from(kp), let zr = k.zrange else { return 1 }
            return zr.ranks.contains(zr.cursor) ? 0 : 1
        }
        reg("ZsetRangeEndReached", endReached)
        let stop: @convention(c) (P) -> Void = { kp in ModuleKey.from(kp)?.zrange = nil }
        reg("ZsetRangeStop", stop)
    }

    // MARK: module data types

    static func registerTypes() {
        let createType: @convention(c) (P, CStr, Int32, P) -> P = { ctxp, name, encver, methodsp in
            guard let ctx = ModuleCtx.from(ctxp), let m = ctx.module, m.loading, let methodsp else { return nil }
            let n = text(name)
            guard let id = ModuleTypeRegistry.id(name: n, encver: Int(encver)),
                  ModuleTypeRegistry.type(named: n) == nil else { return nil }
            var methods = MnemoTypeMethods()
            mnemo_read_type_methods(methodsp, &methods)
            let t = ModuleType(name: n, encver: Int(encver), module: m.name, id: id, methods: methods, host: host)
            m.types.append(t)
            ModuleTypeRegistry.register(t)
            return t.handle
        }
        reg("CreateDataType", createType)
        let setValue: @convention(c) (P, P, P) -> Int32 = { kp, tp, value in
            guard let k = ModuleKey.from(kp), k.writable, let tp else { return ERR }
            let t = Unmanaged<ModuleType>.fromOpaque(tp).takeUnretainedValue()
            k.dma?.deallocate()
            k.dma = nil
            k.setValue(.module(ModuleValue(type: t, pointer: value)), keepTTL: false)
            return OK
        }
        reg("ModuleTypeSetValue", setValue)
        let replaceValue: @convention(c) (P, P, P, UnsafeMutablePointer<P>?) -> Int32 = { kp, tp, value, old in
            guard let k = ModuleKey.from(kp), k.writable, let tp, case .module(let mv)? = k.value,
                  mv.type === Unmanaged<ModuleType>.fromOpaque(tp).takeUnretainedValue() else { return ERR }
            let prev = mv.release()
            if let old { old.pointee = prev } else if let prev { mv.type.free(prev) }
            k.setValue(.module(ModuleValue(type: mv.type, pointer: value)), keepTTL: true)
            return OK
        }
        reg("ModuleTypeReplaceValue", replaceValue)
        let getType: @convention(c) (P) -> P = { kp in
            guard let k = ModuleKey.from(kp), case .module(let mv)? = k.value, let t = mv.type as? ModuleType else { return nil }
            return t.handle
        }
        reg("ModuleTypeGetType", getType)
        let getValue: @convention(c) (P) -> P = { kp in
            guard let k = ModuleKey.from(kp), case .module(let mv)? = k.value else { return nil }
            return k.writable ? k.modulePointerForWrite() : mv.pointer
        }
        reg("ModuleTypeGetValue", getValue)

        // RDB payloads
        func io(_ p: P) -> ModuleIO? { ModuleIO.from(p) }
        let saveUnsigned: @convention(c) (P, UInt64) -> Void = { p, v in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opUInt)
            s.writeLength(v)
        }
        reg("SaveUnsigned", saveUnsigned)
        // As Redis: a signed value is saved as its unsigned bits under the UINT opcode (so a
        // real Redis loading the module reads it back with LoadSigned).
        let saveSigned: @convention(c) (P, Int64) -> Void = { p, v in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opUInt)
            s.writeLength(UInt64(bitPattern: v))
        }
        reg("SaveSigned", saveSigned)
        let saveString: @convention(c) (P, P) -> Void = { p, v in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opString)
            s.writeString(str(v))
        }
        reg("SaveString", saveString)
        let saveBuffer: @convention(c) (P, CStr, Int) -> Void = { p, b, n in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opString)
            s.writeString(bytes(b, n))
        }
        reg("SaveStringBuffer", saveBuffer)
        let saveDouble: @convention(c) (P, Double) -> Void = { p, d in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opDouble)
            withUnsafeBytes(of: d.bitPattern.littleEndian) { s.writeRaw(Bytes($0)) }
        }
        reg("SaveDouble", saveDouble)
        let saveFloat: @convention(c) (P, Float) -> Void = { p, f in
            guard let io = io(p), let s = io.sink else { return }
            s.writeLength(ModuleIO.opFloat)
            withUnsafeBytes(of: f.bitPattern.littleEndian) { s.writeRaw(Bytes($0)) }
        }
        reg("SaveFloat", saveFloat)
        let loadUnsigned: @convention(c) (P) -> UInt64 = { p in
            guard let io = io(p), io.expect(ModuleIO.opUInt) else { return 0 }
            do { return try io.source!.readLength() } catch { io.error = "\(error)"; return 0 }
        }
        reg("LoadUnsigned", loadUnsigned)
        let loadSigned: @convention(c) (P) -> Int64 = { p in
            // UINT as Redis writes it; SINT as Mnemo's earlier snapshots did.
            guard let io = io(p), io.expect(ModuleIO.opUInt, or: ModuleIO.opSInt) else { return 0 }
            do { return Int64(bitPattern: try io.source!.readLength()) } catch { io.error = "\(error)"; return 0 }
        }
        reg("LoadSigned", loadSigned)
        func loadBytes(_ p: P) -> Bytes? {
            guard let io = io(p), io.expect(ModuleIO.opString) else { return nil }
            do { return try io.source!.readString() } catch { io.error = "\(error)"; return nil }
        }
        let loadString: @convention(c) (P) -> P = { p in
            guard let b = loadBytes(p) else { return nil }
            return ModuleString(b).retainedHandle()
        }
        reg("LoadString", loadString)
        let loadBuffer: @convention(c) (P, UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<CChar>? = { p, len in
            guard let b = loadBytes(p) else { len?.pointee = 0; return nil }
            let out = malloc(b.count + 1)!.assumingMemoryBound(to: CChar.self)
            b.withUnsafeBytes { if $0.count > 0 { memcpy(out, $0.baseAddress!, $0.count) } }
            out[b.count] = 0
            len?.pointee = b.count
            return out
        }
        reg("LoadStringBuffer", loadBuffer)
        let loadDouble: @convention(c) (P) -> Double = { p in
            guard let io = io(p), io.expect(ModuleIO.opDouble) else { return 0 }
            do {
                let raw = try io.source!.readRaw(8)
                var v: UInt64 = 0
                for i in 0..<8 { v |= UInt64(raw[i]) << (8 * UInt64(i)) }
                return Double(bitPattern: v)
            } catch { io.error = "\(error)"; return 0 }
        }
        reg("LoadDouble", loadDouble)
        let loadFloat: @convention(c) (P) -> Float = { p in
            guard let io = io(p), io.expect(ModuleIO.opFloat) else { return 0 }
            do {
                let raw = try io.source!.readRaw(4)
                var v: UInt32 = 0
                for i in 0..<4 { v |= UInt32(raw[i]) << (8 * UInt32(i)) }
                return Float(bitPattern: v)
            } catch { io.error = "\(error)"; return 0 }
        }
        reg("LoadFloat", loadFloat)
        let isIOError: @convention(c) (P) -> Int32 = { p in io(p)?.error != nil ? 1 : 0 }
        reg("IsIOError", isIOError)
        let ctxFromIO: @convention(c) (P) -> P = { p in
            guard let io = io(p) else { return nil }
            if io.ctx == nil { io.ctx = ModuleCtx(host: host, module: host.modules[io.type.moduleName], client: nil, db: 0) }
            return UnsafeMutableRawPointer(io.ctx!.raw)
        }
        reg("GetContextFromIO", ctxFromIO)

        // digests
        let digestBuffer: @convention(c) (P, CStr, Int) -> Void = { p, b, n in ModuleDigest.from(p)?.add(bytes(b, n)) }
        reg("DigestAddStringBuffer", digestBuffer)
        let digestLL: @convention(c) (P, Int64) -> Void = { p, v in ModuleDigest.from(p)?.add(Bytes(String(v).utf8)) }
        reg("DigestAddLongLong", digestLL)
        let digestEnd: @convention(c) (P) -> Void = { p in ModuleDigest.from(p)?.endSequence() }
        reg("DigestEndSequence", digestEnd)
    }

    // MARK: memory, time, timers

    static func registerMisc() {
        let alloc: @convention(c) (Int) -> P = { n in malloc(max(n, 1)) }
        reg("Alloc", alloc)
        reg("TryAlloc", alloc)
        let calloc_: @convention(c) (Int, Int) -> P = { n, s in calloc(max(n, 1), max(s, 1)) }
        reg("Calloc", calloc_)
        let realloc_: @convention(c) (P, Int) -> P = { p, n in realloc(p, max(n, 1)) }
        reg("Realloc", realloc_)
        let free_: @convention(c) (P) -> Void = { p in free(p) }
        reg("Free", free_)
        let strdup_: @convention(c) (CStr) -> UnsafeMutablePointer<CChar>? = { s in s.flatMap { strdup($0) } }
        reg("Strdup", strdup_)
        let poolAlloc: @convention(c) (P, Int) -> P = { ctxp, n in
            guard let ctx = ModuleCtx.from(ctxp), n > 0 else { return nil }
            let p = calloc(1, n)!
            ctx.pool.append(p)
            return p
        }
        reg("PoolAlloc", poolAlloc)
        let ms: @convention(c) () -> Int64 = { Engine.wallClockMs() }
        reg("Milliseconds", ms)
        let us: @convention(c) () -> Int64 = {
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
        }
        reg("Microseconds", us)

        let createTimer: @convention(c) (P, Int64, P, P) -> UInt64 = { ctxp, period, cb, data in
            guard let ctx = ModuleCtx.from(ctxp), let m = ctx.module, let cb, let schedule = host.schedule else { return 0 }
            let id = host.nextTimerID
            host.nextTimerID += 1
            let timer = ModuleTimer(id: id, module: m, callback: cb, data: data, due: Engine.wallClockMs() + max(0, period))
            host.timers[id] = timer
            m.timers.insert(id)
            timer.cancel = schedule(max(0, period)) { [weak timer] in
                guard let timer, host.timers.removeValue(forKey: id) != nil else { return }
                timer.module.timers.remove(id)
                let tctx = ModuleCtx(host: host, module: timer.module, client: nil, db: 0)
                host.stack.append(tctx)
                mnemo_invoke_ctx_callback(timer.callback, tctx.raw, timer.data)
                host.stack.removeLast()
                tctx.finish()
            }
            return id
        }
        reg("CreateTimer", createTimer)
        let stopTimer: @convention(c) (P, UInt64, UnsafeMutablePointer<P>?) -> Int32 = { ctxp, id, data in
            guard let ctx = ModuleCtx.from(ctxp), let t = host.timers[id], t.module === ctx.module else { return ERR }
            host.timers[id] = nil
            t.module.timers.remove(id)
            t.cancel?()
            data?.pointee = t.data
            return OK
        }
        reg("StopTimer", stopTimer)
        let timerInfo: @convention(c) (P, UInt64, UnsafeMutablePointer<UInt64>?, UnsafeMutablePointer<P>?) -> Int32 = { ctxp, id, remaining, data in
            guard let ctx = ModuleCtx.from(ctxp), let t = host.timers[id], t.module === ctx.module else { return ERR }
            remaining?.pointee = UInt64(max(0, t.due - Engine.wallClockMs()))
            data?.pointee = t.data
            return OK
        }
        reg("GetTimerInfo", timerInfo)
    }
}
