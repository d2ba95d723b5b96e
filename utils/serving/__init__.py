"""Serve a saved sequence-classification model: FastAPI + micro-batching + monitoring + web page.

From a shell::

    course serve --model PATH|ROLE [--host 127.0.0.1] [--port 8000] [--no-batching]

From Python (a notebook), in a child process so the notebook stays free::

    from utils.serving import start_background
    with start_background("sentiment-model") as service:   # waits until /ready answers 200
        httpx.post(f"{service.url}/predict", json={"text": "A fine film."}).json()

In-process, e.g. with ``fastapi.testclient.TestClient``: ``create_app(model_or_folder)``.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .model import DEFAULT_ROLE, Classifier, build_tiny_classifier, load_classifier, model_version

__all__ = ["cli_main", "create_app", "start_background", "BackgroundService", "Classifier",
           "load_classifier", "model_version", "build_tiny_classifier", "DEFAULT_ROLE"]

_REPO_ROOT = Path(__file__).resolve().parents[2]


def create_app(*args, **kwargs):
    """See :func:`utils.serving.app.create_app` (imported lazily: FastAPI is only needed to serve)."""
    from .app import create_app as build

    return build(*args, **kwargs)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course serve", description="Serve a sequence-classification model.")
    p.add_argument("--model", default=DEFAULT_ROLE, help=f"model folder or resource role (default {DEFAULT_ROLE})")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0 inside a container)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-batching", action="store_true", help="naive endpoint: one forward pass per request")
    p.add_argument("--max-batch-size", type=int, default=32, help="texts per forward pass at most")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a batch waits to fill up")
    p.add_argument("--max-queue", type=int, default=4096, help="waiting texts before answering 503")
    p.add_argument("--window", type=int, default=500, help="recent predictions/feedback used by monitoring")
    p.add_argument("--reference", type=Path, help="drift reference texts (.txt one per line, or .jsonl)")
    p.add_argument("--reference-size", type=int, default=200,
                   help="without --reference: the first N predictions form the drift reference")
    p.add_argument("--torch-threads", type=int, default=0,
                   help="intra-op threads for the forward pass (0 = torch's default, one per core)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--access-log", action="store_true", help="log every request")
    return p


def cli_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``course serve``; returns the exit status."""
    args = _parser().parse_args(argv)
    from utils.profile import get_profile, quiet_logging

    get_profile()  # sets the offline switches in the fast profile
    quiet_logging()
    from .app import create_app as build, read_reference
    from .model import resolve_model_dir, weights_files

    try:  # fail fast, before binding a port, on a wrong folder or role
        model_dir = resolve_model_dir(args.model)
        weights_files(model_dir)
        reference = read_reference(args.reference) if args.reference else None
    except (OSError, ValueError, KeyError, RuntimeError) as err:  # RuntimeError: ResourceMissing
        print(f"course serve: {err}", file=sys.stderr)
        return 2
    import uvicorn

    if args.torch_threads > 0:
        import torch

        torch.set_num_threads(args.torch_threads)
    app = build(model_dir, batching=not args.no_batching, max_batch_size=args.max_batch_size,
                max_wait_ms=args.max_wait_ms, max_queue=args.max_queue, window=args.window,
                reference_size=args.reference_size, reference_texts=reference)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=args.access_log, timeout_graceful_shutdown=5)
    return 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on ``host``."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class BackgroundService:
    """A service running in a child process; ``stop()`` (or leaving ``with``) ends it."""

    process: subprocess.Popen
    url: str
    log_path: Path
    _tmp: tempfile.TemporaryDirectory = field(repr=False)

    def log(self) -> str:
        """What the service has printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = 180.0) -> "BackgroundService":
        """Block until ``GET /ready`` answers 200; raise with the log when the service dies, its model
        fails to load (it is stopped then) or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise RuntimeError(f"service exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except urllib.error.HTTPError as answer:  # 503: still loading, or the load failed
                try:
                    detail = str(json.loads(answer.read()).get("detail", ""))
                except (ValueError, AttributeError):  # not the course's JSON answer
                    detail = ""
                if detail.startswith("model failed to load"):
                    self.stop()
                    raise RuntimeError(f"{detail}\n{self.log()[-3000:]}") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"service not ready after {timeout:.0f} s:\n{self.log()[-3000:]}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """Ask the service to shut down (SIGTERM), kill it if it does not; return its exit code."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> "BackgroundService":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_background(
    model: str | Path = DEFAULT_ROLE,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    batching: bool = True,
    reference_texts: Sequence[str] | None = None,
    wait: bool = True,
    timeout: float = 180.0,
    **options,
) -> BackgroundService:
    """Start ``course serve`` in a child process and (by default) wait until the model is ready.

    ``options`` are the CLI's tuning flags with underscores: ``max_batch_size``, ``max_wait_ms``,
    ``max_queue``, ``window``, ``reference_size``, ``torch_threads``, ``log_level``.
    """
    port = port or free_port(host)
    tmp = tempfile.TemporaryDirectory(prefix="course-serve-")
    argv = [sys.executable, "-m", "utils.serving", "--model", str(model), "--host", host, "--port", str(port)]
    if not batching:
        argv.append("--no-batching")
    if reference_texts:
        ref = Path(tmp.name) / "reference.txt"
        ref.write_text("\n".join(t.replace("\n", " ") for t in reference_texts), encoding="utf-8")
        argv += ["--reference", str(ref)]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO_ROOT), env.get("PYTHONPATH")) if p)
    log_path = Path(tmp.name) / "service.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=_REPO_ROOT)
    service = BackgroundService(process, f"http://{host}:{port}", log_path, tmp)
    atexit.register(service.stop)
    return service.wait_ready(timeout) if wait else service
