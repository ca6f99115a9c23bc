#!/usr/bin/env python3
"""Prints the README/RESULTS markdown tables of the sequential (issue 5) and CpRec (issue 6)
runs from the JSON in bench/results/ (written by bench/sequential.sh and bench/cprec.sh).
Usage: bench/tables.py sequential DATASET NAME...   (NAME: e.g. sasrec-dropout0.5)
       bench/tables.py cprec DATASET PROTOCOL [MODEL]   (MODEL: gru4rec or sasrec; default NextItNet)
       bench/tables.py cprec-summary   (NextItNet variants: NDCG@20 in all four settings)
       bench/tables.py cprec-clean DATASET PROTOCOL   (bench/cprec-clean.sh's top-5 rounds)
       bench/tables.py cprec-seeds DATASET PROTOCOL SEED...   (the headline pair over seeds)"""
import json
import os
import statistics
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def load(name):
    """The JSON of one result, or None while it is absent or still being written."""
    try:
        return json.load(open(os.path.join(RESULTS, name + ".json")))
    except (OSError, ValueError):
        return None


def sequential(dataset, names):
    print("| model | HR@5 | HR@10 | HR@20 | NDCG@5 | NDCG@10 | NDCG@20 | MRR@5 | MRR@10 | MRR@20 | sampled HR@10 | sampled NDCG@10 |")
    print("|---|" + "---|" * 11)
    for name in names:
        e = load(f"seq-{dataset}-{name}-eval")
        if e is None:
            continue
        m, s = e["metrics"], e["sampled"]["metrics"]
        cells = [m[f"{k}@{c}"] for k in ("hr", "ndcg", "mrr") for c in (5, 10, 20)]
        cells += [s["hr@10"], s["ndcg@10"]]
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in cells) + " |")


VARIANTS = ("base", "input", "output", "both", "both+cross-layer", "both+cross-block", "both+adjacent-layer", "both+adjacent-block")
SETTINGS = (("beauty", "cprec"), ("beauty", "loo"), ("sports", "cprec"), ("sports", "loo"))
# NextItNet and CpRec-NextItNet (the headline pair of bench/cprec-clean.sh and the seed runs).
PAIR = ("base", "both+cross-block")


def cprec(dataset, protocol, model=None):
    prefix = f"cprec-{model}" if model else "cprec"
    print("| variant | MRR@5 | HR@5 | NDCG@5 | MRR@20 | HR@20 | NDCG@20 | input params | middle params | output params | total | model bytes | s/epoch | top-5 users/s | output layer s |")
    print("|---|" + "---|" * 14)
    for variant in VARIANTS:
        name = f"{prefix}-{dataset}-{protocol}-{variant}"
        e, i = load(name + "-eval"), load(name + "-inspect")
        if e is None or i is None:
            continue
        m = e["metrics"]
        parts = {c["name"]: c for c in i["components"]}
        epoch, top = load(name + "-epoch"), load(name + "-top5")
        cells = [f"{m[f'{k}@{c}']:.4f}" for c in (5, 20) for k in ("mrr", "hr", "ndcg")]
        cells += [f"{parts[c]['parameters']:,}" for c in ("input", "middle", "output")]
        cells += [f"{i['parameters']:,}", f"{i['model_bytes']:,}"]
        cells += [f"{epoch['seconds_per_epoch']:.1f}" if epoch else "-"]
        cells += [f"{top['queries_per_second']:,.0f}" if top else "-", f"{top['output_seconds']:.2f}" if top else "-"]
        print(f"| {variant} | " + " | ".join(cells) + " |")


def cprec_summary():
    """One row per NextItNet variant: its parameters (CpRec protocol, or leave-one-out where
    only that was trained) and its test NDCG@20 with its share of the base's, in each data
    set and protocol; "-" where it was not run."""
    heads = [f"{d.capitalize()} {'CpRec' if p == 'cprec' else 'leave-one-out'}" for d, p in SETTINGS]
    print("| variant | parameters (Beauty) | parameters (Sports) | " + " | ".join(f"NDCG@20, {h}" for h in heads) + " |")
    print("|---|" + "---|" * (2 + len(SETTINGS)))
    base = {s: load(f"cprec-{s[0]}-{s[1]}-base-eval") for s in SETTINGS}
    for variant in VARIANTS:
        cells = []
        for d in ("beauty", "sports"):
            i, loo = load(f"cprec-{d}-cprec-{variant}-inspect"), load(f"cprec-{d}-loo-{variant}-inspect")
            cells.append(f"{i['parameters']:,}" if i else f"{loo['parameters']:,} (loo)" if loo else "-")
        for s in SETTINGS:
            e = load(f"cprec-{s[0]}-{s[1]}-{variant}-eval")
            if e is None or base[s] is None:
                cells.append("-")
                continue
            v, b = e["metrics"]["ndcg@20"], base[s]["metrics"]["ndcg@20"]
            cells.append(f"{v:.4f}" if variant == "base" else f"{v:.4f} ({100 * v / b:.0f}%)")
        print(f"| {variant} | " + " | ".join(cells) + " |")


def cprec_clean(dataset, protocol):
    """bench/cprec-clean.sh's rounds: output-layer seconds and users per second of NextItNet
    and CpRec-NextItNet, round by round, then the fastest against the fastest."""
    print("| round | NextItNet output s | CpRec output s | ratio | NextItNet users/s | CpRec users/s |")
    print("|---|---|---|---|---|---|")
    fastest = {v: [] for v in PAIR}
    rnd = 1
    while True:
        a, b = (load(f"cprec-{dataset}-{protocol}-clean-top5-{v}-{rnd}") for v in fastest)
        if a is None or b is None:
            break
        for v, r in zip(fastest, (a, b)):
            fastest[v].append(r)
        print(f"| {rnd} | {a['output_seconds']:.3f} | {b['output_seconds']:.3f} | "
              f"{a['output_seconds'] / b['output_seconds']:.2f} | {a['queries_per_second']:,.0f} | {b['queries_per_second']:,.0f} |")
        rnd += 1
    if fastest[PAIR[0]]:
        base, cprec = (fastest[v] for v in PAIR)
        a = min(r["output_seconds"] for r in base)
        b = min(r["output_seconds"] for r in cprec)
        qa = max(r["queries_per_second"] for r in base)
        qb = max(r["queries_per_second"] for r in cprec)
        last = cprec[-1]
        print(f"| fastest | {a:.3f} | {b:.3f} | {a / b:.2f} | {qa:,.0f} | {qb:,.0f} ({qb / qa:.2f}x) |")
        print(f"\nskipped (user, tail block) pairs: {last['skipped_tail_block_fraction']:.1%} before the product, "
              f"{last.get('skipped_after_product_fraction', 0):.1%} after it")


def cprec_seeds(dataset, protocol, seeds):
    """NDCG@20 and HR@20 of NextItNet and CpRec-NextItNet for the default seed (2020) and
    each SEED run of bench/cprec.sh, the ratio per seed, and mean and sample deviation."""
    print("| seed | NextItNet NDCG@20 | CpRec NDCG@20 | ratio | NextItNet HR@20 | CpRec HR@20 |")
    print("|---|---|---|---|---|---|")
    rows = []
    for seed in ["2020"] + seeds:
        tag = "" if seed == "2020" else f"-seed{seed}"
        e = [load(f"cprec-{dataset}-{protocol}-{v}{tag}-eval") for v in PAIR]
        if None in e:
            continue
        m = [x["metrics"] for x in e]
        rows.append((m[0]["ndcg@20"], m[1]["ndcg@20"], m[0]["hr@20"], m[1]["hr@20"]))
        print(f"| {seed} | {m[0]['ndcg@20']:.4f} | {m[1]['ndcg@20']:.4f} | {100 * m[1]['ndcg@20'] / m[0]['ndcg@20']:.1f}% | "
              f"{m[0]['hr@20']:.4f} | {m[1]['hr@20']:.4f} |")
    if len(rows) > 1:
        cols = list(zip(*rows))
        mean = [statistics.mean(c) for c in cols]
        sd = [statistics.stdev(c) for c in cols]
        ratios = [r[1] / r[0] for r in rows]
        print(f"| mean ± sd | {mean[0]:.4f} ± {sd[0]:.4f} | {mean[1]:.4f} ± {sd[1]:.4f} | "
              f"{100 * mean[1] / mean[0]:.1f}% (per seed {100 * min(ratios):.0f}-{100 * max(ratios):.0f}%) | "
              f"{mean[2]:.4f} ± {sd[2]:.4f} | {mean[3]:.4f} ± {sd[3]:.4f} |")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "sequential":
        sequential(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "cprec":
        cprec(*sys.argv[2:])
    elif len(sys.argv) == 2 and sys.argv[1] == "cprec-summary":
        cprec_summary()
    elif len(sys.argv) >= 4 and sys.argv[1] == "cprec-seeds":
        cprec_seeds(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "cprec-clean":
        cprec_clean(*sys.argv[2:])
    else:
        sys.exit(__doc__)
