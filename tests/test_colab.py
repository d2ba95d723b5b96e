"""The Colab cell, run for real in a fresh virtual environment with a stand-in ``google.colab``.

Offline: pip installs tiny wheels this test builds (``PIP_NO_INDEX``); the course is "cloned" from a
local git repository holding this checkout's ``utils/`` and a test requirements file. The cell is the
one ``colab_cell_source()`` generates, with only its folder and repository URL swapped for local ones.
Checked: the clone, the install, the marker (a second run installs nothing), a failed install that
shows pip's error and is repeated by the next run, ``--no-deps`` lines, TensorFlow absent (nothing
pulls it in) and present (a stand-in package that no step may touch), and the profile notice.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from utils import colab

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def make_wheel(folder: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> Path:
    """A minimal pure-Python wheel with one module ``<name>/__init__.py``."""
    dist, module = name.replace("-", "_"), name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\n" f"Name: {name}\nVersion: {version}\n"
                            + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


# An in-tree PEP 517/660 backend with no build requirements, so that `pip install -e` works offline.
BACKEND = '''
import base64, hashlib, os, zipfile
NAME, VERSION = "hands_on_nlp_course", "0.1.0"
def _wheel(directory, extra):
    info = f"{NAME}-{VERSION}.dist-info"
    files = {f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {NAME}\\nVersion: {VERSION}\\n",
             f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n", **extra}
    rec = [f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t.encode())}" for p, t in files.items()]
    files[f"{info}/RECORD"] = "\\n".join(rec + [f"{info}/RECORD,,"]) + "\\n"
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w") as zf:
        for p, t in files.items():
            zf.writestr(p, t)
    return name
def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {"course_editable.pth": os.path.abspath(".") + "\\n"})
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, {})
'''


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("colab")
    wheels = root / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "courselib", "1.0", ("helperlib>=1",))
    make_wheel(wheels, "helperlib", "1.0")
    make_wheel(wheels, "extralib", "1.0")
    make_wheel(wheels, "hubfake", "0.32.0", ("tensorflow-text>=2.20",))  # like keras-hub: declares TF
    make_wheel(wheels, "tensorflow", "2.20.0", ("protobuf>=5",))
    make_wheel(wheels, "protobuf", "5.29.6")
    make_wheel(wheels, "protobuf", "6.33.0")  # newer, available: only the constraint keeps pip off it
    make_wheel(wheels, "needs-new-protobuf", "1.0", ("protobuf>=6",))

    origin = root / "origin"
    shutil.copytree(REPO / "utils", origin / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    (origin / "notebooks").mkdir()
    (origin / "notebooks" / "README.md").write_text("lessons\n")
    (origin / "backend.py").write_text(BACKEND)
    (origin / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        '[tool.course]\nrepository = "hands-on-nlp/nlp-with-transformers-course"\nbranch = "main"\n')
    (origin / colab.REQUIREMENTS).write_text("courselib==1.0\nhubfake==0.32.0  # --no-deps: declares TF\n")
    _git("init", "-q", "-b", "main", cwd=origin)
    _git("add", "-A", cwd=origin)
    _git("commit", "-q", "-m", "course", cwd=origin)

    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    fake_colab = root / "fake-colab"
    (fake_colab / "google" / "colab").mkdir(parents=True)
    (fake_colab / "google" / "colab" / "__init__.py").write_text("# stand-in for Colab's module\n")

    cell = colab.colab_cell_source(REPO)
    folder = "/content/nlp-with-transformers-course"
    url = "https://github.com/hands-on-nlp/nlp-with-transformers-course"
    assert folder in cell and url in cell
    clone = root / "content" / "nlp-with-transformers-course"
    clone.parent.mkdir()
    cell = cell.replace(folder, str(clone)).replace(url, origin.as_uri())
    script = root / "cell.py"
    script.write_text("import google.colab\n" + cell + "\nprint('cwd:', os.getcwd())\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "COURSE_", "COLAB_", "PYTHON"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels), PIP_CONFIG_FILE=os.devnull,
               PYTHONPATH=str(fake_colab), PYTHONDONTWRITEBYTECODE="1")

    def run_cell():
        return subprocess.run([python, str(script)], capture_output=True, text=True, env=env, cwd=root, timeout=300)

    def versions():
        code = ("import json\nfrom importlib import metadata as m\nout = {}\n"
                "for d in m.distributions(): out[d.metadata['Name']] = d.version\nprint(json.dumps(out))")
        return json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                                         check=True).stdout)

    def pip(*args):
        subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, env=env, check=True)

    def marker():
        purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, env=env, check=True).stdout.strip()
        return Path(purelib) / colab.MARKER_NAME

    return type("World", (), dict(run_cell=staticmethod(run_cell), versions=staticmethod(versions),
                                  pip=staticmethod(pip), marker=staticmethod(marker), clone=clone))


def test_the_cell_clones_installs_once_and_repairs_a_failed_install(world):
    # 1. TensorFlow absent: clone, install; the --no-deps line does not pull TensorFlow in.
    first = world.run_cell()
    out = first.stdout + first.stderr
    assert first.returncode == 0, out
    assert (world.clone / ".git").is_dir() and not Path(str(world.clone) + ".part").exists()
    assert "installing 1 libraries" in out and "hubfake==0.32.0 without dependencies" in out
    assert "Successfully installed courselib-1.0 helperlib-1.0" in out
    installed = world.versions()
    assert installed["courselib"] == "1.0" and installed["hubfake"] == "0.32.0"
    assert "tensorflow" not in installed and "tensorflow-text" not in installed
    assert world.marker().is_file()
    assert f"cwd: {world.clone / 'notebooks'}" in out
    assert "No GPU in this runtime" in out  # no torch here: the fast-profile notice

    # 2. Second run: nothing installed again.
    second = world.run_cell()
    assert second.returncode == 0 and "already installed in this runtime" in second.stdout
    assert "installing" not in second.stdout

    # 3. TensorFlow "present" (a stand-in): a changed requirements file reinstalls and touches none of it.
    world.pip("install", "tensorflow==2.20.0", "protobuf==5.29.6")
    tf_record = next(Path(p) for p in world.marker().parent.glob("tensorflow-2.20.0.dist-info/RECORD"))
    stamp = tf_record.stat().st_mtime_ns
    requirements = world.clone / colab.REQUIREMENTS
    requirements.write_text(requirements.read_text() + "extralib==1.0\n")
    third = world.run_cell()
    assert third.returncode == 0, third.stdout + third.stderr
    assert "protobuf, tensorflow kept as they are" in third.stdout
    after = world.versions()
    assert after["tensorflow"] == "2.20.0" and after["protobuf"] == "5.29.6" and after["extralib"] == "1.0"
    assert tf_record.stat().st_mtime_ns == stamp

    # 4. A requirement that would replace Colab's protobuf: pip's error is shown, no marker, nothing replaced.
    requirements.write_text(requirements.read_text() + "needs-new-protobuf==1.0\n")
    failed = world.run_cell()
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "ERROR" in out and "protobuf" in out and "run this cell again" in out
    assert not world.marker().exists()
    assert world.versions()["protobuf"] == "5.29.6"
    again = world.run_cell()  # still failing: the install is attempted again, not skipped
    assert again.returncode != 0 and "installing 3 libraries" in again.stdout

    # 5. Repaired: the next run installs and marks success.
    requirements.write_text(requirements.read_text().replace("needs-new-protobuf==1.0\n", ""))
    fixed = world.run_cell()
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "installing 2 libraries" in fixed.stdout and world.marker().is_file()
    assert world.versions()["protobuf"] == "5.29.6"


def test_the_cell_does_nothing_outside_colab(tmp_path):
    cell = colab.colab_cell_source(REPO)
    result = subprocess.run([sys.executable, "-c", cell + "\nprint('R' in dir())"], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr


def test_cell_source_shape():
    cell = colab.colab_cell_source(REPO)
    assert cell.startswith(colab.CELL_MARKER)
    compile(cell, "cell", "exec")
    assert "utils.colab.setup(R)" in cell and "-q" not in cell.replace("git clone -q", "")
    assert len(cell.splitlines()) <= 9  # a short cell: the logic lives in utils/colab.py


def test_requirements_split_and_the_real_file():
    resolved, no_deps = colab.split_requirements("a==1\n# c\nb==2  # --no-deps: why\n\nc==3 # note\n")
    assert resolved == ["a==1", "c==3"] and no_deps == ["b==2"]
    resolved, no_deps = colab.split_requirements((REPO / colab.REQUIREMENTS).read_text())
    assert no_deps == ["keras-hub==0.32.0"]
    names = {r.split("==")[0].lower().replace("_", "-") for r in resolved + no_deps}
    assert not names & set(colab.PROTECTED), "a protected Colab package is in requirements-colab.txt"
    assert all("==" in r for r in resolved + no_deps)
