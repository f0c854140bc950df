/* run.c: `sluice run`, the process around the stages. The loop thread owns the reader, the
 * scheduler (bucket, ready FIFO, retry list), curl and every uv handle; N worker threads prepare and
 * finish jobs; the writer thread (writer.c) makes them durable.
 *
 * Memory stays flat because the number of jobs alive at once is capped (the window): the reader
 * stops issuing reads when the window is full and resumes when commits bring it below half. Every
 * queue therefore holds at most a window of jobs, and pushing never blocks the loop.
 *
 * A job is alive from the moment the reader frames it until the writer commits its record (or, for
 * a job an earlier run already did, until the loop drops it). A stopping run (signal, fatal server
 * answer, disk error) abandons jobs that have no record yet: they are not written and the journal
 * does not claim them, so --resume does them again.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "backoff.h"
#include "bucket.h"
#include "framer.h"
#include "fsutil.h"
#include "http.h"
#include "libcheck.h"
#include "jobq.h"
#include "log.h"
#include "metrics.h"
#include "price.h"
#include "qredis.h"
#include "ratelimit.h"
#include "secret.h"
#include "template.h"
#include "series.h"
#include "version.h"
#include "work.h"

#define CHUNK (256 * 1024)

struct joblist {
    struct sl_job *head, *tail;
    size_t n;
};

struct run {
    uv_loop_t loop;
    struct sl_config *cfg;
    struct sl_work_ctx w;
    struct sl_policy *policy;
    struct sl_anon *anon, *id_anon;
    struct sl_idset ids;
    struct sl_writer *writer;

    /* workers */
    pthread_t *threads;
    unsigned nthreads;
    struct sl_jobq workq; /* loop -> workers */
    struct sl_jobq backq; /* workers -> loop */
    uv_async_t wake;
    struct joblist to_work; /* loop thread: jobs for workq, handed over once per loop turn */
    struct sl_job *spare;   /* loop thread: recycled jobs keeping their buffers (job_get/job_put) */
    struct sl_job *bare;    /* loop thread: recycled jobs whose buffers were freed */
    size_t nspare, nbare;
    size_t spare_bytes;     /* buffer capacity held by the jobs on spare */
    uv_prepare_t flush;
    uv_check_t turn_end;  /* after the poll: clears flushed */
    uv_idle_t late;       /* a job queued after this turn's flush: poll without waiting */
    bool flushed;         /* this turn's flush ran and the loop has not polled yet */

    /* reader */
    unsigned in_idx;
    uv_file fd;
    uv_fs_t read_req;
    char *chunk;
    struct sl_framer framer;
    bool read_pending, read_paused, read_done, framer_open;
    uint64_t seq;
    uint64_t bytes_read, bytes_total;
    _Atomic uint64_t alive;

    /* scheduler */
    struct sl_bucket bucket;
    struct sl_qredis *qr; /* --quota-redis: the fleet's lease credit, NULL without */
    struct joblist ready, retry;
    uv_timer_t sched_timer;
    struct sl_http *http;
    struct sl_secret key;
    struct curl_slist h_auth, h_ct, h_ua;
    char ua[64];
    uint64_t rnd;

    /* stopping */
    bool stopping, fatal, finished;
    int exit_status;
    char fatal_msg[300];
    uv_signal_t sig_int, sig_term, sig_hup;
    uv_timer_t progress_timer, drain_timer;
    int signals;

    /* counters (loop thread) */
    uint64_t requests, retries, http_429, http_5xx, net_errors, skipped, abandoned, other_shards;
    struct sl_lat_hist lat, lat_sec; /* whole run; since the last series sample */
    uint64_t start_ms, first_send_ms, last_response_ms;
    _Atomic uint64_t committed[SL_OUT__COUNT];
    _Atomic uint64_t committed_total[SL_OUT__COUNT];
    uint64_t last_progress_done, last_progress_ms, last_progress_tokens;
    bool tty, progress_on;

    /* per-second series (series.h); NULL when disabled (SLUICE_NO_SERIES=1) or after an error */
    struct sl_series *series;
    bool series_failed;
    uv_timer_t series_timer;
    struct series_prev {
        uint64_t t_ms, requests, retries, http_429, http_5xx, net_errors, prompt, completion;
        uint64_t committed[SL_OUT__COUNT];
    } sprev;

    /* cost (loop thread): spend from usage, estimates held by jobs in flight, per model */
    struct sl_prices *prices;
    uint64_t budget_nusd, spent_nusd, inflight_nusd;
    struct model_spend *by_model;
    size_t n_models;

    /* metrics.prom (loop thread; written on the thread pool every 10 s) */
    uv_timer_t metrics_timer;
    bool metrics_busy;
    uint64_t lat_sum_ms;
    double last_success_unix;

    char *template_text; /* --template FILE's contents */
};

#define MAX_MODELS 256

struct model_spend {
    char model[SL_PRICE_MODEL_MAX]; /* "" collects the models past MAX_MODELS and jobs without one */
    uint64_t jobs, nusd;
    bool priced;
};

static uint64_t now_ms(void)
{
    return uv_hrtime() / 1000000;
}

static uint64_t next_rnd(struct run *r)
{
    /* xorshift64*: jitter only, seeded from getrandom. */
    r->rnd ^= r->rnd >> 12;
    r->rnd ^= r->rnd << 25;
    r->rnd ^= r->rnd >> 27;
    return r->rnd * 2685821657736338717ULL;
}

static void list_push(struct joblist *l, struct sl_job *j)
{
    j->next = NULL;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
}

static void list_push_front(struct joblist *l, struct sl_job *j)
{
    j->next = l->head;
    l->head = j;
    if (!l->tail)
        l->tail = j;
    l->n++;
}

static struct sl_job *list_pop(struct joblist *l)
{
    struct sl_job *j = l->head;

    if (j) {
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->n--;
        j->next = NULL;
    }
    return j;
}

/* Retry list ordered by due time (short: only jobs waiting for a retry). */
static void retry_insert(struct joblist *l, struct sl_job *j)
{
    struct sl_job **pp = &l->head, *prev = NULL;

    while (*pp && (*pp)->due_ms <= j->due_ms) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    j->next = *pp;
    *pp = j;
    if (!j->next)
        l->tail = j;
    (void)prev;
    l->n++;
}

static void maybe_finish(struct run *r);
static void dispatch(struct run *r);
static void read_next(struct run *r);
static void begin_stop(struct run *r, int status, const char *why);

/* ---- jobs leaving the loop ---- */

/* Jobs are made and dropped on the loop thread, so their structs and buffers are recycled there:
 * a job's memory was malloc'd by the loop and freed by another thread (or the reverse), which
 * kept glibc on its slow, locked path (perf: ~6% of the process in malloc and free). Up to a
 * window of them are kept: a struct is only allocated when none is spare, so there are never more
 * than the window allows alive at once anyway, while a smaller cap (512) freed and re-allocated
 * about half a window at every reader pause (callgrind: ~1.2k loop instructions per job).
 * The spares keep their buffers (up to SL_JOB_KEEP_BYTES each) while all those buffers together
 * stay under SPARE_BYTES: otherwise over a long run every struct of the window would end up
 * holding the largest buffers it ever had (measured: peak RSS 53.6 MB at 100k jobs, 59.4 MB at
 * 10M, against 45 MB for both before). Those are on their own list, taken first. A bound of 512
 * spares on one LIFO list reused almost no buffer: the reader refills half a window at a time, so
 * most reused spares were stripped ones and nearly every job malloc'd its raw copy, request body
 * and response again, and freed them on the loop thread (callgrind: on_record malloc'd for 96%
 * of the jobs, ~5 frees per job in sl_job_recycle). */
#define SPARE_BYTES (4u << 20)

static size_t job_buf_bytes(const struct sl_job *j, size_t keep)
{
    return (j->raw_cap <= keep ? j->raw_cap : 0) + (j->body.cap <= keep ? j->body.cap : 0) +
           (j->resp.cap <= keep ? j->resp.cap : 0);
}

static struct sl_job *job_get(struct run *r)
{
    struct sl_job *j = r->spare;

    if (j) {
        r->spare = j->next;
        r->nspare--;
        r->spare_bytes -= job_buf_bytes(j, SIZE_MAX);
    } else if ((j = r->bare)) {
        r->bare = j->next;
        r->nbare--;
    } else {
        return calloc(1, sizeof(*j));
    }
    j->next = NULL;
    return j;
}

static void job_put(struct run *r, struct sl_job *j)
{
    size_t keep;

    if (r->nspare + r->nbare >= r->cfg->window) {
        sl_job_free(j);
        return;
    }
    keep = job_buf_bytes(j, SL_JOB_KEEP_BYTES);
    if (keep && r->spare_bytes + keep <= SPARE_BYTES) {
        sl_job_recycle(j, SL_JOB_KEEP_BYTES); /* frees exactly the buffers keep left out */
        r->spare_bytes += keep;
        j->next = r->spare;
        r->spare = j;
        r->nspare++;
    } else {
        sl_job_recycle(j, 0);
        j->next = r->bare;
        r->bare = j;
        r->nbare++;
    }
}

static void drop_job(struct run *r, struct sl_job *j, bool counts_alive)
{
    if (counts_alive)
        atomic_fetch_sub(&r->alive, 1);
    job_put(r, j);
}

/* The job's estimate stops counting against the budget (it came back, failed, or was dropped). */
static void release_hold(struct run *r, struct sl_job *j)
{
    r->inflight_nusd -= j->held_nusd < r->inflight_nusd ? j->held_nusd : r->inflight_nusd;
    j->held_nusd = 0;
}

static void abandon(struct run *r, struct sl_job *j)
{
    release_hold(r, j);
    r->abandoned++;
    if (j->state == SL_JOB_SENDING) /* taken from the bucket, never answered */
        sl_bucket_refund(&r->bucket, now_ms(), 1, j->reserved_tokens);
    drop_job(r, j, true);
}

static void abandon_cb(void *ud, struct sl_job *j)
{
    abandon(ud, j);
}

/* ---- workers ---- */

/* The loop gives jobs to the workers in batches: they collect in to_work during a loop turn and
 * go to workq in one hand-off just before the loop polls (uv_prepare), so the workers are woken
 * and the queue's lock taken once per turn rather than once per job. */
static void on_late(uv_idle_t *h)
{
    uv_idle_stop(h); /* its only job was to keep the poll from sleeping */
}

static void to_workers(struct run *r, struct sl_job *j)
{
    list_push(&r->to_work, j);
    /* Another prepare callback (the HTTP/2 engine delivers there) may run after ours: the poll
     * must then not sleep, so that the next turn's flush hands the job over at once. */
    if (r->flushed && !uv_is_active((uv_handle_t *)&r->late))
        uv_idle_start(&r->late, on_late);
}

static void flush_to_workers(struct run *r)
{
    struct joblist *l = &r->to_work;

    sl_jobq_push_list(&r->workq, l->head, l->tail, l->n);
    l->head = l->tail = NULL;
    l->n = 0;
}

static void on_flush(uv_prepare_t *p)
{
    struct run *r = p->data;

    flush_to_workers(r);
    r->flushed = true;
}

static void on_turn_end(uv_check_t *c)
{
    ((struct run *)c->data)->flushed = false;
}

/* Workers hand jobs back in batches too: a worker that finds backq empty when it pushes owes
 * the loop a wake-up, and pays it once backq holds BACK_BATCH jobs or before it waits for work,
 * whichever comes first; the other pushes rely on that wake-up. Waking the loop at every push
 * onto an empty queue had it wake (epoll, eventfd read, a context switch) for ~8 jobs. Only
 * worker threads deliver (prepare, admission, finish), so every debt is paid by a thread that
 * keeps running: it either pushes more (up to the batch) or runs out of work. */
#define BACK_BATCH 32

static _Thread_local bool owe_wake;

static void pay_wake(struct run *r)
{
    if (owe_wake) {
        owe_wake = false;
        uv_async_send(&r->wake);
    }
}

/* A prepared or finished job goes back to the loop (any worker thread). */
static void deliver(void *ud, struct sl_job *j)
{
    struct run *r = ud;
    size_t n = sl_jobq_push_n(&r->backq, j);

    if (n == 1)
        owe_wake = true;
    if (n >= BACK_BATCH) {
        owe_wake = true;
        pay_wake(r);
    }
}

static void *worker_main(void *arg)
{
    struct run *r = arg;
    struct sl_work_tls t;
    struct sl_job *j;

    if (sl_work_tls_init(&r->w, &t)) {
        sl_work_tls_close(&t);
        return NULL;
    }
    for (;;) {
        if (!(j = sl_jobq_try_pop(&r->workq))) {
            pay_wake(r); /* before waiting: what this thread handed back must not wait too */
            if (!(j = sl_jobq_pop(&r->workq)))
                break;
        }
        if (j->state == SL_JOB_NEW) {
            sl_work_prepare(&r->w, &t, j); /* delivers j, now or when it is admitted */
        } else {
            sl_work_finish(&r->w, &t, j);
            deliver(r, j);
        }
    }
    sl_work_tls_close(&t);
    return NULL;
}

static void on_commit(void *ud, const uint64_t *seqs, size_t n,
                      const uint64_t kind_counts[SL_OUT__COUNT])
{
    struct run *r = ud;
    int k;

    (void)seqs;
    for (k = 0; k < SL_OUT__COUNT; k++)
        atomic_store(&r->committed_total[k], kind_counts[k]);
    atomic_fetch_sub(&r->alive, n);
    uv_async_send(&r->wake);
}

/* ---- reader ---- */

static int on_record(void *ud, struct sl_framer_rec *fr)
{
    struct run *r = ud;
    struct sl_job *j = job_get(r);

    if (!j)
        return -ENOMEM;
    j->seq = r->seq++;
    j->input_idx = r->in_idx;
    j->rec_no = fr->rec_no;
    j->is_msgpack = r->framer.msgpack;
    j->state = SL_JOB_NEW; /* body and resp: empty (calloc) or wiped and kept (job_put) */
    if (fr->err) {
        j->frame_err = fr->err;
        j->frame_why = fr->why;
    } else if (fr->mp_zone) {
        j->mp_zone = fr->mp_zone;
        j->mp_obj = fr->mp_obj;
    } else {
        if (j->raw_cap < fr->len || !j->raw) {
            free(j->raw);
            /* Rounded up, so that a recycled job's copy fits the next records of similar size. */
            j->raw_cap = fr->len < 256 ? 256 : fr->len;
            if (j->raw_cap <= SL_JOB_KEEP_BYTES)
                j->raw_cap = (j->raw_cap + 255) & ~(size_t)255;
            j->raw = malloc(j->raw_cap);
            if (!j->raw) {
                sl_job_free(j);
                return -ENOMEM;
            }
        }
        memcpy(j->raw, fr->p, fr->len);
        j->raw_len = fr->len;
    }
    atomic_fetch_add(&r->alive, 1);
    to_workers(r, j);
    return 0;
}

static bool input_is_msgpack(const struct sl_config *c, const char *path)
{
    size_t n = strlen(path);

    if (c->format)
        return !strcmp(c->format, "msgpack");
    return (n > 8 && !strcmp(path + n - 8, ".msgpack")) || (n > 4 && !strcmp(path + n - 4, ".mpk"));
}

static int open_input(struct run *r)
{
    const char *path = r->cfg->inputs[r->in_idx];
    int rc;

    if (!strcmp(path, "-")) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            char why[300];

            snprintf(why, sizeof(why), "cannot open input %s: %s", path, strerror(errno));
            begin_stop(r, 2, why);
            return -1;
        }
    }
    rc = sl_framer_init(&r->framer, input_is_msgpack(r->cfg, path),
                        sl_policy_max_job_bytes(r->policy));
    if (rc)
        return rc;
    r->framer_open = true;
    return 0;
}

static void close_input(struct run *r)
{
    if (r->framer_open)
        sl_framer_close(&r->framer);
    r->framer_open = false;
    if (r->fd > 0)
        close(r->fd);
    r->fd = -1;
}

static void on_read(uv_fs_t *req)
{
    struct run *r = req->data;
    ssize_t n = req->result;
    int rc = 0;

    uv_fs_req_cleanup(req);
    r->read_pending = false;
    if (r->stopping) {
        maybe_finish(r);
        return;
    }
    if (n < 0) {
        char why[300];

        snprintf(why, sizeof(why), "cannot read input %s: %s", r->cfg->inputs[r->in_idx],
                 uv_strerror((int)n));
        begin_stop(r, 2, why);
        return;
    }
    if (n == 0) {
        rc = sl_framer_finish(&r->framer, on_record, r);
        close_input(r);
        if (rc) {
            begin_stop(r, 1, "out of memory while reading input");
            return;
        }
        if (++r->in_idx >= r->cfg->n_inputs) {
            r->read_done = true;
            maybe_finish(r);
            return;
        }
        if (open_input(r))
            return;
        read_next(r);
        return;
    }
    r->bytes_read += (uint64_t)n;
    rc = sl_framer_feed(&r->framer, r->chunk, (size_t)n, on_record, r);
    if (rc) {
        begin_stop(r, 1, "out of memory while reading input");
        return;
    }
    read_next(r);
}

static void read_next(struct run *r)
{
    uv_buf_t b;

    if (r->read_pending || r->read_done || r->stopping)
        return;
    if (atomic_load(&r->alive) >= r->cfg->window) {
        r->read_paused = true;
        return;
    }
    r->read_paused = false;
    b = uv_buf_init(r->chunk, CHUNK);
    r->read_req.data = r;
    if (uv_fs_read(&r->loop, &r->read_req, r->fd, &b, 1, -1, on_read) == 0)
        r->read_pending = true;
    else
        begin_stop(r, 2, "cannot read input");
}

/* ---- scheduler and http ---- */

static void record_latency(struct run *r, uint32_t ms)
{
    sl_lat_hist_add(&r->lat, ms);
    sl_lat_hist_add(&r->lat_sec, ms);
    r->lat_sum_ms += ms;
}

static void fail_job(struct run *r, struct sl_job *j, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail_job(struct run *r, struct sl_job *j, const char *code, const char *fmt, ...)
{
    va_list ap;

    snprintf(j->err_code, sizeof(j->err_code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(j->err_msg, sizeof(j->err_msg), fmt, ap);
    va_end(ap);
    j->outcome = SL_JOB_FAILED;
    j->state = SL_JOB_RESPONDED;
    to_workers(r, j);
}

static void schedule_retry(struct run *r, struct sl_job *j, uint64_t delay)
{
    j->state = SL_JOB_RETRYWAIT;
    j->due_ms = now_ms() + delay;
    r->retries++;
    retry_insert(&r->retry, j);
}

/* A failed attempt: retry it, fail the job, or stop the run. */
static void attempt_failed(struct run *r, struct sl_job *j, enum sl_error_class cls,
                           const char *code, const char *what)
{
    uint64_t now = now_ms(), delay;

    release_hold(r, j);
    if (cls == SL_ERRCLASS_FATAL_RUN) {
        char why[300];

        snprintf(why, sizeof(why), "stopping: %s (%s); fix it and rerun with --resume", what, code);
        abandon(r, j);
        begin_stop(r, 4, why);
        return;
    }
    if (cls == SL_ERRCLASS_RETRY && j->status == 0 && j->attempts >= r->cfg->max_attempts &&
        r->last_response_ms < j->first_sent_ms) {
        /* Nothing at all has come back from the server since this job was first tried: that is
         * an outage, not a bad job. Recording it as an error would make --resume skip it. */
        char why[300];

        snprintf(why, sizeof(why), "stopping: the endpoint has not answered for %.0f s (%s); "
                 "rerun with --resume when it is reachable", (double)(now - j->first_sent_ms) / 1000.0, what);
        abandon(r, j);
        begin_stop(r, 4, why);
        return;
    }
    if (cls == SL_ERRCLASS_FATAL_JOB || j->attempts >= r->cfg->max_attempts || r->stopping) {
        if (r->stopping && cls == SL_ERRCLASS_RETRY && j->attempts < r->cfg->max_attempts) {
            abandon(r, j);
            return;
        }
        fail_job(r, j, code, "%s%s (after %u attempt%s)", what,
                 cls == SL_ERRCLASS_FATAL_JOB ? "; not retryable" : "", j->attempts,
                 j->attempts == 1 ? "" : "s");
        return;
    }
    delay = sl_retry_delay_ms(&j->rl, j->attempts, next_rnd(r), r->cfg->backoff_cap_ms * 4);
    if (j->status == 429) {
        /* The server's limiter said no: the whole bucket waits, not only this job. */
        sl_bucket_pause(&r->bucket, now, delay);
        if (r->qr)
            sl_qredis_pause(r->qr, now, delay);
    }
    schedule_retry(r, j, delay);
    (void)now;
}

static enum sl_error_class curl_class(int cc)
{
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_ENGINE_NOTFOUND:
        return SL_ERRCLASS_FATAL_RUN;
    case CURLE_WRITE_ERROR:
    case CURLE_TOO_MANY_REDIRECTS:
        return SL_ERRCLASS_FATAL_JOB;
    default:
        return SL_ERRCLASS_RETRY;
    }
}

static void on_http_done(void *ud, struct sl_job *j)
{
    struct run *r = ud;
    uint64_t now = now_ms();
    char code[64], what[200];

    sl_bucket_sync(&r->bucket, now, &j->rl);
    if (r->qr)
        sl_qredis_set_limits(r->qr, r->bucket.rpm_eff, r->bucket.tpm_eff);
    record_latency(r, j->latency_ms);
    j->state = SL_JOB_RESPONDED;
    if (j->status > 0)
        r->last_response_ms = now;
    if (j->curl_code != CURLE_OK || j->status < 200 || j->status >= 300) {
        /* A failed attempt is settled now, conservatively (what it reserved counts as used: the
         * server may have counted it); a success is settled with its real usage after finish. */
        sl_bucket_settle(&r->bucket, now, j->reserved_tokens, j->status == 429 ? 0 : j->reserved_tokens);
        j->reserved_tokens = 0;
    }
    if (j->curl_code != CURLE_OK) {
        enum sl_error_class cls = curl_class(j->curl_code);

        r->net_errors++;
        snprintf(code, sizeof(code), "%s",
                 j->curl_code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "network_error");
        snprintf(what, sizeof(what), "transfer failed: %s", curl_easy_strerror(j->curl_code));
        if (j->curl_code == CURLE_WRITE_ERROR)
            snprintf(what, sizeof(what), "response larger than the limit");
        j->status = 0;
        attempt_failed(r, j, cls, code, what);
    } else if (j->status >= 200 && j->status < 300) {
        j->state = SL_JOB_RESPONDED;
        j->outcome = SL_JOB_OK;
        to_workers(r, j);
    } else {
        enum sl_error_class cls =
            sl_ratelimit_classify(j->status, j->resp.p, j->resp.len, &j->rl, code, sizeof(code));

        if (j->status == 429) {
            r->http_429++;
        } else if (j->status >= 500) {
            r->http_5xx++;
        }
        snprintf(what, sizeof(what), "HTTP %ld from the server", j->status);
        attempt_failed(r, j, cls, code, what);
    }
    dispatch(r);
}

static struct model_spend *model_slot(struct run *r, const char *model)
{
    size_t i;

    if (!model || strlen(model) >= SL_PRICE_MODEL_MAX)
        model = "";
    for (i = 0; i < r->n_models; i++)
        if (!strcmp(r->by_model[i].model, model))
            return &r->by_model[i];
    if (!r->by_model)
        r->by_model = calloc(MAX_MODELS + 1, sizeof(*r->by_model));
    if (!r->by_model)
        return NULL;
    if (r->n_models >= MAX_MODELS)
        return model_slot(r, "");
    snprintf(r->by_model[r->n_models].model, SL_PRICE_MODEL_MAX, "%s", model);
    return &r->by_model[r->n_models++];
}

/* A job came back with a response: its actual cost replaces its estimate. */
static void account_spend(struct run *r, struct sl_job *j)
{
    struct model_spend *m;

    if (!r->cfg->dry_run && !j->unwritten)
        r->last_success_unix = (double)time(NULL);
    if (!r->prices || r->cfg->dry_run)
        return;
    r->spent_nusd += j->cost_nusd;
    if ((m = model_slot(r, j->model))) {
        m->jobs++;
        m->nusd += j->cost_nusd;
        m->priced = m->priced || j->cost_known;
    }
}

/* --budget-usd: refuse to send j when spend plus what is in flight plus j's estimate would pass
 * the budget; stop the run (resumable), letting the requests in flight finish. */
static bool budget_reached(struct run *r, struct sl_job *j)
{
    char why[300];

    if (!sl_budget_exceeded(r->budget_nusd, r->spent_nusd, r->inflight_nusd, j->est_cost_nusd))
        return false;
    snprintf(why, sizeof(why),
             "budget reached: spent $%.4f, $%.4f estimated in flight, next job ~$%.4f, budget "
             "$%.4f; no new requests, finishing those in flight; rerun with --resume (and a "
             "larger --budget-usd) to continue",
             sl_price_from_nusd(r->spent_nusd), sl_price_from_nusd(r->inflight_nusd),
             sl_price_from_nusd(j->est_cost_nusd), r->cfg->budget_usd);
    begin_stop(r, 4, why);
    return true;
}

/* ---- metrics.prom ---- */

static void metrics_snapshot(const struct run *r, int exit_status, struct sl_metrics *m)
{
    int i;

    memset(m, 0, sizeof(*m));
    m->jobs_result = atomic_load(&r->committed_total[SL_OUT_RESULT]);
    m->jobs_error = atomic_load(&r->committed_total[SL_OUT_ERROR]);
    m->jobs_reject = atomic_load(&r->committed_total[SL_OUT_REJECT]);
    m->prompt_tokens = atomic_load(&r->w.prompt_tokens);
    m->completion_tokens = atomic_load(&r->w.completion_tokens);
    m->spend_known = r->prices && !r->cfg->dry_run;
    m->spend_usd = sl_price_from_nusd(r->spent_nusd);
    m->http_429 = r->http_429;
    m->retries = r->retries;
    m->requests = r->requests;
    /* Prometheus buckets le = 2^k ms, k = 0..19, folded from the log-linear histogram (whose
     * bucket edges fall on powers of two); its last bucket is the overflow. */
    m->n_buckets = 20;
    for (i = 0; i < 20; i++)
        m->le[i] = (double)(1u << i) / 1000.0;
    for (i = 0; i < SL_LAT_BUCKETS; i++) {
        uint64_t lo, hi;
        int k = 0;

        sl_lat_hist_bounds(i, &lo, &hi);
        while (k < 20 && (i == SL_LAT_BUCKETS - 1 || hi > (1u << k)))
            k++;
        m->counts[k] += r->lat.n[i];
    }
    m->latency_sum_s = (double)r->lat_sum_ms / 1000.0;
    m->last_success_unix = r->last_success_unix;
    m->exit_status = exit_status;
}

struct metrics_job {
    uv_work_t req;
    struct run *r;
    struct sl_metrics m;
    int rc;
};

static void metrics_work(uv_work_t *req)
{
    struct metrics_job *mj = req->data;

    mj->rc = sl_metrics_write(mj->r->cfg->out_dir, &mj->m);
}

static void metrics_done(uv_work_t *req, int status)
{
    struct metrics_job *mj = req->data;

    if (status == 0 && mj->rc)
        sl_log(SL_LOG_WARN, "cannot write metrics.prom: %s", sl_strerror(mj->rc));
    mj->r->metrics_busy = false;
    free(mj);
}

/* Every 10 s: the file is written on the thread pool (the loop does no file I/O). */
static void on_metrics_timer(uv_timer_t *t)
{
    struct run *r = t->data;
    struct metrics_job *mj;

    if (r->metrics_busy || !(mj = calloc(1, sizeof(*mj))))
        return;
    mj->r = r;
    mj->req.data = mj;
    metrics_snapshot(r, -1, &mj->m);
    if (uv_queue_work(&r->loop, &mj->req, metrics_work, metrics_done)) {
        free(mj);
        return;
    }
    r->metrics_busy = true;
}

static void on_sched_timer(uv_timer_t *t)
{
    dispatch(t->data);
}

/* Requests in flight at most: --concurrency, or by default 1024 while requests share HTTP/2
 * connections (a stream costs the server little) and 256 when each needs a connection of its own;
 * never more than half the window, so that prepared jobs keep the pipe full. In flight = rate x
 * latency: against nginx on loopback (~9 ms a request through the whole pipeline) 256 held sluice
 * to ~28k req/s and 1024 reached ~41k (bench/cpu_threads.sh --concurrency N); against a provider
 * 10,000 RPM at 5 s a completion needs ~830 in flight. The quota is the bucket's job, not this. */
static unsigned inflight_limit(const struct run *r)
{
    unsigned lim, half = r->cfg->window / 2 ? r->cfg->window / 2 : 1;

    if (r->cfg->concurrency)
        return r->cfg->concurrency;
    lim = sl_http_multiplexed(r->http) ? 1024 : 256;
    return lim < half ? lim : half;
}

static void dispatch(struct run *r)
{
    uint64_t now = now_ms(), wait = 0, next_due = 0;
    struct sl_job *j;

    if (r->stopping)
        return;
    /* Retries whose time has come go to the front, oldest first (FIFO fairness). */
    {
        struct joblist due = {0};

        while (r->retry.head && r->retry.head->due_ms <= now)
            list_push(&due, list_pop(&r->retry));
        while (due.head) {
            struct sl_job *x = due.head, *prev = NULL;

            while (x->next) {
                prev = x;
                x = x->next;
            }
            if (prev) {
                prev->next = NULL;
                due.tail = prev;
            } else {
                due.head = due.tail = NULL;
            }
            due.n--;
            list_push_front(&r->ready, x);
        }
    }
    while (r->ready.head && sl_http_inflight(r->http) < inflight_limit(r)) {
        j = r->ready.head;
        if (budget_reached(r, j))
            return;
        sl_bucket_take(&r->bucket, now, j->est_tokens, &wait);
        if (wait)
            break;
        if (r->qr && !sl_qredis_take(r->qr, now, j->est_tokens, &wait)) {
            /* The fleet's lease has no room: give the local reservation back and wait. */
            sl_bucket_refund(&r->bucket, now, 1, j->est_tokens);
            break;
        }
        list_pop(&r->ready);
        j->reserved_tokens = j->est_tokens;
        if (!j->attempts++)
            j->first_sent_ms = now;
        j->state = SL_JOB_SENDING;
        j->held_nusd = j->est_cost_nusd;
        r->inflight_nusd += j->held_nusd;
        r->requests++;
        if (!r->first_send_ms)
            r->first_send_ms = now;
        if (sl_http_start(r->http, j)) {
            sl_bucket_refund(&r->bucket, now, 1, j->reserved_tokens);
            j->reserved_tokens = 0;
            fail_job(r, j, "internal_error", "could not start the transfer");
        }
    }
    if (r->retry.head)
        next_due = r->retry.head->due_ms > now ? r->retry.head->due_ms - now : 1;
    if (wait && (!next_due || wait < next_due))
        next_due = wait;
    if (next_due)
        uv_timer_start(&r->sched_timer, on_sched_timer, next_due, 0);
}

/* ---- wake-ups from workers and the writer ---- */

static void on_wake(uv_async_t *a)
{
    struct run *r = a->data;
    struct sl_job *j = sl_jobq_take_all(&r->backq), *next;
    uint64_t now = j ? now_ms() : 0; /* read once per batch, not per job */
    int werr;

    for (; j; j = next) {
        next = j->next;
        j->next = NULL;
        release_hold(r, j);
        if (j->outcome == SL_JOB_OK && j->state != SL_JOB_READY)
            account_spend(r, j);
        switch (j->outcome) {
        case SL_JOB_OK:
            if (j->state == SL_JOB_READY) {
                if (r->stopping)
                    abandon(r, j);
                else
                    list_push(&r->ready, j);
            } else {
                sl_bucket_settle(&r->bucket, now, j->reserved_tokens,
                                 j->used_tokens ? j->used_tokens : j->reserved_tokens);
                drop_job(r, j, j->unwritten);
            }
            break;
        case SL_JOB_RETRY:
            sl_bucket_settle(&r->bucket, now, j->reserved_tokens, j->reserved_tokens);
            j->reserved_tokens = 0;
            j->outcome = SL_JOB_OK;
            attempt_failed(r, j, SL_ERRCLASS_RETRY, j->err_code, j->err_msg);
            break;
        case SL_JOB_SKIPPED:
            r->skipped++;
            drop_job(r, j, true);
            break;
        case SL_JOB_OTHER_SHARD:
            r->other_shards++;
            drop_job(r, j, true);
            break;
        case SL_JOB_REJECTED:
        case SL_JOB_FAILED:
        default:
            drop_job(r, j, j->unwritten);
            break;
        }
    }
    werr = atomic_load(&r->w.writer_error);
    if (werr && !r->stopping) {
        char why[300];

        snprintf(why, sizeof(why), "cannot write the output: %s; free space and rerun with --resume",
                 sl_strerror(werr));
        begin_stop(r, 4, why);
    }
    if (r->read_paused && atomic_load(&r->alive) < r->cfg->window / 2 + 1)
        read_next(r);
    dispatch(r);
    maybe_finish(r);
}

/* ---- progress, signals, end ---- */

static void fmt_dur(uint64_t s, char *out, size_t cap)
{
    if (s >= 3600)
        snprintf(out, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        snprintf(out, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else
        snprintf(out, cap, "%" PRIu64 "s", s);
}

static void fmt_count(double v, char *out, size_t cap)
{
    if (v >= 1e6)
        snprintf(out, cap, "%.1fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, cap, "%.0fk", v / 1e3);
    else
        snprintf(out, cap, "%.0f", v);
}

static void on_progress(uv_timer_t *t)
{
    struct run *r = t->data;
    uint64_t now = now_ms(), done = 0, dt, tokens;
    char eta[32] = "?", tpm[16], quota[24] = "";
    int k;

    for (k = 0; k < SL_OUT__COUNT; k++)
        done += atomic_load(&r->committed_total[k]);
    tokens = atomic_load(&r->w.prompt_tokens) + atomic_load(&r->w.completion_tokens);
    dt = now - r->last_progress_ms;
    if (r->bytes_total && r->bytes_read && r->bytes_read < r->bytes_total && now > r->start_ms) {
        double frac = (double)r->bytes_read / (double)r->bytes_total;
        fmt_dur((uint64_t)((double)(now - r->start_ms) / 1000.0 * (1 - frac) / frac), eta,
                sizeof(eta));
    } else if (r->read_done) {
        snprintf(eta, sizeof(eta), "finishing");
    }
    fmt_count(dt ? (double)(tokens - r->last_progress_tokens) * 60000.0 / (double)dt : 0, tpm,
              sizeof(tpm));
    if (r->bucket.tpm_eff > 0) {
        char q[16];

        fmt_count(r->bucket.tpm_eff, q, sizeof(q));
        snprintf(quota, sizeof(quota), " of %s", q);
    }
    fprintf(stderr,
            "\r\033[Ksluice: %" PRIu64 " done (%" PRIu64 " ok, %" PRIu64 " err, %" PRIu64
            " rej) | %.0f req/s | %s tok/min%s | in flight %u | 429s %" PRIu64
            " | retries %" PRIu64 " | ETA %s",
            done, atomic_load(&r->committed_total[SL_OUT_RESULT]),
            atomic_load(&r->committed_total[SL_OUT_ERROR]),
            atomic_load(&r->committed_total[SL_OUT_REJECT]),
            dt ? (double)(done - r->last_progress_done) * 1000.0 / (double)dt : 0.0, tpm, quota,
            sl_http_inflight(r->http), r->http_429, r->retries, eta);
    r->last_progress_done = done;
    r->last_progress_tokens = tokens;
    r->last_progress_ms = now;
}

/* ---- per-second series ---- */

static uint32_t delta32(uint64_t now, uint64_t *prev)
{
    uint64_t d = now - *prev;

    *prev = now;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

static uint64_t delta64(uint64_t now, uint64_t *prev)
{
    uint64_t d = now - *prev;

    *prev = now;
    return d;
}

/* Append one sample: the counters' change since the last one and the state now. Costs a histogram
 * scan (256 slots) and a queued write, once a second. */
static void series_sample(struct run *r)
{
    struct series_prev *p = &r->sprev;
    struct sl_series_sample x = {0};
    uv_timeval64_t tv;
    uint64_t now = now_ms();
    int rc;

    if (!r->series || r->series_failed)
        return;
    x.t_ms = now - r->start_ms;
    if (x.t_ms == p->t_ms && x.t_ms)
        return; /* nothing elapsed since the last sample */
    p->t_ms = x.t_ms;
    x.unix_ms = uv_gettimeofday(&tv) ? 0 : (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
    x.requests = delta32(r->requests, &p->requests);
    x.retries = delta32(r->retries, &p->retries);
    x.http_429 = delta32(r->http_429, &p->http_429);
    x.http_5xx = delta32(r->http_5xx, &p->http_5xx);
    x.net_errors = delta32(r->net_errors, &p->net_errors);
    x.results = delta32(atomic_load(&r->committed_total[SL_OUT_RESULT]),
                        &p->committed[SL_OUT_RESULT]);
    x.errors = delta32(atomic_load(&r->committed_total[SL_OUT_ERROR]), &p->committed[SL_OUT_ERROR]);
    x.rejects = delta32(atomic_load(&r->committed_total[SL_OUT_REJECT]),
                        &p->committed[SL_OUT_REJECT]);
    x.prompt_tokens = delta64(atomic_load(&r->w.prompt_tokens), &p->prompt);
    x.completion_tokens = delta64(atomic_load(&r->w.completion_tokens), &p->completion);
    x.inflight = r->http ? sl_http_inflight(r->http) : 0;
    x.ready = r->ready.n > UINT32_MAX ? UINT32_MAX : (uint32_t)r->ready.n;
    x.rpm_limit = r->bucket.rpm_eff;
    x.tpm_limit = r->bucket.tpm_eff;
    x.p50_ms = sl_lat_hist_quantile(&r->lat_sec, 0.5);
    x.p90_ms = sl_lat_hist_quantile(&r->lat_sec, 0.9);
    x.p99_ms = sl_lat_hist_quantile(&r->lat_sec, 0.99);
    x.max_ms = r->lat_sec.max_ms;
    sl_lat_hist_clear(&r->lat_sec);
    rc = sl_series_append(r->series, &x);
    if (rc) {
        /* The series is for reports: losing it must not stop the run. */
        sl_log(SL_LOG_WARN, "cannot write series.bin: %s; the report will lack a time series",
               sl_strerror(rc));
        /* A write may still be in flight: the series is closed after the loop. */
        uv_timer_stop(&r->series_timer);
        r->series_failed = true;
    }
}

static void on_series_timer(uv_timer_t *t)
{
    series_sample(t->data);
}

static void on_drain_timeout(uv_timer_t *t)
{
    struct run *r = t->data;

    sl_log(SL_LOG_WARN, "drain timeout: abandoning %u requests in flight (they will be redone "
                        "on --resume)",
           sl_http_inflight(r->http));
    /* Jobs still in curl are abandoned: destroy the transfers, drop the jobs. */
    sl_http_abort_all(r->http, abandon_cb, r);
    maybe_finish(r);
}

static void begin_stop(struct run *r, int status, const char *why)
{
    struct sl_job *j;

    if (why && !r->fatal) {
        snprintf(r->fatal_msg, sizeof(r->fatal_msg), "%s", why);
        sl_log(status == 4 ? SL_LOG_WARN : SL_LOG_ERROR, "%s", why);
    }
    if (!r->stopping || status > r->exit_status)
        r->exit_status = status;
    r->fatal = true;
    if (r->stopping)
        return;
    r->stopping = true;
    while ((j = list_pop(&r->ready)))
        abandon(r, j);
    while ((j = list_pop(&r->retry)))
        abandon(r, j);
    uv_timer_stop(&r->sched_timer);
    if (sl_http_inflight(r->http))
        uv_timer_start(&r->drain_timer, on_drain_timeout,
                       (uint64_t)(r->cfg->drain_timeout_s * 1000), 0);
    maybe_finish(r);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct run *r = s->data;

    if (signum == SIGHUP) {
        char why[256];

        if (!r->cfg->api_key_file) {
            sl_log(SL_LOG_WARN, "SIGHUP: no --api-key-file to re-read; key unchanged");
        } else if (sl_secret_reload(&r->key, r->cfg->api_key_file, r->cfg->auth_header, why,
                                    sizeof(why))) {
            sl_log(SL_LOG_ERROR, "SIGHUP: %s; key unchanged", why);
        } else {
            r->h_auth.data = (char *)sl_secret_header(&r->key);
            sl_log(SL_LOG_INFO, "SIGHUP: API key re-read from --api-key-file");
        }
        return;
    }
    if (++r->signals > 1) {
        /* Second signal: leave at once. Committed work is safe; the rest is redone on resume. */
        sl_secret_wipe(&r->key);
        fprintf(stderr, "\nsluice: second signal, exiting now (resumable)\n");
        _exit(4);
    }
    begin_stop(r, 4, signum == SIGINT ? "interrupted (SIGINT): draining requests in flight"
                                      : "terminated (SIGTERM): draining requests in flight");
}

static void close_all_handles(struct run *r)
{
    uv_close((uv_handle_t *)&r->wake, NULL);
    uv_close((uv_handle_t *)&r->flush, NULL);
    uv_close((uv_handle_t *)&r->turn_end, NULL);
    uv_close((uv_handle_t *)&r->late, NULL);
    uv_close((uv_handle_t *)&r->sched_timer, NULL);
    uv_close((uv_handle_t *)&r->progress_timer, NULL);
    uv_close((uv_handle_t *)&r->drain_timer, NULL);
    uv_close((uv_handle_t *)&r->metrics_timer, NULL);
    uv_close((uv_handle_t *)&r->series_timer, NULL);
    uv_close((uv_handle_t *)&r->sig_int, NULL);
    uv_close((uv_handle_t *)&r->sig_term, NULL);
    uv_close((uv_handle_t *)&r->sig_hup, NULL);
    sl_http_destroy(r->http);
    r->http = NULL;
    sl_qredis_close(r->qr);
}

static void maybe_finish(struct run *r)
{
    if (r->finished)
        return;
    if (r->stopping) {
        /* After a disk error the writer drops what it holds, so alive cannot reach 0. */
        bool writer_dead = atomic_load(&r->w.writer_error) != 0;

        if (r->read_pending || sl_http_inflight(r->http) || (!writer_dead && atomic_load(&r->alive)))
            return;
    } else if (!r->read_done || atomic_load(&r->alive)) {
        return;
    }
    r->finished = true;
    uv_timer_stop(&r->series_timer);
    series_sample(r); /* the last, partial second */
    uv_timer_stop(&r->progress_timer);
    uv_timer_stop(&r->drain_timer);
    uv_timer_stop(&r->metrics_timer);
    if (r->progress_on)
        fprintf(stderr, "\n");
    close_all_handles(r);
}

/* ---- summary ---- */

static json_t *counts_obj(const _Atomic uint64_t *v, size_t n, const char *(*name)(size_t))
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < n; i++) {
        uint64_t x = atomic_load(&v[i]);

        if (x)
            json_object_set_new(o, name(i), json_integer((json_int_t)x));
    }
    return o;
}

static const char *pii_name(size_t i)
{
    return sl_pii_type_name((enum sl_pii_type)i);
}

static const char *san_name(size_t i)
{
    return sl_san_class_name((enum sl_san_class)i);
}


/* Percentiles are upper bounds of the histogram bucket (<= 6.25% above the truth); "histogram"
 * lists the non-empty buckets as [lo_ms, hi_ms, count] for reports. */
static json_t *latency_obj(const struct sl_lat_hist *h, uint64_t p50, uint64_t p90, uint64_t p99)
{
    json_t *hist = json_array();
    uint64_t lo, hi;
    int i;

    for (i = 0; i < SL_LAT_BUCKETS; i++) {
        if (!h->n[i])
            continue;
        sl_lat_hist_bounds(i, &lo, &hi);
        json_array_append_new(hist, json_pack("[I,I,I]", (json_int_t)lo, (json_int_t)hi,
                                              (json_int_t)h->n[i]));
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "p50_le", (json_int_t)p50, "p90_le",
                     (json_int_t)p90, "p99_le", (json_int_t)p99, "max", (json_int_t)h->max_ms,
                     "count", (json_int_t)h->count, "histogram", hist);
}

static const char *anon_mode_name(enum sl_anon_mode m)
{
    static const char *const n[] = {"off", "redact", "mask", "hash", "tokenize"};

    return (size_t)m < sizeof(n) / sizeof(n[0]) ? n[m] : "unknown";
}

/* The non-secret options, for reports: the endpoint's host[:port] only (never userinfo, path or
 * query), input base names, no key, no key file. */
static json_t *settings_obj(const struct sl_config *c)
{
    json_t *o = json_object(), *in = json_array();
    const char *h = c->endpoint ? strstr(c->endpoint, "://") : NULL, *e, *at;
    size_t i;

    h = h ? h + 3 : (c->endpoint ? c->endpoint : "");
    e = h + strcspn(h, "/?#");
    at = memchr(h, '@', (size_t)(e - h));
    if (at)
        h = at + 1;
    json_object_set_new(o, "endpoint_host", json_stringn(h, (size_t)(e - h)));
    json_object_set_new(o, "rpm", json_integer((json_int_t)c->rpm));
    json_object_set_new(o, "tpm", json_integer((json_int_t)c->tpm));
    if (c->concurrency)
        json_object_set_new(o, "concurrency", json_integer(c->concurrency));
    else
        json_object_set_new(o, "concurrency", json_string("auto"));
    json_object_set_new(o, "max_attempts", json_integer(c->max_attempts));
    json_object_set_new(o, "anonymize", json_string(anon_mode_name(c->anon_mode)));
    json_object_set_new(o, "output_format",
                        json_string(c->out_msgpack && !c->dry_run ? "msgpack" : "jsonl"));
    for (i = 0; i < c->n_inputs; i++) {
        const char *b = strrchr(c->inputs[i], '/');

        json_array_append_new(in, json_string(b && b[1] ? b + 1 : c->inputs[i]));
    }
    json_object_set_new(o, "inputs", in);
    return o;
}

/* Spend and estimates into the summary; null where unknown (no --prices). */
static void cost_json(struct run *r, json_t *s)
{
    json_t *bm = json_object();
    size_t i;
    uint64_t unknown = atomic_load(&r->w.spend_unknown);

    json_object_set_new(s, "prices_file", r->cfg->prices_file ? json_string(r->cfg->prices_file)
                                                                : json_null());
    json_object_set_new(s, "estimated_tokens",
                        json_integer((json_int_t)atomic_load(&r->w.est_tokens)));
    json_object_set_new(s, "estimated_cost_usd",
                        r->prices ? json_real(sl_price_from_nusd(atomic_load(&r->w.est_cost_nusd)))
                                  : json_null());
    json_object_set_new(s, "estimated_cost_unknown_jobs",
                        json_integer((json_int_t)atomic_load(&r->w.est_cost_unknown)));
    json_object_set_new(s, "spend_usd",
                        r->prices && !r->cfg->dry_run ? json_real(sl_price_from_nusd(r->spent_nusd))
                                                      : json_null());
    json_object_set_new(s, "spend_unknown_jobs", json_integer((json_int_t)unknown));
    for (i = 0; i < r->n_models; i++)
        json_object_set_new(bm, r->by_model[i].model[0] ? r->by_model[i].model : "(other)",
                            json_pack("{s:I,s:o}", "jobs", (json_int_t)r->by_model[i].jobs, "usd",
                                      r->by_model[i].priced
                                          ? json_real(sl_price_from_nusd(r->by_model[i].nusd))
                                          : json_null()));
    json_object_set_new(s, "spend_by_model", bm);
    json_object_set_new(s, "budget_usd", r->cfg->budget_usd > 0 ? json_real(r->cfg->budget_usd)
                                                                 : json_null());
}

static void print_cost(struct run *r)
{
    uint64_t est = atomic_load(&r->w.est_tokens), est_unknown = atomic_load(&r->w.est_cost_unknown);
    uint64_t unknown = atomic_load(&r->w.spend_unknown);

    if (r->cfg->dry_run) {
        if (r->prices)
            fprintf(stderr,
                    "sluice: dry run: requests in %s/requests.jsonl.zst; estimated %" PRIu64
                    " tokens, estimated cost $%.4f (upper bound: max output tokens assumed)%s\n",
                    r->cfg->out_dir, est, sl_price_from_nusd(atomic_load(&r->w.est_cost_nusd)),
                    est_unknown ? "; some models are not in the price table (see summary.json)"
                                : "");
        else
            fprintf(stderr,
                    "sluice: dry run: requests in %s/requests.jsonl.zst; estimated %" PRIu64
                    " tokens, cost unknown (give --prices FILE)\n",
                    r->cfg->out_dir, est);
        if (r->prices && est_unknown)
            fprintf(stderr, "sluice: %" PRIu64 " jobs use a model missing from --prices: cost "
                            "unknown for them\n", est_unknown);
        return;
    }
    if (!r->prices) {
        fprintf(stderr, "sluice: spend unknown (no --prices FILE)\n");
        return;
    }
    fprintf(stderr, "sluice: spend $%.4f%s\n", sl_price_from_nusd(r->spent_nusd),
            unknown ? " plus jobs whose model is missing from --prices (unknown)" : "");
    if (unknown)
        fprintf(stderr, "sluice: %" PRIu64 " jobs use a model missing from --prices: their spend "
                        "is unknown\n", unknown);
}

/* Duplicate detection's counters (idset.h): how often the filter sent an id to its chain walk. */
static json_t *dedup_obj(const struct run *r)
{
    struct sl_idset_stats st;

    sl_idset_stats(&r->ids, &st);
    return json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "memory_mb", (int)r->cfg->dedup_memory_mb,
                     "ids", (json_int_t)st.ids, "suspects", (json_int_t)st.suspects, "duplicates",
                     (json_int_t)st.duplicates, "chain_steps", (json_int_t)st.chain_steps,
                     "log_reads", (json_int_t)st.log_reads);
}

static int write_summary(struct run *r, uint64_t totals[SL_OUT__COUNT], double wall_s)
{
    json_t *s = json_object();
    char path[4096], tmp[4200];
    uint64_t p50, p90, p99, done = 0;
    int k, rc;

    for (k = 0; k < SL_OUT__COUNT; k++)
        done += totals[k];
    p50 = sl_lat_hist_quantile(&r->lat, 0.5);
    p90 = sl_lat_hist_quantile(&r->lat, 0.9);
    p99 = sl_lat_hist_quantile(&r->lat, 0.99);
    json_object_set_new(s, "version", json_string(sl_version()));
    json_object_set_new(s, "status", json_string(r->exit_status == 4   ? "interrupted"
                                                 : r->exit_status == 0 ? "complete"
                                                 : r->exit_status == 3 ? "complete_with_failures"
                                                                       : "failed"));
    json_object_set_new(s, "exit_status", json_integer(r->exit_status));
    if (r->fatal_msg[0])
        json_object_set_new(s, "stop_reason", json_string(r->fatal_msg));
    json_object_set_new(s, "jobs_read_this_run", json_integer((json_int_t)r->seq));
    json_object_set_new(s, "jobs_done_before", json_integer((json_int_t)r->skipped));
    if (r->cfg->shard_count > 1)
        json_object_set_new(s, "jobs_other_shards", json_integer((json_int_t)r->other_shards));
    json_object_set_new(s, "jobs_abandoned", json_integer((json_int_t)r->abandoned));
    json_object_set_new(s, "results", json_integer((json_int_t)totals[SL_OUT_RESULT]));
    json_object_set_new(s, "errors", json_integer((json_int_t)totals[SL_OUT_ERROR]));
    json_object_set_new(s, "rejects", json_integer((json_int_t)totals[SL_OUT_REJECT]));
    json_object_set_new(s, "jobs_accounted", json_integer((json_int_t)done));
    json_object_set_new(s, "requests", json_integer((json_int_t)r->requests));
    json_object_set_new(s, "retries", json_integer((json_int_t)r->retries));
    json_object_set_new(s, "http_429", json_integer((json_int_t)r->http_429));
    json_object_set_new(s, "http_5xx", json_integer((json_int_t)r->http_5xx));
    json_object_set_new(s, "network_errors", json_integer((json_int_t)r->net_errors));
    json_object_set_new(s, "wall_seconds", json_real(wall_s));
    json_object_set_new(s, "requests_per_second",
                        json_real(wall_s > 0 ? (double)r->requests / wall_s : 0));
    json_object_set_new(s, "latency_ms", latency_obj(&r->lat, p50, p90, p99));
    json_object_set_new(
        s, "tokens",
        json_pack("{s:I,s:I,s:I}", "prompt", (json_int_t)atomic_load(&r->w.prompt_tokens),
                  "completion", (json_int_t)atomic_load(&r->w.completion_tokens), "estimated",
                  (json_int_t)atomic_load(&r->w.est_tokens)));
    {
        json_t *rj = json_object();
        size_t i;

        for (i = 0; i < r->w.n_reasons; i++)
            json_object_set_new(rj, r->w.reason_name[i], json_integer((json_int_t)r->w.reason_count[i]));
        json_object_set_new(s, "rejects_by_reason", rj);
    }
    json_object_set_new(s, "redactions", counts_obj(r->w.redactions, SL_PII__COUNT, pii_name));
    json_object_set_new(s, "sanitized", counts_obj(r->w.sanitized, SL_SAN__COUNT, san_name));
    json_object_set_new(s, "injection_flagged",
                        json_integer((json_int_t)atomic_load(&r->w.injection_flagged)));
    json_object_set_new(
        s, "quota",
        json_pack("{s:I,s:I,s:f,s:f}", "rpm_configured", (json_int_t)r->cfg->rpm,
                  "tpm_configured", (json_int_t)r->cfg->tpm, "rpm_in_force", r->bucket.rpm_eff,
                  "tpm_in_force", r->bucket.tpm_eff));
    cost_json(r, s);
    if (r->qr) {
        struct sl_qredis_stats qs;

        sl_qredis_stats(r->qr, now_ms(), &qs);
        json_object_set_new(s, "quota_redis",
                            json_pack("{s:f,s:I,s:I}", "degraded_seconds",
                                      (double)qs.degraded_ms / 1000.0, "reconnects",
                                      (json_int_t)qs.reconnects, "lease_calls",
                                      (json_int_t)qs.leases));
    }
    json_object_set_new(s, "settings", settings_obj(r->cfg));
    if (!r->cfg->no_dedup)
        json_object_set_new(s, "dedup", dedup_obj(r));
    snprintf(path, sizeof(path), "%s/summary.json", r->cfg->out_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    rc = json_dump_file(s, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!rc && rename(tmp, path))
        rc = -1;
    if (!r->cfg->quiet) {
        fprintf(stderr,
                "sluice: %s: %" PRIu64 " jobs: %" PRIu64 " results, %" PRIu64 " errors, %" PRIu64
                " rejects (this run read %" PRIu64 ", %" PRIu64 " already done)\n"
                "sluice: %" PRIu64 " requests in %.2f s (%.0f req/s), %" PRIu64 " retries, %" PRIu64
                " 429s; tokens %" PRIu64 " prompt + %" PRIu64 " completion\n"
                "sluice: outputs in %s (summary.json, results/errors/rejects .%s.zst, audit "
                ".jsonl.zst)\n",
                r->exit_status == 4 ? "interrupted" : "done", done, totals[SL_OUT_RESULT],
                totals[SL_OUT_ERROR], totals[SL_OUT_REJECT], r->seq, r->skipped, r->requests,
                wall_s, wall_s > 0 ? (double)r->requests / wall_s : 0, r->retries, r->http_429,
                (uint64_t)atomic_load(&r->w.prompt_tokens),
                (uint64_t)atomic_load(&r->w.completion_tokens), r->cfg->out_dir,
                r->cfg->out_msgpack && !r->cfg->dry_run ? "msgpack" : "jsonl");
        print_cost(r);
    }
    json_decref(s);
    return rc ? SL_EIO : 0;
}

/* ---- setup and teardown ---- */

/* A whole small file (policy, key, prices, template), never NULL on success (NUL-terminated). */
static int load_file(const char *path, char **out, size_t *len, size_t max)
{
    struct sl_buf b;
    int rc;

    sl_buf_init(&b, max);
    rc = sl_fs_read_file(path, max, &b);
    if (!rc && !b.p)
        rc = sl_buf_append(&b, "", 0);
    if (rc) {
        sl_buf_wipe(&b); /* it may hold part of a key */
        return rc;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

static int setup_stages(struct run *r)
{
    struct sl_config *c = r->cfg;
    struct sl_anon_opts ao = {0};
    struct sl_err err;
    unsigned char hkey[256];
    size_t hlen = 0;
    int rc;

    sl_err_clear(&err);
    if (c->policy_file) {
        char *txt = NULL;
        size_t len = 0;

        rc = load_file(c->policy_file, &txt, &len, 1 << 20);
        if (rc) {
            sl_log(SL_LOG_ERROR, "cannot read --policy %s: %s", c->policy_file, sl_strerror(rc));
            return SL_ECONFIG;
        }
        rc = sl_policy_load(txt, len, &r->policy, &err);
        free(txt);
        if (rc) {
            sl_log(SL_LOG_ERROR, "--policy %s: %s%s%s", c->policy_file, err.field[0] ? err.field : "",
                   err.field[0] ? ": " : "", err.reason);
            return SL_ECONFIG;
        }
    } else if ((rc = sl_policy_default(&r->policy))) {
        return rc;
    }
    if (c->anon_mode == SL_ANON_HASH) {
        char *txt = NULL;
        size_t len = 0;
        struct stat st;

        if (!c->hash_key_file) {
            sl_log(SL_LOG_ERROR, "--anonymize hash needs --hash-key-file");
            return SL_ECONFIG;
        }
        if (stat(c->hash_key_file, &st) || (st.st_mode & 077)) {
            sl_log(SL_LOG_ERROR, "--hash-key-file must exist and be readable by its owner only");
            return SL_ECONFIG;
        }
        if ((rc = load_file(c->hash_key_file, &txt, &len, sizeof(hkey)))) {
            sl_log(SL_LOG_ERROR, "cannot read --hash-key-file: %s", sl_strerror(rc));
            return SL_ECONFIG;
        }
        memcpy(hkey, txt, len);
        hlen = len;
        explicit_bzero(txt, len);
        free(txt);
    }
    if (c->anon_mode != SL_ANON_OFF) {
        ao.mode = c->anon_mode;
        ao.types = c->anon_types;
        ao.hmac_key = hlen ? hkey : NULL;
        ao.hmac_key_len = hlen;
        rc = sl_anon_create(&ao, &r->anon);
        explicit_bzero(hkey, sizeof(hkey));
        if (rc) {
            sl_log(SL_LOG_ERROR, "cannot build the anonymizer: %s", sl_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static int setup_http(struct run *r)
{
    struct sl_config *c = r->cfg;
    struct sl_http_opts ho = {0};
    char why[300];
    int rc;

    rc = sl_http_check_endpoint(c->endpoint, c->allow_http, why, sizeof(why));
    if (rc) {
        sl_log(SL_LOG_ERROR, "%s", why);
        return SL_ECONFIG;
    }
    snprintf(r->ua, sizeof(r->ua), "User-Agent: sluice/%s", sl_version());
    r->h_auth.data = (char *)sl_secret_header(&r->key);
    r->h_auth.next = &r->h_ct;
    r->h_ct.data = "Content-Type: application/json";
    r->h_ct.next = &r->h_ua;
    r->h_ua.data = r->ua;
    r->h_ua.next = NULL;
    ho.endpoint = c->endpoint;
    ho.cacert = c->cacert;
    ho.headers = &r->h_auth;
    ho.allow_http = c->allow_http;
    ho.timeout_ms = (long)(c->timeout_s * 1000);
    ho.connect_timeout_ms = ho.timeout_ms < 10000 ? ho.timeout_ms : 10000;
    ho.max_response = 64u << 20;
    /* Streams per connection: the server's MAX_CONCURRENT_STREAMS, up to 256 (was 100, curl's
     * default). 256 requests in flight then fit one connection where the server allows it,
     * instead of three (100 + 100 + 56): every flush, read and wake-up carries ~3 times the
     * requests, on both sides (the default 1024 in flight: four connections, not eleven).
     * Measured against nginx (256 streams), 20k jobs, 4 alternated runs: nginx CPU per request
     * -23%, sluice context switches -45%, sluice CPU per job -9% (medians). */
    ho.max_streams = 256;
    ho.h2 = c->http_engine == SL_ENGINE_H2;
    return sl_http_create(&r->loop, &ho, on_http_done, r, &r->http);
}

/* --prices; and refuse to mix a dry run and a real run in one directory (their journals would
 * claim each other's jobs on --resume). */
static int setup_cost(struct run *r)
{
    struct sl_config *c = r->cfg;
    struct sl_err err;
    char path[4200], *txt = NULL;
    size_t len = 0;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", c->out_dir,
             c->dry_run ? "results.jsonl.zst" : "requests.jsonl.zst");
    if (c->resume && access(path, F_OK) == 0) {
        sl_log(SL_LOG_ERROR, "%s holds a %s run; a %s run cannot resume it: use another directory",
               c->out_dir, c->dry_run ? "real" : "dry", c->dry_run ? "dry" : "real");
        return SL_ECONFIG;
    }
    if (!c->prices_file)
        return 0;
    rc = load_file(c->prices_file, &txt, &len, 4 << 20);
    if (rc) {
        sl_log(SL_LOG_ERROR, "cannot read --prices %s: %s", c->prices_file, sl_strerror(rc));
        return SL_ECONFIG;
    }
    sl_err_clear(&err);
    rc = sl_prices_parse(txt, len, &r->prices, &err);
    free(txt);
    if (rc) {
        sl_log(SL_LOG_ERROR, "--prices %s: %s", c->prices_file, err.reason);
        return SL_ECONFIG;
    }
    r->budget_nusd = sl_price_to_nusd(c->budget_usd);
    return 0;
}

static int setup_template(struct run *r)
{
    const char *path = r->cfg->template_file;
    struct sl_err err;
    json_t *t = NULL;
    size_t len = 0;
    int rc;

    if (!path)
        return 0;
    rc = load_file(path, &r->template_text, &len, 1 << 20);
    if (rc) {
        sl_log(SL_LOG_ERROR, "cannot read --template %s: %s", path, sl_strerror(rc));
        return SL_ECONFIG;
    }
    sl_err_clear(&err);
    rc = sl_template_parse(r->template_text, len, &t, &err);
    json_decref(t);
    if (rc) {
        sl_log(SL_LOG_ERROR, "--template %s: %s%s%s", path, err.field[0] ? err.field : "",
               err.field[0] ? ": " : "", err.reason);
        return SL_ECONFIG;
    }
    r->w.template_text = r->template_text;
    r->w.template_len = len;
    return 0;
}

static int start_workers(struct run *r)
{
    unsigned i;

    r->threads = calloc(r->nthreads, sizeof(*r->threads));
    if (!r->threads)
        return -ENOMEM;
    for (i = 0; i < r->nthreads; i++) {
        char name[16];

        if (pthread_create(&r->threads[i], NULL, worker_main, r))
            return -EAGAIN;
        /* Named for top -H, perf and bench/cpu_threads.sh; a failure here changes nothing. */
        snprintf(name, sizeof(name), "sl-work%u", i % 1000u);
        (void)pthread_setname_np(r->threads[i], name);
    }
    return 0;
}

static void stop_workers(struct run *r)
{
    struct sl_job *j, *next;
    unsigned i;

    /* Jobs not yet taken by a worker are dropped: the run is over. */
    flush_to_workers(r);
    for (j = sl_jobq_take_all(&r->workq); j; j = next) {
        next = j->next;
        sl_job_free(j);
    }
    sl_jobq_close(&r->workq);
    for (i = 0; r->threads && i < r->nthreads; i++)
        pthread_join(r->threads[i], NULL);
    free(r->threads);
    for (j = sl_jobq_take_all(&r->backq); j; j = next) {
        next = j->next;
        sl_job_free(j);
    }
}

static uint64_t input_bytes(const struct sl_config *c)
{
    uint64_t total = 0;
    size_t i;

    for (i = 0; i < c->n_inputs; i++) {
        struct stat st;

        if (!strcmp(c->inputs[i], "-") || stat(c->inputs[i], &st) || !S_ISREG(st.st_mode))
            return 0;
        total += (uint64_t)st.st_size;
    }
    return total;
}

static void on_qredis_credit(void *ud)
{
    struct run *r = ud;

    if (!r->finished)
        dispatch(r);
}

static int start_qredis(struct run *r)
{
    struct sl_qredis_cfg qc = {0};

    if (!r->cfg->quota_redis)
        return 0;
    qc.url = r->cfg->quota_redis;
    qc.rpm = r->cfg->rpm;
    qc.tpm = r->cfg->tpm;
    qc.burst_ms = r->cfg->burst_ms;
    qc.processes = r->cfg->quota_processes;
    qc.share = r->cfg->quota_share;
    qc.on_credit = on_qredis_credit;
    qc.ud = r;
    if (sl_qredis_create(&r->loop, &qc, &r->qr)) {
        sl_log(SL_LOG_ERROR, "--quota-redis: cannot set up the shared quota");
        return -1;
    }
    return 0;
}

/* The series is on unless SLUICE_NO_SERIES=1 (for measuring its cost); failing to open it only
 * warns. The timer is unref'd: it never keeps the loop alive. */
static void start_series(struct run *r)
{
    const char *off = getenv("SLUICE_NO_SERIES");
    int rc;

    if (off && !strcmp(off, "1"))
        return;
    rc = sl_series_open(r->cfg->out_dir, r->cfg->resume, &r->loop, &r->series);
    if (rc) {
        sl_log(SL_LOG_WARN, "cannot open series.bin: %s; the report will lack a time series",
               sl_strerror(rc));
        return;
    }
    uv_timer_start(&r->series_timer, on_series_timer, 1000, 1000);
    uv_unref((uv_handle_t *)&r->series_timer);
}

/* The duplicate-id set (idset.h): --dedup-memory split evenly between the filter and the chain
 * heads, the scratch file in the output directory. */
static int setup_ids(struct run *r)
{
    struct sl_idset_opts io = {0};
    int rc;

    io.seed = r->rnd;
    io.heads_bytes = (size_t)r->cfg->dedup_memory_mb << 19;
    io.filter_bytes = ((size_t)r->cfg->dedup_memory_mb << 20) - io.heads_bytes;
    io.dir = r->cfg->out_dir;
    rc = sl_idset_open(&r->ids, &io);
    if (rc)
        sl_log(SL_LOG_ERROR, "cannot set up duplicate detection in %s: %s", r->cfg->out_dir,
               sl_strerror(rc));
    return rc;
}

int sl_run(struct sl_config *cfg)
{
    struct run *r = calloc(1, sizeof(*r));
    struct sl_writer_opts wo = {0};
    struct sl_bucket_cfg bc = {0};
    struct sl_err err;
    uint64_t totals[SL_OUT__COUNT] = {0};
    int rc, status = 1;

    if (!r)
        return 1;
    {
        char why[200];

        if (!sl_libs_check_runtime(why, sizeof(why))) {
            sl_log(SL_LOG_ERROR, "%s", why);
            free(r);
            return 2;
        }
    }
    sl_err_clear(&err);
    r->cfg = cfg;
    r->fd = -1;
    r->start_ms = now_ms();
    r->tty = isatty(2);
    if (getrandom(&r->rnd, sizeof(r->rnd), 0) != sizeof(r->rnd) || !r->rnd)
        r->rnd = (uint64_t)time(NULL) | 1;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    if (uv_loop_init(&r->loop)) {
        free(r);
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        sl_log(SL_LOG_ERROR, "libcurl initialisation failed");
        goto out_loop;
    }
    status = 2;
    /* The key first: its copy in the environment is wiped as soon as possible. */
    {
        char why[300];

        /* A dry run needs no key. */
        if (!cfg->dry_run && sl_secret_load(&r->key, cfg->api_key_file, cfg->api_key_env,
                                            cfg->auth_header, why, sizeof(why))) {
            sl_log(SL_LOG_ERROR, "%s", why);
            goto out_stages;
        }
    }
    if (setup_stages(r) || setup_cost(r) || setup_template(r))
        goto out_stages;
    if (!cfg->dry_run && setup_http(r))
        goto out_stages;
    wo.dir = cfg->out_dir;
    wo.resume = cfg->resume;
    wo.zstd_level = cfg->zstd_level;
    wo.fsync = !cfg->no_fsync;
    wo.group_commit = true; /* jobs wait one commit, not 1024 arrivals (bench/README.md) */
    wo.group_gap_ms = 10;   /* ... and commits come at most every 10 ms under load */
    wo.on_commit = on_commit;
    wo.ud = r;
    wo.results_name = cfg->dry_run ? "requests.jsonl.zst" : NULL;
    wo.msgpack = cfg->out_msgpack && !cfg->dry_run; /* a dry run's outputs are JSONL */
    rc = sl_writer_open(&wo, &r->writer, &err);
    if (rc) {
        sl_log(SL_LOG_ERROR, "%s", err.reason[0] ? err.reason : sl_strerror(rc));
        goto out_http;
    }
    status = 1;
    if (sl_writer_audit_key(r->writer, r->w.audit_key))
        goto out_writer;
    if (setup_ids(r))
        goto out_writer;
    r->w.cfg = cfg;
    r->w.policy = r->policy;
    r->w.anon = r->anon;
    r->w.writer = r->writer;
    r->w.ids = &r->ids;
    r->w.prices = r->prices;
    pthread_mutex_init(&r->w.reasons_mu, NULL);
    if (sl_work_admit_init(&r->w, deliver, r))
        goto out_ids;
    r->chunk = malloc(CHUNK);
    if (!r->chunk || sl_jobq_init(&r->workq) || sl_jobq_init(&r->backq))
        goto out_ids;
    bc.rpm = cfg->rpm;
    bc.tpm = cfg->tpm;
    bc.burst_ms = cfg->burst_ms;
    sl_bucket_init(&r->bucket, &bc, now_ms());
    if (start_qredis(r))
        goto out_ids;
    uv_async_init(&r->loop, &r->wake, on_wake);
    r->wake.data = r;
    uv_prepare_init(&r->loop, &r->flush);
    r->flush.data = r;
    uv_prepare_start(&r->flush, on_flush);
    uv_unref((uv_handle_t *)&r->flush); /* does not keep the loop running by itself */
    uv_check_init(&r->loop, &r->turn_end);
    r->turn_end.data = r;
    uv_check_start(&r->turn_end, on_turn_end);
    uv_unref((uv_handle_t *)&r->turn_end);
    uv_idle_init(&r->loop, &r->late);
    r->late.data = r;
    uv_timer_init(&r->loop, &r->sched_timer);
    r->sched_timer.data = r;
    uv_timer_init(&r->loop, &r->progress_timer);
    r->progress_timer.data = r;
    uv_timer_init(&r->loop, &r->drain_timer);
    r->drain_timer.data = r;
    uv_timer_init(&r->loop, &r->metrics_timer);
    r->metrics_timer.data = r;
    uv_timer_start(&r->metrics_timer, on_metrics_timer, 10000, 10000);
    uv_timer_init(&r->loop, &r->series_timer);
    r->series_timer.data = r;
    start_series(r);
    uv_signal_init(&r->loop, &r->sig_int);
    uv_signal_init(&r->loop, &r->sig_term);
    uv_signal_init(&r->loop, &r->sig_hup);
    r->sig_int.data = r->sig_term.data = r->sig_hup.data = r;
    uv_signal_start(&r->sig_int, on_signal, SIGINT);
    uv_signal_start(&r->sig_term, on_signal, SIGTERM);
    uv_signal_start(&r->sig_hup, on_signal, SIGHUP);
    r->nthreads = cfg->workers;
    if (start_workers(r)) {
        sl_log(SL_LOG_ERROR, "cannot start worker threads");
        begin_stop(r, 1, NULL);
    }
    r->progress_on = (cfg->progress_set ? cfg->progress : r->tty) && !cfg->quiet;
    if (r->progress_on)
        uv_timer_start(&r->progress_timer, on_progress, 1000, 1000);
    r->bytes_total = input_bytes(cfg);
    r->last_progress_ms = now_ms();
    if (!r->stopping && open_input(r) == 0)
        read_next(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);

    stop_workers(r);
    if (sl_series_close(r->series) && !r->series_failed)
        sl_log(SL_LOG_WARN, "cannot write series.bin; the report will lack a time series");
    r->series = NULL;
    rc = sl_writer_close(r->writer);
    if (rc && r->exit_status != 4) {
        sl_log(SL_LOG_ERROR, "cannot write the output: %s; free space and rerun with --resume",
               sl_strerror(rc));
        r->exit_status = 4;
    }
    sl_writer_counts(r->writer, totals);
    if (!r->stopping)
        r->exit_status = (totals[SL_OUT_ERROR] || totals[SL_OUT_REJECT]) ? 3 : 0;
    if (write_summary(r, totals, (double)(now_ms() - r->start_ms) / 1000.0))
        sl_log(SL_LOG_ERROR, "cannot write summary.json");
    {
        struct sl_metrics m;

        metrics_snapshot(r, r->exit_status, &m);
        if ((rc = sl_metrics_write(cfg->out_dir, &m)))
            sl_log(SL_LOG_ERROR, "cannot write metrics.prom: %s", sl_strerror(rc));
    }
    status = r->exit_status;
    close_input(r);
    sl_jobq_destroy(&r->workq);
    sl_jobq_destroy(&r->backq);
out_ids:
    sl_work_admit_free(&r->w);
    while (r->spare) {
        struct sl_job *j = r->spare;

        r->spare = j->next;
        sl_job_free(j);
    }
    while (r->bare) {
        struct sl_job *j = r->bare;

        r->bare = j->next;
        sl_job_free(j);
    }
    free(r->chunk);
    sl_idset_destroy(&r->ids);
out_writer:
    sl_writer_destroy(r->writer);
out_http:
    if (r->http) {
        sl_http_destroy(r->http);
        uv_run(&r->loop, UV_RUN_DEFAULT);
    }
    sl_secret_wipe(&r->key);
out_stages:
    sl_prices_destroy(r->prices);
    free(r->template_text);
    free(r->by_model);
    sl_secret_wipe(&r->key);
    sl_anon_destroy(r->anon);
    sl_policy_destroy(r->policy);
    curl_global_cleanup();
out_loop:
    uv_run(&r->loop, UV_RUN_DEFAULT);
    sl_qredis_destroy(r->qr);
    uv_loop_close(&r->loop);
    explicit_bzero(r->w.audit_key, sizeof(r->w.audit_key));
    free(r);
    return status;
}
