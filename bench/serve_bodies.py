"""Request bodies for bench/serve.sh, from the real data sets: one JSON body per line.

  users GOWALLA_TRAIN N OUT      {"user": ID, "k": 20} for N users drawn (seeded) from train.txt
  histories SEQUENCES N OUT      {"history": [up to 50 items], "k": 20}: each drawn user's
                                 sequence without its last item (the leave-one-out test item),
                                 its last 50 items, oldest first
"""
import json
import random
import sys


def rows(path):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                yield parts[0], parts[1:]


def main():
    kind, path, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    data = [r for r in rows(path) if kind == "users" or len(r[1]) >= 2]
    rng = random.Random(2020)
    picked = [rng.choice(data) for _ in range(count)]
    with open(out, "w") as f:
        for user, items in picked:
            if kind == "users":
                body = {"user": user, "k": 20}
            else:
                body = {"history": items[:-1][-50:], "k": 20}
            f.write(json.dumps(body, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
