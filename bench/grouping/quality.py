#!/usr/bin/env python3
"""Grouping quality on the labelled corpus, through the real SQL path.

For each seed: a fresh team gets the corpus's signals inserted in a shuffled
(seeded) arrival order, signals.group_pending() groups them, and the pairwise
precision and recall of the resulting reports are computed against the
labels: for the dev part, the holdout part and all signals.  A plain word-
overlap baseline (greedy, Jaccard of word sets, best threshold with precision
>= 0.95) is computed on the same orders for comparison.

Usage: quality.py [--seeds N] [--threshold T] [--batch B] [--verbose]
Connects with psql using the usual PG* environment variables.
"""
import argparse, itertools, os, random, re, subprocess, sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
WEIGHTS = {"error_tracking": 0.4, "zendesk": 0.3, "conversations": 0.2, "github": 0.5,
           "linear": 0.5, "session_replay": 0.6, "llm_analytics": 0.4}


def load_corpus(path):
    sigs, group, split, cur = [], None, None, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("#") and cur is None:
            continue
        if line.startswith("== "):
            parts = line.split()
            group, split, cur = parts[1], parts[2], None
            continue
        if line.startswith("-- "):
            parts = line[3:].split()
            keys = []
            for p in parts[2:]:
                if p.startswith("keys="):
                    keys = p[5:].split(",")
            cur = {"group": group, "split": split, "product": parts[0], "type": parts[1],
                   "keys": keys, "lines": []}
            sigs.append(cur)
            continue
        if cur is not None:
            cur["lines"].append(line.rstrip("\n"))
    for s in sigs:
        s["text"] = "\n".join(s["lines"]).strip()
        del s["lines"]
    return sigs


def psql(sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                       input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("psql failed: " + r.stderr)
    return r.stdout


def lit(s):
    return "'" + s.replace("'", "''") + "'"


EXTRA_SETS = []


def run_engine(sigs, order, team, threshold, batch):
    rows = []
    for pos, i in enumerate(order):
        s = sigs[i]
        sid = "01900000-0000-7000-8000-%012d" % pos
        keys = "ARRAY[" + ",".join(lit(k) for k in s["keys"]) + "]::text[]" if s["keys"] else "'{}'::text[]"
        rows.append("(%d, %s, %s, %s, %s, %s, %s, %s)" % (
            team, lit(sid), lit(s["product"]), lit(s["type"]), lit(str(i)),
            lit(s["text"]), WEIGHTS.get(s["product"], 0.5), keys))
    sql = ["SET signals.similarity_threshold = %s;" % threshold if threshold is not None else ""] + \
          ["SET %s;" % x for x in EXTRA_SETS] + [
           "SELECT signals.create_team('quality %d', %d) WHERE NOT EXISTS "
           "(SELECT FROM signals.teams WHERE team_id = %d);" % (team, team, team),
           "INSERT INTO signals.signals (team_id, id, source_product, source_type, source_id, "
           "description, weight, dedupe_keys) VALUES\n" + ",\n".join(rows) + ";",
           "DO $$ BEGIN WHILE signals.group_pending(%d, %d) > 0 LOOP END LOOP; END $$;" % (team, batch),
           "SELECT source_id, report_id, match_method FROM signals.signals WHERE team_id = %d;" % team]
    out = psql("\n".join(sql))
    assign, methods = {}, {}
    for line in out.splitlines():
        if line.count("|") != 2:
            continue
        sid, rid, m = line.split("|")
        assign[int(sid)] = rid
        methods[int(sid)] = m
    return assign, methods


def pairwise(sigs, assign, scope):
    """Precision over predicted pairs touching scope, recall over true pairs inside scope."""
    idx = list(range(len(sigs)))
    tp = fp = fn = 0
    for a, b in itertools.combinations(idx, 2):
        same_pred = assign[a] == assign[b]
        same_true = sigs[a]["group"] == sigs[b]["group"]
        touch = scope(sigs[a]) or scope(sigs[b])
        inside = scope(sigs[a]) and scope(sigs[b])
        if same_pred and touch:
            if same_true:
                tp += 1 if inside else 0
            else:
                fp += 1
        if same_true and inside and not same_pred:
            fn += 1
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r


WORD = re.compile(r"[a-z0-9]+")
STOP = set("the a an and or to of in on for is it my i we our with this that be are was not no but at by from as "
           "when have has can can't it's its so you your they them their after before just all any".split())


def baseline(sigs, order, t):
    reports = []  # (word set, id)
    assign = {}
    for i in order:
        w = set(x for x in WORD.findall(sigs[i]["text"].lower()) if x not in STOP)
        best, bs = None, 0.0
        for k, (rw, _) in enumerate(reports):
            j = len(w & rw) / len(w | rw) if w | rw else 0
            if j > bs:
                best, bs = k, j
        if best is not None and bs >= t:
            reports[best][0].update(w)
            assign[i] = best
        else:
            reports.append((set(w), len(reports)))
            assign[i] = len(reports) - 1
    return assign


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--team-base", type=int, default=7000)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--compare-batch", type=int, default=None,
                    help="also group each order with this batch size and check the reports are the same")
    ap.add_argument("--only", default=None, help="report only this scope (dev while tuning)")
    ap.add_argument("--set", action="append", default=[], help="extra SET name=value")
    args = ap.parse_args()
    EXTRA_SETS.extend(a.replace("=", " = ", 1) for a in args.set)

    sigs = load_corpus(os.path.join(HERE, "corpus.txt"))
    groups = {s["group"] for s in sigs}
    print("corpus: %d signals, %d groups (dev %d signals / %d groups, holdout %d / %d)" % (
        len(sigs), len(groups),
        sum(s["split"] == "dev" for s in sigs), len({s["group"] for s in sigs if s["split"] == "dev"}),
        sum(s["split"] == "holdout" for s in sigs), len({s["group"] for s in sigs if s["split"] == "holdout"})))
    scopes = {"dev": lambda s: s["split"] == "dev", "holdout": lambda s: s["split"] == "holdout",
              "all": lambda s: True}
    if args.only:
        scopes = {args.only: scopes[args.only]}
    sums = defaultdict(lambda: [0.0, 0.0])
    base = defaultdict(lambda: [0.0, 0.0])
    nreports = 0
    for seed in range(args.seeds):
        order = list(range(len(sigs)))
        random.Random(seed).shuffle(order)
        team = args.team_base + seed
        psql("DELETE FROM signals.teams WHERE team_id = %d; SELECT signals.grouping_prune(%d);" % (team, team))
        assign, methods = run_engine(sigs, order, team, args.threshold, args.batch)
        nreports += len(set(assign.values()))
        if args.compare_batch:
            psql("DELETE FROM signals.teams WHERE team_id = %d; SELECT signals.grouping_prune(%d);" % (team + 500, team + 500))
            other, _ = run_engine(sigs, order, team + 500, args.threshold, args.compare_batch)
            part = lambda a: sorted(sorted(i for i in a if a[i] == r) for r in set(a.values()))
            same = part(assign) == part(other)
            print("  batch %d vs %d: %s" % (args.batch, args.compare_batch,
                                           "same reports" if same else "DIFFERENT REPORTS"))
            if not same:
                sys.exit(1)
        line = ["seed %d:" % seed]
        for name, sc in scopes.items():
            p, r = pairwise(sigs, assign, sc)
            sums[name][0] += p
            sums[name][1] += r
            line.append("%s P=%.3f R=%.3f" % (name, p, r))
        print("  ".join(line), " reports=%d" % len(set(assign.values())),
              " methods=" + ",".join("%s:%d" % (m, list(methods.values()).count(m))
                                     for m in ("dedupe_key", "similarity", "new_report")))
        if args.verbose:
            by_report = defaultdict(list)
            for i, rid in assign.items():
                by_report[rid].append(i)
            for rid, members in sorted(by_report.items(), key=lambda kv: -len(kv[1])):
                if args.only and not any(scopes[args.only](sigs[i]) for i in members):
                    continue
                labels = sorted({sigs[i]["group"] for i in members})
                if len(labels) > 1:
                    print("    MIXED", labels, [sigs[i]["text"][:60] for i in members])
            for g in sorted(g for g in groups if not args.only or
                            any(s["group"] == g and scopes[args.only](s) for s in sigs)):
                rs = defaultdict(int)
                for i, s in enumerate(sigs):
                    if s["group"] == g:
                        rs[assign[i]] += 1
                if len(rs) > 1:
                    print("    SPLIT", g, sorted(rs.values(), reverse=True))
        if args.baseline:
            best = None
            for t in [x / 100 for x in range(5, 80, 5)]:
                a = baseline(sigs, order, t)
                p, r = pairwise(sigs, a, scopes["all"])
                if p >= 0.95 and (best is None or r > best[2]):
                    best = (t, p, r)
            if best:
                base["all"][0] += best[1]
                base["all"][1] += best[2]
                print("  baseline (word Jaccard, best t=%.2f with P>=0.95): P=%.3f R=%.3f" % best)
    n = args.seeds
    print("mean over %d arrival orders (%.1f reports per run):" % (n, nreports / n))
    for name in scopes:
        print("  %-8s precision %.3f  recall %.3f" % (name, sums[name][0] / n, sums[name][1] / n))
    if args.baseline and base["all"][1]:
        print("  baseline precision %.3f  recall %.3f" % (base["all"][0] / n, base["all"][1] / n))


if __name__ == "__main__":
    main()
