"""Lesson 00 exercises: a first look at models, embeddings and parameters."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from utils.grading import Exercise, expect

# Hidden inputs: the grader calls the learner's functions on these, never on the notebook's examples.
_HIDDEN_TEXTS = [
    "The train to Lisbon leaves at seven.",
    "Grading notebooks by hand takes forever!",
    "ok",
]
_HIDDEN_QUERIES = [
    ("How do I cook pasta?", ["Boil water, add salt, then the spaghetti.", "The stock market fell today.", "My cat sleeps all day."]),
    ("Which team won the football match?", ["Rain is expected tomorrow.", "The home side won 2-1 in extra time.", "Bake the cake for 40 minutes."]),
    ("Tell me about the weather", ["A sunny morning, showers later in the afternoon.", "Parliament passed the budget.", "He plays the violin."]),
]


@lru_cache(maxsize=1)
def _extractor():
    from transformers import pipeline

    from utils.resources import checkpoint

    return pipeline("feature-extraction", model=checkpoint("encoder"))


def _reference_embedding(text: str) -> np.ndarray:
    features = np.asarray(_extractor()(text, return_tensors=True)[0])  # (tokens, hidden)
    return features.mean(axis=0)


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _grade_embedding(sentence_embedding) -> None:
    expect(callable(sentence_embedding), "`sentence_embedding` should be a function of (text, extractor)")
    for text in _HIDDEN_TEXTS:
        got = np.asarray(sentence_embedding(text, _extractor()), dtype=float)
        want = _reference_embedding(text)
        expect(got.shape == want.shape, f"for {text!r} the vector has shape {got.shape}; expected {want.shape} "
               "(one number per hidden unit: average over the token axis)")
        expect(_cosine(got, want) > 0.999, f"for {text!r} the vector is not the mean of the token vectors")


def _grade_most_similar(most_similar) -> None:
    expect(callable(most_similar), "`most_similar` should be a function of (query, candidates, extractor)")
    for query, candidates in _HIDDEN_QUERIES:
        got = most_similar(query, candidates, _extractor())
        expect(got in candidates, f"for {query!r} you returned {got!r}, which is not one of the candidates")
        q = _reference_embedding(query)
        scores = [_cosine(q, _reference_embedding(c)) for c in candidates]
        want = candidates[int(np.argmax(scores))]
        expect(got == want, f"for {query!r} the most similar candidate by cosine similarity is {want!r}, not {got!r}")


def _grade_count_parameters(count_parameters) -> None:
    import torch

    expect(callable(count_parameters), "`count_parameters` should be a function of a torch model")
    tiny = torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 3))
    expect(count_parameters(tiny) == 50 * 8 + 8 * 3 + 3, "wrong count for a small Embedding(50, 8) + Linear(8, 3) model")
    tiny[0].weight.requires_grad_(False)
    expect(count_parameters(tiny) == 8 * 3 + 3, "count only trainable parameters (those with requires_grad=True)")


q1 = Exercise(
    "q1", points=1, target="sentence_embedding", grade=_grade_embedding,
    prompt="Write `sentence_embedding(text, extractor)` returning one vector for the whole text: "
           "the mean of the token vectors the feature-extraction pipeline returns.",
    hints=[
        "`extractor(text, return_tensors=True)` returns a tensor of shape (1, tokens, hidden).",
        "Take element `[0]` to drop the batch axis, then average over the token axis (axis 0).",
    ],
    solution="def sentence_embedding(text, extractor):\n"
             "    return extractor(text, return_tensors=True)[0].mean(dim=0).numpy()",
)

q2 = Exercise(
    "q2", points=1, target="most_similar", grade=_grade_most_similar,
    prompt="Write `most_similar(query, candidates, extractor)` returning the candidate whose sentence "
           "embedding has the highest cosine similarity with the query's.",
    hints=[
        "Embed the query and every candidate with your `sentence_embedding`.",
        "`sklearn.metrics.pairwise.cosine_similarity([q], C)` gives all similarities at once; `argmax` picks the best.",
    ],
    solution="def most_similar(query, candidates, extractor):\n"
             "    q = sentence_embedding(query, extractor)\n"
             "    C = [sentence_embedding(c, extractor) for c in candidates]\n"
             "    return candidates[int(cosine_similarity([q], C)[0].argmax())]",
)

q3 = Exercise(
    "q3", points=1, target="count_parameters", grade=_grade_count_parameters,
    prompt="Write `count_parameters(model)` returning the number of trainable parameters of a PyTorch model.",
    hints=[
        "`model.parameters()` yields every weight tensor; `p.numel()` is its number of elements.",
        "Keep only tensors with `p.requires_grad`.",
    ],
    solution="def count_parameters(model):\n"
             "    return sum(p.numel() for p in model.parameters() if p.requires_grad)",
)

EXERCISES = [q1, q2, q3]
