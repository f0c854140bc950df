/* fuzz_journal.c: the journal loader on arbitrary bytes. It must never crash, read out of bounds,
 * or allocate a bitmap past the seq bound; what it accepts is a prefix of the input. */
#include <stdint.h>
#include <stdlib.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sl_journal_state st;

    sl_journal_state_init(&st);
    if (sl_journal_parse(data, size, (uint64_t)1 << 20, &st) == 0) {
        if (st.valid_len > size || st.done.nw > ((size_t)1 << 20) / 64 * 2 + 1024)
            abort();
        if (st.records == 0 && st.valid_len != 0)
            abort();
    }
    sl_journal_state_free(&st);
    return 0;
}
