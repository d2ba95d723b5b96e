"""Held-out metric and build time of every course-trained stand-in model, as a table.

    python benchmarks/standins.py            # evaluate the stand-ins in the cache
    python benchmarks/standins.py --build    # rebuild them first (into the cache), then evaluate
    python benchmarks/standins.py --only sentiment-model ner-model

A role that is not built is listed with the reason.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

for _key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_key, "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from utils import standins  # noqa: E402
from utils.resources import ResourceMissing, resource_path  # noqa: E402
from utils.standins._train import read_metrics  # noqa: E402

HEADLINE = ("test_accuracy", "test_f1", "test_top5", "test_exact_match", "test_macro_f1")


def _headline(metrics: dict) -> tuple[str, float | None]:
    for key in HEADLINE:
        if isinstance(metrics.get(key), (int, float)):
            return key, float(metrics[key])
    numbers = [(k, v) for k, v in sorted(metrics.items()) if k.startswith("test_") and isinstance(v, (int, float))]
    return numbers[0] if numbers else ("-", None)


def _row(role: str, recipe: str) -> dict:
    try:
        folder = resource_path(role)
    except ResourceMissing:
        return {"role": role, "status": "not built (run `course fetch` or --build)"}
    module = importlib.import_module(f"utils.standins.{recipe}")
    recorded = read_metrics(folder)
    start = time.perf_counter()
    measured = module.evaluate(folder)
    metric, value = _headline(measured)
    return {"role": role, "status": "ok", "metric": metric, "value": value,
            "recorded": recorded.get(metric), "build_s": recorded.get("build_seconds"),
            "eval_s": time.perf_counter() - start, "all": measured}


def _fmt(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="rebuild the stand-ins before evaluating")
    recipes = standins.recipes()
    parser.add_argument("--only", nargs="+", choices=sorted(recipes), help="roles to include")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    roles = args.only or list(recipes)
    if args.build:
        from utils.cli import main as course

        if course(["fetch", "--force", "--roles", *roles]) != 0:
            return 1
    rows = [_row(role, recipes[role]) for role in roles]
    print(f"\n{'role':<18} {'metric':<18} {'held-out':>9} {'recorded':>9} {'build s':>8} {'eval s':>7}  status")
    for r in rows:
        print(f"{r['role']:<18} {r.get('metric', '-'):<18} {_fmt(r.get('value'), '9.4f')} "
              f"{_fmt(r.get('recorded'), '9.4f')} {_fmt(r.get('build_s'), '8.1f')} {_fmt(r.get('eval_s'), '7.1f')}  "
              f"{r['status']}")
    built = [r["build_s"] for r in rows if isinstance(r.get("build_s"), (int, float))]
    print(f"\ntotal build time of the listed stand-ins: {sum(built):.0f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
