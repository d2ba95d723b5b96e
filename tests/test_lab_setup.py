"""`make lab` as a learner meets it: the package installs without setuptools warnings, JupyterLab serves the
repository root and opens lesson 00 on the notebooks' kernel, and the course's settings switch the news off."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSON_00 = "notebooks/00-setup.ipynb"
NOTIFICATION = "@jupyterlab/apputils-extension:notification"

BUILD = r"""
import json, sys, warnings
from setuptools import build_meta
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wheel = build_meta.build_wheel(sys.argv[1])
    editable = build_meta.build_editable(sys.argv[1])
print(json.dumps({"wheel": wheel, "editable": editable,
                  "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}))
"""


def test_package_builds_without_setuptools_warnings(tmp_path):
    """pip shows every warning the build backend raises (`make env` printed ~90 lines of them)."""
    pytest.importorskip("setuptools", minversion="77")  # a licence as an SPDX string needs 77
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "utils", src / "utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "dist"
    out.mkdir()

    done = subprocess.run([sys.executable, "-c", BUILD, str(out)], cwd=src, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["warnings"] == []

    with zipfile.ZipFile(out / result["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata
    # discovery: every subpackage ships without being listed (a new one needs no pyproject entry) ...
    packages = {p.relative_to(src).as_posix() for p in (src / "utils").rglob("__init__.py")}
    assert packages <= names, sorted(packages - names)
    # ... and so does the package data
    data = {p.relative_to(src).as_posix() for p in (src / "utils").rglob("*")
            if p.is_file() and p.suffix in {".toml", ".json", ".html", ".css", ".js"}}
    assert {"utils/manifest.toml", "utils/lessons.toml", "utils/exercises/solutions.json",
            "utils/serving/static/index.html"} <= data
    assert data <= names, sorted(data - names)


def _make_lab_command(**variables: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    args = [f"{k}={v}" for k, v in variables.items()]
    done = subprocess.run(["make", "--no-print-directory", "-n", "-o", "setup", "lab", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_lab_serves_the_root_and_opens_lesson_00():
    command = _make_lab_command(LAB_PORT="8765", LAB_FLAGS="--no-browser")
    assert f'--ServerApp.root_dir="{ROOT}"' in command
    assert f"--LabApp.default_url=/lab/tree/{LESSON_00}" in command
    assert "--port=8765" in command and "--no-browser" in command
    assert f'JUPYTER_CONFIG_PATH="{ROOT}/.jupyter' in command
    assert (ROOT / LESSON_00).is_file()


def test_course_settings_switch_the_news_off(tmp_path, monkeypatch):
    """What JupyterLab's settings API hands the browser, computed by the installed jupyterlab_server."""
    pytest.importorskip("jupyterlab")
    settings_utils = pytest.importorskip("jupyterlab_server.settings_utils")
    from jupyterlab.commands import get_app_dir

    app_dir = Path(get_app_dir())
    schema_file = app_dir / "schemas" / "@jupyterlab" / "apputils-extension" / "notification.json"
    assert schema_file.is_file(), "JupyterLab moved the notification settings: update .jupyter/labconfig"

    def defaults() -> dict:
        result, _ = settings_utils.get_settings(str(app_dir / "settings"), str(app_dir / "schemas"),
                                                str(tmp_path / "user-settings"), schema_name=NOTIFICATION)
        return {k: v.get("default") for k, v in result["schema"]["properties"].items()}

    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    assert defaults()["fetchNews"] == "none"  # JupyterLab's own default: ask in a pop-up
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(ROOT / ".jupyter"))  # as `make lab` sets it
    assert defaults()["fetchNews"] == "false"
    assert defaults()["checkForUpdates"] is False

    server = json.loads((ROOT / ".jupyter" / "jupyter_server_config.json").read_text())
    assert server["LabApp"]["news_url"] is None  # the server fetches no feed either
    module, _, name = server["LabApp"]["check_for_updates_class"].rpartition(".")
    assert hasattr(__import__(module), name)


# --- the real thing: `make lab` in a child process on 127.0.0.1 -----------------------------------------

TOKEN = "course-lab-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, *, redirect: bool = True):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener() if redirect else urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    pytest.importorskip("jupyterlab")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    port = _free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path_factory.mktemp("jupyter-runtime")))
    flags = f"--no-browser --IdentityProvider.token={TOKEN} --ServerApp.port_retries=0"
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    with open(log, "w") as out:
        # VENV: the environment running the tests; -o setup: no install, no fetch
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "setup", "lab", f"VENV={sys.prefix}",
             f"LAB_PORT={port}", f"LAB_FLAGS={flags}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if _get(f"{url}/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        yield url, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_lab_opens_lesson_00_at_the_root(lab):
    url, log = lab
    assert _get(f"{url}/lab/tree/{LESSON_00}")[0] == 200  # the page: 200 for any path, so also ...
    assert _get(f"{url}/api/contents/{LESSON_00}?content=0")[0] == 200  # ... the file behind it
    status, headers, _ = _get(f"{url}/", redirect=False)
    assert status == 302 and headers["Location"].split("?")[0].endswith(f"/lab/tree/{LESSON_00}")
    # the addresses it prints open the lesson too (what a learner on a remote machine copies)
    assert f"/lab/tree/{LESSON_00}?token=" in log.read_text()

    status, _, body = _get(f"{url}/api/contents")
    listing = {item["name"] for item in json.loads(body)["content"]}
    assert status == 200 and {"README.md", "notebooks", "solutions"} <= listing


def test_lab_starts_the_notebooks_kernel_without_asking(lab):
    """JupyterLab asks for a kernel only when no kernelspec has the name in the notebook's metadata; it
    rewrites the display name (and marks the notebook modified) when that differs from the kernelspec's."""
    url, _ = lab
    specs = json.loads(_get(f"{url}/api/kernelspecs")[2])["kernelspecs"]
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        wanted = json.loads(notebook.read_text())["metadata"]["kernelspec"]
        assert wanted["name"] in specs, f"{notebook.name}: no kernel {wanted['name']!r} in {sorted(specs)}"
        assert specs[wanted["name"]]["spec"]["display_name"] == wanted["display_name"], notebook.name


def test_lab_settings_have_the_news_off(lab):
    url, _ = lab
    status, _, body = _get(f"{url}/lab/api/settings/{NOTIFICATION}")
    properties = json.loads(body)["schema"]["properties"]
    assert status == 200
    assert properties["fetchNews"]["default"] == "false"
    assert properties["checkForUpdates"]["default"] is False
    assert json.loads(_get(f"{url}/lab/api/news")[2]) == {"news": []}
