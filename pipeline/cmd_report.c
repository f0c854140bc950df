/* cmd_report.c: `sluice report DIR [-o FILE]`. Main thread; writes one file, prints its path. */
#include "cmd_report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "report.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice report DIR [-o FILE]\n"
               "  Writes one self-contained HTML page (no scripts, no external resources) about\n"
               "  the run in output directory DIR: throughput against the quota, 429s and\n"
               "  retries, latency, outcomes, redactions and settings. Default FILE:\n"
               "  DIR/report.html.\n");
}

static int write_file(const char *path, const struct sl_buf *b)
{
    char tmp[4200];
    FILE *f;
    int ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f)
        return -errno;
    ok = fwrite(b->p, 1, b->len, f) == b->len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path)) {
        int e = errno ? -errno : SL_EIO;

        remove(tmp);
        return e;
    }
    return 0;
}

int sl_cmd_report(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL;
    char def[4096], why[256] = "";
    struct sl_buf b;
    int i, rc;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    if (!out) {
        snprintf(def, sizeof(def), "%s/report.html", dir);
        out = def;
    }
    sl_buf_init(&b, (size_t)256 << 20);
    rc = sl_report_build(dir, &b, why, sizeof(why));
    if (!rc)
        rc = write_file(out, &b);
    sl_buf_free(&b);
    if (rc) {
        fprintf(stderr, "sluice report: %s\n", why[0] ? why : sl_strerror(rc));
        return 1;
    }
    printf("sluice report: wrote %s\n", out);
    return 0;
}
