/* secret.c: load, hold and wipe the API key. Main thread at start-up; wiped at exit. */
#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX 4096

static int fill(struct sl_secret *s, const char *key, size_t len, const char *header, char *why,
                size_t why_cap)
{
    const char *prefix = strcasecmp(header, "Authorization") ? "" : "Bearer ";
    size_t i, need;

    while (len && isspace((unsigned char)key[len - 1]))
        len--;
    while (len && isspace((unsigned char)*key)) {
        key++;
        len--;
    }
    if (!len) {
        snprintf(why, why_cap, "the API key is empty");
        return SL_ECONFIG;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e) {
            snprintf(why, why_cap, "the API key contains a character that cannot go in a header");
            return SL_ECONFIG;
        }
    }
    need = strlen(header) + 2 + strlen(prefix) + len + 1;
    if (need > s->cap) {
        char *nb = malloc(need);

        if (!nb)
            return -ENOMEM;
        memset(nb, 0, need);
        mlock(nb, need);
        if (s->buf) {
            explicit_bzero(s->buf, s->cap);
            munlock(s->buf, s->cap);
            free(s->buf);
        }
        s->buf = nb;
        s->cap = need;
    }
    snprintf(s->buf, s->cap, "%s: %s", header, prefix);
    s->key_off = strlen(s->buf);
    memcpy(s->buf + s->key_off, key, len);
    s->buf[s->key_off + len] = '\0';
    s->key_len = len;
    return 0;
}

static int read_file(const char *path, char *key, size_t cap, size_t *len, char *why,
                     size_t why_cap)
{
    struct stat st;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        snprintf(why, why_cap, "cannot open --api-key-file: %s", strerror(errno));
        return SL_ECONFIG;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(why, why_cap, "--api-key-file is not a regular file");
        return SL_ECONFIG;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        snprintf(why, why_cap,
                 "--api-key-file is accessible by group or others (mode %03o); run chmod 600 on it",
                 (unsigned)(st.st_mode & 0777));
        return SL_ECONFIG;
    }
    while (got < cap && (n = read(fd, key + got, cap - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            snprintf(why, why_cap, "cannot read --api-key-file: %s", strerror(errno));
            return SL_ECONFIG;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got == cap) {
        snprintf(why, why_cap, "--api-key-file is larger than %d bytes", KEY_MAX);
        return SL_ECONFIG;
    }
    *len = got;
    return 0;
}

int sl_secret_load(struct sl_secret *s, const char *path, const char *env, const char *header,
                   char *why, size_t why_cap)
{
    char key[KEY_MAX];
    size_t len = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    if (path) {
        rc = read_file(path, key, sizeof(key), &len, why, why_cap);
        if (!rc)
            rc = fill(s, key, len, header, why, why_cap);
        explicit_bzero(key, sizeof(key));
        return rc;
    } else {
        char *v = getenv(env);

        if (!v || !*v) {
            snprintf(why, why_cap,
                     "no API key: set the environment variable %s or give --api-key-file", env);
            return SL_ECONFIG;
        }
        rc = fill(s, v, strlen(v), header, why, why_cap);
        explicit_bzero(v, strlen(v)); /* the copy in the environment block */
        unsetenv(env);
        return rc;
    }
}

int sl_secret_reload(struct sl_secret *s, const char *path, const char *header, char *why,
                     size_t why_cap)
{
    char key[KEY_MAX];
    size_t len = 0;
    int rc;

    if (!path) {
        snprintf(why, why_cap, "no --api-key-file to re-read");
        return SL_ECONFIG;
    }
    rc = read_file(path, key, sizeof(key), &len, why, why_cap);
    if (!rc)
        rc = fill(s, key, len, header, why, why_cap);
    explicit_bzero(key, sizeof(key));
    return rc;
}

const char *sl_secret_header(const struct sl_secret *s)
{
    return s->buf;
}

void sl_secret_wipe(struct sl_secret *s)
{
    if (s->buf) {
        explicit_bzero(s->buf, s->cap);
        munlock(s->buf, s->cap);
        free(s->buf);
    }
    memset(s, 0, sizeof(*s));
}
