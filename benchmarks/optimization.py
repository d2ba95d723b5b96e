"""The lesson-14 table from the command line: one classifier, several ways to make it small and fast.

    python benchmarks/optimization.py                       # the profile's sentiment-model, its held-out split
    python benchmarks/optimization.py --model PATH --n 500  # a saved classifier folder, 500 test texts
    python benchmarks/optimization.py --student PATH        # add a distilled student (lesson 14 saves one)

Variants: fp32 (torch), dynamic int8 (torch.ao, deprecated in torch 2.13), ONNX (dynamo exporter) run
by onnxruntime, onnxruntime int8, 50 % unstructured magnitude pruning, 25 % of the attention heads cut
out. Accuracy on the held-out test split; latency p50/p95 at batch 1 and throughput at batch 32,
interleaved round by round on the CPU so that all variants share the machine's load; size on disk.
The last line says whether a variant reaches ≥ 2× the fp32 throughput within 1 point of its accuracy.
Timings are noisy on a shared machine: compare rows of one run, not figures across runs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads on a shared 2-core machine
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="sentiment-model", help="a role or a classifier folder")
    parser.add_argument("--data", default="movie-reviews", help="a data role with text/label and a test split")
    parser.add_argument("--n", type=int, default=1000, help="held-out texts for the accuracy (default 1000)")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=20, help="timed batch-1 calls per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=3, help="timed batches of 32 per variant and round")
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--heads", type=float, default=0.25, help="fraction of each layer's heads to cut out")
    parser.add_argument("--student", help="a distilled student folder to add to the table")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)

    import torch

    from utils import load, optimization as opt

    start = time.perf_counter()
    model, tokenizer = opt.load_classifier(args.model)
    test = load(args.data, small=False)["test"].shuffle(seed=0)
    test = test.select(range(min(args.n, len(test))))
    print(f"model {args.model} · {len(test)} held-out texts of {args.data} · max_length {args.max_length} · "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        variants = opt.standard_variants(model, tokenizer, folder, max_length=args.max_length,
                                         sparsity_amount=args.sparsity, head_fraction=args.heads,
                                         student=args.student)
        print(f"timing {len(variants)} variants side by side ({args.rounds} rounds) …", flush=True)
        results = opt.compare(variants, test["text"], test["label"], repeats=args.repeats, rounds=args.rounds,
                              batches=args.batches, progress=True)
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 40):
        print(opt.table(results).to_string())
    best = opt.best_variant(results, max_drop=0.01)
    base = results[0]
    speedup = best.throughput / base.throughput if best else 0
    verdict = "met" if best is not None and speedup >= 2 else "missed"
    print(f"target (≥ 2× fp32 throughput, ≤ 1 point accuracy loss): {verdict} — fastest within 1 point: "
          f"{best.variant if best else 'none'} at {speedup:.2f}× ({100 * (best.accuracy - base.accuracy):+.1f} pts)")
    print(f"Pareto front (accuracy vs p50): {', '.join(opt.pareto_front(results))} · {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(opt.as_dicts(results), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
