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


def test_a_source_archive_passes_only_for_an_allowed_pure_python_pin(tiny):
    good_a = "a.lock\talpha==1.0\talpha-1.0-py3-none-any.whl\talpha-1.0-py3-none-any.whl"
    sdist = "a.lock\tbeta==2.0\tbeta-2.0.tar.gz\tbeta-2.0.tar.gz"
    problems = check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, sdist))
    assert problems and "is a source archive" in problems[0]

    allowed = dict(check_wheels.SDIST_ALLOWED, beta="pure Python")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(check_wheels, "SDIST_ALLOWED", allowed)
        assert check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, sdist)) == []
        old = "a.lock\tbeta==2.0\tbeta-1.9.tar.gz\tbeta-1.9.tar.gz"
        assert "another release" in check_wheels.audit(tiny, ("a.lock",), _record(tiny, good_a, old))[0]
        # best_wheels picks the allowed sdist only when no wheel of that release exists
        assert check_wheels.best_wheels("beta", "2.0", ["beta-2.0.tar.gz", "beta-1.9-py3-none-any.whl"]) == \
            {"cp312": "beta-2.0.tar.gz", "cp313": "beta-2.0.tar.gz"}
        assert check_wheels.best_wheels("beta", "2.0", ["beta-2.0.tar.gz", "beta-2.0-py3-none-any.whl"])["cp312"] \
            == "beta-2.0-py3-none-any.whl"
    assert check_wheels.best_wheels("beta", "2.0", ["beta-2.0.tar.gz"])["cp312"] == check_wheels.NONE
