"""scripts/train_classifier.py under torchrun and accelerate launch: 2 processes on CPU (gloo) train one model and agree on its weights.

The script is launched unchanged by ``torchrun --standalone --nproc_per_node 2`` and by ``accelerate launch`` on a tiny
run (the course encoder cut to one layer, 64 training snippets, 4 steps of 8 per process); each rank writes
``rank-N.json`` with a sha256 of its final weights. Data-parallel training is right when both ranks saw a process
group of 2 (gloo), took the same number of steps, changed the weights, and ended with identical weights.
Also: the config file and the flags combine as documented (no launcher needed).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "train_classifier.py"


def test_config_file_then_flags(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import train_classifier
    finally:
        sys.path.remove(str(REPO / "scripts"))
    toml = tmp_path / "run.toml"
    toml.write_text('learning_rate = 1e-4\nlayers = 2\nfreeze_embeddings = true\n')
    config = train_classifier.parse_args(["--config", str(toml), "--layers", "1", "--batch-size", "4"])
    assert config["learning_rate"] == 1e-4 and config["freeze_embeddings"] is True
    assert config["layers"] == 1 and config["batch_size"] == 4  # flags win over the file
    assert config["epochs"] == train_classifier.DEFAULTS["epochs"]
    (tmp_path / "run.json").write_text(json.dumps({"max_length": 32}))
    assert train_classifier.parse_args(["--config", str(tmp_path / "run.json")])["max_length"] == 32
    (tmp_path / "bad.json").write_text(json.dumps({"learning_rat": 1}))
    with pytest.raises(SystemExit):
        train_classifier.parse_args(["--config", str(tmp_path / "bad.json")])


LAUNCHERS = {
    "torchrun": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
    # accelerate's CPU launcher wants MPI for several processes; its multi-process launcher (torchrun underneath)
    # works on CPUs too: the script's TrainingArguments pick gloo when there is no GPU.
    "accelerate": [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                   "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "{port}"],
}


def _free_port() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_two_cpu_processes_end_with_identical_weights(launcher, tmp_path, fetched):
    fetched("encoder")
    fetched("movie-reviews")
    out = tmp_path / "run"
    env = {**os.environ, "COURSE_PROFILE": "fast", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1",
           "OMP_WAIT_POLICY": "PASSIVE", "CUDA_VISIBLE_DEVICES": ""}
    port = _free_port()
    command = [*(part.format(port=port) for part in LAUNCHERS[launcher]), str(SCRIPT),
               "--cpu", "--layers", "1", "--freeze-embeddings", "--train-size", "64", "--eval-size", "32",
               "--max-length", "32", "--batch-size", "8", "--max-steps", "4", "--learning-rate", "1e-3",
               "--no-save-model", "--output-dir", str(out)]
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    ranks = [json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1)]
    for record in ranks:
        assert record["world_size"] == 2 and record["distributed"], record
        assert record["backend"] == "gloo", record
        assert record["steps"] == 4, record
        assert record["checksum"] != record["initial_checksum"], "training did not change the weights"
    assert ranks[0]["initial_checksum"] == ranks[1]["initial_checksum"], "the ranks started from different weights"
    assert ranks[0]["checksum"] == ranks[1]["checksum"], "the two ranks ended with different weights"
    assert "2 process(es)" in run.stdout
