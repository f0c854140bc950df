/* sanitize.c: the sanitize stage: schema, policy caps, text hygiene and prompt-injection flags.
 *
 * sl_sanitize_job() runs on a worker thread over one parsed job (a jansson tree it may change in
 * place). Order: top-level schema (custom_id, method, url, body) -> dropped and refused fields ->
 * the endpoint's body schema and numeric caps -> one recursive walk of the body that checks depth
 * and numbers and cleans every string -> the size and token caps on the cleaned text.
 *
 * Each string is cleaned in three light passes: (1) characters (controls, invisible, bidi, tags),
 * (2) markup (<script>/<style> blocks, on*= handlers inside tags, javascript:/vbscript: schemes),
 * (3) the read-only injection scan. Passes 1 and 2 write through a "lazy writer": nothing is copied
 * until the first change, so a clean string costs no allocation and no copy; only a string that had
 * something removed is replaced (json_string_setn). Rejected alternative: Vectorscan for the
 * injection phrases. It needs a per-thread scratch that this stage's contract (policy shared
 * read-only, no per-thread state passed in) has no place for, and the phrase table is small enough
 * that a word tokenizer with a hashed first-word table runs at hundreds of MB/s.
 *
 * Reasons never contain input bytes; each starts with a machine code (see sanitize.h).
 * Pure: no I/O, no globals except constant tables; any thread.
 */
#include "sanitize.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "policy.h"
#include "tokens.h"
#include "utf8.h"

/* Path segments kept for error pointers. A pointer is cut at SL_ERR_FIELD_MAX (192) bytes, which
 * holds at most 96 segments, so deeper levels are counted but not recorded. */
#define PATH_MAX_SEGS 96
#define NAME_MAX_BYTES 256 /* model names and the like */
#define MAX_INPUTS 2048    /* embeddings / moderations inputs in one request */
#define INT_LIMIT 9007199254740992LL /* 2^53: larger integers lose precision in most JSON peers */
#define REAL_LIMIT 1e15

/* ==== injection phrase table ================================================================
 * One row per phrasing. A row is a sequence of word slots matched against consecutive words of
 * the text (case-insensitive; ASCII and Latin-1 letters fold). A slot is "a|b|c" (one of these
 * words), "?a|b" (optional) or "*N" (skip up to N words). Words are runs of letters, digits and
 * apostrophes (so "you're" is one word); punctuation and spaces between them are ignored, up to 64
 * bytes. All alternatives are lowercase. The first slot must be plain (it feeds the first-word
 * table).
 * Besides this table the scan flags fake chat turns (the MARKERS list below, and a line starting
 * with "system:", "assistant:" or "developer:") and base64 runs of 40+ characters that decode to
 * text containing any of these.
 * Keep it conservative: every row was checked against 300 plain review sentences (see
 * tests/test_sanitize.c) so that ordinary prose does not trip it. */
struct inj_phrase {
    const char *id;
    const char *slot[10];
};

static const struct inj_phrase INJ[] = {
    {"ignore-previous",
     {"ignore|disregard|forget|skip|override|bypass|neglect|overlook|abandon", "?all|any|every",
      "?of", "?the|your|my|these|those|any|our", "previous|prior|above|earlier|preceding|former|"
      "foregoing|initial|original|system|existing|old",
      "?system|safety", "instructions|instruction|prompts|prompt|rules|directions|directives|"
      "guidelines|guidance|context|orders|commands|constraints", NULL}},
    {"ignore-everything",
     {"ignore|disregard|forget", "everything|anything|all", "?that|you", "?was|were|have|ve",
      "?been", "said|told|written|stated|above|before|previously|earlier|prior", NULL}},
    {"you-are-now",
     {"you|you're|youre|you\u2019re", "?are", "now|henceforth", "?a|an|in", "dan|jailbroken|"
      "unrestricted|unfiltered|uncensored|unchained|unbound|evil|liberated", NULL}},
    {"from-now-on",
     {"from", "now", "on", "you", "are|will|must|shall", "*3", "dan|jailbroken|unrestricted|"
      "unfiltered|uncensored|restrictions|limitations|filters|censorship", NULL}},
    {"mode-enabled",
     {"dan|jailbreak|developer|dev|god|unrestricted|unfiltered|stan|dude", "mode",
      "enabled|activated|enable|activate|engaged", NULL}},
    {"in-mode",
     {"you|you're|youre", "?are|re|will|now", "?now|be", "in|into|entering", "?the",
      "developer|dev|god|jailbreak|dan|unrestricted|unfiltered", "mode", NULL}},
    {"enter-mode",
     {"enter|activate|enable|engage", "?the", "dan|jailbreak|god|unrestricted|unfiltered", "mode",
      NULL}},
    {"act-as-dan", {"act|acting|pretend|roleplay", "as|to", "?be", "dan", NULL}},
    {"act-unrestricted",
     {"act|behave|respond|answer|reply|roleplay|pretend|operate|talk|speak", "*6",
      "without|no|zero", "?any|all|your|the", "restrictions|restriction|limits|limitations|"
      "filters|filtering|censorship|guidelines|rules|boundaries|morals|ethics|safeguards|"
      "guardrails|constraints", NULL}},
    {"pretend-no-rules",
     {"pretend|imagine|assume|suppose", "?that", "you|you're|youre", "*3", "no|without|free|not",
      "*2", "rules|restrictions|limits|filters|guidelines|limitations|morals|ethics|policies|"
      "boundaries|bound|restricted|censored|filtered", NULL}},
    {"not-bound",
     {"you", "are|re", "no|not", "?longer", "bound|restricted|limited|constrained", "by",
      "?any|the|your", "rules|guidelines|policies|restrictions|openai|ethics|morals|instructions|"
      "filters", NULL}},
    {"reveal-prompt",
     {"reveal|show|print|display|output|repeat|tell|leak|give|dump|disclose|share|write|recite|"
      "expose", "?me|us", "?what", "?is|are", "your|the|its",
      "?full|entire|exact|complete|original|initial|hidden|secret|current",
      "system|hidden|secret|initial|original|developer|preprompt", "prompt|prompts|instructions",
      NULL}},
    {"what-prompt",
     {"what|what's|whats", "?is|are|was|were", "your", "system|hidden|secret|initial|original",
      "prompt|prompts|instructions", NULL}},
    {"new-system-prompt",
     {"new|updated|revised|real|actual|true", "system", "prompt|instructions", NULL}},
    {"disable-safety",
     {"override|bypass|disable|circumvent|deactivate|turn", "?off", "?your|the|all|any",
      "safety|content|ethical|moderation", "filters|filter|guidelines|protocols|restrictions|rules|"
      "policies", NULL}},
    /* German */
    {"de-ignore",
     {"ignoriere|ignorier|ignorieren|vergiss|vergessen|missachte|missachten", "?sie",
      "?alle|s\u00e4mtliche|jegliche|die", "?bisherigen|vorherigen|vorigen|obigen|fr\u00fcheren|"
      "vorangegangenen|vorhergehenden|alten|deine|ihre",
      "anweisungen|instruktionen|befehle|regeln|vorgaben|anordnungen|richtlinien", NULL}},
    {"de-reveal",
     {"zeige|zeig|verrate|nenne|gib|wiederhole|drucke", "?mir|uns",
      "?deinen|deine|den|die|ihren|ihre", "systemprompt|systemanweisungen|systemanweisung|"
      "systemnachricht", NULL}},
    {"de-reveal2",
     {"zeige|zeig|verrate|nenne|gib|wiederhole|drucke", "?mir|uns",
      "?deinen|deine|den|die|ihren|ihre", "system", "prompt|anweisungen|nachricht", NULL}},
    {"de-now",
     {"du", "bist", "jetzt|nun|ab", "?jetzt",
      "dan|ungefiltert|uneingeschr\u00e4nkt|unzensiert", NULL}},
    /* French */
    {"fr-ignore",
     {"ignore|ignorez|ignorer|oublie|oubliez|oublier|n\u00e9glige|n\u00e9gligez",
      "?toutes|tous|tout", "?les|vos|tes|ces|mes",
      "instructions|consignes|r\u00e8gles|directives|ordres|indications",
      "pr\u00e9c\u00e9dentes|ant\u00e9rieures|pr\u00e9c\u00e9dents|ant\u00e9rieurs|ci|initiales",
      NULL}},
    {"fr-reveal",
     {"r\u00e9v\u00e8le|r\u00e9v\u00e9lez|montre|montrez|affiche|affichez|donne|donnez|"
      "r\u00e9p\u00e8te|r\u00e9p\u00e9tez", "?moi|nous", "?ton|votre|le|ta|tes|vos",
      "prompt|invite|instructions|consignes", "?du|de", "?ton|votre",
      "syst\u00e8me|systeme|initial|initiales|cach\u00e9es|secr\u00e8tes", NULL}},
    {"fr-now",
     {"tu|vous", "es|\u00eates", "maintenant|d\u00e9sormais",
      "dan|d\u00e9brid\u00e9|d\u00e9brid\u00e9e|jailbreak\u00e9", NULL}},
    /* Spanish */
    {"es-ignore",
     {"ignora|ignore|ignorar|ignoren|olvida|olvide|olvidar|olviden|omite|omita",
      "?todas|todos|todo", "?las|los|tus|sus|estas",
      "instrucciones|indicaciones|reglas|\u00f3rdenes|directrices",
      "anteriores|previas|precedentes|iniciales|originales", NULL}},
    {"es-reveal",
     {"revela|muestra|mu\u00e9strame|dime|repite|imprime|ens\u00e9\u00f1ame", "?me",
      "?tu|tus|el|las|los|su|sus", "prompt|instrucciones|mensaje|indicaciones", "?de|del",
      "sistema|iniciales|ocultas|secretas", NULL}},
    {"es-now", {"ahora", "eres", "dan|ilimitado|ilimitada|jailbreak|jailbreakeado", NULL}},
};

#define N_INJ (sizeof(INJ) / sizeof(INJ[0]))

/* Chat-template tokens and fake turn headers that have no business in user text. */
static const char *const MARKERS[] = {
    "<|im_start|>", "<|im_end|>",       "<|system|>",    "<|user|>",          "<|assistant|>",
    "<|endoftext|>", "<|eot_id|>",      "<|start_header_id|>", "<|end_header_id|>",
    "<|begin_of_text|>", "<start_of_turn>", "<end_of_turn>", "<<sys>>", "<</sys>>", "[inst]",
    "[/inst]",      NULL,
};
static const char *const HASH_HEADERS[] = {"instruction", "instructions", "system", "human",
                                           "assistant", NULL};
static const char *const LINE_ROLES[] = {"system", "assistant", "developer", NULL};

#define MARKUP_PASSES 4
#define B64_MIN_RUN 40
#define B64_MAX_RUN 4096
#define WORD_GAP_MAX 64

/* ==== small helpers =========================================================================== */

/* Byte classes for the scans (ASCII only; bytes >= 0x80 are 0 and take the UTF-8 path).
 * CT_WORD: letters, digits, apostrophe. CT_B64: base64 alphabet. CT_TURN: '<' '[' '#' '\n', where
 * a fake turn may start. CT_MARKUP: '<' '&' 'j' 'v', where markup or a script scheme may start. */
enum { CT_WORD = 1, CT_B64 = 2, CT_TURN = 4, CT_MARKUP = 8 };
static const unsigned char CT[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 4, 0, 0, 8, 1, 0, 0, 0, 2, 0, 0, 0, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 12, 2, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 11, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 11, 3, 3, 3, 3, 4, 0, 0, 0, 0,
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 11, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 11, 3, 3, 3, 3, 0, 0, 0, 0, 0,
};

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool ci_prefix(const char *t, size_t n, size_t i, const char *lit)
{
    size_t k;

    for (k = 0; lit[k]; k++)
        if (i + k >= n || lower((unsigned char)t[i + k]) != (unsigned char)lit[k])
            return false;
    return true;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

const char *sl_san_class_name(enum sl_san_class c)
{
    static const char *const names[] = {"control", "invisible", "bidi", "tag", "markup",
                                        "injection"};

    return (unsigned)c < SL_SAN__COUNT ? names[c] : "unknown";
}

const char *sl_policy_injection_mode(const struct sl_policy *p)
{
    return p->injection == SL_INJ_OFF ? "off" : p->injection == SL_INJ_REJECT ? "reject" : "flag";
}

static const char *const REASON_CODES[] = {
    "schema.job", "schema.custom_id", "schema.method", "schema.url", "schema.body",
    "schema.unknown_key", "schema.model", "schema.messages", "schema.message", "schema.role",
    "schema.content", "schema.content_part", "schema.input", "schema.number", "schema.depth",
    "schema.field", "policy.method", "policy.url", "policy.model", "policy.role", "policy.field",
    "policy.content_part", "policy.max_tokens", "policy.n", "size.custom_id", "size.messages",
    "size.message", "size.input", "size.job", "size.tokens", "utf8", "text.control",
    "text.invisible", "text.bidi", "text.tag", "text.markup", "injection", "internal",
    "policy.parse", "policy.key", NULL,
};

const char *sl_sanitize_reason_code(const struct sl_err *err)
{
    const char *colon;
    size_t i, len;

    if (!err || err->code == 0)
        return "";
    colon = strstr(err->reason, ": ");
    if (!colon)
        return "other";
    len = (size_t)(colon - err->reason);
    for (i = 0; REASON_CODES[i]; i++)
        if (strlen(REASON_CODES[i]) == len && memcmp(REASON_CODES[i], err->reason, len) == 0)
            return REASON_CODES[i];
    return "other";
}

/* ==== words and the phrase matcher ============================================================ */

/* Length of the character at t[i] and whether it is part of a word. */
static size_t char_at(const char *t, size_t n, size_t i, bool *word)
{
    unsigned char c = (unsigned char)t[i];
    uint32_t cp;
    int l;

    if (c < 0x80) {
        *word = is_alnum(c) || c == '\'';
        return 1;
    }
    l = sl_utf8_decode((const unsigned char *)t + i, n - i, &cp);
    if (l < 0) {
        *word = false;
        return 1;
    }
    *word = (cp >= 0xC0 && !(cp >= 0x2000 && cp <= 0x206F) && !(cp >= 0x3000 && cp <= 0x303F) &&
             !(cp >= 0xFF00 && cp <= 0xFF0F) && cp != 0xD7 && cp != 0xF7) ||
            cp == 0x2019;
    return (size_t)l;
}

static bool is_apos(const char *t, size_t n, size_t i, size_t *len)
{
    if (t[i] == '\'') {
        *len = 1;
        return true;
    }
    if (i + 2 < n && memcmp(t + i, "\xE2\x80\x99", 3) == 0) {
        *len = 3;
        return true;
    }
    return false;
}

/* The next word at or after *pos, with apostrophes trimmed from its ends. *pos moves past it.
 * Returns false when there is none, or when more than gap_max bytes separate it from *pos. */
static bool next_word(const char *t, size_t n, size_t *pos, size_t gap_max, size_t *ts, size_t *tl)
{
    size_t i = *pos, s, e, al;
    bool w = false;

    while (i < n) {
        size_t l = 1;

        if ((unsigned char)t[i] < 0x80) {
            if (CT[(unsigned char)t[i]] & CT_WORD)
                break;
        } else if ((l = char_at(t, n, i, &w)) && w) {
            break;
        }
        i += l;
        if (i - *pos > gap_max)
            return false;
    }
    if (i >= n)
        return false;
    s = i;
    while (i < n) {
        size_t l = 1;

        if ((unsigned char)t[i] < 0x80) {
            if (!(CT[(unsigned char)t[i]] & CT_WORD))
                break;
        } else if ((l = char_at(t, n, i, &w)) && !w) {
            break;
        }
        i += l;
    }
    *pos = i;
    e = i;
    while (s < e && is_apos(t, n, s, &al))
        s += al;
    while (e > s && (t[e - 1] == '\'' || (e - s >= 3 && memcmp(t + e - 3, "\xE2\x80\x99", 3) == 0)))
        e -= t[e - 1] == '\'' ? 1 : 3;
    if (s == e) /* a lone apostrophe: look further */
        return next_word(t, n, pos, gap_max, ts, tl);
    *ts = s;
    *tl = e - s;
    return true;
}

/* Case-fold one byte given the byte before it (ASCII, and Latin-1 capitals U+00C0..U+00DE). */
static unsigned char fold(unsigned char prev, unsigned char c)
{
    if (prev == 0xC3 && c >= 0x80 && c <= 0x9E && c != 0x97)
        return (unsigned char)(c + 0x20);
    return lower(c);
}

#define HASH_WORD_MAX 64 /* longer words match no phrase; they all hash to 0 */

/* Hash of folded bytes, eight at a time (no per-byte multiply chain). avail: readable bytes from
 * f (>= n); when eight are readable the chunk is one load, masked to the word. */
static uint32_t hash_folded(const unsigned char *f, size_t n, size_t avail, bool ascii)
{
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ULL;
    size_t i;

    if (n > HASH_WORD_MAX)
        return 0;
    for (i = 0; i < n; i += 8) {
        uint64_t c = 0, m = n - i >= 8 ? ~0ULL : ((1ULL << (8 * (n - i))) - 1);

        if (avail - i >= 8)
            memcpy(&c, f + i, 8);
        else
            memcpy(&c, f + i, n - i);
        c &= m;
        if (ascii) /* every ASCII word byte (letter, digit, apostrophe) folds by OR 0x20 */
            c |= 0x2020202020202020ULL & m;
        h = (h ^ c) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

/* The same hash for any word: fold (ASCII and Latin-1 capitals) into a buffer first. */
static uint32_t word_hash(const char *w, size_t n)
{
    unsigned char f[HASH_WORD_MAX] = {0};
    unsigned char prev = 0;
    size_t i;

    if (n > HASH_WORD_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        f[i] = fold(prev, (unsigned char)w[i]);
        prev = (unsigned char)w[i];
    }
    return hash_folded(f, n, sizeof(f), false);
}

/* Is the word w[0..n) one of the '|'-separated lowercase alternatives? One pass, no strchr. */
static bool alt_match(const char *alts, const char *w, size_t n)
{
    const char *a = alts;

    for (;;) {
        unsigned char prev = 0;
        size_t i = 0;

        while (i < n && *a && *a != '|' && fold(prev, (unsigned char)w[i]) == (unsigned char)*a) {
            prev = (unsigned char)w[i];
            i++;
            a++;
        }
        if (i == n && (*a == '|' || *a == '\0'))
            return true;
        while (*a && *a != '|')
            a++;
        if (!*a)
            return false;
        a++;
    }
}

static bool match_from(const char *const *slot, const char *t, size_t n, size_t pos)
{
    size_t p2 = pos, ts, tl;
    const char *alts;
    bool opt;

    if (!*slot)
        return true;
    if ((*slot)[0] == '*') {
        int i, m = (*slot)[1] - '0';

        for (i = 0;; i++) {
            if (match_from(slot + 1, t, n, p2))
                return true;
            if (i == m || !next_word(t, n, &p2, WORD_GAP_MAX, &ts, &tl))
                return false;
        }
    }
    opt = (*slot)[0] == '?';
    alts = *slot + opt;
    if (next_word(t, n, &p2, WORD_GAP_MAX, &ts, &tl) && alt_match(alts, t + ts, tl) &&
        match_from(slot + 1, t, n, p2))
        return true;
    return opt && match_from(slot + 1, t, n, pos);
}

_Static_assert(N_INJ <= 64, "the first-word table holds one bit per phrase");

void sl_sanitize_policy_prepare(struct sl_policy *p)
{
    size_t i;

    memset(p->inj_first, 0, sizeof(p->inj_first));
    memset(p->inj_prefix, 0, sizeof(p->inj_prefix));
    for (i = 0; i < N_INJ; i++) {
        const char *alts = INJ[i].slot[0];

        while (*alts) {
            const char *bar = strchr(alts, '|');
            size_t an = bar ? (size_t)(bar - alts) : strlen(alts);

            p->inj_first[word_hash(alts, an) % SL_POLICY_FIRST_SLOTS] |= (uint64_t)1 << i;
            if (an >= 2) {
                unsigned key = ((unsigned)(unsigned char)alts[0] << 8) | (unsigned char)alts[1];
                p->inj_prefix[key / 8] |= (uint8_t)(1u << (key % 8));
            } else {
                assert(!"first words need two bytes");
            }
            if (!bar)
                break;
            alts = bar + 1;
        }
    }
}

/* ==== fake turns and base64 =================================================================== */

static bool marker_at(const char *t, size_t n, size_t i)
{
    size_t k, j;

    if (t[i] == '<' || t[i] == '[') {
        for (k = 0; MARKERS[k]; k++)
            if (ci_prefix(t, n, i, MARKERS[k]))
                return true;
        return false;
    }
    if (t[i] == '#') {
        if (!ci_prefix(t, n, i, "###"))
            return false;
        for (j = i + 3; j < n && (t[j] == '#' || t[j] == ' ' || t[j] == '\t'); j++)
            ;
        for (k = 0; HASH_HEADERS[k]; k++) {
            size_t e = j + strlen(HASH_HEADERS[k]);

            if (ci_prefix(t, n, j, HASH_HEADERS[k]) && (e >= n || !is_alnum((unsigned char)t[e])))
                return true;
        }
        return false;
    }
    /* t[i] == '\n': a line that starts like a chat turn, "System: ..." */
    for (j = i + 1; j < n && (t[j] == ' ' || t[j] == '\t'); j++)
        ;
    for (k = 0; LINE_ROLES[k]; k++) {
        size_t e = j + strlen(LINE_ROLES[k]);

        if (!ci_prefix(t, n, j, LINE_ROLES[k]))
            continue;
        while (e < n && (t[e] == ' ' || t[e] == '\t'))
            e++;
        if (e < n && t[e] == ':')
            return true;
    }
    return false;
}

static const char *scan_injection(const struct sl_policy *p, const char *t, size_t n, int depth);

/* A base64 run: decode (at most B64_MAX_RUN characters of it) and scan the text it hides. */
static const char *check_b64(const struct sl_policy *p, const char *run, size_t len, int depth)
{
    unsigned char dec[B64_MAX_RUN / 4 * 3 + 4];
    size_t m = (len > B64_MAX_RUN ? B64_MAX_RUN : len) & ~(size_t)3, i, printable = 0;
    int dn;

    if (depth > 0 || m < B64_MIN_RUN)
        return NULL;
    dn = EVP_DecodeBlock(dec, (const unsigned char *)run, (int)m);
    if (dn <= 0)
        return NULL;
    while (dn > 0 && dec[dn - 1] == 0) /* padding decodes to zero bytes */
        dn--;
    for (i = 0; i < (size_t)dn; i++)
        printable += (dec[i] >= 0x20 && dec[i] < 0x7F) || dec[i] == '\n' || dec[i] == '\t' ||
                     dec[i] == '\r' || dec[i] >= 0x80;
    if (dn == 0 || printable * 20 < (size_t)dn * 19)
        return NULL;
    return scan_injection(p, (const char *)dec, (size_t)dn, depth + 1) ? "base64" : NULL;
}

/* Index of the first byte at or after i that is not an ASCII letter or digit. Eight bytes at a
 * time: for each byte, bit 7 of az/dg says "in a..z (after OR 0x20)" / "in 0..9"; adding to a
 * byte below 0x80 cannot carry into the next one. */
static size_t alnum_run(const unsigned char *u, size_t i, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;

    while (i + 8 <= n) {
        uint64_t w, l, az, dg, bad;

        memcpy(&w, u + i, 8);
        l = (w | (0x20 * ones)) & ~high;
        az = ((l + (0x80 - 'a') * ones) & ~(l + (0x80 - 'z' - 1) * ones)) & high;
        dg = (((w & ~high) + (0x80 - '0') * ones) & ~((w & ~high) + (0x80 - '9' - 1) * ones)) &
             high;
        bad = ~(az | dg) & high;
        bad |= w & high; /* non-ASCII */
        if (bad)
            return i + (size_t)__builtin_ctzll(bad) / 8;
        i += 8;
    }
    while (i < n && (CT[u[i]] & (CT_WORD | CT_B64)) == (CT_WORD | CT_B64))
        i++;
    return i;
}

/* A base64 run ended at end: if it is long enough, look inside. */
static const char *end_run(const struct sl_policy *p, const char *t, size_t start, size_t end,
                           int depth)
{
    return end - start >= B64_MIN_RUN ? check_b64(p, t + start, end - start, depth) : NULL;
}

static const char *try_phrases(const struct sl_policy *p, const char *t, size_t n, uint32_t h,
                               size_t ts, size_t tl, size_t pos)
{
    uint64_t m = p->inj_first[h % SL_POLICY_FIRST_SLOTS];

    while (m) {
        int k = __builtin_ctzll(m);

        m &= m - 1;
        if (alt_match(INJ[k].slot[0], t + ts, tl) && match_from(INJ[k].slot + 1, t, n, pos))
            return INJ[k].id;
    }
    return NULL;
}

/* The whole injection scan in one pass over t: words (hashed while scanned; for each that hits
 * the first-word table, try those phrases), fake-turn markers at '<' '[' '#' '\n', and base64
 * runs (run_s: where the current run of base64 characters began). A word with an apostrophe at
 * either end or with non-ASCII letters is re-read by next_word, which trims and folds it. */
static const char *scan_text(const struct sl_policy *p, const char *t, size_t n, int depth)
{
    const unsigned char *u = (const unsigned char *)t;
    size_t i = 0, s, ts, tl, pos, run_s = 0;
    const char *hit;

    while (i < n) {
        uint32_t h;
        bool slow = false, w;

        if (u[i] < 0x80) {
            if (!(CT[u[i]] & CT_WORD)) {
                if (CT[u[i]] & CT_B64) {
                    i++;
                    continue;
                }
                if ((hit = end_run(p, t, run_s, i, depth)))
                    return hit;
                if ((CT[u[i]] & CT_TURN) && marker_at(t, n, i))
                    return "fake-turn";
                run_s = ++i;
                continue;
            }
        } else {
            size_t l = char_at(t, n, i, &w);
            if (!w) {
                if ((hit = end_run(p, t, run_s, i, depth)))
                    return hit;
                i += l;
                run_s = i;
                continue;
            }
        }
        s = i;
        while (i < n) {
            /* the hot loop: ASCII letters and digits (word and base64 characters both) */
            i = alnum_run(u, i, n);
            if (i >= n)
                break;
            if (u[i] == '\'') { /* part of the word; ends a base64 run */
                if ((hit = end_run(p, t, run_s, i, depth)))
                    return hit;
                run_s = ++i;
                continue;
            }
            if (u[i] < 0x80)
                break;
            {
                size_t l = char_at(t, n, i, &w);

                if (!w)
                    break;
                if ((hit = end_run(p, t, run_s, i, depth)))
                    return hit;
                slow = true; /* non-ASCII letters: fold and hash through word_hash */
                i += l;
                run_s = i;
            }
        }
        if (slow || u[s] == '\'' || u[i - 1] == '\'') {
            pos = s;
            if (!next_word(t, n, &pos, (size_t)-1, &ts, &tl) || ts >= i)
                continue; /* only apostrophes: no word here */
            h = word_hash(t + ts, tl);
        } else {
            unsigned key;

            ts = s;
            tl = i - s;
            if (tl < 2)
                continue;
            key = ((unsigned)(u[s] | 0x20) << 8) | (u[s + 1] | 0x20);
            if (!(p->inj_prefix[key / 8] & (1u << (key % 8))))
                continue; /* no phrase starts with this word */
            h = hash_folded(u + s, tl, n - s, true);
        }
        if ((hit = try_phrases(p, t, n, h, ts, tl, i)))
            return hit;
    }
    return end_run(p, t, run_s, n, depth);
}

static const char *scan_injection(const struct sl_policy *p, const char *t, size_t n, int depth)
{
    return scan_text(p, t, n, depth);
}

const char *sl_sanitize_injection_match(const struct sl_policy *p, const char *s, size_t n)
{
    return scan_injection(p, s, n, 0);
}

/* ==== the lazy writer ========================================================================= */

/* Copies nothing until the first cut; then out holds src with every cut applied so far. */
struct lw {
    const char *src;
    size_t run; /* src[run..] not yet copied */
    struct sl_buf *out;
    bool on;
};

static int lw_cut(struct lw *w, size_t from, size_t to, const char *rep, size_t rn)
{
    int rc;

    if (!w->on) {
        sl_buf_reset(w->out);
        w->on = true;
    }
    if ((rc = sl_buf_append(w->out, w->src + w->run, from - w->run)))
        return rc;
    if (rn && (rc = sl_buf_append(w->out, rep, rn)))
        return rc;
    w->run = to;
    return 0;
}

static int lw_end(struct lw *w, size_t n)
{
    return w->on ? sl_buf_append(w->out, w->src + w->run, n - w->run) : 0;
}

/* ==== per-job context and errors ============================================================== */

struct seg {
    const char *key; /* NULL: array index */
    size_t idx;
};

/* The body members the checks and the estimate read. They used to be looked up one
 * json_object_get at a time (~30 hashed lookups a job, a tenth of a worker's instructions); now one
 * pass over the body's members fills bv[] (index_body). Order of the NUMS block = NUMS[]. */
#define MSG_SEEN 16

enum bk {
    BK_MAX_TOKENS, BK_MAX_COMPLETION_TOKENS, BK_MAX_OUTPUT_TOKENS, BK_N, BK_BEST_OF,
    BK_TEMPERATURE, BK_TOP_P, BK_PRESENCE_PENALTY, BK_FREQUENCY_PENALTY, BK_TOP_LOGPROBS, BK_SEED,
    BK_LOGPROBS, BK_DIMENSIONS, BK_STORE, BK_PARALLEL_TOOL_CALLS,
    BK_MODEL, BK_MESSAGES, BK_TOOLS, BK_INPUT, BK_PROMPT, BK_INSTRUCTIONS, BK__COUNT
};

#define BK_ENTRY(s) {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} BK_KEYS[BK__COUNT] = {
    BK_ENTRY("max_tokens"), BK_ENTRY("max_completion_tokens"), BK_ENTRY("max_output_tokens"),
    BK_ENTRY("n"), BK_ENTRY("best_of"), BK_ENTRY("temperature"), BK_ENTRY("top_p"),
    BK_ENTRY("presence_penalty"), BK_ENTRY("frequency_penalty"), BK_ENTRY("top_logprobs"),
    BK_ENTRY("seed"), BK_ENTRY("logprobs"), BK_ENTRY("dimensions"), BK_ENTRY("store"),
    BK_ENTRY("parallel_tool_calls"), BK_ENTRY("model"), BK_ENTRY("messages"), BK_ENTRY("tools"),
    BK_ENTRY("input"), BK_ENTRY("prompt"), BK_ENTRY("instructions"),
};

struct ctx {
    const struct sl_policy *p;
    struct sl_san_stats *st;
    struct sl_err *err;
    const struct sl_san_memo *memo; /* may be NULL */
    struct sl_buf b1, b2;
    uint64_t text_bytes;
    size_t depth; /* segments in path */
    struct seg path[PATH_MAX_SEGS];
    json_t *bv[BK__COUNT]; /* the body's members by enum bk (NULL: absent), see index_body */
    json_t *url, *body;    /* the job's members (check_top) */
    /* the first MSG_SEEN messages' members, from check_message for chat_estimate */
    struct {
        json_t *content, *name, *tool_calls;
    } msg[MSG_SEEN];
};

static void push_key(struct ctx *c, const char *k)
{
    if (c->depth < PATH_MAX_SEGS)
        c->path[c->depth] = (struct seg){k, 0};
    c->depth++;
}

static void push_idx(struct ctx *c, size_t i)
{
    if (c->depth < PATH_MAX_SEGS)
        c->path[c->depth] = (struct seg){NULL, i};
    c->depth++;
}

static void pop(struct ctx *c)
{
    c->depth--;
}

/* The JSON pointer (RFC 6901) of the current path. */
static void path_str(const struct ctx *c, char *out, size_t cap)
{
    size_t o = 0, d, k;

    out[0] = '\0';
    for (d = 0; d < c->depth && d < PATH_MAX_SEGS && o + 2 < cap; d++) {
        const struct seg *s = &c->path[d];

        out[o++] = '/';
        if (!s->key) {
            int w = snprintf(out + o, cap - o, "%zu", s->idx);
            o += w > 0 ? (size_t)w : 0;
            if (o >= cap)
                o = cap - 1;
            continue;
        }
        for (k = 0; s->key[k] && o + 3 < cap; k++) {
            if (s->key[k] == '~' || s->key[k] == '/') {
                out[o++] = '~';
                out[o++] = s->key[k] == '~' ? '0' : '1';
            } else {
                out[o++] = s->key[k];
            }
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

static int fail(struct ctx *c, int code, const char *reason)
{
    char field[SL_ERR_FIELD_MAX];

    path_str(c, field, sizeof(field));
    return sl_err_set(c->err, code, field, "%s", reason);
}

static int fail_key(struct ctx *c, const char *key, int code, const char *reason)
{
    int rc;

    push_key(c, key);
    rc = fail(c, code, reason);
    pop(c);
    return rc;
}

/* ==== pass 1: characters ====================================================================== */

/* The class of code point cp (prev: the code point before it), or -1 for ordinary text.
 * Decisions: \t \n \r are text (CRLF is common in pasted text). ZWJ (U+200D) is kept after emoji
 * and Indic letters, ZWNJ (U+200C) after Arabic/Persian and Indic letters, where they are part of
 * correct spelling; elsewhere they are invisible carriers. U+200E/U+200F (LRM/RLM) count as bidi.
 * Variation selectors U+FE00..U+FE0F stay (emoji), the supplement U+E0100..U+E01EF is invisible
 * (it is used to smuggle bytes). Tag characters are stripped even inside flag emoji sequences. */
static int char_class(uint32_t cp, uint32_t prev)
{
    bool indic = prev >= 0x0900 && prev <= 0x0DFF;

    if (cp < 0x20)
        return (cp == '\t' || cp == '\n' || cp == '\r') ? -1 : SL_SAN_CONTROL;
    if (cp < 0x7F)
        return -1;
    if (cp <= 0x9F)
        return SL_SAN_CONTROL;
    if (cp < 0xAD)
        return -1;
    if (cp == 0xAD || cp == 0x34F || cp == 0x115F || cp == 0x1160 || cp == 0x17B4 ||
        cp == 0x17B5 || cp == 0x180E || cp == 0x200B || (cp >= 0x2060 && cp <= 0x2064) ||
        cp == 0x3164 || cp == 0xFEFF || cp == 0xFFA0 || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
        (cp >= 0xE0100 && cp <= 0xE01EF))
        return SL_SAN_INVISIBLE;
    if (cp == 0x200C)
        return ((prev >= 0x0600 && prev <= 0x06FF) || (prev >= 0xFB50 && prev <= 0xFDFF) ||
                indic) ? -1 : SL_SAN_INVISIBLE;
    if (cp == 0x200D)
        return (prev >= 0x1F000 || (prev >= 0x2600 && prev <= 0x27BF) || prev == 0xFE0F ||
                indic) ? -1 : SL_SAN_INVISIBLE;
    if (cp == 0x200E || cp == 0x200F || cp == 0x061C || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return SL_SAN_BIDI;
    if (cp >= 0xE0000 && cp <= 0xE007F)
        return SL_SAN_TAG;
    return -1;
}

/* Eight ASCII bytes that are all 0x20..0x7E: nothing for pass 1 to do. */
static bool plain8(const unsigned char *p)
{
    uint64_t w, lo, del;

    memcpy(&w, p, 8);
    lo = (w - 0x2020202020202020ULL) & ~w;         /* high bit where a byte < 0x20 */
    del = ((w ^ 0x7F7F7F7F7F7F7F7FULL) - 0x0101010101010101ULL) & ~(w ^ 0x7F7F7F7F7F7F7F7FULL);
    return !((w | lo | del) & 0x8080808080808080ULL);
}

static int clean_chars(struct ctx *c, const char *s, size_t n, struct lw *w)
{
    static const char *const reject_reason[] = {
        "text.control: text contains a control character",
        "text.invisible: text contains an invisible character",
        "text.bidi: text contains a bidirectional control character",
        "text.tag: text contains Unicode tag characters",
    };
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp, prev = 0;
    size_t i = 0;
    int rc;

    while (i < n) {
        int l, cls;

        if (n - i >= 8 && plain8(u + i)) {
            i += 8;
            prev = 'a';
            continue;
        }
        l = sl_utf8_decode(u + i, n - i, &cp);
        if (l < 0)
            return fail(c, SL_EUTF8, "utf8: text is not valid UTF-8");
        cls = char_class(cp, prev);
        prev = cp;
        if (cls < 0) {
            i += (size_t)l;
            continue;
        }
        c->st->n[cls]++;
        switch (c->p->action[cls]) {
        case SL_SAN_KEEP:
            break;
        case SL_SAN_REJECT:
            return fail(c, SL_EPOLICY, reject_reason[cls]);
        case SL_SAN_STRIP:
            if ((rc = lw_cut(w, i, i + (size_t)l, NULL, 0)))
                return rc;
            break;
        case SL_SAN_ESCAPE: {
            char rep[16];
            int rn = snprintf(rep, sizeof(rep), "[U+%04X]", (unsigned)cp);

            if ((rc = lw_cut(w, i, i + (size_t)l, rep, (size_t)rn)))
                return rc;
            break;
        }
        }
        i += (size_t)l;
    }
    return lw_end(w, n);
}

/* ==== pass 2: markup ========================================================================== */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

/* "<script" or "<style" (any case) followed by a delimiter: returns the name's length. */
static size_t block_open(const char *t, size_t n, size_t i, const char **name)
{
    static const char *const names[] = {"script", "style"};
    size_t k;

    for (k = 0; k < 2; k++) {
        size_t e = i + 1 + strlen(names[k]);

        if (ci_prefix(t, n, i + 1, names[k]) && (e >= n || is_space(t[e]) || t[e] == '>' ||
                                                  t[e] == '/')) {
            *name = names[k];
            return strlen(names[k]);
        }
    }
    return 0;
}

/* End of a <script>/<style> block that opens at i: past "</name...>", or n if unterminated. */
static size_t block_end(const char *t, size_t n, size_t i, const char *name)
{
    size_t j, nl = strlen(name);

    for (j = i + 1 + nl; j + 1 < n; j++) {
        if (t[j] == '<' && t[j + 1] == '/' && ci_prefix(t, n, j + 2, name)) {
            const char *gt = memchr(t + j + 2 + nl, '>', n - (j + 2 + nl));
            return gt ? (size_t)(gt - t) + 1 : n;
        }
    }
    return n;
}

/* Decode one character of a URL scheme at t[i]: a literal byte or an HTML character reference
 * (&#106; &#x6A; &colon; &Tab; &NewLine;). Returns the bytes consumed (0 at the end). */
static size_t ref_char(const char *t, size_t n, size_t i, unsigned *ch)
{
    size_t j;
    unsigned v = 0;
    bool hex;

    if (i >= n)
        return 0;
    if (t[i] != '&') {
        *ch = lower((unsigned char)t[i]);
        return 1;
    }
    if (ci_prefix(t, n, i, "&colon;")) {
        *ch = ':';
        return 7;
    }
    if (ci_prefix(t, n, i, "&tab;")) {
        *ch = '\t';
        return 5;
    }
    if (ci_prefix(t, n, i, "&newline;")) {
        *ch = '\n';
        return 9;
    }
    if (i + 2 >= n || t[i + 1] != '#') {
        *ch = '&';
        return 1;
    }
    hex = t[i + 2] == 'x' || t[i + 2] == 'X';
    for (j = i + 2 + hex; j < n && j < i + 12; j++) {
        unsigned char d = (unsigned char)lower((unsigned char)t[j]);

        if (d >= '0' && d <= '9')
            v = v * (hex ? 16 : 10) + (d - '0');
        else if (hex && d >= 'a' && d <= 'f')
            v = v * 16 + (d - 'a' + 10);
        else
            break;
    }
    if (j == i + 2 + hex) {
        *ch = '&';
        return 1;
    }
    if (j < n && t[j] == ';')
        j++;
    *ch = v < 0x80 ? lower((unsigned char)v) : 0xFFFF;
    return j - i;
}

/* "javascript:" or "vbscript:" at i, letters possibly split by tab/newline or written as
 * character references. Returns the end (past the colon) or 0. */
static size_t scheme_at(const char *t, size_t n, size_t i)
{
    static const char *const schemes[] = {"javascript", "vbscript"};
    size_t k;

    if (i > 0 && is_alnum((unsigned char)t[i - 1]))
        return 0;
    for (k = 0; k < 2; k++) {
        const char *s = schemes[k];
        size_t j = i, q = 0, l;
        unsigned ch = 0;

        while (s[q]) {
            l = ref_char(t, n, j, &ch);
            if (!l)
                break;
            if (q > 0 && (ch == '\t' || ch == '\n' || ch == '\r')) {
                j += l;
                continue;
            }
            if (ch != (unsigned char)s[q])
                break;
            j += l;
            q++;
        }
        if (s[q])
            continue;
        while ((l = ref_char(t, n, j, &ch)) && (ch == '\t' || ch == '\n' || ch == '\r'))
            j += l;
        if (l && ch == ':')
            return j + l;
    }
    return 0;
}

/* The next on*= event-handler attribute in the tag body t[i..end). Sets [*hs,*he) (from the space
 * before the name to the end of the value) and returns true, or returns false. Sets *tag_end to
 * the tag's '>' (quote-aware) or n when it has none. */
static bool next_handler(const char *t, size_t n, size_t i, size_t *hs, size_t *he, size_t *tag_end)
{
    while (i < n && t[i] != '>') {
        size_t ws = i, ns, ne;

        while (i < n && (is_space(t[i]) || t[i] == '/'))
            i++;
        ns = i;
        while (i < n && !is_space(t[i]) && t[i] != '/' && t[i] != '>' && t[i] != '=')
            i++;
        ne = i;
        while (i < n && is_space(t[i]))
            i++;
        if (i < n && t[i] == '=') {
            i++;
            while (i < n && is_space(t[i]))
                i++;
            if (i < n && (t[i] == '"' || t[i] == '\'')) {
                const char *q = memchr(t + i + 1, t[i], n - i - 1);
                i = q ? (size_t)(q - t) + 1 : n;
            } else {
                while (i < n && !is_space(t[i]) && t[i] != '>')
                    i++;
            }
            if (ne - ns >= 5 && lower((unsigned char)t[ns]) == 'o' &&
                lower((unsigned char)t[ns + 1]) == 'n') {
                size_t k;

                for (k = ns + 2; k < ne && ((t[k] | 0x20) >= 'a' && (t[k] | 0x20) <= 'z'); k++)
                    ;
                if (k == ne) {
                    *hs = ws;
                    *he = i;
                    return true;
                }
            }
        }
        if (i == ws) /* nothing consumed: a stray '=' or similar */
            i++;
    }
    *tag_end = i;
    return false;
}

static int escape_html(struct sl_buf *b, const char *s, size_t n)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < n && !rc; i++) {
        switch (s[i]) {
        case '<': rc = sl_buf_append(b, "&lt;", 4); break;
        case '>': rc = sl_buf_append(b, "&gt;", 4); break;
        case '&': rc = sl_buf_append(b, "&amp;", 5); break;
        case '"': rc = sl_buf_append(b, "&quot;", 6); break;
        default: rc = sl_buf_append(b, s + i, 1);
        }
    }
    return rc;
}

/* Apply the markup action to the construct t[from..to). */
static int markup_hit(struct ctx *c, struct lw *w, const char *t, size_t from, size_t to,
                      bool remove_only)
{
    int rc;

    c->st->n[SL_SAN_MARKUP]++;
    switch (c->p->action[SL_SAN_MARKUP]) {
    case SL_SAN_KEEP:
        return 0;
    case SL_SAN_REJECT:
        return fail(c, SL_EPOLICY, "text.markup: text contains active markup");
    case SL_SAN_ESCAPE:
        if (!remove_only) {
            if ((rc = lw_cut(w, from, from, NULL, 0)))
                return rc;
            if ((rc = escape_html(w->out, t + from, to - from)))
                return rc;
            w->run = to;
            return 0;
        }
        /* An escaped handler or scheme would still run once the text is unescaped: remove it. */
        /* fall through */
    case SL_SAN_STRIP:
        return lw_cut(w, from, to, NULL, 0);
    }
    return 0;
}

static int clean_markup(struct ctx *c, const char *t, size_t n, struct lw *w)
{
    size_t i = 0, tag_end = 0, hs = 0, he = 0, e;
    bool in_tag = false, have_h = false;
    const char *name;
    int rc;

    while (i < n) {
        unsigned char ch = (unsigned char)t[i];

        if (!in_tag && !(CT[ch] & CT_MARKUP)) { /* the common case: plain text */
            i++;
            continue;
        }
        if (in_tag && i >= tag_end)
            in_tag = false;
        if (in_tag && have_h && i == hs) {
            if ((rc = markup_hit(c, w, t, hs, he, true)))
                return rc;
            i = he;
            have_h = next_handler(t, n, i, &hs, &he, &tag_end);
            continue;
        }
        if (ch == '<' && i + 1 < n) {
            /* a block is removed even inside something tag-like ("<scr<script>ipt>") */
            if (block_open(t, n, i, &name)) {
                e = block_end(t, n, i, name);
                if ((rc = markup_hit(c, w, t, i, e, false)))
                    return rc;
                i = e;
                in_tag = false;
                continue;
            }
            if (!in_tag && (t[i + 1] | 0x20) >= 'a' && (t[i + 1] | 0x20) <= 'z') {
                for (e = i + 1; e < n && !is_space(t[e]) && t[e] != '>' && t[e] != '/' &&
                                t[e] != '<';
                     e++)
                    ;
                in_tag = true;
                tag_end = n;
                have_h = next_handler(t, n, e, &hs, &he, &tag_end);
                i = e;
                continue;
            }
        }
        if (!(CT[ch] & CT_MARKUP)) {
            i++;
            continue;
        }
        if (((ch | 0x20) == 'j' || (ch | 0x20) == 'v' || ch == '&') &&
            (i == 0 || !is_alnum((unsigned char)t[i - 1]))) {
            e = scheme_at(t, n, i);
            /* Outside tags only a scheme glued to what follows is a URL ("JavaScript: the good
             * parts" is prose). */
            if (e && (in_tag || (e < n && !is_space(t[e])))) {
                if ((rc = markup_hit(c, w, t, i, e, true)))
                    return rc;
                i = e;
                continue;
            }
        }
        i++;
    }
    return lw_end(w, n);
}

/* Every construct pass 2 removes needs a '<' (blocks, handlers), a ':' or an '&' (a scheme, its
 * colon possibly written as a reference): without them the pass is skipped (memchr is SIMD). */
static bool may_have_markup(const char *t, size_t n)
{
    return memchr(t, '<', n) || memchr(t, ':', n) || memchr(t, '&', n);
}

/* ==== one string: passes 1-3 ================================================================== */

static bool is_ascii(const char *t, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if ((unsigned char)t[i] >= 0x80)
            return false;
    return true;
}

static int clean_string(struct ctx *c, json_t *v, bool inj)
{
    const struct sl_policy *p = c->p;
    const char *t = json_string_value(v);
    size_t n = json_string_length(v);
    struct lw w1 = {t, 0, &c->b1, false}, w2;
    const char *hit = NULL;
    uint32_t before[SL_SAN__COUNT];
    bool changed = false;
    int rc, pass;

    c->text_bytes += n;
    if (c->text_bytes > p->max_job_bytes)
        return fail(c, SL_ETOOBIG, "size.job: text in the job larger than the policy allows");
    if (c->memo && c->memo->has(c->memo->ud, t, n, inj))
        return 0; /* left alone before, with nothing counted: the passes below would agree */
    memcpy(before, c->st->n, sizeof(before));
    if ((rc = clean_chars(c, t, n, &w1)))
        return rc;
    if (w1.on) {
        t = c->b1.p;
        n = c->b1.len;
        changed = true;
    }
    /* Removing a construct can join its neighbours into a new one ("<img <script></script>
     * onerror=..>"), so the markup pass repeats until nothing changes, writing alternately into
     * b2 and b1 (the buffer it does not read). Text that still holds markup after four passes is
     * refused. */
    for (pass = 0; may_have_markup(t, n); pass++) {
        struct sl_buf *out = pass % 2 ? &c->b1 : &c->b2;

        if (pass == MARKUP_PASSES)
            return fail(c, SL_EPOLICY, "text.markup: markup nested too deeply to clean");
        w2 = (struct lw){t, 0, out, false};
        if ((rc = clean_markup(c, t, n, &w2)))
            return rc;
        if (!w2.on)
            break;
        t = out->p;
        n = out->len;
        changed = true;
    }
    if (p->nfc && !is_ascii(t, n)) {
        /* NFC after cleaning (a stripped character can sit between a base and its combining
         * mark); utf8proc does the Unicode work, pure ASCII is already NFC. */
        utf8proc_uint8_t *nf = NULL;
        utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)t, (utf8proc_ssize_t)n, &nf,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        struct sl_buf *out = t == c->b1.p ? &c->b2 : &c->b1;

        if (m < 0)
            return fail(c, SL_EUTF8, "utf8: text cannot be normalized");
        if ((size_t)m != n || memcmp(nf, t, n)) {
            sl_buf_reset(out);
            if (sl_buf_append(out, nf, (size_t)m)) {
                free(nf);
                return fail(c, -ENOMEM, "internal: out of memory");
            }
            t = out->p;
            n = out->len;
            changed = true;
        }
        free(nf);
    }
    if (inj && p->injection != SL_INJ_OFF && (hit = scan_injection(p, t, n, 0))) {
        c->st->n[SL_SAN_INJECTION]++;
        c->st->injection_flagged = true;
        if (p->injection == SL_INJ_REJECT)
            return fail(c, SL_EPOLICY, "injection: text looks like a prompt-injection attempt");
    }
    if (changed && json_string_setn(v, t, n))
        return fail(c, -ENOMEM, "internal: out of memory");
    if (changed)
        c->st->modified = true;
    else if (c->memo && !hit && !memcmp(before, c->st->n, sizeof(before)))
        c->memo->put(c->memo->ud, t, n, inj);
    return 0;
}

/* ==== the generic walk: depth, numbers, strings ============================================== */

static bool is_privileged(json_t *obj)
{
    const char *r = json_string_value(json_object_get(obj, "role"));

    return r && (strcmp(r, "system") == 0 || strcmp(r, "developer") == 0);
}

/* level: nesting of v counted from the body (the body itself is level 1). inj: scan strings for
 * injection (off under system/developer messages and the Responses "instructions": those are the
 * operator's own words). */
static int walk(struct ctx *c, json_t *v, uint64_t level, bool inj)
{
    const char *k;
    json_t *x;
    size_t i;
    int rc;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (level > c->p->max_depth)
            return fail(c, SL_ESCHEMA, "schema.depth: body nested deeper than the policy allows");
        if (json_is_array(v)) {
            json_array_foreach(v, i, x)
            {
                push_idx(c, i);
                rc = walk(c, x, level + 1, inj);
                pop(c);
                if (rc)
                    return rc;
            }
            return 0;
        }
        if (is_privileged(v))
            inj = false;
        json_object_foreach(v, k, x)
        {
            push_key(c, k);
            rc = walk(c, x, level + 1, inj && (k[0] != 'i' || strcmp(k, "instructions") != 0));
            pop(c);
            if (rc)
                return rc;
        }
        return 0;
    case JSON_STRING:
        return clean_string(c, v, inj);
    case JSON_INTEGER:
        if (json_integer_value(v) > INT_LIMIT || json_integer_value(v) < -INT_LIMIT)
            return fail(c, SL_ESCHEMA, "schema.number: integer out of the supported range");
        return 0;
    case JSON_REAL:
        if (!isfinite(json_real_value(v)) || fabs(json_real_value(v)) > REAL_LIMIT)
            return fail(c, SL_ESCHEMA, "schema.number: number out of the supported range");
        return 0;
    default:
        return 0;
    }
}

/* ==== top level: custom_id, method, url ======================================================= */

enum ep { EP_CHAT, EP_EMBED, EP_COMPL, EP_RESP, EP_MOD, EP_OTHER };

static int check_custom_id(struct ctx *c, json_t *v)
{
    const unsigned char *s;
    size_t n, i = 0;
    uint32_t cp, prev = 0;

    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail_key(c, "custom_id", SL_ESCHEMA,
                        "schema.custom_id: custom_id must be a non-empty string");
    s = (const unsigned char *)json_string_value(v);
    n = json_string_length(v);
    if (n > c->p->max_custom_id_bytes)
        return fail_key(c, "custom_id", SL_ETOOBIG,
                        "size.custom_id: custom_id longer than the policy allows");
    while (i < n) {
        int l = sl_utf8_decode(s + i, n - i, &cp);

        if (l < 0)
            return fail_key(c, "custom_id", SL_EUTF8, "utf8: custom_id is not valid UTF-8");
        if (cp < 0x20 || char_class(cp, prev) >= 0)
            return fail_key(c, "custom_id", SL_ESCHEMA,
                            "schema.custom_id: custom_id contains control or invisible characters");
        prev = cp;
        i += (size_t)l;
    }
    return 0;
}

static bool azure_path(const char *u, size_t n, enum ep *ep)
{
    static const char pre[] = "/openai/deployments/";
    size_t i = sizeof(pre) - 1, s, rest;
    const char *q;

    if (n <= i || memcmp(u, pre, i) != 0)
        return false;
    if (!is_alnum((unsigned char)u[i]))
        return false;
    for (s = i; i < n && i - s < 64 && (is_alnum((unsigned char)u[i]) || u[i] == '-' ||
                                         u[i] == '_' || u[i] == '.');
         i++)
        ;
    if (i == s || i >= n || u[i] != '/')
        return false;
    q = memchr(u + i, '?', n - i);
    rest = q ? (size_t)(q - (u + i)) : n - i;
    if (rest == strlen("/chat/completions") && memcmp(u + i, "/chat/completions", rest) == 0)
        *ep = EP_CHAT;
    else if (rest == strlen("/embeddings") && memcmp(u + i, "/embeddings", rest) == 0)
        *ep = EP_EMBED;
    else
        return false;
    if (!q)
        return true;
    /* only "?api-version=<letters, digits, '-', '.'>" */
    if (strncmp(q, "?api-version=", 13) != 0 || q + 13 == u + n)
        return false;
    for (q += 13; q < u + n; q++)
        if (!is_alnum((unsigned char)*q) && *q != '-' && *q != '.')
            return false;
    return true;
}

static int check_url(struct ctx *c, json_t *v, enum ep *ep)
{
    static const char *const known[] = {"/v1/chat/completions", "/v1/embeddings",
                                        "/v1/completions", "/v1/responses", "/v1/moderations"};
    const char *u = json_string_value(v);
    size_t n = json_string_length(v), k;

    if (!u || n == 0)
        return fail_key(c, "url", SL_ESCHEMA, "schema.url: url must be a non-empty string");
    if (c->p->azure && azure_path(u, n, ep))
        return 0;
    if (!sl_strlist_has(&c->p->endpoints, u, n) && !sl_strlist_has(&c->p->extra_endpoints, u, n))
        return fail_key(c, "url", SL_EPOLICY, "policy.url: endpoint not allowed by the policy");
    *ep = EP_OTHER;
    for (k = 0; k < 5; k++)
        if (strlen(known[k]) == n && memcmp(known[k], u, n) == 0)
            *ep = (enum ep)k;
    return 0;
}

#define KEY_IS(k, kl, lit) ((kl) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

/* k (as a C string) is custom_id, method, url or body. */
static bool known_top_key(const char *k)
{
    switch (k[0]) {
    case 'c':
        return strcmp(k, "custom_id") == 0;
    case 'm':
        return strcmp(k, "method") == 0;
    case 'u':
        return strcmp(k, "url") == 0;
    case 'b':
        return strcmp(k, "body") == 0;
    default:
        return false;
    }
}

static int check_top(struct ctx *c, json_t *job, enum ep *ep)
{
    json_t *v, *cid = NULL, *method = NULL;
    const char *k;
    size_t kl;
    int rc;

    if (!json_is_object(job))
        return fail(c, SL_ESCHEMA, "schema.job: a job must be a JSON object");
    /* One pass: the unknown-key check, and the four members (what json_object_get returns: the
     * key of exactly that length). */
    c->url = c->body = NULL;
    json_object_keylen_foreach(job, k, kl, v)
    {
        if (!c->p->allow_unknown_keys && !known_top_key(k))
            return fail_key(c, k, SL_ESCHEMA,
                            "schema.unknown_key: job has a field the policy does not allow");
        if (KEY_IS(k, kl, "custom_id"))
            cid = v;
        else if (KEY_IS(k, kl, "method"))
            method = v;
        else if (KEY_IS(k, kl, "url"))
            c->url = v;
        else if (KEY_IS(k, kl, "body"))
            c->body = v;
    }
    if ((rc = check_custom_id(c, cid)))
        return rc;
    v = method;
    if (!json_is_string(v))
        return fail_key(c, "method", SL_ESCHEMA, "schema.method: method must be a string");
    if (!sl_strlist_has(&c->p->methods, json_string_value(v), json_string_length(v)))
        return fail_key(c, "method", SL_EPOLICY, "policy.method: method not allowed by the policy");
    if ((rc = check_url(c, c->url, ep)))
        return rc;
    if (!json_is_object(c->body))
        return fail_key(c, "body", SL_ESCHEMA, "schema.body: body must be a JSON object");
    return 0;
}

/* ==== the body: fields, numbers and per-endpoint schema ====================================== */

static const char *const TOOL_FIELDS[] = {"tools", "functions", "tool_choice", "function_call",
                                          "parallel_tool_calls", NULL};

enum nkind { N_INT, N_NUM, N_BOOL };

struct numspec {
    const char *key;
    enum nkind kind;
    double lo, hi;
};

static const struct numspec NUMS[] = {
    {"temperature", N_NUM, 0, 2},          {"top_p", N_NUM, 0, 1},
    {"presence_penalty", N_NUM, -2, 2},    {"frequency_penalty", N_NUM, -2, 2},
    {"top_logprobs", N_INT, 0, 20},        {"seed", N_INT, -9.0e15, 9.0e15},
    {"logprobs", N_BOOL, 0, 0},            {"dimensions", N_INT, 1, 65536},
    {"store", N_BOOL, 0, 0},               {"parallel_tool_calls", N_BOOL, 0, 0},
};

static bool in_list(const char *const *l, const char *k)
{
    for (; *l; l++)
        if (**l == *k && strcmp(*l, k) == 0) /* the first byte first: one compare for most keys */
            return true;
    return false;
}

/* Drop the policy's drop_fields, refuse refuse_fields and (unless allowed) tool fields. */
static int check_fields(struct ctx *c, json_t *body)
{
    const char *k;
    json_t *v, *tmp;
    size_t i;

    for (i = 0; i < c->p->drop_fields.n; i++)
        if (!json_object_del(body, c->p->drop_fields.v[i])) /* absent is fine */
            c->st->modified = true;
    json_object_foreach_safe(body, tmp, k, v)
    {
        if (sl_strlist_has(&c->p->refuse_fields, k, strlen(k)) ||
            (!c->p->allow_tools && in_list(TOOL_FIELDS, k)))
            return fail_key(c, k, SL_EPOLICY, "policy.field: field not allowed by the policy");
    }
    return 0;
}

static int check_cap(struct ctx *c, enum bk k, uint64_t cap, const char *why)
{
    json_t *v = c->bv[k];
    const char *key = BK_KEYS[k].name;

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return fail_key(c, key, SL_ESCHEMA, "schema.number: must be a positive integer");
    if ((uint64_t)json_integer_value(v) > cap)
        return fail_key(c, key, SL_EPOLICY, why);
    return 0;
}

static int check_numbers(struct ctx *c)
{
    static const enum bk out_keys[] = {BK_MAX_TOKENS, BK_MAX_COMPLETION_TOKENS,
                                       BK_MAX_OUTPUT_TOKENS};
    size_t i;
    int rc;

    _Static_assert(sizeof(NUMS) / sizeof(NUMS[0]) == BK_PARALLEL_TOOL_CALLS - BK_TEMPERATURE + 1,
                   "NUMS[] and enum bk list the same keys");
    for (i = 0; i < 3; i++)
        if ((rc = check_cap(c, out_keys[i], c->p->max_output_tokens,
                            "policy.max_tokens: output token limit above the policy cap")))
            return rc;
    if ((rc = check_cap(c, BK_N, c->p->max_n,
                        "policy.n: more completions per request than the policy allows")) ||
        (rc = check_cap(c, BK_BEST_OF, c->p->max_n,
                        "policy.n: more completions per request than the policy allows")))
        return rc;
    for (i = 0; i < sizeof(NUMS) / sizeof(NUMS[0]); i++) {
        json_t *v = c->bv[BK_TEMPERATURE + i];
        bool ok;

        if (!v)
            continue;
        if (NUMS[i].kind == N_BOOL)
            ok = json_is_boolean(v);
        else if (NUMS[i].kind == N_INT)
            ok = json_is_integer(v) && (double)json_integer_value(v) >= NUMS[i].lo &&
                 (double)json_integer_value(v) <= NUMS[i].hi;
        else
            ok = json_is_number(v) && json_number_value(v) >= NUMS[i].lo &&
                 json_number_value(v) <= NUMS[i].hi;
        if (!ok)
            return fail_key(c, NUMS[i].key, SL_ESCHEMA,
                            "schema.number: value of the wrong type or out of range");
    }
    return 0;
}

static int check_model(struct ctx *c, bool required)
{
    json_t *m = c->bv[BK_MODEL];

    if (!m && !required)
        return 0;
    if (!json_is_string(m) || json_string_length(m) == 0 ||
        json_string_length(m) > NAME_MAX_BYTES)
        return fail_key(c, "model", SL_ESCHEMA, "schema.model: model must be a non-empty string");
    if (c->p->models.n && !sl_strlist_has(&c->p->models, json_string_value(m),
                                          json_string_length(m)))
        return fail_key(c, "model", SL_EPOLICY, "policy.model: model not allowed by the policy");
    return 0;
}

/* A content part {type: text, text} or {type: image_url, image_url} (chat), or input_text /
 * input_image (Responses-style parts are left to the walk). */
static int check_part(struct ctx *c, json_t *part)
{
    const char *type = json_string_value(json_object_get(part, "type"));
    json_t *img;

    if (!json_is_object(part) || !type)
        return fail(c, SL_ESCHEMA,
                    "schema.content_part: content part must be an object with a type");
    if (strcmp(type, "text") == 0) {
        if (!json_is_string(json_object_get(part, "text")))
            return fail_key(c, "text", SL_ESCHEMA, "schema.content_part: text part needs a string");
        return 0;
    }
    if (strcmp(type, "image_url") == 0 && c->p->allow_image_parts) {
        img = json_object_get(part, "image_url");
        if (json_is_object(img))
            img = json_object_get(img, "url");
        if (!json_is_string(img))
            return fail_key(c, "image_url", SL_ESCHEMA,
                            "schema.content_part: image part needs a url string");
        return 0;
    }
    return fail_key(c, "type", SL_EPOLICY,
                    "policy.content_part: content part type not allowed by the policy");
}

static const char *const MSG_KEYS[] = {"role", "content", "name", "tool_calls", "tool_call_id",
                                       "refusal", NULL};

/* Index of k in MSG_KEYS by strcmp (as in_list), or -1. */
static int msg_key(const char *k)
{
    int i;

    for (i = 0; MSG_KEYS[i]; i++)
        if (MSG_KEYS[i][0] == k[0] && strcmp(MSG_KEYS[i], k) == 0)
            return i;
    return -1;
}

static int check_message(struct ctx *c, json_t *m, size_t idx)
{
    const char *k, *role;
    json_t *v, *content = NULL, *role_v = NULL, *tool_calls = NULL, *name = NULL;
    size_t i, kl;
    int rc, mk;

    if (!json_is_object(m))
        return fail(c, SL_ESCHEMA, "schema.message: message must be an object");
    /* One pass: the key check, and the members read below (what json_object_get would return:
     * the key of exactly that length; members are unique). */
    json_object_keylen_foreach(m, k, kl, v)
    {
        if ((mk = msg_key(k)) < 0)
            return fail_key(c, k, SL_ESCHEMA, "schema.message: message has an unsupported field");
        if ((mk == 2 || mk == 4) && !json_is_string(v)) /* name, tool_call_id */
            return fail_key(c, k, SL_ESCHEMA, "schema.message: field must be a string");
        if (kl != strlen(MSG_KEYS[mk]))
            continue;
        if (mk == 0)
            role_v = v;
        else if (mk == 1)
            content = v;
        else if (mk == 2)
            name = v;
        else if (mk == 3)
            tool_calls = v;
    }
    if (idx < MSG_SEEN) {
        c->msg[idx].content = content;
        c->msg[idx].name = name;
        c->msg[idx].tool_calls = tool_calls;
    }
    role = json_string_value(role_v);
    if (!role)
        return fail_key(c, "role", SL_ESCHEMA, "schema.role: message role must be a string");
    if (!sl_strlist_has(&c->p->roles, role, strlen(role)))
        return fail_key(c, "role", SL_EPOLICY, "policy.role: role not allowed by the policy");
    if (tool_calls && !c->p->allow_tools)
        return fail_key(c, "tool_calls", SL_EPOLICY,
                        "policy.field: field not allowed by the policy");
    if (json_is_string(content))
        return 0;
    if (json_is_array(content) && json_array_size(content) > 0) {
        push_key(c, "content");
        json_array_foreach(content, i, v)
        {
            push_idx(c, i);
            rc = check_part(c, v);
            pop(c);
            if (rc)
                break;
        }
        pop(c);
        return rc;
    }
    if ((!content || json_is_null(content)) && c->p->allow_tools && json_is_array(tool_calls) &&
        strcmp(role, "assistant") == 0)
        return 0;
    return fail_key(c, "content", SL_ESCHEMA,
                    "schema.content: content must be a string or a non-empty array of parts");
}

static int check_chat(struct ctx *c, bool model_required)
{
    json_t *msgs = c->bv[BK_MESSAGES], *m;
    size_t i;
    int rc;

    if ((rc = check_model(c, model_required)))
        return rc;
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return fail_key(c, "messages", SL_ESCHEMA,
                        "schema.messages: messages must be a non-empty array");
    if (json_array_size(msgs) > c->p->max_messages)
        return fail_key(c, "messages", SL_ETOOBIG,
                        "size.messages: more messages than the policy allows");
    push_key(c, "messages");
    json_array_foreach(msgs, i, m)
    {
        push_idx(c, i);
        rc = check_message(c, m, i);
        pop(c);
        if (rc)
            break;
    }
    pop(c);
    return rc;
}

static bool all_of(json_t *a, json_type t)
{
    size_t i;
    json_t *x;

    json_array_foreach(a, i, x)
    {
        if (json_typeof(x) != t)
            return false;
    }
    return true;
}

static bool all_token_arrays(json_t *a)
{
    size_t i;
    json_t *x;

    json_array_foreach(a, i, x)
    {
        if (!json_is_array(x) || json_array_size(x) == 0 || !all_of(x, JSON_INTEGER))
            return false;
    }
    return true;
}

/* Embeddings input / completions prompt: a string, strings, a token array or token arrays.
 * Moderations input also takes an array of {type: text|image_url} objects. */
static int check_text_input(struct ctx *c, enum bk k, bool parts_ok)
{
    const char *key = BK_KEYS[k].name;
    json_t *v = c->bv[k], *x;
    size_t i;
    int rc = 0;

    if (json_is_string(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail_key(c, key, SL_ESCHEMA,
                        "schema.input: input must be a string or a non-empty array");
    if (json_array_size(v) > MAX_INPUTS)
        return fail_key(c, key, SL_ETOOBIG, "size.input: more inputs than one request may carry");
    if (all_of(v, JSON_STRING) || all_of(v, JSON_INTEGER) || all_token_arrays(v))
        return 0;
    if (!parts_ok || !all_of(v, JSON_OBJECT))
        return fail_key(c, key, SL_ESCHEMA,
                        "schema.input: input must be strings or token arrays of one kind");
    push_key(c, key);
    json_array_foreach(v, i, x)
    {
        push_idx(c, i);
        rc = check_part(c, x);
        pop(c);
        if (rc)
            break;
    }
    pop(c);
    return rc;
}

/* c->bv[k] = what json_object_get(body, BK_KEYS[k].name) returns (same key bytes and length;
 * members are unique). Called after check_fields, the only step that adds or removes members: the
 * walk rewrites strings in place, so bv[] stays valid through the estimate. */
static void index_body(struct ctx *c, json_t *body)
{
    const char *k;
    size_t kl, i;
    json_t *v;

    memset(c->bv, 0, sizeof(c->bv));
    json_object_keylen_foreach(body, k, kl, v)
    {
        for (i = 0; i < BK__COUNT; i++)
            if (BK_KEYS[i].len == kl && BK_KEYS[i].name[0] == k[0] &&
                memcmp(BK_KEYS[i].name, k, kl) == 0) {
                c->bv[i] = v;
                break;
            }
    }
}

static int check_body(struct ctx *c, json_t *body, enum ep ep, bool azure)
{
    int rc;

    if ((rc = check_fields(c, body)))
        return rc;
    index_body(c, body);
    if ((rc = check_numbers(c)))
        return rc;
    switch (ep) {
    case EP_CHAT:
        return check_chat(c, !azure);
    case EP_EMBED:
        if ((rc = check_model(c, !azure)))
            return rc;
        return check_text_input(c, BK_INPUT, false);
    case EP_COMPL:
        if ((rc = check_model(c, true)))
            return rc;
        return check_text_input(c, BK_PROMPT, false);
    case EP_RESP: {
        json_t *in = c->bv[BK_INPUT];

        if ((rc = check_model(c, true)))
            return rc;
        if (!json_is_string(in) && !(json_is_array(in) && json_array_size(in) > 0 &&
                                     all_of(in, JSON_OBJECT)))
            return fail_key(c, "input", SL_ESCHEMA,
                            "schema.input: input must be a string or a non-empty array of items");
        return 0;
    }
    case EP_MOD:
        if ((rc = check_model(c, false)))
            return rc;
        return check_text_input(c, BK_INPUT, true);
    case EP_OTHER:
        return check_model(c, false);
    }
    return 0;
}

/* ==== caps on the cleaned text and the token estimate ======================================== */

/* Tokens of every string (and every integer token id) under v. */
static uint64_t est_all(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    uint64_t t = 0;

    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return sl_tokens_estimate_text(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return 1;
    case JSON_ARRAY:
        json_array_foreach(v, i, x)
        t += est_all(x);
        return t;
    case JSON_OBJECT:
        json_object_foreach(v, k, x)
        t += est_all(x);
        return t;
    default:
        return 0;
    }
}

static uint64_t output_tokens(const struct ctx *c)
{
    static const enum bk keys[] = {BK_MAX_COMPLETION_TOKENS, BK_MAX_TOKENS,
                                   BK_MAX_OUTPUT_TOKENS};
    uint64_t out = c->p->default_max_tokens, n = 1;
    json_t *v;
    size_t i;

    for (i = 0; i < 3; i++)
        if (json_is_integer(v = c->bv[keys[i]])) {
            out = (uint64_t)json_integer_value(v);
            break;
        }
    if (json_is_integer(v = c->bv[BK_N]))
        n = (uint64_t)json_integer_value(v);
    if (json_is_integer(v = c->bv[BK_BEST_OF]) &&
        (uint64_t)json_integer_value(v) > n)
        n = (uint64_t)json_integer_value(v);
    return out * n;
}

static int chat_estimate(struct ctx *c, uint64_t *est)
{
    json_t *msgs = c->bv[BK_MESSAGES], *m, *part;
    uint64_t t = SL_TOKENS_PER_REPLY;
    size_t i, j;

    json_array_foreach(msgs, i, m)
    {
        /* check_message saw every message (chat_estimate runs only after it passed) */
        json_t *content = i < MSG_SEEN ? c->msg[i].content : json_object_get(m, "content");
        json_t *name = i < MSG_SEEN ? c->msg[i].name : json_object_get(m, "name");
        json_t *tool_calls = i < MSG_SEEN ? c->msg[i].tool_calls
                                          : json_object_get(m, "tool_calls");
        size_t chars = 0;

        t += SL_TOKENS_PER_MESSAGE;
        if (json_is_string(name))
            t += sl_tokens_estimate_text(json_string_value(name), json_string_length(name));
        if (json_is_string(content)) {
            t += sl_tokens_estimate_text(json_string_value(content), json_string_length(content));
            chars = sl_utf8_count(json_string_value(content), json_string_length(content));
        }
        json_array_foreach(content, j, part)
        {
            json_t *text = json_object_get(part, "text");

            if (json_is_string(text)) {
                t += sl_tokens_estimate_text(json_string_value(text), json_string_length(text));
                chars += sl_utf8_count(json_string_value(text), json_string_length(text));
            } else {
                t += SL_TOKENS_PER_IMAGE;
            }
        }
        if (json_is_array(tool_calls))
            t += est_all(tool_calls);
        if (chars > c->p->max_message_chars) {
            int rc;

            push_key(c, "messages");
            push_idx(c, i);
            rc = fail_key(c, "content", SL_ETOOBIG,
                          "size.message: message content longer than the policy allows");
            c->depth -= 2;
            return rc;
        }
    }
    if (json_is_array(c->bv[BK_TOOLS]))
        t += est_all(c->bv[BK_TOOLS]);
    *est = t + output_tokens(c);
    return 0;
}

static int estimate(struct ctx *c, json_t *body, enum ep ep, uint64_t *est)
{
    int rc;

    switch (ep) {
    case EP_CHAT:
        if ((rc = chat_estimate(c, est)))
            return rc;
        break;
    case EP_EMBED:
    case EP_MOD:
        *est = est_all(c->bv[BK_INPUT]);
        break;
    case EP_COMPL:
        *est = est_all(c->bv[BK_PROMPT]) + output_tokens(c);
        break;
    case EP_RESP: {
        json_t *in = c->bv[BK_INPUT];

        *est = est_all(in) + est_all(c->bv[BK_INSTRUCTIONS]) + SL_TOKENS_PER_REPLY +
               output_tokens(c);
        if (json_is_array(in))
            *est += SL_TOKENS_PER_MESSAGE * json_array_size(in);
        break;
    }
    case EP_OTHER:
        *est = est_all(body) + output_tokens(c);
        break;
    }
    if (*est > c->p->max_est_tokens)
        return fail(c, SL_ETOOBIG, "size.tokens: estimated tokens above the policy cap");
    return 0;
}

/* ==== entry points ============================================================================ */

int sl_sanitize_job(const struct sl_policy *p, json_t *job, struct sl_san_stats *st,
                    uint64_t *est_tokens, struct sl_err *err)
{
    return sl_sanitize_job_memo(p, job, st, est_tokens, err, NULL);
}

int sl_sanitize_job_memo(const struct sl_policy *p, json_t *job, struct sl_san_stats *st,
                         uint64_t *est_tokens, struct sl_err *err, const struct sl_san_memo *memo)
{
    struct ctx ctx, *c = &ctx; /* ~1.6 KB of stack: no allocation for a clean job */
    enum ep ep = EP_OTHER;
    json_t *body;
    bool azure;
    int rc;

    sl_err_clear(err);
    memset(st, 0, sizeof(*st));
    *est_tokens = 0;
    c->p = p;
    c->st = st;
    c->err = err;
    c->memo = memo;
    c->text_bytes = 0;
    c->depth = 0;
    sl_buf_init(&c->b1, 0);
    sl_buf_init(&c->b2, 0);
    if ((rc = check_top(c, job, &ep)))
        goto out;
    body = c->body;
    azure = strncmp(json_string_value(c->url), "/openai/", 8) == 0;
    push_key(c, "body");
    if (!(rc = check_body(c, body, ep, azure)) && !(rc = walk(c, body, 1, true)))
        rc = estimate(c, body, ep, est_tokens);
    pop(c);
out:
    sl_buf_free(&c->b1);
    sl_buf_free(&c->b2);
    if (rc) {
        memset(st, 0, sizeof(*st)); /* a refused job changed nothing that will be sent */
        *est_tokens = 0;
    }
    return rc;
}

int sl_sanitize_utf8(const struct sl_policy *p, const char *line, size_t len, struct sl_buf *out,
                     struct sl_err *err)
{
    size_t bad = 0;
    int rc;

    if (sl_utf8_valid(line, len, &bad))
        return 0;
    if (!p->utf8_replace)
        return sl_err_set(err, SL_EUTF8, "", "utf8: invalid UTF-8 at byte %zu", bad);
    if ((rc = sl_utf8_repair(line, len, out)))
        return sl_err_set(err, rc, "", "internal: could not repair invalid UTF-8");
    return 1;
}
