#!/usr/bin/env bash
# sluice report end to end: a few seconds of jobs against the mock with a quota (so the quota line
# exists), some 500s (retries, errors), then `sluice report`; the page is self-contained (no
# script, no external URL), escapes a hostile input file name, and Debian's headless chromium loads
# it: every chart's SVG has its data points and the screenshot is written. Skips when chromium is
# not installed (scripts/deps.sh installs it).
source "$(dirname "$0")/lib/common.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "SKIP: chromium not available"
  exit 0
fi
start_mock rep --rpm 3000 --fail-rate 0.05 --latency-ms 5 --jitter-ms 20 --seed 7
# A file name an attacker might choose: it lands in summary.json's settings and in the page.
IN="$T/jobs-<img src=x onerror=alert(1)>.jsonl"
bash "$SL_SOURCE_DIR/bench/genjobs.sh" 250 3 >"$IN"
run_sluice "$T/out" --endpoint "$MOCK_URL" --rpm 3000 --max-attempts 2 --concurrency 16 "$IN"
[ "$RC" = 0 ] || [ "$RC" = 3 ] || { cat "$T/out.stderr" >&2; fail "exit status $RC"; }
account "$T/out" "$IN" >/dev/null || fail "accounting"
[ -s "$T/out/series.bin" ] || fail "no series.bin"
pass "run with a quota and faults: series.bin written"

"$SLUICE" report "$T/out" -o "$T/report.html" >"$T/report.log" 2>&1 || { cat "$T/report.log" >&2; fail "sluice report"; }
H="$T/report.html"
grep -qi '<script' "$H" && fail "report has a script"
grep -qiE '<(link|img|iframe|object|embed)|<[a-z][^>]*[[:space:]](src|href)=|url\(|@import' "$H" \
  && fail "report references an external resource"
# The only URL allowed is the SVG namespace (an identifier, never fetched).
[ "$(grep -oE 'https?://[^" )<]+' "$H" | sort -u)" = "http://www.w3.org/2000/svg" ] || fail "report has a URL"
grep -qF 'jobs-&lt;img src=x onerror=alert(1)&gt;.jsonl' "$H" || fail "input name not shown escaped"
secret_free "$H"
pass "self-contained, escaped, no key"

UD=$(mktemp -d "$T/chromium.XXXXXX")
chromium_run() {
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$UD" --window-size=1280,4000 "$@" "file://$H" 2>>"$T/chromium.log"
}
chromium_run --dump-dom >"$T/dom.html" || { tail -20 "$T/chromium.log" >&2; fail "chromium --dump-dom"; }
chromium_run --screenshot="$T/shot.png" >/dev/null || { tail -20 "$T/chromium.log" >&2; fail "chromium --screenshot"; }
[ "$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)" -gt 20000 ] || fail "screenshot missing or blank"

"$PY" - "$T/dom.html" "$T/out/summary.json" <<'PYEOF' || fail "DOM check"
import html.parser, json, sys
dom = open(sys.argv[1], encoding="utf-8").read()
summ = json.load(open(sys.argv[2]))
assert "about:blank" not in dom and "ERR_FILE_NOT_FOUND" not in dom, "error page"
assert "sluice run report" in dom, "page did not load"

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.chart = None
        self.c = {}
        self.imgs = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs += 1
        if tag == "svg":
            self.chart = a.get("data-chart")
            self.c[self.chart] = {"pt": 0, "bar": 0, "paths": [], "title": 0, "desc": 0, "ticks": 0}
        elif self.chart:
            d = self.c[self.chart]
            if tag == "circle" and a.get("class") == "pt":
                d["pt"] += 1
            elif tag == "rect" and a.get("class") == "bar":
                d["bar"] += 1
            elif tag == "path" and "data-series" in a:
                d["paths"].append((a["data-series"], int(a["data-n"]), a.get("stroke-dasharray")))
            elif tag in ("title", "desc"):
                d[tag] += 1
            elif tag == "text" and (a.get("class") or "").startswith("tick"):
                d["ticks"] += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.chart = None

p = P()
p.feed(dom)
c = p.c
assert p.imgs == 0, "an <img> element was injected"
for name in ("rpm", "tpm", "errors", "latency", "latency-hist", "outcomes", "privacy"):
    assert name in c, "chart %s missing" % name
    assert c[name]["title"] == 1 and c[name]["desc"] == 1, name
    assert c[name]["ticks"] >= 3, "chart %s has no axis ticks" % name
for name in ("rpm", "tpm", "errors", "latency"):
    assert c[name]["pt"] >= 3, "chart %s has %d points" % (name, c[name]["pt"])
quota = [x for x in c["rpm"]["paths"] if x[0].startswith("quota in force: 3000")]
assert quota and quota[0][1] >= 3 and quota[0][2] not in (None, "none"), "no dashed quota line: %r" % c["rpm"]["paths"]
ach = [x for x in c["rpm"]["paths"] if x[0] == "achieved req/min"]
assert ach and ach[0][1] * 1 == c["rpm"]["pt"], "points %r vs %d markers" % (ach, c["rpm"]["pt"])
assert c["latency-hist"]["bar"] >= 2, c["latency-hist"]
assert c["outcomes"]["bar"] >= 2, c["outcomes"]   # results and at least one error code
if summ["errors"]:
    assert "error: server_error" in dom or "error: " in dom, "no error code in outcomes"
assert c["privacy"]["bar"] >= 1, c["privacy"]
assert summ["settings"]["rpm"] == 3000
print("charts:", {k: (v["pt"], v["bar"]) for k, v in c.items()})
PYEOF
pass "chromium loaded the page; every chart has its points, ticks, title and desc"
