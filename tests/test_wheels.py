"""Every pin of the lock files has a recorded wheel for CPython 3.12 and 3.13 (Colab's platform).

Offline: it reads ``requirements-wheels.txt``, which ``scripts/check_wheels.py`` writes from the package
index; a new or changed pin without a fresh record fails here until that script is run again.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_wheels", REPO / "scripts" / "check_wheels.py")
check_wheels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_wheels)


def test_every_pin_of_every_lock_has_a_recorded_wheel_for_each_target():
    assert check_wheels.audit() == []


def test_the_record_covers_the_three_locks():
    locks = {lock for lock, _ in check_wheels.read_record(REPO / "requirements-wheels.txt")}
    assert locks == set(check_wheels.LOCKS)


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "a.lock").write_text("# comment\nalpha==1.0\nbeta==2.0  # why\n")
    return tmp_path


def _record(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "wheels.txt"
    path.write_text("# header\n" + "".join(line + "\n" for line in lines))
    return path


def test_the_audit_fails_on_missing_stale_wrong_or_incompatible_records(tiny):
    good_a = "a.lock\talpha==1.0\talpha-1.0-py3-none-any.whl\talpha-1.0-py3-none-any.whl"
    good_b = "a.lock\tbeta==2.0\tbeta-2.0-cp310-abi3-manylinux_2_17_x86_64.whl\tbeta-2.0-cp310-abi3-manylinux_2_17_x86_64.whl"
    ok = _record(tiny, good_a, good_b)
    assert check_wheels.audit(tiny, ("a.lock",), ok) == []

    problems = check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a))
    assert problems == ["a.lock: beta==2.0 has no record (run scripts/check_wheels.py)"]

    none = "a.lock\tbeta==2.0\tbeta-2.0-cp312-cp312-manylinux_2_28_x86_64.whl\tNONE"
    assert check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, none)) == ["a.lock: beta==2.0 has no wheel for cp313"]

    wrong = "a.lock\tbeta==2.0\tbeta-1.9-py3-none-any.whl\tbeta-2.0-py3-none-any.whl"
    assert "another release" in check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, wrong))[0]

    cp311 = "a.lock\tbeta==2.0\tbeta-2.0-cp311-cp311-manylinux_2_28_x86_64.whl\tbeta-2.0-py3-none-any.whl"
    assert "does not install on cp312" in check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, cp311))[0]

    stale = "a.lock\tgamma==3.0\tgamma-3.0-py3-none-any.whl\tgamma-3.0-py3-none-any.whl"
    assert "no longer pinned" in check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, good_b, stale))[0]
