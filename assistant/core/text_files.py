"""Reading files the user picked as text, refusing what is not text.

Transcripts and .ics files come from anywhere: a renamed audio file or an archive must be
refused with a plain sentence instead of being summarized (hours of work on noise) or
dumped to the terminal inside an error message.
"""

from __future__ import annotations

_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: How much of the start of a file decides whether it is text.
SNIFF_BYTES = 64 * 1024


class NotTextError(ValueError):
    """The bytes are not text (binary data, or an encoding that cannot be read)."""


def _looks_binary(text: str) -> bool:
    """NUL characters, or more than 1 % control characters other than tab and line breaks."""
    sample = text[:SNIFF_BYTES]
    if "\x00" in sample:
        return True
    controls = sum(1 for char in sample if char < " " and char not in "\t\n\r\f")
    return controls > max(2, len(sample) // 100)


def decode_text(data: bytes) -> str:
    """Text from UTF-8 (BOM or not), UTF-16/32 with a BOM, else Windows-1252; raises NotTextError."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise NotTextError(f"it starts like {encoding.upper()} text but cannot be read as such") from None
            break
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    if _looks_binary(text):
        raise NotTextError("it contains binary data, not text")
    return text
