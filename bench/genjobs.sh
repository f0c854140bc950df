#!/usr/bin/env bash
# genjobs.sh N [SEED]: N chat-completion jobs in the OpenAI Batch input format on stdout, short
# review texts of varied sentiment, a few with PII (emails, phone numbers) to exercise anonymize.
set -euo pipefail
n=${1:?usage: genjobs.sh N [SEED]}
seed=${2:-1}
awk -v n="$n" -v seed="$seed" 'BEGIN {
  srand(seed);
  split("I love this product, it works great|Terrible experience, the box arrived broken|The parcel arrived on Tuesday|Excellent support, they solved it fast|Awful battery life, very bad|The manual is in English and French|Great value, would buy again|I hate the new update, it is slow|The store opens at nine|Wonderful hotel and friendly staff", t, "|");
  split("Contact me at user%d@example.com|Call +1 415 555 %04d|My order is late", p, "|");
  for (i = 0; i < n; i++) {
    s = t[int(rand() * 10) + 1];
    if (i % 17 == 5) s = s ". " sprintf(p[int(rand() * 3) + 1], i % 10000);
    printf "{\"custom_id\":\"job-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Classify the sentiment: positive, negative or neutral.\"},{\"role\":\"user\",\"content\":\"%s (review %d)\"}],\"max_tokens\":2,\"temperature\":0}}\n", i, s, i;
  }
}'
