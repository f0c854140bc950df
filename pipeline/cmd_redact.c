/* cmd_redact.c: `sluice redact`, the anonymize stage as a JSONL filter.
 *
 * Main thread only. Each line is parsed by jansson and written back by a small tree walk (not
 * json_dumps) so that numbers are kept exactly: jansson stores reals as doubles and would print
 * 0.1 as 0.10000000000000001, and it rejects integers beyond 64 bits. Since jansson already
 * validated the line, the number literals are taken verbatim from the input: a lexer that only skips
 * string literals collects them in document order, and the walk emits the n-th number's original
 * text. If the counts disagree (duplicate keys drop values from the tree) the walk falls back to
 * jansson's value: integers exactly, reals in the shortest form that reads back to the same double.
 * Integers beyond 64 bits are parsed with JSON_DECODE_INT_AS_REAL, and still written verbatim.
 * Strings are written as UTF-8 (no \u escapes but for control characters); keys are kept.
 */
#include "cmd_redact.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anonymize.h"
#include "buf.h"

struct numtok {
    size_t off, len;
};

struct redact {
    struct sl_anon *a;
    struct sl_anon_scratch *s;
    struct sl_anon_vault *vault; /* per line (a line is a job) for tokenize */
    enum sl_anon_mode mode;
    struct sl_anon_counts counts;
    struct sl_buf out;
    struct sl_buf tmp; /* one string's anonymized text */
    const char *line;
    struct numtok *nums;
    size_t nnum, capnum, inum;
    bool verbatim;
};

static void usage(void)
{
    fprintf(stderr, "usage: sluice redact [--mode redact|mask|hash|tokenize|off] [--types LIST]\n"
                    "                     [--hash-key-file FILE] [--stats] [--threads N] < in.jsonl > out.jsonl\n");
}

static int read_key(const char *path, unsigned char *key, size_t cap, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");

    if (!f) {
        fprintf(stderr, "sluice redact: cannot open the hash key file: %s\n", strerror(errno));
        return SL_ECONFIG;
    }
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        fprintf(stderr, "sluice redact: the hash key file must be a regular file readable by its owner only (chmod 600)\n");
        fclose(f);
        return SL_ECONFIG;
    }
    *len = fread(key, 1, cap, f);
    fclose(f);
    while (*len > 0 && (key[*len - 1] == '\n' || key[*len - 1] == '\r'))
        (*len)--;
    if (*len < 16) {
        fprintf(stderr, "sluice redact: the hash key file must hold at least 16 bytes\n");
        return SL_ECONFIG;
    }
    return 0;
}

/* Number literals outside strings, in document order. The line is valid JSON (jansson said so). */
static int lex_numbers(struct redact *r, const char *p, size_t n)
{
    size_t i = 0;

    r->nnum = 0;
    r->inum = 0;
    while (i < n) {
        if (p[i] == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            i++;
        } else if (p[i] == '-' || (p[i] >= '0' && p[i] <= '9')) {
            size_t s = i;

            while (i < n && strchr("+-.eE0123456789", p[i]) && p[i])
                i++;
            if (r->nnum == r->capnum) {
                size_t nc = r->capnum ? r->capnum * 2 : 64;
                struct numtok *nt = realloc(r->nums, nc * sizeof(*nt));

                if (!nt)
                    return -ENOMEM;
                r->nums = nt;
                r->capnum = nc;
            }
            r->nums[r->nnum].off = s;
            r->nums[r->nnum].len = i - s;
            r->nnum++;
        } else {
            i++;
        }
    }
    return 0;
}

static size_t count_numbers(json_t *v)
{
    size_t n = 0, k;
    const char *key;
    json_t *x;

    if (json_is_number(v))
        return 1;
    if (json_is_object(v))
        json_object_foreach(v, key, x) n += count_numbers(x);
    if (json_is_array(v))
        json_array_foreach(v, k, x) n += count_numbers(x);
    return n;
}

static int emit_real(struct sl_buf *b, double d)
{
    char tmp[40];
    int p;

    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (!strpbrk(tmp, ".eEni"))
        strcat(tmp, ".0");
    return sl_buf_append_str(b, tmp);
}

static int emit(struct redact *r, json_t *v)
{
    const char *key;
    size_t k;
    json_t *x;
    int rc = 0;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        if ((rc = sl_buf_append(&r->out, "{", 1)))
            return rc;
        k = 0;
        json_object_foreach(v, key, x) {
            if ((k++ && (rc = sl_buf_append(&r->out, ",", 1))) ||
                (rc = sl_buf_append_json_str(&r->out, key, strlen(key))) ||
                (rc = sl_buf_append(&r->out, ":", 1)) || (rc = emit(r, x)))
                return rc;
        }
        return sl_buf_append(&r->out, "}", 1);
    case JSON_ARRAY:
        if ((rc = sl_buf_append(&r->out, "[", 1)))
            return rc;
        json_array_foreach(v, k, x) {
            if ((k && (rc = sl_buf_append(&r->out, ",", 1))) || (rc = emit(r, x)))
                return rc;
        }
        return sl_buf_append(&r->out, "]", 1);
    case JSON_STRING:
        sl_buf_reset(&r->tmp);
        rc = sl_anon_text(r->a, r->s, json_string_value(v), json_string_length(v), &r->tmp, &r->counts,
                          r->vault);
        if (!rc)
            rc = sl_buf_append_json_str(&r->out, r->tmp.p ? r->tmp.p : "", r->tmp.len);
        if (r->tmp.len)
            explicit_bzero(r->tmp.p, r->tmp.len);
        return rc;
    case JSON_INTEGER:
    case JSON_REAL:
        if (r->verbatim) {
            const struct numtok *t = &r->nums[r->inum++];

            return sl_buf_append(&r->out, r->line + t->off, t->len);
        }
        if (json_is_integer(v))
            return sl_buf_printf(&r->out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_real(&r->out, json_real_value(v));
    case JSON_TRUE:
        return sl_buf_append_str(&r->out, "true");
    case JSON_FALSE:
        return sl_buf_append_str(&r->out, "false");
    default:
        return sl_buf_append_str(&r->out, "null");
    }
}

/* Read one line (without its newline) into *buf, at most max bytes: a longer line is consumed to
 * its end and reported with *toolong. Returns false at end of input. Memory stays bounded by max. */
static bool read_line(FILE *f, char **buf, size_t *cap, size_t max, size_t *len, bool *toolong)
{
    int ch;

    *len = 0;
    *toolong = false;
    while ((ch = getc_unlocked(f)) != EOF) {
        if (ch == '\n')
            return true;
        if (*len >= max) {
            *toolong = true;
            continue;
        }
        if (*len + 1 >= *cap) {
            size_t nc = *cap ? *cap * 2 : 65536;
            char *nb = realloc(*buf, nc);

            if (!nb) {
                *toolong = true;
                continue;
            }
            *buf = nb;
            *cap = nc;
        }
        (*buf)[(*len)++] = (char)ch;
    }
    return *len > 0 || *toolong;
}

/* Returns 0, 1 for a bad line (reported), or a negative internal error. */
static int do_line(struct redact *r, const char *line, size_t len, size_t lineno)
{
    json_error_t jerr;
    json_t *doc;
    int rc;

    doc = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc && json_error_code(&jerr) == json_error_numeric_overflow)
        doc = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
    if (!doc) { /* never print jansson's text: it quotes the input */
        fprintf(stderr, "sluice redact: line %zu: not valid JSON (column %d)\n", lineno, jerr.column);
        return 1;
    }
    r->line = line;
    if ((rc = lex_numbers(r, line, len)))
        goto out;
    r->verbatim = count_numbers(doc) == r->nnum;
    sl_buf_reset(&r->out);
    if (r->mode == SL_ANON_TOKENIZE && (rc = sl_anon_vault_create(&r->vault)))
        goto out;
    rc = emit(r, doc);
    sl_anon_vault_destroy(r->vault);
    r->vault = NULL;
    if (rc == SL_ENOSPACE) {
        fprintf(stderr, "sluice redact: line %zu: output over the size cap\n", lineno);
        rc = 1;
        goto out;
    }
    if (!rc && (rc = sl_buf_append(&r->out, "\n", 1)) == 0 &&
        fwrite(r->out.p, 1, r->out.len, stdout) != r->out.len)
        rc = SL_EIO;
out:
    json_decref(doc);
    return rc;
}

static void print_stats(const struct redact *r, size_t lines, size_t bad)
{
    int t;

    fprintf(stderr, "{\"lines\":%zu,\"invalid\":%zu", lines, bad);
    for (t = 0; t < SL_PII__COUNT; t++)
        fprintf(stderr, ",\"%s\":%u", sl_pii_type_name((enum sl_pii_type)t), r->counts.n[t]);
    fprintf(stderr, "}\n");
}

static int parse_args(int argc, char **argv, struct sl_anon_opts *o, unsigned char *key, size_t keycap,
                      bool *stats)
{
    static const struct option lopts[] = {{"mode", required_argument, NULL, 'm'},
                                          {"types", required_argument, NULL, 't'},
                                          {"hash-key-file", required_argument, NULL, 'k'},
                                          {"stats", no_argument, NULL, 's'},
                                          {"threads", required_argument, NULL, 'j'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *keyfile = NULL;
    char *end;
    long th;
    int ch;

    optind = 1;
    opterr = 1;
    while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            if (sl_anon_mode_parse(optarg, &o->mode))
                return SL_ECONFIG;
            break;
        case 't':
            if (sl_pii_types_parse(optarg, &o->types))
                return SL_ECONFIG;
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 's':
            *stats = true;
            break;
        case 'j':
            th = strtol(optarg, &end, 10);
            if (*end || th < 1 || th > 256)
                return SL_ECONFIG;
            break; /* one thread does the work; see the report */
        default:
            return SL_ECONFIG;
        }
    }
    if (optind != argc)
        return SL_ECONFIG;
    if (o->mode == SL_ANON_HASH) {
        if (!keyfile) {
            fprintf(stderr, "sluice redact: --mode hash needs --hash-key-file\n");
            return SL_ECONFIG;
        }
        if (read_key(keyfile, key, keycap, &o->hmac_key_len))
            return SL_ECONFIG;
        o->hmac_key = key;
    }
    return 0;
}

int sl_cmd_redact(int argc, char **argv)
{
    struct sl_anon_opts o = {.mode = SL_ANON_REDACT};
    struct redact r;
    unsigned char key[4096];
    bool stats = false;
    char *line = NULL;
    size_t cap = 0, lineno = 0, bad = 0, len = 0;
    bool toolong = false;
    int rc, status = 0;

    memset(&r, 0, sizeof(r));
    if (parse_args(argc, argv, &o, key, sizeof(key), &stats)) {
        usage();
        explicit_bzero(key, sizeof(key));
        return 2;
    }
    r.mode = o.mode;
    rc = sl_anon_create(&o, &r.a);
    explicit_bzero(key, sizeof(key));
    if (rc || (rc = sl_anon_scratch_create(r.a, &r.s))) {
        fprintf(stderr, "sluice redact: cannot build the anonymizer: %s\n", sl_strerror(rc));
        sl_anon_destroy(r.a);
        return 1;
    }
    sl_buf_init(&r.out, SL_REDACT_MAX_LINE * 2);
    sl_buf_init(&r.tmp, SL_REDACT_MAX_LINE * 2);
    while (read_line(stdin, &line, &cap, SL_REDACT_MAX_LINE, &len, &toolong)) {
        lineno++;
        while (len > 0 && line[len - 1] == '\r')
            len--;
        if (toolong) {
            fprintf(stderr, "sluice redact: line %zu: longer than %zu bytes\n", lineno, SL_REDACT_MAX_LINE);
            bad++;
            continue;
        }
        if (len == 0)
            continue; /* blank line */
        rc = do_line(&r, line, len, lineno);
        if (rc == 1) {
            bad++;
        } else if (rc < 0) {
            fprintf(stderr, "sluice redact: line %zu: %s\n", lineno, sl_strerror(rc));
            status = 1;
            break;
        }
    }
    if (fflush(stdout) != 0 || ferror(stdin))
        status = 1;
    if (stats)
        print_stats(&r, lineno, bad);
    if (line)
        explicit_bzero(line, cap);
    free(line);
    free(r.nums);
    sl_buf_wipe(&r.out);
    sl_buf_wipe(&r.tmp);
    sl_anon_scratch_destroy(r.s);
    sl_anon_destroy(r.a);
    if (status)
        return status;
    return bad ? 3 : 0;
}
