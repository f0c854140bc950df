/* fsutil.h: small file helpers the writer, the journal and `sluice audit verify` share.
 *
 * Writes that finish (short writes and EINTR retried), syncs, whole-file reads with a cap, and a
 * line reader over a file made of zstd frames. Any thread; no shared state.
 */
#ifndef SL_FSUTIL_H
#define SL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Write all n bytes at the fd's offset. Returns 0 or -errno (ENOSPC, EFBIG, EIO, ...). */
SL_MUST_CHECK int sl_fs_write_all(int fd, const void *p, size_t n);
/* fdatasync (data_only) or fsync, retried on EINTR. Returns 0 or -errno. */
SL_MUST_CHECK int sl_fs_sync(int fd, bool data_only);
/* Read the whole file at path into out (appended). -EFBIG when it is longer than max. */
SL_MUST_CHECK int sl_fs_read_file(const char *path, size_t max, struct sl_buf *out);

/* Called once per line (without its '\n'); a non-zero return stops the reader and is returned. */
typedef int (*sl_fs_line_cb)(void *ud, const char *line, size_t len);

/* Decompress path (a sequence of zstd frames) and hand each '\n'-terminated line to cb. Returns 0;
 * -errno if the file cannot be read; SL_ECORRUPT if the zstd data is invalid, a frame is cut
 * short or the last line lacks its '\n' (the lines before it were delivered); SL_ETOOBIG for a
 * line longer than max_line; or cb's return. */
SL_MUST_CHECK int sl_fs_zst_read_lines(const char *path, size_t max_line, sl_fs_line_cb cb,
                                       void *ud);

/* Called once per msgpack record; o is valid only during the call. Non-zero stops the reader. */
typedef int (*sl_fs_mp_cb)(void *ud, const msgpack_object *o);

/* The same for a file of concatenated msgpack records (--output-format msgpack): each whole record
 * goes to cb. SL_ECORRUPT also for bytes that are not msgpack or a record cut short at the end;
 * SL_ETOOBIG for a record longer than max_rec. */
SL_MUST_CHECK int sl_fs_zst_read_mp(const char *path, size_t max_rec, sl_fs_mp_cb cb, void *ud);

#endif
