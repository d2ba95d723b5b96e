"""Loading a saved sequence-classification model for serving, and its version string.

A model is served from a local folder written by ``save_pretrained`` (config, tokenizer, weights in
safetensors), or from an exported ONNX classifier folder (``model.onnx`` with inputs ``input_ids`` /
``attention_mask`` and output ``logits``, plus config and tokenizer: what lesson 14's
``utils.optimization.save_onnx_folder`` writes), run by onnxruntime on the CPU. Nothing else is
accepted: no pickled ``.bin`` weights, no remote code.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ROLE = "sentiment-model"
ONNX_FILE = "model.onnx"
MAX_TOKENS = 256  # longer inputs are truncated to this many tokens before the forward pass


def resolve_model_dir(model: str | Path) -> Path:
    """Return a local model folder for ``model``: an existing folder path, or a resource role.

    Roles go through ``utils.resources.checkpoint(role)`` (the course cache in the fast profile, the
    pinned hub snapshot in the full profile).
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    if any(sep in str(model) for sep in ("/", "\\", ".")):  # roles are plain words like "sentiment-model"
        raise FileNotFoundError(f"model folder not found: {path}")
    from utils.resources import checkpoint

    local = Path(checkpoint(str(model)))
    if not local.is_dir():
        raise FileNotFoundError(f"role {model!r} resolved to {local}, which is not a folder")
    return local.resolve()


def weights_files(model_dir: Path) -> list[Path]:
    """The safetensors weight files of ``model_dir``; a clear error when there are none."""
    files = sorted(model_dir.glob("*.safetensors"))
    if not files and (model_dir / ONNX_FILE).is_file():
        return [model_dir / ONNX_FILE]  # an exported ONNX classifier
    if not files:
        raise FileNotFoundError(
            f"{model_dir} has no *.safetensors weights; re-save the model with "
            "model.save_pretrained(folder) (safetensors is the default) — pickled .bin weights are refused "
            f"(an ONNX classifier folder holds {ONNX_FILE}, config.json and the tokenizer)"
        )
    return files


def model_version(model_dir: Path) -> str:
    """``<folder name>@<12 hex digits>``, e.g. ``tiny@3fa2b1c0d9e8``: the sha256 of the weights file
    (of the shards' sha256s, in file-name order, when the weights are sharded)."""
    from utils.resources import sha256_of

    digests = [sha256_of(file) for file in weights_files(model_dir)]
    digest = digests[0] if len(digests) == 1 else hashlib.sha256("\n".join(digests).encode()).hexdigest()
    return f"{model_dir.name}@{digest[:12]}"


@dataclass
class Classifier:
    """A tokenizer + sequence-classification model pair with a thread-safe batched ``predict``."""

    model_dir: Path
    version: str
    labels: list[str]
    max_tokens: int = MAX_TOKENS
    chunk_size: int = 16
    tokenizer: object = field(repr=False, default=None)
    model: object = field(repr=False, default=None)
    _lock: threading.Lock = field(repr=False, default_factory=threading.Lock)

    def predict(self, texts: list[str]) -> list[list[float]]:
        """Class probabilities for each text, in input order.

        Texts are sorted by length and run in chunks of ``chunk_size``, so a short text is not
        padded to the length of the longest one in a large batch.
        """
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        probs: list = [None] * len(texts)
        with self._lock, torch.inference_mode():
            for start in range(0, len(order), self.chunk_size):
                chunk = order[start:start + self.chunk_size]
                encoded = self.tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                         max_length=self.max_tokens, return_tensors="pt")
                logits = self.model(**encoded.to(self.model.device)).logits
                for i, row in zip(chunk, torch.softmax(logits.float(), dim=-1).tolist()):
                    probs[i] = row
        return probs


class OnnxSequenceClassifier:
    """An ONNX classifier run by onnxruntime on the CPU, called like the torch model: ``net(**encoded).logits``."""

    def __init__(self, model_dir: Path):
        import onnxruntime as ort
        import torch
        from transformers import AutoConfig

        self.config = AutoConfig.from_pretrained(model_dir, trust_remote_code=False)
        self.session = ort.InferenceSession(str(model_dir / ONNX_FILE), providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.device = torch.device("cpu")

    def __call__(self, **encoded):
        from types import SimpleNamespace

        import torch

        feed = {k: v.cpu().numpy().astype("int64") for k, v in encoded.items() if k in self.input_names}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))


def load_classifier(model: str | Path, max_tokens: int = MAX_TOKENS) -> Classifier:
    """Load ``model`` (folder or role) for CPU/GPU inference, safetensors only, no remote code; a folder
    holding ``model.onnx`` and no safetensors runs with onnxruntime on the CPU."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from utils.profile import device

    model_dir = resolve_model_dir(model)
    version = model_version(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
    if weights_files(model_dir)[0].name == ONNX_FILE:
        net = OnnxSequenceClassifier(model_dir)
    else:
        net = AutoModelForSequenceClassification.from_pretrained(
            model_dir, use_safetensors=True, trust_remote_code=False
        )
        net.to(device()).eval()
    id2label = net.config.id2label
    labels = [str(id2label[i]) for i in range(net.config.num_labels)]
    limit = min(max_tokens, getattr(tokenizer, "model_max_length", max_tokens) or max_tokens)
    return Classifier(model_dir, version, labels, max_tokens=limit, tokenizer=tokenizer, model=net)


def build_tiny_classifier(out_dir: str | Path, seed: int = 0) -> Path:
    """Save a random 2-layer, 64-wide BERT classifier with a ~60-word vocabulary to ``out_dir``.

    It predicts nothing meaningful; it exists so tests and demos of the service need no download.
    """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    words = (
        "the a an this that it i you we they was is are be not no very so too and but or of to in "
        "movie film story plot acting actor cast scene ending music great good fine fun loved "
        "wonderful brilliant bad boring awful terrible dull hated weak worst best"
    ).split()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *".,!?'\"-"]
    tokenizer = BertTokenizer(vocab={token: i for i, token in enumerate(vocab)})
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=128, max_position_embeddings=512,
        id2label={0: "negative", 1: "positive"}, label2id={"negative": 0, "positive": 1},
    )
    torch.manual_seed(seed)
    out = Path(out_dir)
    BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
