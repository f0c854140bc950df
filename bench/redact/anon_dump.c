/* anon_dump.c: sl_anon_text's output on a corpus, to show that a change of the scanner leaves
 * every result byte-identical (bench/redact/anon_equiv.sh hashes it; compare two builds).
 *
 *   anon_dump jsonl < FILE    the "text" of each JSON line (the labelled corpora)
 *   anon_dump lines < FILE    each line
 *   anon_dump raw FILE...     each file whole (the fuzz corpus)
 *
 * Each input goes through redact, mask and tokenize; the output is the return code, the
 * anonymized text and the per-type counts. Single-threaded, bench only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "anonymize.h"

#define NMODES 3

static struct sl_anon *anon[NMODES];
static struct sl_anon_scratch *scr[NMODES];

static int one(const char *p, size_t n)
{
    struct sl_buf out;
    int m, t, rc;

    sl_buf_init(&out, 0);
    for (m = 0; m < NMODES; m++) {
        struct sl_anon_counts cnt = {{0}};
        struct sl_anon_vault *v = NULL;

        if (sl_anon_vault_create(&v))
            return 1;
        sl_buf_reset(&out);
        rc = sl_anon_text(anon[m], scr[m], p, n, &out, &cnt, v);
        printf("%d %zu|", rc, out.len);
        fwrite(out.p ? out.p : "", 1, out.len, stdout);
        for (t = 0; t < SL_PII__COUNT; t++)
            printf("|%u", cnt.n[t]);
        printf("\n");
        sl_anon_vault_destroy(v);
    }
    sl_buf_wipe(&out);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const modes[NMODES] = {"redact", "mask", "tokenize"};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int m;

    if (argc < 2)
        return 2;
    for (m = 0; m < NMODES; m++) {
        struct sl_anon_opts o = {0};

        if (sl_anon_mode_parse(modes[m], &o.mode) || sl_anon_create(&o, &anon[m]) ||
            sl_anon_scratch_create(anon[m], &scr[m]))
            return 1;
    }
    if (strcmp(argv[1], "raw") == 0) {
        for (int k = 2; k < argc; k++) {
            FILE *f = fopen(argv[k], "rb");
            char buf[1 << 16];
            size_t len;

            if (!f)
                return 1;
            len = fread(buf, 1, sizeof(buf), f);
            fclose(f);
            if (one(buf, len))
                return 1;
        }
    } else {
        while ((n = getline(&line, &cap, stdin)) > 0) {
            if (line[n - 1] == '\n')
                line[--n] = '\0';
            if (strcmp(argv[1], "jsonl") == 0) {
                json_t *doc = json_loadb(line, (size_t)n, 0, NULL), *t = json_object_get(doc, "text");

                if (t && one(json_string_value(t), json_string_length(t)))
                    return 1;
                json_decref(doc);
            } else if (one(line, (size_t)n)) {
                return 1;
            }
        }
    }
    free(line);
    for (m = 0; m < NMODES; m++) {
        sl_anon_scratch_destroy(scr[m]);
        sl_anon_destroy(anon[m]);
    }
    return 0;
}
