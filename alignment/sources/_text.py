"""Reading upstream files as bytes and text: the size caps, the byte-order-mark rule, UTF-8.

Every reader gets its bytes through :func:`read_bytes`, so these rules hold for every format.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path

from alignment.errors import BadDataError, shorten

MiB = 1024 * 1024
# One file, decompressed: the UN's full bulk CSV is about 360 MB (2026), Voeten's complete
# votes 57 MB. The cap stops a small gzip that expands without end while it is being read.
MAX_FILE_BYTES = 2048 * MiB
# One value (a CSV field, a JSON string, an XML text): the longest real ones are titles of
# about 1.5 KB. A value past the cap is damage or an attack, not a long title.
MAX_FIELD_BYTES = 64 * 1024

_CHUNK = MiB
UTF8_BOM = codecs.BOM_UTF8
# UTF-32 LE starts with the UTF-16 LE mark, so these two prefixes catch all four.
WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def without_bom(data: bytes, path: Path) -> bytes:
    """The one byte-order-mark rule of every reader: a UTF-8 mark (as Excel writes) is
    dropped; a UTF-16 or UTF-32 mark is refused, since every format here is UTF-8."""
    if data.startswith(UTF8_BOM):
        return data[len(UTF8_BOM) :]
    if data.startswith(WIDE_BOMS):
        raise BadDataError(
            f"starts with a UTF-16/UTF-32 byte-order mark ({shorten(data[:4])}): the file must "
            "be UTF-8; convert it (iconv -f UTF-16 -t UTF-8) or use the publisher's original",
            path=path,
            line=1,
        )
    return data


def _open(path: Path) -> tuple[io.BufferedIOBase, bool]:
    """The file as a binary stream (gunzipping when it is gzip) and whether it was gzip."""
    try:
        with path.open("rb") as handle:
            packed = handle.read(2) == b"\x1f\x8b"
        return (gzip.open(path, "rb") if packed else path.open("rb")), packed
    except OSError as exc:
        raise BadDataError(
            f"cannot be read ({exc.strerror or exc}); check the path and its permissions",
            path=path,
        ) from exc


def _read_error(exc: Exception, packed: bool, path: Path) -> BadDataError:
    if packed:
        return BadDataError(
            f"the gzip stream is truncated or corrupt ({exc}); download the file again",
            path=path,
        )
    return BadDataError(f"cannot be read ({exc})", path=path)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip, without a UTF-8 byte-order mark.

    Read in chunks, so that a file past :data:`MAX_FILE_BYTES` is refused as soon as the cap
    is passed, never decompressed whole first; a gzip stream cut short is refused too.
    """
    stream, packed = _open(path)
    out = io.BytesIO()
    try:
        with stream:
            while chunk := stream.read(_CHUNK):
                if out.tell() + len(chunk) > MAX_FILE_BYTES:
                    raise BadDataError(
                        f"{'decompresses to' if packed else 'holds'} more than "
                        f"{MAX_FILE_BYTES // MiB} MiB, the cap for one file (the UN's full bulk "
                        "CSV is about 360 MB): not a vote file, or a damaged archive",
                        path=path,
                    )
                out.write(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        raise _read_error(exc, packed, path) from exc
    return without_bom(out.getvalue(), path)


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file (gunzipped, without a UTF-8 mark), to recognise its format."""
    stream, packed = _open(path)
    try:
        with stream:
            head = stream.read(size)
    except (EOFError, OSError, zlib.error) as exc:
        raise _read_error(exc, packed, path) from exc
    return without_bom(head, path)


def _utf8_error(data: bytes, path: Path) -> BadDataError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadDataError(
            f"not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "convert the file to UTF-8 or use the publisher's original",
            path=path,
            line=data.count(b"\n", 0, exc.start) + 1,
        )
    raise AssertionError("_utf8_error called on valid UTF-8")


def check_utf8(data: bytes, path: Path) -> None:
    """Strict UTF-8, checked slice by slice so that a large file is never held twice."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK], final=start + _CHUNK >= len(view))
    except UnicodeDecodeError:
        raise _utf8_error(data, path) from None


def decode_utf8(data: bytes, path: Path) -> str:
    """Strict UTF-8 text; a bad byte is reported with its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _utf8_error(data, path) from None


def check_field(value: str, path: Path, line: int | None, what: str) -> str:
    """A value that is text (JSON can escape half a surrogate pair, which no UTF-8 store can
    hold) and within :data:`MAX_FIELD_BYTES` of UTF-8."""
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise BadDataError(
            f"{what} holds {shorten(value)}, half of a surrogate pair, not text: the file is "
            "damaged",
            path=path,
            line=line,
        ) from None
    if size > MAX_FIELD_BYTES:
        raise BadDataError(
            f"{what} is {size:,} bytes long ({shorten(value)}), over the "
            f"{MAX_FIELD_BYTES // 1024} KiB cap for one value: the file is damaged",
            path=path,
            line=line,
        )
    return value
