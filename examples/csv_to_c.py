"""
From a CSV file to a prediction in C
====================================

Train on the sample sensor log shipped in ``examples/data/sensors.csv`` with the
scikit-learn estimator, predict new readings, and export the network as a portable model
file and as C99 source.
"""

import csv
import tempfile
from pathlib import Path

import numpy as np

import hardtarget as ht

DATA = Path("examples/data")  # run from the repository root
if not DATA.exists():  # the docs build runs the examples from examples/
    DATA = Path("data")

# %%
# The CSV has four numeric columns and a text label ``status`` (``ok`` or ``fault``).
with open(DATA / "sensors.csv", newline="") as fh:
    rows = list(csv.DictReader(fh))
features = ["temperature", "vibration", "pressure", "current"]
X = np.array([[float(row[f]) for f in features] for row in rows])
y = np.array([row["status"] for row in rows])
print(X.shape, np.unique(y, return_counts=True))

# %%
# A network with 2 hidden sign units, found by beam search.
clf = ht.HardThresholdClassifier(hidden=(2,), strategy="beam", random_state=0).fit(X, y)
print("train accuracy", clf.score(X, y))

# %%
# New readings, without a label column.
new = np.loadtxt(DATA / "new_readings.csv", delimiter=",", skiprows=1)
print(clf.predict(new))

# %%
# A model file (JSON, checksummed) and C source with its header; the C is compiled and
# compared bit for bit with hardtarget's own predictions.
out = Path(tempfile.mkdtemp())
ht.export(clf, out / "sensors.json")
print([p.name for p in ht.export(clf, out / "sensors.c")])
print(ht.verify_export(clf, out / "sensors.c"))
print(ht.summary(ht.load(out / "sensors.json")))
