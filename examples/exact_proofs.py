"""
Proofs of infeasibility: parity on 4 inputs needs 4 hidden units
================================================================

An exact strategy either finds a network or proves that none of the given shape fits.
Here ``sat-lp`` proves that 3 sign units cannot represent parity on 4 inputs (for any
real weights), and every Farkas certificate behind the proof is checked again by hand.
"""

import json
import tempfile
from pathlib import Path

import numpy as np

import hardtarget as ht

p = ht.load_problem("parity:4")

# %%
# The minimal width, with the kind of proof found for each smaller width.
res = ht.min_width(p, strategy="sat-lp")
print(res.width, res.proofs)

# %%
# Width 3 alone, writing the proof files: the clauses (DIMACS), the solver's DRAT
# refutation and, in ``PATH.json``, every certificate behind a cut.
proof = Path(tempfile.mkdtemp()) / "p4w3.drat"
r = ht.solve(
    p, hidden=(3,), strategy="sat-lp", backend="pysat", objective="feasibility", proof=str(proof)
)
print(r.status, r.message)
print(sorted(f.name for f in proof.parent.iterdir()))

# %%
# Each certificate says: these rows of the unit's inputs, with these targets, cannot be
# separated by one hyperplane, because ``sum_i lambda_i t_i [x_i, 1] = 0`` with
# ``lambda >= 0``.  :func:`hardtarget.check_certificate` checks that in exact arithmetic.
doc = json.loads(Path(str(proof) + ".json").read_text())
checks = [
    ht.check_certificate(np.array(c["inputs"]), np.array(c["targets"]), np.array(c["lambda"]))
    for c in doc["certificates"]
]
print(len(checks), "certificates, all exact:", all(checks))
