#!/usr/bin/python3
"""cookbook_like.py: a small reimplementation (written for sluice's benchmark, not copied) of the
pacing approach of the OpenAI cookbook's api_request_parallel_processor, to compare against sluice
on the same mock quota:

- two capacity counters (requests, tokens), each starting at a full minute's quota and refilled
  continuously at limit per minute, capped at one minute's quota (a full minute's burst);
- a job is sent when both counters can pay 1 request and its estimate = prompt + max_tokens;
- after any 429 every sender waits until 15 s have passed since the last 429; the job goes back to
  a retry queue (up to --max-attempts);
- the loop polls every 1 ms; no concurrency cap of its own beyond the HTTP client's pool.

Time scaling: with the mock's --time-scale X, a "minute" lasts 60/X s; pass --minute-s 60/X and the
limits per *scaled* minute, and the burst, the refill and the 15 s pause are scaled alike, so this
behaves against the scaled mock exactly as the original approach does against a real provider.
The prompt estimate uses the mock's own formula (ceil(bytes/4) + 3 per message + 3), i.e. the
most favourable tokenizer this approach could have.

Usage: cookbook_like.py --url URL --cacert CA --input JOBS.jsonl --rpm N --tpm N --minute-s S
Prints one JSON line: {"requests", "ok", "failed", "http_429", "wall_s"}.
"""
import argparse
import asyncio
import json
import math
import ssl
import sys
import time

import aiohttp


def estimate(body):
    n = 3
    for m in body.get("messages", []):
        n += math.ceil(len(m.get("content", "").encode()) / 4) + 3
    return n + int(body.get("max_completion_tokens") or body.get("max_tokens") or 1)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--rpm", type=float, required=True)
    ap.add_argument("--tpm", type=float, required=True)
    ap.add_argument("--minute-s", type=float, default=60.0)
    ap.add_argument("--pause-s", type=float, default=15.0, help="pause after a 429, in scaled s")
    ap.add_argument("--max-attempts", type=int, default=5)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    a = ap.parse_args()

    jobs = [json.loads(line) for line in open(a.input) if line.strip()]
    pending = [(j["body"], 0) for j in reversed(jobs)]  # stack: pop() gives input order
    retry = []
    pause = a.pause_s * a.minute_s / 60.0
    req_cap, tok_cap = a.rpm, a.tpm
    last_t = time.monotonic()
    last_429 = -1e9
    stats = {"requests": 0, "ok": 0, "failed": 0, "http_429": 0}
    in_flight = 0
    t0 = time.monotonic()
    ctx = ssl.create_default_context(cafile=a.cacert)
    conn = aiohttp.TCPConnector(ssl=ctx, limit=256)
    headers = {"Authorization": "Bearer sk-cookbook-like"}

    async with aiohttp.ClientSession(connector=conn, headers=headers) as session:

        async def send(body, attempt):
            nonlocal in_flight, last_429
            try:
                async with session.post(a.url + "/v1/chat/completions", json=body) as r:
                    await r.read()
                    status = r.status
            except aiohttp.ClientError:
                status = 0
            stats["requests"] += 1
            if status == 200:
                stats["ok"] += 1
            else:
                if status == 429:
                    stats["http_429"] += 1
                    last_429 = time.monotonic()
                if attempt + 1 < a.max_attempts:
                    retry.append((body, attempt + 1))
                else:
                    stats["failed"] += 1
            in_flight -= 1

        nxt = None
        while pending or retry or in_flight or nxt:
            if time.monotonic() - t0 > a.max_seconds:
                break
            if nxt is None:
                if retry:
                    nxt = retry.pop(0)
                elif pending:
                    nxt = pending.pop()
            now = time.monotonic()
            dt, last_t = now - last_t, now
            req_cap = min(a.rpm, req_cap + a.rpm * dt / a.minute_s)
            tok_cap = min(a.tpm, tok_cap + a.tpm * dt / a.minute_s)
            if nxt is not None and now - last_429 >= pause:
                cost = estimate(nxt[0])
                if req_cap >= 1 and tok_cap >= cost:
                    req_cap -= 1
                    tok_cap -= cost
                    in_flight += 1
                    asyncio.ensure_future(send(*nxt))
                    nxt = None
                    continue
            await asyncio.sleep(0.001)
    stats["wall_s"] = time.monotonic() - t0
    print(json.dumps(stats))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
