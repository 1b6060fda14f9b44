"""Derive the legacy-encoding test files from the PSPP-written ``org_cp949.sav``.

No tool at hand writes an SPSS file whose header *lies* about its encoding (PSPP always
records the true dictionary encoding), yet such files are common in the wild: an old
Korean Windows SPSS file re-saved on a Western machine says code page 1252 while its text
bytes are CP949. This script rewrites ONLY the header's encoding information of the
PSPP-written file; every text and data byte stays as PSPP wrote it:

* ``org_cp949_noenc.sav``: the character-encoding record (type 7, subtype 20) removed;
  the code page in the machine-integer record (type 7, subtype 3) stays 949.
* ``org_cp949_as1252.sav``: the encoding record says ``windows-1252`` and the code page
  says 1252 -- the lying header that makes readers return mojibake without an error.
* ``org_cp949_asutf8.sav``: the header claims UTF-8 (code page 65001); decoding the CP949
  bytes as UTF-8 then fails outright, which exercises the retry-on-decoding-error path.

It walks the dictionary records as the SPSS system-file format defines them (the record
layouts are documented in the PSPP manual, "System File Format"), so it fails loudly on
anything unexpected instead of patching bytes blindly. Run from this folder:
``python derive_headers.py`` (make_files.sh does).
"""

from __future__ import annotations

import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER_BYTES = 176


def _int(buf: bytes, pos: int) -> int:
    return struct.unpack_from("<i", buf, pos)[0]


def _record_end(buf: bytes, pos: int) -> int:
    """Return the offset just after the dictionary record that starts at *pos*."""
    kind = _int(buf, pos)
    if kind == 2:  # variable record
        has_label, n_missing = _int(buf, pos + 8), _int(buf, pos + 12)
        end = pos + 32
        if has_label:
            end += 4 + (_int(buf, end) + 3) // 4 * 4
        return end + abs(n_missing) * 8
    if kind == 3:  # value labels
        end = pos + 8
        for _ in range(_int(buf, pos + 4)):
            end += 8 + (buf[end + 8] + 1 + 7) // 8 * 8
        return end
    if kind == 4:  # variables the labels apply to
        return pos + 8 + 4 * _int(buf, pos + 4)
    if kind == 6:  # document lines
        return pos + 8 + 80 * _int(buf, pos + 4)
    if kind == 7:  # extension record: subtype, element size, element count
        return pos + 16 + _int(buf, pos + 8) * _int(buf, pos + 12)
    raise ValueError(f"unexpected record type {kind} at byte {pos}")


def split_records(buf: bytes) -> tuple[bytes, list[bytes], bytes]:
    """Split a little-endian system file into header, dictionary records and the rest."""
    if buf[:4] not in (b"$FL2", b"$FL3") or _int(buf, 64) != 2:
        raise ValueError("not a little-endian SPSS system file")
    pos, records = HEADER_BYTES, []
    while _int(buf, pos) != 999:
        end = _record_end(buf, pos)
        records.append(buf[pos:end])
        pos = end
    return buf[:HEADER_BYTES], records, buf[pos:]


def _subtype(record: bytes) -> int | None:
    return _int(record, 4) if _int(record, 0) == 7 else None


def with_codepage(record: bytes, codepage: int) -> bytes:
    """Set the character code (8th int32) of a type-7 subtype-3 record."""
    out = bytearray(record)
    struct.pack_into("<i", out, 16 + 7 * 4, codepage)
    return bytes(out)


def encoding_record(name: str) -> bytes:
    data = name.encode("ascii")
    return struct.pack("<iiii", 7, 20, 1, len(data)) + data


def derive(source: Path, target: Path, *, codepage: int, encoding: str | None) -> None:
    header, records, rest = split_records(source.read_bytes())
    out = []
    for record in records:
        if _subtype(record) == 3:
            out.append(with_codepage(record, codepage))
        elif _subtype(record) == 20:
            if encoding is not None:
                out.append(encoding_record(encoding))
        else:
            out.append(record)
    target.write_bytes(header + b"".join(out) + rest)


if __name__ == "__main__":
    src = HERE / "org_cp949.sav"
    derive(src, HERE / "org_cp949_noenc.sav", codepage=949, encoding=None)
    derive(src, HERE / "org_cp949_as1252.sav", codepage=1252, encoding="windows-1252")
    derive(src, HERE / "org_cp949_asutf8.sav", codepage=65001, encoding="UTF-8")
