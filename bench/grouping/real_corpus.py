#!/usr/bin/env python3
"""Grouping quality on real problem reports, through the real SQL path.

Reads the labelled corpus of public GitHub issues from ../shared/grouping-corpus/
(never copied into this repository), emits each repository as its own team
with signals.emit_signal(team, 'github', 'issue', id, title || E'\\n\\n' || body,
0.5) in an arrival order, groups with signals.group_pending(), and scores the
reports with the corpus's own score.py.  The truth labels are never shown to
the database.

Orders: "created" (created_at, then issue number; items without a date last)
and seeded shuffles of each repository's stream.  For each order it prints
pairwise precision and recall, B-cubed F1 against the all-singletons baseline,
and the largest number of labelled groups found in one report (a "hub").

Usage: real_corpus.py [--part test|dev|all] [--orders created,1,2,3]
                      [--repos-from FILE] [--threshold T] [--check] [--json]
                      [--judge]
  --judge   teams in matching_mode external, with a scripted judge that
            decides each uncertain match from the labels (an oracle: it
            shows the protocol end to end and what a perfect judge adds).
  --check   exit 1 unless, in every order, B-cubed F1 beats the baseline,
            pairwise precision >= --min-precision (0.9) and no report holds
            more than two labelled groups (the regression test's floor).
Connects with psql using the usual PG* environment variables; the database
must have the extension installed.  Teams 900001.. are used and removed.
"""
import argparse, collections, json, os, random, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "grouping-corpus"))
TEAM_BASE = 900000
JUDGE_STATS = []    # (decisions, seconds) per order, with --judge


def psql(sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                       input=sql, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("psql failed: " + r.stderr[-2000:])
    return r.stdout


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def issue_number(item):
    return int(item["id"].rsplit("#", 1)[1])


def arrival(items, order):
    """Items of one repository in arrival order."""
    if order == "created":
        return sorted(items, key=lambda r: (r["created_at"] is None, r["created_at"] or "",
                                            issue_number(r)))
    out = sorted(items, key=issue_number)
    random.Random(int(order)).shuffle(out)
    return out


def clear_teams(n):
    """SQL removing the runner's teams from every team-keyed table."""
    return """
SET client_min_messages = warning;
DO $$
DECLARE t regclass;
BEGIN
    FOR t IN SELECT a.attrelid::regclass FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = 'signals'::regnamespace AND c.relkind = 'r'
                AND a.attname = 'team_id' AND c.relname <> 'teams'
    LOOP
        EXECUTE format('DELETE FROM %%s WHERE team_id BETWEEN %d AND %d', t);
    END LOOP;
    DELETE FROM signals.teams WHERE team_id BETWEEN %d AND %d;
END $$;
""" % (TEAM_BASE + 1, TEAM_BASE + n, TEAM_BASE + 1, TEAM_BASE + n)


ORACLE_JUDGE = """
DO $judge$
DECLARE
    claimed json;
    j json;
    c json;
    pick uuid;
    t0 timestamptz := clock_timestamp();
    decisions integer := 0;
BEGIN
    LOOP
        PERFORM signals.group_pending(%(team)d, 100000);
        claimed := signals.judge_claim('oracle', %(team)d, 1000);
        EXIT WHEN json_array_length(claimed) = 0;
        FOR j IN SELECT * FROM json_array_elements(claimed) LOOP
            pick := NULL;
            FOR c IN SELECT * FROM json_array_elements(j -> 'candidates') LOOP
                IF (SELECT grp FROM judge_labels WHERE id = c -> 'nearest_signal' ->> 'source_id')
                   = (SELECT grp FROM judge_labels WHERE id = j ->> 'source_id') THEN
                    pick := (c ->> 'report_id')::uuid;
                    EXIT;
                END IF;
            END LOOP;
            PERFORM signals.judge_decide(%(team)d, (j ->> 'signal_id')::uuid, pick, 'oracle');
            decisions := decisions + 1;
        END LOOP;
    END LOOP;
    INSERT INTO judge_timing VALUES (decisions, extract(epoch FROM clock_timestamp() - t0));
END
$judge$;
"""


def run_order(corpus, repos, order, threshold, keep=False, judge=False):
    """Emit and group every repository; returns {item id: report id}."""
    by_repo = collections.defaultdict(list)
    for r in corpus:
        by_repo[r["repo"]].append(r)
    teams = {repo: TEAM_BASE + i + 1 for i, repo in enumerate(sorted(repos))}
    sql = [clear_teams(len(teams))]
    if threshold is not None:
        sql.append("SET signals.similarity_threshold = %s;" % threshold)
    if judge:
        # the labels, for the oracle judge only (the engine never sees them)
        sql.append("CREATE TEMP TABLE judge_labels (id text PRIMARY KEY, grp text);")
        sql.append("CREATE TEMP TABLE judge_timing (decisions integer, seconds float8);")
        sql.append("INSERT INTO judge_labels VALUES %s;" % ", ".join(
            "(%s, %s)" % (lit(r["id"]), lit(r["group"])) for r in corpus))
    for repo in sorted(repos):
        t = teams[repo]
        sql.append("SELECT signals.create_team(%s, %d);" % (lit(repo), t))
        sql.append("SELECT signals.set_team_settings(%d, ai_processing_approved => true%s);"
                   % (t, ", matching_mode => 'external'" if judge else ""))
        for item in arrival(by_repo[repo], order):
            text = item["title"] + "\n\n" + item["body"]
            sql.append("SELECT signals.emit_signal(%d, 'github', 'issue', %s, %s, 0.5);"
                       % (t, lit(item["id"]), lit(text)))
        sql.append(ORACLE_JUDGE % {"team": t} if judge else "SELECT signals.group_pending(%d, 100000);" % t)
    if judge:
        sql.append("SELECT 'judge|' || sum(decisions) || '|' || sum(seconds) FROM judge_timing;")
    sql.append("SELECT s.source_id, s.report_id FROM signals.signals s "
               " WHERE s.team_id BETWEEN %d AND %d;" % (TEAM_BASE + 1, TEAM_BASE + len(teams)))
    out = psql("\n".join(sql))
    assignment = {}
    for line in out.splitlines():
        if line.startswith("judge|"):
            _, n, secs = line.split("|")
            JUDGE_STATS.append((int(n), float(secs)))
        elif "|" in line:
            sid, rid = line.split("|", 1)
            if "#" in sid:
                assignment[sid] = rid
    if not keep:
        psql(clear_teams(len(teams)))
    return assignment


def score(corpus_dir, assignment, part):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
        for i, rid in assignment.items():
            fh.write(json.dumps({"id": i, "cluster": rid}) + "\n")
        path = fh.name
    args = [sys.executable, os.path.join(corpus_dir, "score.py"),
            os.path.join(corpus_dir, "real-issues.jsonl"), path]
    if part != "all":
        args += ["--part", part]
    r = subprocess.run(args, capture_output=True, text=True)
    os.unlink(path)
    if r.returncode != 0:
        sys.exit("score.py failed: " + r.stderr)
    nums = {}
    for key, line in (("pairwise", "pairwise "), ("bcubed", "B-cubed  "), ("baseline", "B-cubed all")):
        for l in r.stdout.splitlines():
            if l.startswith(line):
                nums[key] = [float(x) for x in re.findall(r"=([0-9.]+)", l)]
    m = re.search(r"predicted=(\d+) correct=(\d+)", r.stdout)
    nums["pred_pairs"], nums["true_pairs"] = int(m.group(1)), int(m.group(2))
    return nums


def score_subset(corpus, repos, assignment):
    """Pairwise P/R and B-cubed F1 of the items of these repositories (all parts)."""
    keep = set(repos)
    gold = {r["id"]: r["repo"] + "\0" + r["group"] for r in corpus if r["repo"] in keep}
    pred = {i: assignment.get(i, "single:" + i) for i in gold}
    cell = collections.Counter((gold[i], pred[i]) for i in gold)
    gsize = collections.Counter(gold.values())
    psize = collections.Counter(pred.values())
    pairs = lambda c: sum(n * (n - 1) // 2 for n in c.values())
    tp, pp, gp = pairs(cell), pairs(psize), pairs(gsize)
    bp = sum(cell[(gold[i], pred[i])] / psize[pred[i]] for i in gold) / len(gold)
    br = sum(cell[(gold[i], pred[i])] / gsize[gold[i]] for i in gold) / len(gold)
    return {"pairwise_p": tp / pp if pp else 1.0, "pairwise_r": tp / gp if gp else 1.0,
            "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0}


def hubs(corpus, assignment, part):
    """Largest number of labelled groups (clusters of 2+) in one report."""
    size = collections.Counter(r["group"] for r in corpus)
    groups = collections.defaultdict(set)
    for r in corpus:
        if r["id"] in assignment and size[r["group"]] > 1 and (part == "all" or r["part"] == part):
            groups[assignment[r["id"]]].add(r["group"])
    return max((len(g) for g in groups.values()), default=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--part", default="test", choices=["test", "dev", "all"])
    ap.add_argument("--orders", default="created,1,2,3")
    ap.add_argument("--repos-from", help="only the repositories listed in this file, one a line")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--min-precision", type=float, default=0.9)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--keep", action="store_true", help="leave the last order's teams in place")
    ap.add_argument("--judge", action="store_true",
                    help="matching_mode external, with an oracle judge that decides from the labels")
    a = ap.parse_args()

    corpus = [json.loads(l) for l in open(os.path.join(a.corpus, "real-issues.jsonl"), encoding="utf-8")]
    repos = sorted({r["repo"] for r in corpus})
    if a.repos_from:
        keep = {l.strip() for l in open(a.repos_from) if l.strip()}
        repos = [r for r in repos if r in keep]
        corpus = [r for r in corpus if r["repo"] in keep]
    failed = []
    results = []
    for order in a.orders.split(","):
        assignment = run_order(corpus, repos, order, a.threshold, a.keep, a.judge)
        s = score(a.corpus, assignment, a.part)
        h = hubs(corpus, assignment, a.part)
        row = {"order": order, "part": a.part, "pairwise_p": s["pairwise"][0],
               "pairwise_r": s["pairwise"][1], "bcubed_f1": s["bcubed"][2],
               "baseline_f1": s["baseline"][2], "pred_pairs": s["pred_pairs"],
               "true_pairs": s["true_pairs"], "max_groups_per_report": h}
        results.append(row)
        if not a.json:
            print("order %-8s part %-4s pairwise P %.3f R %.3f (%d/%d pairs)  B-cubed F1 %.3f"
                  " (not grouping %.3f)  max groups in a report %d"
                  % (order, a.part, row["pairwise_p"], row["pairwise_r"], row["true_pairs"],
                     row["pred_pairs"], row["bcubed_f1"], row["baseline_f1"], h), flush=True)
            if a.judge:
                n, secs = JUDGE_STATS[-1]
                print("  oracle judge: %d decisions in %.2f s of grouping and judging (%.0f decisions/s)"
                      % (n, secs, n / secs if secs else 0), flush=True)
        if row["bcubed_f1"] <= row["baseline_f1"]:
            failed.append("order %s: B-cubed F1 %.3f not above not grouping (%.3f)"
                          % (order, row["bcubed_f1"], row["baseline_f1"]))
        if row["pairwise_p"] < a.min_precision:
            failed.append("order %s: pairwise precision %.3f below %.2f"
                          % (order, row["pairwise_p"], a.min_precision))
        if h > 2:
            failed.append("order %s: a report holds %d labelled groups" % (order, h))
    if a.json:
        print(json.dumps(results, indent=1))
    if a.check and failed:
        print("\n".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
