"""util.py REC QPM: from the mock's --record, the rate of 200s over the busy span as a fraction of
QPM (requests per mock minute, already scaled to wall time), and the number of 429s. Prints
"util=0.987 n200=N n429=N span_s=S"."""
import json
import sys

t = []
n429 = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["status"] == 200:
        t.append(r["t_ms"])
    elif r["status"] == 429:
        n429 += 1
qps = float(sys.argv[2]) / 60.0
span = (max(t) - min(t)) / 1000.0 if len(t) > 1 else 0
util = (len(t) - 1) / span / qps if span > 0 else 0
print("util=%.3f n200=%d n429=%d span_s=%.2f" % (util, len(t), n429, span))
