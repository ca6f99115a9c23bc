"""Hamming candidates against the exact ranking of a 1-bit model, from its `compactrec export`.

Usage: python bench/hamming_rerank.py EXPORT_DIR DATA_DIR [--candidates 200] [--k 20] [--threads 2]

EXPORT_DIR holds a numpy-format export of a 1-bit HQ-GNN model (items.npy, users.npy,
item_codes.npy, user_codes.npy, items.tsv, users.tsv); DATA_DIR is the given split it was
trained on (train.txt: the seen items, excluded everywhere; test.txt: the held-out items).
For every user with test items it times and compares, seen items excluded:
- exact: FAISS IndexFlatIP over the dequantized vectors (the model's own ranking);
- hamming: FAISS IndexBinaryFlat over the sign codes (a candidate generator);
- rerank: the Hamming top-C re-ranked by the exact inner products.
It prints one JSON object: per method the seconds (best of 3), recall@k against the exact
top-k (the share of the exact list found), and test Recall@k (hits over the user's test items,
as `compactrec evaluate` computes it). Seen items are dropped by searching each group of
1,024 users (sorted by seen count) for k plus the group's largest seen count.
"""
import argparse
import json
import time

import faiss
import numpy as np


def rows(tsv):
    with open(tsv) as f:
        return {line.rstrip("\n").split("\t", 1)[1]: int(line.split("\t", 1)[0]) for line in f}


def lists(path, users, items):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) > 1 and parts[0] in users:
                out[users[parts[0]]] = [items[i] for i in parts[1:] if i in items]
    return out


def best_of(n, body):
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = body()
        times.append(time.perf_counter() - start)
    return min(times), result


def top_unseen(search, queries, seen, k, group=1024):
    """The top-k rows per query with its seen rows dropped: queries in groups of similar seen
    counts (sorted), each searched for k + the group's largest seen count."""
    order = sorted(range(len(queries)), key=lambda q: len(seen[q]))
    out = [None] * len(queries)
    for start in range(0, len(order), group):
        part = order[start:start + group]
        found = search(queries[part], k + max(len(seen[q]) for q in part))
        for q, row in zip(part, found):
            out[q] = [int(i) for i in row if i >= 0 and int(i) not in seen[q]][:k]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("export")
    p.add_argument("data")
    p.add_argument("--candidates", type=int, default=200)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    faiss.omp_set_num_threads(a.threads)
    items = np.load(f"{a.export}/items.npy")
    users = np.load(f"{a.export}/users.npy")
    item_codes = np.load(f"{a.export}/item_codes.npy")
    user_codes = np.load(f"{a.export}/user_codes.npy")
    user_rows, item_rows = rows(f"{a.export}/users.tsv"), rows(f"{a.export}/items.tsv")
    train = lists(f"{a.data}/train.txt", user_rows, item_rows)
    test = lists(f"{a.data}/test.txt", user_rows, item_rows)
    queries = np.array(sorted(u for u in test if test[u]), dtype=np.int64)
    seen = [set(train.get(int(u), [])) for u in queries]

    flat = faiss.IndexFlatIP(items.shape[1])
    flat.add(items)
    binary = faiss.IndexBinaryFlat(item_codes.shape[1] * 8)
    binary.add(item_codes)

    def exact():
        return top_unseen(lambda x, k: flat.search(x, k)[1], users[queries], seen, a.k)

    def hamming(depth):
        return top_unseen(lambda x, k: binary.search(x, k)[1], user_codes[queries], seen, depth)

    def rerank(chunk=1024):
        candidates = np.array(hamming(a.candidates), dtype=np.int64)
        out = []
        for start in range(0, len(queries), chunk):
            part = candidates[start:start + chunk]
            scores = np.einsum("nkd,nd->nk", items[part], users[queries[start:start + chunk]])
            best = np.argsort(-scores, axis=1, kind="stable")[:, : a.k]
            out.extend(np.take_along_axis(part, best, axis=1).tolist())
        return out

    results = {}
    exact_seconds, truth = best_of(3, exact)
    for name, body in (("exact", exact), ("hamming", lambda: hamming(a.k)), ("rerank", rerank)):
        seconds, found = (exact_seconds, truth) if name == "exact" else best_of(3, body)
        overlap = np.mean([len(set(f) & set(t)) / a.k for f, t in zip(found, truth)])
        recall = np.mean([len(set(f) & set(test[int(u)])) / len(test[int(u)]) for f, u in zip(found, queries)])
        results[name] = {"seconds": seconds, f"recall@{a.k}_of_exact": overlap, f"test_recall@{a.k}": recall}
    print(json.dumps({
        "users": len(queries), "items": int(items.shape[0]), "dim": int(items.shape[1]), "k": a.k,
        "candidates": a.candidates, "threads": a.threads, "faiss": faiss.__version__, "methods": results,
    }, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
