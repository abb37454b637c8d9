#!/usr/bin/env python3
"""Write the corpus with the features the C tokenizer extracts
(signals.grouping_features, through psql and the usual PG* variables) as
JSON, for replica.py."""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from quality import load_corpus, lit

sigs = load_corpus(os.path.join(HERE, "..", "corpus.txt"))
sql = "\n".join("SELECT %d, feature, kind FROM signals.grouping_features(%s);" % (i, lit(s["text"]))
                for i, s in enumerate(sigs))
out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                     input=sql, capture_output=True, text=True, check=True).stdout
for s in sigs:
    s["feats"] = []
for line in out.splitlines():
    i, feature, kind = line.split("\t")
    sigs[int(i)]["feats"].append((kind, feature))
json.dump(sigs, open(sys.argv[1] if len(sys.argv) > 1 else "features.json", "w"))
print("%d signals, %d features" % (len(sigs), sum(len(s["feats"]) for s in sigs)))
