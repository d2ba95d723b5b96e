"""Every role a lesson uses resolves in both profiles, without downloading anything.

The roles are read from the lessons themselves (``checkpoint("…")``, ``load("…")``,
``resource_path("…")`` and ``keras_preset("…")`` calls in the code cells of ``solutions/``). For each:

* the manifest has it;
* full profile: a hub role is pinned to a 40-hex commit SHA (or says why not in ``pin_note``) and
  ``checkpoint``/the full loader ask the hub for exactly that revision; a role with no hub counterpart
  must be reachable from the course cache on any OS: a file the course ships (sha256-checked) or
  archives a pip client downloads, which ``load``/``checkpoint`` fetch by themselves on first use;
* fast profile: its loader, converter or recipe exists and an empty cache fails fast naming
  ``course fetch``.
Downloads are replaced by functions that fail the test if anything reaches the network.
"""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from utils import data, fetch, profile, resources
from utils.resources import ResourceMissing

REPO = Path(__file__).resolve().parent.parent
CALL = re.compile(r"\b(checkpoint|load|resource_path|keras_preset)\(\s*['\"]([a-z0-9-]+)['\"]")
SHA = re.compile(r"[0-9a-f]{40}")


def lesson_roles(path: Path) -> set[str]:
    """The role names a notebook's code cells pass to the course's lookup functions."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return {name for _, name in CALL.findall(code)}


LESSONS = sorted((REPO / "solutions").glob("*.ipynb"))
USES = {path.name: lesson_roles(path) for path in LESSONS}
PAIRS = sorted({(name, role) for name, roles in USES.items() for role in roles})


def full_profile_source(role: str, manifest: dict) -> str:
    """How the full profile reaches ``role`` ("hub", "shipped file", "pip archives"), or raise
    ``AssertionError`` saying why it cannot."""
    spec = manifest["roles"].get(role)
    assert spec is not None, f"role {role!r} is not in utils/manifest.toml"
    if "full" in spec:
        full = spec["full"]
        assert full["id"].count("/") == 1, f"{role}: hub id {full['id']!r} is not owner/name"
        assert SHA.fullmatch(full["revision"]) or spec.get("pin_note"), (
            f"{role}: revision {full['revision']!r} is neither a 40-hex commit SHA nor explained by a pin_note")
        return "hub"
    fast = spec["fast"]
    if "file" in fast:
        assert (REPO / fast["file"]).is_file(), f"{role}: {fast['file']} is not in the repository"
        assert fast.get("sha256"), f"{role}: a shipped file needs its sha256 in the manifest"
        return "shipped file"
    assert "recipe" not in fast, f"{role}: no hub counterpart and only a stand-in recipe: the full profile would train it"
    clients = {a: manifest["archives"][a]["client"] for a in resources.fast_archives(role, manifest_data=manifest)}
    assert set(clients.values()) == {"pip"}, (
        f"{role}: no hub counterpart and archives {clients} need an OS package manager; "
        "Colab and hosted CI runners (Ubuntu) cannot fetch them")
    return "pip archives"


def test_the_lessons_use_roles():
    assert LESSONS and all(USES.values()), {name: sorted(r) for name, r in USES.items()}
    assert {"encoder", "tweets", "lm-corpus", "sentiment-fine"} <= set().union(*USES.values())


@pytest.fixture
def no_network(empty_cache, monkeypatch):
    """An empty course cache, no Colab, no forced auto-fetch, and every download path disarmed."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a download was attempted: {args} {kwargs}")

    monkeypatch.setattr(fetch, "download", refuse)
    monkeypatch.setattr(data, "_hub", refuse)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", refuse)
    monkeypatch.setattr(huggingface_hub, "list_repo_files", refuse)


class Fetched(Exception):
    """Raised by the stand-in ``fetch``: the role was fetched on first use."""


@pytest.mark.parametrize("lesson,role", PAIRS)
def test_role_resolves_in_the_full_profile(lesson, role, no_network, monkeypatch, capsys):
    manifest = resources.manifest()
    source = full_profile_source(role, manifest)
    spec = manifest["roles"][role]
    monkeypatch.setattr(profile, "_profile", "full")
    if source == "hub":
        if spec["kind"] == "data":
            assert role in data._FULL, f"{role}: no full-profile loader in utils/data.py"
            return
        asked = {}
        monkeypatch.setattr(resources, "_hub_snapshot",
                            lambda repo_id, revision, tokenizer_only=False: asked.update(id=repo_id, rev=revision) or "/hub")
        assert resources.checkpoint(role) == "/hub"
        assert asked == {"id": spec["full"]["id"], "rev": spec["full"]["revision"]}
    elif source == "shipped file":
        assert resources.resource_path(role) == REPO / spec["fast"]["file"]  # sha256 checked on the way
    else:  # pip archives: fetched on first use, with a line saying so
        calls = []

        def fake_fetch(roles=None, **kwargs):
            calls.append(roles)
            raise Fetched

        monkeypatch.setattr(fetch, "fetch", fake_fetch)
        with pytest.raises(Fetched):
            data.load(role) if spec["kind"] == "data" else resources.checkpoint(role)
        assert calls == [[role]]
        assert f"full profile: {role} has no hub counterpart" in capsys.readouterr().out


@pytest.mark.parametrize("lesson,role", PAIRS)
def test_role_resolves_in_the_fast_profile(lesson, role, no_network, monkeypatch):
    spec = resources.manifest()["roles"][role]
    fast = spec["fast"]
    monkeypatch.setattr(profile, "_profile", "fast")
    if "recipe" in fast:
        assert importlib.util.find_spec(f"utils.standins.{fast['recipe']}"), \
            f"{role}: utils/standins/{fast['recipe']}.py is missing"
    elif spec["kind"] == "data":
        assert role in data._FAST, f"{role}: utils/data.py has no loader for it"
    else:
        from utils.standins import converted

        assert callable(converted.BUILDERS.get(role)), f"{role}: utils/standins/converted.py has no builder for it"
    if "file" in fast:
        assert resources.resource_path(role).exists()  # a shipped file, or a folder of them
    elif spec["kind"] == "data":
        with pytest.raises(ResourceMissing, match=rf"course fetch --roles {role}"):
            data.load(role)
    else:
        with pytest.raises(ResourceMissing, match=rf"course fetch --roles {role}"):
            resources.checkpoint(role)


# ------------------------------------------------------------------ the check itself can fail
def _manifest_with(role_spec: dict, archive_client: str = "pip") -> dict:
    return {"archives": {"toy": {"client": archive_client}}, "roles": {"toy-role": role_spec}}


@pytest.mark.parametrize("spec,client,why", [
    ({"kind": "data", "fast": {"members": {"toy": ["x"]}}}, "apt", "package manager"),
    ({"kind": "model", "fast": {"recipe": "sentiment", "requires": []}}, "pip", "train it"),
    ({"kind": "model", "full": {"id": "o/m", "revision": "main"}, "fast": {"recipe": "sentiment"}}, "pip", "pin_note"),
    ({"kind": "model", "full": {"id": "o/m", "revision": "714eb0f"}, "fast": {"recipe": "sentiment"}}, "pip", "40-hex"),
    ({"kind": "data", "fast": {"file": "data/nowhere.json"}}, "pip", "not in the repository"),
])
def test_a_role_the_full_profile_cannot_reach_is_refused(spec, client, why):
    with pytest.raises(AssertionError, match=why):
        full_profile_source("toy-role", _manifest_with(spec, client))
    with pytest.raises(AssertionError, match="not in utils/manifest.toml"):
        full_profile_source("missing-role", _manifest_with(spec, client))


def test_every_hub_revision_is_a_full_sha_or_explained():
    for role, spec in resources.manifest()["roles"].items():
        if "full" in spec:
            revision = spec["full"]["revision"]
            assert SHA.fullmatch(revision) or spec.get("pin_note"), f"{role}: {revision!r}"
            if SHA.fullmatch(revision):
                assert "pin_note" not in spec, f"{role}: pinned to a SHA; drop its pin_note"
