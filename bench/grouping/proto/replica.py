#!/usr/bin/env python3
"""A Python replica of the grouping engine, for trying scoring ideas on the
labelled corpus before porting them to C (see ../README.md).

Input: the corpus with the features the C tokenizer produces (dump.py).
Document frequencies are exact (the engine uses a count-min sketch), every
report sharing a feature is scored (the engine scores the 8 best found
through its candidate index; on the corpus the results are the same).

    python3 dump.py features.json            # needs psql and the extension
    python3 replica.py features.json --only dev --thresholds 11 12 13 14 \\
        [--no-source-idf] [--phrase-word-share 1.0] [--conflict 0.4] ...

Thresholds are on the evidence (score = evidence / (evidence + 10); the
default signals.similarity_threshold 0.565 is evidence 13).
"""
import argparse, json, math, random
from collections import Counter, defaultdict

BOOST = {"word": 1.0, "phrase": 1.0, "identifier": 1.5, "file": 1.5, "exception": 2.0,
         "code": 2.0, "route": 1.5}


class Replica:
    def __init__(self, threshold, prior=20.0, cap=6.0, rho=0.5, phrase_word_share=0.5,
                 conflict=0.2, source_idf=True):
        self.t, self.prior, self.cap, self.rho = threshold, prior, cap, rho
        self.pws, self.conflict, self.source_idf = phrase_word_share, conflict, source_idf
        self.df, self.n = Counter(), 0
        self.sdf, self.sn = defaultdict(Counter), Counter()
        self.reports, self.keys, self.index = [], {}, defaultdict(set)
        self.log = []

    def idf(self, f, src):
        v = min(self.cap, math.log((self.n + self.prior) / (self.df[f] + 1)))
        if self.source_idf:
            v = min(v, math.log((self.sn[src] + self.prior) / (self.sdf[src][f] + 1)))
        return max(0.05, v)

    def evidence(self, rep, feats, w, parts):
        prof, n = rep["profile"], rep["n"]
        contrib = {f: w[f] * math.sqrt(min(1.0, prof[f] / n)) for f in feats if f in prof}
        half = set()
        for f in contrib:
            if f[0] == "phrase":
                half.update(parts.get(f, ()))
        ev = sum(c * (self.pws if f in half else 1.0) for f, c in contrib.items())
        # signature conflicts: exceptions, files (vs files and identifiers), routes
        kinds = rep["kinds"]
        for kind, also in (("exception", ()), ("file", ("identifier",)), ("route", ())):
            mine = [f for f in feats if f[0] == kind]
            if mine and kinds[kind] and not any(f in prof for f in feats if f[0] in (kind,) + also):
                ev *= self.conflict
        return ev, contrib

    def add(self, i, s):
        src = (s["product"], s["type"])
        feats = list(dict.fromkeys(tuple(x) for x in s["feats"]))
        words = {f[1]: f for f in feats if f[0] == "word"}
        parts = {f: tuple(words[x] for x in f[1].split(" ", 1) if x in words)
                 for f in feats if f[0] == "phrase"}
        w = {f: BOOST[f[0]] * self.idf(f, src) for f in feats}
        rep, how, best = None, "new", None
        for k in s["keys"]:
            if k in self.keys:
                rep, how = self.keys[k], "dedupe_key"
                break
        if rep is None:
            cands = set().union(*(self.index[f] for f in feats)) if feats else set()
            scored = sorted(((self.evidence(self.reports[r], feats, w, parts)[0], r) for r in cands),
                            key=lambda x: (-x[0], -x[1]))
            if scored:
                best = scored[0]
                if best[0] >= self.t:
                    rep, how = best[1], "similarity"
        self.log.append((i, how, best))
        if rep is None:
            rep = len(self.reports)
            self.reports.append({"profile": Counter(), "n": 0, "kinds": Counter(), "members": []})
        r = self.reports[rep]
        for f in feats:
            if f not in r["profile"]:
                r["kinds"][f[0]] += 1
            r["profile"][f] += 1
            self.index[f].add(rep)
        r["n"] += 1
        r["members"].append(i)
        for k in s["keys"]:
            self.keys[k] = rep
        for f in feats:
            self.df[f] += 1
            self.sdf[src][f] += 1
        self.n += 1
        self.sn[src] += 1
        return rep


def pairwise(sigs, assign, scope):
    tp = fp = fn = 0
    for a in range(len(sigs)):
        for b in range(a + 1, len(sigs)):
            sa, sb = scope(sigs[a]), scope(sigs[b])
            if not (sa or sb):
                continue
            same_pred, same_true = assign[a] == assign[b], sigs[a]["group"] == sigs[b]["group"]
            if same_pred and same_true and sa and sb:
                tp += 1
            elif same_pred and not same_true:
                fp += 1
            elif same_true and not same_pred and sa and sb:
                fn += 1
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("features")
    ap.add_argument("--only", default="dev", choices=["dev", "holdout", "all"])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[11, 12, 13, 14])
    ap.add_argument("--prior", type=float, default=20.0)
    ap.add_argument("--cap", type=float, default=6.0)
    ap.add_argument("--rho", type=float, default=0.5)
    ap.add_argument("--phrase-word-share", type=float, default=0.5)
    ap.add_argument("--conflict", type=float, default=0.2)
    ap.add_argument("--no-source-idf", action="store_true")
    args = ap.parse_args()
    sigs = json.load(open(args.features))
    scope = {"dev": lambda s: s["split"] == "dev", "holdout": lambda s: s["split"] == "holdout",
             "all": lambda s: True}[args.only]
    for t in args.thresholds:
        ps, rs = [], []
        for seed in range(args.seeds):
            order = list(range(len(sigs)))
            random.Random(seed).shuffle(order)
            eng = Replica(t, args.prior, args.cap, args.rho, args.phrase_word_share, args.conflict,
                          not args.no_source_idf)
            assign = {i: eng.add(i, sigs[i]) for i in order}
            p, r = pairwise(sigs, assign, scope)
            ps.append(p)
            rs.append(r)
        print("evidence >= %-5g (score %.3f): %s precision %.3f recall %.3f" % (
            t, t / (t + 10), args.only, sum(ps) / len(ps), sum(rs) / len(rs)))


if __name__ == "__main__":
    main()
