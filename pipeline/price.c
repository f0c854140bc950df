/* price.c: price table (parsed with jansson) and cost arithmetic. Pure; any thread.
 *
 * The table is a sorted array searched with bsearch: a few dozen models, looked up once per job.
 * Money is summed in integer nano-USD so that worker threads can add with atomics and the total
 * does not depend on the order of the additions (doubles would).
 */
#include "price.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sl_prices {
    struct sl_price *v;
    size_t n;
};

static int cmp_price(const void *a, const void *b)
{
    return strcmp(((const struct sl_price *)a)->model, ((const struct sl_price *)b)->model);
}

static int get_price(json_t *m, const char *key, const char *model, double *out, struct sl_err *err)
{
    json_t *v = json_object_get(m, key);

    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0 ||
        json_number_value(v) > 1e6)
        return sl_err_set(err, SL_ECONFIG, "/models", "model %.100s: \"%s\" must be a number of USD "
                          "per million tokens, 0 to 1000000", model, key);
    *out = json_number_value(v);
    return 0;
}

int sl_prices_parse(const char *json, size_t len, struct sl_prices **out, struct sl_err *err)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je), *models, *m;
    struct sl_prices *p = NULL;
    const char *name;
    int rc = 0;

    *out = NULL;
    if (!root)
        return sl_err_set(err, SL_ECONFIG, "", "not valid JSON (line %d): %s", je.line, je.text);
    models = json_object_get(root, "models");
    if (!json_is_object(models) || json_object_size(models) == 0 ||
        json_object_size(models) > SL_PRICE_MAX_MODELS) {
        rc = sl_err_set(err, SL_ECONFIG, "/models", "needs a \"models\" object with 1 to %d models",
                        SL_PRICE_MAX_MODELS);
        goto out;
    }
    p = calloc(1, sizeof(*p));
    if (p)
        p->v = calloc(json_object_size(models), sizeof(*p->v));
    if (!p || !p->v) {
        rc = sl_err_set(err, -ENOMEM, "", "out of memory");
        goto out;
    }
    json_object_foreach(models, name, m) {
        struct sl_price *e = &p->v[p->n];

        if (!*name || strlen(name) >= SL_PRICE_MODEL_MAX || !json_is_object(m)) {
            rc = sl_err_set(err, SL_ECONFIG, "/models",
                            "each model needs a name under %d bytes and an object of prices",
                            SL_PRICE_MODEL_MAX);
            goto out;
        }
        memcpy(e->model, name, strlen(name) + 1);
        if ((rc = get_price(m, "input", name, &e->input_per_m, err)) ||
            (rc = get_price(m, "output", name, &e->output_per_m, err)))
            goto out;
        p->n++;
    }
    qsort(p->v, p->n, sizeof(*p->v), cmp_price);
    *out = p;
    p = NULL;
out:
    sl_prices_destroy(p);
    json_decref(root);
    return rc;
}

void sl_prices_destroy(struct sl_prices *p)
{
    if (!p)
        return;
    free(p->v);
    free(p);
}

size_t sl_prices_count(const struct sl_prices *p)
{
    return p ? p->n : 0;
}

static const struct sl_price *find_exact(const struct sl_prices *p, const char *model, size_t n)
{
    struct sl_price key;

    if (n >= sizeof(key.model))
        return NULL;
    memcpy(key.model, model, n);
    key.model[n] = '\0';
    return bsearch(&key, p->v, p->n, sizeof(*p->v), cmp_price);
}

/* "-YYYY-MM-DD" at the end of a name of length n? */
static bool dated_suffix(const char *s, size_t n)
{
    static const char shape[] = "-dddd-dd-dd";
    size_t k = sizeof(shape) - 1, i;

    if (n <= k)
        return false;
    s += n - k;
    for (i = 0; i < k; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != '-')
            return false;
    return true;
}

const struct sl_price *sl_prices_find(const struct sl_prices *p, const char *model)
{
    const struct sl_price *e;
    size_t n;

    if (!p || !model)
        return NULL;
    n = strlen(model);
    if ((e = find_exact(p, model, n)))
        return e;
    if (dated_suffix(model, n))
        return find_exact(p, model, n - 11);
    return NULL;
}

bool sl_prices_cost(const struct sl_prices *p, const char *model, uint64_t prompt_tokens,
                    uint64_t completion_tokens, double *usd)
{
    const struct sl_price *e = sl_prices_find(p, model);

    *usd = 0;
    if (!e)
        return false;
    *usd = ((double)prompt_tokens * e->input_per_m + (double)completion_tokens * e->output_per_m) /
           1e6;
    return true;
}

uint64_t sl_price_to_nusd(double usd)
{
    double n;

    if (!isfinite(usd) || usd <= 0)
        return 0;
    n = round(usd * 1e9);
    return n >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)n;
}

double sl_price_from_nusd(uint64_t nusd)
{
    return (double)nusd / 1e9;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

bool sl_budget_exceeded(uint64_t budget, uint64_t spent, uint64_t in_flight, uint64_t next)
{
    uint64_t committed = sat_add(spent, in_flight);

    if (!budget)
        return false;
    return committed >= budget || sat_add(committed, next) > budget;
}
