/* test_pii_eval.c: scores the anonymizer on the labelled corpora tests/data/pii-dev.jsonl.zst and
 * tests/data/pii-hard.jsonl (our own hard cases), each against the same goals.
 *
 * Each document's text goes through sl_anon_text() in redact mode. Per labelled type it counts
 * recall (the value no longer appears verbatim in the output), strict recall (also: for values with
 * 4+ digits, no 4-digit substring of the value's digits appears anywhere in the output; for PERSON,
 * the last name token is not left as a whole word) and, per negative type, over-redaction (the
 * negative no longer appears verbatim). Prints a table; fails under the goals. Set
 * SL_PII_EVAL_MISSES=TYPE to print that type's misses (with context) to stderr.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <zstd.h>

#include "anonymize.h"

#define MAXT 40

struct tally {
    char name[32];
    unsigned total, hit, strict;
};

struct eval {
    struct sl_anon *a;
    struct sl_anon_scratch *s;
    struct sl_buf out;
    struct tally pos[MAXT], neg[MAXT];
    int npos, nneg;
    const char *show;
};

static struct tally *tally_get(struct tally *t, int *n, const char *name)
{
    int k;

    for (k = 0; k < *n; k++)
        if (strcmp(t[k].name, name) == 0)
            return &t[k];
    assert_true(*n < MAXT);
    snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
    return &t[(*n)++];
}

static bool contains(const struct sl_buf *o, const char *v, size_t n)
{
    return n > 0 && memmem(o->p, o->len, v, n) != NULL;
}

static bool word_left(const struct sl_buf *o, const char *w, size_t n)
{
    const char *h = o->p, *hit;

    while ((hit = memmem(h, o->len - (size_t)(h - o->p), w, n)) != NULL) {
        unsigned char b = hit > o->p ? (unsigned char)hit[-1] : ' ';
        unsigned char a = hit + n < o->p + o->len ? (unsigned char)hit[n] : ' ';

        if (!((b | 32) >= 'a' && (b | 32) <= 'z') && b < 0x80 && !((a | 32) >= 'a' && (a | 32) <= 'z') &&
            a < 0x80)
            return true;
        h = hit + 1;
    }
    return false;
}

static bool strict_ok(const struct sl_buf *o, const char *type, const char *v, size_t n)
{
    char d[256];
    size_t nd = 0, k;

    if (strcmp(type, "PERSON") == 0) {
        const char *sp = v + n;

        while (sp > v && sp[-1] != ' ')
            sp--;
        return !word_left(o, sp, (size_t)(v + n - sp));
    }
    for (k = 0; k < n && nd < sizeof(d); k++)
        if (v[k] >= '0' && v[k] <= '9')
            d[nd++] = v[k];
    for (k = 0; nd >= 4 && k + 4 <= nd; k++)
        if (memmem(o->p, o->len, d + k, 4))
            return false;
    return true;
}

static void show_miss(const char *kind, const char *type, const char *id, const char *text, size_t st,
                      const char *v)
{
    size_t L = strlen(text), b = st > 50 ? st - 50 : 0;
    size_t e = st + strlen(v) + 30 < L ? st + strlen(v) + 30 : L;

    fprintf(stderr, "%s %s %s [%s] ctx: ", kind, type, id, v);
    for (; b < e; b++) /* one line per miss: line breaks shown as \n */
        fputs(text[b] == '\n' ? "\\n" : (char[2]){text[b], 0}, stderr);
    fputc('\n', stderr);
}

static void score_doc(struct eval *ev, json_t *doc)
{
    const char *text = json_string_value(json_object_get(doc, "text"));
    const char *id = json_string_value(json_object_get(doc, "id"));
    size_t tlen = json_string_length(json_object_get(doc, "text")), k;
    json_t *arr, *sp;

    assert_non_null(text);
    sl_buf_reset(&ev->out);
    assert_int_equal(sl_anon_text(ev->a, ev->s, text, tlen, &ev->out, NULL, NULL), 0);
    arr = json_object_get(doc, "spans");
    json_array_foreach(arr, k, sp) {
        const char *type = json_string_value(json_object_get(sp, "type"));
        const char *v = json_string_value(json_object_get(sp, "value"));
        struct tally *t = tally_get(ev->pos, &ev->npos, type);
        bool hit = !contains(&ev->out, v, strlen(v));
        bool st = hit && strict_ok(&ev->out, type, v, strlen(v));

        t->total++;
        t->hit += hit;
        t->strict += st;
        if (ev->show && strcmp(ev->show, type) == 0 && !st)
            show_miss(hit ? "PARTIAL" : "MISS", type, id, text,
                      (size_t)json_integer_value(json_object_get(sp, "start")), v);
    }
    arr = json_object_get(doc, "negatives");
    json_array_foreach(arr, k, sp) {
        const char *type = json_string_value(json_object_get(sp, "type"));
        const char *v = json_string_value(json_object_get(sp, "value"));
        struct tally *t = tally_get(ev->neg, &ev->nneg, type);
        bool changed = !contains(&ev->out, v, strlen(v));

        t->total++;
        t->hit += changed;
        if (ev->show && (strcmp(ev->show, "NEG") == 0 || strcmp(ev->show, type) == 0) && changed)
            show_miss("OVER", type, id, text, (size_t)json_integer_value(json_object_get(sp, "start")), v);
    }
}

static void feed_lines(struct eval *ev, struct sl_buf *pending, int *ndocs)
{
    char *nl;

    while ((nl = memchr(pending->p, '\n', pending->len)) != NULL) {
        size_t L = (size_t)(nl - pending->p);
        json_error_t jerr;
        json_t *doc = json_loadb(pending->p, L, 0, &jerr);

        assert_non_null(doc);
        score_doc(ev, doc);
        json_decref(doc);
        (*ndocs)++;
        memmove(pending->p, nl + 1, pending->len - L - 1);
        pending->len -= L + 1;
    }
}

static double pct(unsigned a, unsigned b) { return b ? 100.0 * a / b : 100.0; }

static bool structured(const char *t)
{
    return strcmp(t, "PERSON") && strcmp(t, "STREET_ADDRESS") && strcmp(t, "DATE_OF_BIRTH");
}

/* Score one corpus file: zstd-compressed if its name ends in .zst, plain JSONL otherwise. Prints
 * the table under label; returns the number of goals missed. */
static int eval_corpus(const char *rel, const char *label)
{
    char path[4096];
    FILE *f;
    ZSTD_DStream *z = NULL;
    static char in[1 << 16], outb[1 << 17];
    struct sl_buf pending;
    struct eval ev;
    struct sl_anon_opts o = {.mode = SL_ANON_REDACT};
    const char *root = getenv("SL_SOURCE_DIR");
    size_t n, L = strlen(rel);
    int k, ndocs = 0, fails = 0;
    unsigned ntot = 0, nchg = 0;
    bool zst = L > 4 && strcmp(rel + L - 4, ".zst") == 0;

    memset(&ev, 0, sizeof(ev));
    ev.show = getenv("SL_PII_EVAL_MISSES");
    snprintf(path, sizeof(path), "%s/%s", root ? root : SL_SOURCE_DIR, rel);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(sl_anon_create(&o, &ev.a), 0);
    assert_int_equal(sl_anon_scratch_create(ev.a, &ev.s), 0);
    sl_buf_init(&ev.out, 0);
    sl_buf_init(&pending, 0);
    if (zst) {
        z = ZSTD_createDStream();
        assert_non_null(z);
    }
    while ((n = fread(in, 1, sizeof(in), f)) > 0) {
        ZSTD_inBuffer ib = {in, n, 0};

        if (!zst) {
            assert_int_equal(sl_buf_append(&pending, in, n), 0);
            feed_lines(&ev, &pending, &ndocs);
            continue;
        }
        while (ib.pos < ib.size) {
            ZSTD_outBuffer ob = {outb, sizeof(outb), 0};

            assert_false(ZSTD_isError(ZSTD_decompressStream(z, &ob, &ib)));
            assert_int_equal(sl_buf_append(&pending, outb, ob.pos), 0);
            feed_lines(&ev, &pending, &ndocs);
        }
    }
    fclose(f);
    ZSTD_freeDStream(z);
    printf("%s: %d documents\n%-22s %6s %8s %8s\n", label, ndocs, "type", "n", "recall", "strict");
    for (k = 0; k < ev.npos; k++) {
        struct tally *t = &ev.pos[k];
        double goal = structured(t->name) ? 99.5 : 90.0;
        bool bad = pct(t->hit, t->total) < goal;

        printf("%-22s %6u %7.2f%% %7.2f%% %s\n", t->name, t->total, pct(t->hit, t->total),
               pct(t->strict, t->total), bad ? "FAIL" : "");
        fails += bad;
    }
    printf("%-22s %6s %8s\n", "negative", "n", "changed");
    for (k = 0; k < ev.nneg; k++) {
        printf("%-22s %6u %7.2f%%\n", ev.neg[k].name, ev.neg[k].total, pct(ev.neg[k].hit, ev.neg[k].total));
        ntot += ev.neg[k].total;
        nchg += ev.neg[k].hit;
    }
    printf("%-22s %6u %7.2f%% %s\n", "ALL NEGATIVES", ntot, pct(nchg, ntot),
           pct(nchg, ntot) > 1.0 ? "FAIL" : "");
    fails += pct(nchg, ntot) > 1.0;
    sl_buf_free(&pending);
    sl_buf_free(&ev.out);
    sl_anon_scratch_destroy(ev.s);
    sl_anon_destroy(ev.a);
    assert_true(ndocs > 0);
    return fails;
}

/* The labelled dev corpus (tests/data/pii-dev.jsonl.zst, see ../shared/pii-README.md). */
static void test_dev(void **state)
{
    (void)state;
    assert_int_equal(eval_corpus("tests/data/pii-dev.jsonl.zst", "pii-dev"), 0);
}

/* Our own hard cases (tests/data/pii-hard.jsonl, written by tests/data/gen_pii_hard.py): other
 * languages and carriers, unusual but valid value forms, look-alikes. Same goals. */
static void test_hard(void **state)
{
    (void)state;
    assert_int_equal(eval_corpus("tests/data/pii-hard.jsonl", "pii-hard"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dev), cmocka_unit_test(test_hard)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
