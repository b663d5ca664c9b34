"""``skimb`` command line: a thin layer over :func:`skimb.report.compare`."""

import argparse
import sys

from .comparison import DEFAULT_METHODS, METHODS, check_compare_options
from .datasets import DATASETS, IMBALANCE_RECIPES

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
    p.add_argument("--dataset", default="digits", help=f"one of {', '.join(DATASETS)}")
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
        default="seed",
        help=f"recipe for the train part: {', '.join(IMBALANCE_RECIPES)}",
    )
    p.add_argument("--majority-class", type=int, default=0)
    p.add_argument("--majority-keep", type=float, default=0.9)
    p.add_argument("--minority-keep", type=float, default=0.1)
    p.add_argument(
        "--ratio",
        type=float,
        default=10.0,
        help="imbalance ratio for the step and longtail recipes",
    )
    p.add_argument("--cv", type=int, default=5, help="stratified folds")
    p.add_argument(
        "--seeds",
        type=_int_list,
        default=[0],
        help="comma-separated seeds; each repeats everything",
    )
    p.add_argument("--test-size", type=float, default=0.25)
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden-units", type=int, default=256)
    p.add_argument("--device", default="auto")
    p.add_argument("--n-jobs", type=int, default=1, help="folds in parallel (joblib)")
    p.add_argument(
        "--scheduler", default=None, help="address of a Dask distributed scheduler"
    )
    p.add_argument("--dask", action="store_true", help="start a local Dask cluster")
    p.add_argument("--output", default="skimb-results", help="folder for the results")
    p.add_argument(
        "--resume",
        action="store_true",
        help="skip what the output folder already holds",
    )
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _check(parser, args):
    """Reject bad options with exit status 2 before any work starts."""
    imbalance = dict(
        recipe=args.imbalance,
        majority_class=args.majority_class,
        majority_keep=args.majority_keep,
        minority_keep=args.minority_keep,
        ratio=args.ratio,
    )
    try:
        check_compare_options(
            dataset=args.dataset,
            methods=args.methods,
            cv=args.cv,
            seeds=args.seeds,
            imbalance=imbalance,
        )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    for name in ("max_epochs", "batch_size", "hidden_units", "n_jobs"):
        value = getattr(args, name)
        low = 0 if name == "max_epochs" else 1
        if value < low and not (name == "n_jobs" and value == -1):
            parser.error(f"--{name.replace('_', '-')} must be >= {low}; got {value}.")
    if not 0 < args.test_size < 1:
        parser.error(f"--test-size must be in (0, 1); got {args.test_size}.")
    if args.lr <= 0:
        parser.error(f"--lr must be > 0; got {args.lr}.")
    if args.dataset in ("mnist", "fashion-mnist") and args.data_dir is None:
        parser.error(f"--data-dir is required for --dataset {args.dataset}.")


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    from .report import compare, format_table

    try:
        result = compare(
            args.dataset,
            methods=args.methods,
            imbalance=args.imbalance,
            majority_class=args.majority_class,
            majority_keep=args.majority_keep,
            minority_keep=args.minority_keep,
            ratio=args.ratio,
            cv=args.cv,
            seeds=args.seeds,
            max_epochs=args.max_epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            hidden_units=args.hidden_units,
            device=args.device,
            test_size=args.test_size,
            data_dir=args.data_dir,
            download=args.download,
            n_jobs=args.n_jobs,
            scheduler=args.scheduler,
            dask=args.dask,
            output=args.output,
            resume=args.resume,
            progress=not args.quiet,
            plots=not args.no_plots,
        )
    except KeyboardInterrupt:
        print(
            f"\nskimb: interrupted; finished methods are saved in {args.output}/. "
            "Rerun with --resume to finish the rest.",
            file=sys.stderr,
        )
        return 130
    except (ValueError, TypeError, FileNotFoundError, OSError) as exc:
        print(f"skimb: error: {exc}", file=sys.stderr)
        return 1
    print(format_table(result))
    print(f"\nResults and plots in {args.output}/")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
