"""Synthetic Llama 3.2 GGUF files: the real shapes, random weights, a borrowed tokenizer.

    python bench/synthetic.py [--shape 1b|3b] [--types F16,Q8_0,Q6_K,Q4_K_M,Q4_0]

Speed and memory of a model depend on its shapes and quantization types, not on
the values of its weights, so files with the exact Llama-3.2-{1B,3B}-Instruct shape
stand in for the real ones (which cannot be downloaded here). The F16 file is
written with ``gguf.GGUFWriter`` (tensor by tensor, never the whole model in RAM);
the quantized builds come from llama.cpp's own quantizer via
``llama_cpp.llama_model_quantize``. The tokenizer is the SmolLM2 test model's
byte-level BPE, padded with unused tokens to the vocabulary size, plus Llama 3's
special tokens so that a Llama-3-style chat template renders and tokenizes.

Files are cached in ``bench/.cache/`` (gitignored; ``LLAMA_DESK_BENCH_CACHE``
overrides) and rebuilt only when missing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: A Llama-3-style chat template (system/user/assistant headers, <|eot_id|> ends a turn).
LLAMA3_CHAT_TEMPLATE = (
    "{{- bos_token }}"
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)

#: Llama 3's special tokens, appended after the borrowed vocabulary (CONTROL tokens).
LLAMA3_SPECIALS = ("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")

TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_UNUSED = 1, 3, 5

#: Quantization types built by default, and llama.cpp's file-type numbers for them.
QUANT_TYPES = ("Q8_0", "Q6_K", "Q4_K_M", "Q4_0")


@dataclass(frozen=True)
class ModelShape:
    """The dimensions of a Llama-architecture model."""

    name: str
    layers: int
    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    vocab: int = 128256
    context: int = 131072
    rope_theta: float = 500000.0

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


LLAMA_32_1B = ModelShape("llama-3.2-1b", layers=16, hidden=2048, ffn=8192, heads=32, kv_heads=8)
LLAMA_32_3B = ModelShape("llama-3.2-3b", layers=28, hidden=3072, ffn=8192, heads=24, kv_heads=8)
SHAPES = {"1b": LLAMA_32_1B, "3b": LLAMA_32_3B}


def cache_dir() -> Path:
    """Where synthetic models are kept between runs."""
    root = Path(os.environ.get("LLAMA_DESK_BENCH_CACHE", ROOT / "bench" / ".cache"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def model_path(shape: ModelShape, quant: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"synthetic-{shape.name}-{quant}.gguf"


# -- tokenizer ------------------------------------------------------------------
@dataclass
class Tokenizer:
    """The tokenizer.ggml.* fields of a GGUF, ready to write."""

    model: str
    pre: str
    tokens: list[str]
    token_types: list[int]
    merges: list[str]


def _field_list(reader, key: str) -> list:
    field = reader.fields[key]
    return list(field.contents())


def borrow_tokenizer(source: Path) -> Tokenizer:
    """Read the BPE tokenizer of an existing GGUF (the SmolLM2 test model)."""
    from gguf import GGUFReader

    reader = GGUFReader(str(source))
    pre = reader.fields.get("tokenizer.ggml.pre")
    return Tokenizer(
        model=reader.fields["tokenizer.ggml.model"].contents(),
        pre=pre.contents() if pre is not None else "default",
        tokens=_field_list(reader, "tokenizer.ggml.tokens"),
        token_types=[int(t) for t in _field_list(reader, "tokenizer.ggml.token_type")],
        merges=_field_list(reader, "tokenizer.ggml.merges"),
    )


def padded_vocabulary(tokenizer: Tokenizer, vocab: int) -> tuple[list[str], list[int], dict[str, int]]:
    """Borrowed tokens + Llama 3 specials + unused fillers, exactly ``vocab`` long."""
    tokens = list(tokenizer.tokens)
    types = list(tokenizer.token_types)
    ids: dict[str, int] = {}
    for special in LLAMA3_SPECIALS:
        ids[special] = len(tokens)
        tokens.append(special)
        types.append(TOKEN_CONTROL)
    if len(tokens) > vocab:
        raise ValueError(f"the borrowed tokenizer has {len(tokens)} tokens, more than the vocabulary of {vocab}")
    filler = 0
    while len(tokens) < vocab:
        tokens.append(f"[unused{filler}]")
        types.append(TOKEN_UNUSED)
        filler += 1
    return tokens, types, ids


def default_tokenizer_source() -> Path:
    sys.path.insert(0, str(ROOT))  # tests/conftest.py imports tests.support.*
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import smollm_gguf

    return smollm_gguf()


# -- weights --------------------------------------------------------------------
def llama3_rope_factors(shape: ModelShape, factor: float = 32.0, low: float = 1.0, high: float = 4.0, original: int = 8192) -> np.ndarray:
    """The rope_freqs tensor of Llama 3.1/3.2 (frequency scaling for long context)."""
    dim = shape.head_dim
    freqs = 1.0 / (shape.rope_theta ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    low_wavelen, high_wavelen = original / low, original / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def tensor_plan(shape: ModelShape) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, numpy shape, kind) of every tensor, in file order; kind is 'matrix', 'norm' or 'rope'."""
    h, kv = shape.hidden, shape.kv_heads * shape.head_dim
    plan: list[tuple[str, tuple[int, ...], str]] = [
        ("token_embd.weight", (shape.vocab, h), "matrix"),  # tied: also the output projection
        ("rope_freqs.weight", (shape.head_dim // 2,), "rope"),
        ("output_norm.weight", (h,), "norm"),
    ]
    for layer in range(shape.layers):
        block = f"blk.{layer}"
        plan += [
            (f"{block}.attn_norm.weight", (h,), "norm"),
            (f"{block}.attn_q.weight", (h, h), "matrix"),
            (f"{block}.attn_k.weight", (kv, h), "matrix"),
            (f"{block}.attn_v.weight", (kv, h), "matrix"),
            (f"{block}.attn_output.weight", (h, h), "matrix"),
            (f"{block}.ffn_norm.weight", (h,), "norm"),
            (f"{block}.ffn_gate.weight", (shape.ffn, h), "matrix"),
            (f"{block}.ffn_up.weight", (shape.ffn, h), "matrix"),
            (f"{block}.ffn_down.weight", (h, shape.ffn), "matrix"),
        ]
    return plan


def _random_matrix(rng: np.random.Generator, dims: tuple[int, ...], scale: float) -> np.ndarray:
    """Random F16 values, generated a slab at a time to keep float32 temporaries small."""
    out = np.empty(dims, dtype=np.float16)
    rows_per_slab = max(1, (1 << 23) // dims[1])
    for start in range(0, dims[0], rows_per_slab):
        stop = min(dims[0], start + rows_per_slab)
        out[start:stop] = rng.standard_normal((stop - start, dims[1]), dtype=np.float32) * scale
    return out


def write_f16(shape: ModelShape, target: Path, tokenizer_source: Path | None = None, seed: int = 0) -> Path:
    """Write an F16 GGUF of this shape with random weights; returns ``target``."""
    import gguf

    tokenizer = borrow_tokenizer(tokenizer_source or default_tokenizer_source())
    tokens, types, special_ids = padded_vocabulary(tokenizer, shape.vocab)
    partial = target.with_name(target.name + ".part")
    writer = gguf.GGUFWriter(str(partial), "llama")
    writer.add_name(f"Synthetic {shape.name} (random weights)")
    writer.add_context_length(shape.context)
    writer.add_embedding_length(shape.hidden)
    writer.add_block_count(shape.layers)
    writer.add_feed_forward_length(shape.ffn)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(shape.vocab)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_tokenizer_model(tokenizer.model)
    writer.add_tokenizer_pre(tokenizer.pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(tokenizer.merges)
    writer.add_bos_token_id(special_ids["<|begin_of_text|>"])
    writer.add_eos_token_id(special_ids["<|eot_id|>"])
    writer.add_add_bos_token(True)
    writer.add_chat_template(LLAMA3_CHAT_TEMPLATE)

    plan = tensor_plan(shape)
    for name, dims, kind in plan:
        dtype = np.float16 if kind == "matrix" else np.float32
        nbytes = int(np.prod(dims)) * np.dtype(dtype).itemsize
        writer.add_tensor_info(name, dims, np.dtype(dtype), nbytes)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(seed)
    for _name, dims, kind in plan:
        if kind == "matrix":
            data = _random_matrix(rng, dims, scale=0.02)
        elif kind == "rope":
            data = llama3_rope_factors(shape)
        else:
            data = np.ones(dims, dtype=np.float32)
        writer.write_tensor_data(data)
    writer.close()
    partial.replace(target)
    return target


def quantize(source: Path, target: Path, quant: str, threads: int | None = None) -> Path:
    """Quantize a GGUF with llama.cpp's quantizer (the same code as llama-quantize)."""
    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads or (os.cpu_count() or 1)
    partial = target.with_name(target.name + ".part")
    result = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), params)
    if result != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"llama_model_quantize failed ({result}) for {target.name}")
    partial.replace(target)
    return target


def ensure_models(shape: ModelShape, quants: Sequence[str] = ("F16", *QUANT_TYPES), directory: Path | None = None, log=print) -> dict[str, Path]:
    """Build (or reuse) the F16 file and the requested quantized builds of a shape."""
    directory = directory or cache_dir()
    f16 = model_path(shape, "F16", directory)
    if not f16.exists():
        log(f"writing {f16.name} ...")
        started = time.perf_counter()
        write_f16(shape, f16)
        log(f"  {f16.stat().st_size:,} bytes in {time.perf_counter() - started:.0f} s")
    built = {"F16": f16}
    for quant in quants:
        if quant == "F16":
            continue
        target = model_path(shape, quant, directory)
        if not target.exists():
            log(f"quantizing {target.name} ...")
            started = time.perf_counter()
            quantize(f16, target, quant)
            log(f"  {target.stat().st_size:,} bytes in {time.perf_counter() - started:.0f} s")
        built[quant] = target
    return built


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build synthetic Llama 3.2-shaped GGUF files.")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1b")
    parser.add_argument("--types", default="F16," + ",".join(QUANT_TYPES), help="comma-separated build types")
    args = parser.parse_args(argv)
    built = ensure_models(SHAPES[args.shape], args.types.split(","))
    for quant, path in built.items():
        print(f"{quant:7} {path.stat().st_size:>15,} bytes  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
