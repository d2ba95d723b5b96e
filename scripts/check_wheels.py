"""Which wheel each pin of the lock files would install on Colab's Pythons, recorded for offline tests.

    .venv/bin/python scripts/check_wheels.py            # rewrite requirements-wheels.txt (needs the index)
    .venv/bin/python scripts/check_wheels.py --check    # only report; exit 1 when a pin has no wheel

For every ``name==version`` line of ``LOCKS`` it asks the package index pip is configured with (``pip config``:
``index-url`` and ``extra-index-url``; pip's default index when none is set) for the JSON project page
(PEP 691, the Simple API's JSON form), keeps the wheels of that exact version, and picks, for each target
interpreter (CPython 3.12 and 3.13 on manylinux x86_64, as on Colab), the one pip would prefer among those
whose tags that interpreter supports (``cp3XX`` builds, ``abi3``, ``py3-none-any``). The result is
``requirements-wheels.txt``; ``tests/test_wheels.py`` reads it offline and fails when a pin has no
recorded wheel or the record is older than the lock. Local ``find-links`` folders are ignored on purpose:
Colab does not have them.
"""
from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.lock", "requirements-keras.txt", "requirements-colab.txt")
OUTPUT = ROOT / "requirements-wheels.txt"
TARGETS = {"cp312": (3, 12), "cp313": (3, 13)}
GLIBC_MINOR = 35  # Colab: Ubuntu 22.04, glibc 2.35
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
NONE = "NONE"
# Pins allowed to install from a source archive, by name, with the reason: pure Python, no compiler involved.
SDIST_ALLOWED = {"seqeval": "pure Python (a setup.py, no compiled code); the project publishes no wheel"}
SDIST_SUFFIXES = (".tar.gz", ".zip")


def _sdist_release(filename: str) -> tuple[str, Version] | None:
    """``(canonical name, version)`` of a source archive's file name, or None."""
    for suffix in SDIST_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            name, _, version = stem.rpartition("-")
            try:
                return canonicalize_name(name), Version(version)
            except Exception:
                return None
    return None


def pins(lock: Path) -> list[tuple[str, str]]:
    """``(name, version)`` of every ``name==version`` line (comments and other lines ignored)."""
    out = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.split("#", 1)[0])
        if match:
            out.append((match.group(1), match.group(2)))
    return out


def platforms() -> list[str]:
    plats = [f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC_MINOR, 4, -1)]
    legacy = {"manylinux_2_17_x86_64": "manylinux2014_x86_64", "manylinux_2_12_x86_64": "manylinux2010_x86_64",
              "manylinux_2_5_x86_64": "manylinux1_x86_64"}
    out = []
    for plat in plats:
        out.append(plat)
        if plat in legacy:
            out.append(legacy[plat])
    return out + ["linux_x86_64"]


@functools.cache
def target_tags(version: tuple[int, int]) -> tuple:
    """Tags an interpreter supports, most preferred first (what pip orders candidates by)."""
    abi = f"cp{version[0]}{version[1]}"
    plats = platforms()
    return tuple(cpython_tags(version, abis=[abi], platforms=plats)) + \
        tuple(compatible_tags(version, interpreter=abi, platforms=plats))


@functools.cache
def _tag_set(version: tuple[int, int]) -> frozenset:
    return frozenset(target_tags(version))


def indexes() -> list[str]:
    """The index URLs pip is configured with (http(s) ones), pip's default first when none is set."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    found: dict[str, list[str]] = {"index-url": [], "extra-index-url": []}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        if option in found:
            found[option] += value.strip().strip("'\"").split()
    if not found["index-url"]:
        from pip._internal.models.index import PyPI

        found["index-url"] = [PyPI.simple_url]
    return [u.rstrip("/") for u in found["index-url"] + found["extra-index-url"] if u.startswith(("http://", "https://"))]


def project_files(name: str, urls: list[str]) -> list[str]:
    """Every file name the indexes list for ``name`` (PEP 691 JSON)."""
    files: list[str] = []
    for base in urls:
        request = urllib.request.Request(f"{base}/{canonicalize_name(name)}/",
                                         headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                files += [f["filename"] for f in json.load(response)["files"]]
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise
    return files


def best_wheels(name: str, version: str, files: list[str]) -> dict[str, str]:
    """For each target, the preferred compatible wheel of exactly ``name==version`` (or NONE)."""
    wanted = Version(version)
    wheels = []
    for filename in files:
        if not filename.endswith(".whl"):
            continue
        try:
            wname, wversion, _, tags = parse_wheel_filename(filename)
        except Exception:  # a file name that is not a valid wheel name
            continue
        if wname == canonicalize_name(name) and wversion == wanted:
            wheels.append((filename, tags))
    out = {}
    for target, py in TARGETS.items():
        ranked = {tag: i for i, tag in enumerate(target_tags(py))}
        scored = [(min(ranked[t] for t in tags if t in ranked), filename) for filename, tags in wheels
                  if any(t in ranked for t in tags)]
        out[target] = min(scored)[1] if scored else NONE
        if out[target] == NONE and canonicalize_name(name) in SDIST_ALLOWED:
            sdists = [f for f in files if _sdist_release(f) == (canonicalize_name(name), wanted)]
            out[target] = sdists[0] if sdists else NONE
    return out


def check(locks=LOCKS) -> list[dict]:
    urls = indexes()
    if not urls:
        raise SystemExit("pip is configured with no http(s) index; nothing to ask")
    wanted = [(lock, name, version) for lock in locks for name, version in pins(ROOT / lock)]
    names = sorted({canonicalize_name(n) for _, n, _ in wanted})
    with ThreadPoolExecutor(max_workers=8) as pool:
        listing = dict(zip(names, pool.map(lambda n: project_files(n, urls), names)))
    return [{"lock": lock, "pin": f"{name}=={version}",
             **best_wheels(name, version, listing[canonicalize_name(name)])} for lock, name, version in wanted]


def write(rows: list[dict], path: Path = OUTPUT) -> None:
    header = [
        "# Generated by scripts/check_wheels.py from the package index pip is configured with; do not edit.",
        f"# Checked {time.strftime('%Y-%m-%d')}. One line per pin of {', '.join(LOCKS)}: the wheel pip would",
        "# install for CPython 3.12 and 3.13 on manylinux x86_64 (Colab's platform), a source archive for a pin of",
        "# SDIST_ALLOWED (pure Python), or NONE.",
        "# lock\tpin\t" + "\t".join(TARGETS),
    ]
    lines = ["\t".join([r["lock"], r["pin"], *(r[t] for t in TARGETS)]) for r in rows]
    path.write_text("\n".join(header + lines) + "\n", encoding="utf-8")


def read_record(path: Path = OUTPUT) -> dict[tuple[str, str], dict[str, str]]:
    """``{(lock, pin): {target: wheel file name}}`` from the record."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lock, pin, *wheels = line.split("\t")
            rows[(lock, pin)] = dict(zip(TARGETS, wheels))
    return rows


def audit(root: Path = ROOT, locks=LOCKS, record: Path | None = None) -> list[str]:
    """Offline: the problems of the record against the lock files as they are now (empty: all good).
    A pin must have a recorded wheel of exactly its name and version, tagged for every target."""
    rows = read_record(record or root / OUTPUT.name)
    problems, seen = [], set()
    for lock in locks:
        for name, version in pins(root / lock):
            key = (lock, f"{name}=={version}")
            seen.add(key)
            if key not in rows:
                problems.append(f"{lock}: {name}=={version} has no record (run scripts/check_wheels.py)")
                continue
            for target, py in TARGETS.items():
                wheel = rows[key].get(target, NONE)
                if wheel == NONE:
                    problems.append(f"{lock}: {name}=={version} has no wheel for {target}")
                    continue
                sdist = _sdist_release(wheel)
                if sdist is not None:
                    if canonicalize_name(name) not in SDIST_ALLOWED:
                        problems.append(f"{lock}: {name}=={version}: {wheel} is a source archive; only "
                                        f"{', '.join(sorted(SDIST_ALLOWED))} may install from one (SDIST_ALLOWED)")
                    elif sdist != (canonicalize_name(name), Version(version)):
                        problems.append(f"{lock}: {name}=={version}: recorded {wheel} is another release")
                    continue
                wname, wversion, _, tags = parse_wheel_filename(wheel)
                if (wname, wversion) != (canonicalize_name(name), Version(version)):
                    problems.append(f"{lock}: {name}=={version}: recorded {wheel} is another release")
                elif not tags & _tag_set(py):
                    problems.append(f"{lock}: {name}=={version}: {wheel} does not install on {target}")
    problems += [f"{lock}: {pin} is recorded but no longer pinned (run scripts/check_wheels.py)"
                 for lock, pin in sorted(set(rows) - seen)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report only; do not rewrite the record")
    args = parser.parse_args(argv)
    rows = check()
    missing = [r for r in rows if NONE in (r[t] for t in TARGETS)]
    for r in missing:
        print(f"{r['lock']}: {r['pin']}: " + ", ".join(f"{t} {r[t]}" for t in TARGETS))
    print(f"{len(rows)} pins checked, {len(missing)} without a wheel for every target")
    if not args.check:
        write(rows)
        print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
