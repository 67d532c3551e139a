"""Ctrl-C at random moments into a search (issue 9, "budgets that hold").

Each run starts ``hardtarget -v solve ... --json --out FILE`` in a subprocess, waits
for the engine's "search started" log line (so the moment counts from the search's
start, not from imports and data loading), sends SIGINT after a random delay, counts the
runs that printed status ``interrupted`` with a best network so far (``loss`` not
null) and wrote ``--out``, within ``--grace`` seconds of the signal.

    python benchmarks/bench_signals.py [--runs 10] [--max-delay 8] [--signal INT|TERM]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

CASES = {
    "hill": ["-p", "planted:16-8-1:500:0", "--hidden", "8", "-s", "hill", "-o", "restarts=10000"],
    "ftprop": [
        "-p",
        "planted:32-16-1:400:0",
        "--hidden",
        "3",
        "-s",
        "ftprop",
        "-o",
        "restarts=10000",
    ],
    # (CP-SAT finds no network here for minutes: the hint's state is the best so far)
    "sat": ["-p", "parity:8", "--hidden", "6", "-s", "sat", "-o", "hint=random"],
    # (without pruning: tens of seconds, the first state after about 0.7 s)
    "exhaustive": [
        "-p",
        "parity:4",
        "--hidden",
        "3",
        "-s",
        "exhaustive",
        "-o",
        "max_size=1e70",
        "-o",
        "prune=false",
    ],
}


def interrupt_once(args: list, delay: float, sig: int = signal.SIGINT, grace: float = 20.0) -> dict:
    """Run ``solve`` with ``args``, send ``sig`` ``delay`` s after the search starts; report."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "net.npz")
        cmd = [sys.executable, "-m", "hardtarget", "-v", "solve", *args, "--json", "--out", out]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        log = []
        for line in proc.stderr:  # wait for the search to start
            log.append(line)
            if "search started" in line:
                break
        time.sleep(delay)
        proc.send_signal(sig)
        t0 = time.perf_counter()
        try:
            stdout, stderr = proc.communicate(timeout=grace)
            stderr = "".join(log) + stderr
        except subprocess.TimeoutExpired:
            proc.kill()
            return {"outcome": "hung", "answer_s": None}
        answer = time.perf_counter() - t0
        try:
            d = json.loads(stdout)
        except ValueError:
            return {
                "outcome": "no JSON",
                "answer_s": answer,
                "rc": proc.returncode,
                "stderr": stderr[-300:],
            }
        status = d.get("status")
        best = d.get("loss") is not None and os.path.exists(out)
        outcome = (
            "interrupted+best"
            if status == "interrupted" and best
            else "interrupted, no best"
            if status == "interrupted"
            else f"finished: {status}"
        )
        return {"outcome": outcome, "answer_s": answer, "rc": proc.returncode}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--max-delay", type=float, default=8.0)
    ap.add_argument("--strategies", default=",".join(CASES))
    ap.add_argument("--signal", default="INT", choices=["INT", "TERM"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    sig = signal.SIGINT if args.signal == "INT" else signal.SIGTERM
    print(
        f"SIG{args.signal} at a uniform random moment in [0, {args.max_delay:g}] s after the "
        f"search starts, {args.runs} runs per strategy\n"
    )
    print("| strategy | interrupted with best so far | other outcomes | slowest answer (s) |")
    print("|---|---|---|---|")
    for name in args.strategies.split(","):
        results = []
        for _ in range(args.runs):
            r = interrupt_once(CASES[name], float(rng.uniform(0, args.max_delay)), sig)
            results.append(r)
            print(f"  {name}: {r}", file=sys.stderr, flush=True)
        good = sum(r["outcome"] == "interrupted+best" for r in results)
        other = sorted({r["outcome"] for r in results} - {"interrupted+best"})
        slowest = max((r["answer_s"] or float("inf")) for r in results)
        print(
            f"| {name} | {good}/{args.runs} | {', '.join(other) or '-'} | {slowest:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
