"""The ``divgan`` command line.

``divgan figures``   draw the lecture's figures and an index.html gallery
``divgan train``     train a GAN, WGAN or AAE with checkpoints, a history CSV and a loss plot
``divgan estimate``  estimate JS / W1 between two ``.npy`` sample files with a trained network
``divgan distance``  exact KL-free distances between two ``.npy`` sample files (W_p, sliced W)

Heavy imports (torch, matplotlib) happen inside the sub-commands, never at start-up.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _add_figures(sub) -> None:
    p = sub.add_parser("figures", help="draw the lecture's figures and an index.html gallery")
    p.add_argument("--out", type=Path, default=Path("divgan-figures"), help="output folder")
    p.add_argument("--only", nargs="+", metavar="NAME", help="draw only these figures")
    p.add_argument("--quick", action="store_true", help="small settings (under a minute)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--list", action="store_true", help="list the figure names and exit")
    p.set_defaults(func=_cmd_figures)


def _cmd_figures(args) -> int:
    from divgan.figures import figure_table, run_figures

    if args.list:
        print(figure_table())
        return 0
    return run_figures(args.out, args.only, quick=args.quick, device=args.device, seed=args.seed)


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a GAN, WGAN or AAE on the lecture's toy data")
    p.add_argument("model", choices=["gan", "wgan", "aae"])
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the config's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="run folder (checkpoints, history.csv, losses.png)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args) -> int:
    from divgan.gan.cli_train import train_command

    return train_command(args)


def _add_estimate(sub) -> None:
    p = sub.add_parser(
        "estimate",
        help="estimate JS or W1 between two .npy sample files with a trained network",
    )
    p.add_argument("real", type=Path, help=".npy file of samples, shape (n,) or (n, d)")
    p.add_argument("fake", type=Path, help=".npy file of samples, shape (m,) or (m, d)")
    p.add_argument("--quantity", choices=["js", "wasserstein"], default="wasserstein")
    p.add_argument("--method", choices=["gp", "clip", "sn"], default=None, help="critic kind (W1 only)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_estimate)


def _cmd_estimate(args) -> int:
    from divgan.gan.cli_estimate import estimate_command

    return estimate_command(args)


def _add_distance(sub) -> None:
    p = sub.add_parser("distance", help="exact Wasserstein distance between two .npy sample files")
    p.add_argument("real", type=Path)
    p.add_argument("fake", type=Path)
    p.add_argument("--p", type=float, default=1.0, help="order p >= 1 (inf allowed in 1-D)")
    p.set_defaults(func=_cmd_distance)


def load_samples(path: Path, name: str):
    """A ``.npy`` file of samples as a validated ``(n, d)`` float array (``(n,)`` reads as d = 1)."""
    import numpy as np

    from divgan._validation import as_points

    if not path.exists():
        raise ValueError(f"no such file for {name}: {path}")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:  # not a .npy file, pickled objects, truncated
        raise ValueError(f"could not read {path} as a .npy array: {exc}") from None
    return as_points(arr, name)


def _cmd_distance(args) -> int:
    from divgan.wasserstein import wasserstein_1d, wasserstein_distance

    x, y = load_samples(args.real, "REAL"), load_samples(args.fake, "FAKE")
    if x.shape[1] == 1 and y.shape[1] == 1:
        value = wasserstein_1d(x[:, 0], y[:, 0], p=args.p)
        how = "exact, sorted 1-D formula"
    else:
        value = wasserstein_distance(x, y, p=args.p)
        how = "exact, network simplex (POT)"
    print(f"W_{args.p:g} = {value:.10g}  ({how}; n = {len(x)}, m = {len(y)})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="divgan",
        description="Exact divergences, Wasserstein distances and the GAN lecture's figures.",
    )
    from divgan import __version__

    parser.add_argument("--version", action="version", version=f"divgan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_figures(sub)
    _add_train(sub)
    _add_estimate(sub)
    _add_distance(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"divgan {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
