#!/usr/bin/env python3
"""How much of a full-precision LightGCN model 1-bit signs keep, with and without a rotation
(RESULTS.md, HQ-GNN, "ITQ warm start"): validation Recall@20 of the sign codes (times the
per-row mean |x|) of the model's final embeddings as trained, after a random rotation, and after
ITQ (four starts, 50 and 100 alternations). The validation split is carved from train.txt
exactly as `compactrec train` carves it (10%, seed 2020, xoshiro256**); the float model's own
figure is printed first as the check (0.18997 for runs/gowalla-lightgcn-ft.crm, as its training
logged). With BITS 2 or 4 the same is done with RowQuantizer's b-bit codes (step s_b * rms of the
row) instead of signs. Needs NumPy. Usage: bench/signs_check.py [MODEL.crm] [DATA_DIR] [BITS]"""
import sys, json, math, struct
import numpy as np
def load(path):
    b = open(path,'rb').read()
    n = struct.unpack_from('<Q', b, 16)[0]
    h = json.loads(b[24:24+n])
    t = {}
    dt = {'f32':np.float32,'u64':np.uint64,'i32':np.int32,'u32':np.uint32,'f16':np.float16,'u8':np.uint8}
    for e in h['tensors']:
        ty = e['type'] if isinstance(e['type'], str) else list(e['type'].keys())[0]
        a = np.frombuffer(b, dtype=dt.get(ty, np.uint8), count=int(np.prod(e['shape'])), offset=e['offset'])
        t[e['name']] = a.reshape(e['shape'])
    return h, t

M = (1<<64)-1
class Gen:
    def __init__(self, seed):
        x = seed
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
            s.append(z ^ (z >> 31))
        self.s = s
    def next(self):
        s0,s1,s2,s3 = self.s
        r = ((s1*5)&M); r = (((r << 7) | (r >> 57)) & M) * 9 & M
        t = (s1 << 17) & M
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M
        self.s = [s0,s1,s2,s3]
        return r
    def index(self, bound):
        r = self.next() >> 32
        return (r * bound) >> 32

def read_lists(path):
    out = []
    for line in open(path):
        p = line.split()
        if not p: continue
        out.append((p[0], p[1:]))
    return out

def load_split(data, userIDs, itemIDs, fraction=0.1, seed=2020):
    uidx = {u:i for i,u in enumerate(userIDs)}; iidx = {v:i for i,v in enumerate(itemIDs)}
    train = [[] for _ in userIDs]
    for u, items in read_lists(data + '/train.txt'):
        seen = set(); l = train[uidx[u]]
        for it in items:
            if it in seen: continue
            seen.add(it); l.append(iidx[it])
    test = [[] for _ in userIDs]
    for u, items in read_lists(data + '/test.txt'):
        test[uidx[u]] = [iidx[i] for i in dict.fromkeys(items)]
    g = Gen(seed); fit = []; val = []
    for l in train:
        n = len(l); c = min(int(math.floor(fraction*n + 0.5)), n-1)
        if c <= 0: fit.append(l); val.append([]); continue
        pool = list(range(n))
        for i in range(c):
            j = i + g.index(n - i); pool[i], pool[j] = pool[j], pool[i]
        mv = set(pool[:c])
        fit.append([l[k] for k in range(n) if k not in mv]); val.append([l[k] for k in range(n) if k in mv])
    return train, fit, val, test

def recall_at(scorefn, nusers, nitems, seen, target, k=20, chunk=2048):
    tot = 0.0; cnt = 0; nd = 0.0
    disc = 1/np.log2(np.arange(2, k+2))
    for a in range(0, nusers, chunk):
        b = min(a+chunk, nusers)
        S = scorefn(a, b)
        for r, u in enumerate(range(a, b)):
            if seen[u]: S[r, seen[u]] = -np.inf
        top = np.argpartition(-S, k, axis=1)[:, :k]
        ts = np.take_along_axis(S, top, 1); o = np.argsort(-ts, axis=1); top = np.take_along_axis(top, o, 1)
        for r, u in enumerate(range(a, b)):
            t = target[u]
            if not t: continue
            ts_ = set(t); hits = np.array([x in ts_ for x in top[r]])
            tot += hits.sum()/len(t); cnt += 1
            nd += (hits*disc).sum() / disc[:min(len(t),k)].sum()
    return tot/cnt, nd/cnt

if __name__ == '__main__':
    model = sys.argv[1] if len(sys.argv) > 1 else 'runs/gowalla-lightgcn-ft.crm'
    data = sys.argv[2] if len(sys.argv) > 2 else '../shared/data/gowalla'
    bits = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    h, t = load(model)
    for side in ('user', 'item'):  # format 2 stores ids 0..n-1 as their count
        if h.get(side + 'Count'):
            h[side + 'IDs'] = [str(i) for i in range(h[side + 'Count'])]
    U = t['user_embedding'].astype(np.float64); I = t['item_embedding'].astype(np.float64)
    _, fit, vl, _ = load_split(data, h['userIDs'], h['itemIDs'])
    nu, ni, d = U.shape[0], I.shape[0], U.shape[1]
    def recall(Uq, Iq):
        Uq = Uq.astype(np.float32); Iq = Iq.astype(np.float32)
        return recall_at(lambda a, b: Uq[a:b] @ Iq.T, nu, ni, fit, vl)[0]
    def quantized(X):  # RowQuantizer's codes, dequantized
        if bits == 1: return np.sign(X) * np.abs(X).mean(1, keepdims=True)
        z = (2**bits - 1) / 2
        step = {2: 0.9957, 4: 0.3352}[bits] * np.sqrt((X**2).mean(1, keepdims=True))
        return step * (np.clip(np.floor(X / step + z + 0.5), 0, 2**bits - 1) - z)
    def signs(R):
        return recall(quantized(U @ R), quantized(I @ R))
    label = 'signs' if bits == 1 else '%d-bit codes' % bits
    print('float', round(recall(U, I), 5), flush=True)
    print(label, 'as trained', round(signs(np.eye(d)), 4), flush=True)
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((d, d)))
    print(label, 'after a random rotation', round(signs(Q), 4), flush=True)
    V = np.vstack([U, I]); V /= np.linalg.norm(V, axis=1, keepdims=True)
    for seed in range(4):
        R, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
        for it in range(1, 101):
            B = np.sign(V @ R); S, _, Wt = np.linalg.svd(B.T @ V); R = (S @ Wt).T
            if it in (50, 100):
                print(label, 'after ITQ, start', seed, 'alternations', it, round(signs(R), 4), flush=True)
