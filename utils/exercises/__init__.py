"""One module per lesson with its exercises: ``utils/exercises/lessonNN.py``.

Each module defines ``q1 = Exercise(...)``, ``q2 = ...`` and ``EXERCISES = [q1, q2, ...]`` (see
:mod:`utils.grading`); notebooks import them with ``from utils.exercises.lesson05 import q1, q2``.
Use absolute imports (``from utils.grading import Exercise``): the grader loads each module
straight from its file, outside this package. Keep hidden test inputs inside the module and heavy
imports (torch, transformers) inside the grade functions, so importing a module stays instant.
"""
