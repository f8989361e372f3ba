"""The ``divgan`` command line.

``divgan figures``   draw the lecture's figures and an index.html gallery
``divgan train``     train a GAN, WGAN or AAE with checkpoints, a history CSV and a loss plot
``divgan estimate``  estimate JS / W1 between two ``.npy`` sample files with a trained network
``divgan distance``  the exact Wasserstein distance W_p between two ``.npy`` sample files
``divgan sweep``     run a validation grid (TOML spec) on Dask, one DuckDB row per cell
``divgan report``    the Markdown table and figure of a sweep store

This module builds the parser and runs a sub-command; the sub-commands live in
``divgan._cli`` (imported only when they run, so ``divgan --help`` loads neither torch nor
matplotlib). Input the user typed is checked here, in the user's words, before any work:
the output folder, the numbers, the sample files. Errors are one line on stderr and exit code 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from divgan._cli.common import (
    byte_size,
    check_out_dir,
    folds_int,
    order_p,
    positive_int,
    seed_int,
)
from divgan._cli.sweep import add_report_parser, add_sweep_parser

CRITIC_METHOD_NAMES = ("gp", "sn", "clip", "ctransform")
_DEVICE_HELP = "where networks train: auto = CUDA when available, else CPU (default: auto)"
_SEED_HELP = "random seed, a whole number >= 0 (default: 0)"


def _add_figures(sub) -> None:
    p = sub.add_parser(
        "figures", help="draw the lecture's figures and an index.html gallery",
        description="Draw the lecture's ten figures and an eleventh, critics in d dimensions, "
                    "from real computation (PNG, SVG and the checked numbers as JSON) and an "
                    "index.html gallery. The exit code is 1 if a "
                    "figure fails or a checked number falls outside its tolerance.")
    p.add_argument("--out", type=Path, default=Path("divgan-figures"), metavar="DIR",
                   help="folder for the figures and index.html, created if missing "
                        "(default: divgan-figures)")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="draw only these figures (default: all; names from --list)")
    p.add_argument("--quick", action="store_true",
                   help="small settings, under a minute (default: off, the full settings, a "
                        "few minutes)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help=_DEVICE_HELP)
    p.add_argument("--seed", type=seed_int, default=0, metavar="S", help=_SEED_HELP)
    p.add_argument("--list", action="store_true",
                   help="print the figure names, lecture claims and titles, then exit")
    p.set_defaults(func=_cmd_figures)


def _cmd_figures(args) -> int:
    from divgan.figures import figure_table, run_figures

    if args.list:
        print(figure_table())
        return 0
    return run_figures(args.out, args.only, quick=args.quick, device=args.device, seed=args.seed)


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train", help="train a GAN, WGAN or AAE on the lecture's toy data",
        description="Train a model with checkpoints; write checkpoint.pt, history.csv (losses and "
                    "the exact W1 as training goes) and losses.png into the run folder.")
    p.add_argument("model", choices=["gan", "wgan", "aae"],
                   help="gan: the lecture's GAN on N(-1, 1); wgan: a WGAN with a gradient-penalty "
                        "critic on the same data; aae: an adversarial autoencoder on digits")
    p.add_argument("--steps", type=positive_int, default=None, metavar="N",
                   help="total number of training steps of the run, counted from its start, also "
                        "with --resume (default: gan 1500, wgan 1000, aae 2000; with --resume "
                        "the saved run's total)")
    p.add_argument("--seed", type=seed_int, default=0, metavar="S", help=_SEED_HELP)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help=_DEVICE_HELP)
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="run folder for checkpoint.pt, history.csv and losses.png, created if "
                        "missing (default: runs/MODEL-seedS)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run saved in --out up to --steps in total (default: off, "
                        "a new run; an existing checkpoint is never overwritten)")
    p.add_argument("--no-progress", action="store_true",
                   help="hide the progress bar (default: shown when stderr is a terminal)")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args) -> int:
    from divgan._cli.train import train_command

    return train_command(args)


_SAMPLES_HELP = (".npy file (numpy.save) of {} samples: a numeric array of shape ({},) or "
                 "({}, d)")


def _add_estimate(sub) -> None:
    p = sub.add_parser(
        "estimate", help="estimate JS or W1 between two .npy sample files with a trained network",
        description="Train a fresh discriminator (JS) or critic (W1) on half of each file, read "
                    "the estimate with a bootstrap interval on the other half (or cross-fit "
                    "with --folds K), and print it beside the exact W1 of the samples.")
    p.add_argument("real", type=Path, metavar="REAL", help=_SAMPLES_HELP.format("real", "n", "n"))
    p.add_argument("fake", type=Path, metavar="FAKE",
                   help=_SAMPLES_HELP.format("fake (e.g. generated)", "m", "m") + ", the same d")
    p.add_argument("--quantity", choices=["js", "wasserstein"], default="wasserstein",
                   help="js: the Jensen-Shannon divergence read from a trained discriminator; "
                        "wasserstein: W1 read from a trained critic (default: wasserstein)")
    # The names of divgan.gan.critics.CRITIC_METHODS, written out so that --help imports no torch
    # (tests/test_cli.py checks that the two agree).
    p.add_argument("--method", choices=CRITIC_METHOD_NAMES, default=None,
                   help="the critic for W1: gp = gradient penalty, sn = spectral normalisation "
                        "(a lower bound), clip = weight clipping, rescaled (a lower bound), "
                        "ctransform = the c-transform over held-out real points (a lower bound of "
                        "their exact W1) (default: gp)")
    p.add_argument("--steps", type=positive_int, default=None, metavar="N",
                   help="training steps of the network (default: js 1000, gp 2000, sn 2000, "
                        "clip 1500, ctransform 2000)")
    p.add_argument("--folds", type=folds_int, default=None, metavar="K",
                   help="cross-fit over K folds: every point is read by a network trained "
                        "without it, the value is the mean over folds and the interval "
                        "Student's t over their spread, training variation included; K fits "
                        "(default: one held-out half, bootstrap interval with the network fixed)")
    p.add_argument("--seed", type=seed_int, default=0, metavar="S", help=_SEED_HELP)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help=_DEVICE_HELP)
    p.set_defaults(func=_cmd_estimate)


def _cmd_estimate(args) -> int:
    from divgan._cli.estimate import estimate_command

    return estimate_command(args)


def _add_distance(sub) -> None:
    p = sub.add_parser(
        "distance", help="the exact Wasserstein distance between two .npy sample files",
        description="The exact W_p between the samples of two files: the sorted formula in 1-D, "
                    "POT's network simplex in d-D (memory about 41 bytes per pair of points, "
                    "checked against --max-memory before solving). --sliced computes the "
                    "sliced distance SW_p instead.")
    p.add_argument("real", type=Path, metavar="REAL", help=_SAMPLES_HELP.format("real", "n", "n"))
    p.add_argument("fake", type=Path, metavar="FAKE",
                   help=_SAMPLES_HELP.format("fake", "m", "m") + ", the same d")
    p.add_argument("--p", type=order_p, default=1.0, metavar="P",
                   help="the order p >= 1 of W_p; inf for 1-D samples (default: 1)")
    p.add_argument("--max-memory", type=byte_size, default=byte_size("4GiB"), metavar="SIZE",
                   help="refuse exact OT in d-D when its estimated memory exceeds SIZE, e.g. "
                        "8GiB or 500MB (default: 4GiB)")
    p.add_argument("--sliced", action="store_true",
                   help="compute the sliced distance SW_p instead: W_p of the 1-D projections "
                        "averaged over random directions; a different quantity, SW_p <= W_p, "
                        "fast and light (default: off, the exact W_p)")
    p.add_argument("--projections", type=positive_int, default=None, metavar="L",
                   help="number of random directions for --sliced (default: 128)")
    p.add_argument("--seed", type=seed_int, default=None, metavar="S",
                   help="seed of the random directions for --sliced (default: 0)")
    p.set_defaults(func=_cmd_distance)


def _cmd_distance(args) -> int:
    from divgan._cli.distance import distance_command

    return distance_command(args)


def _cmd_sweep(args) -> int:
    from divgan.sweep.command import sweep_command

    return sweep_command(args)


def _cmd_report(args) -> int:
    from divgan.sweep.command import report_command

    return report_command(args)


def build_parser() -> argparse.ArgumentParser:
    """The ``divgan`` argument parser with its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="divgan",
        description="Exact divergences, Wasserstein distances and the GAN lecture's figures. "
                    "`divgan COMMAND --help` describes each command.",
    )
    from divgan import __version__

    parser.add_argument("--version", action="version", version=f"divgan {__version__}",
                        help="print divgan's version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_figures(sub)
    _add_train(sub)
    _add_estimate(sub)
    _add_distance(sub)
    add_sweep_parser(sub).set_defaults(func=_cmd_sweep)
    add_report_parser(sub).set_defaults(func=_cmd_report)
    return parser


def _check_output_folder(args) -> None:
    """The folder a command writes to must be writable: checked before any work."""
    if args.command == "train" and args.out is None:
        from divgan._cli.train import default_run_folder

        args.out = default_run_folder(args.model, args.seed)
    if getattr(args, "out", None) is not None and not getattr(args, "list", False):
        check_out_dir(args.out, "--out")


def main(argv: list[str] | None = None) -> int:
    """Run ``divgan`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    0: done; 1: the work failed (a figure, a diverged training run or fit, a solver that
    stopped short, a file that could not be written); 2: bad input, reported before any work
    where possible; 130: interrupted. Errors are one line on stderr, never a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_output_folder(args)
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"divgan {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, RuntimeError, ArithmeticError) as exc:
        # the work failed: a disk that filled up, a solver or a network that did not converge
        print(f"divgan {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"divgan {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
