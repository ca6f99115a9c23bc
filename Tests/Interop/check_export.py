"""Reads a `compactrec export` with FAISS and NumPy themselves and checks it against the model.

Usage: python check_export.py CASES.json

CASES.json lists export cases: {"numpy": DIR, "faiss": DIR, "bits": B, "users": [row, ...],
"seen": [[item row, ...], ...], "expected": [[item row, ...], ...], "k": K}, where expected holds
`compactrec recommend`'s top-K for each listed user (seen items excluded), as item rows.

For every case it checks that
- numpy.load opens every .npy file and faiss.read_index / read_index_binary every index;
- the files are byte for byte what FAISS writes itself from the same vectors and ids;
- FAISS's top-K over items.faiss for the listed users, seen items excluded, equals the model's
  (an exchange of two items whose inner products differ by at most 1e-5 relative counts as a
  tie, and such ties are reported);
- at 1 bit, the sign codes in the NumPy files equal numpy.packbits of the signs of the vectors.
Prints one line per case and exits 1 on any failure.
"""
import json
import os
import sys
import tempfile

import faiss
import numpy as np


def same_bytes(ours, index, writer):
    with tempfile.TemporaryDirectory() as tmp:
        theirs = os.path.join(tmp, "index")
        writer(index, theirs)
        with open(theirs, "rb") as a, open(ours, "rb") as b:
            return a.read() == b.read()


def check(case):
    problems = []
    nd, fd = case["numpy"], case["faiss"]
    items = np.load(os.path.join(nd, "items.npy"))
    users = np.load(os.path.join(nd, "users.npy"))
    assert np.array_equal(users, np.load(os.path.join(fd, "users.npy"))), "users.npy differs between formats"
    index = faiss.read_index(os.path.join(fd, "items.faiss"))
    if index.ntotal != items.shape[0] or index.d != items.shape[1]:
        problems.append(f"items.faiss holds {index.ntotal} x {index.d}, items.npy {items.shape}")
    ref = faiss.IndexIDMap(faiss.IndexFlatIP(items.shape[1]))
    ref.add_with_ids(items, np.arange(items.shape[0], dtype=np.int64))
    if not same_bytes(os.path.join(fd, "items.faiss"), ref, faiss.write_index):
        problems.append("items.faiss differs from FAISS's own file for the same vectors")

    k = case["k"]
    rows = np.array(case["users"], dtype=np.int64)
    widest = k + max(len(s) for s in case["seen"])
    scores, found = index.search(users[rows], widest)
    ties = 0
    for q, (expected, seen) in enumerate(zip(case["expected"], case["seen"])):
        seen = set(seen)
        got = [int(i) for i in found[q] if i >= 0 and int(i) not in seen][:k]
        if got == expected:
            continue
        exact = items[expected] @ users[rows[q]]
        mine = items[got] @ users[rows[q]] if len(got) == len(expected) else None
        if mine is not None and np.allclose(np.sort(exact), np.sort(mine), rtol=1e-5, atol=1e-6):
            ties += 1
        else:
            problems.append(f"user row {rows[q]}: FAISS {got[:5]}... model {expected[:5]}...")

    if case["bits"] == 1:
        signs = {name: np.load(os.path.join(nd, f"{name}_codes.npy")) for name in ("item", "user")}
        for name, vectors in (("item", items), ("user", users)):
            packed = np.packbits(vectors > 0, axis=1, bitorder="little")
            if not np.array_equal(packed, signs[name]):
                problems.append(f"{name}_codes.npy is not the packed signs of {name}s.npy")
        binary = faiss.read_index_binary(os.path.join(fd, "items.binary.faiss"))
        ref_binary = faiss.IndexBinaryIDMap(faiss.IndexBinaryFlat(signs["item"].shape[1] * 8))
        ref_binary.add_with_ids(signs["item"], np.arange(items.shape[0], dtype=np.int64))
        if binary.ntotal != items.shape[0]:
            problems.append(f"items.binary.faiss holds {binary.ntotal} codes")
        if not same_bytes(os.path.join(fd, "items.binary.faiss"), ref_binary, faiss.write_index_binary):
            problems.append("items.binary.faiss differs from FAISS's own file for the same codes")
    name = case.get("name", nd)
    status = "FAIL" if problems else "ok"
    print(f"{status} {name}: {len(rows)} users, top-{k} equal ({ties} within-tolerance ties); faiss {faiss.__version__}")
    for p in problems:
        print("  " + p)
    return not problems


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    sys.exit(0 if all([check(c) for c in cases]) else 1)
