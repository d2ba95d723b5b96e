"""Stand-in models the course trains itself, for roles no registry archive can fill.

``RECIPES`` maps a role to a module in this package. Each module provides
``build(out_dir: Path) -> dict`` (train, save a model folder with a README.md card into ``out_dir``,
return held-out metrics) and ``evaluate(model_dir) -> dict`` (the test split's metrics, keys
prefixed ``test_`` as in the built folder's ``metrics.json``). ``course fetch`` calls :func:`build`
for each role; modules are imported only then, so this package stays cheap to import.
``converted`` is not a recipe: it turns archive members into model folders without training.
``shipped`` is not a recipe either: it compresses a built stand-in into the small file the course ships
(``data/standins/<role>/``) and assembles it back; ``course fetch`` assembles instead of calling
:func:`build` while the shipped file's recorded recipe fingerprint is current.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

RECIPES = {
    "sentiment-model": "sentiment",
    "fill-mask-model": "fill_mask",
    "ner-model": "ner",
    "zero-shot-model": "zero_shot",
    "qa-model": "qa",
}


def _module_name(role: str) -> str:
    try:
        return f"{__name__}.{RECIPES[role]}"
    except KeyError:
        raise ValueError(f"no stand-in recipe for role {role!r}; recipes exist for {', '.join(RECIPES)}") from None


def available(recipe: str) -> bool:
    """True when the module ``utils/standins/<recipe>.py`` exists (recipes are added one by one)."""
    return importlib.util.find_spec(f"{__name__}.{recipe}") is not None


def fingerprint(recipe: str) -> str | None:
    """sha256 of the code a stand-in is built by (``<recipe>.py`` and the shared ``_train.py``);
    ``None`` when the recipe does not exist. ``course fetch`` rebuilds a stand-in whose fingerprint
    changed. (A change to a data loader does not count: run ``course fetch --force`` after one.)"""
    import hashlib

    digest = hashlib.sha256()
    for name in (recipe, "_train"):
        source = Path(__file__).with_name(f"{name}.py")
        if not source.is_file():
            return None
        digest.update(source.read_bytes())
    return digest.hexdigest()


def build(role: str, out_dir: Path | str) -> dict:
    """Train the stand-in for ``role`` into ``out_dir``; write ``metrics.json``; return the metrics."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = importlib.import_module(_module_name(role)).build(out_dir)
    if not isinstance(metrics, dict):
        raise TypeError(f"{_module_name(role)}.build() returned {type(metrics).__name__}, expected a dict of metrics")
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, sort_keys=True, default=str) + "\n")
    if not (out_dir / "README.md").is_file():
        raise RuntimeError(f"{_module_name(role)}.build() wrote no README.md model card into {out_dir}")
    return metrics
