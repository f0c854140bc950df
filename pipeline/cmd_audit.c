/* cmd_audit.c: `sluice audit verify DIR...`. Main thread; prints to stdout/stderr. */
#include "cmd_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"

static void usage(void)
{
    fprintf(stderr, "usage: sluice audit verify DIR...\n"
                    "  Checks the audit chain of each output directory and that every job is\n"
                    "  accounted for exactly once across them (give all shards of a run).\n");
}

static void print_problem(void *ud, const char *file, uint64_t record, const char *msg)
{
    (void)ud;
    if (record == SL_AUDIT_NO_RECORD)
        fprintf(stderr, "%s: %s\n", file, msg);
    else
        fprintf(stderr, "%s: record %" PRIu64 ": %s\n", file, record, msg);
}

int sl_cmd_audit(int argc, char **argv)
{
    uint64_t problems = 0;
    int rc;

    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        usage();
        return 2;
    }
    if (argc == 2 || strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0) {
        usage();
        return argc == 2 ? 2 : 0;
    }
    rc = sl_audit_verify_dirs((const char *const *)argv + 2, (size_t)(argc - 2), print_problem,
                              NULL, &problems);
    if (rc == 0) {
        printf("sluice audit verify: ok (%d director%s)\n", argc - 2, argc == 3 ? "y" : "ies");
        return 0;
    }
    if (rc == SL_ECORRUPT) {
        printf("sluice audit verify: FAILED: %" PRIu64 " problem(s)\n", problems);
        return 5;
    }
    fprintf(stderr, "sluice audit verify: %s\n", sl_strerror(rc));
    return 1;
}
