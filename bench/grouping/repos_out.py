#!/usr/bin/env python3
"""Leave-repositories-out check of the grouping threshold on real reports.

The corpus's repositories are split into two folds (alternately, by name).
For each fold, the threshold is tuned on the other fold alone (the grid value
with the best mean B-cubed F1 over the arrival orders, all parts), then the
hidden fold is scored at that threshold and at the threshold tuned on the
hidden fold itself (in-sample).  An engine that is general, not fitted to
these items, scores the hidden fold about as well either way.

Usage: repos_out.py [--grid 0.25,0.3,0.35,0.4,0.45] [--orders created,1,2,3]
Connects with psql like real_corpus.py.
"""
import argparse, json, os, statistics, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_corpus as rc


def evaluate(corpus, repos, threshold, orders):
    rows = []
    for order in orders:
        assignment = rc.run_order(corpus, repos, order, threshold)
        s = rc.score_subset(corpus, repos, assignment)
        rows.append(s)
    return {k: statistics.mean(r[k] for r in rows) for k in rows[0]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=rc.DEFAULT_CORPUS)
    ap.add_argument("--grid", default="0.25,0.3,0.35,0.4,0.45")
    ap.add_argument("--orders", default="created,1,2,3")
    a = ap.parse_args()
    corpus = [json.loads(l) for l in open(os.path.join(a.corpus, "real-issues.jsonl"), encoding="utf-8")]
    repos = sorted({r["repo"] for r in corpus}, key=str.lower)
    folds = [repos[0::2], repos[1::2]]
    grid = [float(t) for t in a.grid.split(",")]
    orders = a.orders.split(",")
    table = {}
    for f, fold in enumerate(folds):
        items = [r for r in corpus if r["repo"] in fold]
        for t in grid:
            table[(f, t)] = evaluate(items, fold, t, orders)
    for f in (0, 1):
        other = 1 - f
        tuned_out = max(grid, key=lambda t: (table[(other, t)]["bcubed_f1"], -t))
        tuned_in = max(grid, key=lambda t: (table[(f, t)]["bcubed_f1"], -t))
        out, ins = table[(f, tuned_out)], table[(f, tuned_in)]
        print("fold %d (%d repositories): threshold tuned on the other fold %.2f, on itself %.2f" %
              (f, len(folds[f]), tuned_out, tuned_in))
        for k in ("pairwise_p", "pairwise_r", "bcubed_f1"):
            print("  %-11s hidden %.3f  in-sample %.3f  difference %+.3f" % (k, out[k], ins[k], out[k] - ins[k]))


if __name__ == "__main__":
    main()
