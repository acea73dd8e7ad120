#!/usr/bin/env python3
# Usage: bench/hprof-retained.py HEAP.hprof PREFIX[,PREFIX...] [PREFIX[,PREFIX...] ...]
#   e.g. bench/hprof-retained.py heap.hprof io.temporal.internal.testservice.,io.temporal.testserver. dev.gatehouse.
# Take the dump with `jcmd PID GC.heap_dump FILE` (live objects only). Plain Python 3, no dependencies;
# a 170 MB dump took 5 minutes on the busy 2-core machine of docs/benchmarks.md. Used for docs/benchmarks.md (Overload).
"""Retained size of groups of classes in an HPROF heap dump.
retained(group) = bytes reachable from the GC roots - bytes reachable when traversal may not enter
any object whose class name starts with one of the group's prefixes. Shallow sizes approximate
HotSpot's with compressed oops (12-byte header, 16-byte array header, 4-byte refs, 8-byte align)."""
import sys, struct, mmap
from collections import deque

if len(sys.argv) < 3:
    raise SystemExit('usage: hprof-retained.py HEAP.hprof PREFIX[,PREFIX...] ...')
path = sys.argv[1]
groups = [g.split(',') for g in sys.argv[2:]]
f = open(path, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
hdr_end = m.find(b'\0') + 1
idsz = struct.unpack('>I', m[hdr_end:hdr_end+4])[0]
assert idsz == 8
pos = hdr_end + 12
BT = {2: 8, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
HEAP_BT = {2: 4, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
strings = {}; classname = {}
classinfo = {}  # cid -> (super, [(type)], static refs)
inst = {}      # oid -> (cid, start, length)   fields parsed lazily
arrays = {}    # oid -> (cid, refs tuple) for obj arrays
size = {}; ocls = {}
roots = []
Q = struct.Struct('>Q'); I = struct.Struct('>I'); H = struct.Struct('>H')
def align(n): return (n + 7) & ~7
end = len(m)
while pos < end:
    tag = m[pos]; ln = I.unpack_from(m, pos + 5)[0]; body = pos + 9; pos = body + ln
    if tag == 0x01:
        strings[Q.unpack_from(m, body)[0]] = m[body+8:body+ln].decode('utf-8', 'replace')
    elif tag == 0x02:
        classname[Q.unpack_from(m, body+4)[0]] = Q.unpack_from(m, body+16)[0]
    elif tag in (0x0C, 0x1C):
        p = body; e = body + ln
        while p < e:
            st = m[p]; p += 1
            if st == 0xFF: roots.append(Q.unpack_from(m, p)[0]); p += 8
            elif st == 0x01: roots.append(Q.unpack_from(m, p)[0]); p += 16
            elif st in (0x02, 0x03): roots.append(Q.unpack_from(m, p)[0]); p += 16
            elif st == 0x04: roots.append(Q.unpack_from(m, p)[0]); p += 12
            elif st == 0x05: roots.append(Q.unpack_from(m, p)[0]); p += 8
            elif st == 0x06: roots.append(Q.unpack_from(m, p)[0]); p += 12
            elif st == 0x07: roots.append(Q.unpack_from(m, p)[0]); p += 8
            elif st == 0x08: roots.append(Q.unpack_from(m, p)[0]); p += 16
            elif st == 0x20:
                cid = Q.unpack_from(m, p)[0]; sup = Q.unpack_from(m, p+12)[0]; ldr = Q.unpack_from(m, p+20)[0]
                p += 8 + 4 + 8*6 + 4
                n = H.unpack_from(m, p)[0]; p += 2
                for _ in range(n):
                    t = m[p+2]; p += 3 + BT[t]
                n = H.unpack_from(m, p)[0]; p += 2
                srefs = []
                for _ in range(n):
                    t = m[p+8]; p += 9
                    if t == 2: srefs.append(Q.unpack_from(m, p)[0])
                    p += BT[t]
                n = H.unpack_from(m, p)[0]; p += 2
                fts = []
                for _ in range(n):
                    fts.append(m[p+8]); p += 9
                classinfo[cid] = (sup, fts, srefs + ([ldr] if ldr else []))
                size[cid] = 0; ocls[cid] = 0
            elif st == 0x21:
                oid = Q.unpack_from(m, p)[0]; cid = Q.unpack_from(m, p+12)[0]; n = I.unpack_from(m, p+20)[0]
                inst[oid] = (cid, p+24, n); ocls[oid] = cid; p += 24 + n
            elif st == 0x22:
                oid = Q.unpack_from(m, p)[0]; n = I.unpack_from(m, p+12)[0]; cid = Q.unpack_from(m, p+16)[0]
                arrays[oid] = struct.unpack_from('>%dQ' % n, m, p+24) if n else ()
                ocls[oid] = cid; size[oid] = align(16 + 4*n); p += 24 + 8*n
            elif st == 0x23:
                oid = Q.unpack_from(m, p)[0]; n = I.unpack_from(m, p+12)[0]; t = m[p+16]
                ocls[oid] = ('prim', t); size[oid] = align(16 + BT[t]*n); p += 17 + BT[t]*n
            else:
                raise SystemExit('unknown subtag %x at %d' % (st, p))
name = {cid: strings.get(sid, '?').replace('/', '.') for cid, sid in classname.items()}
PRIM = {4: 'boolean[]', 5: 'char[]', 6: 'float[]', 7: 'double[]', 8: 'byte[]', 9: 'short[]', 10: 'int[]', 11: 'long[]'}
layout = {}
def fields(cid):
    if cid in layout: return layout[cid]
    out = []; c = cid
    while c and c in classinfo:
        out.extend(classinfo[c][1]); c = classinfo[c][0]
    heap = sum(HEAP_BT[t] for t in out)
    layout[cid] = (out, heap); return layout[cid]
for oid, (cid, s, n) in inst.items():
    size[oid] = align(12 + fields(cid)[1])
def cname(oid):
    c = ocls.get(oid)
    if isinstance(c, tuple): return PRIM[c[1]]
    if oid in classinfo: return 'java.lang.Class'
    return name.get(c, '?')
def refs(oid):
    if oid in inst:
        cid, s, n = inst[oid]; out = [cid]; p = s
        for t in fields(cid)[0]:
            if t == 2:
                r = Q.unpack_from(m, p)[0]
                if r: out.append(r)
            p += BT[t]
        return out
    if oid in arrays: return [r for r in arrays[oid] if r] + [ocls[oid]]
    if oid in classinfo:
        ci = classinfo[oid]; return [r for r in ci[2] if r] + ([ci[0]] if ci[0] else [])
    return []
def blocked_set(prefixes):
    return {oid for oid in ocls if any(cname(oid).startswith(px) for px in prefixes)} if prefixes else set()
def reach(block):
    seen = set(); dq = deque()
    for r in roots:
        if r in ocls and r not in seen and r not in block: seen.add(r); dq.append(r)
    while dq:
        o = dq.popleft()
        for r in refs(o):
            if r not in seen and r not in block and r in ocls:
                seen.add(r); dq.append(r)
    return seen
allr = reach(set())
tot = sum(size[o] for o in allr)
print('objects %d, reachable %d, reachable bytes %.1f MiB' % (len(ocls), len(allr), tot/1048576))
for g in groups:
    b = blocked_set(g)
    r = reach(b)
    ret = allr - r
    rb = sum(size[o] for o in ret)
    byc = {}
    for o in ret: byc[cname(o)] = byc.get(cname(o), 0) + size[o]
    top = sorted(byc.items(), key=lambda t: -t[1])[:8]
    print('retained by %s: %.1f MiB (%.0f%% of reachable), %d objects' % (','.join(g), rb/1048576, 100*rb/tot, len(ret)))
    for k, v in top: print('    %8.1f MiB  %s' % (v/1048576, k))
