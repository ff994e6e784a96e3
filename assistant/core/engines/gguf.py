"""Reading a GGUF file's header, to reject bad model files before llama.cpp sees them.

Only the header, metadata and tensor table are read; the tensor data is checked by
size alone (a truncated download ends before its last tensor does).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from assistant.core.engines.base import ModelFileError

GGUF_MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)

# ggml tensor types: (elements per block, bytes per block)
_TYPE_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 36),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110),
    22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8),
    29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}

# metadata value types: struct format of the scalar ones
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_KEEP_ARRAYS_UP_TO = 64  # long arrays (the vocabulary) are skipped, not kept


@dataclass
class GGUFSummary:
    """What the header of a GGUF model file says."""

    path: str
    version: int
    file_size: int
    tensor_count: int
    architecture: str
    name: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A metadata value, with ``{arch}`` in the key replaced by the architecture."""
        return self.metadata.get(key.replace("{arch}", self.architecture), default)

    @property
    def context_length(self) -> int:
        return int(self.get("{arch}.context_length", 0) or 0)

    @property
    def chat_template(self) -> str | None:
        return self.get("tokenizer.chat_template")


class _Reader:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def take(self, size: int) -> bytes:
        data = self.handle.read(size)
        if len(data) != size:
            raise EOFError
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.scalar("<Q")
        if length > 1 << 30:
            raise ValueError("string length out of range")
        return self.take(length).decode("utf-8", errors="replace")

    def skip_string(self) -> None:
        length = self.scalar("<Q")
        self.handle.seek(length, 1)

    def value(self, value_type: int) -> Any:
        if value_type in _SCALARS:
            return self.scalar(_SCALARS[value_type])
        if value_type == _STRING:
            return self.string()
        if value_type == _ARRAY:
            item_type = self.scalar("<I")
            count = self.scalar("<Q")
            if count > 1 << 32:
                raise ValueError("array length out of range")
            if count <= _KEEP_ARRAYS_UP_TO:
                return [self.value(item_type) for _ in range(count)]
            if item_type == _STRING:
                for _ in range(count):
                    self.skip_string()
            elif item_type in _SCALARS:
                self.handle.seek(count * struct.calcsize(_SCALARS[item_type]), 1)
            else:
                for _ in range(count):
                    self.value(item_type)
            return None
        raise ValueError(f"unknown metadata type {value_type}")


def _tensor_bytes(dims: list[int], ggml_type: int) -> int | None:
    if ggml_type not in _TYPE_SIZES:
        return None
    block, size = _TYPE_SIZES[ggml_type]
    elements = 1
    for dim in dims:
        elements *= dim
    return elements // block * size


def check_model_file(path: str | Path) -> GGUFSummary:
    """Read and sanity-check a GGUF file; raise :class:`ModelFileError` with a plain message."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"The model file {path} does not exist.")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file.")
    file_size = path.stat().st_size
    if file_size == 0:
        raise ModelFileError(f"The model file {path.name} is empty.")
    try:
        with path.open("rb") as handle:
            reader = _Reader(handle)
            if reader.take(4) != GGUF_MAGIC:
                raise ModelFileError(
                    f"{path.name} is not a GGUF model file. Llama Desk runs GGUF files such as "
                    "Llama-3.2-3B-Instruct-Q4_K_M.gguf."
                )
            version = reader.scalar("<I")
            if version not in SUPPORTED_VERSIONS:
                raise ModelFileError(f"{path.name} uses GGUF version {version}, which this version of Llama Desk cannot read.")
            tensor_count = reader.scalar("<Q")
            kv_count = reader.scalar("<Q")
            if tensor_count > 1 << 24 or kv_count > 1 << 24:
                raise ModelFileError(f"{path.name} has a damaged header.")
            metadata: dict[str, Any] = {}
            for _ in range(kv_count):
                key = reader.string()
                metadata[key] = reader.value(reader.scalar("<I"))
            data_end = 0
            for _ in range(tensor_count):
                reader.skip_string()
                n_dims = reader.scalar("<I")
                if n_dims > 8:
                    raise ValueError("too many tensor dimensions")
                dims = [reader.scalar("<Q") for _ in range(n_dims)]
                ggml_type = reader.scalar("<I")
                offset = reader.scalar("<Q")
                size = _tensor_bytes(dims, ggml_type)
                data_end = max(data_end, offset + (size or 1))
            alignment = int(metadata.get("general.alignment", 32) or 32)
            header_end = handle.tell()
            data_start = (header_end + alignment - 1) // alignment * alignment
    except EOFError:
        raise ModelFileError(
            f"{path.name} is incomplete (the file ends inside its header). It was probably not fully downloaded."
        ) from None
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise ModelFileError(f"{path.name} is damaged ({exc}).") from None
    except OSError as exc:
        raise ModelFileError(f"{path.name} could not be read: {exc.strerror or exc}.") from None
    if tensor_count and data_start + data_end > file_size:
        missing = data_start + data_end - file_size
        raise ModelFileError(
            f"{path.name} is incomplete: {missing:,} bytes are missing at its end. "
            "It was probably not fully downloaded; download it again."
        )
    architecture = str(metadata.get("general.architecture") or "")
    if not architecture:
        raise ModelFileError(f"{path.name} does not say which model architecture it holds.")
    return GGUFSummary(
        path=str(path),
        version=version,
        file_size=file_size,
        tensor_count=tensor_count,
        architecture=architecture,
        name=str(metadata.get("general.name") or path.stem),
        metadata=metadata,
    )
