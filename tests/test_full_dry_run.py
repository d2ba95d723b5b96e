"""The full profile's code path, run on this CPU: a full-profile dry run of the lesson notebooks.

``COURSE_PROFILE=full COURSE_DRY_RUN=1`` (see :mod:`utils.profile`): ``pick`` returns the full values with
their integers clipped to the fast ones, full branches run (device moves, fp16 flags guarded by
``torch.cuda.is_available()``, ``is_fast()`` false), and ``checkpoint`` / ``load`` / ``keras_preset`` give the
fast profile's models and data, offline. A crash in a full branch shows up here instead of on a GPU.

Which lessons: every lesson, by default. A dry run takes about as long as the fast profile: all eight took
339 s on the 2-core test machine (00: 10 s, 01: 16, 02: 41, 03: 14, 04: 59, 05: 89, 06: 71, 15: 40; load
average about 3), within the ~8 minutes the suite can spare (530 s in an earlier run on a busier machine).
``COURSE_DRY_RUN_LESSONS=02,05,06,15`` narrows it to the four whose full branch differs most from the fast
one (05: Trainer and plain loop on the device path, sizes; 06: KerasHub presets; 15: service sizes; 02:
zero-shot sizes, an encoder on the device), 205 s. The exercise checks run as part of the notebooks.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
CELL_TIMEOUT = 600


def _chosen() -> list[str]:
    every = sorted(path.name[:2] for path in SOLUTIONS.glob("[0-9][0-9]-*.ipynb"))
    wanted = os.environ.get("COURSE_DRY_RUN_LESSONS", "").strip()
    if not wanted or wanted == "all":
        return every
    return [lesson for lesson in wanted.replace(" ", "").split(",") if lesson]


@pytest.fixture
def dry_run_env(monkeypatch, tmp_path):
    """The switches, for this process (read at call time) and for the kernels it starts (inherited)."""
    from utils import profile, resources

    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setenv("COURSE_DRY_RUN", "1")
    monkeypatch.delenv("COURSE_AUTO_FETCH", raising=False)
    monkeypatch.setattr(profile, "_profile", None)
    monkeypatch.setattr(resources, "_announced", set())
    return monkeypatch


def test_keras_presets_in_a_dry_run_are_the_fast_folders(dry_run_env, fetched):
    from utils import keras_setup

    fetched("encoder")
    preset = keras_setup.keras_preset("encoder")
    assert preset not in keras_setup.KAGGLE_PRESETS.values()
    assert keras_setup.is_transformers_folder(preset)


@pytest.mark.parametrize("lesson", _chosen())
def test_full_branch_runs(lesson, dry_run_env, fetched):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    fetched("encoder")  # skip, naming `course fetch`, on a machine without the course cache
    (path,) = SOLUTIONS.glob(f"{lesson}-*.ipynb")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(SOLUTIONS)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{path.name}, full-profile dry run: {err}")
    seconds = time.perf_counter() - start
    text = "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.get("output_type") == "stream")
    assert "full profile, dry run (COURSE_DRY_RUN=1)" in text
    assert "profile      : full" in text
    assert "fast profile:" not in text, "a dry run must take every full branch"
    print(f"{path.name}: full-profile dry run in {seconds:.0f} s")
