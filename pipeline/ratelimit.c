/* ratelimit.c: what a provider says about its limits and errors, parsed. Pure, any thread.
 *
 * Header lines arrive one by one from libcurl ("Name: value\r\n", HTTP/1.1 or HTTP/2). Names are
 * case-insensitive, the value is trimmed of SP, HT, CR and LF. A value that is absent, negative
 * (servers send -1), not a number, or too large to hold leaves its field unset: the scheduler must
 * never act on a guess. Fields:
 *   x-ratelimit-limit-{requests,tokens}, x-ratelimit-remaining-{requests,tokens}: integers.
 *   x-ratelimit-reset-{requests,tokens}: Go durations ("6m0s", "1.5s", "20ms", "250us") or a bare
 *     number of seconds: the time until that bucket is full again.
 *   retry-after-ms, x-ms-retry-after-ms: milliseconds (fractions rounded up); they take precedence
 *     over Retry-After whatever the order, as in the official clients.
 *   Retry-After: seconds (integer or fractional) or an HTTP date (IMF-fixdate, and the obsolete
 *     RFC 850 and asctime forms RFC 9110 says to accept), relative to now_unix; a past date is 0.
 *   x-should-retry: true / false.  x-request-id: kept if printable ASCII and short enough.
 * Numbers are parsed exactly in integer nanoseconds (128-bit intermediates), never via double,
 * so "0.001s" is 1 ms and not 1.0000000000000002 rounded up to 2.
 *
 * Classification reads the JSON error object with jansson, only if the body starts with '{'
 * (proxies send HTML). No body text leaves this file except a short code token.
 */
#include "ratelimit.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef unsigned __int128 u128; /* gcc and clang on 64-bit targets */

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define BODY_JSON_MAX (1u << 20) /* error bodies are small; bigger ones are not parsed */

void sl_ratelimit_view_clear(struct sl_ratelimit_view *v)
{
    *v = (struct sl_ratelimit_view){0};
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "123" or "1.5" or ".5" or "5." (at least one digit) times unit_ns, rounded up. */
static int scaled_ns(const char *s, size_t len, uint64_t unit_ns, u128 *ns)
{
    u128 ip = 0, frac = 0, scale = 1;
    size_t i = 0, digits = 0;
    bool dropped = false;

    for (; i < len && is_digit(s[i]); i++, digits++) {
        ip = ip * 10 + (unsigned)(s[i] - '0');
        if (ip > UINT64_MAX)
            return SL_EPARSE;
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++, digits++) {
            if (scale < 1000000000000000000ull) {
                frac = frac * 10 + (unsigned)(s[i] - '0');
                scale *= 10;
            } else if (s[i] != '0') {
                dropped = true;
            }
        }
    }
    if (i != len || digits == 0)
        return SL_EPARSE;
    *ns = ip * unit_ns + (frac * unit_ns + scale - 1) / scale + (dropped ? 1 : 0);
    return 0;
}

static int ns_to_ms(u128 ns, uint64_t *ms)
{
    if (ns > UINT64_MAX)
        return SL_EPARSE;
    *ms = (uint64_t)((ns + NS_PER_MS - 1) / NS_PER_MS);
    return 0;
}

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
    {"ns", 1},          {"us", 1000},          {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
    {"ms", NS_PER_MS},  {"s", NS_PER_S},       {"m", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S},
};

static int unit_ns(const char *s, size_t len, uint64_t *ns)
{
    size_t k;

    for (k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
        if (strlen(units[k].name) == len && memcmp(units[k].name, s, len) == 0) {
            *ns = units[k].ns;
            return 0;
        }
    }
    return SL_EPARSE;
}

int sl_ratelimit_parse_duration(const char *s, size_t len, uint64_t *ms)
{
    u128 total = 0, part;
    size_t i = 0;

    if (len > 0 && s[0] == '+')
        i = 1;
    if (i == len)
        return SL_EPARSE;
    if (scaled_ns(s + i, len - i, NS_PER_S, &total) == 0) /* bare number: seconds */
        return ns_to_ms(total, ms);
    while (i < len) {
        size_t num = i, unit;
        uint64_t u;

        while (i < len && (is_digit(s[i]) || s[i] == '.'))
            i++;
        unit = i;
        while (i < len && !is_digit(s[i]) && s[i] != '.')
            i++;
        if (unit == num || unit_ns(s + unit, i - unit, &u) < 0 ||
            scaled_ns(s + num, unit - num, u, &part) < 0)
            return SL_EPARSE;
        total += part;
        if (total > UINT64_MAX)
            return SL_EPARSE;
    }
    return ns_to_ms(total, ms);
}

static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    u128 ns;

    if (len > 20 || scaled_ns(s, len, 1, &ns) < 0 || memchr(s, '.', len) || ns > UINT64_MAX)
        return SL_EPARSE;
    *out = (uint64_t)ns;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_of(const char *name)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int m;

    for (m = 0; m < 12; m++)
        if (strlen(name) == 3 && strncmp(names + 3 * m, name, 3) == 0)
            return m + 1;
    return 0;
}

/* IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" or asctime
 * "Sun Nov  6 08:49:37 1994" to Unix seconds. */
static int parse_http_date(const char *s, size_t len, int64_t *t)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char buf[64], wd[16], mon[8], zone[8];
    int d, y, hh, mm, ss, n = -1, m;
    bool leap;

    if (len >= sizeof(buf))
        return SL_EPARSE;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (sscanf(buf, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wd, &d, mon, &y, &hh,
               &mm, &ss, zone, &n) == 8 && n == (int)len && strcmp(zone, "GMT") == 0) {
    } else if (sscanf(buf, "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", wd, &d, mon, &y,
                      &hh, &mm, &ss, zone, &n) == 8 && n == (int)len &&
               strcmp(zone, "GMT") == 0 && y >= 0) {
        y += y < 70 ? 2000 : 1900;
    } else if (!(sscanf(buf, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &hh, &mm,
                        &ss, &y, &n) == 7 && n == (int)len)) {
        return SL_EPARSE;
    }
    m = month_of(mon);
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 0 || y < 1900 || y > 9999 || d < 1 || (unsigned)d > mdays[m - 1] ||
        (m == 2 && d == 29 && !leap) || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 ||
        ss > 60)
        return SL_EPARSE;
    *t = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

static void set_u64(const char *val, size_t vlen, bool *has, uint64_t *field)
{
    *has = parse_u64(val, vlen, field) == 0;
}

static void set_duration(const char *val, size_t vlen, bool *has, uint64_t *field)
{
    *has = sl_ratelimit_parse_duration(val, vlen, field) == 0;
}

static void set_retry_after(struct sl_ratelimit_view *v, const char *val, size_t vlen,
                            int64_t now_unix)
{
    u128 ns;
    int64_t t;
    uint64_t ms;

    if (v->retry_after_from_ms)
        return;
    if (scaled_ns(val, vlen, NS_PER_S, &ns) == 0 && ns_to_ms(ns, &ms) == 0) {
        v->retry_after_ms = ms;
        v->has_retry_after = true;
    } else if (parse_http_date(val, vlen, &t) == 0) {
        v->retry_after_ms = t > now_unix ? (uint64_t)(t - now_unix) * 1000u : 0;
        v->has_retry_after = true;
    }
}

static void set_retry_after_ms(struct sl_ratelimit_view *v, const char *val, size_t vlen)
{
    u128 ns;
    uint64_t ms;

    if (scaled_ns(val, vlen, NS_PER_MS, &ns) == 0 && ns_to_ms(ns, &ms) == 0) {
        v->retry_after_ms = ms;
        v->has_retry_after = true;
        v->retry_after_from_ms = true;
    }
}

static void set_request_id(struct sl_ratelimit_view *v, const char *val, size_t vlen)
{
    size_t i;

    if (vlen == 0 || vlen >= sizeof(v->request_id))
        return;
    for (i = 0; i < vlen; i++)
        if (val[i] < 0x21 || val[i] > 0x7e)
            return;
    memcpy(v->request_id, val, vlen);
    v->request_id[vlen] = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

void sl_ratelimit_header(struct sl_ratelimit_view *v, const char *line, size_t len,
                         int64_t now_unix)
{
    const char *colon = line ? memchr(line, ':', len) : NULL;
    const char *name = line, *val;
    size_t nlen, vlen;

    if (!colon)
        return;
    nlen = (size_t)(colon - line);
    while (nlen > 0 && is_space(name[nlen - 1]))
        nlen--;
    val = colon + 1;
    vlen = len - (size_t)(val - line);
    while (vlen > 0 && is_space(val[0]))
        val++, vlen--;
    while (vlen > 0 && is_space(val[vlen - 1]))
        vlen--;

    if (name_is(name, nlen, "x-ratelimit-limit-requests"))
        set_u64(val, vlen, &v->has_limit_req, &v->limit_req);
    else if (name_is(name, nlen, "x-ratelimit-limit-tokens"))
        set_u64(val, vlen, &v->has_limit_tok, &v->limit_tok);
    else if (name_is(name, nlen, "x-ratelimit-remaining-requests"))
        set_u64(val, vlen, &v->has_rem_req, &v->rem_req);
    else if (name_is(name, nlen, "x-ratelimit-remaining-tokens"))
        set_u64(val, vlen, &v->has_rem_tok, &v->rem_tok);
    else if (name_is(name, nlen, "x-ratelimit-reset-requests"))
        set_duration(val, vlen, &v->has_reset_req, &v->reset_req_ms);
    else if (name_is(name, nlen, "x-ratelimit-reset-tokens"))
        set_duration(val, vlen, &v->has_reset_tok, &v->reset_tok_ms);
    else if (name_is(name, nlen, "retry-after-ms") || name_is(name, nlen, "x-ms-retry-after-ms"))
        set_retry_after_ms(v, val, vlen);
    else if (name_is(name, nlen, "retry-after"))
        set_retry_after(v, val, vlen, now_unix);
    else if (name_is(name, nlen, "x-should-retry")) {
        v->should_retry_set = vlen == 4 ? strncasecmp(val, "true", 4) == 0
                                        : vlen == 5 && strncasecmp(val, "false", 5) == 0;
        v->should_retry = vlen == 4 && v->should_retry_set;
    } else if (name_is(name, nlen, "x-request-id"))
        set_request_id(v, val, vlen);
}

/* ---- classification ---- */

static bool is_code_token(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++) {
        char c = s[n];

        if (n >= 63 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
                         c == '_' || c == '.' || c == '-'))
            return false;
    }
    return n > 0;
}

/* The number right after `label` in msg ("Limit 30000", "Requested 31,756"), or -1. */
static int64_t number_after(const char *msg, const char *label)
{
    const char *p = msg;
    int64_t n = 0;
    bool any = false;

    for (;;) {
        p = strcasestr(p, label);
        if (!p)
            return -1;
        for (p += strlen(label); *p == ' ' || *p == ':'; p++)
            ;
        if (is_digit(*p))
            break;
    }
    for (; is_digit(*p) || (*p == ',' && any && is_digit(p[1])); p++) {
        if (*p == ',')
            continue;
        if (n > INT64_MAX / 10 - 10)
            return -1;
        n = n * 10 + (*p - '0');
        any = true;
    }
    return any ? n : -1;
}

static bool too_large(const char *msg)
{
    int64_t req, lim;

    if (!msg)
        return false;
    if (strcasestr(msg, "request too large") || strcasestr(msg, "must be reduced"))
        return true;
    req = number_after(msg, "requested");
    lim = number_after(msg, "limit");
    return req >= 0 && lim >= 0 && req > lim;
}

static const char *str_field(json_t *obj, const char *key)
{
    json_t *s = json_object_get(obj, key);

    return json_is_string(s) ? json_string_value(s) : NULL;
}

static bool looks_like_json(const char *body, size_t len)
{
    size_t i = 0;

    while (i < len && is_space(body[i]))
        i++;
    return i < len && body[i] == '{' && len <= BODY_JSON_MAX;
}

static enum sl_error_class by_status(long status, const char *code, const char *type,
                                     const char *msg)
{
    if (status == 429) {
        if ((code && strcmp(code, "insufficient_quota") == 0) ||
            (type && strcmp(type, "insufficient_quota") == 0))
            return SL_ERRCLASS_FATAL_RUN;
        return too_large(msg) ? SL_ERRCLASS_FATAL_JOB : SL_ERRCLASS_RETRY;
    }
    if (status == 401 || status == 403)
        return SL_ERRCLASS_FATAL_RUN;
    if (status == 408 || status == 409 || status >= 500)
        return SL_ERRCLASS_RETRY;
    if (status >= 400 && status < 500) /* 400, 404, 413, 422 and the rest of 4xx */
        return SL_ERRCLASS_FATAL_JOB;
    return SL_ERRCLASS_RETRY; /* no status (0), 1xx, 3xx: transport trouble, try again */
}

enum sl_error_class sl_ratelimit_classify(long status, const char *body, size_t len,
                                          const struct sl_ratelimit_view *v, char *code_out,
                                          size_t code_cap)
{
    json_t *root = NULL, *err = NULL;
    const char *code = NULL, *type = NULL, *msg = NULL;
    enum sl_error_class cls;

    if (body && looks_like_json(body, len)) {
        root = json_loadb(body, len, 0, NULL);
        err = json_object_get(root, "error");
        if (!json_is_object(err))
            err = root; /* some servers put code/message at the top level */
        code = str_field(err, "code");
        type = str_field(err, "type");
        msg = str_field(err, "message");
    }
    cls = by_status(status, code, type, msg);
    if (cls != SL_ERRCLASS_FATAL_RUN && v && v->should_retry_set)
        cls = v->should_retry ? SL_ERRCLASS_RETRY : SL_ERRCLASS_FATAL_JOB;
    if (code_out && code_cap > 0) {
        if (code && is_code_token(code))
            snprintf(code_out, code_cap, "%s", code);
        else
            snprintf(code_out, code_cap, "http_%ld", status);
    }
    json_decref(root);
    return cls;
}
