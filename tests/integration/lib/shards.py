"""shards.py INPUT DIR...: the shard directories together account for every line of INPUT once.

Every custom_id of the input is in exactly one of results/errors/rejects of exactly one directory;
each directory's summary.json counts match its files, and its jobs_other_shards plus its own jobs
equal the input's lines. Prints "results=N errors=N rejects=N other=N" (sums). Exit 1 otherwise.
"""
import json
import subprocess
import sys


def lines(path):
    try:
        out = subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        return []
    return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


def main():
    inp, dirs = sys.argv[1], sys.argv[2:]
    want = []
    for l in open(inp, "rb").read().split(b"\n"):
        if l.strip():
            want.append(json.loads(l)["custom_id"])
    seen = {}
    tot = {"results": 0, "errors": 0, "rejects": 0, "other": 0}
    for d in dirs:
        s = json.load(open(d + "/summary.json"))
        own = 0
        for kind in ("results", "errors", "rejects"):
            recs = lines("%s/%s.jsonl.zst" % (d, kind))
            if len(recs) != s[kind]:
                sys.exit("%s: %s has %d lines, summary says %d" % (d, kind, len(recs), s[kind]))
            for r in recs:
                cid = r.get("custom_id") or r.get("source")
                if cid in seen:
                    sys.exit("custom_id %r in %s and %s/%s" % (cid, seen[cid], d, kind))
                seen[cid] = "%s/%s" % (d, kind)
            own += len(recs)
            tot[kind] += len(recs)
        other = s.get("jobs_other_shards", 0)
        tot["other"] += other
        if own + other != len(want):
            sys.exit("%s: %d own + %d other != %d lines" % (d, own, other, len(want)))
    missing = [c for c in want if c not in seen]
    if missing:
        sys.exit("%d custom_ids in no directory, e.g. %r" % (len(missing), missing[0]))
    print("results=%d errors=%d rejects=%d other=%d" % (tot["results"], tot["errors"],
                                                       tot["rejects"], tot["other"]))


main()
