"""All-users top-k retrieval: CompactRec's indexes against FAISS on the same trained vectors.

Usage (bench/peer.sh sets up the environment and the models):
  python bench/peer_retrieval.py --compactrec BIN --float F.crm --bits1 B1.crm --bits4 B4.crm --bits8 B8.crm
      [--bits2 B2.crm] [--bits1-d256 B.crm] [--k 20] [--rounds 5] [--threads 2] --out FILE.json

Every user's top-k with the items it has seen excluded, 2 threads on each side. The vectors
come from the model files themselves (the .crm layout of Sources/CompactRecKit/Storage/
ModelFileLayout.swift): FAISS indexes the float model's user and item embeddings (flat, scalar
quantizer at 8 and 4 bits, PQ fast-scan with 32 x 4 bits) and the 1-bit model's sign codes
(IndexBinaryFlat). CompactRec's side is `compactrec bench retrieval --repeat 1` on each model.
Rounds alternate the two sides, pair by pair, and each figure is the best of the rounds.
FAISS cannot skip items per query, so users go in groups of 4,096 with similar seen counts,
each searched for k plus the group's largest seen count, and seen items are dropped from the
result (the way a FAISS user excludes them); groups of 4,096 were the fastest for FAISS here
(flat: 2.8 s against 6.6 s with groups of 1,024 and 8.7 s with one group). Index builds are
timed apart from the searches.
Prints and writes one JSON object: every time, every ratio (`ratio_A_over_B`: A's seconds
over B's, above 1 when B is faster).
"""
import argparse
import json
import os
import platform
import struct
import subprocess
import time

import faiss
import numpy as np

MAGIC = bytes([0x89, 0x43, 0x52, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A])
DTYPES = {"f32": np.float32, "f16": np.float16, "u64": np.uint64, "i32": np.int32, "u8": np.uint8}


def read_crm(path):
    """The header and the named tensors of a .crm file, as numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise SystemExit(f"{path}: not a CompactRec model file")
    (length,) = struct.unpack_from("<Q", data, 16)
    header = json.loads(data[24 : 24 + length])
    tensors = {}
    for t in header["tensors"]:
        array = np.frombuffer(data, dtype=DTYPES[t["type"]], count=int(np.prod(t["shape"])), offset=t["offset"])
        tensors[t["name"]] = array.reshape(t["shape"])
    return header, tensors


def rice_lists(data, users):
    """The histories of `history/rice` (Sources/CompactRecKit/Storage/HistoryCoding.swift)."""
    data = np.asarray(data, dtype=np.uint8)
    bits = np.unpackbits(data, bitorder="little")
    zeros = np.flatnonzero(bits == 0)
    pos, out = 0, []
    for _ in range(users):
        n, shift = 0, 0
        while True:
            byte = int(data[pos])
            pos += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        if n == 0:
            out.append(np.zeros(0, dtype=np.int32))
            continue
        k, ascending = int(data[pos]) & 0x7F, int(data[pos]) & 0x80
        pos += 1
        at, previous, items = 8 * pos, 0, []
        for _ in range(n):
            end = int(zeros[np.searchsorted(zeros, at)])  # the unary quotient ends at the next 0
            q, at = end - at, end + 1
            low = 0
            for b in range(k):
                low |= int(bits[at + b]) << b
            at += k
            d = (q << k) | low
            previous += d if ascending else ((d >> 1) ^ -(d & 1))
            items.append(previous)
        pos = (at + 7) // 8
        out.append(np.array(items, dtype=np.int32))
    return out


def seen_lists(tensors, users):
    if "history/rice" in tensors:
        return rice_lists(tensors["history/rice"], users)
    offsets = tensors["history/offsets"].astype(np.int64)
    items = tensors["history/items"]
    return [items[offsets[u] : offsets[u + 1]] for u in range(len(offsets) - 1)]


def top_unseen(search, queries, seen, k, group=4096):
    """Each query's top-k with its seen items dropped; queries in groups of similar seen counts."""
    order = sorted(range(len(seen)), key=lambda u: len(seen[u]))
    out = [None] * len(seen)
    for start in range(0, len(order), group):
        users = order[start : start + group]
        extra = max(len(seen[u]) for u in users)
        _, ids = search(queries[users], k + extra)
        for row, u in enumerate(users):
            s = set(seen[u].tolist())
            out[u] = [i for i in ids[row] if i >= 0 and i not in s][:k]
    return out


def ours(binary, model, k, threads):
    """Seconds of one all-users search by `compactrec bench retrieval` on `threads` threads."""
    result = subprocess.run(
        [binary, "bench", "retrieval", "--model", model, "-k", str(k), "--repeat", "1"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "COMPACTREC_THREADS": str(threads)},
    )
    return json.loads(result.stdout)["seconds"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compactrec", required=True)
    p.add_argument("--float", required=True, dest="float_model")
    p.add_argument("--bits1", required=True)
    p.add_argument("--bits4", required=True)
    p.add_argument("--bits8", required=True)
    p.add_argument("--bits2")
    p.add_argument("--bits1-d256", dest="bits1_d256")
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    faiss.omp_set_num_threads(a.threads)

    _, float_tensors = read_crm(a.float_model)
    users = np.ascontiguousarray(float_tensors["user_embedding"], dtype=np.float32)
    items = np.ascontiguousarray(float_tensors["item_embedding"], dtype=np.float32)
    seen = seen_lists(float_tensors, users.shape[0])
    d = items.shape[1]
    header1, bit_tensors = read_crm(a.bits1)
    if header1["hyperParameters"]["bits"] != 1 or header1["hyperParameters"]["dim"] % 8:
        raise SystemExit(f"{a.bits1}: not a 1-bit model with a width divisible by 8")
    d1 = int(header1["hyperParameters"]["dim"])
    # Plane 0 of each row, little-endian words: bit c of the code at bit c % 8 of byte c / 8.
    user_bits = np.ascontiguousarray(bit_tensors["user_codes"]).view(np.uint8)[:, : d1 // 8].copy()
    item_bits = np.ascontiguousarray(bit_tensors["item_codes"]).view(np.uint8)[:, : d1 // 8].copy()

    builds, peers = {}, {}

    def build(name, make):
        start = time.perf_counter()
        index = make()
        builds[name] = time.perf_counter() - start
        peers[name] = index

    def flat():
        index = faiss.IndexFlatIP(d)
        index.add(items)
        return index

    def scalar(qtype):
        def make():
            index = faiss.IndexScalarQuantizer(d, qtype, faiss.METRIC_INNER_PRODUCT)
            index.train(items)
            index.add(items)
            return index

        return make

    def fast_scan():
        index = faiss.IndexPQFastScan(d, 32, 4, faiss.METRIC_INNER_PRODUCT)
        index.train(items)
        index.add(items)
        return index

    def binary():
        index = faiss.IndexBinaryFlat(d1)
        index.add(item_bits)
        return index

    build("flat", flat)
    build("sq8", scalar(faiss.ScalarQuantizer.QT_8bit))
    build("sq4", scalar(faiss.ScalarQuantizer.QT_4bit))
    build("pqfastscan", fast_scan)
    build("binary", binary)
    queries = {"flat": users, "sq8": users, "sq4": users, "pqfastscan": users, "binary": user_bits}
    # FAISS index -> the CompactRec model it is compared with.
    pairs = [("flat", "float"), ("sq8", "b8"), ("sq4", "b4"), ("pqfastscan", "b4"), ("binary", "b1")]
    models = {"float": a.float_model, "b1": a.bits1, "b4": a.bits4, "b8": a.bits8}
    extra = [m for m in [("b2", a.bits2), ("b1_d256", a.bits1_d256)] if m[1]]
    models.update(dict(extra))

    faiss_times = {name: [] for name in peers}
    our_times = {name: [] for name in models}
    for r in range(a.rounds):
        for peer, mine in pairs:
            index = peers[peer]
            start = time.perf_counter()
            top_unseen(lambda q, kk: index.search(q, kk), queries[peer], seen, a.k)
            faiss_times[peer].append(time.perf_counter() - start)
            our_times[mine].append(ours(a.compactrec, models[mine], a.k, a.threads))
        for mine, _ in extra:  # the widths without a FAISS peer, against our float in this round
            our_times[mine].append(ours(a.compactrec, models[mine], a.k, a.threads))
        print(f"round {r + 1}/{a.rounds} done", flush=True)

    best = lambda xs: min(xs) if xs else None
    out = {
        "benchmark": "peer_retrieval",
        "k": a.k,
        "users": int(users.shape[0]),
        "items": int(items.shape[0]),
        "dim": d,
        "threads": a.threads,
        "rounds": a.rounds,
        "faiss_version": faiss.__version__,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "models": models,
        "seen_excluded": "FAISS: groups of 4,096 users searched for k plus the group's largest seen count",
        "faiss_build_seconds": builds,
        "all_seconds": {"faiss_" + n: t for n, t in faiss_times.items()} | {"compactrec_" + n: t for n, t in our_times.items()},
    }
    for name, times in faiss_times.items():
        out[f"faiss_{name}_seconds"] = best(times)
    for name, times in our_times.items():
        out[f"compactrec_{name}_seconds"] = best(times)
    for peer, mine in pairs:
        out[f"ratio_faiss_{peer}_over_{mine}"] = best(faiss_times[peer]) / best(our_times[mine])
    for mine in our_times:
        if mine != "float":
            out[f"ratio_float_over_{mine}"] = best(our_times["float"]) / best(our_times[mine])
    text = json.dumps(out, indent=2, sort_keys=True)
    with open(a.out, "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
