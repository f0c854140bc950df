/* sanitize_bench.c: how much the sanitize stage costs next to the JSON work every job needs.
 *
 * Builds chat jobs of about 2 KB and 40 KB of review-like text, then times, per job, jansson's
 * json_loadb (the pipeline's parse), sl_sanitize_utf8 on the raw line, sl_sanitize_job, and
 * json_dumpb (the encode before sending). Prints MB/s of each and sanitize's share of the sum.
 * Each measurement is bounded to about 0.4 s. Built and run by bench/sanitize_bench.sh.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sanitize.h"

static const char *const WORDS[] = {
    "the", "battery", "lasts", "two", "days", "and", "screen", "is", "bright", "but", "I",
    "returned", "it", "because", "strap", "broke", "after", "a", "week", "shipping", "was",
    "fast", "hotel", "room", "small", "clean", "quiet", "staff", "were", "friendly", "you",
    "can", "show", "new", "from", "what", "previous", "model", "better", "caf\xC3\xA9",
    "na\xC3\xAFve", "\xE2\x80\x9Cgreat\xE2\x80\x9D", "price,", "quality.", "5/5!", "(really)",
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *make_line(size_t text_bytes, size_t *len)
{
    struct sl_buf text, line;
    unsigned seed = 7;
    json_t *job;
    char *out;

    sl_buf_init(&text, 0);
    sl_buf_init(&line, 0);
    while (text.len < text_bytes) {
        seed = seed * 1103515245u + 12345u;
        if (sl_buf_printf(&text, "%s ", WORDS[(seed >> 16) % (sizeof(WORDS) / sizeof(*WORDS))]))
            abort();
    }
    job = json_pack("{s:s,s:s,s:s,s:{s:s,s:i,s:[{s:s,s:s},{s:s,s:s}]}}", "custom_id", "bench-1",
                    "method", "POST", "url", "/v1/chat/completions", "body", "model",
                    "gpt-4o-mini", "max_tokens", 16, "messages", "role", "system", "content",
                    "Classify the sentiment of the review as positive, negative or neutral.",
                    "role", "user", "content", text.p);
    out = json_dumps(job, JSON_COMPACT);
    *len = strlen(out);
    json_decref(job);
    sl_buf_free(&text);
    sl_buf_free(&line);
    return out;
}

static void bench(const struct sl_policy *p, size_t text_bytes)
{
    size_t len, iters, i;
    char *line = make_line(text_bytes, &len);
    double t0, t_parse, t_utf8, t_san, t_dump;
    json_t *job = json_loadb(line, len, 0, NULL);
    struct sl_san_stats st;
    struct sl_err err;
    uint64_t est;
    struct sl_buf b;

    sl_buf_init(&b, 0);
    /* calibrate: how many iterations fit in ~0.4 s of parsing */
    t0 = now_s();
    for (iters = 0; now_s() - t0 < 0.4 && iters < 1000000; iters++)
        json_decref(json_loadb(line, len, 0, NULL));
    t_parse = (now_s() - t0) / (double)iters;

    t0 = now_s();
    for (i = 0; i < iters; i++)
        if (sl_sanitize_utf8(p, line, len, &b, &err) != 0)
            abort();
    t_utf8 = (now_s() - t0) / (double)iters;

    /* the text is clean, so sanitize leaves the tree as it is and can run on it again */
    t0 = now_s();
    for (i = 0; i < iters; i++)
        if (sl_sanitize_job(p, job, &st, &est, &err) != 0) {
            fprintf(stderr, "refused: %s at %s\n", err.reason, err.field);
            abort();
        }
    t_san = (now_s() - t0) / (double)iters;

    t0 = now_s();
    for (i = 0; i < iters; i++) {
        char *s = json_dumps(job, JSON_COMPACT);
        free(s);
    }
    t_dump = (now_s() - t0) / (double)iters;

    printf("job %6zu B: parse %7.1f MB/s  utf8 %7.1f MB/s  sanitize_job %7.1f MB/s  "
           "dump %7.1f MB/s  sanitize share of parse+check+dump: %4.1f%%\n",
           len, (double)len / t_parse / 1e6, (double)len / t_utf8 / 1e6,
           (double)len / t_san / 1e6, (double)len / t_dump / 1e6,
           100.0 * (t_utf8 + t_san) / (t_parse + t_utf8 + t_san + t_dump));
    json_decref(job);
    free(line);
    sl_buf_free(&b);
}

int main(void)
{
    struct sl_policy *p;

    if (sl_policy_default(&p))
        return 1;
    bench(p, 2000);
    bench(p, 40000);
    sl_policy_destroy(p);
    return 0;
}
