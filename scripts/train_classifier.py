"""Fine-tune a sequence classifier with the Trainer, from a config file and/or flags.

One script for one process, several processes on one machine, or several machines — the launcher decides,
the code does not change::

    python scripts/train_classifier.py --config my-run.toml
    torchrun --standalone --nproc_per_node 2 scripts/train_classifier.py --config my-run.toml
    accelerate launch --num_processes 2 scripts/train_classifier.py --config my-run.toml

Under a launcher every process runs this file; the ``Trainer`` reads the launcher's environment (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``) and trains with PyTorch DistributedDataParallel: each process
sees its own shard of every batch, gradients are averaged across processes after each backward pass, so every
process ends with the same weights. On CPUs the processes talk through ``gloo`` (``--cpu`` forces the CPU;
without a GPU it is the default).

The config is JSON (``.json``) or TOML (``.toml``) with the keys of :data:`DEFAULTS`; a flag given on the
command line wins over the file. ``model`` and ``data`` are course roles (``encoder``, ``movie-reviews``) or, for
the model, a local folder. Each process writes ``<output_dir>/rank-<N>.json``: its rank, the world size, the
number of steps and a sha256 of its final weights (``utils.tuning.parameter_checksum``), so that anyone can
check that the ranks agree; process 0 also saves the model and prints the held-out accuracy.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # run from anywhere: the course's `utils` is next to this folder

DEFAULTS = {
    "model": "encoder",          # a course role or a local model folder
    "data": "movie-reviews",     # a course data role with `text` and `label`
    "train_size": 1000,          # examples taken (seeded shuffle) from the train split; 0 = all
    "eval_size": 500,            # examples from the validation split; 0 = all
    "max_length": 128,
    "layers": 0,                 # keep only the lowest N transformer layers; 0 = all
    "freeze_embeddings": False,
    "epochs": 1.0,
    "max_steps": -1,             # > 0 overrides epochs
    "learning_rate": 5e-5,
    "batch_size": 16,            # per process: the global batch is batch_size × processes
    "warmup_steps": 0.0,         # a float < 1 is a fraction of all steps
    "lr_scheduler_type": "linear",
    "weight_decay": 0.01,
    "seed": 0,
    "output_dir": "runs/train-classifier",
    "cpu": False,                # force the CPU (gloo) even when a GPU is present
    "save_model": True,
}


def parse_args(argv: list[str] | None = None) -> dict:
    """DEFAULTS, then the config file, then the flags given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", help="a .json or .toml file with any of the keys below")
    for key, default in DEFAULTS.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(default, bool):
            parser.add_argument(flag, dest=key, action=argparse.BooleanOptionalAction, default=None)
        else:
            parser.add_argument(flag, dest=key, type=type(default), default=None, help=f"default {default!r}")
    args = vars(parser.parse_args(argv))
    config = dict(DEFAULTS)
    path = args.pop("config")
    if path:
        config.update(read_config(path))
    config.update({key: value for key, value in args.items() if value is not None})
    unknown = sorted(set(config) - set(DEFAULTS))
    if unknown:
        parser.error(f"unknown config keys: {', '.join(unknown)} (known: {', '.join(DEFAULTS)})")
    return config


def read_config(path: str | os.PathLike) -> dict:
    """A JSON or TOML config file as a dict."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    return json.loads(text)


def _take(split, n: int, seed: int):
    split = split.shuffle(seed=seed)
    return split.select(range(min(n, len(split)))) if n and n > 0 else split


def main(argv: list[str] | None = None) -> dict:
    config = parse_args(argv)
    from utils.profile import get_profile, quiet_logging

    get_profile()  # the fast profile sets the offline switches before transformers is imported
    quiet_logging()
    import torch
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from utils.data import load
    from utils.metrics import classification_metrics
    from utils.resources import checkpoint
    from utils.tuning import classifier_factory, parameter_checksum

    use_cpu = bool(config["cpu"]) or not torch.cuda.is_available()
    model_path = config["model"] if Path(config["model"]).is_dir() else checkpoint(config["model"])

    data = load(config["data"])
    label_names = data["train"].features["label"].names
    train = _take(data["train"], config["train_size"], config["seed"])
    evaluation = _take(data["validation"], config["eval_size"], config["seed"])

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=config["max_length"])

    train = train.map(tokenize, batched=True, remove_columns=["text"])
    evaluation = evaluation.map(tokenize, batched=True, remove_columns=["text"])

    model_init = classifier_factory(model_path, len(label_names), layers=config["layers"] or None,
                                    freeze_embeddings=config["freeze_embeddings"],
                                    id2label=dict(enumerate(label_names)))

    output_dir = Path(config["output_dir"])
    args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=config["epochs"],
        max_steps=config["max_steps"],
        learning_rate=config["learning_rate"],
        per_device_train_batch_size=config["batch_size"],
        per_device_eval_batch_size=max(64, config["batch_size"]),
        warmup_steps=config["warmup_steps"],
        lr_scheduler_type=config["lr_scheduler_type"],
        weight_decay=config["weight_decay"],
        seed=config["seed"],
        use_cpu=use_cpu,
        ddp_backend="gloo" if use_cpu else None,
        fp16=not use_cpu,
        eval_strategy="no",
        save_strategy="no",
        logging_steps=10,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=not use_cpu,
    )
    trainer = Trainer(model_init=model_init, args=args, train_dataset=train, eval_dataset=evaluation,
                      data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=classification_metrics)
    initial = parameter_checksum(trainer.model)
    started = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - started
    metrics = trainer.evaluate()  # every process takes part; the metrics are gathered over all of them

    rank, world = args.process_index, args.world_size
    record = {
        "rank": rank, "world_size": world,
        "distributed": torch.distributed.is_available() and torch.distributed.is_initialized(),
        "backend": torch.distributed.get_backend() if torch.distributed.is_initialized() else None,
        "device": str(args.device), "steps": result.global_step, "train_examples": len(train),
        "global_batch": config["batch_size"] * world, "seconds": round(seconds, 2),
        "initial_checksum": initial, "checksum": parameter_checksum(trainer.model),
        "eval_accuracy": metrics.get("eval_accuracy"), "config": config,
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / f"rank-{rank}.json").write_text(json.dumps(record, indent=1), encoding="utf-8")
    if config["save_model"]:
        trainer.save_model(str(output_dir / "model"))  # writes on the main process only
        if trainer.is_world_process_zero():
            tokenizer.save_pretrained(str(output_dir / "model"))
    if trainer.is_world_process_zero():
        print(f"{world} process(es) on {record['device']} ({record['backend'] or 'no process group'}): "
              f"{result.global_step} steps of {record['global_batch']} examples in {seconds:.1f} s; "
              f"held-out accuracy {metrics.get('eval_accuracy', float('nan')):.3f} on {len(evaluation)} examples; "
              f"weights sha256 {record['checksum'][:12]}…")
    return record


if __name__ == "__main__":
    main()
