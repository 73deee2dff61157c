#!/usr/bin/env python3
"""Renames one required symbol version of an ELF64 little-endian shared object, in a copy.

Usage: rename_verneed.py SRC DST LIBRARY OLD_VERSION NEW_VERSION

Why: `_scheduler.so` of PyPI's mesos.scheduler 1.11.0 was linked against Ubuntu 16.04's libcurl3,
whose symbols carry the version `CURL_OPENSSL_3`. Debian 12's libcurl4 exports the same ABI under
`CURL_OPENSSL_4`, so the dynamic loader refuses the object only because of that name. Renaming the
version the object *needs* (not any symbol) lets it bind to libcurl4.

How: the needed versions live in the `.gnu.version_r` section (SHT_GNU_verneed), a chain of
Elf64_Verneed records (one per library) each followed by a chain of Elf64_Vernaux records (one per
version). A Vernaux names its version by an offset into the dynamic string table and carries the
SysV ELF hash of that name, which the loader compares before the string. The new name has the same
length as the old one, so the string is rewritten in place and nothing else in the file moves; then
the hash is rewritten to match. The script refuses anything it does not fully understand: another
ELF class or byte order, a version name found zero or several times, a name whose bytes some other
record also points into (string tables may share tails), a section table that disagrees with the
dynamic segment the loader actually reads.
"""

import mmap
import os
import shutil
import struct
import sys

SHT_DYNSYM = 11
SHT_DYNAMIC = 6
SHT_GNU_VERDEF = 0x6FFFFFFD
SHT_GNU_VERNEED = 0x6FFFFFFE

DT_NULL = 0
DT_NEEDED = 1
DT_STRTAB = 5
DT_SONAME = 14
DT_RPATH = 15
DT_RUNPATH = 29
DT_VERNEED = 0x6FFFFFFE

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
SHDR = struct.Struct("<IIQQQQIIQQ")
VERNEED = struct.Struct("<HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
VERNAUX = struct.Struct("<IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next
VERDEF = struct.Struct("<HHHHIII")  # vd_version, vd_flags, vd_ndx, vd_cnt, vd_hash, vd_aux, vd_next
VERDAUX = struct.Struct("<II")  # vda_name, vda_next
SYM = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, st_value, st_size
DYN = struct.Struct("<qQ")  # d_tag, d_val


class PatchError(Exception):
    pass


def elf_hash(name):
    """The SysV ELF hash (System V ABI, "Hash Table"), used for version names in vd/vna_hash."""
    h = 0
    for byte in name:
        h = ((h << 4) + byte) & 0xFFFFFFFF
        high = h & 0xF0000000
        if high:
            h ^= high >> 24
        h &= ~high & 0xFFFFFFFF
    return h


def c_string(data, offset):
    end = data.find(b"\0", offset)
    if end < 0:
        raise PatchError("unterminated string at file offset %d" % offset)
    return bytes(data[offset:end])


def sections(data):
    ident, _type, machine, _ver, _entry, _phoff, shoff, _flags, _ehsize, _phentsize, _phnum, \
        shentsize, shnum, _shstrndx = EHDR.unpack_from(data, 0)
    if ident[:4] != b"\x7fELF":
        raise PatchError("not an ELF file")
    if ident[4] != 2 or ident[5] != 1:
        raise PatchError("only 64-bit little-endian ELF is supported")
    if machine != 62:
        raise PatchError("only x86-64 (e_machine 62) is supported, found %d" % machine)
    if shentsize != SHDR.size:
        raise PatchError("unexpected section header size %d" % shentsize)
    return [SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]


def only_section(shdrs, sh_type, what):
    found = [s for s in shdrs if s[1] == sh_type]
    if len(found) != 1:
        raise PatchError("expected one %s section, found %d" % (what, len(found)))
    return found[0]


def dynamic_entries(data, shdrs):
    dyn = only_section(shdrs, SHT_DYNAMIC, ".dynamic")
    offset, size = dyn[4], dyn[5]
    entries = []
    for pos in range(offset, offset + size, DYN.size):
        tag, val = DYN.unpack_from(data, pos)
        if tag == DT_NULL:
            break
        entries.append((tag, val))
    return entries


def string_references(data, shdrs, dyn):
    """Every offset into the dynamic string table that the loader may read, with a label each."""
    refs = []
    for tag, val in dyn:
        if tag in (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH):
            refs.append((val, "dynamic tag %d" % tag))
    for s in shdrs:
        if s[1] == SHT_DYNSYM:
            offset, size = s[4], s[5]
            for i, sym in enumerate(SYM.iter_unpack(bytes(data[offset:offset + size]))):
                refs.append((sym[0], "symbol %d" % i))
        elif s[1] == SHT_GNU_VERDEF:
            pos, count = s[4], s[7]
            for _ in range(count):
                _v, _f, _n, cnt, _h, aux, nxt = VERDEF.unpack_from(data, pos)
                apos = pos + aux
                for _ in range(cnt):
                    name, anext = VERDAUX.unpack_from(data, apos)
                    refs.append((name, "version definition"))
                    apos += anext
                pos += nxt
    return refs


def needed_versions(data, verneed):
    """Yields (library name offset, Vernaux file offset, version name offset, hash) for every
    needed version."""
    pos, count = verneed[4], verneed[7]
    for _ in range(count):
        _ver, cnt, file_off, aux, nxt = VERNEED.unpack_from(data, pos)
        apos = pos + aux
        for _ in range(cnt):
            vhash, _flags, _other, name, anext = VERNAUX.unpack_from(data, apos)
            yield file_off, apos, name, vhash
            apos += anext
        if nxt == 0:
            break
        pos += nxt


def patch(data, library, old, new):
    if len(old) != len(new):
        raise PatchError("the new version name must be as long as the old one (in-place rename)")
    shdrs = sections(data)
    verneed = only_section(shdrs, SHT_GNU_VERNEED, ".gnu.version_r")
    dynstr = shdrs[verneed[6]]  # sh_link of the verneed section names its string table
    str_off, str_addr, str_size = dynstr[4], dynstr[3], dynstr[5]

    # The loader reads DT_STRTAB and DT_VERNEED, not section headers: make sure they agree.
    dyn = dynamic_entries(data, shdrs)
    tags = dict(dyn)
    if tags.get(DT_STRTAB) != str_addr or tags.get(DT_VERNEED) != verneed[3]:
        raise PatchError("section headers disagree with the dynamic segment")

    def string(offset):
        if offset >= str_size:
            raise PatchError("string offset %d is outside the string table" % offset)
        return c_string(data, str_off + offset)

    matches = [
        (aux_pos, name, vhash)
        for file_off, aux_pos, name, vhash in needed_versions(data, verneed)
        if string(file_off) == library and string(name) == old
    ]
    if len(matches) != 1:
        raise PatchError(
            "expected exactly one needed version %s of %s, found %d"
            % (old.decode(), library.decode(), len(matches))
        )
    aux_pos, name_off, vhash = matches[0]
    if vhash != elf_hash(old):
        raise PatchError("the recorded hash of %s is not its ELF hash" % old.decode())

    # Tail sharing: another name pointing inside "CURL_OPENSSL_3" (say at "SSL_3") would be
    # renamed too. Only our own Vernaux may point into those bytes.
    inside = range(name_off, name_off + len(old))
    shared = [label for off, label in string_references(data, shdrs, dyn) if off in inside]
    for file_off, aux, name, _h in needed_versions(data, verneed):
        if file_off in inside:
            shared.append("needed library")
        if name in inside and aux != aux_pos:
            shared.append("another needed version")
    if shared:
        raise PatchError("the bytes of %s are shared with: %s" % (old.decode(), ", ".join(shared)))

    start = str_off + name_off
    data[start:start + len(new)] = new
    VERNAUX.pack_into(data, aux_pos, elf_hash(new), *VERNAUX.unpack_from(data, aux_pos)[1:])
    return aux_pos, name_off


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    src, dst, library, old, new = argv[1], argv[2], *(a.encode() for a in argv[3:])
    # Known answer from glibc's own version table: a wrong hash would only show as a loader error.
    if elf_hash(b"GLIBC_2.2.5") != 0x09691A75:
        raise AssertionError("elf_hash is wrong")
    # Patch a copy, mapped rather than read: the object is 122 MB and five bytes change.
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    try:
        with open(tmp, "r+b") as f, mmap.mmap(f.fileno(), 0) as data:
            aux_pos, name_off = patch(data, library, old, new)
            data.flush()
    except PatchError as e:
        os.unlink(tmp)
        sys.stderr.write("rename_verneed: %s: %s\n" % (src, e))
        return 1
    os.chmod(tmp, 0o755)
    os.replace(tmp, dst)
    print("renamed needed version %s -> %s of %s (Vernaux at 0x%x, name at .dynstr+0x%x)"
          % (old.decode(), new.decode(), library.decode(), aux_pos, name_off))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
