"""CONTRIBUTING's module map names every module and package of utils/ (and nothing that is gone)."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_module_map_matches_the_tree():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    section = text[text.index("## `utils/`"):text.index("## Writing an exercise")]
    listed = set()
    for row in re.findall(r"^\| (.+?) \|", section, flags=re.MULTILINE):
        listed |= {name.rstrip("/") for name in re.findall(r"`([\w./]+)`", row)}
    utils = ROOT / "utils"
    present = {p.stem for p in utils.glob("*.py") if p.stem != "__init__"}
    present |= {p.name for p in utils.glob("*.toml")}
    present |= {p.name for p in utils.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(present - listed)
    assert not missing, f"CONTRIBUTING.md's module map misses: {missing}"
    gone = sorted(name for name in listed if "." not in name and name not in present)
    assert not gone, f"CONTRIBUTING.md lists modules that do not exist: {gone}"
    grading = {p.stem for p in (utils / "grading").glob("*.py") if p.stem != "__init__"}
    row = next(r for r in section.splitlines() if r.startswith("| `grading/`"))
    named = set(re.findall(r"`(\w+)`", row))
    assert grading <= named, f"the grading/ row misses {sorted(grading - named)}"
