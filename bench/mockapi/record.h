/* record.h: the --record file: one JSON line per request, appended to a memory buffer as requests
 * arrive and written to the file by mock_record_flush (the server calls it every 100 ms and on
 * exit). Owned by the server, loop thread only.
 */
#ifndef MOCK_RECORD_H
#define MOCK_RECORD_H

#include <stddef.h>

struct mock_record {
    int fd;
    char *buf;
    size_t len, cap;
};

/* Open (create, append, mode 0600) path. Returns 0 or -errno. */
int mock_record_open(struct mock_record *r, const char *path);

/* Space for a line of at most n bytes at the end of the buffer; NULL on allocation failure.
 * A buffer already past its soft cap is flushed first. Commit what was written with
 * mock_record_commit. */
char *mock_record_reserve(struct mock_record *r, size_t n);
void mock_record_commit(struct mock_record *r, size_t n);

/* Write everything buffered. Returns 0 or -errno (the data is dropped then, with a message). */
int mock_record_flush(struct mock_record *r);

/* Flush, close, free. Safe on a record never opened (fd < 0). */
void mock_record_close(struct mock_record *r);

#endif
