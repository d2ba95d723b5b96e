"""The ``course`` command. It parses arguments and dispatches; the work lives in the modules.

Exit codes: 0 ok, 1 failures or out of sync, 2 usage errors.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="course", description="Hands-On NLP with Transformers: course tools.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("fetch", help="download and verify the offline resources, build the stand-ins")
    p.add_argument("--roles", nargs="+", metavar="ROLE", help="only these roles (default: all)")
    p.add_argument("--no-standins", action="store_true",
                   help="skip training stand-in models (those the course ships are still assembled: seconds)")
    p.add_argument("--data-only", action="store_true",
                   help="only the data archives (no models): what the full profile needs from the cache")
    p.add_argument("--cache", metavar="DIR", help="cache folder (default: the course cache)")
    p.add_argument("--force", action="store_true", help="unpack and rebuild even when cached")

    p = sub.add_parser("build", help="write notebooks/ from solutions/")
    p.add_argument("--check", action="store_true", help="write nothing; fail when out of sync")

    p = sub.add_parser("readme", help="rewrite the lesson table in README.md")
    p.add_argument("--check", action="store_true", help="write nothing; fail when it differs")

    p = sub.add_parser(
        "grade", help="execute and grade submitted notebooks",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Execute each submission in a fresh kernel and grade its exercises on inputs drawn for it.",
        epilog="""\
lessons: each notebook's lesson is read from its metadata (course.lesson), else from its
  setup_lesson("NN") call, else from an NN- file-name prefix, so alice.ipynb is graded as the lesson
  it sets up. Folders are searched recursively (one folder per student works); files skipped are
  listed with the reason.
profile: submissions run in the profile of COURSE_PROFILE (default here: fast, offline, CPU).
time limits: per cell and per notebook, derived from the lesson's measured budget in
  utils/lessons.toml (a cell may take twice the whole lesson, the notebook four times plus 2 min);
  --cell-timeout / --timeout override them. Each report states the limits used.
written: a table per submission on screen; in --out, one JSON per submission (exercises, failing
  cells with index, first line and error, notes, limits, seed) and grades.csv, one row each.
exit code: 0 when every submission was graded, 1 otherwise.

example:
  course grade submissions/ --out grades/      # submissions/alice/*.ipynb, submissions/bob/*.ipynb …""")
    p.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders (searched recursively)")
    p.add_argument("--out", metavar="DIR", default="grades", help="report folder (default: grades)")
    p.add_argument("--cell-timeout", type=float, default=None, metavar="S", help="seconds per cell (default: from the lesson)")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds per notebook (default: from the lesson)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="notebooks graded at once (default 1; with more, a tampering submission may be blamed on another)")

    p = sub.add_parser("progress", help="show which exercises you have passed (instant; --verify re-runs)")
    p.add_argument("--verify", nargs="?", const="notebooks", metavar="FOLDER",
                   help="re-execute your notebooks in FOLDER (default notebooks) and grade them as an instructor would")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="with --verify: notebooks run at once (1)")

    p = sub.add_parser(
        "standins", help="retrain or check the stand-in models the course ships (data/standins/)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The course ships each trained stand-in as small weights on top of the registry encoder "
                    "(data/standins/<role>/); `course fetch` assembles them in seconds.",
        epilog="""\
examples:
  course standins train sentiment-model     # retrain (the recipe's build, minutes), compress, measure, rewrite
                                            # data/standins/sentiment-model/; pin the printed sha256 in the manifest
  course standins train all --out /tmp/re --compare   # what the scheduled workflow does: retrain everything
                                            # elsewhere and compare with the shipped figures (1 point)
  course standins check                     # assemble each shipped stand-in and reproduce its recorded figures""")
    p.add_argument("action", choices=["train", "check"])
    p.add_argument("roles", nargs="+", metavar="ROLE", help="model roles with a recipe, or `all`")
    p.add_argument("--rank", type=int, default=None, help="train: rank of the shipped delta (default: per role)")
    p.add_argument("--out", metavar="DIR", help="train: write DIR/<role>/ instead of data/standins/<role>/")
    p.add_argument("--compare", action="store_true",
                   help="train: fail when a retrained figure is more than 1 point from the shipped one")

    p = sub.add_parser(
        "attention", help="write the attention heatmap of a text as a PNG",
        description="Run a sequence classifier (loaded with eager attention) on TEXT and write the heatmap of "
                    "one layer's attention (queries × keys) as a PNG. Layers and heads count from 0.",
        epilog='example: course attention --model sentiment-model "A gripping, beautifully acted film." '
               '--layer 5 --head 3 --out head.png')
    p.add_argument("text", help="the text to run through the model")
    p.add_argument("--model", default="sentiment-model", metavar="ROLE|PATH",
                   help="a model role of utils/manifest.toml or a saved model folder (default: sentiment-model)")
    p.add_argument("--out", default="attention.png", metavar="FILE", help="PNG to write (default: attention.png)")
    p.add_argument("--layer", type=int, default=None, metavar="L", help="layer (default: the last; -1 counts back)")
    p.add_argument("--head", type=int, default=None, metavar="H", help="head (default: the mean of all heads)")
    p.add_argument("--rollout", action="store_true", help="draw the attention rollout over all layers instead")
    p.add_argument("--max-length", type=int, default=64, metavar="N", help="truncate the text to N tokens (64)")

    sub.add_parser("serve", help="serve a saved classifier over HTTP (course serve --help)", add_help=False)
    return parser


def _fetch(args) -> int:
    from utils.fetch import fetch

    try:
        rows = fetch(roles=args.roles, standins=not args.no_standins, cache=args.cache, force=args.force,
                     data_only=args.data_only)
    except Exception as exc:  # a download, checksum or build step failed: report it, no traceback
        print(f"course fetch: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 1 if any("fail" in str(row.get("status", "")).lower() for row in rows or []) else 0


def _build(args) -> int:
    from utils.build import build_all

    changed = build_all(check=args.check)
    if args.check:
        for path in changed:
            print(f"out of sync: {path}")
        print("notebooks are in sync" if not changed else "run `course build` to regenerate")
        return 1 if changed else 0
    print("\n".join(f"wrote {path}" for path in changed) or "nothing to do")
    return 0


def _readme(args) -> int:
    from utils.build import update_readme

    changed = update_readme(check=args.check)
    if args.check:
        print("README lesson table is out of date; run `course readme`" if changed else "README is up to date")
        return 1 if changed else 0
    print("README.md updated" if changed else "README.md already up to date")
    return 0


def _grade(args) -> int:
    from utils.grading.grader import grade
    from utils.grading.report import write_reports

    skipped: list = []
    results = grade(args.paths, cell_timeout=args.cell_timeout, total_timeout=args.timeout, jobs=args.jobs,
                    skipped=skipped)
    for result in results:
        print(result.table(), end="\n\n")
    for path, why in skipped:
        print(f"skipped {path}: {why}")
    if not results:
        print("no notebooks to grade")
        return 1
    written = write_reports(results, args.out)
    print(f"reports: {Path(args.out) / 'grades.csv'} and {len(written) - 1} JSON file(s)")
    return 0 if all(r.status == "graded" for r in results) else 1


def _progress(args) -> int:
    from utils.grading.progress import show, verify

    if args.verify:
        return verify(args.verify, jobs=args.jobs)
    return show()


def _standins(args) -> int:
    from utils import standins
    from utils.standins import shipped

    recipes = standins.recipes()
    roles = list(recipes) if args.roles == ["all"] else args.roles
    unknown = [r for r in roles if r not in recipes]
    if unknown:
        raise ValueError(f"no stand-in recipe for {', '.join(unknown)}; recipes exist for {', '.join(recipes)}")
    problems: list[str] = []
    for role in roles:
        if args.action == "check":
            found = shipped.check(role)
        else:
            out = Path(args.out) / role if args.out else None
            got = shipped.train(role, rank=args.rank, out=out)
            found = shipped.differences(role, got, shipped.recorded(role), shipped.RETRAIN_TOLERANCE) if args.compare else []
        print("\n".join(found) or f"{role}: ok")
        problems += found
    return 1 if problems else 0


def _attention(args) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a file, no window: works on a machine without a display
    from utils.attention import save_heatmap
    from utils.profile import quiet_logging

    quiet_logging()
    if args.rollout and (args.layer is not None or args.head is not None):
        raise ValueError("--rollout combines all layers and heads: leave out --layer and --head")
    path = save_heatmap(args.model, args.text, args.out, layer=args.layer, head=args.head,
                        use_rollout=args.rollout, max_length=args.max_length)
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        from utils.serving import cli_main

        return int(cli_main(argv[1:]) or 0)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help exits 0, usage errors 2
        return int(exc.code or 0)
    handler = {"fetch": _fetch, "build": _build, "readme": _readme, "grade": _grade, "progress": _progress,
               "standins": _standins, "attention": _attention}
    try:
        return handler[args.command](args)
    except (FileNotFoundError, ValueError) as exc:  # bad input: say what is wrong, no traceback
        print(f"course {args.command}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, FileNotFoundError) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
