"""account.py DIR INPUT...: prove that every job of the inputs ended in exactly one output file.

Reads results/errors/rejects (.jsonl.zst, decompressed with the zstd CLI), checks that every line
parses, that each custom_id of the input appears exactly once across the three files (rejects of
unparseable lines are counted by their source), that summary.json's counts match, and prints
"results=N errors=N rejects=N". Exit 1 on any violation.
"""
import json
import subprocess
import sys


def lines(path):
    import os
    if os.path.exists(path) and os.path.getsize(path) == 0:
        return []
    try:
        out = subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit("cannot decompress %s: %s" % (path, e.stderr.decode(errors="replace")))
    except FileNotFoundError:
        return []
    return [json.loads(l) for l in out.decode().splitlines() if l.strip()]


def input_ids(paths):
    ids, n = [], 0
    for p in paths:
        data = open(p, "rb").read()
        if p.endswith((".msgpack", ".mpk")):
            import msgpack
            up = msgpack.Unpacker(raw=False, strict_map_key=False)
            up.feed(data)
            for o in up:
                n += 1
                ids.append(o.get("custom_id") if isinstance(o, dict) else None)
        else:
            for l in data.split(b"\n"):
                if not l.strip():
                    continue
                n += 1
                try:
                    o = json.loads(l)
                    ids.append(o.get("custom_id") if isinstance(o, dict) else None)
                except Exception:
                    ids.append(None)
    return ids, n


def main():
    d = sys.argv[1]
    res = lines(d + "/results.jsonl.zst")
    err = lines(d + "/errors.jsonl.zst")
    rej = lines(d + "/rejects.jsonl.zst")
    seen = {}
    for kind, recs in (("results", res), ("errors", err)):
        for r in recs:
            cid = r["custom_id"]
            if cid in seen:
                sys.exit("custom_id %r in %s and %s" % (cid, seen[cid], kind))
            seen[cid] = kind
    sources = set()
    for r in rej:
        if r.get("source") in sources:
            sys.exit("reject source %r twice" % r.get("source"))
        sources.add(r.get("source"))
    total = len(res) + len(err) + len(rej)
    if len(sys.argv) > 2:
        ids, n = input_ids(sys.argv[2:])
        if total != n:
            sys.exit("input has %d jobs but outputs hold %d (results %d, errors %d, rejects %d)"
                     % (n, total, len(res), len(err), len(rej)))
        uniq = [i for i in ids if isinstance(i, str)]
        for cid in set(uniq):
            if cid not in seen and not any(r.get("custom_id") == cid for r in rej):
                sys.exit("custom_id %r of the input is in no output" % cid)
    s = json.load(open(d + "/summary.json"))
    for k, v in (("results", len(res)), ("errors", len(err)), ("rejects", len(rej))):
        if s.get(k) != v:
            sys.exit("summary.json %s=%s but the file holds %d" % (k, s.get(k), v))
    print("results=%d errors=%d rejects=%d" % (len(res), len(err), len(rej)))


main()
