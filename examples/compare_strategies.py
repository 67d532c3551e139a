"""
Choosing a search strategy
==========================

Every strategy gets the same problem and the same small budget; the table shows what each
reached and how long it took.  The exact strategies prove their answer; the local ones
are fast on problems too large to enumerate.
"""

import hardtarget as ht

problem = ht.load_problem("planted:8-3-1:120:0")  # labelled by a random 8-3-1 sign network

# %%
print(f"{'strategy':<11} {'status':<14} {'accuracy':>8} {'seconds':>8}")
for name in ["exhaustive", "sat", "sat-lp", "hill", "beam", "madaline", "ftprop"]:
    try:
        r = ht.solve(problem, hidden=(3,), strategy=name, time_limit=10, seed=0)
    except ht.HardTargetError as exc:  # refused up front: the search space is too large
        print(f"{name:<11} refused: {str(exc)[:60]}...")
        continue
    print(f"{name:<11} {r.status:<14} {r.train_accuracy:>8.3f} {r.wall_time:>8.2f}")
