"""Lesson 08 exercises: an answer's characters → its tokens in one window, the best spans over windows,
dense retrieval by cosine similarity.

Each grading draws new inputs: question/context pairs cut by the course tokenizer into windows of a drawn
length and stride, with answers inside a window, outside it, straddling its edge and at the very start of
the context (where question tokens have the same character numbers); windows of made-up logits in which
question tokens, spans that end before they start, spans one token too long and spans shared by two
overlapping windows are each tempting; and question/passage vectors whose lengths differ widely, so that
the dot product, the distance and the cosine rank them differently.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, Incorrect, expect
from utils.grading.plain import describe

# ------------------------------------------------------------------------------------------ q1
# (question, context, answer): every answer occurs once in its context; some sit at its very start.
PAIRS = [
    ("Who found the golden ball?", "The frog found the golden ball at the bottom of the well and brought it back to "
     "the princess, who had promised to share her plate and her little bed with him in return.", "The frog"),
    ("Where did the king's daughter sit?", "In the shade of an old lime tree the king's daughter sat by the cool "
     "well, tossing her golden ball into the air and catching it again, for that was her favourite game.",
     "In the shade of an old lime tree"),
    ("How many daughters did Mr. Bennet have?", "Five daughters and a silly wife made up the household at Longbourn, "
     "and Mr. Bennet spent most of his days in the library, where he could be sure of some peace.",
     "Five daughters"),
    ("What did Hamlet hold in the graveyard?", "Standing among the open graves, Hamlet held the skull of Yorick, the "
     "king's jester, and remembered how the man had carried him on his back a thousand times.",
     "the skull of Yorick"),
    ("Why did Anne stay at home?", "Anne stayed at home because her little nephew had fallen from a tree and "
     "someone had to sit with him while the rest of the family dined at the Great House that evening.",
     "because her little nephew had fallen from a tree"),
    ("When did the wolf reach the cottage?", "The wolf ran straight to the grandmother's cottage and knocked at "
     "the door a little after noon, long before Little Red Riding Hood had finished picking her flowers.",
     "a little after noon"),
]


@lru_cache(maxsize=1)
def _tokenizer():
    from transformers import AutoTokenizer

    from utils.resources import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder"))


def _windows(question, context, max_length, stride):
    from utils.qa import encode_windows

    enc = encode_windows(_tokenizer(), [question], [context], max_length, stride)
    return [{"offsets": [list(map(int, o)) for o in enc["offset_mapping"][i]],
             "sequence_ids": enc.sequence_ids(i)} for i in range(len(enc["input_ids"]))]


def _kind(window, start_char, end_char):
    spans = [o for o, s in zip(window["offsets"], window["sequence_ids"]) if s == 1]
    first, last = spans[0][0], spans[-1][1]
    if first <= start_char and end_char <= last:
        return "inside"
    if end_char <= first or start_char >= last:
        return "outside"
    return "straddling the end" if start_char >= first else "straddling the start"


KINDS = ("at the start", "inside", "outside", "straddling the end", "straddling the start")


def _span_cases(rng):
    """Windows of several pairs and sizes: the answer at the context's start, inside, outside, and straddling
    either edge of a window; two of each kind (when drawn), shuffled."""
    by_kind: dict[str, list] = {kind: [] for kind in KINDS}
    for index in rng.permutation(len(PAIRS)):
        question, context, answer = PAIRS[index]
        start = context.index(answer)
        for max_length in rng.choice(range(22, 34), size=3, replace=False):
            for window in _windows(question, context, int(max_length), int(rng.choice([4, 6, 8]))):
                case = {**window, "start_char": start, "end_char": start + len(answer)}
                kind = _kind(window, start, start + len(answer))
                by_kind["at the start" if kind == "inside" and start == 0 else kind].append(case)
    cases = []
    for kind in KINDS:
        for i in rng.permutation(len(by_kind[kind]))[:2]:
            cases.append(by_kind[kind][int(i)])
    return [cases[i] for i in rng.permutation(len(cases))]


def _run_span(answer_token_span, case):
    out = answer_token_span([tuple(o) for o in case["offsets"]], list(case["sequence_ids"]), case["start_char"],
                            case["end_char"])
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           f"return a (start_token, end_token) pair, got {describe(out, 80)}")
    return [int(x) if isinstance(x, (int, np.integer)) and not isinstance(x, bool) else x for x in out]


def _expected_span(case):
    from utils.qa import answer_positions

    return list(answer_positions(case["offsets"], case["sequence_ids"], case["start_char"], case["end_char"]))


def _compare_span(got, want, case):
    expect(all(isinstance(x, int) and not isinstance(x, bool) for x in got),
           f"return two ints (token positions), got {describe(got, 80)}")
    kind = _kind(case, case["start_char"], case["end_char"])
    where = (f"answer at characters {case['start_char']}–{case['end_char']}, a window whose context covers characters "
             f"{[o for o, s in zip(case['offsets'], case['sequence_ids']) if s == 1][0][0]}–"
             f"{[o for o, s in zip(case['offsets'], case['sequence_ids']) if s == 1][-1][1]}")
    if got == want:
        return
    if want == [0, 0]:
        raise Incorrect(f"{where}: you returned {tuple(got)}, but the window does not hold the whole answer "
                        f"({kind}): return (0, 0), the [CLS] token")
    s, e = got
    ids = case["sequence_ids"]
    expect(0 <= s < len(ids) and 0 <= e < len(ids), f"{where}: ({s}, {e}) is outside the window's {len(ids)} tokens")
    expect(ids[s] == 1 and ids[e] == 1, f"{where}: ({s}, {e}) points at a token that is not context "
           f"(sequence id {ids[s]} / {ids[e]}); question tokens have character offsets too, into the question: "
           "look only at tokens whose sequence id is 1")
    expect(s == want[0], f"{where}: the answer starts at token {want[0]} (offsets {tuple(case['offsets'][want[0]])}), "
           f"you returned {s}")
    raise Incorrect(f"{where}: the answer ends at token {want[1]} (offsets {tuple(case['offsets'][want[1]])}, "
                    f"inclusive), you returned {e}")


_Q1 = ("def answer_token_span(offsets, sequence_ids, start_char, end_char):\n"
       "    context = [k for k, s in enumerate(sequence_ids) if s == 1]\n"
       "    if offsets[context[0]][0] > start_char or offsets[context[-1]][1] < end_char:\n"
       "        return 0, 0\n"
       "    start = next(k for k in context if offsets[k][1] > start_char)\n"
       "    end = next(k for k in reversed(context) if offsets[k][0] < end_char)\n"
       "    return start, end\n")

q1 = Exercise(
    "q1", points=2, target="answer_token_span",
    cases=_span_cases, run=_run_span, expected=_expected_span, compare=_compare_span,
    hints=[
        "First find the context tokens: the positions `k` with `sequence_ids[k] == 1`. If the first context token "
        "starts after `start_char`, or the last one ends before `end_char`, the answer is not (wholly) in this "
        "window: return `(0, 0)`.",
        "Otherwise the start token is the first context token whose end offset is past `start_char`, and the end "
        "token the last context token whose start offset is before `end_char`.",
    ],
    wrong={
        "end exclusive": _Q1.replace("    return start, end\n", "    return start, end + 1\n"),
        "question tokens not excluded": (
            "def answer_token_span(offsets, sequence_ids, start_char, end_char):\n"
            "    start = end = 0\n"
            "    for k, (a, b) in enumerate(offsets):\n"
            "        if a <= start_char < b and start == 0:\n"
            "            start = k\n"
            "        if a < end_char <= b:\n"
            "            end = k\n"
            "    return start, end\n"),
        "a straddling answer clipped to the window": (
            "def answer_token_span(offsets, sequence_ids, start_char, end_char):\n"
            "    context = [k for k, s in enumerate(sequence_ids) if s == 1]\n"
            "    if offsets[context[0]][0] >= end_char or offsets[context[-1]][1] <= start_char:\n"
            "        return 0, 0\n"
            "    start = next((k for k in context if offsets[k][1] > start_char), context[0])\n"
            "    end = next((k for k in reversed(context) if offsets[k][0] < end_char), context[-1])\n"
            "    return start, end\n"),
        "only the start checked": _Q1.replace(" or offsets[context[-1]][1] < end_char", "").replace(
            "    end = next(k for k in reversed(context) if offsets[k][0] < end_char)\n",
            "    end = next((k for k in reversed(context) if offsets[k][0] < end_char), context[-1])\n"),
        "None when it is not there": _Q1.replace("        return 0, 0\n", "        return None\n"),
    },
)


# ------------------------------------------------------------------------------------------ q2
def _window(rng, first_char, n_context, question_len, trap_question):
    """One window: [CLS] question [SEP] context [SEP]; made-up logits, offsets None outside the context."""
    n = 1 + question_len + 1 + n_context + 1
    start, end = rng.normal(0, 1.0, size=n), rng.normal(0, 1.0, size=n)
    offsets = [None] * (2 + question_len)
    char = first_char
    for _ in range(n_context):
        width = int(rng.integers(2, 8))
        offsets.append([char, char + width])
        char += width + 1
    offsets.append(None)
    if trap_question:  # the highest logits of all on question tokens and [CLS]
        start[int(rng.integers(1, 1 + question_len))] += 6
        end[int(rng.integers(1, 1 + question_len))] += 6
        start[0] += 5
        end[0] += 5
    return {"start_logits": np.round(start, 3).tolist(), "end_logits": np.round(end, 3).tolist(), "offsets": offsets}


def _top_cases(rng):
    cases = []
    for trap in rng.permutation(["overlap", "order", "length"]):
        question_len, n_context = int(rng.integers(3, 6)), int(rng.integers(8, 13))
        first = _window(rng, 0, n_context, question_len, trap_question=True)
        # the second window starts a few context tokens before the first ends (the stride's overlap)
        overlap = int(rng.integers(3, 5))
        shift = n_context - overlap
        second = _window(rng, first["offsets"][2 + question_len + shift][0], n_context, question_len, trap_question=False)
        for j in range(overlap):  # the shared tokens have the same characters in both windows
            second["offsets"][2 + question_len + j] = list(first["offsets"][2 + question_len + shift + j])
        windows = [first, second]
        max_len = int(rng.integers(2, 5))
        c1, c2 = 2 + question_len, 2 + question_len  # first context token of each window
        if trap == "overlap":  # the best span of all lies in the shared part, strong in both windows
            s = c2 + int(rng.integers(0, overlap - 1))
            second["start_logits"][s] += 7
            second["end_logits"][s + 1] += 7
            first["start_logits"][s + shift] += 6
            first["end_logits"][s + 1 + shift] += 6
        elif trap == "order":  # a strong end before a strong start
            s = c2 + int(rng.integers(4, n_context - 1))
            second["start_logits"][s] += 5
            second["end_logits"][s - 1] += 6
        else:  # a strong pair one token too long, in the first window
            s = c1 + int(rng.integers(0, n_context - max_len - 1))
            first["start_logits"][s] += 5
            first["end_logits"][s + max_len] += 5
        rng.shuffle(windows)
        windows = [{k: (np.round(v, 3).tolist() if k != "offsets" else v) for k, v in w.items()} for w in windows]
        cases.append({"windows": windows, "max_answer_length": max_len, "top": int(rng.integers(3, 6))})
    return cases


def reference_top_spans(windows, max_answer_length, top):
    """Every valid span of every window (both ends context, start <= end, at most max_answer_length tokens),
    scored start + end logit; one entry per character span (its best score); the ``top`` best."""
    best: dict[tuple[int, int], float] = {}
    for w in windows:
        offsets = w["offsets"]
        for s, so in enumerate(offsets):
            for e in range(s, min(len(offsets), s + max_answer_length)):
                if so is None or offsets[e] is None:
                    continue
                key, score = (int(so[0]), int(offsets[e][1])), float(w["start_logits"][s] + w["end_logits"][e])
                if score > best.get(key, float("-inf")):
                    best[key] = score
    ranked = sorted(best.items(), key=lambda item: -item[1])[:top]
    return [[s, e, score] for (s, e), score in ranked]


def _run_top(top_spans, case):
    windows = [{"start_logits": np.array(w["start_logits"]), "end_logits": np.array(w["end_logits"]),
                "offsets": [None if o is None else tuple(o) for o in w["offsets"]]} for w in case["windows"]]
    out = top_spans(windows, case["max_answer_length"], case["top"])
    expect(isinstance(out, (list, tuple)), f"return a list of (start_char, end_char, score), got {describe(out, 80)}")
    rows = []
    for row in out:
        expect(isinstance(row, (list, tuple)) and len(row) == 3,
               f"each entry should be (start_char, end_char, score), got {describe(row, 80)}")
        rows.append([int(row[0]), int(row[1]), float(row[2])])
    return rows


def _compare_top(got, want, case):
    where = (f"for {len(case['windows'])} windows with max_answer_length={case['max_answer_length']}, "
             f"top={case['top']}")
    scores = {(s, e): score for s, e, score in reference_top_spans(case["windows"], case["max_answer_length"], 10**6)}
    seen = set()
    for s, e, score in got:
        expect((s, e) in scores, f"{where}: ({s}, {e}) is not a valid answer span: both ends must be context tokens "
               "(offsets not None), start <= end, at most max_answer_length tokens")
        expect((s, e) not in seen, f"{where}: the span ({s}, {e}) is listed twice; overlapping windows share "
               "tokens, keep each character span once (with its best score)")
        seen.add((s, e))
        expect(abs(score - scores[(s, e)]) < 1e-6, f"{where}: ({s}, {e}) has score {score:.3f}; its best "
               f"start + end logit over the windows is {scores[(s, e)]:.3f}")
    expect(len(got) == len(want), f"{where}: you returned {len(got)} spans; expected {len(want)}")
    got_scores = [row[2] for row in got]
    expect(got_scores == sorted(got_scores, reverse=True), f"{where}: list the spans best first")
    for g, w in zip(got, want):
        expect(abs(g[2] - w[2]) < 1e-6, f"{where}: your spans score {[round(x, 3) for x in got_scores]}; the best "
               f"ones score {[round(w[2], 3) for w in want]} (the best is ({want[0][0]}, {want[0][1]}))")


_Q2 = ("def top_spans(windows, max_answer_length, top):\n"
       "    best = {}\n"
       "    for w in windows:\n"
       "        offsets = w['offsets']\n"
       "        for s in range(len(offsets)):\n"
       "            for e in range(s, min(len(offsets), s + max_answer_length)):\n"
       "                if offsets[s] is None or offsets[e] is None:\n"
       "                    continue\n"
       "                key = (offsets[s][0], offsets[e][1])\n"
       "                score = float(w['start_logits'][s] + w['end_logits'][e])\n"
       "                best[key] = max(score, best.get(key, float('-inf')))\n"
       "    ranked = sorted(best.items(), key=lambda item: -item[1])[:top]\n"
       "    return [(s, e, score) for (s, e), score in ranked]\n")

q2 = Exercise(
    "q2", points=2, target="top_spans",
    cases=_top_cases, run=_run_top, expected=lambda case: reference_top_spans(**case), compare=_compare_top,
    hints=[
        "Loop over the windows, and in each over the pairs `s <= e < s + max_answer_length`; skip a pair when "
        "`offsets[s]` or `offsets[e]` is None (not context). The span's characters are "
        "`(offsets[s][0], offsets[e][1])`.",
        "Keep a dict from (start_char, end_char) to the best score seen, so a span met in two windows counts "
        "once; then `sorted(best.items(), key=lambda item: -item[1])[:top]`.",
    ],
    wrong={
        "no dedup across windows": (
            "def top_spans(windows, max_answer_length, top):\n"
            "    spans = []\n"
            "    for w in windows:\n"
            "        o = w['offsets']\n"
            "        for s in range(len(o)):\n"
            "            for e in range(s, min(len(o), s + max_answer_length)):\n"
            "                if o[s] is not None and o[e] is not None:\n"
            "                    spans.append((o[s][0], o[e][1], float(w['start_logits'][s] + w['end_logits'][e])))\n"
            "    return sorted(spans, key=lambda x: -x[2])[:top]\n"),
        "one token too many": _Q2.replace("s + max_answer_length)", "s + max_answer_length + 1)"),
        "the first window only": _Q2.replace("    for w in windows:\n", "    for w in windows[:1]:\n"),
        "end before start allowed": _Q2.replace("range(s, min(len(offsets), s + max_answer_length))",
                                                "range(max(0, s - max_answer_length + 1), min(len(offsets), s + max_answer_length))"),
        "separate argmaxes": (
            "import numpy as np\n"
            "def top_spans(windows, max_answer_length, top):\n"
            "    out = []\n"
            "    for w in windows:\n"
            "        ctx = np.array([o is not None for o in w['offsets']])\n"
            "        st = np.where(ctx, w['start_logits'], -np.inf); en = np.where(ctx, w['end_logits'], -np.inf)\n"
            "        s, e = int(st.argmax()), int(en.argmax())\n"
            "        out.append((w['offsets'][s][0], w['offsets'][e][1], float(st[s] + en[e])))\n"
            "    return sorted(out, key=lambda x: -x[2])[:top]\n"),
    },
)


# ------------------------------------------------------------------------------------------ q3
def _retrieve_cases(rng):
    cases = []
    for _ in range(3):
        dim, n_passages, n_questions = int(rng.integers(6, 13)), int(rng.integers(12, 31)), int(rng.integers(3, 7))
        directions = rng.normal(size=(n_passages, dim))
        norms = rng.choice([0.2, 1.0, 5.0, 20.0], size=n_passages)  # lengths that differ widely
        passages = directions / np.linalg.norm(directions, axis=1, keepdims=True) * norms[:, None]
        picks = rng.integers(0, n_passages, size=n_questions)  # each question near a passage of its own
        questions = directions[picks] + rng.normal(scale=0.6, size=(n_questions, dim))
        questions *= rng.choice([0.5, 3.0], size=(n_questions, 1))
        cases.append({"questions": np.round(questions, 4).tolist(), "passages": np.round(passages, 4).tolist(),
                      "k": int(rng.integers(2, 6))})
    return cases


def _run_retrieve(retrieve, case):
    out = retrieve(np.array(case["questions"]), np.array(case["passages"]), case["k"])
    out = np.asarray(out)
    expect(out.ndim == 2, f"return one row of passage indices per question (a 2-D array or list of lists), got "
           f"shape {out.shape}")
    return out.astype(int).tolist()


def _expected_retrieve(case):
    from utils.qa import top_k

    return top_k(case["questions"], case["passages"], case["k"]).tolist()


def _compare_retrieve(got, want, case):
    n, k, m = len(case["questions"]), case["k"], len(case["passages"])
    where = f"for {n} questions, {m} passages and k={k}"
    expect(len(got) == n, f"{where}: you returned {len(got)} rows; expected one per question")
    q, p = np.array(case["questions"]), np.array(case["passages"])
    cosine = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (p / np.linalg.norm(p, axis=1, keepdims=True)).T
    dot = q @ p.T
    for i, (row, ref) in enumerate(zip(got, want)):
        expect(len(row) == k, f"{where}: question {i} got {len(row)} passages; expected k={k}")
        expect(all(0 <= j < m for j in row), f"{where}: question {i} got indices {row}, outside 0..{m - 1}")
        if row == ref:
            continue
        if sorted(row) == sorted(ref):
            raise Incorrect(f"{where}: question {i} got the right passages in the wrong order {row}; list them most "
                            f"similar first: {ref}")
        if row == np.argsort(-dot[i], kind="stable")[:k].tolist():
            raise Incorrect(f"{where}: question {i} got {row}, the highest dot products; the passages' lengths "
                            "differ, so divide by them: cosine similarity")
        raise Incorrect(f"{where}: question {i} got {row}; the {k} passages of highest cosine similarity are {ref} "
                        f"(cosines {np.round(cosine[i, ref], 3).tolist()})")


q3 = Exercise(
    "q3", points=1, target="retrieve",
    cases=_retrieve_cases, run=_run_retrieve, expected=_expected_retrieve, compare=_compare_retrieve,
    hints=[
        "Divide every row by its length (`np.linalg.norm(x, axis=1, keepdims=True)`), then one matrix product "
        "gives all cosines: `q @ p.T` (questions × passages).",
        "`np.argsort(-similarity, axis=1)[:, :k]`: the minus sign puts the most similar first.",
    ],
    wrong={
        "the right k in index order": (
            "import numpy as np\n"
            "def retrieve(question_vectors, passage_vectors, k):\n"
            "    q = question_vectors / np.linalg.norm(question_vectors, axis=1, keepdims=True)\n"
            "    p = passage_vectors / np.linalg.norm(passage_vectors, axis=1, keepdims=True)\n"
            "    return [sorted(row) for row in np.argsort(-(q @ p.T), axis=1)[:, :k].tolist()]\n"),
        "dot product": (
            "import numpy as np\n"
            "def retrieve(question_vectors, passage_vectors, k):\n"
            "    return np.argsort(-(question_vectors @ passage_vectors.T), axis=1)[:, :k]\n"),
        "least similar first": (
            "import numpy as np\n"
            "def retrieve(question_vectors, passage_vectors, k):\n"
            "    q = question_vectors / np.linalg.norm(question_vectors, axis=1, keepdims=True)\n"
            "    p = passage_vectors / np.linalg.norm(passage_vectors, axis=1, keepdims=True)\n"
            "    return np.argsort(q @ p.T, axis=1)[:, :k]\n"),
        "Euclidean distance": (
            "import numpy as np\n"
            "def retrieve(question_vectors, passage_vectors, k):\n"
            "    d = np.linalg.norm(question_vectors[:, None, :] - passage_vectors[None, :, :], axis=-1)\n"
            "    return np.argsort(d, axis=1)[:, :k]\n"),
        "one too many": (
            "import numpy as np\n"
            "def retrieve(question_vectors, passage_vectors, k):\n"
            "    q = question_vectors / np.linalg.norm(question_vectors, axis=1, keepdims=True)\n"
            "    p = passage_vectors / np.linalg.norm(passage_vectors, axis=1, keepdims=True)\n"
            "    return np.argsort(-(q @ p.T), axis=1)[:, :k + 1]\n"),
    },
)

EXERCISES = [q1, q2, q3]
