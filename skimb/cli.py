"""``skimb`` command line: parses options and calls the library.

``skimb compare`` calls :func:`skimb.compare`, ``skimb benchmark``
:func:`skimb.benchmark`, ``skimb datasets``
:func:`skimb.datasets.list_benchmark_datasets`.

Every option maps to a parameter of the library function, which does all the
validation; the command only turns a bad option into exit status 2 before
any work starts.
"""

import argparse
import sys

from .datasets._benchmark_sets import SUITES, list_benchmark_datasets
from .datasets._builtin import DATASETS, IMBALANCE_RECIPES
from .datasets._sources import check_data_name
from .evaluation._benchmark import benchmark
from .evaluation._compare import check_compare_options, compare
from .evaluation._methods import DEFAULT_METHODS, METHODS
from .evaluation._report import format_table

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


def _add_run_options(p, *, output, jobs):
    """The options ``compare`` and ``benchmark`` share: folds, seeds, the net,
    where the work runs and where the results go."""
    p.add_argument("--cv", type=int, default=5, help="stratified folds")
    p.add_argument(
        "--seeds",
        type=_int_list,
        default=[0],
        help="comma-separated seeds; each repeats everything",
    )
    p.add_argument("--test-size", type=float, default=0.25, help="held-out part")
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden-units", type=int, default=256)
    p.add_argument("--device", default="auto")
    p.add_argument("--n-jobs", type=int, default=1, help=jobs)
    p.add_argument(
        "--scheduler", default=None, help="address of a Dask distributed scheduler"
    )
    p.add_argument("--dask", action="store_true", help="start a local Dask cluster")
    p.add_argument("--output", default=output, help="folder for the results")
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip what the output folder already holds",
    )


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
    p.add_argument("--target", default=None, help="the label column of --data")
    p.add_argument(
        "--positive-label",
        type=_label,
        default=None,
        help="positive class of a binary problem (default: the minority class)",
    )
    p.add_argument(
        "--data-dir", default=None, help="folder holding MNIST/raw or FashionMNIST/raw"
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="let torchvision download MNIST-style data (online only)",
    )
    p.add_argument(
        "--methods",
        type=_name_list,
        default=list(DEFAULT_METHODS),
        help=f"comma-separated subset of {', '.join(METHODS)}",
    )
    p.add_argument(
        "--imbalance",
        default=None,
        help=f"recipe for the train part: {', '.join(IMBALANCE_RECIPES)} "
        "(default: seed for built-in data, none for --data)",
    )
    p.add_argument(
        "--majority-class",
        type=_label,
        default=None,
        help="the class the seed recipe keeps mostly (default: 0 for built-in "
        "data, the most frequent class for --data)",
    )
    p.add_argument("--majority-keep", type=float, default=0.9)
    p.add_argument("--minority-keep", type=float, default=0.1)
    p.add_argument(
        "--ratio",
        type=float,
        default=10.0,
        help="imbalance ratio for the step and longtail recipes",
    )
    _add_run_options(p, output="skimb-results", jobs="folds in parallel (joblib)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument(
        "--no-vectorize",
        action="store_true",
        help="fit one net at a time instead of a method's folds in one stacked loop",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")

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
    b.add_argument(
        "--methods",
        type=_name_list,
        default=list(DEFAULT_METHODS),
        help=f"comma-separated subset of {', '.join(METHODS)}",
    )
    _add_run_options(b, output="skimb-benchmark", jobs="data sets in parallel")
    b.add_argument("--plots", action="store_true", help="per data set plots too")
    b.add_argument("--no-vectorize", action="store_true", help="one net at a time")
    b.add_argument("--quiet", action="store_true", help="no progress bar")

    d = sub.add_parser("datasets", help="list the benchmark data sets")
    d.add_argument("--suite", default=None, help=f"one of {', '.join(SUITES)}")
    return parser


def _options(args):
    return dict(
        methods=args.methods,
        cv=args.cv,
        seeds=args.seeds,
        imbalance=args.imbalance,
        majority_class=args.majority_class,
        majority_keep=args.majority_keep,
        minority_keep=args.minority_keep,
        ratio=args.ratio,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        hidden_units=args.hidden_units,
        test_size=args.test_size,
        n_jobs=args.n_jobs,
    )


def _run_job(job, output, what):
    """Run ``job()``; map an interrupt to exit 130 and a user error to 1."""
    try:
        return job()
    except KeyboardInterrupt:
        print(
            f"\nskimb: interrupted; finished {what} are saved in {output}/. "
            "Rerun with --resume to finish the rest.",
            file=sys.stderr,
        )
        return 130
    except (ValueError, TypeError, ImportError, OSError) as exc:
        print(f"skimb: error: {exc}", file=sys.stderr)
        return 1


def _benchmark(parser, args):
    options = dict(
        methods=args.methods,
        cv=args.cv,
        seeds=args.seeds,
        max_epochs=args.max_epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        hidden_units=args.hidden_units,
        test_size=args.test_size,
        n_jobs=args.n_jobs,
    )
    try:
        check_compare_options(**options)
        if args.suite is not None and args.suite not in SUITES:
            raise ValueError(
                f"--suite must be one of {list(SUITES)}; got {args.suite!r}."
            )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    result = _run_job(
        lambda: benchmark(
            args.datasets,
            suite=args.suite,
            device=args.device,
            scheduler=args.scheduler,
            dask=args.dask,
            output=args.output,
            resume=args.resume,
            progress=not args.quiet,
            plots=args.plots,
            vectorize=not args.no_vectorize,
            **options,
        ),
        args.output,
        "data sets",
    )
    if isinstance(result, int):
        return result
    print(result.ranks.to_markdown(index=False, floatfmt=".2f"))
    for name, reason in result.skipped:
        print(f"skipped {name}: {reason}")
    print(f"\nPer data set results, ranks.csv and benchmark.json in {args.output}/")
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "datasets":
        try:
            table = list_benchmark_datasets(args.suite)
        except ValueError as exc:
            parser.error(str(exc))
        print(table.to_markdown(index=False, floatfmt=".1f"))
        return 0
    if args.command == "benchmark":
        return _benchmark(parser, args)
    options = _options(args)
    try:
        check_compare_options(**options)
        if args.data is None:
            check_data_name(args.dataset)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    if args.data is None and args.target is not None:
        parser.error("--target names the label column of --data; give --data too.")
    if args.dataset in ("mnist", "fashion-mnist") and args.data_dir is None:
        parser.error(f"--data-dir is required for --dataset {args.dataset}.")
    result = _run_job(
        lambda: compare(
            args.data if args.data is not None else args.dataset,
            target=args.target,
            positive_label=args.positive_label,
            device=args.device,
            data_dir=args.data_dir,
            download=args.download,
            scheduler=args.scheduler,
            dask=args.dask,
            output=args.output,
            resume=args.resume,
            progress=not args.quiet,
            plots=not args.no_plots,
            vectorize=not args.no_vectorize,
            **options,
        ),
        args.output,
        "methods",
    )
    if isinstance(result, int):
        return result
    print(format_table(result))
    print(f"\nResults and plots in {args.output}/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
