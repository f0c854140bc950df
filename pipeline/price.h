/* price.h: what tokens cost. A price table (USD per million input and output tokens, per model)
 * is loaded from a JSON file (--prices); a job's cost comes from its usage. Pure: no I/O (the
 * caller reads the file), no globals, no clock. A loaded table is read-only, so any thread may
 * look prices up at once.
 *
 * Table format (samples/prices.json):
 *   {"models": {"gpt-4o": {"input": 2.5, "output": 10.0}, ...}, ...other keys ignored...}
 * A model name matches exactly, or with a dated snapshot suffix "-YYYY-MM-DD" (gpt-4o-2024-08-06
 * is priced as gpt-4o); nothing else is guessed, so an unknown model is reported as unknown
 * rather than priced wrongly.
 */
#ifndef SL_PRICE_H
#define SL_PRICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SL_PRICE_MODEL_MAX 128
#define SL_PRICE_MAX_MODELS 4096

struct sl_price {
    char model[SL_PRICE_MODEL_MAX];
    double input_per_m;  /* USD per 1,000,000 prompt (input) tokens */
    double output_per_m; /* USD per 1,000,000 completion (output) tokens */
};

struct sl_prices;

/* Parse a table. Returns 0, or SL_ECONFIG with err->reason / err->field saying what is wrong
 * (negative or non-numeric prices, a model without both prices, no "models" object). */
SL_MUST_CHECK int sl_prices_parse(const char *json, size_t len, struct sl_prices **out,
                                  struct sl_err *err);
void sl_prices_destroy(struct sl_prices *p); /* NULL is fine */
size_t sl_prices_count(const struct sl_prices *p);

/* The price of model, or NULL if the table does not know it (or p or model is NULL). */
const struct sl_price *sl_prices_find(const struct sl_prices *p, const char *model);

/* USD for the given token counts; false (and *usd = 0) when the model is unknown. */
bool sl_prices_cost(const struct sl_prices *p, const char *model, uint64_t prompt_tokens,
                    uint64_t completion_tokens, double *usd);

/* Money in nano-USD (1e-9 USD) as an integer, for atomic sums across threads. Rounds to the
 * nearest nano-USD; negative or non-finite values give 0; saturates at UINT64_MAX. */
uint64_t sl_price_to_nusd(double usd);
double sl_price_from_nusd(uint64_t nusd);

/* The budget rule: true when spent + in_flight + next (the next job's estimate) would exceed
 * budget (all nano-USD, saturating). A budget of 0 means none. */
bool sl_budget_exceeded(uint64_t budget, uint64_t spent, uint64_t in_flight, uint64_t next);

#endif
