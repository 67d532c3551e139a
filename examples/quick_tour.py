"""
Quick tour: the two halves of the problem
=========================================

hardtarget splits learning a hard-threshold network the way Friesen & Domingos do: choose
discrete targets for the hidden units (combinatorial), then every unit is an independent
perceptron (convex).  This tour touches both halves and the verifier that joins them.
"""

import tempfile
from pathlib import Path

import hardtarget as ht

# %%
# The combinatorial half: search the hidden targets of parity on 3 inputs with an exact
# strategy; every unit is then trained as a perceptron on its targets.
p = ht.load_problem("parity:3")
r = ht.solve(p, hidden=(3,), strategy="exhaustive")
print(r.status, r.train_accuracy)

# %%
# The smallest hidden layer that fits, with a proof for every smaller width.
print(ht.min_width(p).proofs)

# %%
# The convex half: one unit at a time, with an exact verdict.  XOR is not linearly
# separable, and the Farkas certificate that proves it checks exactly.
xor = ht.load_problem("xor")
u = ht.solve_unit(xor.X, xor.t)
print(u.separable, ht.check_certificate(xor.X, xor.t, u.certificate))

# %%
# Feasibility of a given target setting (Definition 2 and Proposition 1 of the paper): a
# planted problem carries the targets of the random network that labelled it.
q = ht.load_problem("planted:8-4-1:200:0")
report = ht.verify_targets(q, q.planted["targets"])
print(report.feasible, report.train_accuracy)

# %%
# The assembled network is an ordinary object: save it, load it, predict.
path = Path(tempfile.mkdtemp()) / "planted.npz"
report.network.save(path)
print(ht.Network.load(path).predict(q.X[:5]))
