/* err.h: sluice's error codes and the reject detail that travels with a refused job.
 *
 * Fallible functions return 0, a negative errno (as libuv does) or one of SL_E* below. Details for a
 * refused job go in a caller-owned struct sl_err: a JSON pointer to the field and a reason a person
 * understands. A reason never quotes input bytes: they may be PII or secrets.
 */
#ifndef SL_ERR_H
#define SL_ERR_H

#include <stddef.h>

enum {
    SL_EPARSE = -1000,   /* malformed JSONL or msgpack record */
    SL_ETOOBIG = -1001,  /* input over a configured cap */
    SL_EUTF8 = -1002,    /* invalid UTF-8 where text is required */
    SL_ESCHEMA = -1003,  /* a field is missing, of the wrong type or not allowed */
    SL_EPOLICY = -1004,  /* refused by the sanitize policy */
    SL_EDUP = -1005,     /* duplicate custom_id */
    SL_ECONFIG = -1006,  /* bad configuration or command line */
    SL_EIO = -1007,      /* disk or file failure */
    SL_ECORRUPT = -1008, /* a file of ours does not verify */
    SL_ENOSPACE = -1009, /* a growable buffer reached its hard cap */
};

#define SL_ERR_FIELD_MAX 192
#define SL_ERR_REASON_MAX 256

struct sl_err {
    int code;
    char field[SL_ERR_FIELD_MAX];   /* JSON pointer, e.g. /body/messages/2/content; "" if none */
    char reason[SL_ERR_REASON_MAX]; /* stable, human-readable, never quotes input */
};

#define SL_MUST_CHECK __attribute__((warn_unused_result))

/* Text for any code this project returns: SL_E* or -errno. */
const char *sl_strerror(int rc);

/* Fill err and return code; fmt never receives input bytes. */
int sl_err_set(struct sl_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void sl_err_clear(struct sl_err *err);

#endif
