"""``hardtarget verify``: check a hidden target setting, unit by unit."""

from __future__ import annotations

import argparse

from ..errors import HardTargetError
from ._args import SOLVER_CHOICES, add_data_args, add_parser, pos_float
from ._output import locked_outputs, print_json

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``verify`` to the command line."""
    p = add_parser(
        subparsers,
        "verify",
        "check a hidden target setting for feasibility, unit by unit "
        "(an exported file: export --verify)",
    )
    add_data_args(p)
    p.add_argument(
        "--targets",
        metavar="FILE",
        help=".npz file with hidden targets T1, T2, ... (n_samples x n_units, ±1); default: the "
        "planted targets of a planted problem, else no hidden layer",
    )
    p.add_argument(
        "--activation",
        default="sign",
        choices=["sign", "step"],
        help="what a hidden unit feeds forward (default sign)",
    )
    p.add_argument(
        "--solver",
        default="lp",
        choices=SOLVER_CHOICES,
        metavar="NAME",
        help="unit solver: %(choices)s (default lp: maximum-margin weights and certificates)",
    )
    p.add_argument(
        "--objective",
        choices=["errors", "margin", "sparsity"],
        default=None,
        help="final weights of every separable unit: the solver's (errors, default), "
        "maximum-margin (margin) or fewest nonzero (sparsity); checked exactly",
    )
    p.add_argument(
        "--out", metavar="FILE", help="save the assembled network here (.npz) when feasible"
    )
    p.add_argument(
        "--sat",
        choices=["cpsat", "pysat"],
        help="also check every unit with this SAT encoding and cross-check it with the LP",
    )
    p.add_argument(
        "--weights",
        choices=["integer", "binary", "ternary"],
        help="weight class of the --sat check (cpsat default integer, pysat binary)",
    )
    p.add_argument(
        "--time-limit",
        type=pos_float,
        metavar="SECONDS",
        help="seconds per unit for the --sat check",
    )
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Verify; exit 0 when feasible, 1 when not."""
    from ..feasibility import verify_targets
    from ..targets import TargetSetting, load_targets
    from ._args import load_problem_arg

    problem = load_problem_arg(args)
    targets: TargetSetting | list  # no hidden layer: an empty list
    if args.targets:
        targets = load_targets(args.targets, problem.n_samples)
    elif problem.planted is not None:
        targets = problem.planted["targets"]
    else:
        targets = []
    if not args.sat and (args.weights or args.time_limit is not None):
        raise HardTargetError(
            "--weights and --time-limit apply to the SAT check only; add --sat cpsat or --sat pysat"
        )
    with locked_outputs(
        ("--out", args.out), inputs=[("--data", args.data), ("--targets", args.targets)]
    ):
        if args.sat:
            return _sat_run(args, problem, targets)
        report = verify_targets(
            problem,
            targets,
            activation=args.activation,
            solver=args.solver,
            objective=args.objective,
        )
        if args.out and report.network is not None:
            report.network.save(args.out)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.summary())
    return 0 if report.feasible else 1


def _sat_run(args: argparse.Namespace, problem, targets) -> int:
    """``verify --sat``: the encoding's verdict per unit next to the LP's."""
    from ..search.sat import sat_verify

    r = sat_verify(
        problem,
        targets,
        activation=args.activation,
        backend=args.sat,
        weights=args.weights,
        time_limit=args.time_limit,
    )
    if args.out and r.feasible and r.lp.network is not None:
        r.lp.network.save(args.out)
    if args.json:
        print_json(
            {
                "feasible": r.feasible,
                "verdict": r.verdict,
                "exact": r.exact,
                "agree": r.agree,
                "lp_feasible": r.lp.feasible,
                "units": r.units,
            }
        )
    else:
        for u in r.units:
            exact = " (exact for real weights)" if u["exact"] else ""
            fit = (
                "fits" if u["sat"] else "no fit" if u["exact"] else f"no fit ({u['weight_class']})"
            )
            print(
                f"layer {u['layer']} unit {u['unit']}: "
                f"{args.sat} {fit}{exact}, LP {'separable' if u['lp'] else 'not separable'}"
            )
        verdict = r.verdict
        if not r.agree:
            tail = "DISAGREES with the LP verifier"
        elif verdict.startswith("infeasible for") and r.lp.feasible:  # not decided
            tail = "not decided for real weights; the LP verifier finds the setting feasible"
        elif verdict.startswith("infeasible for"):
            tail = "agrees with the LP verifier, which proves it infeasible for real weights"
        else:
            tail = "agrees with the LP verifier"
        print(f"{args.sat}: {verdict}; {tail}")
    undecided = r.agree and r.verdict.startswith("infeasible for")
    return 0 if r.feasible or (undecided and r.lp.feasible) else 1
