/* genjobs.c: the jobs of genjobs.sh, fast enough to feed 10 million through a pipe (awk is the
 * bottleneck there). Bench tool, built by bench/throughput.sh with cc. Usage: genjobs N [SEED].
 * Same texts and PII sprinkling as genjobs.sh; a different random sequence (xorshift, not awk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rnd_state;

static unsigned rnd(unsigned n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)(rnd_state % n);
}

int main(int argc, char **argv)
{
    static const char *const texts[] = {
        "I love this product, it works great", "Terrible experience, the box arrived broken",
        "The parcel arrived on Tuesday", "Excellent support, they solved it fast",
        "Awful battery life, very bad", "The manual is in English and French",
        "Great value, would buy again", "I hate the new update, it is slow",
        "The store opens at nine", "Wonderful hotel and friendly staff"};
    static char obuf[1 << 16];
    unsigned long long n, i;
    char pii[64];

    if (argc < 2) {
        fprintf(stderr, "usage: genjobs N [SEED]\n");
        return 2;
    }
    n = strtoull(argv[1], NULL, 10);
    rnd_state = argc > 2 ? strtoull(argv[2], NULL, 10) * 2654435761u + 1 : 88172645463325252ull;
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    for (i = 0; i < n; i++) {
        const char *s = texts[rnd(10)];

        pii[0] = 0;
        if (i % 17 == 5) {
            switch (rnd(3)) {
            case 0: snprintf(pii, sizeof(pii), ". Contact me at user%llu@example.com", i % 10000); break;
            case 1: snprintf(pii, sizeof(pii), ". Call +1 415 555 %04llu", i % 10000); break;
            default: snprintf(pii, sizeof(pii), ". My order is late"); break;
            }
        }
        if (printf("{\"custom_id\":\"job-%llu\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                   "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
                   "\"content\":\"Classify the sentiment: positive, negative or neutral.\"},"
                   "{\"role\":\"user\",\"content\":\"%s%s (review %llu)\"}],\"max_tokens\":2,"
                   "\"temperature\":0}}\n",
                   i, s, pii, i) < 0)
            return 1; /* reader gone (EPIPE) */
    }
    return fflush(stdout) ? 1 : 0;
}
