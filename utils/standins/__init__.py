"""Stand-in models the course trains itself, for roles no registry archive can fill.

A role's recipe is named in ``utils/manifest.toml`` (``fast = { recipe, requires }``): the module
``utils/standins/<recipe>.py``. Each recipe provides ``build(out_dir: Path) -> dict`` (train, save a
model folder with ``metrics.json`` and a README.md card into ``out_dir``, return held-out metrics) and
``evaluate(model_dir) -> dict`` (the test split's metrics, keys prefixed ``test_`` as in
``metrics.json``). ``course fetch`` calls :func:`build` for each recipe role; recipe modules are
imported only then, so this package stays cheap to import.
``converted`` is not a recipe: it turns archive members into model folders without training.
"""
from __future__ import annotations

import hashlib
import importlib
from pathlib import Path


def recipes() -> dict[str, str]:
    """Role → recipe module name, for every stand-in role of the manifest (in manifest order)."""
    from utils.resources import manifest

    return {role: spec["fast"]["recipe"] for role, spec in manifest()["roles"].items() if "recipe" in spec["fast"]}


def fingerprint(recipe: str) -> str | None:
    """sha256 of the code a stand-in is built by (``<recipe>.py`` and the shared ``_train.py``);
    ``None`` when the recipe does not exist. ``course fetch`` rebuilds a stand-in whose fingerprint
    changed. (A change to a data loader does not count: run ``course fetch --force`` after one.)"""
    digest = hashlib.sha256()
    for name in (recipe, "_train"):
        source = Path(__file__).with_name(f"{name}.py")
        if not source.is_file():
            return None
        digest.update(source.read_bytes())
    return digest.hexdigest()


def build(recipe: str, out_dir: Path | str) -> dict:
    """Train the stand-in of ``recipe`` into ``out_dir`` and return its metrics; the recipe must have
    written ``metrics.json`` and a README.md model card there (``_train.build_folder`` writes both)."""
    from utils.standins._train import METRICS_FILE

    out_dir, module = Path(out_dir), f"{__name__}.{recipe}"
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = importlib.import_module(module).build(out_dir)
    if not isinstance(metrics, dict):
        raise TypeError(f"{module}.build() returned {type(metrics).__name__}, expected a dict of metrics")
    for name in (METRICS_FILE, "README.md"):
        if not (out_dir / name).is_file():
            raise RuntimeError(f"{module}.build() wrote no {name} into {out_dir}")
    return metrics
