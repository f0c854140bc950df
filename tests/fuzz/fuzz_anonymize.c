/* fuzz_anonymize.c: libFuzzer target for the anonymize stage. Every mode runs over the input;
 * invariants: no error on any bytes; the redact output holds no value a detector finds again; the
 * mask and hash outputs likewise; restore(tokenize(x)) == x when x holds no placeholder-shaped text
 * of its own (a documented limit of tokenize). Objects are built once and kept for the process. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_db.h"
#include "anonymize.h"

static struct sl_anon *anon[5];
static struct sl_anon_scratch *scr[5];

static void setup(void)
{
    static const unsigned char key[] = "fuzz-key-0123456789abcdef";
    static char *db; /* compiled once, registered like the program's build-time copy, kept */
    size_t dblen = 0;
    int m;

    if (sl_anon_db_serialize(&db, &dblen))
        abort();
    sl_anon_db_set_embedded(db, dblen, sl_anon_db_fingerprint());

    for (m = SL_ANON_REDACT; m <= SL_ANON_TOKENIZE; m++) {
        struct sl_anon_opts o = {.mode = (enum sl_anon_mode)m, .hmac_key = key, .hmac_key_len = sizeof(key) - 1};

        if (sl_anon_create(&o, &anon[m]) || sl_anon_scratch_create(anon[m], &scr[m]))
            abort();
    }
}

static void check_clean(const struct sl_buf *b, const char *mode)
{
    struct sl_anon_counts cnt;
    struct sl_buf again;
    int t;

    memset(&cnt, 0, sizeof(cnt));
    sl_buf_init(&again, 0);
    if (sl_anon_text(anon[SL_ANON_REDACT], scr[SL_ANON_REDACT], b->p, b->len, &again, &cnt, NULL))
        abort();
    for (t = 0; t < SL_PII__COUNT; t++) {
        if (cnt.n[t]) {
            fprintf(stderr, "%s output re-detected as %s\n", mode, sl_pii_type_name((enum sl_pii_type)t));
            abort();
        }
    }
    sl_buf_free(&again);
}

static bool has_placeholder_shape(const uint8_t *d, size_t n)
{
    size_t i;
    int t;

    for (i = 0; i < n; i++) {
        if (d[i] != '<')
            continue;
        for (t = 0; t < SL_PII__COUNT; t++) {
            const char *nm = sl_pii_type_name((enum sl_pii_type)t);
            size_t L = strlen(nm);

            if (i + 1 + L <= n && memcmp(d + i + 1, nm, L) == 0)
                return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_buf out, back;
    struct sl_anon_vault *v;
    int m;

    if (!anon[SL_ANON_REDACT])
        setup();
    if (size > (1u << 20))
        return 0;
    sl_buf_init(&out, 0);
    sl_buf_init(&back, 0);
    for (m = SL_ANON_REDACT; m <= SL_ANON_HASH; m++) {
        sl_buf_reset(&out);
        if (sl_anon_text(anon[m], scr[m], (const char *)data, size, &out, NULL, NULL))
            abort();
        check_clean(&out, m == SL_ANON_REDACT ? "redact" : m == SL_ANON_MASK ? "mask" : "hash");
    }
    if (sl_anon_vault_create(&v))
        abort();
    sl_buf_reset(&out);
    if (sl_anon_text(anon[SL_ANON_TOKENIZE], scr[SL_ANON_TOKENIZE], (const char *)data, size, &out, NULL, v))
        abort();
    check_clean(&out, "tokenize");
    if (sl_anon_restore(v, out.p, out.len, &back))
        abort();
    if (!has_placeholder_shape(data, size) && (back.len != size || (size && memcmp(back.p, data, size))))
        abort();
    sl_anon_vault_destroy(v);
    sl_buf_free(&out);
    sl_buf_free(&back);
    return 0;
}
