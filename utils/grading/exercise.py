"""One graded exercise, declared in a few lines: ``q1.check()``, ``q1.hint()``, ``q1.solution()``.

An exercise is split along the line the grader trusts::

    q1 = Exercise(
        "q1", points=2, target="count_vowels",
        cases=lambda rng: [[word] for word in rng.choice(WORDS, size=5)],   # grader: inputs, fresh each time
        expected=lambda case: sum(ch in "aeiou" for ch in case[0].lower()),  # grader: the reference answer
        hints=["Loop over the lower-cased text.", "`sum(ch in 'aeiou' for ch in text.lower())`"],
        wrong={"counts upper-case vowels as consonants": "def count_vowels(t): return sum(c in 'aeiou' for c in t)"},
    )

* ``cases(rng)`` draws the inputs (plain data) from a random generator seeded by whoever grades.
* ``run(obj, case)`` is the only part that runs next to the learner's code: it calls the learner's
  object on one input and returns what came out. The default calls ``obj(*case)``. It may build
  objects (a tiny model, a tokenizer) from the plain input first, and may raise :class:`Incorrect`
  for an answer of the wrong kind. Whatever it returns is turned into plain data (:mod:`.plain`).
* ``expected(case)`` computes the reference answer and ``compare(got, want, case)`` judges; both run
  where the grade is decided (the grader's own process), never in the learner's kernel.
* ``wrong`` lists the plausible wrong answers the checks must reject (tests run each of them).

The statement of the task lives in the notebook (markdown above the solution cell), and the
solution shown by ``solution()`` is the notebook's ``# BEGIN SOLUTION`` block, extracted by
``course build`` into ``utils/exercises/solutions.json``: one source for both.
"""
from __future__ import annotations

import inspect
import json
import re
import secrets
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from utils.grading.plain import NotPlain, describe, from_plain, to_plain

__all__ = ["Exercise", "Incorrect", "Outcome", "expect", "MISSING", "STATUSES", "close", "same"]

CORRECT, INCORRECT, NOT_ATTEMPTED, ERROR, TIMEOUT, NOT_GRADED = (
    "correct", "incorrect", "not attempted", "error", "timeout", "not graded")
STATUSES = (CORRECT, INCORRECT, NOT_ATTEMPTED, ERROR, TIMEOUT, NOT_GRADED)
SOLUTIONS_FILE = Path(__file__).resolve().parent.parent / "exercises" / "solutions.json"

# Errors a learner did not expect, and what they usually mean.
COMMON_ERRORS = {
    r"mix of binary and continuous|continuous-multioutput|multilabel-indicator and binary":
        "scikit-learn got scores where it wants class ids: take `argmax` over the class axis first",
    r"can't convert .*cuda.* to numpy|can't call numpy\(\) on Tensor that requires grad":
        "convert tensors with `.detach().cpu().numpy()` (or `.item()` for one number)",
    r"'NoneType' object is not (subscriptable|iterable)|NoneType.* has no attribute":
        "a function returned nothing: is a `return` missing?",
    r"object is not callable": "a name you call was overwritten by a value; re-run the cell that defines it",
    r"is not defined": "the function uses a name defined in another cell: run that cell first, or define it inside",
    r"shapes? .* (mismatch|cannot be multiplied)|size of tensor a .* must match":
        "array shapes disagree: print `.shape` of each operand",
}


class Incorrect(AssertionError):
    """The answer is wrong; the message tells the learner why."""


def expect(condition: bool, message: str) -> None:
    """Raise :class:`Incorrect` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise Incorrect(message)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Stands for "the learner has not defined the target yet"."""


@dataclass
class Outcome:
    """The verdict on one exercise."""

    name: str
    status: str
    points: float
    max_points: float
    message: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def to_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        """The one line shown in the notebook."""
        if self.correct:
            return f"✓ {self.name} correct ({points_text(self.points, self.max_points)})"
        if self.status == NOT_ATTEMPTED:
            return f"✗ {self.name}: not attempted yet — {self.message}"
        return f"✗ {self.name}: {self.message}"


def points_text(points: float, max_points: float | None = None) -> str:
    """``1 point``, ``2 points``, ``1/2 points``."""
    shown = f"{points:g}" if max_points is None else f"{points:g}/{max_points:g}"
    return f"{shown} point" + ("" if (max_points if max_points is not None else points) == 1 else "s")


# -- comparisons (run by the grader) -------------------------------------------------------------
def same(got: Any, want: Any, case: Any = None, what: str = "the result") -> None:
    """Exact equality of plain data, with a readable message."""
    if isinstance(want, np.ndarray) or isinstance(got, np.ndarray):
        expect(isinstance(got, np.ndarray) == isinstance(want, np.ndarray) and np.shape(got) == np.shape(want)
               and bool(np.all(np.asarray(got) == np.asarray(want))),
               f"{_for(case)}{what}{_is(what)} {describe(got)}; expected {describe(want)}")
        return
    expect(type(got) is type(want) or (isinstance(got, (int, float)) and isinstance(want, (int, float))
                                       and not isinstance(got, bool) and not isinstance(want, bool)),
           f"{_for(case)}{what}{_is(what)} a {type(got).__name__} ({describe(got, 60)}); expected a {type(want).__name__}")
    expect(got == want, f"{_for(case)}{what}{_is(what)} {describe(got)}; expected {describe(want)}")


def close(got: Any, want: Any, case: Any = None, what: str = "the result", atol: float = 1e-6,
          rtol: float = 1e-5) -> None:
    """Numbers or arrays equal within a tolerance (shapes must match)."""
    try:
        g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"{_for(case)}{what} should be numbers, got {describe(got)}") from None
    expect(g.shape == w.shape, f"{_for(case)}{what} has shape {g.shape}; expected {w.shape}")
    expect(bool(np.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True)),
           f"{_for(case)}{what}{_is(what)} {describe(_short(g))}; expected {describe(_short(w))}")


def _short(a: np.ndarray) -> Any:
    return round(float(a), 6) if a.ndim == 0 else np.round(a, 4).tolist()


def _is(what: str) -> str:
    return "" if what.endswith("returned") else " is"


def _for(case: Any) -> str:
    return "" if case is None else f"for {describe(case, 80)}: "


def _call(obj: Any, case: Any) -> Any:
    return obj(*case) if isinstance(case, (list, tuple)) else obj(case)


def _value(obj: Any, case: Any) -> Any:
    return obj


class Exercise:
    """One graded exercise (see the module docstring)."""

    def __init__(
        self,
        name: str,
        points: float,
        target: str,
        *,
        expected: Callable[[Any], Any],
        cases: Callable[[np.random.Generator], Sequence] | None = None,
        run: Callable[[Any, Any], Any] | None = None,
        compare: Callable[[Any, Any, Any], None] | None = None,
        kind: str = "function",
        hints: Sequence[str] = (),
        wrong: dict[str, str] | None = None,
        explain: dict[str, str] | None = None,
        time_limit: float = 60.0,
        lesson: str | None = None,
    ) -> None:
        if not re.fullmatch(r"q\d+", name or ""):
            raise ValueError(f"an exercise is named q1, q2, …; got {name!r}")
        if not isinstance(target, str) or not target.isidentifier():
            raise ValueError(f"{name}: target must be a Python identifier, got {target!r}")
        if kind not in ("function", "value"):
            raise ValueError(f"{name}: kind is 'function' or 'value', got {kind!r}")
        for label, fn in (("expected", expected), ("cases", cases), ("run", run), ("compare", compare)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name}: {label} must be a function")
        if not points > 0:
            raise ValueError(f"{name}: points must be > 0, got {points}")
        self.name, self.points, self.target, self.kind = name, points, target, kind
        self.expected = expected
        self.cases = cases or (lambda rng: [None])
        self.run = run or (_call if kind == "function" else _value)
        self.compare = compare or self._default_compare
        self.hints = list(hints)
        self.wrong = dict(wrong or {})
        self.explain = {**COMMON_ERRORS, **(explain or {})}
        self.time_limit = time_limit
        self.lesson = lesson or _lesson_of_caller()
        self._hints_shown = 0

    @property
    def number(self) -> int:
        return int(self.name[1:])

    def __repr__(self) -> str:
        return f"<Exercise {self.name} ({points_text(self.points)}): define `{self.target}`>"

    def _repr_markdown_(self) -> str:
        what = "a function" if self.kind == "function" else "a variable"
        return (f"**Exercise {self.number}** ({points_text(self.points)}): define {what} `{self.target}`, "
                f"then run `{self.name}.check()`.")

    # -- the three steps ---------------------------------------------------------------------------
    def draw(self, seed: int) -> list:
        """The inputs for one grading, drawn from ``seed`` (plain data, checked)."""
        cases = list(self.cases(np.random.default_rng(seed)))
        if not cases:
            raise ValueError(f"{self.name}: cases() returned no inputs")
        return json.loads(json.dumps(cases))

    def observe(self, obj: Any, cases: list, deadline: float | None = None) -> dict:
        """Call the learner's object on every input; plain data only (runs next to the learner's code)."""
        if obj is MISSING:
            return {"state": "missing"}
        if self.kind == "function" and not callable(obj):
            return {"state": "not callable", "type": type(obj).__name__}
        outputs = []
        for case in cases:
            if deadline is not None and time.monotonic() > deadline:
                outputs.append({"timeout": f"stopped after {self.time_limit:g} s"})
                break
            try:
                outputs.append({"value": to_plain(self.run(obj, case))})
            except NotImplementedError:
                return {"state": "placeholder"}
            except (Incorrect, NotPlain) as exc:
                outputs.append({"refused": str(exc)})
            except (Exception, SystemExit) as exc:  # the learner's code failed on this input
                outputs.append({"error": f"{type(exc).__name__}: {exc}"[:500]})
        return {"state": "ran", "outputs": outputs}

    def judge(self, observation: Any, cases: list) -> Outcome:
        """The verdict, computed from plain observations and this exercise's own references."""
        def verdict(status: str, message: str = "") -> Outcome:
            return Outcome(self.name, status, self.points if status == CORRECT else 0, self.points, message)

        if not isinstance(observation, dict):
            return verdict(NOT_GRADED, "no observation came back from the notebook")
        state = observation.get("state")
        if state == "missing":
            return verdict(NOT_ATTEMPTED, f"`{self.target}` is not defined; run your solution cell first")
        if state == "placeholder":
            return verdict(NOT_ATTEMPTED, f"replace the placeholder in `{self.target}` with your code")
        if state == "not callable":
            return verdict(INCORRECT, f"`{self.target}` should be a function, not a {observation.get('type', '?')}")
        outputs = observation.get("outputs")
        if state != "ran" or not isinstance(outputs, list):
            return verdict(NOT_GRADED, "the notebook's report is malformed")
        for index, case in enumerate(cases):
            if index >= len(outputs):
                return verdict(TIMEOUT if any("timeout" in o for o in outputs if isinstance(o, dict)) else ERROR,
                               f"checked only {len(outputs)} of {len(cases)} inputs")
            out = outputs[index]
            if not isinstance(out, dict):
                return verdict(NOT_GRADED, "the notebook's report is malformed")
            if "timeout" in out:
                return verdict(TIMEOUT, f"`{self.target}` took too long: {out['timeout']}")
            if "error" in out:
                return verdict(ERROR, self._explained(f"your code raised {out['error']}"))
            if "refused" in out:
                return verdict(INCORRECT, str(out["refused"]))
            try:
                got = from_plain(out.get("value"))
            except NotPlain as exc:
                return verdict(NOT_GRADED, f"the notebook's report is malformed: {exc}")
            want = self.expected(case)
            try:
                self.compare(got, want, case)
            except AssertionError as exc:
                return verdict(INCORRECT, str(exc) or "not the expected answer")
            except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
                return verdict(INCORRECT, f"the answer has an unexpected form ({type(exc).__name__}: {exc})")
        return verdict(CORRECT)

    def evaluate(self, answer: Any = MISSING, seed: int | None = None) -> Outcome:
        """Draw inputs, observe ``answer`` on them, judge: the whole check in this process."""
        cases = self.draw(secrets.randbits(32) if seed is None else seed)
        observation = self.observe(answer, cases, time.monotonic() + self.time_limit)
        return self.judge(json.loads(json.dumps(observation)), cases)

    def call_text(self, case: Any) -> str:
        """``count_vowels('banana')``: how the learner's function was called on ``case``."""
        if self.kind == "value":
            return f"`{self.target}`"
        args = case if isinstance(case, (list, tuple)) else [case]
        text = f"{self.target}({', '.join(describe(a, 60) for a in args)})"
        return text if len(text) <= 140 else text[:139] + "…"

    def _default_compare(self, got: Any, want: Any, case: Any) -> None:
        what = f"{self.call_text(case)} returned" if self.kind == "function" else self.call_text(case)
        if isinstance(want, float) or isinstance(want, np.ndarray) and want.dtype.kind == "f" \
                or isinstance(want, list) and want and all(isinstance(w, float) for w in want):
            close(got, want, what=what)
        else:
            same(got, want, what=what)

    def _explained(self, message: str) -> str:
        for pattern, meaning in self.explain.items():
            if re.search(pattern, message, flags=re.IGNORECASE):
                return f"{message} — this usually means: {meaning}"
        return message

    # -- in the notebook ---------------------------------------------------------------------------
    def check(self, answer: Any = MISSING) -> None:
        """Print ✓ or ✗ with a reason; without ``answer``, read ``target`` from the notebook."""
        try:
            if answer is MISSING:
                answer = _lookup(self.target, inspect.currentframe())
            result = self.evaluate(answer)
        except Exception as exc:  # a check must never break the learner's notebook
            result = Outcome(self.name, ERROR, 0, self.points, f"could not check: {type(exc).__name__}: {exc}")
        print(result.line())
        try:
            from utils.grading.progress import record

            record(self.lesson, result)
        except Exception:  # progress is a convenience; never fail a check because of it
            pass

    def hint(self, level: int | None = None) -> None:
        """Show the next hint (or hint number ``level``, counting from 1)."""
        if not self.hints:
            _show(f"No hints for {self.name}; `{self.name}.solution()` shows a solution.")
            return
        if level is None:
            level = min(self._hints_shown + 1, len(self.hints))
        if not isinstance(level, int) or not 1 <= level <= len(self.hints):
            raise ValueError(f"{self.name} has hints 1..{len(self.hints)}, not {level!r}")
        self._hints_shown = max(self._hints_shown, level)
        more = "" if level < len(self.hints) else " (last hint)"
        _show(f"**Hint {level}/{len(self.hints)} for {self.name}{more}:** {self.hints[level - 1]}")

    def solution_code(self) -> str:
        """The notebook's solution block for this exercise ('' when none is recorded)."""
        try:
            stored = json.loads(SOLUTIONS_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return ""
        return stored.get(self.lesson or "", {}).get(self.name, "")

    def solution(self) -> None:
        """Show the solution: the notebook's own solution block."""
        code = self.solution_code()
        if not code:
            _show(f"No solution is recorded for {self.name}.")
            return
        _show(f"**Solution for {self.name}:**\n\n```python\n{code}\n```")


def _show(markdown: str) -> None:
    """Rendered Markdown in Jupyter, plain text elsewhere."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        from IPython.display import Markdown, display

        display(Markdown(markdown))
        return
    text = re.sub(r"```python\n|\n?```", "", markdown).replace("**", "")
    print(text)


def _lesson_of_caller() -> str | None:
    """``"05"`` when the exercise is declared in a file named ``lesson05.py``."""
    frame = sys._getframe(2)
    match = re.fullmatch(r"lesson(\d\d)", Path(frame.f_globals.get("__file__") or "").stem)
    return match.group(1) if match else None


def _lookup(name: str, frame) -> Any:
    """``name`` from the globals of the caller of ``frame`` (``check``), else from ``__main__``."""
    caller = frame.f_back if frame is not None else None
    try:
        if caller is not None and name in caller.f_globals:
            return caller.f_globals[name]
    finally:
        del frame, caller
    main = sys.modules.get("__main__")
    return getattr(main, name, MISSING)
