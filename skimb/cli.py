"""``skimb`` command line: parses options and calls the library.

``skimb compare`` calls :func:`skimb.compare`, ``skimb benchmark``
:func:`skimb.benchmark`, ``skimb datasets``
:func:`skimb.datasets.list_benchmark_datasets`.

Every option is a parameter of the library function, and its flag is made
from the same table (:class:`skimb.evaluation._options.RunConfig`: name,
default, check, help); the command only turns a bad option into exit status
2 before any work starts.
"""

import argparse
import os
import sys

from .datasets._benchmark_sets import SUITES, list_benchmark_datasets
from .datasets._builtin import DATASETS
from .datasets._sources import check_data_name
from .evaluation._benchmark import benchmark
from .evaluation._compare import compare
from .evaluation._options import RunConfig, run_options
from .evaluation._report import format_leaderboard, format_table, format_verdict
from .evaluation._run import interrupted_message

__all__ = ["main"]


def _int_list(text):
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers; got {text!r}"
        ) from None


def _name_list(text):
    return [v.strip() for v in text.split(",") if v.strip()]


def _label(text):
    # Labels on the command line are text; an integer-looking one may name an
    # integer class (the comparison matches either).
    try:
        return int(text)
    except ValueError:
        return text


def _int_or_auto(text):
    # --batch-size and --n-jobs: 'auto' or an integer; the option's check
    # refuses anything else.
    return text if text == "auto" else int(text)


_PARSE = {
    "names": _name_list,
    "ints": _int_list,
    "label": _label,
    "int": int,
    "batch": _int_or_auto,
    "jobs": _int_or_auto,
}


def _add_options(p, command):
    """One flag per option of ``command``, from :class:`RunConfig`'s table:
    ``--name VALUE``, or ``--name``/``--no-name`` for a boolean."""
    for f in run_options(command):
        default = f.metadata["defaults"][command]
        cli = f.metadata["cli"]
        flag = "--" + f.name.replace("_", "-")
        text = f.metadata["help"].replace("%", "%%")  # argparse formats help
        if isinstance(default, bool):
            p.add_argument(
                flag,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=default,
                help=text,
            )
            if "off" in cli:
                p.add_argument(
                    cli["off"],
                    dest=f.name,
                    action="store_false",
                    default=argparse.SUPPRESS,  # --progress's default holds
                    help=f"the same as --no-{flag[2:]}",
                )
            continue
        parse = _PARSE.get(cli.get("parse")) or (
            str if default is None else type(default)
        )
        if isinstance(default, tuple):  # written as on the command line
            default = ",".join(map(str, default))
        p.add_argument(flag, dest=f.name, type=parse, default=default, help=text)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skimb", description="Class-imbalanced learning with PyTorch nets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "compare",
        help="compare weighted loss, weighted sampler and imbalanced-learn "
        "resamplers under stratified cross-validation",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = p.add_mutually_exclusive_group()
    data.add_argument(
        "--dataset", default="digits", help=f"built-in data: {', '.join(DATASETS)}"
    )
    data.add_argument(
        "--data", default=None, help="your table: a .csv, .tsv or .parquet file"
    )
    _add_options(p, "compare")
    p.add_argument(
        "--wide",
        action="store_true",
        help="print every column (both rules of each method, the CV and "
        "held-out metrics) instead of the leaderboard; the files hold them all",
    )

    b = sub.add_parser(
        "benchmark",
        help="every method across many data sets, ranked (Friedman, Nemenyi)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    which = b.add_mutually_exclusive_group(required=True)
    which.add_argument("--suite", help=f"one of {', '.join(SUITES)}")
    which.add_argument(
        "--datasets", type=_name_list, help="comma-separated, e.g. keel:yeast4"
    )
    _add_options(b, "benchmark")

    d = sub.add_parser("datasets", help="list the benchmark data sets")
    d.add_argument("--suite", default=None, help=f"one of {', '.join(SUITES)}")
    return parser


def _checked_options(parser, args, *checks):
    """The command's options from ``args``, checked as the library checks
    them (and by ``checks``); a bad one exits with status 2 before any work."""
    options = {f.name: getattr(args, f.name) for f in run_options(args.command)}
    try:
        RunConfig(**options)
        for check in checks:
            check()
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    return options


def _run_job(job, output, what):
    """Run ``job()``; map an interrupt to exit 130 and a user error to 1."""
    try:
        return job()
    except KeyboardInterrupt:
        print(f"\nskimb: {interrupted_message(output, what)}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ImportError, OSError) as exc:
        print(f"skimb: error: {exc}", file=sys.stderr)
        return 1


def _check_suite(suite):
    if suite is not None and suite not in SUITES:
        raise ValueError(f"--suite must be one of {list(SUITES)}; got {suite!r}.")


def _benchmark(parser, args):
    options = _checked_options(parser, args, lambda: _check_suite(args.suite))
    result = _run_job(
        lambda: benchmark(args.datasets, suite=args.suite, **options),
        args.output,
        "data sets",
    )
    if isinstance(result, int):
        return result
    print(result.format_ranks())
    for name, reason in result.skipped:
        print(f"skipped {name}: {reason}")
    print(f"\nPer data set results, ranks.csv and benchmark.json in {args.output}/")
    return 0


def _compare(parser, args):
    def check_data():
        if args.data is None:
            check_data_name(args.dataset)

    options = _checked_options(parser, args, check_data)
    if args.data is None and args.target is not None:
        parser.error("--target names the label column of --data; give --data too.")
    if args.dataset in ("mnist", "fashion-mnist") and args.data_dir is None:
        parser.error(f"--data-dir is required for --dataset {args.dataset}.")
    data = args.data if args.data is not None else args.dataset
    result = _run_job(lambda: compare(data, **options), args.output, "methods")
    if isinstance(result, int):
        return result
    print(format_table(result) if args.wide else format_leaderboard(result))
    verdict = format_verdict(result)
    if verdict:
        print(f"\n{verdict}")
    print(f"\nResults and plots in {args.output}/")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "datasets":
            try:
                table = list_benchmark_datasets(args.suite)
            except ValueError as exc:
                parser.error(str(exc))
            print(table.to_markdown(index=False, floatfmt=".1f"))
            status = 0
        elif args.command == "benchmark":
            status = _benchmark(parser, args)
        else:
            status = _compare(parser, args)
        sys.stdout.flush()  # a closed pipe raises here, not at exit
    except BrokenPipeError:
        # The reader left (skimb datasets | head -1). As Python's "Note on
        # SIGPIPE" does: point stdout at devnull so that the flush at exit
        # does not raise again, and exit 1 without a traceback.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is no file (a test's capture)
            pass
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
