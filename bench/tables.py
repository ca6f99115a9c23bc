#!/usr/bin/env python3
"""Prints the README/RESULTS markdown tables of the sequential (issue 5) and CpRec (issue 6)
runs from the JSON in bench/results/ (written by bench/sequential.sh and bench/cprec.sh).
Usage: bench/tables.py sequential DATASET NAME...   (NAME: e.g. sasrec-dropout0.5)
       bench/tables.py cprec DATASET PROTOCOL [MODEL]   (MODEL: gru4rec or sasrec; default NextItNet)"""
import json
import os
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


def cprec(dataset, protocol, model=None):
    prefix = f"cprec-{model}" if model else "cprec"
    print("| variant | MRR@5 | HR@5 | NDCG@5 | MRR@20 | HR@20 | NDCG@20 | input params | middle params | output params | total | model bytes | s/epoch | top-5 users/s | output layer s |")
    print("|---|" + "---|" * 14)
    for variant in ("base", "input", "output", "both", "both+cross-layer", "both+cross-block", "both+adjacent-layer", "both+adjacent-block"):
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


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "sequential":
        sequential(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "cprec":
        cprec(*sys.argv[2:])
    else:
        sys.exit(__doc__)
