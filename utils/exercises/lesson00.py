"""Lesson 00 exercises: a first look at embeddings and parameters.

Each grading draws new inputs: texts of different lengths, shuffled candidates in which the longest
is never the answer, and small PyTorch models with random sizes, frozen parts and tied weights.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, close, expect, same

TEXTS = [
    "The train to Lisbon leaves at seven.", "ok", "Grading notebooks by hand takes forever!",
    "Transformers read the whole sentence at once.", "Why?", "She sold three paintings at the fair last spring.",
    "The soup was cold, the service slow and the bill enormous.", "Quantum computers are not magic.",
    "I'd like two tickets for Saturday, please.", "Bees communicate by dancing.",
]
# (query, the answer, distractors): every distractor is longer than the answer, so "the longest
# candidate" is never right, and the answer's position is shuffled at every grading.
SEARCHES = [
    ("How do I cook pasta?", "Boil the spaghetti in salted water.",
     ["The stock market fell sharply today after the central bank's announcement.",
      "My old cat sleeps all day long on the warm windowsill in the kitchen."]),
    ("Which team won the football match?", "The home side won 2-1.",
     ["Heavy rain and strong winds are expected along the coast tomorrow morning.",
      "Bake the cake for forty minutes at one hundred and eighty degrees."]),
    ("Tell me about the weather", "Sunny, with showers later.",
     ["Parliament passed the budget after a long and heated debate on Tuesday.",
      "He has been practising the violin every evening since he was six."]),
    ("Is this phone any good?", "The battery lasts two days.",
     ["The museum's new exhibition covers three centuries of Dutch painting.",
      "Add the onions and garlic and fry them until they are golden brown."]),
    ("Where can I park my car?", "There is a garage nearby.",
     ["The novel follows three generations of a family of fishermen in Norway.",
      "Researchers found that the vaccine protected older adults for a year."]),
]


@lru_cache(maxsize=1)
def _extractor():
    from transformers import pipeline

    from utils.resources import checkpoint

    return pipeline("feature-extraction", model=checkpoint("encoder"))


def _mean_embedding(text: str) -> np.ndarray:
    return np.asarray(_extractor()(text, return_tensors=True)[0]).mean(axis=0)


def _embedding_cases(rng):
    return [[str(t)] for t in rng.choice(TEXTS, size=3, replace=False)]


def _run_embedding(sentence_embedding, case):
    return np.asarray(sentence_embedding(case[0], _extractor()), dtype=float)


def _compare_embedding(got, want, case):
    expect(isinstance(got, np.ndarray), f"for {case[0]!r} return an array (numpy or torch), got {type(got).__name__}")
    expect(got.shape == want.shape, f"for {case[0]!r} the vector has shape {got.shape}; expected {want.shape} "
           "(one number per hidden unit: average over the token axis)")
    close(got, want, atol=1e-4, rtol=1e-3, what=f"the vector for {case[0]!r}")


def _search_cases(rng):
    cases = []
    positions = rng.permutation(3)  # the answer sits at a different position in each case
    for i, position in zip(rng.choice(len(SEARCHES), size=3, replace=False), positions):
        query, answer, others = SEARCHES[i]
        candidates = [str(c) for c in rng.permutation(others)]
        candidates.insert(int(position), answer)
        cases.append([query, candidates])
    return cases


def _run_search(most_similar, case):
    return most_similar(case[0], list(case[1]), _extractor())


def _expected_search(case):
    query, candidates = case
    q = _mean_embedding(query)
    scores = [float(np.dot(q, c) / (np.linalg.norm(q) * np.linalg.norm(c)))
              for c in map(_mean_embedding, candidates)]
    return candidates[int(np.argmax(scores))]


def _compare_search(got, want, case):
    expect(isinstance(got, str), f"return the candidate sentence itself (a str), got {type(got).__name__}")
    expect(got in case[1], f"for {case[0]!r} you returned {got!r}, which is not one of the candidates")
    same(got, want, what=f"the most similar candidate to {case[0]!r} (by cosine similarity)")


def _model_cases(rng):
    """Specs of small models: (vocab, width, classes, frozen layers, tied weights)."""
    cases = []
    for frozen, tied in [([], False), (["embedding"], False), (["head.bias", "norm"], True)]:
        cases.append({"vocab": int(rng.integers(20, 200)), "width": int(rng.integers(4, 24)),
                      "classes": int(rng.integers(2, 7)), "frozen": frozen, "tied": tied})
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def _build_model(spec):
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(spec["vocab"], spec["width"])
            self.norm = torch.nn.LayerNorm(spec["width"])
            self.decoder = torch.nn.Linear(spec["width"], spec["vocab"], bias=False)
            self.head = torch.nn.Linear(spec["width"], spec["classes"])
            if spec["tied"]:
                self.decoder.weight = self.embedding.weight  # one tensor used twice: count it once

    model = Tiny()
    for name, p in model.named_parameters():
        if any(name == f or name.startswith(f + ".") for f in spec["frozen"]):
            p.requires_grad_(False)
    return model


def _run_count(count_parameters, spec):
    return count_parameters(_build_model(spec))


def _expected_count(spec):
    v, w, k = spec["vocab"], spec["width"], spec["classes"]
    sizes = {"embedding.weight": v * w, "norm.weight": w, "norm.bias": w, "head.weight": w * k, "head.bias": k}
    if not spec["tied"]:
        sizes["decoder.weight"] = v * w
    return sum(n for name, n in sizes.items()
               if not any(name == f or name.startswith(f + ".") for f in spec["frozen"]))


def _compare_count(got, want, spec):
    expect(isinstance(got, int), f"return an int, got {type(got).__name__}")
    detail = (f"a model with Embedding({spec['vocab']}, {spec['width']}), LayerNorm, a decoder"
              f"{' tied to the embedding' if spec['tied'] else ''} and a {spec['classes']}-class head"
              f"{', frozen: ' + ', '.join(spec['frozen']) if spec['frozen'] else ''}")
    expect(got == want, f"for {detail} you counted {got}; it has {want} trainable parameters")


q1 = Exercise(
    "q1", points=1, target="sentence_embedding",
    cases=_embedding_cases, run=_run_embedding, expected=lambda case: _mean_embedding(case[0]),
    compare=_compare_embedding,
    hints=[
        "`extractor(text, return_tensors=True)` returns a tensor of shape (1, tokens, hidden).",
        "Take element `[0]` to drop the batch axis, then average over the token axis (axis 0).",
    ],
    wrong={
        "the [CLS] vector": "def sentence_embedding(text, extractor):\n    return extractor(text, return_tensors=True)[0][0].numpy()",
        "a sum instead of a mean": "def sentence_embedding(text, extractor):\n    return extractor(text, return_tensors=True)[0].sum(dim=0).numpy()",
        "the mean over the hidden axis": "def sentence_embedding(text, extractor):\n    return extractor(text, return_tensors=True)[0].mean(dim=1).numpy()",
        "the token matrix": "def sentence_embedding(text, extractor):\n    return extractor(text, return_tensors=True)[0].numpy()",
    },
)

q2 = Exercise(
    "q2", points=1, target="most_similar",
    cases=_search_cases, run=_run_search, expected=_expected_search, compare=_compare_search,
    hints=[
        "Embed the query and every candidate with your `sentence_embedding`.",
        "`sklearn.metrics.pairwise.cosine_similarity([q], C)` gives all similarities at once; `argmax` picks the best.",
    ],
    wrong={
        "the longest candidate": "def most_similar(query, candidates, extractor):\n    return max(candidates, key=len)",
        "the first candidate": "def most_similar(query, candidates, extractor):\n    return candidates[0]",
        "the index instead of the sentence": (
            "import numpy as np\n"
            "def most_similar(query, candidates, extractor):\n"
            "    e = lambda t: extractor(t, return_tensors=True)[0].mean(dim=0).numpy()\n"
            "    q = e(query)\n"
            "    return int(np.argmax([q @ e(c) / np.linalg.norm(q) / np.linalg.norm(e(c)) for c in candidates]))"),
        "the least similar": (
            "import numpy as np\n"
            "def most_similar(query, candidates, extractor):\n"
            "    e = lambda t: extractor(t, return_tensors=True)[0].mean(dim=0).numpy()\n"
            "    q = e(query)\n"
            "    return candidates[int(np.argmin([q @ e(c) / np.linalg.norm(q) / np.linalg.norm(e(c)) for c in candidates]))]"),
    },
)

q3 = Exercise(
    "q3", points=1, target="count_parameters",
    cases=_model_cases, run=_run_count, expected=_expected_count, compare=_compare_count,
    hints=[
        "`model.parameters()` yields every weight tensor once; `p.numel()` is its number of elements.",
        "Keep only tensors with `p.requires_grad`.",
    ],
    wrong={
        "every parameter, frozen ones too": "def count_parameters(model):\n    return sum(p.numel() for p in model.parameters())",
        "the number of tensors": "def count_parameters(model):\n    return sum(1 for p in model.parameters() if p.requires_grad)",
        "the state dict (tied weights twice)": (
            "def count_parameters(model):\n"
            "    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}\n"
            "    return sum(t.numel() for n, t in model.state_dict().items() if n not in frozen)"),
        "a float": "def count_parameters(model):\n    return float(sum(p.numel() for p in model.parameters() if p.requires_grad))",
    },
)

EXERCISES = [q1, q2, q3]
