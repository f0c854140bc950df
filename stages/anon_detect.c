/* anon_detect.c: trigger patterns and the C detectors/validators behind them (anonymize stage).
 *
 * Pure code on one buffer; the state is the caller's struct anon_ctx (one per thread). Every reader
 * is bounds-checked against c->n, so any bytes (invalid UTF-8, NULs) are safe: a NUL or a stray byte
 * simply ends a token. Rules come from formats (Luhn, ISO 13616 IBAN lengths and mod-97, E.164 and
 * national trunk prefixes, SSA SSN rules, RFC 4291 IPv6 text, RFC 3986 userinfo, providers' documented
 * key prefixes) and from general language cues in en/de/fr/es/pt/it/nl/pl/sv/ru/ar/he/zh/ja; never from
 * sample values.
 *
 * Why triggers + C instead of full regexes with start-of-match: SOM_LEFTMOST and long bounded repeats
 * make Vectorscan slow and big; the triggers here are tiny and literal-rich, so clean text runs at
 * the scanner's literal speed and the C parsers only see real candidates.
 */
#include "anon_detect.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
/* SIMD: SSE2 (every x86-64) and AVX2 (chosen at run time). -DSL_NO_SIMD builds the portable byte
 * loops that other CPUs run instead, so that the test suite checks them on x86 too. */
#if defined(__SSE2__) && !defined(SL_NO_SIMD)
#define SL_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SL_NO_SIMD)
#define SL_X86_AVX2 1
#include <immintrin.h>
#endif

#include <hs/hs.h>

#include "anonymize.h"

enum {
    AH_EMAIL,
    AH_DIGIT,
    AH_IBAN,
    AH_IPV6,
    AH_URL,
    AH_PREFIX, /* provider key prefixes; arg indexes prefix_rules */
    AH_AWS_ID,
    AH_JWT,
    AH_PEM,
    AH_ASSIGN,
    AH_BEARER,
    AH_PERSON, /* arg: person cue kind */
    AH_ADDR_LABEL,
    AH_ADDR_STREET,
    AH_DOB,
    AH_SSN_CUE,
    AH_ADDR_POSTCODE,
    AH_LABEL_SPACE, /* "[ \t][:=|\t]": a PERSON form label before the space? */
    AH_TABLE, /* a name column's header cell in a CSV/TSV/markdown table */
    AH_TELEGRAM,
    AH_CLI, /* a client that takes a password as -p<value> (mysql) or -p <value> (sshpass); arg: CLI_* */
    AH_VENDOR, /* more providers' prefixes in one pattern; det_vendor tells them apart by the bytes */
};

enum { PC_NEXT, PC_LINE_AFTER, PC_CHAT, PC_QUOTE_ON, PC_CJK, PC_GREETING, PC_ARABIC, PC_HEBREW, PC_HAN, PC_JA,
       PC_JA_BEFORE, PC_KO, PC_HAN_SURNAME, PC_KO_SURNAME, PC_VCARD, PC_ROLE, PC_UPPER, PC_DE_VERB, PC_ROWCELL,
       PC_BEFORE_MAIL, PC_DEVA, PC_THAI, PC_HONORIFIC };

/* det_assign variants: a plain assignment, a prose form ("password is ...") whose value must not be
 * a plain word, or a key that only names a secret when its value looks like one ("signing_key",
 * "masterKey", "session", "Signature": AS_TOKEN, see token_like). */
enum { AS_PLAIN, AS_PROSE, AS_TOKEN };

/* AH_EMAIL variants: '@', "%40" (URL-encoded), "[at]"/"(at)"/"{at}" (written out to dodge harvesters). */
enum { EM_AT, EM_PCT40, EM_OBFUSCATED };

/* det_cli: MySQL/MariaDB clients take the password glued to -p ("-p secret" prompts, and "secret" is
 * the database); sshpass takes it glued or as the next word. */
enum { CLI_MYSQL, CLI_SSHPASS };

/* Body charsets for the prefix rules. */
enum { CS_ALNUM, CS_ALNUM_US, CS_ALNUM_US_DASH, CS_ALNUM_DASH, CS_ALNUM_SLASH, CS_ALNUM_US_DASH_DOT,
       CS_ALNUM_US_DASH_EQ, CS_B64 /* base64 and base64url: + / = _ - */ };

/* A prefix_rule's plen for triggers of several prefix lengths: the prefix is the letters before its
 * last byte. */
#define PLEN_LETTERS 0xFF

struct prefix_rule {
    unsigned char plen;   /* length of the literal prefix the trigger ends with, or PLEN_LETTERS */
    unsigned char cs;     /* body charset */
    unsigned char minlen; /* minimum body length */
};

static const struct prefix_rule prefix_rules[] = {
    {3, CS_ALNUM_US_DASH, 20}, /* 0 OpenAI sk-, sk-proj-, Anthropic sk-ant- */
    {4, CS_ALNUM, 30},         /* 1 GitHub ghp_ gho_ ghu_ ghs_ ghr_ */
    {11, CS_ALNUM_US, 22},     /* 2 github_pat_ */
    {5, CS_ALNUM_DASH, 10},    /* 3 Slack xoxb- ... */
    {8, CS_ALNUM, 10},         /* 4 Stripe sk_live_ rk_live_ pk_live_ sk_test_ ... */
    {4, CS_ALNUM_US_DASH, 30}, /* 5 Google AIza */
    {0, CS_ALNUM_SLASH, 20},   /* 6 Slack incoming-webhook path after hooks.slack.com/services/ */
    {PLEN_LETTERS, CS_ALNUM_US_DASH, 20}, /* 7 GitLab glpat- glptt- glcbt- gldt- glrt- ... (GitLab's token prefixes) */
    {4, CS_ALNUM, 36},         /* 8 npm npm_ */
    {5, CS_ALNUM_US_DASH, 50}, /* 9 PyPI pypi- (a macaroon) */
    {3, CS_ALNUM, 30},         /* 10 Hugging Face hf_ */
    {6, CS_ALNUM, 32},         /* 11 Shopify shpat_ shpss_ shpca_ shppa_ */
    {7, CS_ALNUM, 64},         /* 12 DigitalOcean dop_v1_ doo_v1_ dor_v1_ */
    /* More providers' documented token prefixes (each vendor's docs or secret-scanning partner
     * formats): */
    {3, CS_ALNUM_US_DASH_DOT, 60}, /* 13 SendGrid SG.<22>.<43> */
    {9, CS_ALNUM_US_DASH, 20},     /* 14 Docker Hub dckr_pat_ */
    {4, CS_ALNUM_US_DASH, 24},     /* 15 HashiCorp Vault hvs. hvb. hvr. */
    {16, CS_ALNUM, 50},            /* 16 age AGE-SECRET-KEY-1 */
    {8, CS_ALNUM, 30},             /* 17 Linear lin_api_ */
    {6, CS_ALNUM, 24},             /* 18 Stripe webhook secret whsec_ */
    {7, CS_ALNUM_US_DASH, 20},     /* 19 Square sq0atp- sq0csp- */
    {5, CS_ALNUM_DASH, 50},        /* 20 Postman PMAK- */
    {5, CS_ALNUM_US, 30},          /* 21 Grafana service account glsa_ */
    {4, CS_ALNUM_US, 30},          /* 22 Grafana Cloud glc_ */
    {4, CS_ALNUM, 32},             /* 23 Databricks dapi */
    {4, CS_ALNUM, 60},             /* 24 xAI xai- */
    {4, CS_ALNUM, 40},             /* 25 Groq gsk_ */
    {6, CS_ALNUM_US_DASH_EQ, 100}, /* 26 Atlassian ATATT3 */
    {3, CS_ALNUM, 30},             /* 27 Replicate r8_ */
    {5, CS_ALNUM, 40},             /* 28 Perplexity pplx- */
    {5, CS_ALNUM_US_DASH, 30},     /* 29 Google OAuth access token ya29. */
    {7, CS_ALNUM_US_DASH, 24},     /* 30 Google OAuth client secret GOCSPX- */
    {9, CS_ALNUM, 40},             /* 31 RubyGems rubygems_ */
    {6, CS_ALNUM, 40},             /* 32 Doppler dp.pt. dp.st. dp.ct. dp.sa. */
    {4, CS_ALNUM_US_DASH, 40},     /* 33 Fly.io fo1_ */
    {4, CS_ALNUM, 40},             /* 34 Supabase sbp_ */
    {4, CS_ALNUM, 40},             /* 35 Pulumi pul- */
    {4, CS_ALNUM, 40},             /* 36 Notion ntn_ */
    {7, CS_ALNUM, 40},             /* 37 Notion (older) secret_ */
};

#define W "(?:^|[^0-9A-Za-z_])"

/* PERSON form labels (caseless), shared by a pattern and label_before. */
/* Sign-offs on a line of their own: the name follows on the next line. Case as written. */
#define SIGNOFF_WORDS \
    "Regards|Best regards|Kind regards|Warm regards|Best|Cheers|Thanks|Thank you|" \
    "Many thanks|Sincerely|Yours|Yours sincerely|Yours truly|Take care|Talk soon|" \
    "Mit freundlichen Grüßen|Freundliche Grüße|Viele Grüße|Beste Grüße|Liebe Grüße|Gruß|Grüße|" \
    "Danke|Vielen Dank|Cordialement|Bien cordialement|Bien à vous|Salutations|Merci|" \
    "Merci beaucoup|Amicalement|Bisous|Un saludo|Saludos|Saludos cordiales|Atentamente|" \
    "Gracias|Muchas gracias|Un abrazo|Atenciosamente|Att|Abraços|Abs|Obrigado|Obrigada|" \
    "Cumprimentos|Grato|Grata|Besos|Bises|Tschüss|Ciao|Danke und Gruß|Danke und Grüße|" \
    "Thanks and regards|Thanks & regards|Best wishes|All the best|Kind Regards|Best Regards|" \
    "Warm Regards|Many Thanks|Thank You|Merci d'avance|Merci et bonne journée|Bonne journée|" \
    "Muchas Gracias|Un cordial saludo|Saludos Cordiales|Muito obrigado|Muito obrigada|" \
    "Abraço|Até logo|Rgds|thanks|cheers|regards|Cordiali saluti|Distinti saluti|Saluti|Grazie|" \
    "Grazie mille|Un saluto|Cordialmente|A presto|Met vriendelijke groet|Met vriendelijke groeten|" \
    "Vriendelijke groet|Groeten|Groetjes|Bedankt|Hartelijke groet|Z poważaniem|Pozdrawiam|" \
    "Pozdrawiam serdecznie|Serdecznie pozdrawiam|Dziękuję|Z wyrazami szacunku|Med vänliga hälsningar|" \
    "Vänliga hälsningar|Hälsningar|Tack|Mvh|MVH|Signed|Respectfully|Respectfully yours|Warmly|" \
    "Med venlig hilsen|Venlig hilsen|Med vennlig hilsen|Ystävällisin terveisin|Saygılarımla|" \
    "Hormat saya|Trân trọng|S pozdravem|Cu stimă|Üdvözlettel|С уважением|Спасибо|С наилучшими пожеланиями|" \
    "Всего доброго|С уважением и наилучшими пожеланиями"

/* The verbs an e-mail client writes after the writer's name in a reply's quote header, before
 * its ':' at the line end ("Jane Doe wrote:", "Max Müller schrieb:", "Marie Dupont a écrit :",
 * "Jan Kowalski napisał(a):"). Case as written. */
#define QUOTE_VERBS \
    "wrote|writes|schrieb|schreibt|a écrit|escribió|escreveu|ha scritto|scrisse|schreef|napisał|" \
    "napisała|napisał(a)|pisze|skrev|skriver|kirjoitti|napsal|napsala|napsal(a)|írta|yazdı|a scris|" \
    "написал|написала|написал(а)|пишет"

#define LABEL_WORDS \
    "Name|Full name|Customer|Client|Contact|Account holder|Cardholder|Card holder|Holder|" \
    "Patient|Employee|Agent|Assignee|Reporter|Requester|Owner|Sender|Recipient|" \
    "Signed|Kunde|Kundin|Ansprechpartner|Kontoinhaber|Inhaber|Vorname|Nachname|" \
    "Prénom|Titulaire|Destinataire|Expéditeur|Nombre|Apellidos|Titular|Remitente|" \
    "Nome|Cliente|Contato|Contacto|Responsável|Remetente|Nome e cognome|Cognome|Nominativo|" \
    "Intestatario|Destinatario|Naam|Klant|Contactpersoon|Rekeninghouder|Voornaam|Achternaam|" \
    "Imię i nazwisko|Imię|Nazwisko|Klient|Odbiorca|Namn|Kund|Kontaktperson|Kontoinnehavare|Förnamn|" \
    "Efternamn|Mottagare|Ship to|Deliver to|Bill to|Attn|Attention|Lieferadresse|Empfänger|" \
    "Adresse de livraison|Livrer à|Spedire a|Dirección de envío|Enviar a|Bezorgadres|Afleveradres|" \
    "Adres dostawy|Leveransadress|Navn|Nimi|Nume|Jméno|Meno|Név|Nama|Nama lengkap|Họ tên|Họ và tên|" \
    "Ad Soyad|Adı Soyadı|İsim|Nom|Author|Maintainer|Creator|Driver|Passenger|Beneficiary|Guest|Tenant|" \
    "Traveller|Traveler|Insured|Policyholder|Policy holder|Student|Witness|Attendee|Participant|" \
    "Candidate|Applicant|Emergency contact|Next of kin|Spouse|Landlord|Buyer|Seller|Payee|Payer|" \
    "Debtor|Creditor|Guardian|Parent|Secretary|Assistant|Attendees|Participants|Teilnehmer|Organizer|" \
    "Nombre completo|Nome completo|Nom complet"

const struct anon_pattern anon_patterns[] = {
    {"[A-Za-z0-9_%+\\-]@[A-Za-z0-9]", 0, AH_EMAIL, 0},
    {"[\\x80-\\xBF]@[A-Za-z0-9\\xC2-\\xF4]|[A-Za-z0-9_%+\\-]@[\\xC2-\\xF4]", 0, AH_EMAIL, 0}, /* RFC 6531: UTF-8 */
    {"[A-Za-z0-9_.+\\-]%40[A-Za-z0-9]", 0, AH_EMAIL, EM_PCT40},
    /* "jane.doe [at] example [dot] com", "jane(at)example.com": only with the brackets ("at" and
     * "dot" as plain words are prose) */
    {"(?:\\[|\\(|\\{)at(?:\\]|\\)|\\})", HS_FLAG_CASELESS, AH_EMAIL, EM_OBFUSCATED},
    /* The digit and IBAN triggers ("a digit after a non-word byte", "two letters and two digits
     * after one") are found by anon_scan_triggers in C: as patterns they cost a third of the scan. */
    /* An IPv6 address holds "::" or eight groups: "h:h...:" or "::h" somewhere ("12:34" does not). */
    {"[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:", 0, AH_IPV6, 0},
    {"::[0-9A-Fa-f]", 0, AH_IPV6, 0},
    {"[A-Za-z0-9]://", 0, AH_URL, 0},
    {"\\bsk-", 0, AH_PREFIX, 0},
    {"\\bgh[pousr]_", 0, AH_PREFIX, 1},
    {"\\bgithub_pat_", 0, AH_PREFIX, 2},
    {"\\b(?:xox[abprse]|xapp)-", 0, AH_PREFIX, 3},
    {"hooks\\.slack\\.com/services/", 0, AH_PREFIX, 6},
    {"\\bgl(?:pat|ptt|cbt|dt|rt|rtr|ft|imt|soat|oas|agent|wt|ffct)-", 0, AH_PREFIX, 7},
    {"\\bnpm_", 0, AH_PREFIX, 8},
    {"\\bpypi-", 0, AH_PREFIX, 9},
    {"\\bhf_", 0, AH_PREFIX, 10},
    {"\\bshp(?:at|ss|ca|pa)_", 0, AH_PREFIX, 11},
    {"\\bdo[opr]_v1_", 0, AH_PREFIX, 12},
    {"\\b[rsp]k_(?:live|test)_", 0, AH_PREFIX, 4},
    {"\\bAIza", 0, AH_PREFIX, 5},
    {"\\bSG\\.", 0, AH_PREFIX, 13},
    {"\\bdckr_pat_", 0, AH_PREFIX, 14},
    {"\\bhv[sbr]\\.", 0, AH_PREFIX, 15},
    {"\\bAGE-SECRET-KEY-1", 0, AH_PREFIX, 16},
    {"\\blin_api_", 0, AH_PREFIX, 17},
    {"\\bwhsec_", 0, AH_PREFIX, 18},
    {"\\bsq0(?:atp|csp)-", 0, AH_PREFIX, 19},
    {"\\bPMAK-", 0, AH_PREFIX, 20},
    {"\\bglsa_", 0, AH_PREFIX, 21},
    {"\\bglc_", 0, AH_PREFIX, 22},
    {"\\bdapi", 0, AH_PREFIX, 23},
    {"\\bxai-", 0, AH_PREFIX, 24},
    {"\\bgsk_", 0, AH_PREFIX, 25},
    {"\\bATATT3", 0, AH_PREFIX, 26},
    {"\\br8_", 0, AH_PREFIX, 27},
    {"\\bpplx-", 0, AH_PREFIX, 28},
    {"\\bya29\\.", 0, AH_PREFIX, 29},
    {"\\bGOCSPX-", 0, AH_PREFIX, 30},
    {"\\brubygems_", 0, AH_PREFIX, 31},
    {"\\bdp\\.(?:pt|st|ct|sa|scim|audit)\\.", 0, AH_PREFIX, 32},
    {"\\bfo1_", 0, AH_PREFIX, 33},
    {"\\bsbp_", 0, AH_PREFIX, 34},
    {"\\bpul-", 0, AH_PREFIX, 35},
    {"\\bntn_", 0, AH_PREFIX, 36},
    {"\\bsecret_", 0, AH_PREFIX, 37},
    /* Passwords on command lines: "mysql -uroot -pS3cret db", "sshpass -p S3cret ssh host" (--password=
     * and PGPASSWORD= are assignments above). */
    {"(?:^|[ \\t;|&(\"'`$])(?:mysql(?:dump|admin|import|check|sh)?|mariadb(?:-dump|-admin|dump|admin)?)[ \\t]", 0,
     AH_CLI, CLI_MYSQL},
    {"\\bsshpass[ \\t]", 0, AH_CLI, CLI_SSHPASS},
    /* More documented token prefixes as one pattern (a pattern each cost the scan more); det_vendor
     * reads which one matched. Airtable's "pat" is too common a word alone: its 14-character id and
     * '.' are part of the trigger. Azure AD client secrets hold "<digit>Q~" after three characters;
     * Mailchimp API keys end in "-us<datacenter>". */
    {"\\b(?:sntry[su]_|NR(?:AK|II|JS)-|HRKU-|tskey-|pscale_(?:tkn|pw|oauth)_|nfp_|figd_|bkua_|CCIPAT_|"
     "CFPAT-|dt0c01\\.|pcsk_|lsv2_(?:pt|sk)_|sgp_|key-|1//0|EAA|pat[A-Za-z0-9]{14}\\.)|[0-9]Q~|[0-9a-f]-us[0-9]",
     0, AH_VENDOR, 0},
    /* Telegram bot tokens: the bot's numeric id, ':', then "AA" and 33 base64url characters */
    {"[0-9]:AA[A-Za-z0-9_\\-]{8}", 0, AH_TELEGRAM, 0},
    {"\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}", 0, AH_AWS_ID, 0},
    {"\\beyJ[A-Za-z0-9_\\-]{4}", 0, AH_JWT, 0},
    {"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----", 0, AH_PEM, 0}, /* PGP: "... PRIVATE KEY BLOCK" */
    {"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_\\-]?key|apikey|access[_\\-]?key|"
     "private[_\\-]?key|client[_\\-]?secret|auth|credentials?|account[_\\-]?key|shared[_\\-]?access[_\\-]?key|passwort|kennwort|mot[_\\- ]de[_\\- ]passe|"
     "contrase(?:ñ|n)a|senha|wachtwoord|has(?:ł|l)o|l(?:ö|o)senord|adgangskode|salasana|"
     "\xD0\xBF\xD0\xB0\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C|\xD0\x9F\xD0\xB0\xD1\x80\xD0\xBE\xD0\xBB\xD1\x8C|" /* пароль Пароль */
     "\xE5\xAF\x86\xE7\xA0\x81|\xE3\x83\x91\xE3\x82\xB9\xE3\x83\xAF\xE3\x83\xBC\xE3\x83\x89)" /* 密码 パスワード */
     /* then ':', '=', or an XML attribute's value ('name="password" value="..."', 'key="db.password">...') */
     "[A-Za-z0-9_\\-]{0,24}[\"']?[ \\t]{0,3}(?::|=|=>|[ \\t]value=|>)",
     HS_FLAG_CASELESS, AH_ASSIGN, AS_PLAIN},
    /* Keys that name a secret only with a token-like value: compound "*_key"/"*Key" (signing_key,
     * app_key, masterKey, Ocp-Apim-Subscription-Key), sessions and their cookies (session,
     * JSESSIONID, PHPSESSID, connect.sid), signatures (Signature=, X-Amz-Signature=, &sig=). */
    {"(?:[_\\-.](?:key|sid|sig)|session(?:[_\\-]?(?:id|key|token))?|sessid|signature|[&?]sig)[\"']?[ \\t]{0,3}(?::|=|=>)",
     HS_FLAG_CASELESS, AH_ASSIGN, AS_TOKEN},
    {"[a-z]Key[\"']?[ \\t]{0,3}(?::|=)", 0, AH_ASSIGN, AS_TOKEN},
    /* SQL: "ALTER USER ... WITH PASSWORD '...'", "CREATE USER ... IDENTIFIED BY '...'" */
    {"(?:password|identified by)[ \\t]+'", HS_FLAG_CASELESS, AH_ASSIGN, AS_PLAIN},
    /* XML elements, command-line flags with a space, curl's -u user:password, and prose. */
    {"<(?:[A-Za-z]+:)?(?:password|passwd|pwd|secret|token|api[_\\-]?key|apikey|client[_\\-]?secret|"
     "access[_\\-]?token|private[_\\-]?key)>",
     HS_FLAG_CASELESS, AH_ASSIGN, AS_PLAIN},
    {"(?:^|[ \\t])--(?:[A-Za-z0-9]+[_\\-])*(?:password|passwd|pass|token|secret|api[_\\-]?key)[ \\t]",
     HS_FLAG_CASELESS, AH_ASSIGN, AS_PLAIN},
    {"(?:^|[ \\t])(?:-u|--user)[ \\t]+['\"]?[A-Za-z0-9_.@\\-]{1,64}:", 0, AH_ASSIGN, AS_PLAIN},
    {"\\b(?:password|passwort|passcode|passphrase|pin|mot de passe|wachtwoord|contraseña|senha) "
     "(?:is|was|ist|war|est|était|es|era|é|is nu|är|jest|to)[ \\t]+",
     HS_FLAG_CASELESS, AH_ASSIGN, AS_PROSE},
    {"\\bBearer[ \\t]+", HS_FLAG_CASELESS, AH_BEARER, 0},
    /* PERSON: the name follows the cue. */
    {"\\b(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Dña|Dona|Don|Sir|Sig|Sig\\.ra|"
     "Sig\\.na|Dott|Dott\\.ssa|Avv|Ing|dhr|mevr|Dhr|Mevr|Pan|Pani|herr|fru|"
     /* the same titles spelled out (fr es pt it nl ro id tr cs), also in lower case after an article */
     "Monsieur|monsieur|Madame|madame|Mademoiselle|mademoiselle|Señor|señor|Señora|señora|Señorita|"
     "señorita|Senhor|senhor|Senhora|senhora|Signor|signor|Signora|signora|Signorina|signorina|"
     "Meneer|meneer|Mevrouw|mevrouw|Domnul|domnul|Doamna|doamna|Doamnei|Bapak|Ibu|Sayın|pan|pani|paní)\\.? |M\\. )",
     0, AH_PERSON, PC_NEXT},
    /* Cyrillic cues (Vectorscan's \\b is ASCII-only, so the boundary is spelled out): titles,
     * greetings, "my name is", form labels. */
    {"(?:^|[ \\t\\r\\n,.;:(\"'>])(?:г-н|г-жа|господин|госпожа|Здравствуйте,?|Уважаемый|Уважаемая|"
     "Привет,?|Добрый день,?|Меня зовут|меня зовут|(?:ФИО|Имя|Клиент|Получатель|Контактное лицо)[ \\t]?:|"
     /* Ukrainian and Greek: "my name is", titles, labels */
     "Мене звати|мене звати|Пан|пан|Пані|пані|(?:ПІБ|Ім'я|Ім’я)[ \\t]?:|"
     "Με λένε|με λένε|Ονομάζομαι|ονομάζομαι|Το όνομά μου είναι|το όνομά μου είναι|κ\\.|κύριος|κυρία|Κύριε|"
     "Κυρία|(?:Όνομα|Ονοματεπώνυμο)[ \\t]?:) ",
     0, AH_PERSON, PC_NEXT},
    {"\\b(?:my name is|my name's|I am|I'm|this is|it's|ich bin|ich heiße|mein Name ist|hier ist|"
     "je suis|je m'appelle|moi c'est|c'est|soy|me llamo|mi nombre es|le habla|aquí habla|eu sou|"
     "me chamo|meu nome é|aqui é|aqui fala|mi chiamo|il mio nome è|sono|mijn naam is|ik ben|ik heet|"
     "nazywam się|jestem|mam na imię|jag heter|mitt namn är|jag är|det är|"
     /* da no tr id vi cs sk ro hu fi */
     "jeg heter|jeg hedder|mitt navn er|mit navn er|benim adım|nama saya|tên tôi là|tôi tên là|"
     "jmenuji se|volám sa|mă numesc|ma numesc|numele meu este|a nevem|nimeni on|sou) ",
     HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    {"\\b(?:Dear|Hi|Hello|Hey|Greetings|Hallo|Liebe|Lieber|Sehr geehrte|Sehr geehrter|Moin|Servus|"
     "Bonjour|Bonsoir|Salut|Cher|Chère|Hola|Buenos días|Buenas tardes|Estimado|Estimada|Querido|"
     "Querida|Olá|Ola|Oi|Prezado|Prezada|Caro|Cara|Bom dia|Boa tarde|Gentile|Gentilissimo|Gentilissima|"
     "Egregio|Egregia|Buongiorno|Buonasera|Ciao|Salve|Beste|Geachte|Geachte heer|Geachte mevrouw|"
     "Dzień dobry|Witam|Szanowny Panie|Szanowna Pani|Szanowny|Szanowna|Cześć|Hej|Hejsan|Bästa|Kära)"
     "(?: |, )",
     0, AH_PERSON, PC_GREETING},
    /* A form label in one HTML table cell, the value in the next. */
    {"<t[dh][^>\\n]{0,40}>[ \\t]*(?:Name|Full name|Customer|Contact|Account holder|Cardholder|Nome|Naam|Namn|"
     "Nombre|Nom|Imię i nazwisko|Nazwisko|Kunde|Vorname|Nachname|Prénom|Cliente|Klant|Kund)[ \\t]*:?[ \\t]*"
     "</t[dh]>[ \\t\\r\\n]*<td[^>\\n]{0,40}>",
     HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    /* Form labels: a label, an optional quote and space, then ':', '=', '|' or a tab. Not a
     * pattern: anon_triggers finds the four end bytes in its SIMD pass and label_at looks the word
     * up (label_before); as a pattern of ~150 caseless words this cost Vectorscan 1.7 instructions
     * a byte of prose. The space form ("Customer :") is found from its rarer end (" :"), the label again
     * checked by label_before. */
    {"[ \\t](?::|=|\\||\\t)", 0, AH_LABEL_SPACE, 0},
    /* A table's header cell naming a person column (CSV, TSV, semicolon or markdown tables): the
     * values below it are names. The trigger is a header cell holding "name" or a language's word
     * for it; det_table then reads the whole header row (any of table_name_heads marks a column). */
    {"(?:^|[\\n,;\\t|])[ \\t]*[\"']?(?:[a-z _\\-]{0,16}name|surname|nombre|apellidos?|prénom|nome completo|cognome|"
     "voornaam|achternaam|förnamn|efternamn|nazwisko|imię i nazwisko|vorname|nachname)[\"']?[ \\t]*(?:[,;\\t|]|\\r?\\n)",
     HS_FLAG_CASELESS, AH_TABLE, 0},
    /* Structured records (JSON, YAML, XML, query strings, CSV-like key=value): keys that name a
     * person in snake_case, kebab-case, camelCase or spaced ("last_name", "firstName",
     * "customer-name", "Customer Name"), and XML elements around a name. */
    {"(?:first|last|full|given|family|middle|maiden|legal|display|preferred|customer|contact|client|"
     "patient|holder|account[_\\-]?holder|card[_\\-]?holder|recipient|sender|owner|person|employee|"
     "applicant|guest|passenger|member|sur|fore|nick)[_\\-. ]?name[\"']?[ \\t]*(?::|=>|=|>)[ \\t]*[\"']?",
     HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    {"<(?:[A-Za-z]+:)?(?:name|person|author|customer|contact|signatory)>", HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    /* HTML form fields, LDAP/X.500 common names, vCard/iCalendar names, quoted user= in logs */
    {"name=[\"'](?:full[_\\-]?name|first[_\\-]?name|last[_\\-]?name|name|surname|given[_\\-]?name|"
     "family[_\\-]?name|customer[_\\-]?name|contact[_\\-]?name)[\"'][ \\t]+value=[\"']",
     HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    {"(?:^|[ \\t,;:/])(?:cn|CN)=|\\buser=[\"']", 0, AH_PERSON, PC_NEXT},
    {"(?:^|\\n)(?:FN|N)(?:;[A-Za-z0-9=\\-]{1,40})*:", 0, AH_PERSON, PC_VCARD},
    {"\\b(?:From|To|Cc|CC|cc|Bcc|BCC|bcc|User|Von|An|Nom|De|Para|À|name|user|from)(?::| :|\":\"| \\| )", 0, AH_PERSON,
     PC_NEXT},
    {"\\b(?:colleague|coworker|co-worker|account holder|cardholder|escalated to|assigned to|forwarded to|transferred to|spoke with|"
     "spoke to|talked to|handled by|signed by|approved by|contact person|Kollege|Kollegin|"
     "Kontoinhaberin|Kontoinhaber|weitergeleitet an|eskaliert an|zugewiesen an|collègue|"
     "titulaire du compte|escaladé à|transmis à|assigné à|compañero|compañera|colega|titular|"
     "escalado a|asignado a|transferido a|escalado para|atribuído a|encaminhado para|"
     "greetings from|regards from|Grüße von|Gruß von|salutations de|saludos de|"
     "cumprimentos de|el cliente|la clienta|la cliente|il cliente|o cliente|a cliente|le client|"
     "la signora|il signor)(?:[ \\t]+|:[ \\t]*)|\\bcontact[ \\t]+['\"]",
     HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    /* A sign-off on a line of its own ("Regards,", "Mit freundlichen Grüßen"), then the name on the
     * next line: not a pattern; anon_triggers finds line ends and signoff_at looks the line up
     * (as a pattern it cost ~700 instructions a Vectorscan call and 0.5 a byte). */
    {"\\b(?:Thanks|Thank you|Cheers|Regards|Best|Danke|Gruß|Merci|Gracias|Saludos|Obrigad[oa]|"
     "Abraços|Atenciosamente|Cordialement)[.,!]{1,2}[ \\t]+",
     HS_FLAG_CASELESS, AH_PERSON, PC_LINE_AFTER},
    {"(?:^|\\n)--[ \\t]?\\r?\\n", 0, AH_PERSON, PC_LINE_AFTER},
    {"\\[[0-9][0-9:T.+\\-Z ]{5,40}\\][ \\t]", 0, AH_PERSON, PC_CHAT},
    {"(?:户名|姓名|氏名|名前|お名前|联系人|收件人|受取人|差出人|宛先|送信者|担当者|发件人|寄件人|申请人|客户): ?",
     0, AH_PERSON, PC_CJK},
    /* Arabic and Hebrew: "my name is", titles, form labels; the name follows in its own script.
     * Arabic writes "and" (و) and "so" (ف) glued to the next word: "واسمي" is "and my name is". */
    {"(?:^|[ \\t\\r\\n,.;:(\"'>]|،)(?:و|ف)?(?:اسمي|اسمي هو|السيد|السيدة|الأستاذ|الأستاذة|الدكتور|الدكتورة|"
     "(?:الاسم|الاسم الكامل)[ \\t]?:) ",
     0, AH_PERSON, PC_ARABIC},
    {"(?:^|[ \\t\\r\\n,.;:(\"'>])(?:שמי|שמי הוא|שמי היא|קוראים לי|מר|גברת|גב'|ד\"ר|ד״ר|(?:שם|שם מלא)[ \\t]?:) ",
     0, AH_PERSON, PC_HEBREW},
    /* Chinese and Japanese "my name is" (no spaces: the name runs up to a particle or punctuation), and
     * the Japanese self-introduction after the name ("...と申します"). */
    {"(?:我叫|我的名字是|我的名字叫|我名叫|本人名叫)", 0, AH_PERSON, PC_HAN},
    /* "I am ...", "customer ...", "contact ...": only a name that starts with a family name from the
     * census lists below counts ("我是学生" is "I am a student"). */
    {"(?:我是|我就是|本人是|客户|客戶|用户|用戶|联系人|聯絡人|收件人|患者|员工|員工)", 0, AH_PERSON, PC_HAN_SURNAME},
    /* Japanese greetings before "<name>です" */
    {"(?:こんにちは|こんばんは|はじめまして|初めまして|どうも)(?:!|、|,|。| )?", 0, AH_PERSON, PC_JA},
    {"(?:私の名前は|わたしの名前は|僕の名前は)", 0, AH_PERSON, PC_JA},
    {"と(?:申します|申す者)", 0, AH_PERSON, PC_JA_BEFORE},
    /* Korean: "my name is", form labels; the name (2-4 Hangul syllables) may run into the copula. */
    {"(?:제 이름은|내 이름은|저의 이름은|이름은|(?:이름|성명|성함|고객명|담당자|수신인|보내는 사람)[ \\t]?:) ?", 0, AH_PERSON, PC_KO},
    {"(?:저는|나는|고객|담당자) ?", 0, AH_PERSON, PC_KO_SURNAME},
    /* A name before an honorific, in the CJK scripts that write none between name and title:
     * "田中様", "鈴木さん", "山田先生に", "김민수님", "이영희 씨", "王先生", "李女士" (det_honorific). */
    {"(?:様|殿|さん|先生|氏|님|씨|女士|小姐)", 0, AH_PERSON, PC_HONORIFIC},
    /* German puts the verb last: "An Thomas eskaliert", "von Anna Berger weitergeleitet". The
     * trigger is the verb; det_person walks back over capitalised name words to the preposition
     * (as a pattern, "an " in English text cost 1.6 instructions a byte). */
    {" (?:eskaliert|weitergeleitet|übergeben|zugewiesen|übermittelt|geschickt|gesendet|delegiert)\\b", 0,
     AH_PERSON, PC_DE_VERB},
    /* The first cell of an HTML table row with no header ("<tr><td>Gael Braga</td><td>4052...</td>"):
     * a name of two or more words, the cell holding nothing else, and the row holding a contact or
     * card value (an '@' or ten digits), so rows of products stay. */
    {"<tr[^>\\n]{0,40}>[ \\t\\r\\n]*<td[^>\\n]{0,40}>", HS_FLAG_CASELESS, AH_PERSON, PC_ROWCELL},
    /* A name right before its e-mail address: "Ana Ruiz <ana@x.org>", "Ana Ruiz ✉️ ana@...",
     * "Ana Ruiz · courriel : ...", "Ana Ruiz (ana@x.org)". Two or more capitalised name words. */
    {"[A-Za-z\\x80-\\xFF] (?:<|\\()[A-Za-z0-9._%+\\-]{1,64}@|[A-Za-z\\x80-\\xFF] (?:\xE2\x9C\x89|\xF0\x9F\x93\xA7)|"
     "[A-Za-z\\x80-\\xFF] \xC2\xB7 (?:courriel|e-?mail|mail|correo|E-?Mail|Email)\\b",
     0, AH_PERSON, PC_BEFORE_MAIL},
    /* Hindi: "my name is", the name label, titles; the name is one to three Devanagari words up to
     * the copula or a particle (det_person). Thai writes no spaces between words: only "my name is"
     * (with its pronoun) and the name labels, and the name runs to a space, punctuation or a polite
     * particle. */
    {"(?:मेरा नाम|मेरा नाम है|(?:नाम|पूरा नाम|ग्राहक का नाम)[ \\t]?:|श्री|श्रीमती|सुश्री|कुमारी) ", 0, AH_PERSON, PC_DEVA},
    {"(?:ผมชื่อ|ฉันชื่อ|ดิฉันชื่อ|หนูชื่อ|(?:ชื่อ|ชื่อ-นามสกุล|ชื่อ-สกุล|ชื่อลูกค้า)[ \\t]?:) ?", 0, AH_PERSON, PC_THAI},
    /* Titles in capitals ("MR JOHN SMITH", "ATTN MRS. O'NEIL" on labels and in legacy systems): the
     * name is read in capitals too. DR, MS and SR only with their dot ("12 MAIN DR", "MS SQL"). */
    {"\\b(?:MR|MRS|MISS|MSTR|MX|PROF|MME|MLLE|HERR|FRAU|SIR|SRA|DR\\.|MS\\.|SR\\.|MR\\.|MRS\\.) ", 0, AH_PERSON, PC_UPPER},
    /* A person's role in prose, or who did something ("the customer John Smith", "Patient: Anna
     * Kowalski", "opened by Peter Müller", "according to Jennifer Wilson"): the name must be two or
     * more capitalised name words (det_person), so "the customer service team" and "Patient Portal"
     * stay. */
    {"(?i:\\b(?:customer|client|patient|employee|caller|tenant|passenger|student|applicant|candidate|"
     "colleague|co-worker|coworker|full name|account holder|cardholder|recipient|requester|beneficiary|Kunde|Kundin|Patient|Patientin|"
     "Mitarbeiter|Mitarbeiterin|cliente|paciente|empleado|empleada|funcionário|funcionária|employé|employée|"
     "(?:opened|reported|created|submitted|requested|written|sent|raised|filed|logged|reviewed|authori[sz]ed|"
     "verified|prepared|issued|completed|closed|updated|modified|owned|managed|referred|introduced|"
     "called|visited|treated|seen|examined|interviewed|booked|ordered|paid|placed|cancel?led|made) by|"
     "according to|on behalf of|please call|please contact|please ask|meeting with|met with|"
     "talked with|thanks to|together with|in the name of|erstellt von|gemeldet von|laut|selon|según|"
     "segundo|creado por|criado por|créé par|signalé par)(?: |, | - | \xE2\x80\x93 |: ))"
     /* then a capitalised word and the capital of a second: only then is the cue looked at (the
      * cue words alone are common: as a caseless pattern of its own this cost ~5 instructions a
      * byte) */
     "(?:[A-Z]|\xC3[\x80-\x9E]|[\xC4\xC5][\x80-\xBF])[a-z\x80-\xBF'\\-]{1,30} (?:[A-Z]|\xC3[\x80-\x9E]|[\xC4\xC5][\x80-\xBF])",
     0, AH_PERSON, PC_ROLE},
    /* Portuguese puts an article before a first name ("aqui é a Beatriz", "falo com o João"). */
    {"\\b(?:aqui é|aqui fala|eu sou|falo com|fala|sou) (?:a|o) ", HS_FLAG_CASELESS, AH_PERSON, PC_NEXT},
    {"(?:^|\\n)>?[ \\t]?(?:On|Am|Le|El|Em) [^\\n]{4,60}?, ", 0, AH_PERSON, PC_QUOTE_ON},
    /* ADDRESS */
    {"\\b(?:address|home address|street address|mailing address|postal address|billing address|"
     "shipping address|addr|Adresse|Anschrift|Wohnort|Postanschrift|adresse postale|Dirección|"
     "Direccion|Domicilio|Endereço|Endereco|Morada|Straße|Strasse|adres|adress|indirizzo|"
     "adresse de livraison|indirizzo di spedizione|bezorgadres|adres dostawy|leveransadress)"
     "[ \\t]*(?::|=|\\||\\t|\\bis\\b|\\blautet\\b|"
     "\\best\\b|\\bes\\b|\\bé\\b|\\bist\\b|\">)[ \\t]*",
     HS_FLAG_CASELESS, AH_ADDR_LABEL, 0},
    {"<(?:addr|address|street|adresse|direccion|endereco)>|\xF0\x9F\x8F\xA0 ?|(?:адрес|Адрес|住所|地址): ?|〒",
     HS_FLAG_CASELESS, AH_ADDR_LABEL, 0},
    /* the address labels of el ar he hi ko vi id tr (their scripts have no case, or a case of
     * their own) */
    {"(?:Διεύθυνση|διεύθυνση|ΔΙΕΥΘΥΝΣΗ|العنوان|عنوان|כתובת|पता|주소|Địa chỉ|địa chỉ|ĐỊA CHỈ|Alamat|alamat|ALAMAT|"
     "Adresi|adresi|İkametgah)[ \t]?: ?",
     0, AH_ADDR_LABEL, 0},

    {"[0-9][A-Za-z]?, [0-9]{4,5}(?:-[0-9]{3})? (?:[A-Z]|\xC3[\x80-\x9E])", 0, AH_ADDR_POSTCODE, 0},
    {"(?:straße|strasse|str\\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|gatan|vägen|"
     "gränd|torget|stigen|backen|straat|laan|gracht|plein|kade|singel|dijk|steeg)[ \\t]"
     "[0-9]",
     HS_FLAG_CASELESS, AH_ADDR_STREET, 0},
    {"\\b(?:Calle|C/|Avenida|Avda\\.?|Av\\.|Camino|Paseo|Plaza|Ronda|Rambla|Travesía|Vía|Via|Callejón|"
     "Pasaje|Carrera|Glorieta|Alameda|Acceso|Entrada|Huerta|Jardines|Riera|Urbanización|Cuesta|"
     "Bajada|Subida|Carretera|Cañada|Partida|Pasadizo|Polígono|Sector|Barrio|Rua|Travessa|"
     "Rodovia|Estrada|Praça|Largo|Marginal|Viela|Ladeira|Vila|Am|Im|An der|Auf dem|Zum|Zur|"
     "Arrabal|Calleja|Caserío|Caserio|Chalet|Colegio|Conjunto|Edificio|Explanada|Ferrocarril|"
     /* more of the Spanish street-type vocabulary (the INE's tipos de vía) */
     "Aldea|Extrarradio|Municipio|Diseminado|Ensanche|Paraje|Prolongación|Residencial|Plazuela|Carril|"
     "Bloque|Complejo|Finca|Masía|"
     "Grupo|Lugar|Manzana|Mercado|Monte|Muelle|Parcela|Parque|Pasaje|Poblado|Puerta|Quinta|Rampa|"
     "Rincón|Salida|Terrenos|Torrente|Apartamento|Vía Pública|Via Pública|Rotonda|Sendero|Senda|"
     "Avenue|Boulevard|Rue|Allée|Chemin|Impasse|Place|Quai|Voie|Viale|Corso|Piazza|Piazzale|Vicolo|"
     "Lungomare|Strada|ul\\.|os\\.|Barranco|Escalinata|Colonia|Costanilla|Ribera|Vereda|Bulevar|Carrer|"
     "Passeig|Plaça|Avinguda|Rúa|Praza|Vico|Borgo|Contrada|Località|Frazione|Chaussée|Cours|Route|Square) "
     "(?:[A-Z]|\\xC3[\\x80-\\x9E]|[\\xC4\\xC5][\\x80-\\xBF])",
     0, AH_ADDR_STREET, 1},
    {"\\b(?:SSN|SSN#|social security(?: number| no\\.?| #)?|numéro de sécurité sociale|"
     "Sozialversicherungsnummer|número de seguro social)\\b",
     HS_FLAG_CASELESS, AH_SSN_CUE, 0},
    /* record keys: "customer_ssn", "employee.ssn", "ssn_number", "ssnNumber", "CUSTOMER_SSN" (key
     * spellings, so case as written). */
    {"[_\\-.]ssn\\b|\\bssn(?:[_\\-](?:number|num|no|nr|id)|Number|Num|No|Nr|Id)\\b|_SSN\\b",
     0, AH_SSN_CUE, 0},
    /* DATE_OF_BIRTH cues; the date follows. */
    {"\\b(?:(?:born|born on|DOB|D\\.O\\.B|date[ _\\-]?of[ _\\-]?birth|birth[ _\\-]?date|birthday|"
     "Geburtsdatum|Geburtstag|geboren|geboren am|né le|née le|né|née|date de naissance|"
     "fecha de nacimiento|nacido el|nacida el|nací el|nacimiento|data de nascimento|"
     "nascido em|nascida em|nasci em|nascimento|data di nascita|nato il|nata il|geboren op|"
     "geboortedatum|data urodzenia|urodzony|urodzona|urodzi(?:ł|l)(?:a|em|am)? si(?:ę|e)|född|"
     "födelsedatum|fødselsdato|syntymäaika)\\b|geb\\.|ur\\.|fecha (?:de )?nac\\.|f\\. (?:de )?nac\\.)|\xF0\x9F\x8E\x82",
     HS_FLAG_CASELESS, AH_DOB, 0},
    {"生年月日|出生日期|出生年月日|生日|誕生日|дата рождения|Дата рождения|родился|родилась|"
     "تاريخ الميلاد|תאריך לידה|"
     /* tr id vi cs sk ro hu da no el uk ko hi, spelled in each case the text uses */
     "doğum tarihi|Doğum tarihi|doğum tarihim|Doğum tarihim|doğum günü|Doğum günü|doğum tarihi:|"
     "tanggal lahir|Tanggal lahir|Tanggal Lahir|tgl lahir|Tgl lahir|ngày sinh|Ngày sinh|"
     "datum narození|Datum narození|narozen|Narozen|dátum narodenia|Dátum narodenia|narodený|narodená|"
     "data nașterii|Data nașterii|data nasterii|Data nasterii|născut|născută|Născut|"
     "születési dátum|Születési dátum|született|Született|szül\\.|"
     "født|Født|fødd|Fødd|fødselsdag|Fødselsdag|"
     "ημερομηνία γέννησης|Ημερομηνία γέννησης|γεννήθηκε|Γεννήθηκε|"
     "дата народження|Дата народження|народився|народилася|"
     "생년월일|생일|जन्म तिथि|जन्मतिथि|जन्म दिनांक|\nBDAY:|\nBDAY;VALUE=date:", 0, AH_DOB, 0},
};

const size_t anon_npatterns = sizeof(anon_patterns) / sizeof(anon_patterns[0]);

/* ---- byte classes and span recording ---------------------------------------------------------- */

static bool is_digit(int ch) { return ch >= '0' && ch <= '9'; }
static bool is_upper(int ch) { return ch >= 'A' && ch <= 'Z'; }
static bool is_lower(int ch) { return ch >= 'a' && ch <= 'z'; }
static bool is_alpha(int ch) { return is_upper(ch) || is_lower(ch); }
static bool is_alnum(int ch) { return is_alpha(ch) || is_digit(ch); }
static bool is_hex(int ch) { return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'); }
static int lower(int ch) { return is_upper(ch) ? ch + 32 : ch; }

/* ch (never NUL) in the NUL-terminated set? As strchr, but inlined over the few bytes of a set. */
static bool in_set(const char *set, int ch)
{
    for (; *set; set++)
        if ((unsigned char)*set == ch)
            return true;
    return false;
}

static int at(const struct anon_ctx *c, size_t i);

/* A digit-group separator at i from seps: the byte itself; when seps holds ' ', also a no-break,
 * narrow no-break or thin space (U+00A0, U+202F, U+2009: French and other typography group phone,
 * card and account numbers with them); when it holds '/', also a slash between spaces ("0221 / 123
 * 45 67", the older German style). Returns the separator as ASCII (those spaces as ' ') with its
 * length in *len, or 0. */
static int sep_at_wide(const struct anon_ctx *c, size_t i, const char *seps, size_t *len)
{
    int ch = at(c, i);

    if (ch == ' ' && at(c, i + 1) == '/' && at(c, i + 2) == ' ' && strchr(seps, '/')) {
        *len = 3;
        return '/';
    }
    if (ch && in_set(seps, ch)) {
        *len = 1;
        return ch;
    }
    if (ch == 0xC2 && at(c, i + 1) == 0xA0 && strchr(seps, ' ')) {
        *len = 2;
        return ' ';
    }
    if (ch == 0xE2 && at(c, i + 1) == 0x80 && (at(c, i + 2) == 0xAF || at(c, i + 2) == 0x89) && strchr(seps, ' ')) {
        *len = 3;
        return ' ';
    }
    return 0;
}

/* sep_at_wide with the common one-byte case inline (the digit parsers call it on every group). */
static inline int sep_at(const struct anon_ctx *c, size_t i, const char *seps, size_t *len)
{
    int ch = at(c, i);

    if (ch != ' ' && ch < 0x80) {
        *len = 1;
        return ch && in_set(seps, ch) ? ch : 0;
    }
    if (ch == ' ' && at(c, i + 1) != '/') {
        *len = 1;
        return in_set(seps, ' ') ? ' ' : 0;
    }
    return sep_at_wide(c, i, seps, len);
}

/* Byte at i, or 0 outside the buffer: every parser reads through this, so it cannot overrun. */
static int at(const struct anon_ctx *c, size_t i) { return i < c->n ? c->p[i] : 0; }
static int before(const struct anon_ctx *c, size_t i) { return i > 0 && i <= c->n ? c->p[i - 1] : 0; }

/* A CJK ideograph (U+4E00..U+9FFF, three UTF-8 bytes) at i? */
static bool cjk_at(const struct anon_ctx *c, size_t i)
{
    int b0 = at(c, i);

    return b0 >= 0xE4 && b0 <= 0xE9 && (at(c, i + 1) & 0xC0) == 0x80 && (at(c, i + 2) & 0xC0) == 0x80;
}

/* A letter for names and words: ASCII letters and any byte of a multi-byte UTF-8 sequence. */
static bool is_wordbyte(int ch) { return is_alpha(ch) || ch >= 0x80; }

static void add(struct anon_ctx *c, size_t s, size_t e, int type)
{
    struct anon_span *np;

    if (e <= s || e > c->n || !(c->types & (1u << type)))
        return;
    if (c->nsp == c->capsp) {
        size_t ncap = c->capsp ? c->capsp * 2 : 32;

        np = realloc(c->sp, ncap * sizeof(*np));
        if (!np) {
            c->oom = 1;
            return;
        }
        c->sp = np;
        c->capsp = ncap;
    }
    c->sp[c->nsp].start = s;
    c->sp[c->nsp].end = e;
    c->sp[c->nsp].type = type;
    c->nsp++;
}

static size_t digit_run(const struct anon_ctx *c, size_t i)
{
    const unsigned char *p = c->p;
    size_t j = i, n = c->n;

    /* The digit detectors call this on every group of every number, several times over. */
#if defined(SL_SSE2)
    if (i + 16 <= n) { /* 16 bytes at once (digit test as in anon_scan_triggers) */
        __m128i v = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), _mm_set1_epi8(0x50));
        unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8((char)(0x80 + 10))));

        if (m & 0xFFFF)
            return (size_t)__builtin_ctz(m); /* the first non-digit */
        j = i + 16;
    }
#endif
    /* As while (is_digit(at(c, j))), with the bound and the buffer in registers. */
    while (j < n && (unsigned)(p[j] - '0') < 10u)
        j++;
    return j - i;
}

/* Copy the r digits at c->p + i to d: a byte loop, as runs are short and a memcpy call of a
 * variable size costs more than the copy. */
static void copy_digits(char *d, const struct anon_ctx *c, size_t i, size_t r)
{
    const unsigned char *p = c->p + i;

    while (r--)
        *d++ = (char)*p++;
}

static unsigned num_at(const struct anon_ctx *c, size_t i, size_t len)
{
    unsigned v = 0;

    while (len--)
        v = v * 10 + (unsigned)(at(c, i++) - '0');
    return v;
}

/* ---- EMAIL ------------------------------------------------------------------------------------ */

/* Local part bytes: ASCII atext we accept, and the bytes of two-byte UTF-8 letters (Latin, Greek,
 * Cyrillic: "renée", "søren"); three-byte sequences (CJK text, full-width colons) end it. */
static bool is_local(int ch)
{
    return is_alnum(ch) || ch == '.' || ch == '_' || ch == '%' || ch == '+' || ch == '-' || ch == '\'' ||
           (ch >= 0x80 && ch <= 0xDF);
}
/* Domain bytes: ASCII labels and any UTF-8 (IDN, RFC 5890), but not the CJK and full-width
 * punctuation blocks (U+3000..U+303F, U+FF00..U+FF5F) that end a sentence around the address. */
static size_t domain_char(const struct anon_ctx *c, size_t i)
{
    int ch = at(c, i);

    if (is_alnum(ch) || ch == '.' || ch == '-')
        return 1;
    if (ch < 0xC2 || ch > 0xF4)
        return 0;
    if ((ch == 0xE3 && at(c, i + 1) == 0x80) || (ch == 0xEF && (at(c, i + 1) == 0xBC || at(c, i + 1) == 0xBD)))
        return 0;
    return ch < 0xE0 ? 2 : ch < 0xF0 ? 3 : 4;
}

/* Is s on an RFC 5322 msg-id header line (Message-ID, In-Reply-To, References, Content-ID)? Those
 * "<local@domain>" are message identifiers, not mailboxes. */
static bool in_msgid_header(const struct anon_ctx *c, size_t s)
{
    static const char *const hdr[] = {"message-id:", "in-reply-to:", "references:", "content-id:", NULL};
    size_t b = s, lim = s > 300 ? s - 300 : 0;
    const char *const *h;

    while (b > lim && c->p[b - 1] != '\n')
        b--;
    if (b > 0 && c->p[b - 1] != '\n')
        return false;
    for (h = hdr; *h; h++) {
        size_t L = strlen(*h), k;

        for (k = 0; k < L && lower(at(c, b + k)) == (unsigned char)(*h)[k]; k++)
            ;
        if (k == L && at(c, s - 1) == '<')
            return true;
    }
    return false;
}

/* A local part of three- or four-byte characters only ("张伟@example.cn", RFC 6531): is_local stops
 * at them so that CJK prose running into an ASCII address is not taken along, but when nothing
 * ASCII or two-byte precedes the '@' the characters before it are the local part: back over
 * whole characters, not CJK or full-width punctuation, at most 64 bytes (RFC 5321's limit).
 * Returns atpos when there is none. */
static size_t cjk_local_start(const struct anon_ctx *c, size_t atpos)
{
    size_t s = atpos;

    while (s > 0 && atpos - s < 64) {
        size_t b = s - 1;

        while (b > 0 && s - b < 4 && c->p[b] >= 0x80 && c->p[b] < 0xC0)
            b--;
        if (c->p[b] < 0xE0 || c->p[b] > 0xF4 || (c->p[b] & 0xC0) != 0xC0)
            break; /* not the lead byte of a 3/4-byte character */
        if ((c->p[b] == 0xE3 && at(c, b + 1) == 0x80) ||
            (c->p[b] == 0xEF && (at(c, b + 1) == 0xBC || at(c, b + 1) == 0xBD)))
            break; /* CJK symbols and punctuation, full-width forms */
        if (atpos - b > 64)
            break;
        s = b;
    }
    return s;
}

/* "3A" "2F" "3F" "3D" "26" at i (any case): a percent-encoded ':' '/' '?' '=' '&' */
static bool pct_delim(const struct anon_ctx *c, size_t i)
{
    int a = at(c, i), b = lower(at(c, i + 1));

    return (a == '3' && (b == 'a' || b == 'f' || b == 'd')) || (a == '2' && (b == 'f' || b == '6'));
}

/* atlen: the '@' as written, 1 byte or 3 ("%40", URL-encoded in a query string or path) */
static void det_email(struct anon_ctx *c, size_t end, size_t atlen)
{
    size_t atpos = end - 1 - atlen, s = atpos, e = end - 1, lastdot = 0, k;

    while (s > 0 && is_local(c->p[s - 1]))
        s--;
    while (s < atpos && ((c->p[s] >= 0x80 && c->p[s] < 0xC0) || c->p[s] == '.' || c->p[s] == '\''))
        s++; /* start on a character boundary */
    if (s == atpos && atlen == 1)
        s = cjk_local_start(c, atpos);
    if (atlen == 3) /* URL-encoded: the local part starts after an encoded ':', '/', '?', '=' or '&' */
        for (k = s; k + 3 <= atpos; k++)
            if (c->p[k] == '%' && (pct_delim(c, k + 1)))
                s = k + 3;
    while (e < c->n && domain_char(c, e))
        e += domain_char(c, e);
    if (e > c->n)
        e = c->n;
    while (e > end && (c->p[e - 1] == '.' || c->p[e - 1] == '-'))
        e--;
    for (k = end - 1; k < e; k++)
        if (c->p[k] == '.')
            lastdot = k;
    if (s == atpos || !lastdot || e - lastdot < 3)
        return;
    for (k = lastdot + 1; k < e; k++)
        if (!is_alpha(c->p[k]) && c->p[k] < 0x80 && c->p[k] != '-')
            return;
    if (at(c, s - 1) == '<' && in_msgid_header(c, s))
        return;
    add(c, s, e, SL_PII_EMAIL);
}

/* A bracketed "dot" ("[dot]", "(dot)", "{dot}", any case) at i, with up to one space either side:
 * its end, or 0. */
static size_t obf_dot_at(const struct anon_ctx *c, size_t i)
{
    static const char open[] = "[({", close[] = "])}";
    int k;

    if (at(c, i) == ' ')
        i++;
    for (k = 0; k < 3; k++)
        if (at(c, i) == open[k] && lower(at(c, i + 1)) == 'd' && lower(at(c, i + 2)) == 'o' &&
            lower(at(c, i + 3)) == 't' && at(c, i + 4) == close[k])
            return at(c, i + 5) == ' ' ? i + 6 : i + 5;
    return 0;
}

/* "jane.doe [at] example [dot] com", "jane(at)example.com" (end is after the bracketed "at"): a
 * local part right before (one space allowed), then domain labels joined by '.' or a bracketed
 * "dot", at least two labels, the last one (the TLD) two or more letters. */
static void det_email_obf(struct anon_ctx *c, size_t end)
{
    size_t atpos = end - 4, s = atpos, e, lab = 0, tld = 0, labels = 0, d;

    if (s > 0 && c->p[s - 1] == ' ')
        s--;
    d = s;
    while (s > 0 && d - s < 64 && (is_alnum(c->p[s - 1]) || in_set("._+-", c->p[s - 1])))
        s--;
    while (s < d && c->p[s] == '.')
        s++;
    if (s == d || c->p[s] == '-')
        return;
    e = at(c, end) == ' ' ? end + 1 : end;
    while (e < c->n && e - end < 256) {
        lab = e;
        while (e < c->n && (is_alnum(c->p[e]) || c->p[e] == '-'))
            e++;
        if (e == lab)
            break;
        labels++;
        tld = lab;
        if (at(c, e) == '.' && is_alnum(at(c, e + 1)))
            e++;
        else if ((d = obf_dot_at(c, e)) && is_alnum(at(c, d)))
            e = d;
        else
            break;
    }
    if (labels < 2 || e - tld < 2)
        return;
    for (d = tld; d < e; d++)
        if (!is_alpha(c->p[d]))
            return;
    add(c, s, e, SL_PII_EMAIL);
}

/* ---- digit-led values: IPv4, US_SSN, CREDIT_CARD, PHONE, number-first ADDRESS -------------------- */

static size_t parse_ipv4(const struct anon_ctx *c, size_t i)
{
    int part;

    for (part = 0; part < 4; part++) {
        size_t r = digit_run(c, i);

        if (r == 0 || r > 3 || num_at(c, i, r) > 255)
            return 0;
        i += r;
        if (part < 3) {
            if (at(c, i) != '.')
                return 0;
            i++;
        }
    }
    if (is_alnum(at(c, i)) || (at(c, i) == '.' && is_digit(at(c, i + 1))))
        return 0;
    return i;
}

/* dots: '.' also separates the groups ("123.45.6789"), taken only after an SSN cue (without one it
 * reads as a version or a decimal). */
static size_t parse_ssn(const struct anon_ctx *c, size_t i, bool dots)
{
    static const unsigned char lens[3] = {3, 2, 4};
    unsigned v[3];
    int sep = 0, g;

    for (g = 0; g < 3; g++) {
        if (digit_run(c, i) != lens[g])
            return 0;
        v[g] = num_at(c, i, lens[g]);
        i += lens[g];
        if (g < 2) {
            if (g == 0)
                sep = at(c, i);
            if ((sep != '-' && sep != ' ' && (!dots || sep != '.')) || at(c, i) != sep)
                return 0;
            i++;
        }
    }
    if (is_alnum(at(c, i)) || (at(c, i) == '-' && is_digit(at(c, i + 1))))
        return 0;
    if (v[0] == 0 || v[0] == 666 || v[0] >= 900 || v[1] == 0 || v[2] == 0)
        return 0;
    return i;
}

static bool luhn_ok(const char *d, size_t n)
{
    unsigned sum = 0;
    size_t k;

    for (k = 0; k < n; k++) {
        unsigned v = (unsigned)(d[n - 1 - k] - '0');

        if (k & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/* Issuer prefixes (IIN ranges) of the networks in common use. */
static bool iin_ok(const char *d, size_t n)
{
    unsigned p2 = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
    unsigned p3 = p2 * 10 + (unsigned)(d[2] - '0');
    unsigned p4 = p3 * 10 + (unsigned)(d[3] - '0');

    if (d[0] == '4')
        return n == 13 || n == 16 || n == 19;           /* Visa */
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
        return n == 16;                                  /* Mastercard */
    if (p4 >= 2200 && p4 <= 2204)
        return n >= 16;                                  /* Mir */
    if (p2 == 81 || p2 == 82)
        return n == 16;                                  /* RuPay */
    if (p2 == 34 || p2 == 37)
        return n == 15;                                  /* Amex */
    if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || p2 == 62)
        return n >= 16;                                  /* Discover, UnionPay */
    if (p4 >= 3528 && p4 <= 3589)
        return n >= 16;                                  /* JCB */
    if ((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39)
        return n >= 14;                                  /* Diners */
    if (p2 == 50 || (p2 >= 56 && p2 <= 69))
        return n >= 12;                                  /* Maestro */
    return false;
}

/* Digit groups separated by one consistent separator from seps. Fills ends[] (offset after each
 * group) and cum[] (digits so far); returns the group count. */
static int groups(const struct anon_ctx *c, size_t i, const char *seps, size_t *ends, size_t *cum,
                  int maxg, char *digits, size_t maxd)
{
    int g = 0, sep = 0, sc;
    size_t nd = 0, sl;

    while (g < maxg) {
        size_t r = digit_run(c, i);

        if (r == 0 || nd + r > maxd)
            break;
        copy_digits(digits + nd, c, i, r);
        nd += r;
        i += r;
        ends[g] = i;
        cum[g] = nd;
        g++;
        sc = sep_at(c, i, seps, &sl);
        if (!sc || !is_digit(at(c, i + sl)))
            break;
        if (sep && sc != sep)
            break;
        sep = sc;
        i += sl;
    }
    return g;
}

/* GS1 check digit (weights 3,1 from the right, excluding the check digit). */
static bool gtin_ok(const char *d, size_t n)
{
    unsigned sum = 0;
    size_t k;

    for (k = 0; k + 1 < n; k++)
        sum += (unsigned)(d[n - 2 - k] - '0') * ((k & 1) ? 1u : 3u);
    return (10 - sum % 10) % 10 == (unsigned)(d[n - 1] - '0');
}

static size_t parse_card(const struct anon_ctx *c, size_t i)
{
    size_t ends[8], cum[8];
    char d[20];
    int g = groups(c, i, " -.", ends, cum, 8, d, 19); /* "4111.1111.1111.1111" too */

    for (; g > 0; g--) {
        size_t e = ends[g - 1];

        if (cum[g - 1] < 13 || is_alnum(at(c, e)))
            continue;
        if (cum[g - 1] == 13 && g == 1 && gtin_ok(d, 13))
            continue; /* an EAN-13 barcode (GS1 check digit), not a 13-digit Visa number */
        if (iin_ok(d, cum[g - 1]) && luhn_ok(d, cum[g - 1]))
            return e;
    }
    return 0;
}

/* ISBN-10/13 written in groups (ISO 2108): group, publisher, title, then a one-character check digit. */
static bool isbn_like(const char *d, size_t n, int ng, int sep, size_t lastlen)
{
    unsigned sum = 0;
    size_t k;

    if ((sep != '-' && sep != ' ') || lastlen != 1)
        return false;
    if (n == 13 && ng >= 4 && d[0] == '9' && d[1] == '7' && (d[2] == '8' || d[2] == '9'))
        return true;
    if (n == 10 && ng >= 4) {
        for (k = 0; k < 10; k++)
            sum += (unsigned)(d[k] - '0') * (unsigned)(10 - k);
        return sum % 11 == 0;
    }
    return false;
}

/* In scripts written without spaces a cue (lead byte 0xE0 and up) starts a word after CJK
 * punctuation (U+3000..U+303F: 、。「」) or after a particle or pronoun that cannot end a compound:
 * "我的手机号是..." ("my mobile number is"), "お客様の電話...", "请拨打电话...". After any other
 * ideograph it is the tail of a compound ("注文番号": order number, not phone number). */
static bool cjk_cue_start(const struct anon_ctx *c, size_t i, const char *cue)
{
    static const char particles[] = "的是为為和或及与與请請拨撥打我您你他她のはをにがも";
    const unsigned char *q;
    size_t k;

    if ((unsigned char)cue[0] < 0xE0 || i < 3)
        return false;
    q = c->p + i - 3;
    if (q[0] == 0xE3 && q[1] == 0x80)
        return true;
    for (k = 0; particles[k]; k += 3)
        if (memcmp(q, particles + k, 3) == 0)
            return true;
    return false;
}

/* Offset just after the nearest cue (a word start matching one of cues) in [s - win, s), or 0. */
static size_t cue_before(const struct anon_ctx *c, size_t s, size_t win, const char *const *cues)
{
    size_t b = s > win ? s - win : 0, i, L, best = 0;

    for (; *cues; cues++) {
        unsigned char c0 = (unsigned char)(*cues)[0];

        L = strlen(*cues);
        for (i = b; i + L <= s; i++) {
            size_t k;

            if (lower(c->p[i]) != c0) /* most bytes: the cheapest test first */
                continue;
            if (i > 0 && is_wordbyte(c->p[i - 1]) && c0 != '#' && !cjk_cue_start(c, i, *cues))
                continue; /* a cue starts a word */
            if (i > 0 && (c->p[i - 1] == '_' || c->p[i - 1] == '<') && (at(c, i + L) == ']' || at(c, i + L) == '_'))
                continue; /* inside an operator's placeholder ("[REDACTED_PHONE]", "<PHONE_1>") */
            for (k = 0; k < L && lower(c->p[i + k]) == (unsigned char)(*cues)[k]; k++)
                ;
            if (k == L && i + L > best)
                best = i + L;
        }
    }
    return best;
}

/* A '.' that ends a sentence: after a number or a word of five or more bytes, not after an
 * abbreviation such as "tel." or "No.". */
static bool sentence_dot(const struct anon_ctx *c, size_t k)
{
    size_t w = k;

    if (c->p[k] != '.')
        return false;
    if (is_digit(before(c, k)))
        return true;
    while (w > 0 && is_wordbyte(c->p[w - 1]))
        w--;
    return k - w >= 5;
}

static bool word_is(const struct anon_ctx *c, size_t s, size_t e, const char *const *list);

static const char *const phone_cues[] = {
        "phone", "tel", "tél", "mobile", "cell", "call", "reach", "sms", "text me", "whatsapp",
        "fax", "contact", "número", "numéro", "number", "nummer", "handy", "mobil", "anruf",
        "rückruf", "erreich", "portable", "joindre", "rappel", "appel", "móvil", "movil", "celular",
        "llam", "contactar", "telefone", "ligue", "ligar", "contato", "\xe9\x9b\xbb\xe8\xa9\xb1",
        "\xe7\x94\xb5\xe8\xaf\x9d", "kom.", "komórk", "cellulare", "telefoon", "mobiel", "bel ",
        "\xd1\x82\xd0\xb5\xd0\xbb", "\xd0\xbc\xd0\xbe\xd0\xb1", /* тел моб */
        "\xe6\x89\x8b\xe6\x9c\xba", "\xe7\x95\xaa\xe5\x8f\xb7", /* 手机 番号 */
        "mob", "ph:", "ph.", "cel", "fone", "ruf", "zadzwo", "tfn", "puh", NULL};

/* Is the word right before s (past at most three of " \t:#.=-") one that names an id ("order",
 * "tracking", "part no.", "Sendung", ...), with no phone cue just before that word ("Tel. no.")?
 * Then the digits after it are that id ("DHL tracking 1234 5678 90", "part no. 0123-4567-89"). */
static bool id_word_before(const struct anon_ctx *c, size_t s)
{
    static const char *const stems[] = {"order", "bestell", "auftrag", "commande", "pedido", "encomenda", "invoice",
                                        "rechnung", "factur", "fatura", "ticket", "tracking", "sendung", "suivi",
                                        "seguimiento", "rastreamento", "serial", "batch", "dossier", "vorgang",
                                        "transac", "parcel", "shipment", "awb", NULL};
    static const char *const exact[] = {"nr", "id", "ref", "part", "sku", "item", "lot", "case", "po", NULL};
    static const char *const no[] = {"no", NULL}; /* "no." only: Portuguese "retornar no 02 45 ..." is "at" */
    size_t e = s, w, k = 0;
    const char *const *st;

    while (e > 0 && k < 3 && strchr(" \t:#.=-", c->p[e - 1]) && c->p[e - 1]) {
        e--;
        k++;
    }
    for (w = e; w > 0 && is_alpha(c->p[w - 1]) && e - w < 16; w--)
        ;
    if (w == e || (w > 0 && is_wordbyte(c->p[w - 1])))
        return false;
    /* every digit run after a blank comes here: the first letter rules out most words at once */
    if (!strchr("obacipefrtsvlnd", lower(c->p[w])))
        return false;
    if (word_is(c, w, e, no)) {
        if (c->p[e] != '.')
            return false;
    } else if (!word_is(c, w, e, exact)) {
        for (st = stems; *st; st++) {
            size_t L, j;

            if (lower(c->p[w]) != (unsigned char)(*st)[0] || (L = strlen(*st)) > e - w)
                continue;
            for (j = 0; j < L && lower(c->p[w + j]) == (unsigned char)(*st)[j]; j++)
                ;
            if (j == L)
                break;
        }
        if (!*st)
            return false;
    }
    return !cue_before(c, w, 16, phone_cues);
}

static bool phone_cue(const struct anon_ctx *c, size_t s)
{
    static const char *const ids[] = {
        "order", "bestell", "auftrag", "commande", "pedido", "encomenda", "invoice", "rechnung",
        "factur", "fatura", "ticket", "ref", "id", "#", "nr", "no.", "vorgang", "tracking",
        "sendung", "suivi", "seguimiento", "rastreamento", "account", "konto", "compte", "cuenta",
        "conta", "customer", "kunden", "client", "cliente", "case", "fall", "dossier", "caso",
        "transac", "serial", "version",
        "订单", "訂單", "单号", "單號", "编号", "編號", "注文", "受付", "会员", "會員", "会員", NULL};
    static const char *const numwords[] = {"number", "nummer", "numéro", "número", "numero", "no.", "nr", NULL};
    size_t pc = cue_before(c, s, 40, phone_cues), id = cue_before(c, s, 40, ids), k;

    if (!pc || id >= pc)
        return false;
    for (k = pc; k < s; k++) /* the cue is in the same sentence: no line or sentence end between */
        if (c->p[k] == '\n' || ((c->p[k] == '!' || c->p[k] == '?' || sentence_dot(c, k)) && at(c, k + 1) == ' ') ||
            (c->p[k] == 0xE3 && at(c, k + 1) == 0x80 && at(c, k + 2) == 0x82)) /* 。 */
            return false;
    if (cue_before(c, s, 40, numwords) == pc) {
        size_t b = pc > 8 ? pc - 8 : 0; /* the number word's start is at or after b */

        while (b < pc && !(b > 0 && !is_wordbyte(c->p[b - 1]) && lower(c->p[b]) == 'n'))
            b++;
        if (b > 1 && cue_before(c, b - 1, 24, ids) >= b - 2)
            return false; /* "tracking number 17758...": the number word belongs to the id word before it */
    }
    return true;
}

static bool alone_on_line(const struct anon_ctx *c, size_t s, size_t e)
{
    int b = before(c, s), a = at(c, e);

    return (b == 0 || b == '\n') && (a == 0 || a == '\n' || a == '\r');
}

/* An extension after a phone number ending at e: "ext. 123", ", ext 7", "extension 42", ";ext=123"
 * (RFC 3966), "x123", " x 123", "#123". Returns its end, or 0. */
static size_t phone_ext(const struct anon_ctx *c, size_t e)
{
    size_t k = e, r;

    if (at(c, k) == ' ' || at(c, k) == ';')
        k++;
    else if (at(c, k) == ',')
        k += at(c, k + 1) == ' ' ? 2 : 1;
    if (lower(at(c, k)) == 'e' && lower(at(c, k + 1)) == 'x' && lower(at(c, k + 2)) == 't') {
        k += 3;
        if (lower(at(c, k)) == 'e' && lower(at(c, k + 1)) == 'n' && lower(at(c, k + 5)) == 'n')
            k += 6; /* "extension" */
        if (at(c, k) == '.' || at(c, k) == '=' || at(c, k) == ':')
            k++;
    } else if ((lower(at(c, k)) == 'x' || at(c, k) == '#') && (k == e || at(c, k - 1) == ' ')) {
        k++;
    } else {
        return 0;
    }
    if (at(c, k) == ' ')
        k++;
    r = digit_run(c, k);
    if (r == 0 || r > 6 || is_alnum(at(c, k + r)))
        return 0;
    return k + r;
}

/* Phone numbers: E.164 with '+', or national forms with a trunk '0', a parenthesised area code, the
 * NANP 3-3-4 plan, or space-grouped 9-11 digit numbers. Dates, times, ISBNs, long ids are not. */
static size_t parse_phone(const struct anon_ctx *c, size_t s, size_t i, bool plus)
{
    size_t glen[16], nd = 0, e, last_end = i, sl, ext;
    char d[16];
    int ng = 0, sep = 0, nsep = 0, nsep_last = 0, paren = 0, sc;

    if (at(c, s) == '(') {
        size_t r0 = digit_run(c, i);

        if (at(c, i + r0) == ')' && r0 <= 5)
            paren = 1; /* "(81) 99335-6190": parenthesised area code */
        else
            s = plus ? i - 1 : i; /* "(0161 574 3777)", "(+33606632761)": they wrap the number */
    }
    for (;;) {
        size_t r = digit_run(c, i);

        if (r == 0 || ng == 16)
            break;
        if (ng > 0 && at(c, i + r) == ':' && !paren) {
            i = last_end; /* "... 2001:db8::1": a group before ':' belongs to what follows */
            nsep = nsep_last;
            break;
        }
        if (nd + r > 15)
            return 0;
        copy_digits(d + nd, c, i, r);
        nd += r;
        glen[ng++] = r;
        i += r;
        last_end = i;
        nsep_last = nsep;
        if (paren == 1 && at(c, i) == ')') {
            paren = 2;
            i++;
            if (at(c, i) == ' ')
                i++;
            if (!is_digit(at(c, i)))
                return 0;
            continue;
        }
        if (at(c, i) == ' ' && at(c, i + 1) == '(' && is_digit(at(c, i + 2)) && !paren) {
            paren = 1;
            i += 2;
            continue;
        }
        if ((sc = sep_at(c, i, " -./", &sl)) != 0 && is_digit(at(c, i + sl))) {
            if (sep && sep != sc)
                nsep++;
            sep = sc;
            i += sl;
            continue;
        }
        break;
    }
    e = i;
    if (paren == 1 || nd < 7)
        return 0;
    ext = phone_ext(c, e);
    if (!ext && (is_alnum(at(c, e)) || (at(c, e) == ':' && is_digit(at(c, e + 1))) || at(c, e) == '@'))
        return 0;
    if (ext)
        e = ext;
    if (!plus && id_word_before(c, s))
        return 0;
    /* "123 456 789,00 €": thousands in groups of three and decimals, not a CSV field after it */
    if (!plus && sep == ' ' && ng >= 3 && glen[0] <= 3 && (at(c, e) == ',' || at(c, e) == '.') &&
        digit_run(c, e + 1) == 2 && !is_alnum(at(c, e + 3)) && (!at(c, e + 3) || !strchr(",;\t", at(c, e + 3)))) {
        int k;

        for (k = 1; k < ng && glen[k] == 3; k++)
            ;
        if (k == ng)
            return 0;
    }
    if (plus)
        return nd >= 8 && d[0] != '0' ? e : 0;
    if (ng == 1 && d[0] == '0' && d[1] != '0' && nd >= 10 && nd <= 11)
        return e;
    if (ng == 1) /* unseparated: only with a phone cue before it or alone on its line */
        return nd >= 9 && nd <= 11 && (phone_cue(c, s) || alone_on_line(c, s, e)) ? e : 0;
    if (ng == 3 && sep != ' ' && ((glen[0] == 4 && glen[1] <= 2 && glen[2] <= 2) ||
                                  (glen[0] <= 2 && glen[1] <= 2 && glen[2] == 4) ||
                                  (glen[0] <= 2 && glen[1] <= 2 && glen[2] == 2)))
        return 0; /* a date */
    if (isbn_like(d, nd, ng, sep, glen[ng - 1]))
        return 0;
    if (nd >= 9 && nd <= 12 && phone_cue(c, s))
        return e; /* "tel. 601-798-489": a phone cue and a subscriber number's length, any grouping */
    if (nsep > 1)
        return 0;
    if (d[0] == '0' && d[1] == '0' && d[2] != '0' && glen[0] >= 2 && glen[0] <= 5 && ng >= 2 && nd >= 10)
        return e; /* "0044 20 7946 0958": the international prefix 00 instead of '+' */
    if (d[0] == '0')
        return nd >= 8 && nd <= 12 && d[1] != '0' ? e : 0;
    if (paren == 2)
        return nd >= 9 && nd <= 11 ? e : 0;
    if (ng == 3 && nd == 10 && glen[0] == 3 && glen[1] == 3 && glen[2] == 4 && d[0] >= '2' && d[3] >= '2')
        return e; /* NANP */
    if (ng == 4 && nd == 11 && d[0] == '1' && glen[0] == 1 && glen[1] == 3)
        return e;
    if (sep == ' ' && ng >= 2 && nd >= 9 && nd <= 11) {
        int k;

        for (k = 0; k < ng; k++)
            if (glen[k] < 2)
                return 0;
        return e;
    }
    return 0;
}

/* ---- words ------------------------------------------------------------------------------------- */

/* A word of letters (UTF-8 bytes count as letters) with inner ' or - joins; returns its end. */
static size_t word_end(const struct anon_ctx *c, size_t i)
{
    while (i < c->n) {
        int ch = c->p[i];

        if (is_wordbyte(ch))
            i++;
        else if ((ch == '-' || ch == '\'') && is_wordbyte(at(c, i + 1)) && i > 0 && is_wordbyte(c->p[i - 1]))
            i++;
        else
            break;
    }
    return i;
}

/* Starts with an upper-case letter: ASCII, Latin-1 (C3 80..9E but not the multiplication sign), or
 * Latin Extended-A (C4/C5: mixed case; accepted). */
static bool upper_at(const struct anon_ctx *c, size_t i)
{
    int ch = at(c, i), nx = at(c, i + 1);

    if (is_upper(ch))
        return true;
    if (ch == 0xC3)
        return nx >= 0x80 && nx <= 0x9E && nx != 0x97;
    if ((ch == 0xC4 || ch == 0xC5) && nx >= 0x80 && nx <= 0xBF) {
        unsigned cp = (unsigned)((ch & 0x1F) << 6 | (nx & 0x3F)); /* U+0100..U+017F: pairs, upper first */

        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
            return cp & 1;
        return cp != 0x138 && cp != 0x149 && cp != 0x17F && (cp == 0x178 || !(cp & 1));
    }
    if (ch == 0xD0) /* Cyrillic capitals U+0400..U+042F */
        return nx >= 0x80 && nx <= 0xAF;
    if (ch == 0xCE) /* Greek capitals U+0386..U+03A9 */
        return nx >= 0x86 && nx <= 0xA9;
    return false;
}

static bool word_is(const struct anon_ctx *c, size_t s, size_t e, const char *const *list)
{
    int first = lower(at(c, s));

    const size_t L = e - s;

    for (; *list; list++) {
        const unsigned char *w = (const unsigned char *)*list;
        size_t k;

        if (w[0] != first) /* no strlen: the loop stops at w's end or the first difference */
            continue;
        for (k = 1; k < L && w[k] && lower(c->p[s + k]) == w[k]; k++)
            ;
        if (k == L && w[L] == 0)
            return true;
    }
    return false;
}

/* The long word lists (street types, particles, months, not-names) as hash sets: word_is walks a
 * list, which costs a thousand instructions per word on these. Built once per process from the
 * lists themselves (pthread_once), read-only afterwards. */
#define WS_SLOTS 1024 /* power of two, more than twice the longest list */

struct wordset {
    const char *const *list;
    unsigned short slot[WS_SLOTS]; /* list index + 1, 0 = empty */
};

static uint32_t ws_hash(const unsigned char *w, size_t n, bool fold)
{
    uint32_t h = 2166136261u;

    while (n--) {
        int ch = *w++;

        h = (h ^ (uint32_t)(fold ? lower(ch) : ch)) * 16777619u;
    }
    return h;
}

static void ws_build(struct wordset *set)
{
    size_t k;

    for (k = 0; set->list[k]; k++) {
        const unsigned char *w = (const unsigned char *)set->list[k];
        uint32_t j = ws_hash(w, strlen(set->list[k]), false) & (WS_SLOTS - 1);

        while (set->slot[j])
            j = (j + 1) & (WS_SLOTS - 1);
        set->slot[j] = (unsigned short)(k + 1);
    }
}

/* Same answer as word_is(c, s, e, set->list). */
static bool word_in(const struct anon_ctx *c, size_t s, size_t e, const struct wordset *set)
{
    uint32_t j;

    if (e <= s || e > c->n)
        return false;
    for (j = ws_hash(c->p + s, e - s, true) & (WS_SLOTS - 1); set->slot[j]; j = (j + 1) & (WS_SLOTS - 1)) {
        const unsigned char *w = (const unsigned char *)set->list[set->slot[j] - 1];
        size_t k;

        for (k = 0; k < e - s && w[k] && lower(c->p[s + k]) == w[k]; k++)
            ;
        if (k == e - s && w[k] == 0)
            return true;
    }
    return false;
}

static struct wordset set_streets, set_particles, set_months, set_not_names, set_col_heads, set_thing_heads,
    set_company;

/* ---- ADDRESS ---------------------------------------------------------------------------------- */

static const char *const street_types[] = {
    "street", "st", "avenue", "ave", "av", "road", "rd", "lane", "ln", "drive", "dr", "court", "ct",
    "boulevard", "blvd", "way", "place", "pl", "close", "square", "sq", "terrace", "crescent",
    "parkway", "pkwy", "highway", "hwy", "circle", "cir", "trail", "row", "mews", "gardens", "grove",
    "hill", "park", "camp", "vale", "wall", "walk", "green", "view", "ridge", "heights", "crossing",
    "loop", "path", "pike", "plaza", "point", "port", "run", "shore", "spring", "springs", "station",
    "summit", "track", "turnpike", "union", "valley", "villages", "village", "ville", "wells",
    "burg", "bypass", "cape", "causeway", "center", "centre", "cliff", "club", "common", "corner",
    "creek", "dale", "dam", "divide", "estate", "estates", "expressway", "extension", "falls",
    "ferry", "field", "fields", "flat", "flats", "ford", "forest", "forge", "fork", "fort",
    "freeway", "gateway", "glen", "harbor", "haven", "hollow", "inlet", "island", "isle",
    "junction", "key", "knoll", "lake", "lakes", "landing", "light", "lock", "lodge", "manor",
    "meadow", "meadows", "mill", "mills", "mission", "motorway", "mount", "mountain", "neck",
    "orchard", "oval", "pass", "pine", "pines", "plain", "plains", "prairie", "radial", "ramp",
    "ranch", "rapids", "rest", "river", "route", "shoal", "skyway", "stream", "throughway",
    "trace", "trafficway", "tunnel", "underpass", "via", "viaduct", "vista", "wharf", "wood",
    "woods", "bridge", "brook", "brooks", "bluff", "bluffs", "bottom", "branch", "bend", "beach",
    "rue", "allée", "allee", "chemin", "impasse", "voie", "cours", "passage", "quai", "rond-point",
    "sentier", "faubourg", "esplanade", "promenade", "parvis", "hameau", "rua", "travessa",
    "alameda", "avenida", "rodovia", "estrada", "praça", "largo", "marginal", "viela", "ladeira",
    "vila", "calle", "camino", "paseo", "ronda", "rambla", "carrera", "carretera",
    "alley", "anex", "arcade", "bayou", "canyon", "cove", "crest", "crossroad", "curve", "land",
    "garden", "bank",
    "loaf", "mall", "overpass", "spur", "stravenue", "chase", "brow", "mead", "end", "lea", "glade",
    "coppice", "rise", "yard", "gate", "croft", "fold", "garth", "dene", "drove", "parade", "quay",
    "approach", "circus", "grange", "leys", "pastures", "paddock", "side", "wynd", "broadway",
    "kingsway", "corners", "forks", "islands", "shoals", "unions", NULL};

/* Abbreviated street and unit words written in lower case before a name or number (pl, ru, it,
 * es, fr, nl). */
static const char *const street_abbrev[] = {"ul", "al", "os", "pl", "ул", "пр", "пер", "ш", "наб", "пл",
                                            "д", "кв", "корп", "стр", "г", "пос", "c", "av", "bd", "str",
                                            "nr", "n", "no", NULL};

static const char *const particles[] = {"de", "da", "do", "dos", "das", "del", "della", "di", "du",
                                        "des", "van", "von", "der", "den", "la", "le", "los", "las",
                                        "y", "e", "ten", "ter", "zu", "bin", "al", "el", "sur",
                                        "upon", "under", "on", "am", "an", "im", "in", NULL};

/* Extend an address over the tail: numbers, postcodes, capitalised words, short particles, commas,
 * unit words; stop at line end, a long lowercase word or after 120 bytes. Returns the end. */
static size_t addr_tail(const struct anon_ctx *c, size_t i, size_t limit)
{
    size_t good = i, max = i + limit;

    while (i < c->n && i < max) {
        int ch = c->p[i];
        size_t e;

        if (ch == ' ' || ch == ',') {
            i++;
            continue;
        }
        if (ch == '.' && (at(c, i + 1) == ' ' || at(c, i + 1) == ',') && i == good) {
            i++; /* "St." "Av." */
            good = i;
            continue;
        }
        if (is_digit(ch) || (is_upper(ch) && (is_digit(at(c, i + 1)) || is_upper(at(c, i + 1))))) {
            e = i;
            while (is_alnum(at(c, e)) || ((at(c, e) == '-' || at(c, e) == '/') && is_alnum(at(c, e + 1))))
                e++;
            if (at(c, e) == 0xC2 && (at(c, e + 1) == 0xBA || at(c, e + 1) == 0xAA))
                e += 2; /* 4º 2ª */
            i = good = e;
            continue;
        }
        if (upper_at(c, i)) {
            e = word_end(c, i);
            if (e == i)
                break;
            i = good = e;
            continue;
        }
        if ((ch == 'l' || ch == 'd') && at(c, i + 1) == '\'' && upper_at(c, i + 2)) {
            i += 2; /* French elision before a capitalised name: "de l'Église", "d'Italie" */
            continue;
        }
        if (is_lower(ch) || ch >= 0x80) {
            e = word_end(c, i);
            if (e == i || !(word_in(c, i, e, &set_particles) || word_in(c, i, e, &set_streets) ||
                            word_is(c, i, e, (const char *const[]){"étage", "piso", "andar", "apto",
                                                                   "apt", "suite", "bis", "ter", NULL}) ||
                            (at(c, e) == '.' && word_is(c, i, e, street_abbrev))))
                break;
            i = at(c, e) == '.' && word_is(c, i, e, street_abbrev) ? e + 1 : e;
            continue;
        }
        if (ch == '#' && is_digit(at(c, i + 1))) {
            i++;
            continue;
        }
        break;
    }
    return good;
}

static bool street_word(const struct anon_ctx *c, size_t s, size_t e)
{
    return word_in(c, s, e, &set_streets) ||
           (e - s > 3 && lower(c->p[e - 1]) == 's' && word_in(c, s, e - 1, &set_streets));
}

/* "Hirzenberg 29c, 57598 Grubestadt": street words, house number, then a postcode and a town. The
 * trigger ends at the town's first letter. */
static void det_addr_postcode(struct anon_ctx *c, size_t end)
{
    size_t k = end - 1, s, w;

    if (k > 0 && c->p[k - 1] == 0xC3)
        k--;
    while (k > 0 && c->p[k - 1] != ',')
        k--;
    if (k == 0)
        return;
    s = k - 1; /* at ',' */
    if (s > 0 && is_alpha(c->p[s - 1]))
        s--;
    while (s > 0 && is_digit(c->p[s - 1]))
        s--;
    for (w = 0; w < 4; w++) {
        size_t ws = s - 1;

        if (s < 2 || c->p[s - 1] != ' ')
            break;
        while (ws > 0 && (is_wordbyte(c->p[ws - 1]) || c->p[ws - 1] == '-' || c->p[ws - 1] == '.'))
            ws--;
        if (!upper_at(c, ws) && !word_in(c, ws, s - 1, &set_particles))
            break;
        s = ws;
    }
    if (!upper_at(c, s))
        return;
    add(c, s, addr_tail(c, k, 80), SL_PII_ADDRESS);
}

/* Street types that fr, it, es and pt write in lower case after the house number. */
static const char *const romance_lower_streets[] = {
    "rue", "avenue", "boulevard", "bd", "place", "chemin", "allée", "impasse", "quai", "cours",
    "route", "square", "via", "viale", "piazza", "corso", "vicolo", "calle", "avenida", "paseo",
    "plaza", "rua", "travessa", "praça", "largo", "estrada", NULL};

/* House number then up to five words of which one is a street type ("193 Corkery Camp"). */
static size_t parse_addr_numfirst(const struct anon_ctx *c, size_t i)
{
    size_t r = digit_run(c, i), k = i + r;
    int w;

    if (r == 0 || r > 5)
        return 0;
    if (is_lower(at(c, k)) && !is_alpha(at(c, k + 1)))
        k++; /* 68a */
    if (at(c, k) == ',')
        k++;
    if (at(c, k) != ' ')
        return 0;
    k++;
    for (w = 0; w < 5; w++) {
        size_t e = word_end(c, k);

        if (e == k && is_digit(at(c, k))) { /* "8th" */
            e = k + digit_run(c, k);
            if (!is_lower(at(c, e)) || !is_lower(at(c, e + 1)) || is_alpha(at(c, e + 2)))
                return 0;
            k = e + 2;
            if (at(c, k) != ' ')
                return 0;
            k++;
            continue;
        }
        if (e == k)
            return 0;
        if (street_word(c, k, e) && upper_at(c, k))
            return addr_tail(c, e, 120);
        /* fr it es pt write the street type in lower case right after the number ("12 rue de la
         * Paix", "5 via Roma"): then a particle or a capitalised word must follow it. */
        if (w == 0 && at(c, e) == ' ' && word_is(c, k, e, romance_lower_streets)) {
            size_t q = e + 1, qe;
            int np;

            for (np = 0; np < 3 && (qe = word_end(c, q)) > q && word_in(c, q, qe, &set_particles) &&
                         at(c, qe) == ' ';
                 np++)
                q = qe + 1;
            if ((at(c, q) == 'l' || at(c, q) == 'd') && at(c, q + 1) == '\'')
                q += 2; /* "rue de l'Église" */
            if (upper_at(c, q))
                return addr_tail(c, e, 120);
        }
        if (!upper_at(c, k) && !word_in(c, k, e, &set_particles))
            return 0;
        if (at(c, e) == '.')
            e++;
        if (at(c, e) != ' ')
            return 0;
        k = e + 1;
    }
    return 0;
}

/* Street word first ("Weidenstr. 811", "Calle Mayor 5", "Am Sandberg 68a"): a house number must come
 * within six words. */
static void det_addr_street(struct anon_ctx *c, size_t end, int arg)
{
    size_t s, k;
    int w;

    if (arg == 0) { /* German compound ending; end is after the first digit of the number */
        s = end - 1;
        while (s > 0 && (c->p[s - 1] == ' ' || c->p[s - 1] == '\t'))
            s--;
        if (s > 0 && c->p[s - 1] == '.')
            s--;
        while (s > 0 && (is_wordbyte(c->p[s - 1]) || c->p[s - 1] == '-'))
            s--;
        if (!upper_at(c, s))
            return;
        add(c, s, addr_tail(c, end - 1, 120), SL_PII_ADDRESS);
        return;
    }
    /* end is after the first byte (or two) of the capital after the street type word */
    s = end - 1;
    if (s > 0 && c->p[s - 1] == 0xC3)
        s--;
    k = s;
    if (s == 0 || c->p[s - 1] != ' ')
        return;
    s--;
    while (s > 0 && (is_wordbyte(c->p[s - 1]) || c->p[s - 1] == '/' || c->p[s - 1] == '.'))
        s--;
    for (w = 0; w < 7; w++) {
        size_t e;

        if (at(c, k) == ',' && at(c, k + 1) == ' ')
            k += 2;
        if ((is_digit(at(c, k)) && digit_run(c, k) <= 4) ||
            (at(c, k) == 's' && at(c, k + 1) == '/' && at(c, k + 2) == 'n')) {
            if (at(c, k) == 's') /* "s/n" (sin número): the tail goes on after it */
                k += at(c, k + 3) == '.' ? 4 : 3;
            add(c, s, addr_tail(c, k, 120), SL_PII_ADDRESS);
            return;
        }
        e = word_end(c, k);
        if (e == k || !(upper_at(c, k) || word_in(c, k, e, &set_particles)))
            return;
        if (at(c, e) != ' ' && at(c, e) != ',')
            return;
        k = e + (at(c, e) == ' ' ? 1 : 0);
    }
}

/* An address written in ideographs (JP/CN/TW order: postcode, prefecture or province, city, ward,
 * street, block and house numbers): ideographs, digits, '-', full-width digits and the ideographic
 * space, up to a line end or a sentence mark; it must hold a digit. Starts at i (after 〒 or a
 * label). Returns the end, 0 if none. */
static size_t parse_cjk_address(const struct anon_ctx *c, size_t i)
{
    size_t e = i, cjk = 0;
    bool digit = false, wrapped = false;

    while (e < c->n && e < i + 200) {
        int ch = at(c, e);

        if (is_digit(ch) || ch == '-' || (ch == ' ' && e > i && (is_digit(at(c, e + 1)) || cjk_at(c, e + 1)))) {
            digit |= is_digit(ch);
            e++;
        } else if (cjk_at(c, e) || (ch == 0xE3 && at(c, e + 1) >= 0x81 && at(c, e + 1) <= 0x83)) {
            e += 3; /* ideographs, kana (丁目, ケ) */
            cjk++;
        } else if (ch == 0xE3 && at(c, e + 1) == 0x80 && at(c, e + 2) == 0x92) {
            e += 3; /* 〒 */
        } else if (!cjk && digit && !wrapped && (ch == '\n' || (ch == '\r' && at(c, e + 1) == '\n')) &&
                   cjk_at(c, e + (ch == '\r' ? 2 : 1))) {
            e += ch == '\r' ? 2 : 1; /* a letter's postcode on a line of its own, the address below it */
            wrapped = true;
        } else {
            break;
        }
    }
    while (e > i && at(c, e - 1) == ' ')
        e--;
    return digit && cjk >= 2 && e <= c->n ? e : 0;
}

/* Does the field at i (after a house number and separators, if any) start with a letter of a
 * script without case (Hebrew, Arabic, Devanagari, Hangul...: lead bytes 0xD7 and up)? Their
 * words cannot be told from prose by capitals, so the label's field is the address. */
static bool caseless_script_field(const struct anon_ctx *c, size_t i)
{
    size_t k = i;

    while (k < i + 12 && (is_digit(at(c, k)) || at(c, k) == ' ' || at(c, k) == ',' || at(c, k) == '/' ||
                          at(c, k) == '-'))
        k++;
    return at(c, k) >= 0xD7 && at(c, k) <= 0xED;
}

/* End of a label's field from i: the line's end, a markup or JSON delimiter, two spaces or a tab,
 * or a sentence's full stop; at most limit bytes, at a character boundary. */
static size_t label_field_end(const struct anon_ctx *c, size_t i, size_t limit)
{
    size_t e = i, max = i + limit;

    while (e < c->n && e < max) {
        int ch = c->p[e];

        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == '"' || ch == '<' || ch == '|' ||
            (ch == ' ' && at(c, e + 1) == ' ') || ((ch == '.' || ch == 0xE0) && (at(c, e + 1) == ' ' || at(c, e + 1) == 0)))
            break;
        if (ch == 0xE0 && at(c, e + 1) == 0xA5 && at(c, e + 2) == 0xA4)
            break; /* the Devanagari danda */
        e++;
    }
    while (e > i && (c->p[e - 1] & 0xC0) == 0x80 && e < c->n && (c->p[e] & 0xC0) == 0x80)
        e--; /* not inside a character */
    while (e > i && (c->p[e - 1] == ' ' || c->p[e - 1] == ','))
        e--;
    return e;
}

static void det_addr_label(struct anon_ctx *c, size_t end)
{
    size_t i = end, e, k;
    bool digit = false;

    while (at(c, i) == '"' || at(c, i) == ' ')
        i++;
    if (at(c, i) == '<') { /* <b>...</b> */
        k = i;
        while (k < c->n && k < i + 12 && c->p[k] != '>')
            k++;
        if (at(c, k) == '>')
            i = k + 1;
    }
    if (cjk_at(c, i) || (before(c, i) == 0x92 && before(c, i - 1) == 0x80 && before(c, i - 2) == 0xE3)) {
        if ((e = parse_cjk_address(c, i)) != 0)
            add(c, i, e, SL_PII_ADDRESS);
        return;
    }
    if (caseless_script_field(c, i)) {
        e = label_field_end(c, i, 160);
        for (k = i; k < e; k++)
            if (is_digit(c->p[k]))
                digit = true;
        if (digit && e > i + 4)
            add(c, i, e, SL_PII_ADDRESS);
        return;
    }
    if (!is_digit(at(c, i)) && !upper_at(c, i)) {
        e = word_end(c, i); /* a street-type abbreviation first: "ul. Długa 5", "ул. Ленина, д. 7" */
        if (e == i || at(c, e) != '.' || !word_is(c, i, e, street_abbrev))
            return;
    }
    e = addr_tail(c, i, 140);
    for (k = i; k < e; k++)
        if (is_digit(c->p[k]))
            digit = true;
    if (digit && e > i + 4)
        add(c, i, e, SL_PII_ADDRESS);
}

/* ---- DATE_OF_BIRTH -------------------------------------------------------------------------- */

static const char *const months[] = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "januar", "jänner", "februar", "märz", "mai", "juni", "juli",
    "oktober", "dezember", "janvier", "février", "fevrier", "mars", "avril", "juin", "juillet",
    "août", "aout", "septembre", "octobre", "novembre", "décembre", "decembre", "enero", "febrero",
    "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "setiembre", "octubre",
    "noviembre", "diciembre", "janeiro", "fevereiro", "março", "marco", "maio", "junho", "julho",
    "setembro", "outubro", "novembro", "dezembro", "ene", "abr", "ago", "dic", "dez", "okt", "fev",
    "out", "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
    "dicembre", "gen", "mag", "giu", "lug", "set", "ott", "januari", "februari", "maart", "mei",
    "augustus", "augusti", "maj", "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
    "lipca", "sierpnia", "września", "października", "listopada", "grudnia", "styczeń", "luty",
    "marzec", "kwiecień", "czerwiec", "lipiec", "sierpień", "wrzesień", "październik", "listopad",
    "grudzień", "января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
    "сентября", "октября", "ноября", "декабря", NULL};

static size_t skip_de(const struct anon_ctx *c, size_t i)
{
    if (at(c, i) == 'd' && at(c, i + 1) == 'e' && at(c, i + 2) == ' ')
        return i + 3;
    return i;
}

/* 1987年3月14日 (CJK: year U+5E74, month U+6708, day U+65E5; 1-2 digit month and day), and the
 * Korean 1990년 5월 3일 (U+B144, U+C6D4, U+C77C; a space may follow each mark). */
static size_t parse_cjk_date(const struct anon_ctx *c, size_t i)
{
    static const unsigned char han[3][3] = {{0xE5, 0xB9, 0xB4}, {0xE6, 0x9C, 0x88}, {0xE6, 0x97, 0xA5}};
    static const unsigned char ko[3][3] = {{0xEB, 0x85, 0x84}, {0xEC, 0x9B, 0x94}, {0xEC, 0x9D, 0xBC}};
    size_t r = digit_run(c, i);
    const unsigned char(*mark)[3] = at(c, i + r) == 0xEB ? ko : han;
    int k;

    if (r != 4)
        return 0;
    for (k = 0; k < 3; k++) {
        if (at(c, i + r) != mark[k][0] || at(c, i + r + 1) != mark[k][1] || at(c, i + r + 2) != mark[k][2])
            return 0;
        i += r + 3;
        if (k == 2)
            break;
        if (mark == ko && at(c, i) == ' ')
            i++;
        r = digit_run(c, i);
        if (r == 0 || r > 2)
            return 0;
    }
    return i;
}

/* A Japanese era name (明治 大正 昭和 平成 令和) ending at i: its length in bytes, or 0. */
static size_t ja_era_before(const struct anon_ctx *c, size_t i)
{
    static const char *const eras[] = {"明治", "大正", "昭和", "平成", "令和", NULL};
    size_t k;

    if (i < 6)
        return 0;
    for (k = 0; eras[k]; k++)
        if (memcmp(c->p + i - 6, eras[k], 6) == 0)
            return 6;
    return 0;
}

/* 昭和60年3月4日: an era, its 1-2 digit year (or 元, the first), then month and day as in
 * parse_cjk_date. i is at the year's first digit. */
static size_t parse_ja_era_date(const struct anon_ctx *c, size_t i)
{
    size_t r = digit_run(c, i), k;

    if (r == 0 || r > 2 || at(c, i + r) != 0xE5 || at(c, i + r + 1) != 0xB9 || at(c, i + r + 2) != 0xB4)
        return 0;
    i += r + 3;
    for (k = 0; k < 2; k++) {
        r = digit_run(c, i);
        if (r == 0 || r > 2 || at(c, i + r) != 0xE6)
            return 0;
        if (at(c, i + r + 1) != (k == 0 ? 0x9C : 0x97) || at(c, i + r + 2) != (k == 0 ? 0x88 : 0xA5))
            return 0;
        i += r + 3;
    }
    return i;
}

static size_t parse_date(const struct anon_ctx *c, size_t i)
{
    size_t r = digit_run(c, i), e;

    if (r == 4 && (at(c, i + 4) == 0xE5 || at(c, i + 4) == 0xEB))
        return parse_cjk_date(c, i);
    if (r > 0 && r <= 2 && at(c, i + r) == '-' && is_alpha(at(c, i + r + 1))) {
        e = word_end(c, i + r + 1); /* 14-Aug-1951: the word stops at the '-' before the digits */
        if (at(c, e) != '-' || !word_is(c, i + r + 1, e, months) || digit_run(c, e + 1) != 4 ||
            is_alnum(at(c, e + 5)))
            return 0;
        return e + 5;
    }
    if (r > 0) {
        int sep = at(c, i + r);
        size_t r2, r3;

        if (r == 8 && !is_alnum(sep)) {
            /* 19850304 (ISO 8601 basic form, as in HL7 and forms): only after a cue, so a valid
             * year, month and day is enough */
            unsigned y = num_at(c, i, 4), mo = num_at(c, i + 4, 2), d = num_at(c, i + 6, 2);

            return y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 ? i + 8 : 0;
        }
        if (r > 4)
            return 0;
        if ((sep == '-' || sep == '/' || sep == '.') && is_digit(at(c, i + r + 1))) {
            r2 = digit_run(c, i + r + 1);
            if (r2 > 2 || at(c, i + r + 1 + r2) != sep)
                return 0;
            r3 = digit_run(c, i + r + 2 + r2);
            if ((r == 4 && r3 > 2) || (r <= 2 && r3 != 4 && !(r3 == 2 && sep == '/')) || r == 3)
                return 0;
            if (r <= 2) {
                unsigned a = num_at(c, i, r), b = num_at(c, i + r + 1, r2);

                if (a == 0 || b == 0 || a > 31 || b > 31 || (a > 12 && b > 12))
                    return 0;
            } else if (num_at(c, i + r + 1, r2) > 12 || num_at(c, i + r + 1, r2) == 0) {
                return 0;
            }
            e = i + r + 2 + r2 + r3;
            return is_alnum(at(c, e)) ? 0 : e;
        }
        if (r > 2)
            return 0;
        if (sep == '.' && at(c, i + r + 1) == ' ' && is_digit(at(c, i + r + 2))) {
            /* "3. 4. 1985" (cs, sk, hu, de write a space after the dots) */
            size_t m = i + r + 2;

            r2 = digit_run(c, m);
            if (r2 <= 2 && at(c, m + r2) == '.' && at(c, m + r2 + 1) == ' ' && digit_run(c, m + r2 + 2) == 4 &&
                num_at(c, i, r) >= 1 && num_at(c, i, r) <= 31 && num_at(c, m, r2) >= 1 && num_at(c, m, r2) <= 12 &&
                !is_alnum(at(c, m + r2 + 6)))
                return m + r2 + 6;
        }
        e = i + r;
        if (at(c, e) == '.')
            e++;
        else if (at(c, e) == 0xC2 && at(c, e + 1) == 0xBA)
            e += 2;
        else if (is_lower(at(c, e)) && is_lower(at(c, e + 1)) && !is_alpha(at(c, e + 2)))
            e += 2; /* 1st 2nd 1er */
        if (at(c, e) != ' ')
            return 0;
        e = skip_de(c, e + 1);
        if (at(c, e) == 'o' && at(c, e + 1) == 'f' && at(c, e + 2) == ' ')
            e += 3; /* "4th of March" */
        r = word_end(c, e);
        if (r == e || !word_in(c, e, r, &set_months))
            return 0;
        e = r;
        if (at(c, e) == '.')
            e++;
        if (at(c, e) == ',')
            e++;
        if (at(c, e) != ' ')
            return 0;
        e = skip_de(c, e + 1);
        if (digit_run(c, e) != 4)
            return 0;
        return e + 4;
    }
    e = word_end(c, i);
    if (e == i || !word_in(c, i, e, &set_months))
        return 0;
    if (at(c, e) == '.')
        e++;
    if (at(c, e) != ' ')
        return 0;
    e++;
    r = digit_run(c, e);
    if (r == 0 || r > 2)
        return 0;
    e += r;
    if (is_lower(at(c, e)) && is_lower(at(c, e + 1)))
        e += 2;
    if (at(c, e) == ',')
        e++;
    if (at(c, e) != ' ' || digit_run(c, e + 1) != 4)
        return 0;
    return e + 5;
}

static void det_dob(struct anon_ctx *c, size_t end)
{
    size_t i, lim = end + 48;

    for (i = end; i < c->n && i < lim; i++) {
        size_t e;

        if ((c->p[i] == '\n' && i > end + 2) || c->p[i] == '*' || c->p[i] == '[' || c->p[i] == '<')
            return; /* a line end or an earlier operator's output ends the search */
        if (i > 0 && is_alnum(c->p[i - 1]))
            continue;
        if (!is_alnum(c->p[i]))
            continue;
        e = parse_date(c, i);
        if (!e && ja_era_before(c, i) && (e = parse_ja_era_date(c, i)) != 0)
            i -= ja_era_before(c, i);
        if (e) {
            add(c, i, e, SL_PII_DATE_OF_BIRTH);
            return;
        }
    }
}

/* ---- PERSON ----------------------------------------------------------------------------------- */

/* Capitalised words that follow cues but are not names. */
static const char *const not_names[] = {
    "the", "a", "an", "i", "we", "you", "he", "she", "they", "it", "my", "our", "your", "this",
    "that", "these", "there", "here", "team", "support", "service", "customer", "customers", "sir",
    "madam", "all", "everyone", "everybody", "folks", "guys", "friend", "friends", "thanks",
    "thank", "hello", "hi", "dear", "please", "sorry", "regards", "best", "cheers", "yes", "no",
    "ok", "okay", "good", "great", "just", "not", "so", "also", "and", "or", "but", "if", "when",
    "what", "why", "how", "who", "is", "am", "are", "was", "le", "la", "les", "un", "une", "el",
    "los", "las", "o", "os", "as", "um", "uma", "der", "die", "das", "ein", "eine", "ich", "wir",
    "sie", "je", "nous", "vous", "yo", "eu", "nós", "você", "monsieur", "madame", "mademoiselle",
    "señor", "señora", "senhor", "senhora", "herr", "frau", "mr", "mrs", "ms", "dr", "prof",
    "mme", "mlle", "sr", "sra", "srta", "dona", "don", "equipe", "equipo", "équipe", "kunde",
    "kundin", "client", "cliente", "admin", "administrator", "user", "root", "none", "null", "n/a",
    "unknown", "test", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december", "today", "tomorrow", "yesterday", "morning",
    "afternoon", "evening", "night", "update", "urgent", "re", "fwd", "fw", "aw", "tr", "rv",
    "subject", "betreff", "objet", "asunto", "assunto", "ticket", "order", "invoice", "account",
    "new", "old", "in", "on", "at", "for", "to", "from", "of", "with", "by", "about", "via",
    "billing", "sales", "security", "privacy", "manager", "agent", "bot", "system", "noreply",
    "no-reply", "info", "contact", "hallo", "bonjour", "hola", "olá", "oi", "danke", "merci",
    "gracias", "obrigado", "obrigada", "atenciosamente", "cordialement", "saludos", "grüße",
    "gruß", "mit", "viele", "beste", "liebe", "bien", "muchas", "muito", "vielen",
    "sehr", "geehrte", "geehrter", "cher", "chère", "estimado", "estimada", "prezado", "prezada",
    "caro", "cara", "querido", "querida", "lieber", "name", "nom", "nombre", "nome",
    /* nouns in product and page titles after a role word ("Patient Portal Login", "Student Loan") */
    "portal", "login", "access", "app", "apps", "desktop", "loan", "loans", "services", "center",
    "centre", "care", "id", "number", "card", "record", "records", "file", "files", "list", "form",
    "forms", "success", "experience", "relations", "satisfaction", "information", "details",
    "profile", "dashboard", "management", "network", "program", "programme", "plan", "plans",
    "insurance", "benefits", "handbook", "guide", "manual", "agreement", "policy", "report",
    "reports", "survey", "feedback", "review", "reviews", "journey", "onboarding", "registration",
    "database", "data", "api", "sdk", "us", "self", "area", "zone", "hub", "central", "direct",
    "online", "web", "mobile", "help", "desk", "helpdesk", "line", "hotline", "day", "week", "month",
    "year",
    /* departments and placeholders a participant or organiser label may hold */
    "engineering", "marketing", "finance", "legal", "operations", "hr", "it", "product", "design",
    "research", "management", "tbd", "tba", "various", "everyone", "keynote",
    /* mail clients' quote headers ("Quoting Jane Doe <jane@...>:", "Zitat von ...") */
    "quoting", "zitat", NULL};

/* Column headers that are not names: after a "Name |" or "Name<TAB>" label such a word is the next
 * header cell of a table, not the value. */
static const char *const col_heads[] = {
    "phone", "email", "e-mail", "mail", "address", "city", "country", "state", "zip", "postcode",
    "id", "date", "status", "company", "role", "title", "department", "amount", "total", "notes",
    "note", "comment", "comments", "age", "gender", "dob", "birthday", "mobile", "tel", "telephone",
    "account", "iban", "card", "type", "value", "description", "price", "quantity", "qty", "order",
    "product", "sku", "created", "updated", "score", "region", "team", "position", "number", "code",
    "username", "user", "login", "telefon", "teléfono", "telefone", "téléphone", "telefono",
    "adresse", "dirección", "endereço", "indirizzo", "ort", "stadt", "ciudad", "ville", "cidade",
    "città", "land", "país", "pays", "paese", "datum", "fecha", "data", "firma", "empresa", NULL};
/* Words after a name that make it a company's ("Acme Corp", "Müller GmbH"). */
static const char *const company[] = {
    "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "gmbh", "ag",
    "kg", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "ab", "as", "oy", "co", "company", "group",
    "holdings", "bank", "systems", "technologies", "solutions", "services", "partners", "associates",
    "consulting", "labs", "studios", "foundation", "university", "college", "school", "hospital",
    "clinic", "hotel", "restaurant", "airlines", "airways", "store", "stores", "shop", "shops",
    "market", "outlet", "agency", "bureau", "office", "department", "dept", "club", "studio",
    /* groups and events, which a participant or organiser label can name as well as a person */
    "team", "committee", "board", "council", "session", "meetup", "conference", "workshop", "webinar",
    "summit", "panel", "plan", "staff", "crew", "squad", NULL};

/* Headers of tables whose "name" column names things, not people. */
static const char *const thing_heads[] = {
    "product", "item", "sku", "price", "cost", "file", "filename", "host", "hostname", "server",
    "service", "company", "organisation", "organization", "org", "project", "model", "category",
    "brand", "package", "module", "version", "repo", "repository", "app", "application", "dataset",
    "table", "column", "field", "domain", "department", "artikel", "produkt", "producto", "produit",
    "prodotto", "preis", "precio", "prix", "prezzo", "preço", "size", "bytes", "path", "url", NULL};

static struct wordset set_streets = {street_types, {0}}, set_particles = {particles, {0}},
                      set_months = {months, {0}}, set_not_names = {not_names, {0}},
                      set_col_heads = {col_heads, {0}}, set_thing_heads = {thing_heads, {0}},
                      set_company = {company, {0}};
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

/* Word lists looked up by where a word ends (label_before, signoff_at): the words of a
 * '|'-separated list by their last byte, a handful under each; with fold, ASCII letters folded to
 * lower case (as HS_FLAG_CASELESS). */
#define ET_MAX 256
#define ET_LEN 80

struct endtab {
    struct {
        unsigned char w[ET_LEN];
        unsigned char len;
        unsigned short next; /* index + 1 of the next word with the same last byte, 0 = none */
    } word[ET_MAX];
    unsigned short head[256]; /* last byte -> index + 1 */
};

static struct endtab et_labels, et_signoffs, et_quotes;

static void endtab_build(struct endtab *t, const char *w, bool fold)
{
    const char *bar;
    unsigned n = 0;

    for (; *w; w = *bar ? bar + 1 : bar) {
        size_t len, k;

        bar = strchr(w, '|');
        if (!bar)
            bar = w + strlen(w);
        len = (size_t)(bar - w);
        if (n >= ET_MAX || len == 0 || len > ET_LEN)
            abort(); /* a list outgrew the table: a build-time mistake */
        for (k = 0; k < len; k++)
            t->word[n].w[k] = (unsigned char)(fold ? lower((unsigned char)w[k]) : (unsigned char)w[k]);
        t->word[n].len = (unsigned char)len;
        t->word[n].next = t->head[t->word[n].w[len - 1]];
        t->head[t->word[n].w[len - 1]] = (unsigned short)(n + 1);
        n++;
    }
}

#if defined(SL_X86_AVX2)
/* anon_triggers' AVX2 path: the CPU has it, and SL_ANON_NO_AVX2 is not set (the test suite runs
 * once with it set, so the portable path is tested on machines that have AVX2). */
static bool use_avx2;
#endif

static void sets_build(void)
{
#if defined(SL_X86_AVX2)
    __builtin_cpu_init();
    use_avx2 = __builtin_cpu_supports("avx2") && !getenv("SL_ANON_NO_AVX2");
#endif
    endtab_build(&et_labels, LABEL_WORDS, true);
    endtab_build(&et_signoffs, SIGNOFF_WORDS, false);
    endtab_build(&et_quotes, QUOTE_VERBS, false);
    ws_build(&set_streets);
    ws_build(&set_particles);
    ws_build(&set_months);
    ws_build(&set_not_names);
    ws_build(&set_col_heads);
    ws_build(&set_thing_heads);
    ws_build(&set_company);
}

void anon_detect_init(void)
{
    pthread_once(&sets_once, sets_build);
}

static bool name_word_ok(const struct anon_ctx *c, size_t s, size_t e)
{
    size_t k;

    if (e <= s + 1 || !upper_at(c, s) || word_in(c, s, e, &set_not_names))
        return false;
    if (e - s <= 4) { /* SSN, IBAN, DOB: acronyms are not names */
        for (k = s; k < e && is_upper(c->p[k]); k++)
            ;
        if (k == e)
            return false;
    }
    return true;
}

static void remember_name(struct anon_ctx *c, size_t s, size_t e)
{
    size_t k;

    if (e - s < 3 || c->nnames >= ANON_MAX_NAMES)
        return;
    for (k = 0; k < c->nnames; k++)
        if (c->names[k].len == e - s && memcmp(c->p + c->names[k].off, c->p + s, e - s) == 0)
            return;
    c->names[c->nnames].off = s;
    c->names[c->nnames].len = e - s;
    c->nnames++;
}

/* After a capitalised particle ending at e: " " and a family name in lower case ("Carlos Da silva",
 * "Moïse Le gall") that ends the name (end, punctuation, or a capitalised word after it)? Its end,
 * else 0. */
static size_t lower_family_after(const struct anon_ctx *c, size_t e)
{
    size_t e3 = word_end(c, e + 1), q;
    int after = at(c, e3);

    for (q = e + 1; q < e3 && is_lower(c->p[q]); q++)
        ;
    if (q == e3 && e3 - (e + 1) >= 3 && (after == 0 || strchr(" \r\n,.;:<>()\"'|", after)) &&
        !word_in(c, e + 1, e3, &set_not_names) && !word_in(c, e + 1, e3, &set_particles) &&
        !(after == ' ' && is_lower(at(c, e3 + 1))))
        return e3;
    return 0;
}

/* Parse up to four name words from i; returns the end (0 if no name). */
static size_t parse_name(struct anon_ctx *c, size_t i, bool commit)
{
    size_t e, last = 0, k = i;
    int nw = 0;

    while (nw < 5) {
        e = word_end(c, k);
        if (e == k)
            break;
        if (name_word_ok(c, k, e)) {
            if (commit)
                remember_name(c, k, e);
            last = e;
            nw++;
            if (nw > 1 && at(c, e) == ' ' && is_lower(at(c, e + 1)) && word_in(c, k, e, &set_particles)) {
                size_t e3 = lower_family_after(c, e);

                if (e3)
                    last = e3;
                break;
            }
        } else if (e == k + 1 && is_upper(c->p[k]) && at(c, e) == '.' && at(c, e + 1) == ' ' &&
                   upper_at(c, e + 2)) {
            e++; /* an initial ("John A. Smith", "J. R. Tolkien"): part of the name if a word follows */
        } else if (nw > 0 && word_in(c, k, e, &set_particles)) {
            size_t k2 = e; /* "van den Berg", "de la Cruz": particles up to a capitalised word */

            if (upper_at(c, k) && at(c, e) == ' ' && is_lower(at(c, e + 1)) && lower_family_after(c, e)) {
                last = lower_family_after(c, e); /* "Caribert Le roux" */
                break;
            }

            while (at(c, k2) == ' ' && !upper_at(c, k2 + 1)) {
                size_t e2 = word_end(c, k2 + 1);

                if (e2 == k2 + 1 || !word_in(c, k2 + 1, e2, &set_particles))
                    break;
                k2 = e2;
            }
            if (at(c, k2) != ' ' || !upper_at(c, k2 + 1))
                break;
            e = k2;
        } else {
            break;
        }
        if (at(c, e) != ' ' || !is_wordbyte(at(c, e + 1)))
            break;
        k = e + 1;
    }
    return nw ? last : 0;
}

static size_t skip_markup(const struct anon_ctx *c, size_t i)
{
    for (;;) {
        if (at(c, i) == '*') { /* markdown emphasis ("**Ana**"), never a run of mask stars */
            size_t k = i;

            while (at(c, k) == '*')
                k++;
            if (k - i > 2)
                return i;
            i = k;
        } else if (at(c, i) == '"' || at(c, i) == '\'' || at(c, i) == ' ') {
            i++;
        } else if (at(c, i) == '<' && (is_lower(at(c, i + 1)) || at(c, i + 1) == '/')) {
            size_t k = i + 1; /* an HTML tag such as <b> or <td>, never a <TYPE_x> placeholder */

            while (k < c->n && k < i + 16 && (is_lower(c->p[k]) || is_digit(c->p[k]) || c->p[k] == '/'))
                k++;
            if (at(c, k) != '>')
                return i;
            i = k + 1;
        } else {
            return i;
        }
    }
}

/* A name written in ideographs after a form label: family name and given name, 2..6 characters,
 * optionally split by one ASCII or ideographic space. Returns the end, 0 if none. */
static size_t parse_cjk_name(const struct anon_ctx *c, size_t i)
{
    size_t e = i, n = 0;
    bool split = false;

    for (;;) {
        if (cjk_at(c, e) && n < 6) {
            e += 3;
            n++;
        } else if (!split && n > 0 && (at(c, e) == ' ' || (at(c, e) == 0xE3 && at(c, e + 1) == 0x80 &&
                                                           at(c, e + 2) == 0x80)) &&
                   cjk_at(c, e + (at(c, e) == ' ' ? 1 : 3))) {
            e += at(c, e) == ' ' ? 1 : 3;
            split = true;
        } else {
            break;
        }
    }
    return n >= 2 && !cjk_at(c, e) ? e : 0;
}

/* ---- names in Arabic, Hebrew, Chinese and Japanese script ---- */

/* An Arabic letter (U+0620..U+064A) at i? */
static bool arabic_letter_at(const struct anon_ctx *c, size_t i)
{
    int b0 = at(c, i), b1 = at(c, i + 1);

    return (b0 == 0xD8 && b1 >= 0xA0 && b1 <= 0xBF) || (b0 == 0xD9 && b1 >= 0x80 && b1 <= 0x8A);
}

/* A Hebrew letter (U+05D0..U+05EA) at i? */
static bool hebrew_letter_at(const struct anon_ctx *c, size_t i)
{
    return at(c, i) == 0xD7 && at(c, i + 1) >= 0x90 && at(c, i + 1) <= 0xAA;
}

/* End of a word in one script from i: its letters, with combining marks (Arabic harakat U+064B..U+065F,
 * Hebrew points U+05B0..U+05C7), and for Hebrew geresh/gershayim or an apostrophe before a letter
 * ("ג'ון"). Returns i when no letter starts there, and i as well when the word runs straight into
 * another script's letter (a mixed word is not a name). Sets *nl to the letter count. */
static size_t script_word_end(const struct anon_ctx *c, size_t i, bool hebrew, size_t *nl)
{
    size_t e = i;

    *nl = 0;
    for (;;) {
        int b0 = at(c, e), b1 = at(c, e + 1);

        if (hebrew ? hebrew_letter_at(c, e) : arabic_letter_at(c, e)) {
            e += 2;
            ++*nl;
        } else if (*nl && !hebrew && b0 == 0xD9 && b1 >= 0x8B && b1 <= 0x9F) {
            e += 2;
        } else if (*nl && hebrew && ((b0 == 0xD6 && b1 >= 0xB0 && b1 <= 0xBD) ||
                                     (b0 == 0xD7 && (b1 == 0x81 || b1 == 0x82 || b1 == 0x87)))) {
            e += 2;
        } else if (*nl && hebrew && b0 == 0xD7 && (b1 == 0xB3 || b1 == 0xB4)) {
            e += 2;
        } else if (*nl && hebrew && b0 == '\'' && hebrew_letter_at(c, e + 1)) {
            e += 1;
        } else {
            break;
        }
    }
    if (!*nl)
        return i;
    {
        int b0 = at(c, e), b1 = at(c, e + 1);

        if (b0 >= 0x80 && b0 != 0xE2 && b0 != 0xEF &&
            !(b0 == 0xD8 && (b1 == 0x8C || b1 == 0x9B || b1 == 0x9F)) && !(b0 == 0xD6 && b1 == 0xBE))
            return i; /* runs into another script: not a word of this one */
    }
    return e;
}

/* Does [s,e) start with the UTF-8 text pre? */
static bool starts_with(const struct anon_ctx *c, size_t s, size_t e, const char *pre)
{
    size_t L = strlen(pre);

    return e - s >= L && memcmp(c->p + s, pre, L) == 0;
}

/* Words that follow an Arabic or Hebrew cue but are not names: pronouns, prepositions, copulas,
 * "live/from/in", politeness. */
static const char *const arabic_not_names[] = {
    "في", "من", "إلى", "الى", "على", "عن", "مع", "هو", "هي", "أنا", "انا", "و", "أو", "او", "لا", "ما",
    "هذا", "هذه", "ذلك", "تلك", "كان", "كانت", "قد", "لقد", "ثم", "لكن", "ليس", "غير", "كل", "بعد",
    "قبل", "عند", "حتى", "الذي", "التي", "أن", "إن", "لم", "لن", "نعم", "شكرا", "شكراً", "مرحبا",
    "أسكن", "اسكن", "أعيش", "اعيش", "أعمل", "اعمل", "عمري", "يا", "الرئيس", "الوزير", "المدير",
    "الكريم", "الكريمة", "المحترم", "المحترمة", "العزيز", "العزيزة", "عميل", "العميل", NULL};
static const char *const hebrew_not_names[] = {
    "אני", "ואני", "אנחנו", "אתה", "את", "הוא", "היא", "הם", "זה", "זו", "זאת", "של", "שלי", "עם",
    "לא", "כן", "גם", "רק", "כי", "אם", "על", "אל", "יש", "אין", "מה", "מי", "איך", "לי", "לך", "לו",
    "לה", "תודה", "שלום", "כל", "אבל", "או", "היה", "הייתה", "בבקשה", "מאוד", "פה", "כאן", "שם",
    "עכשיו", "גר", "גרה", "גרים", "עובד", "עובדת", "בן", "בת", "מ", "ב", "ל", "ו", "ה", "ש", "לקוח",
    "הלקוח", "משתמש", "יקר", "יקרה", "נכבד", "נכבדה", "ערב", "בוקר", "טוב", "טובה", NULL};

/* Connectors inside a name ("محمد بن سلمان", "عبد الله", "דוד בן גוריון"): not counted as words and
 * never the last word. */
static const char *const arabic_links[] = {"بن", "بنت", "ابن", "أبو", "ابو", "عبد", "آل", "أم", NULL};
static const char *const hebrew_links[] = {"בן", "בת", "בר", NULL};

/* A name of up to three words (plus connectors) in Arabic or Hebrew letters from i; 0 if none. The
 * first word must not be a determined noun ("السيد الرئيس"); a later word that starts with the
 * conjunction wa/ve ("وأسكن", "ואני") or a preposition fused to the article ("بالرياض") ends it. */
/* A Devanagari letter or sign (U+0900..U+0963, U+0966..U+097F: not the dandas) at i? */
static bool deva_at(const struct anon_ctx *c, size_t i)
{
    int b1 = at(c, i + 1), b2 = at(c, i + 2);

    return at(c, i) == 0xE0 && ((b1 == 0xA4 && b2 >= 0x80 && b2 <= 0xBF) ||
                                (b1 == 0xA5 && b2 >= 0x80 && b2 <= 0xBF && b2 != 0xA4 && b2 != 0xA5));
}

/* A Thai letter, vowel or tone mark (U+0E01..U+0E4E) at i? */
static bool thai_at(const struct anon_ctx *c, size_t i)
{
    int b1 = at(c, i + 1), b2 = at(c, i + 2);

    return at(c, i) == 0xE0 && ((b1 == 0xB8 && b2 >= 0x81) || (b1 == 0xB9 && b2 <= 0x8E));
}

/* A Hindi name after its cue: one to three Devanagari words, not the copula or a particle. */
static size_t parse_deva_name(struct anon_ctx *c, size_t i, bool commit)
{
    static const char *const stop[] = {"है", "हूँ", "हूं", "हैं", "था", "थी", "और", "का", "की", "के", "को",
                                       "से", "में", "जी", "नहीं", "मैं", "यह", "वह", "आप", "हम", "ने", "भी", "तो", "ही", "पर",
                                       "लिए", NULL};
    size_t k = i, e, last = 0;
    int nw = 0;

    while (nw < 3) {
        for (e = k; deva_at(c, e); e += 3)
            ;
        if (e - k < 6 || word_is(c, k, e, stop))
            break;
        if (commit)
            remember_name(c, k, e);
        nw++;
        last = e;
        if (at(c, e) != ' ')
            break;
        k = e + 1;
    }
    return last;
}

/* A Thai name after its cue: a run of Thai letters (then, after one space, the family name), a
 * polite particle at its end left out. */
static size_t parse_thai_name(const struct anon_ctx *c, size_t i)
{
    static const char *const polite[] = {"ครับ", "ค่ะ", "คะ", "นะ", "จ้ะ", "จ้า", NULL};
    size_t k = i, e = i, last = 0;
    int nw = 0;

    while (nw < 2) {
        size_t q, L;

        for (e = k; thai_at(c, e); e += 3)
            ;
        if (word_is(c, k, e, polite))
            break; /* "มาลี ค่ะ": the particle alone after the name */
        for (q = 0; polite[q]; q++) { /* "สมชายครับ": the particle is not the name */
            L = strlen(polite[q]);
            if (e - k > L && !memcmp(c->p + e - L, polite[q], L)) {
                e -= L;
                break;
            }
        }
        if (e - k < 6)
            break;
        nw++;
        last = e;
        if (polite[q] || at(c, e) != ' ' || !thai_at(c, e + 1))
            break;
        k = e + 1;
    }
    return last;
}

static size_t parse_script_name(struct anon_ctx *c, size_t i, bool hebrew, bool commit)
{
    const char *const *stop = hebrew ? hebrew_not_names : arabic_not_names;
    const char *const *links = hebrew ? hebrew_links : arabic_links;
    size_t k = i, last = 0, e, nl;
    int nw = 0, nt = 0;

    while (nw < 3 && nt < 6) {
        bool link;

        e = script_word_end(c, k, hebrew, &nl);
        if (e == k || nl < 2 || word_is(c, k, e, stop))
            break;
        link = word_is(c, k, e, links);
        if (nt == 0 && !link && !hebrew && starts_with(c, k, e, "ال"))
            break;
        if (nt > 0 && (starts_with(c, k, e, hebrew ? "ו" : "و") ||
                       (!hebrew && (starts_with(c, k, e, "بال") || starts_with(c, k, e, "لل") ||
                                    starts_with(c, k, e, "فال") || starts_with(c, k, e, "كال")))))
            break;
        nt++;
        if (!link) {
            if (commit)
                remember_name(c, k, e);
            nw++;
            last = e;
        }
        if (at(c, e) != ' ')
            break;
        k = e + 1;
    }
    return last;
}

/* Han ideograph at i among the UTF-8 characters of set? */
static bool han_in(const struct anon_ctx *c, size_t i, const char *set)
{
    size_t L = strlen(set), k;

    for (k = 0; k + 3 <= L; k += 3)
        if (i + 3 <= c->n && memcmp(c->p + i, set + k, 3) == 0)
            return true;
    return false;
}

/* Family names, the most frequent in the national censuses (PRC 2020 in simplified and traditional
 * characters, Taiwan; compound names first), and Korea's (Statistics Korea 2015). */
static const char *const han_surnames2[] = {
    "欧阳", "歐陽", "司马", "司馬", "上官", "诸葛", "諸葛", "东方", "東方", "皇甫", "尉迟", "尉遲", "公孙",
    "公孫", "慕容", "令狐", "司徒", "夏侯", "长孙", "長孫", "宇文", "轩辕", "軒轅", "端木", "独孤", "獨孤",
    "南宫", "南宮", "西门", "西門", "呼延", "申屠", "澹台", "太史", "闻人", "聞人", "钟离", "鍾離", "赫连",
    "赫連", "拓跋", NULL};
static const char han_surnames1[] =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严"
    "莫孔向常汤康易乔赖文施洪辛柯庄殷岳颜倪聂牛葛俞祝齐温鲁申欧安包章凌裴翟佟左舒单纪季阮童焦柴梅"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭蔣葉蘇呂盧鍾譚陸韋賈鄒閆龍陶賀顧龔萬錢嚴湯喬賴莊顏聶溫魯歐"
    /* the census list further down, without the ones that are everyday words (来 全 路 关 车 ...) */
    "毕邢阎卫谷苗管蓝尚耿游樊兰饶骆霍柳景隋佘巫滕冉詹祁涂苟卓蒲邬缪杭芦艾鲍褚戚宫麦刁晏郁伍牟巩屈喻尤姬卜桂柏庞"
    "畢閻衛藍饒駱鮑龐鄔繆蘆鞏";
static const char *const ko_surnames[] = {
    "황보", "남궁", "제갈", "선우", "독고", "사공", "서문", "김", "이", "박", "최", "정", "강", "조", "윤",
    "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "류", "전", "홍", "고", "문", "양", "손",
    "배", "백", "허", "유", "남", "심", "노", "하", "곽", "성", "차", "주", "우", "구", "민", "진", "지",
    "엄", "채", "원", "천", "방", "공", "현", "함", "변", "염", "여", "추", "도", "소", "석", "선", "설",
    "마", "길", "연", "위", "표", "명", "기", "반", "라", "왕", "금", "옥", "육", "인", "맹", "제", "모",
    "탁", "국", "어", "은", "편", "용", "예", "경", "봉", "사", "부", NULL};

/* Length of the family name at i from list (two-syllable ones are listed first), 0 if none. */
static size_t surname_at(const struct anon_ctx *c, size_t i, const char *const *list)
{
    for (; *list; list++) {
        size_t L = strlen(*list);

        if (i + L <= c->n && memcmp(c->p + i, *list, L) == 0)
            return L;
    }
    return 0;
}

/* A Chinese name after "我是" or "客户": a census family name and one or two given-name characters,
 * then punctuation, a particle, a non-ideograph or the text's end. Returns the end or 0. */
static size_t parse_han_surname_name(const struct anon_ctx *c, size_t i)
{
    static const char stops[] = "的了是在和与及也就住来从今现目刚已想要需请我你他她。、";
    size_t k = surname_at(c, i, han_surnames2), e, n = 0;

    if (!k && cjk_at(c, i) && han_in(c, i, han_surnames1))
        k = 3;
    if (!k)
        return 0;
    e = i + k;
    while (cjk_at(c, e) && !han_in(c, e, stops)) {
        if (++n > 2)
            return 0;
        e += 3;
    }
    return n >= 1 ? e : 0;
}

/* A Chinese name after "我叫": 2..4 ideographs up to punctuation, a particle or a common following
 * word; a longer run of ideographs is a sentence ("我叫外卖送到家"), not a name. Returns the end or 0. */
static size_t parse_han_name(const struct anon_ctx *c, size_t i)
{
    static const char not_first[] = "你他她它们了过的在是着把被给人什这那不也都很就我大外车醒来去做出上下个";
    static const char stops[] = "的了是在和与及也就住来从今现目刚已想要需请我你他她";
    size_t e = i, n = 0;

    if (!cjk_at(c, i) || han_in(c, i, not_first))
        return 0;
    while (cjk_at(c, e) && !(n > 0 && han_in(c, e, stops))) {
        if (++n > 4)
            return 0;
        e += 3;
    }
    return n >= 2 ? e : 0;
}

/* Katakana (U+30A1..U+30FA, the middle dot and the long vowel mark U+30FB/U+30FC) at i? */
static bool katakana_at(const struct anon_ctx *c, size_t i)
{
    int b1 = at(c, i + 1), b2 = at(c, i + 2);

    return at(c, i) == 0xE3 && ((b1 == 0x82 && b2 >= 0xA1 && b2 <= 0xBF) || (b1 == 0x83 && b2 >= 0x80 && b2 <= 0xBC));
}

/* A Japanese name after "私の名前は": ideographs or katakana (2..8, one space allowed), which must end
 * at "で" (です), "と" (…と申します), Japanese or ASCII punctuation, a line end or the text's end. */
/* A hiragana syllable (U+3041..U+3096) at i? */
static bool hiragana_at(const struct anon_ctx *c, size_t i)
{
    int b1 = at(c, i + 1), b2 = at(c, i + 2);

    return at(c, i) == 0xE3 && ((b1 == 0x81 && b2 >= 0x81) || (b1 == 0x82 && b2 <= 0x96));
}

/* Does the copula ("です", "で、", "では"), "と申します" or an honorific start at i (where a name ends)? */
static bool ja_name_stop(const struct anon_ctx *c, size_t i)
{
    static const char *const stops[] = {"で", "と", "さん", "くん", "ちゃん", "様", NULL}; /* です で、 では */
    size_t k;

    for (k = 0; stops[k]; k++)
        if (i + strlen(stops[k]) <= c->n && !memcmp(c->p + i, stops[k], strlen(stops[k])))
            return true;
    return false;
}

static size_t parse_ja_name(const struct anon_ctx *c, size_t i)
{
    size_t e = i, n = 0;
    bool split = false;
    int b0, b1;

    for (;;) {
        if ((cjk_at(c, e) || katakana_at(c, e) ||
             (n > 0 && at(c, e) == 0xE3 && at(c, e + 1) == 0x80 && at(c, e + 2) == 0x85)) && n < 8) {
            e += 3; /* ideographs, katakana, and the repeat mark 々 after an ideograph ("奈々") */
            n++;
        } else if (!split && n > 0 && (at(c, e) == ' ' || (at(c, e) == 0xE3 && at(c, e + 1) == 0x80 &&
                                                           at(c, e + 2) == 0x80)) &&
                   (cjk_at(c, e + (at(c, e) == ' ' ? 1 : 3)) || katakana_at(c, e + (at(c, e) == ' ' ? 1 : 3)))) {
            e += at(c, e) == ' ' ? 1 : 3;
            split = true;
        } else {
            break;
        }
    }
    if (n < 2)
        return 0;
    if (hiragana_at(c, e) && !ja_name_stop(c, e)) {
        /* a given name in hiragana after the family name ("根本はる"), up to the copula or an
         * honorific: never more than four syllables */
        size_t k = e, h;

        for (h = 0; h < 4 && hiragana_at(c, k); h++) {
            k += 3;
            if (ja_name_stop(c, k))
                return k;
        }
        return 0;
    }
    b0 = at(c, e);
    b1 = at(c, e + 1);
    if (b0 == 0 || b0 == '\n' || b0 == '\r' || b0 == ' ' || (b0 < 0x80 && strchr(".,!?;:)(\"'[]<>/-", b0)))
        return e; /* (full-width punctuation reaches the detectors folded to ASCII) */
    if (b0 == 0xE3 && b1 == 0x80 && (at(c, e + 2) == 0x81 || at(c, e + 2) == 0x82)) /* 、。 */
        return e;
    if (e + 3 <= c->n && memcmp(c->p + e, "で", 3) == 0) /* です, で、, ではありません */
        return e;
    if (e + 3 <= c->n && memcmp(c->p + e, "と", 3) == 0)
        return e;
    if ((e + 6 <= c->n && memcmp(c->p + e, "さん", 6) == 0) || (e + 3 <= c->n && memcmp(c->p + e, "様", 3) == 0) ||
        (e + 6 <= c->n && memcmp(c->p + e, "くん", 6) == 0) || (e + 9 <= c->n && memcmp(c->p + e, "ちゃん", 9) == 0))
        return e; /* honorifics */
    return 0;
}

/* The name before "と申します" (cue_end is that cue's end): ideographs or katakana back to the
 * first other character; 2..8 of them. Returns the start or SIZE_MAX. */
static size_t ja_name_before(const struct anon_ctx *c, size_t cue_end, size_t *name_end)
{
    size_t k = cue_end, s, n = 0;

    while (k >= 3 && memcmp(c->p + k - 3, "と", 3) != 0 && cue_end - k < 24)
        k--;
    if (k < 3 || memcmp(c->p + k - 3, "と", 3) != 0)
        return SIZE_MAX;
    *name_end = s = k - 3;
    while (s >= 3 && (cjk_at(c, s - 3) || katakana_at(c, s - 3)) && n < 9) {
        s -= 3;
        n++;
    }
    return n >= 2 && n <= 8 ? s : SIZE_MAX;
}

/* A Hangul syllable (U+AC00..U+D7A3, three UTF-8 bytes) at i? */
static bool hangul_at(const struct anon_ctx *c, size_t i)
{
    unsigned cp;

    if (at(c, i) < 0xEA || at(c, i) > 0xED || (at(c, i + 1) & 0xC0) != 0x80 || (at(c, i + 2) & 0xC0) != 0x80)
        return false;
    cp = (unsigned)(at(c, i) & 0x0F) << 12 | (unsigned)(at(c, i + 1) & 0x3F) << 6 | (unsigned)(at(c, i + 2) & 0x3F);
    return cp >= 0xAC00 && cp <= 0xD7A3;
}

/* A Korean name after a cue: 2..4 syllables, alone or followed without a space by the copula or an
 * honorific ("김민수입니다", "김민수씨"). Returns the end, 0 if none. */
static size_t parse_ko_name(const struct anon_ctx *c, size_t i)
{
    static const char *const endings[] = {"입니다", "이라고", "이에요", "이예요", "예요", "이고", "이며",
                                          "이야", "씨", "님", "요", NULL};
    const char *const *en;
    size_t e = i, n = 0;

    while (hangul_at(c, e) && n < 12) {
        e += 3;
        n++;
    }
    if (hangul_at(c, e))
        return 0;
    for (en = endings; *en; en++) {
        size_t L = strlen(*en);

        if (e - i > L && memcmp(c->p + e - L, *en, L) == 0) {
            size_t m = (e - L - i) / 3;

            return m >= 2 && m <= 4 ? e - L : 0;
        }
    }
    if (n < 2 || n > 4)
        return 0;
    /* Without an ending the name must stand alone: then punctuation, a line end, the text's end, or
     * a space and the copula ("김민수 입니다"); "제 이름은 아직 ..." ("not yet") is no name. */
    if (at(c, e) == ' ') {
        for (en = endings; *en && !(strlen(*en) > 3 && e + 1 + strlen(*en) <= c->n &&
                                    memcmp(c->p + e + 1, *en, strlen(*en)) == 0);
             en++)
            ;
        return *en ? e : 0;
    }
    return e;
}

/* A Korean name after "저는"/"고객": a family name from the census list, then given-name syllables
 * up to 4 in all, which must end in the copula or an honorific ("저는 김민수입니다"). */
static size_t parse_ko_surname_name(const struct anon_ctx *c, size_t i)
{
    size_t e;

    if (!surname_at(c, i, ko_surnames) || !(e = parse_ko_name(c, i)))
        return 0;
    return hangul_at(c, e) || (at(c, e) == ' ' && hangul_at(c, e + 1)) ? e : 0;
}

/* ---- a name before an honorific (Japanese 様 さん 殿 先生 氏, Korean 님 씨, Chinese 先生 女士 小姐) ---- */

static bool bytes_at(const struct anon_ctx *c, size_t i, const char *w)
{
    size_t L = strlen(w);

    return i + L <= c->n && memcmp(c->p + i, w, L) == 0;
}

/* Japanese nouns of a role or a group, not a name, before an honorific: the common noun's last
 * kanji ("担当者様", "会員様", "学生さん", "看護師さん", "運転手さん", "社長さん", "大家さん") and the
 * katakana loanwords of roles ("ユーザー様", "スタッフさん"). */
static const char ja_role_last[] = "者員生師手長主家人士官方族民客様衆達屋社";
static const char *const ja_kata_roles[] = {"ユーザー", "メンバー", "ゲスト", "オーナー", "スタッフ", "ドライバー",
                                            "カスタマー", "クライアント", "マスター", "ファン", "パートナー", "ママ",
                                            "パパ", "サポーター", "オペレーター", "プレイヤー", "ユーザ", NULL};

/* Kanji (the repeat mark after the first) or katakana back from e: the run's start, *n its length. */
static size_t ja_run_back(const struct anon_ctx *c, size_t e, bool kata, size_t *n)
{
    size_t s = e;

    *n = 0;
    while (s >= 3 && *n < 9 &&
           (kata ? katakana_at(c, s - 3)
                 : (cjk_at(c, s - 3) || (*n > 0 && c->p[s - 3] == 0xE3 && c->p[s - 2] == 0x80 && c->p[s - 1] == 0x85)))) {
        s -= 3;
        (*n)++;
    }
    return s;
}

/* Length of a space that ends at e (the ideographic one arrives folded to ASCII), 0 if none. */
static size_t ja_space_before(const struct anon_ctx *c, size_t e)
{
    return e >= 1 && c->p[e - 1] == ' ';
}

/* A Japanese name that ends before an honorific at e (one space between them allowed: "山田 様"):
 * 2..4 kanji, or a family and a given name of 1..3 kanji each split by one space ("山田 太郎様"),
 * or 2..8 katakana; nothing of either right before it, and no "お"/"ご" before it (which makes a
 * polite common noun: "お客様", "ご担当者様"). Returns its start (*ne its end), SIZE_MAX if none. */
static size_t ja_name_back(const struct anon_ctx *c, size_t e, size_t *ne)
{
    size_t s, n, n2, sp;
    bool kata;

    e -= ja_space_before(c, e);
    *ne = e;
    kata = e >= 3 && katakana_at(c, e - 3);
    s = ja_run_back(c, e, kata, &n);
    if (!kata && n >= 1 && n <= 3 && (sp = ja_space_before(c, s)) != 0 && s - sp >= 3 && cjk_at(c, s - sp - 3)) {
        size_t s2 = ja_run_back(c, s - sp, false, &n2);

        if (n2 > 3)
            return SIZE_MAX;
        s = s2;
    } else if (n < 2 || n > (kata ? 8u : 4u)) {
        return SIZE_MAX;
    }
    if (s >= 3 && (cjk_at(c, s - 3) || katakana_at(c, s - 3)))
        return SIZE_MAX;
    if (s >= 3 && (bytes_at(c, s - 3, "お") || bytes_at(c, s - 3, "ご") || bytes_at(c, s - 3, "御")))
        return SIZE_MAX;
    if (kata) {
        size_t k;

        for (k = 0; ja_kata_roles[k]; k++)
            if (e - s == strlen(ja_kata_roles[k]) && bytes_at(c, s, ja_kata_roles[k]))
                return SIZE_MAX;
    } else if (han_in(c, e - 3, ja_role_last)) {
        return SIZE_MAX;
    }
    return s;
}

/* A Chinese name that ends at e before 先生/女士/小姐: a census family name and up to two given-name
 * characters (the longest such run). Returns its start, SIZE_MAX if none. */
static size_t han_name_back(const struct anon_ctx *c, size_t e)
{
    size_t L;

    for (L = 3; L >= 1; L--) {
        size_t s = e - 3 * L, k;

        if (e < 3 * L)
            continue;
        for (k = s; k < e && cjk_at(c, k); k += 3)
            ;
        if (k < e)
            continue;
        if ((L >= 2 && surname_at(c, s, han_surnames2) == 6) || han_in(c, s, han_surnames1))
            return s;
    }
    return SIZE_MAX;
}

/* A Korean name that ends at e before 님/씨 (one space allowed): three syllables (four after a
 * two-syllable family name), the first a census family name, nothing in Hangul before them; not a
 * role noun in "-자" ("사용자님", "이용자님": user) or one of the occupations in "-원". */
static size_t ko_name_back(const struct anon_ctx *c, size_t e)
{
    static const char *const roles[] = {"연구원", "공무원", "은행원", "회사원", NULL};
    size_t s, k, n = 0;

    if (e >= 1 && c->p[e - 1] == ' ')
        e--;
    for (s = e; s >= 3 && hangul_at(c, s - 3) && n < 5; s -= 3)
        n++;
    if (s >= 3 && hangul_at(c, s - 3))
        return SIZE_MAX;
    if (!(n == 3 || (n == 4 && surname_at(c, s, ko_surnames) == 6)) || !surname_at(c, s, ko_surnames) ||
        bytes_at(c, e - 3, "자"))
        return SIZE_MAX;
    for (k = 0; roles[k]; k++)
        if (e - s == strlen(roles[k]) && bytes_at(c, s, roles[k]))
            return SIZE_MAX;
    return s;
}

/* A name of ideographs [i, e) read up to a non-ideograph: an honorific at its end ("山田花子様",
 * "王小明先生") is not part of it, if two characters of name stay. Returns the name's end. */
static size_t honorific_trim(const struct anon_ctx *c, size_t i, size_t e)
{
    if (e >= i + 9 && (bytes_at(c, e - 3, "様") || bytes_at(c, e - 3, "殿") || bytes_at(c, e - 3, "氏")))
        return e - 3;
    if (e >= i + 12 && (bytes_at(c, e - 6, "先生") || bytes_at(c, e - 6, "女士") || bytes_at(c, e - 6, "小姐")))
        return e - 6;
    return e;
}

/* The honorific that ends at end: the name before it. */
static void det_honorific(struct anon_ctx *c, size_t end)
{
    size_t s = SIZE_MAX, hs, ne = SIZE_MAX;

    if (end >= 3 && (bytes_at(c, end - 3, "님") || bytes_at(c, end - 3, "씨"))) {
        hs = end - 3;
        if (bytes_at(c, end, "앗") || bytes_at(c, end, "름") || bytes_at(c, end, "족") || bytes_at(c, end, "비"))
            return; /* "씨앗", "씨름", "씨족", "님비": a word that starts with the syllable */
        s = ko_name_back(c, hs);
        if (s != SIZE_MAX)
            add(c, s, hs - (c->p[hs - 1] == ' '), SL_PII_PERSON);
        return;
    }
    if (end >= 3 && (bytes_at(c, end - 3, "様") || bytes_at(c, end - 3, "殿"))) {
        hs = end - 3;
        if (bytes_at(c, end, "々") || bytes_at(c, end, "子") || bytes_at(c, end, "式") || bytes_at(c, end, "相") ||
            bytes_at(c, end, "態"))
            return; /* "様々", "様子": a word that starts with the character */
        if (hs >= 3 && han_in(c, hs - 3, "仕同多模異一左有"))
            return; /* "仕様", "同様", "多様": a word that ends with it */
        s = ja_name_back(c, hs, &ne);
    } else if (end >= 6 && bytes_at(c, end - 6, "さん")) {
        hs = end - 6;
        s = ja_name_back(c, hs, &ne);
    } else if (end >= 6 && (bytes_at(c, end - 6, "先生") || bytes_at(c, end - 3, "氏"))) {
        bool sensei = bytes_at(c, end - 6, "先生");

        hs = end - (sensei ? 6 : 3);
        /* Japanese (hiragana right after): a name of kanji or katakana; Chinese: a family name */
        if (hiragana_at(c, end))
            s = ja_name_back(c, hs, &ne);
        else if (sensei)
            s = han_name_back(c, hs);
    } else if (end >= 6 && (bytes_at(c, end - 6, "女士") || bytes_at(c, end - 6, "小姐"))) {
        hs = end - 6;
        s = han_name_back(c, hs);
    } else {
        return;
    }
    if (s != SIZE_MAX)
        add(c, s, ne != SIZE_MAX ? ne : hs, SL_PII_PERSON);
}

/* Is [s,e) a "key" (in double quotes, then ':') from set? s is at the opening quote. */
static bool json_key_in(const struct anon_ctx *c, size_t s, const struct wordset *set)
{
    size_t e = s + 1, k;

    while (e < c->n && e < s + 40 && c->p[e] != '"')
        e++;
    if (at(c, e) != '"')
        return false;
    for (k = e + 1; at(c, k) == ' '; k++)
        ;
    return at(c, k) == ':' && word_in(c, s + 1, e, set);
}

/* A JSON "name" key whose object describes a thing: the key that holds the object, or a sibling
 * key, is a product/item/host/... header ({"product": {"sku": 1, "name": "Widget"}}). end is just
 * after the cue ("name": ). */
static bool json_thing_object(const struct anon_ctx *c, size_t k);
static size_t line_end(const struct anon_ctx *c, size_t i);

static bool json_thing_name(struct anon_ctx *c, size_t end)
{
    size_t k = end, lo;
    int depth = 0;

    while (k > 0 && (c->p[k - 1] == ' ' || c->p[k - 1] == '\t'))
        k--;
    if (k < 7 || c->p[k - 1] != ':' || c->p[k - 2] != '"' || lower(c->p[k - 3]) != 'e' ||
        lower(c->p[k - 4]) != 'm' || lower(c->p[k - 5]) != 'a' || lower(c->p[k - 6]) != 'n' || c->p[k - 7] != '"')
        return false;
    k -= 7; /* at the key's opening quote */
    lo = k > 400 ? k - 400 : 0;
    while (k > lo) { /* back to the '{' that opens this object */
        int ch = c->p[--k];

        if (ch == '}')
            depth++;
        else if (ch == '{' && depth-- == 0)
            break;
    }
    if (c->p[k] != '{')
        return false;
    if (k != c->json_brace) { /* the keys of one object are read once, however many "name"s it has */
        c->json_brace = k;
        c->json_thing = json_thing_object(c, k);
    }
    return c->json_thing;
}

/* The object opening at k: held by a thing key, or holding one at its own level? */
static bool json_thing_object(const struct anon_ctx *c, size_t k)
{
    size_t q = k, hi;
    int depth;

    while (q > 0 && (c->p[q - 1] == ' ' || c->p[q - 1] == '\n' || c->p[q - 1] == '\r' || c->p[q - 1] == '\t'))
        q--;
    if (q > 0 && c->p[q - 1] == ':') { /* "product": { */
        q--;
        while (q > 0 && c->p[q - 1] == ' ')
            q--;
        if (q > 1 && c->p[q - 1] == '"') {
            size_t b = q - 1;

            while (b > 0 && b + 40 > q && c->p[b - 1] != '"')
                b--;
            if (b > 0 && c->p[b - 1] == '"' && json_key_in(c, b - 1, &set_thing_heads))
                return true;
        }
    }
    hi = k + 600 < c->n ? k + 600 : c->n;
    depth = 0;
    for (q = k + 1; q < hi; q++) { /* sibling keys at this object's level */
        int ch = c->p[q];

        if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']') {
            if (depth-- == 0)
                break;
        } else if (ch == '"' && depth == 0 && (c->p[q - 1] == '{' || c->p[q - 1] == ',' || c->p[q - 1] == ' ' ||
                                                c->p[q - 1] == '\n' || c->p[q - 1] == '\t')) {
            if (json_key_in(c, q, &set_thing_heads))
                return true;
            q++;
            while (q < hi && c->p[q] != '"') /* past the string */
                q += c->p[q] == '\\' ? 2 : 1;
        }
    }
    return false;
}

/* A name in capitals from i ("JOHN SMITH", "O'NEIL"): up to four words of capital letters, two or
 * more letters each, none a known non-name; at least min_words of them. Returns the end, 0 if none. */
static size_t parse_upper_name(struct anon_ctx *c, size_t i, size_t min_words, bool commit)
{
    size_t k = i, e, last = 0, nw = 0;

    while (nw < 4) {
        size_t q, letters = 0;

        e = word_end(c, k);
        for (q = k; q < e; q++) {
            if (is_lower(c->p[q]) || is_digit(c->p[q]))
                return nw >= min_words ? last : 0;
            letters += is_upper(c->p[q]) || c->p[q] >= 0xC0;
        }
        if (letters < 2 || !upper_at(c, k) || word_in(c, k, e, &set_not_names) || word_in(c, k, e, &set_company))
            break;
        if (commit)
            remember_name(c, k, e);
        last = e;
        nw++;
        if (at(c, e) != ' ' || !upper_at(c, e + 1))
            break;
        k = e + 1;
    }
    return nw >= min_words ? last : 0;
}

/* Is the cue that ends at end written in capitals ("NAME:", "SHIP TO:")? Its last word is read. */
static bool cue_upper(const struct anon_ctx *c, size_t end)
{
    size_t e = end, s;

    while (e > 0 && !is_alpha(c->p[e - 1]) && end - e < 4)
        e--;
    for (s = e; s > 0 && is_alpha(c->p[s - 1]); s--)
        if (is_lower(c->p[s - 1]))
            return false;
    return e - s >= 2;
}

/* Capitalised words in [s, e) (the words of a parsed name, particles not counted). */
static size_t name_words(const struct anon_ctx *c, size_t s, size_t e)
{
    size_t k, n = 0;

    for (k = s; k < e; k = word_end(c, k) + 1)
        n += upper_at(c, k);
    return n;
}

/* A company's word among the words of [s, e] ("Acme Corp", "Müller GmbH", "Acme Store")? */
static bool company_in(const struct anon_ctx *c, size_t s, size_t e)
{
    size_t k, ke;

    for (k = s; k <= e && k < c->n; k = ke + 1) {
        ke = word_end(c, k);
        if (ke == k)
            break;
        if (word_in(c, k, ke, &set_company))
            return true;
    }
    return false;
}

/* "Smith, John" or "SMITH, JOHN" after a label: the family name ends at e, then ", " and the given
 * names, which must end the field (end, line end, ';', '|', tab, ')' or a full stop). Returns
 * their end (recorded as names), or 0. */
static size_t given_after_family(struct anon_ctx *c, size_t e, bool upper)
{
    size_t e2;
    int after;

    if (at(c, e) != ',' || at(c, e + 1) != ' ')
        return 0;
    e2 = upper ? parse_upper_name(c, e + 2, 1, false) : parse_name(c, e + 2, false);
    after = at(c, e2);
    if (!e2 || !(after == 0 || strchr("\r\n;|\t)", after) ||
                 (after == '.' && (at(c, e2 + 1) == 0 || at(c, e2 + 1) == ' ' || at(c, e2 + 1) == '\n'))))
        return 0;
    if (upper)
        (void)parse_upper_name(c, e + 2, 1, true);
    else
        (void)parse_name(c, e + 2, true);
    return e2;
}

/* Labels whose value is a list of people ("Attendees: Ana Ruiz, Tom Berg; Li Wei"). */
static const char *const list_labels[] = {"attendees", "participants", "invitees", "teilnehmer", "teilnehmende",
                                          "anwesend", "participantes", "partecipanti", "deelnemers", "aanwezig",
                                          "uczestnicy", "deltagare", "katılımcılar", "cc", "bcc", "to", "speakers",
                                          "organizers", "organisers", "present", "présents", "presentes",
                                          /* mail header recipients (mail_heads) */
                                          "a", "aan", "do", "dw", "till", "til", "kopia", "kopi", "kopie", "komu",
                                          "kime", "címzett", "vastaanottaja", "kopio", "ccn", "cco", NULL};

/* The last word of the label that ends at the cue end (before its ':' or '='): [*ws, return). 0 if none. */
static size_t label_word(const struct anon_ctx *c, size_t end, size_t *ws)
{
    size_t k = end;

    while (k > 0 && (c->p[k - 1] == ' ' || c->p[k - 1] == '\t'))
        k--;
    if (k == 0 || (c->p[k - 1] != ':' && c->p[k - 1] != '='))
        return 0;
    k--;
    while (k > 0 && (c->p[k - 1] == ' ' || c->p[k - 1] == '"' || c->p[k - 1] == '\''))
        k--;
    *ws = k;
    while (*ws > 0 && is_wordbyte(c->p[*ws - 1]))
        (*ws)--;
    return *ws < k ? k : 0;
}

/* Words before "Name" in a label that names a thing, besides thing_heads (which also mark a
 * record's sibling keys, where "city" or "team" sit next to a person's name). */
static const char *const thing_label_words[] = {
    "event", "team", "store", "shop", "hotel", "course", "device", "campaign", "venue", "city", "town",
    "street", "building", "site", "location", "task", "feature", "program", "programme", "book", "song",
    "album", "game", "vendor", "supplier", "merchant", "bank", "school", "university", "group", "channel",
    "folder", "document", "report", "bucket", "queue", "topic", "cluster", "instance", "database", "network",
    "region", "plan", "pet", "business", "trade", "brand", "firm", "product", "project", "ship", NULL};

/* "Product Name:", "project_name =": a name label whose word before "name" is a thing's. */
static bool thing_name_label(const struct anon_ctx *c, size_t end)
{
    size_t ws, we = label_word(c, end, &ws), ps;

    if (!we || we - ws != 4 || lower(c->p[ws]) != 'n' || lower(c->p[ws + 1]) != 'a' || lower(c->p[ws + 2]) != 'm' ||
        lower(c->p[ws + 3]) != 'e' || ws < 2 || !(c->p[ws - 1] == ' ' || c->p[ws - 1] == '_' || c->p[ws - 1] == '-'))
        return false;
    for (ps = ws - 1; ps > 0 && is_alpha(c->p[ps - 1]); ps--)
        ;
    return ps < ws - 1 && (word_in(c, ps, ws - 1, &set_thing_heads) || word_is(c, ps, ws - 1, thing_label_words));
}

/* After a list label's first name ending at e: the further names, each followed by a separator
 * (", ", "; ", " and "...) or the line's end. Stops at the first item that is not a name. */
static void name_list_after(struct anon_ctx *c, size_t e)
{
    static const char *const conj[] = {"and", "und", "et", "y", "e", "en", "och", "i", "ve", NULL};
    int n;

    for (n = 0; n < 32; n++) {
        size_t i = e, e2, we;
        int nx;

        if (at(c, i) == ',' || at(c, i) == ';')
            i++;
        else if (at(c, i) == ' ' && (we = word_end(c, i + 1)) > i + 1 && at(c, we) == ' ' &&
                 word_is(c, i + 1, we, conj))
            i = we;
        else
            return;
        while (at(c, i) == ' ')
            i++;
        e2 = parse_name(c, i, false);
        if (!e2 || company_in(c, i, e2 + (at(c, e2) == ' ')))
            return;
        nx = at(c, e2);
        if (!(nx == 0 || nx == ',' || nx == ';' || nx == '\n' || nx == '\r' || nx == ' ' || nx == '<'))
            return;
        if (nx == ' ' && !((we = word_end(c, e2 + 1)) > e2 + 1 && word_is(c, e2 + 1, we, conj)) && at(c, e2 + 1) != '(')
            return;
        (void)parse_name(c, i, true);
        add(c, i, e2, SL_PII_PERSON);
        e = e2;
    }
}

/* The labels before a booking record's name without its title ("Passenger: WILSON/JAMES"). */
static const char *const pax_labels[] = {"passenger", "name", "pax", "traveller", "traveler", "guest", "passagier",
                                         "passager", "pasajero", "passeggero", "passageiro", NULL};

/* The titles a booking system writes after a passenger's name ("WILSON/JAMES MR"). */
static const char *const pax_titles[] = {"mr", "mrs", "ms", "mstr", "miss", "dr", "mx", NULL};

/* A word of two or more capitals [s, e) that may be a name in a booking record: no title, no
 * known non-name ("AND/OR" is not "OR AND"). */
static bool pax_word(const struct anon_ctx *c, size_t s, size_t e)
{
    size_t k;

    if (e < s + 2)
        return false;
    for (k = s; k < e; k++)
        if (!is_upper(c->p[k]) && c->p[k] != '\'' && c->p[k] != '-')
            return false;
    return !word_is(c, s, e, pax_titles) && !word_in(c, s, e, &set_not_names);
}

/* Booking systems' passenger names (IATA "SURNAME/GIVEN", as on tickets and PNRs): after the family
 * name in capitals ending at e, '/' and one to three given names in capitals. Their end, or 0;
 * *title tells whether a title follows ("WILSON/JAMES MR"). */
static size_t slash_given(const struct anon_ctx *c, size_t e, bool *title)
{
    size_t k = e + 1, we, last = 0;
    int nw = 0;

    *title = false;
    if (at(c, e) != '/')
        return 0;
    while (nw < 3 && (we = word_end(c, k)) > k && pax_word(c, k, we) && !is_alnum(at(c, we)) && at(c, we) != '/') {
        last = we;
        nw++;
        if (at(c, we) != ' ')
            break;
        k = we + 1;
    }
    if (!last)
        return 0;
    if (at(c, last) == ' ') {
        we = word_end(c, last + 1);
        *title = word_is(c, last + 1, we, pax_titles) && is_upper(at(c, last + 1)) && !is_alnum(at(c, we));
    }
    return last;
}

/* The title (at ts, after one space) ends a booking record's "SURNAME/GIVEN": the name's start,
 * SIZE_MAX if there is none. */
static size_t slash_name_before(const struct anon_ctx *c, size_t ts)
{
    size_t k, s0, e0;
    int nw = 0;

    if (ts < 5 || c->p[ts - 1] != ' ')
        return SIZE_MAX;
    for (k = ts - 1; nw < 3;) { /* the given names, back to the '/' */
        size_t ws = k;

        while (ws > 0 && k - ws < 40 && (is_upper(c->p[ws - 1]) || c->p[ws - 1] == '\'' || c->p[ws - 1] == '-'))
            ws--;
        if (ws == 0 || !pax_word(c, ws, k))
            return SIZE_MAX;
        nw++;
        if (c->p[ws - 1] == '/') {
            k = ws - 1;
            break;
        }
        if (c->p[ws - 1] != ' ' || ws < 2)
            return SIZE_MAX;
        k = ws - 1;
    }
    if (c->p[k] != '/')
        return SIZE_MAX;
    e0 = k;
    for (s0 = e0; s0 > 0 && e0 - s0 < 40 && (is_upper(c->p[s0 - 1]) || c->p[s0 - 1] == '\'' || c->p[s0 - 1] == '-'); s0--)
        ;
    /* a PNR numbers its names ("1.1WILSON/JAMES MR"): a digit may touch the name */
    if (!pax_word(c, s0, e0) || (s0 > 0 && (is_alpha(c->p[s0 - 1]) || c->p[s0 - 1] == '/' || c->p[s0 - 1] >= 0x80)))
        return SIZE_MAX;
    return s0;
}

static void det_person(struct anon_ctx *c, size_t end, int kind)
{
    size_t i = end, e;
    int nx;

    if (kind == PC_ROLE) { /* the trigger ends at the second name word's capital: back to the first */
        size_t k = end;

        while (k > 0 && c->p[k - 1] != ' ')
            k--;
        if (k == 0)
            return;
        k--; /* the space between the two words */
        while (k > 0 && (is_wordbyte(c->p[k - 1]) || c->p[k - 1] == '\'' || c->p[k - 1] == '-'))
            k--;
        i = k;
    }
    if (kind == PC_DEVA || kind == PC_THAI) {
        while (at(c, i) == ' ')
            i++;
        e = kind == PC_DEVA ? parse_deva_name(c, i, false) : parse_thai_name(c, i);
        if (e) {
            if (kind == PC_DEVA)
                (void)parse_deva_name(c, i, true);
            add(c, i, e, SL_PII_PERSON);
        }
        return;
    }
    if (kind == PC_ARABIC || kind == PC_HEBREW) {
        e = parse_script_name(c, i, kind == PC_HEBREW, false);
        if (e) {
            (void)parse_script_name(c, i, kind == PC_HEBREW, true);
            add(c, i, e, SL_PII_PERSON);
        }
        return;
    }
    if (kind == PC_HAN || kind == PC_JA) {
        e = kind == PC_HAN ? parse_han_name(c, i) : parse_ja_name(c, i);
        if (e)
            add(c, i, honorific_trim(c, i, e), SL_PII_PERSON);
        return;
    }
    if (kind == PC_KO || kind == PC_KO_SURNAME) {
        while (at(c, i) == ' ')
            i++;
        if ((e = kind == PC_KO ? parse_ko_name(c, i) : parse_ko_surname_name(c, i)) != 0)
            add(c, i, e, SL_PII_PERSON);
        return;
    }
    if (kind == PC_VCARD) { /* "FN:Ana Ruiz", "N:Ruiz;Ana;;;": the whole value, if it holds a name */
        size_t le = line_end(c, i), q;

        while (le > i && (c->p[le - 1] == '\r' || c->p[le - 1] == ';' || c->p[le - 1] == ' '))
            le--;
        for (q = i; q < le && parse_name(c, q, false) == 0; q++)
            while (q < le && c->p[q] != ';' && c->p[q] != ' ' && c->p[q] != ',')
                q++;
        if (q < le && le - i <= 200) {
            (void)parse_name(c, q, true);
            add(c, i, le, SL_PII_PERSON);
        }
        return;
    }
    if (kind == PC_HONORIFIC) {
        det_honorific(c, end);
        return;
    }
    if (kind == PC_HAN_SURNAME) {
        if ((e = parse_han_surname_name(c, i)) != 0)
            add(c, i, e, SL_PII_PERSON);
        return;
    }
    if (kind == PC_BEFORE_MAIL) {
        size_t k = end, ne, s0 = SIZE_MAX, q;
        int words = 0;

        /* back to the marker ('<', '(', the envelope, '·'), then over the one space before it */
        while (k > 0 && end - k < 80 && c->p[k - 1] != '<' && c->p[k - 1] != '(' && c->p[k - 1] != 0xE2 &&
               c->p[k - 1] != 0xF0 && c->p[k - 1] != 0xC2)
            k--;
        if (k < 2 || c->p[k - 2] != ' ')
            return;
        ne = k - 2; /* the name's end */
        for (q = ne; words < 4;) {
            size_t ws = q;

            while (ws > 0 && c->p[ws - 1] != ' ' && c->p[ws - 1] != '\n' && c->p[ws - 1] != '\t')
                ws--;
            if (word_end(c, ws) != q || !name_word_ok(c, ws, q))
                break;
            s0 = ws;
            words++;
            if (ws == 0 || c->p[ws - 1] != ' ')
                break;
            q = ws - 1;
        }
        if (words < 2 || company_in(c, s0, ne - 1))
            return; /* "the Acme Store (sales@...)" */
        (void)parse_name(c, s0, true);
        add(c, s0, ne, SL_PII_PERSON);
        return;
    }
    if (kind == PC_DE_VERB) { /* back over the verb, then name words back to the preposition */
        size_t ve = end, vs, k, s0 = SIZE_MAX;
        int words = 0;

        for (vs = ve; vs > 0 && c->p[vs - 1] != ' '; vs--)
            ;
        if (vs == 0)
            return;
        e = vs - 1; /* the space before the verb */
        for (k = e; words < 4;) {
            size_t ws = k;

            while (ws > 0 && c->p[ws - 1] != ' ')
                ws--;
            if (word_is(c, ws, k, (const char *const[]){"an", "von", "für", "mit", NULL})) {
                s0 = k + 1;
                break;
            }
            if (!name_word_ok(c, ws, k) || word_end(c, ws) != k || ws == 0)
                return;
            words++;
            k = ws - 1;
        }
        if (s0 == SIZE_MAX || words == 0)
            return;
        (void)parse_name(c, s0, true);
        add(c, s0, e, SL_PII_PERSON);
        return;
    }
    if (kind == PC_ROWCELL) {
        size_t k, row, digits = 0;
        bool at_sign = false;

        while (at(c, i) == ' ' || at(c, i) == '\t')
            i++;
        e = parse_name(c, i, false);
        if (!e || name_words(c, i, e) < 2)
            return; /* two name words at least */
        for (k = e; at(c, k) == ' ' || at(c, k) == '\t'; k++)
            ;
        if (!(at(c, k) == '<' && at(c, k + 1) == '/' && (at(c, k + 2) | 0x20) == 't'))
            return;
        for (row = k; row < c->n && row < k + 600; row++) {
            if (c->p[row] == '<' && at(c, row + 1) == '/' && (at(c, row + 2) | 0x20) == 't' && (at(c, row + 3) | 0x20) == 'r')
                break;
            digits += is_digit(c->p[row]);
            at_sign |= c->p[row] == '@';
        }
        if (digits < 10 && !at_sign)
            return;
        (void)parse_name(c, i, true);
        add(c, i, e, SL_PII_PERSON);
        return;
    }
    if (kind == PC_JA_BEFORE) {
        size_t s = ja_name_before(c, end, &e);

        if (s != SIZE_MAX)
            add(c, s, e, SL_PII_PERSON);
        return;
    }

    if (kind == PC_CJK) {
        while (at(c, i) == ' ')
            i++;
        if ((e = parse_cjk_name(c, i)) != 0) {
            add(c, i, honorific_trim(c, i, e), SL_PII_PERSON);
            return;
        }
        kind = PC_NEXT; /* a name in Latin letters after the label */
    }
    if (kind == PC_LINE_AFTER) {
        while (at(c, i) == ' ' || at(c, i) == '\t' || at(c, i) == '\r' || at(c, i) == '\n')
            i++;
    } else {
        while (at(c, i) == ' ' || at(c, i) == '\t')
            i++;
    }
    i = skip_markup(c, i);
    if (kind == PC_UPPER) { /* "WILSON/JAMES MR SEAT 12A": the title ends a booking name, no name follows */
        size_t ts = end - 1, s0;

        while (ts > 0 && (is_upper(c->p[ts - 1]) || c->p[ts - 1] == '.'))
            ts--;
        if ((s0 = slash_name_before(c, ts)) != SIZE_MAX) {
            (void)parse_upper_name(c, s0, 1, true);
            add(c, s0, ts - 1, SL_PII_PERSON);
            return;
        }
        if (ts >= 2 && c->p[ts - 1] == ' ' && (c->p[ts - 2] == ']' || c->p[ts - 2] == '>' || c->p[ts - 2] == '*'))
            return; /* the rescan of "[REDACTED_PERSON] MR SEAT 12A": the name was before the title */
    }
    if (kind == PC_UPPER || ((kind == PC_NEXT || kind == PC_ROLE) && cue_upper(c, end) &&
                             parse_upper_name(c, i, 2, false))) {
        if ((e = parse_upper_name(c, i, kind == PC_UPPER ? 1 : 2, false)) != 0) {
            (void)parse_upper_name(c, i, 1, true);
            add(c, i, e, SL_PII_PERSON);
        }
        return;
    }
    if ((kind == PC_NEXT || kind == PC_ROLE) && (e = parse_upper_name(c, i, 1, false)) != 0 &&
        e == word_end(c, i)) {
        size_t e2 = given_after_family(c, e, true); /* "Patient: SMITH, JOHN" */
        bool title;

        if (!e2 && (e2 = slash_given(c, e, &title)) != 0 && !title) { /* "Passenger: WILSON/JAMES" */
            size_t ws, we = label_word(c, end, &ws);
            int nx2 = at(c, e2);

            if (!(we && word_is(c, ws, we, pax_labels) &&
                  (nx2 == 0 || strchr(" \r\n;|\t,", nx2))))
                e2 = 0;
        }

        if (e2) {
            (void)parse_upper_name(c, i, 1, true);
            add(c, i, e2, SL_PII_PERSON);
            return;
        }
    }
    e = parse_name(c, i, false);
    if (!e)
        return;
    nx = at(c, e);
    if (kind == PC_LINE_AFTER && !(nx == 0 || nx == '\n' || nx == '\r' || nx == ',' || nx == ' ' ||
                                   nx == '<' || nx == '|'))
        return;
    if (kind == PC_CHAT && nx != ':')
        return;
    if (kind == PC_NEXT && (json_thing_name(c, end) || thing_name_label(c, end)))
        return;
    if (kind == PC_ROLE && (name_words(c, i, e) < 2 || (nx == ' ' && upper_at(c, e + 1))))
        return; /* two name words at least, and the title-case run ends with the name */
    if (kind == PC_NEXT && end > 0 && (c->p[end - 1] == '|' || c->p[end - 1] == '\t') &&
        word_end(c, i) == e && word_in(c, i, e, &set_col_heads))
        return; /* "| Name | Phone |": the next header cell, not a value */
    if (kind == PC_GREETING && nx && !strchr(",!:;.\r\n<", nx) &&
        !(nx == ' ' && (at(c, e + 1) == '-' || at(c, e + 1) == '(' || at(c, e + 1) == '&' || at(c, e + 1) == '<' ||
                        word_is(c, e + 1, word_end(c, e + 1), (const char *const[]){"and", "und", "et", "y", "e", NULL}))))
        return; /* a greeting ends with its name ("Dear Ana,"); "Dear Prudence is ..." is a title */
    /* "Bill to: Acme Corp", "Kunde: Müller GmbH": the name's words and the word after them */
    if ((kind == PC_NEXT || kind == PC_ROLE) && company_in(c, i, e + (nx == ' ')))
        return;
    if ((kind == PC_NEXT || kind == PC_ROLE) && word_end(c, i) == e) {
        size_t e2 = given_after_family(c, e, false); /* "Smith, John" */

        if (e2)
            e = e2;
    }
    (void)parse_name(c, i, true);
    add(c, i, e, SL_PII_PERSON);
    if (kind == PC_NEXT) {
        size_t ws, we = label_word(c, end, &ws);

        if (we && word_is(c, ws, we, list_labels))
            name_list_after(c, e);
    }
}

/* ---- tables --------------------------------------------------------------------------------- */

#define TABLE_MAX_COLS 64
#define TABLE_MAX_ROWS 100000

/* Header cells that name a person column, lower case, '_' and '-' read as ' '. */
static const char *const table_name_heads[] = {
    "name", "full name", "fullname", "first name", "firstname", "last name", "lastname", "surname",
    "given name", "family name", "customer", "customer name", "contact", "contact name", "client",
    "client name", "patient", "patient name", "employee", "employee name", "account holder",
    "cardholder", "card holder", "recipient", "recipient name", "sender", "sender name", "nombre",
    "nombre completo", "apellido", "apellidos", "nom", "prénom", "nom complet", "nome",
    "nome completo", "cognome", "naam", "voornaam", "achternaam", "namn", "förnamn", "efternamn",
    "imię", "nazwisko", "imię i nazwisko", "vorname", "nachname", "kunde", "kundenname", NULL};

/* Split the line [s,e) at sep into at most TABLE_MAX_COLS cells (a cell in double quotes may hold
 * sep); a markdown row's outer pipes make no cells. Returns the count, 0 if more. */
static size_t table_cells(const struct anon_ctx *c, size_t s, size_t e, int sep, size_t *cs, size_t *ce)
{
    size_t n = 0, i;

    if (sep == '|') {
        while (s < e && (c->p[s] == ' ' || c->p[s] == '\t'))
            s++;
        while (e > s && (c->p[e - 1] == ' ' || c->p[e - 1] == '\t' || c->p[e - 1] == '\r'))
            e--;
        if (s < e && c->p[s] == '|')
            s++;
        if (e > s && c->p[e - 1] == '|')
            e--;
    } else if (e > s && c->p[e - 1] == '\r') {
        e--;
    }
    for (i = s;;) {
        size_t a = i, b;
        bool q = false;

        while (a < e && (c->p[a] == ' ' || c->p[a] == '\t') && c->p[a] != sep)
            a++;
        for (b = a; b < e && (q || c->p[b] != sep); b++)
            if (c->p[b] == '"')
                q = !q;
        if (n == TABLE_MAX_COLS)
            return 0;
        cs[n] = a;
        ce[n] = b;
        while (ce[n] > cs[n] && (c->p[ce[n] - 1] == ' ' || c->p[ce[n] - 1] == '\t'))
            ce[n]--;
        n++;
        if (b >= e)
            break;
        i = b + 1;
    }
    return n;
}

static bool table_head_is_name(const struct anon_ctx *c, size_t s, size_t e)
{
    char w[32];
    size_t L = 0, k;
    const char *const *h;

    if (e > s && (c->p[s] == '"' || c->p[s] == '\''))
        s++;
    if (e > s && (c->p[e - 1] == '"' || c->p[e - 1] == '\''))
        e--;
    for (k = s; k < e; k++) {
        int ch = c->p[k];

        if (L + 1 >= sizeof(w))
            return false;
        w[L++] = (char)(ch == '_' || ch == '-' ? ' ' : lower(ch));
    }
    w[L] = 0;
    for (h = table_name_heads; *h; h++)
        if (strcmp(w, *h) == 0) /* ASCII lower-casing only: "Prénom" has its é already lower */
            return true;
    return false;
}

/* A markdown table's delimiter row: pipes, dashes, colons and blanks only, with a dash. */
static bool table_delim_row(const struct anon_ctx *c, size_t s, size_t e)
{
    bool dash = false;

    for (; s < e; s++) {
        int ch = c->p[s];

        if (ch == '-')
            dash = true;
        else if (ch != '|' && ch != ':' && ch != ' ' && ch != '\t' && ch != '\r')
            return false;
    }
    return dash;
}

static size_t line_end(const struct anon_ctx *c, size_t i)
{
    const unsigned char *nl = i < c->n ? memchr(c->p + i, '\n', c->n - i) : NULL;

    return nl ? (size_t)(nl - c->p) : c->n;
}

/* The header line holding the trigger (end is just past the cell's separator or line end): find its
 * separator, the columns whose header names a person, and take each following row with as many
 * cells: the name in those columns is a PERSON. The table ends at the first row of another shape. */
static void det_table(struct anon_ctx *c, size_t end)
{
    size_t cs[TABLE_MAX_COLS], ce[TABLE_MAX_COLS], hs, he, ncol, k, row, i;
    bool namecol[TABLE_MAX_COLS];
    int sep = 0, best = 0, nname = 0;
    static const char seps[] = ",;\t|";

    hs = end > 0 ? end - 1 : 0;
    if (at(c, hs) == '\n' && hs > 0)
        hs--; /* the trigger ended with the header line's newline */
    if (hs < c->table_done)
        return; /* a row of a table read already, or a line looked at already */
    while (hs > 0 && c->p[hs - 1] != '\n')
        hs--;
    he = line_end(c, hs);
    /* Each line is looked at once, however many header-like cells it holds: the work stays linear. */
    c->table_done = he < c->n ? he + 1 : he;
    for (k = 0; k < 4; k++) {
        int n = 0;

        for (i = hs; i < he; i++)
            n += c->p[i] == seps[k];
        if (n > best) {
            best = n;
            sep = seps[k];
        }
    }
    if (!sep || (ncol = table_cells(c, hs, he, sep, cs, ce)) < 2)
        return;
    for (k = 0; k < ncol; k++)
        if ((namecol[k] = table_head_is_name(c, cs[k], ce[k])))
            nname++;
    if (!nname)
        return;
    for (k = 0; k < ncol; k++) /* "product,name,price": the names of things */
        if (!namecol[k] && word_end(c, cs[k] + (at(c, cs[k]) == '"')) > cs[k] &&
            word_in(c, cs[k] + (at(c, cs[k]) == '"'), word_end(c, cs[k] + (at(c, cs[k]) == '"')), &set_thing_heads))
            return;
    i = he < c->n ? he + 1 : he;
    if (sep == '|') { /* a markdown table has its delimiter row next */
        size_t le = line_end(c, i);

        if (!table_delim_row(c, i, le))
            return;
        i = le < c->n ? le + 1 : le;
    }
    c->table_done = i;
    for (row = 0; row < TABLE_MAX_ROWS && i < c->n; row++) {
        size_t le = line_end(c, i), rcs[TABLE_MAX_COLS], rce[TABLE_MAX_COLS];

        if (table_cells(c, i, le, sep, rcs, rce) != ncol)
            break;
        for (k = 0; k < ncol; k++) {
            size_t a = rcs[k], b = rce[k], e, q;

            if (!namecol[k])
                continue;
            if (at(c, a) == '"' || at(c, a) == '\'')
                a++;
            if (b > a && (c->p[b - 1] == '"' || c->p[b - 1] == '\''))
                b--;
            e = parse_name(c, a, false);
            if (!e || e > b)
                continue;
            /* The column says it is a name: the whole cell goes ("Lee, Ann", "Jo March"), unless
             * it is long or holds digits. */
            for (q = e; q < b && !is_digit(c->p[q]); q++)
                ;
            if (q == b && b - a <= 64)
                e = b;
            (void)parse_name(c, a, true);
            add(c, a, e, SL_PII_PERSON);
        }
        c->table_done = i = le < c->n ? le + 1 : le;
    }
}

/* Is the ASCII-lowercased word [s,e) (3+ letters) inside the email local part lp[0..n)? */
static bool word_in_local(const struct anon_ctx *c, size_t s, size_t e, const char *lp, size_t n)
{
    char w[64];
    size_t L = 0, k;

    for (k = s; k < e && L < sizeof(w); k++)
        if (is_alpha(c->p[k]))
            w[L++] = (char)lower(c->p[k]);
        else
            return false; /* accented names are left to the other cues */
    return L >= 3 && L < sizeof(w) && memmem(lp, n, w, L) != NULL;
}

/* Names next to an email whose local part spells them ("Ana Ruiz <ana.ruiz@...>"). */
static void email_names(struct anon_ctx *c, const struct anon_span *em)
{
    char lp[96];
    size_t n = 0, k, b, lim;

    for (k = em->start; k < em->end && c->p[k] != '@' && n < sizeof(lp); k++)
        lp[n++] = (char)lower(c->p[k]);
    b = em->start > 120 ? em->start - 120 : 0;
    lim = em->end + 60 < c->n ? em->end + 60 : c->n;
    for (k = b; k < lim; k++) {
        size_t e, rs, ne;

        if (k == em->start) {
            k = em->end;
            continue;
        }
        /* upper_at needs an ASCII capital or a lead byte C3..D0 at k: skip the bytes that fail
         * that test (most), up to the e-mail's start, which the test above must see */
        {
            size_t stop = k < em->start && em->start < lim ? em->start : lim;

#if defined(SL_SSE2)
            while (k + 16 <= stop) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(c->p + k));
                __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                           _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
                __m128i lead = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8((char)0xC3)), v);
                unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(up, lead));

                if (m) {
                    k += (size_t)__builtin_ctz(m);
                    break;
                }
                k += 16;
            }
#endif
            while (k < stop && !is_upper(c->p[k]) && c->p[k] < 0xC3)
                k++;
            if (k == stop) {
                k--; /* the loop's k++ brings it back to stop */
                continue;
            }
        }
        if (is_wordbyte(before(c, k)) || !upper_at(c, k))
            continue;
        e = word_end(c, k);
        if (!word_in_local(c, k, e, lp, n) || !name_word_ok(c, k, e)) { /* the cheaper test first */
            k = e > k ? e - 1 : k;
            continue;
        }
        rs = k; /* back over the preceding name words */
        while (rs >= 2 && c->p[rs - 1] == ' ' && is_wordbyte(c->p[rs - 2])) {
            size_t ws = rs - 1;

            while (ws > 0 && (is_wordbyte(c->p[ws - 1]) || c->p[ws - 1] == '-'))
                ws--;
            if (!name_word_ok(c, ws, rs - 1))
                break;
            rs = ws;
        }
        ne = parse_name(c, rs, true);
        if (ne > rs)
            add(c, rs, ne, SL_PII_PERSON);
        k = ne > k ? ne : e;
    }
}

/* A remembered name starting at k, as a whole word, is the same person. */
static void corefer_at(struct anon_ctx *c, size_t k, const unsigned char *first)
{
    int ch = c->p[k], b;
    size_t j;

    if (!first[ch])
        return;
    b = before(c, k);
    if (is_wordbyte(b) || is_digit(b) || b == '@')
        return;
    for (j = 0; j < c->nnames; j++) {
        size_t L = c->names[j].len, o = c->names[j].off;

        if (c->p[o] == ch && L <= c->n - k && !memcmp(c->p + o, c->p + k, L) && !is_wordbyte(at(c, k + L)) &&
            !is_digit(at(c, k + L)) && at(c, k + L) != '@')
            add(c, k, k + L, SL_PII_PERSON);
    }
}

/* Every whole-word occurrence of a remembered name token is the same person. */
void anon_corefer_persons(struct anon_ctx *c)
{
    size_t k, nsp = c->nsp;
    unsigned char first[256], fb[4];
    size_t nfb = 0; /* distinct first bytes; the first four in fb */
    bool simd = true;

    if (!(c->types & (1u << SL_PII_PERSON)))
        return;
    for (k = 0; k < nsp; k++)
        if (c->sp[k].type == SL_PII_EMAIL) {
            struct anon_span em = c->sp[k]; /* add() may move c->sp */

            email_names(c, &em);
        }
    if (c->nnames == 0)
        return;
    /* One walk over the word starts (a byte that may start a name after one that is neither a
     * letter nor a digit), each compared with the names: not one memmem per name. */
    memset(first, 0, sizeof(first));
    for (k = 0; k < c->nnames; k++) {
        unsigned char f = c->p[c->names[k].off];

        if (!first[f] && nfb < sizeof(fb))
            fb[nfb] = f;
        nfb += !first[f];
        first[f] = 1;
        if (f < 0x80 && !is_upper(f))
            simd = false;
    }
    k = 0;
#if defined(SL_SSE2)
    /* corefer_at does nothing at a byte that starts no name: with a few distinct first bytes,
     * look 16 bytes at a time for them alone. */
    if (nfb <= sizeof(fb)) {
        __m128i f0 = _mm_set1_epi8((char)fb[0]), f1 = _mm_set1_epi8((char)fb[nfb > 1 ? 1 : 0]);
        __m128i f2 = _mm_set1_epi8((char)fb[nfb > 2 ? 2 : 0]), f3 = _mm_set1_epi8((char)fb[nfb > 3 ? 3 : 0]);

        for (; k + 16 <= c->n; k += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(c->p + k));
            __m128i eq = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, f0), _mm_cmpeq_epi8(v, f1)),
                                      _mm_or_si128(_mm_cmpeq_epi8(v, f2), _mm_cmpeq_epi8(v, f3)));
            unsigned m = (unsigned)_mm_movemask_epi8(eq);

            for (; m; m &= m - 1)
                corefer_at(c, k + (size_t)__builtin_ctz(m), first);
        }
    }
    /* Names start with an upper-case letter (ASCII or a UTF-8 lead byte): skip 16 bytes at a time
     * that hold none. */
    while (simd && k + 16 <= c->n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(c->p + k));
        __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                   _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(up, v)); /* or a byte >= 0x80 */

        for (; m; m &= m - 1)
            corefer_at(c, k + (size_t)__builtin_ctz(m), first);
        k += 16;
    }
#endif
    (void)simd;
    for (; k < c->n; k++)
        corefer_at(c, k, first);
}

/* ---- IBAN ------------------------------------------------------------------------------------- */

/* ISO 13616 registry: country code and total IBAN length. */
static const char iban_len[][3] = {
    "AD\x18", "AE\x17", "AL\x1c", "AT\x14", "AZ\x1c", "BA\x14", "BE\x10", "BG\x16", "BH\x16",
    "BI\x1b", "BR\x1d", "BY\x1c", "CH\x15", "CR\x16", "CY\x1c", "CZ\x18", "DE\x16", "DJ\x1b",
    "DK\x12", "DO\x1c", "EE\x14", "EG\x1d", "ES\x18", "FI\x12", "FK\x12", "FO\x12", "FR\x1b",
    "GB\x16", "GE\x16", "GI\x17", "GL\x12", "GR\x1b", "GT\x1c", "HR\x15", "HU\x1c", "IE\x16",
    "IL\x17", "IQ\x17", "IS\x1a", "IT\x1b", "JO\x1e", "KW\x1e", "KZ\x14", "LB\x1c", "LC\x20",
    "LI\x15", "LT\x14", "LU\x14", "LV\x15", "LY\x19", "MC\x1b", "MD\x18", "ME\x16", "MK\x13",
    "MN\x14", "MR\x1b", "MT\x1f", "MU\x1e", "NI\x1c", "NL\x12", "NO\x0f", "OM\x17", "PK\x18",
    "PL\x1c", "PS\x1d", "PT\x19", "QA\x1d", "RO\x18", "RS\x16", "RU\x21", "SA\x18", "SC\x1f",
    "SD\x12", "SE\x18", "SI\x13", "SK\x18", "SM\x1b", "SO\x17", "ST\x19", "SV\x1c", "TL\x17",
    "TN\x18", "TR\x1a", "UA\x1d", "VA\x16", "VG\x18", "XK\x14", "YE\x1e", "AO\x19", "BF\x1c",
    "BJ\x1c", "CI\x1c", "CM\x1b", "CV\x19", "DZ\x1a", "IR\x1a", "MG\x1b", "ML\x1c", "MZ\x19",
    "SN\x1c", "GA\x1b", "GQ\x1b", "GW\x19", "HN\x1c", "KM\x1b", "MA\x1c", "NE\x1c", "TD\x1b",
    "TG\x1c", "CF\x1b", "CG\x1b"};

static int upc(int ch) { return is_lower(ch) ? ch - 32 : ch; }

static void det_iban(struct anon_ctx *c, size_t end)
{
    size_t s = end - 4, i = s, k, want = 0, got = 0;
    char v[40];
    unsigned rem = 0;

    for (k = 0; k < sizeof(iban_len) / sizeof(iban_len[0]); k++)
        if (iban_len[k][0] == upc(c->p[s]) && iban_len[k][1] == upc(c->p[s + 1]))
            want = (unsigned char)iban_len[k][2];
    if (!want)
        return;
    while (got < want && i < c->n) {
        size_t sl = 0;

        if (is_alnum(c->p[i])) {
            v[got++] = (char)upc(c->p[i++]);
        } else if (got >= 4 && ((c->p[i] == ' ' && at(c, i + 1) == ' ' && (sl = 2)) || sep_at(c, i, " -", &sl)) &&
                   is_alnum(at(c, i + sl))) {
            i += sl; /* groups apart by ' ', '-', a no-break or thin space, or two spaces */
        } else {
            break;
        }
    }
    if (got != want || is_alnum(at(c, i)))
        return;
    for (k = 0; k < want; k++) {
        int ch = v[(k + 4) % want];

        if (is_digit(ch))
            rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
        else
            rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
    }
    if (rem == 1)
        add(c, s, i, SL_PII_IBAN);
}

/* ---- IPv6 (RFC 4291 section 2.2 text forms, RFC 5952 compression) ------------------------------ */

static void det_ipv6(struct anon_ctx *c, size_t end)
{
    size_t s = end, i, hexd = 0;
    int ng = 0;
    bool dbl = false, wide = false;

    /* The trigger's last byte (end - 1) is a hex digit or ':', so the walk back below ends before
     * end: a trigger inside the address parsed last is refused by the ipv6_done test without it. */
    if (end <= c->ipv6_done)
        return;
    while (s > 0 && (is_hex(c->p[s - 1]) || c->p[s - 1] == ':'))
        s--;
    if (s < c->ipv6_done || is_alnum(before(c, s)) || before(c, s) == '.' || before(c, s) == '_')
        return;
    i = s;
    if (at(c, i) == ':' && at(c, i + 1) == ':') {
        dbl = true;
        i += 2;
    } else if (at(c, i) == ':') {
        return;
    }
    for (;;) {
        size_t r = 0, v4;

        while (r < 9 && is_hex(at(c, i + r)))
            r++;
        if (r == 0 || r > 8) {
            if (r > 8)
                return;
            break;
        }
        if (r > 4)
            wide = true; /* malformed group: still redacted if the rest is IPv6-shaped */
        if (at(c, i + r) == '.' && ng <= 6 && (v4 = parse_ipv4(c, i)) != 0) {
            ng += 2;
            hexd += 4;
            i = v4;
            break;
        }
        if (is_alpha(at(c, i + r)) || at(c, i + r) == '_')
            return;
        ng++;
        hexd += r;
        i += r;
        if (at(c, i) == ':' && at(c, i + 1) == ':') {
            if (dbl)
                return;
            dbl = true;
            i += 2;
            continue;
        }
        if (at(c, i) == ':' && is_hex(at(c, i + 1))) {
            i++;
            continue;
        }
        break;
    }
    c->ipv6_done = i;
    if ((dbl && ng > 7) || (!dbl && ng != 8) || hexd < 4 || (wide && (!dbl || ng < 3)))
        return;
    if (is_alnum(at(c, i)))
        return;
    if (at(c, i) == '%' && is_alnum(at(c, i + 1))) {
        i++;
        while (is_alnum(at(c, i)))
            i++;
    }
    add(c, s, i, SL_PII_IP);
}

/* ---- URL credentials (RFC 3986 userinfo) ------------------------------------------------------- */

static bool url_stop(int ch) { return ch <= ' ' || ch == '"' || ch == '\'' || ch == '<' || ch == '>' || ch == '`'; }

static void det_url(struct anon_ctx *c, size_t end)
{
    size_t s = end - 3, i = end, atpos = 0, e;
    bool colon = false;

    while (s > 0 && (is_alnum(c->p[s - 1]) || c->p[s - 1] == '+' || c->p[s - 1] == '.' || c->p[s - 1] == '-'))
        s--;
    while (i < c->n && !url_stop(c->p[i]) && c->p[i] != '/' && c->p[i] != '?' && c->p[i] != '#') {
        if (c->p[i] == '@')
            atpos = i;
        i++;
    }
    if (!atpos || atpos == end)
        return;
    for (e = end; e < atpos; e++)
        if (c->p[e] == ':' && e + 1 < atpos)
            colon = true;
    if (!colon && atpos - end < 16)
        return;
    e = i;
    while (e < c->n && !url_stop(c->p[e]))
        e++;
    while (e > atpos + 1 && strchr(".,;:!?)]}", c->p[e - 1]))
        e--;
    add(c, s, e, SL_PII_URL_CREDENTIALS);
}

/* ---- secrets ---------------------------------------------------------------------------------- */

static bool in_cs(int ch, int cs)
{
    if (is_alnum(ch))
        return true;
    /* '_' and '-' belong to the US_DASH sets, and to the two wider ones (SendGrid's and Atlassian's
     * bodies hold them too: an early return here once cut those tokens at their first '-'). */
    if (cs == CS_B64)
        return ch == '+' || ch == '/' || ch == '=' || ch == '_' || ch == '-';
    if (ch == '_')
        return cs == CS_ALNUM_US || cs == CS_ALNUM_US_DASH || cs == CS_ALNUM_US_DASH_DOT || cs == CS_ALNUM_US_DASH_EQ;
    if (ch == '-')
        return cs == CS_ALNUM_DASH || cs == CS_ALNUM_US_DASH || cs == CS_ALNUM_US_DASH_DOT || cs == CS_ALNUM_US_DASH_EQ;
    if (ch == '/')
        return cs == CS_ALNUM_SLASH;
    if (ch == '.')
        return cs == CS_ALNUM_US_DASH_DOT;
    if (ch == '=')
        return cs == CS_ALNUM_US_DASH_EQ;
    return false;
}

static void det_prefix(struct anon_ctx *c, size_t end, int arg)
{
    const struct prefix_rule *r = &prefix_rules[arg];
    size_t s = end - (r->plen == PLEN_LETTERS ? 1 : r->plen), e = end;

    if (r->plen == PLEN_LETTERS)
        while (s > 0 && is_alpha(c->p[s - 1]))
            s--;
    while (e < c->n && in_cs(c->p[e], r->cs))
        e++;
    while (e > end && c->p[e - 1] == '.') /* a sentence's full stop after the token */
        e--;
    if (e - end >= r->minlen)
        add(c, s, e, SL_PII_SECRET);
}

/* The prefixes behind AH_VENDOR with their documented bodies (vendors' docs and their
 * secret-scanning partner formats): the body charset, its least and (when fixed) most length, and
 * whether it is lower-case hex. */
enum { VB_ANY, VB_HEX };
struct vendor_rule {
    const char *lit;
    unsigned char cs, minlen, maxlen, hex;
};
static const struct vendor_rule vendor_rules[] = {
    {"sntrys_", CS_B64, 60, 0, VB_ANY},           /* Sentry org auth token: base64 JSON, '_', secret */
    {"sntryu_", CS_ALNUM, 64, 64, VB_HEX},        /* Sentry user auth token */
    {"NRAK-", CS_ALNUM, 27, 27, VB_ANY},          /* New Relic user API key */
    {"NRII-", CS_ALNUM_US_DASH, 32, 32, VB_ANY},  /* New Relic insert key */
    {"NRJS-", CS_ALNUM, 19, 19, VB_HEX},          /* New Relic browser key */
    {"HRKU-", CS_ALNUM_US_DASH, 60, 0, VB_ANY},   /* Heroku API key (HRKU-AA + 58) */
    {"tskey-", CS_ALNUM_DASH, 30, 0, VB_ANY},     /* Tailscale tskey-auth-<id>-<secret>, -api-, -client- */
    {"pscale_tkn_", CS_ALNUM_US_DASH_DOT, 32, 0, VB_ANY}, /* PlanetScale service token */
    {"pscale_pw_", CS_ALNUM_US_DASH_DOT, 32, 0, VB_ANY},  /* PlanetScale password */
    {"pscale_oauth_", CS_ALNUM_US_DASH_DOT, 32, 0, VB_ANY},
    {"nfp_", CS_ALNUM, 36, 0, VB_ANY},            /* Netlify personal access token */
    {"figd_", CS_ALNUM_US_DASH, 40, 0, VB_ANY},   /* Figma personal access token */
    {"bkua_", CS_ALNUM, 40, 40, VB_HEX},          /* Buildkite API access token */
    {"CCIPAT_", CS_ALNUM_US, 60, 0, VB_ANY},      /* CircleCI personal token: 22, '_', 40 hex */
    {"CFPAT-", CS_ALNUM_US_DASH, 43, 0, VB_ANY},  /* Contentful personal access token */
    {"dt0c01.", CS_ALNUM_US_DASH_DOT, 89, 0, VB_ANY}, /* Dynatrace: 24, '.', 64 */
    {"pcsk_", CS_ALNUM_US, 50, 0, VB_ANY},        /* Pinecone API key */
    {"lsv2_pt_", CS_ALNUM_US, 43, 0, VB_ANY},     /* LangSmith: 32 hex, '_', 10 hex */
    {"lsv2_sk_", CS_ALNUM_US, 43, 0, VB_ANY},
    {"sgp_", CS_ALNUM_US, 40, 0, VB_ANY},         /* Sourcegraph: 40 hex, or "local_"/16 hex '_' 40 hex */
    {"key-", CS_ALNUM, 32, 32, VB_HEX},           /* Mailgun private API key */
    {"1//0", CS_ALNUM_US_DASH, 40, 0, VB_ANY},    /* Google OAuth refresh token (base64url) */
    {"EAA", CS_ALNUM, 100, 0, VB_ANY},            /* Meta/Facebook access token */
};

static bool hex_lower(int ch) { return is_digit(ch) || (ch >= 'a' && ch <= 'f'); }

/* A run of hex_lower bytes of exactly len ending at e (not preceded by an alphanumeric)? */
static bool hex_before(const struct anon_ctx *c, size_t e, size_t len)
{
    size_t i;

    if (e < len)
        return false;
    for (i = e - len; i < e; i++)
        if (!hex_lower(c->p[i]))
            return false;
    return !is_alnum(before(c, e - len));
}

static void det_vendor(struct anon_ctx *c, size_t end)
{
    size_t i, s, e;

    /* Mailchimp: 32 hex, "-us", 1-2 digits (end is after the first digit) */
    if (end >= 36 && c->p[end - 1] >= '0' && c->p[end - 1] <= '9' && c->p[end - 2] == 's' && c->p[end - 3] == 'u' &&
        c->p[end - 4] == '-') {
        e = end + (is_digit(at(c, end)) ? 1 : 0);
        if (hex_before(c, end - 4, 32) && !is_alnum(at(c, e)))
            add(c, end - 36, e, SL_PII_SECRET);
        return;
    }
    /* Azure AD client secret: 3 of [A-Za-z0-9_~.], a digit, "Q~", 31-34 of [A-Za-z0-9_~.-] */
    if (end >= 6 && c->p[end - 1] == '~' && c->p[end - 2] == 'Q') {
        s = end - 6;
        for (i = s; i < end - 3; i++)
            if (!is_alnum(c->p[i]) && c->p[i] != '_' && c->p[i] != '~' && c->p[i] != '.')
                return;
        if (is_alnum(before(c, s)) || before(c, s) == '_' || before(c, s) == '~')
            return;
        for (e = end; e < c->n && e - end <= 34 && (is_alnum(c->p[e]) || in_set("_~.-", c->p[e])); e++)
            ;
        while (e > end && c->p[e - 1] == '.')
            e--;
        if (e - end >= 31 && e - end <= 34)
            add(c, s, e, SL_PII_SECRET);
        return;
    }
    /* Airtable personal access token: "pat", 14 alphanumerics, '.', 64 hex */
    if (end >= 18 && c->p[end - 1] == '.' && memcmp(c->p + end - 18, "pat", 3) == 0) {
        for (e = end; e < c->n && hex_lower(c->p[e]); e++)
            ;
        if (e - end == 64 && !is_alnum(at(c, e))) {
            add(c, end - 18, e, SL_PII_SECRET);
            return;
        }
    }
    for (i = 0; i < sizeof(vendor_rules) / sizeof(vendor_rules[0]); i++) {
        const struct vendor_rule *r = &vendor_rules[i];
        size_t l = strlen(r->lit);

        if (end < l || memcmp(c->p + end - l, r->lit, l) != 0)
            continue;
        s = end - l;
        for (e = end; e < c->n && in_cs(c->p[e], r->cs); e++)
            if (r->hex == VB_HEX && !hex_lower(c->p[e]))
                break;
        while (e > end && c->p[e - 1] == '.') /* a sentence's full stop after the token */
            e--;
        if (e - end < r->minlen || (r->maxlen && (e - end > r->maxlen || is_alnum(at(c, e)))))
            return;
        add(c, s, e, SL_PII_SECRET);
        return;
    }
}

/* "123456789:AA..." (end is 10 bytes after the ':'): the bot id (6-12 digits) and 30-40 base64url
 * characters after "AA". */
static void det_telegram(struct anon_ctx *c, size_t end)
{
    size_t colon = end - 11, s = colon, e = colon + 1;

    while (s > 0 && is_digit(c->p[s - 1]) && colon - s < 13)
        s--;
    if (colon - s < 6 || colon - s > 12 || (s > 0 && is_alnum(c->p[s - 1])))
        return;
    while (e < c->n && (is_alnum(c->p[e]) || c->p[e] == '_' || c->p[e] == '-'))
        e++;
    if (e - colon - 1 >= 32 && e - colon - 1 <= 42)
        add(c, s, e, SL_PII_SECRET);
}

static bool b64url(int ch) { return is_alnum(ch) || ch == '-' || ch == '_'; }

static void det_jwt(struct anon_ctx *c, size_t end)
{
    size_t s = end - 7, i = s, p1, p2;

    while (b64url(at(c, i)))
        i++;
    p1 = i - s;
    if (at(c, i) != '.' || p1 < 10)
        return;
    i++;
    p2 = i;
    while (b64url(at(c, i)))
        i++;
    if (i - p2 < 8 || at(c, i) != '.')
        return;
    i++;
    while (b64url(at(c, i)))
        i++;
    add(c, s, i, SL_PII_SECRET);
}

static void det_pem(struct anon_ctx *c, size_t end)
{
    size_t s = end < c->n ? end : (c->n ? c->n - 1 : 0), k;
    const unsigned char *endm;

    if (!c->n)
        return;
    while (s > 0 && s + 60 > end && !(c->p[s] == '-' && c->n - s >= 10 && !memcmp(c->p + s, "-----BEGIN", 10)))
        s--;
    endm = memmem(c->p + end, c->n - end, "-----END", 8);
    if (!endm) {
        add(c, s, c->n, SL_PII_SECRET); /* fail closed: no END line, everything after is key */
        return;
    }
    k = (size_t)(endm - c->p) + 8;
    while (k < c->n && k < (size_t)(endm - c->p) + 64 && c->p[k] != '\n') {
        if (c->p[k] == '-' && at(c, k + 4) == '-' && !memcmp(c->p + k, "-----", 5)) {
            k += 5;
            break;
        }
        k++;
    }
    add(c, s, k, SL_PII_SECRET);
}

static bool is_placeholder(const struct anon_ctx *c, size_t i, size_t e)
{
    static const char *const words[] = {"null", "none", "true", "false", "nil", "undefined",
                                        "bearer", "basic", "token", "required", "optional",
                                        "string", "yes", "no", NULL};

    if (at(c, i) == '[' || at(c, i) == '<' || at(c, i) == '*' || at(c, i) == '$' || at(c, i) == '{' ||
        at(c, i) == '%')
        return true;
    return word_is(c, i, e, words);
}

static bool val_stop(int ch) { return ch <= ' ' || (ch && strchr("\"'`,;&)}]<>", ch)); }

/* A value with a digit or a symbol in it: "password is hunter2!", not "password is incorrect". */
static bool not_a_word(const struct anon_ctx *c, size_t i, size_t e)
{
    for (; i < e; i++)
        if (!is_alpha(c->p[i]) && c->p[i] < 0x80)
            return true;
    return false;
}

/* The assignment's key ends before end: is it a word that only looks like a secret's ("author",
 * "secretary", "passenger", "tokenizer")? */
static bool assign_key_not_secret(const struct anon_ctx *c, size_t end)
{
    static const char *const stems[] = {"secretar", "passeng", "tokeniz", "tokenis", NULL};
    char k[40];
    size_t e = end, s, L = 0, j;
    const char *const *st;

    while (e > 0 && !is_alnum(c->p[e - 1]) && end - e < 8)
        e--;
    for (s = e; s > 0 && e - s < sizeof(k) - 1 && (is_alnum(c->p[s - 1]) || c->p[s - 1] == '_' || c->p[s - 1] == '-'); s--)
        ;
    for (j = s; j < e; j++)
        k[L++] = (char)lower(c->p[j]);
    k[L] = 0;
    for (st = stems; *st; st++)
        if (strstr(k, *st))
            return true;
    for (j = 0; j + 6 <= L; j++) /* "author", "authored", "authority"; not "authorization" */
        if (memcmp(k + j, "author", 6) == 0 && !(j + 8 <= L && (memcmp(k + j + 6, "iz", 2) == 0 || memcmp(k + j + 6, "is", 2) == 0)))
            return true;
    return false;
}

/* A value that looks like a generated secret: 16-512 bytes of base64/hex/token characters with a
 * letter and a digit, not a UUID, a path or a URL. */
static bool token_like(const struct anon_ctx *c, size_t i, size_t e)
{
    size_t k;
    bool dg = false, al = false, slash = false, dot = false;

    if (e - i < 16 || e - i > 512 || at(c, i) == '/' || at(c, i) == '.' || at(c, i) == '~')
        return false;
    for (k = i; k < e; k++) {
        int ch = c->p[k];

        if (is_digit(ch))
            dg = true;
        else if (is_alpha(ch))
            al = true;
        else if (ch == '/')
            slash = true;
        else if (ch == '.')
            dot = true;
        else if (!strchr("+=_-~%:", ch))
            return false;
    }
    if (e - i == 36 && c->p[i + 8] == '-' && c->p[i + 13] == '-' && c->p[i + 18] == '-' && c->p[i + 23] == '-')
        return false; /* a UUID (an idempotency or correlation key) */
    return dg && al && !(slash && dot);
}

/* The assignment's trigger ended with '>': 'key="db.password">value' (an attribute naming the
 * secret, then the element's text) or an opening element "<password>"; not a closing tag, a
 * "for=" or "class=" attribute, or an arrow. */
static bool assign_gt_ok(const struct anon_ctx *c, size_t end)
{
    size_t k = end - 1, lim = end > 80 ? end - 80 : 0;
    int q = before(c, k);

    if (q == '"' || q == '\'') {
        for (k -= 2; k > lim && c->p[k] != q; k--)
            if (c->p[k] == '<' || c->p[k] == '>' || c->p[k] == '\n')
                return false;
        if (c->p[k] != q || k < 4 || c->p[k - 1] != '=')
            return false;
        return (lower(c->p[k - 4]) == 'k' && lower(c->p[k - 3]) == 'e' && lower(c->p[k - 2]) == 'y') ||
               (k >= 5 && lower(c->p[k - 5]) == 'n' && lower(c->p[k - 4]) == 'a' && lower(c->p[k - 3]) == 'm' &&
                lower(c->p[k - 2]) == 'e');
    }
    while (k > lim && (is_alnum(c->p[k - 1]) || c->p[k - 1] == '_' || c->p[k - 1] == '-' || c->p[k - 1] == ':'))
        k--;
    return before(c, k) == '<';
}

static void det_assign(struct anon_ctx *c, size_t end, int kind)
{
    size_t i = end, e;
    int q = 0;

    if (kind != AS_PROSE && assign_key_not_secret(c, end))
        return;
    if (before(c, end) == '>' && before(c, end - 1) != '=' && !assign_gt_ok(c, end))
        return;

    while (at(c, i) == ' ' || at(c, i) == '\t')
        i++;
    if (at(c, i) == '"' || at(c, i) == '\'') {
        q = at(c, i);
        i++;
    }
    e = i;
    if (q) {
        while (e < c->n && e < i + 512 && c->p[e] != q && c->p[e] != '\n')
            e++;
    } else {
        while (e < c->n && !val_stop(c->p[e]))
            e++;
        while (e > i && strchr(".:", c->p[e - 1]))
            e--;
    }
    if (e > i && is_placeholder(c, i, e)) {
        size_t k = e; /* "Authorization: Bearer <token>": the value is the next word */

        if (q || (!word_is(c, i, e, (const char *const[]){"bearer", "basic", "token", NULL})))
            return;
        while (at(c, k) == ' ')
            k++;
        i = k;
        e = k;
        while (e < c->n && !val_stop(c->p[e]))
            e++;
    }
    if (at(c, i) == '-' || (kind == AS_PROSE && !not_a_word(c, i, e)) || (kind == AS_TOKEN && !token_like(c, i, e)))
        return; /* "--password --help": another flag; prose: an ordinary word; a key's plain value */
    if (e >= i + 4)
        add(c, i, e, SL_PII_SECRET);
}

/* The rest of a command line after "mysql "/"sshpass ": its -p option's value, up to a shell
 * separator or the line's end (bounded: 512 bytes). "-p" alone prompts; "$VAR" and "<password>"
 * are placeholders. */
static void det_cli(struct anon_ctx *c, size_t end, int kind)
{
    size_t i = end, lim = end + 512 < c->n ? end + 512 : c->n, s, e;
    int q;

    while (i < lim && c->p[i] != '\n' && !strchr(";|&", c->p[i])) {
        if (c->p[i] == '-' && at(c, i + 1) == 'p' && (i == end || c->p[i - 1] == ' ' || c->p[i - 1] == '\t')) {
            s = i + 2;
            if (kind == CLI_SSHPASS)
                while (s < lim && (c->p[s] == ' ' || c->p[s] == '\t'))
                    s++;
            q = at(c, s) == '\'' || at(c, s) == '"' ? at(c, s) : 0;
            s += q ? 1 : 0;
            e = s;
            if (q)
                while (e < lim && c->p[e] != q && c->p[e] != '\n')
                    e++;
            else
                while (e < lim && !val_stop(c->p[e]))
                    e++;
            if (e >= s + 4 && (q ? at(c, e) == q : true) && !is_placeholder(c, s, e))
                add(c, s, e, SL_PII_SECRET);
            return;
        }
        i++;
    }
}

static void det_bearer(struct anon_ctx *c, size_t end)
{
    size_t e = end;

    while (e < c->n && (is_alnum(c->p[e]) || strchr("-._~+/=", c->p[e])))
        e++;
    if (e - end >= 16)
        add(c, end, e, SL_PII_SECRET);
}

/* AWS documents secret access keys as 40 characters of base64 ([A-Za-z0-9/+]); one within a line or
 * two of an access key id is that id's secret. Mixed case and a digit are required, so a 40-hex git
 * SHA or a word run is not one. */
static bool aws_secret_at(const struct anon_ctx *c, size_t i)
{
    size_t k;
    int up = 0, lo = 0, dg = 0;

    if (is_alnum(before(c, i)) || before(c, i) == '/' || before(c, i) == '+')
        return false;
    for (k = i; k < i + 40; k++) {
        int ch = at(c, k);

        if (!is_alnum(ch) && ch != '/' && ch != '+')
            return false;
        up |= is_upper(ch);
        lo |= is_lower(ch);
        dg |= is_digit(ch);
    }
    return up && lo && dg && !is_alnum(at(c, i + 40)) && at(c, i + 40) != '/' && at(c, i + 40) != '+' &&
           at(c, i + 40) != '=';
}

static void det_aws_secret_near(struct anon_ctx *c, size_t s, size_t e)
{
    size_t b = s > 160 ? s - 160 : 0, lim = e + 160 < c->n ? e + 160 : c->n, i;

    for (i = b; i + 40 <= lim; i++)
        if ((i + 40 <= s || i >= e) && aws_secret_at(c, i)) {
            add(c, i, i + 40, SL_PII_SECRET);
            i += 39;
        }
}

/* ---- dispatch --------------------------------------------------------------------------------- */

/* A rejected number: its inner groups are not numbers of their own. */
static void skip_number(struct anon_ctx *c, size_t pos)
{
    size_t ends[16], cum[16];
    char d[64];
    int g = groups(c, pos, " -./", ends, cum, 16, d, sizeof(d));

    if (g > 0)
        c->digit_skip = ends[g - 1];
}

/* A number of 7+ digits (or more runs) starting at pos, s with its '+' or '(' before it: SSN, card,
 * phone, number-first address. Kept out of det_digit so that the short-number path, which most
 * triggers take, is a small function (these parsers, inlined, need many registers). r0 is the
 * first run's length, after0 the byte after it. */
static __attribute__((noinline)) void det_digit_long(struct anon_ctx *c, size_t s, size_t pos, bool plus,
                                                     size_t r0, int after0)
{
    size_t e, best = 0;
    /* Each parser below rejects most long numbers (dates, versions, ids) on their first run; these
     * are the checks each makes first. SSN: 3 digits then '-' or ' '. Card: a 2-8 first digit (every
     * issuer prefix iin_ok accepts) and 13+ digits in the first run or a separator groups() takes
     * after it (' ', '-', '.', or a no-break space's lead byte). Address: 1-5 digits then ' ', ',' or a lower-case letter. */
    bool ssn_ok = r0 == 3 && (after0 == '-' || after0 == ' ');
    bool card_ok = c->p[pos] >= '2' && c->p[pos] <= '8' &&
                   (r0 >= 13 || after0 == ' ' || after0 == '-' || after0 == '.' || after0 == 0xC2 || after0 == 0xE2);
    bool addr_ok = !plus && r0 <= 5 && (after0 == ' ' || after0 == ',' || is_lower(after0));

    if (ssn_ok && (e = parse_ssn(c, pos, false)) != 0) {
        add(c, pos, e, SL_PII_US_SSN);
        best = e;
    }
    /* An SSN written with '-' is not followed by '-' and a digit (parse_ssn refuses that), so its
     * 9 digits are all that groups can join for a card. With ' ' a card may go on after it. */
    if (best && after0 == '-')
        card_ok = false;
    if (card_ok && (e = parse_card(c, pos)) != 0) {
        add(c, pos, e, SL_PII_CREDIT_CARD);
        best = e > best ? e : best;
    }
    if (!best && (e = parse_phone(c, s, pos, plus)) != 0) {
        add(c, s, e, SL_PII_PHONE);
        best = e;
    }
    if (addr_ok && (e = parse_addr_numfirst(c, pos)) != 0) {
        add(c, pos, e, SL_PII_ADDRESS);
        best = e > best ? e : best;
    }
    if (best) {
        c->digit_skip = best;
    } else {
        skip_number(c, pos);
    }
}

/* UK postcode areas (Royal Mail's list of the 121 areas, with the Crown dependencies). */
static const char *const uk_areas[] = {
    "ab", "al", "b", "ba", "bb", "bd", "bh", "bl", "bn", "br", "bs", "bt", "ca", "cb", "cf", "ch", "cm",
    "co", "cr", "ct", "cv", "cw", "da", "dd", "de", "dg", "dh", "dl", "dn", "dt", "dy", "e", "ec", "eh",
    "en", "ex", "fk", "fy", "g", "gl", "gu", "gy", "ha", "hd", "hg", "hp", "hr", "hs", "hu", "hx", "ig",
    "im", "ip", "iv", "je", "ka", "kt", "kw", "ky", "l", "la", "ld", "le", "ll", "ln", "ls", "lu", "m",
    "me", "mk", "ml", "n", "ne", "ng", "nn", "np", "nr", "nw", "ol", "ox", "pa", "pe", "ph", "pl", "po",
    "pr", "rg", "rh", "rm", "s", "sa", "se", "sg", "sk", "sl", "sm", "sn", "so", "sp", "sr", "ss", "st",
    "sw", "sy", "ta", "td", "tf", "tn", "tq", "tr", "ts", "tw", "ub", "w", "wa", "wc", "wd", "wf", "wn",
    "wr", "ws", "wv", "yo", "ze", NULL};

/* A UK postcode whose inward code starts at the digit pos ("EH3 9SD", "SW1A 2AA"): the outward
 * code (area from uk_areas, district digit, an optional digit or letter) right before, a space,
 * then a digit and two letters of the inward alphabet (no C I K M O V). Records it; true if so. */
static bool uk_postcode(struct anon_ctx *c, size_t pos)
{
    size_t s = pos - 1, a;
    int l1 = at(c, pos + 1), l2 = at(c, pos + 2);

    if (pos < 3 || c->p[pos - 1] != ' ' || !is_upper(l1) || !is_upper(l2) || is_alnum(at(c, pos + 3)) ||
        strchr("CIKMOV", l1) || strchr("CIKMOV", l2))
        return false;
    while (s > 0 && s + 4 >= pos && is_alnum(c->p[s - 1]))
        s--;
    if (pos - 1 - s < 2 || pos - 1 - s > 4 || (s > 0 && (is_wordbyte(c->p[s - 1]) || is_digit(c->p[s - 1]))))
        return false;
    for (a = s; a < pos - 1 && is_upper(c->p[a]); a++)
        ;
    /* area, a district digit, then at most one more digit or capital */
    if (a == s || a - s > 2 || !is_digit(c->p[a]) || pos - 1 - a > 2 || !word_is(c, s, a, uk_areas))
        return false;
    if (pos - 1 - a == 2 && !is_digit(c->p[a + 1]) && !is_upper(c->p[a + 1]))
        return false;
    add(c, s, pos + 3, SL_PII_ADDRESS);
    return true;
}

/* The phrases of a post-office box: the word right before the number (after "No." or "#", if
 * any), and the phrase's first word, which starts the address. */
static const char *const pobox_last[] = {"box", "postfach", "postale", "postal", "correos", "correo", "postbus",
                                         "pocztowa", "postboks", "kutusu", NULL};
static const char *const pobox_heads[] = {"p", "po", "pobox", "post", "postfach", "boite", "boîte", "apartado", "caixa",
                                          "casilla", "postbus", "skrytka", "casella", "postboks", "posta", NULL};

/* A post-office box whose number starts at the digit d ("PO Box 4471", "Postfach 10 12 34",
 * "Apartado de correos 55"): found from the number (no pattern of its own: as one it cost 0.18
 * instructions a byte). Records the phrase, the number and the tail (postcode, town). */
static bool pobox(struct anon_ctx *c, size_t d)
{
    size_t k = d - 1, ws, s, e, best = SIZE_MAX;

    if (k >= 1 && c->p[k - 1] == '#')
        k -= k >= 2 && c->p[k - 2] == ' ' ? 2 : 1; /* "#12" may start the text */
    else if (k >= 4 && lower(c->p[k - 3]) == 'n' && lower(c->p[k - 2]) == 'o' && c->p[k - 1] == '.' && c->p[k - 4] == ' ')
        k -= 4; /* "No. " */
    for (ws = k; ws > 0 && is_wordbyte(c->p[ws - 1]); ws--)
        ;
    if (ws == k || !word_is(c, ws, k, pobox_last))
        return false;
    for (s = k; s > 0 && s + 30 > k; s--) {
        size_t we;

        if (is_wordbyte(c->p[s - 1]) && (s == 1 || !is_wordbyte(c->p[s - 2])) && (we = word_end(c, s - 1)) > s - 1 &&
            word_is(c, s - 1, we, pobox_heads)) {
            best = s - 1; /* the nearest head: "Box" and "office" are none */
            break;
        }
    }
    if (best == SIZE_MAX)
        return false; /* "Box 3 of 4": no phrase */
    e = d;
    while (is_digit(at(c, e)) || (at(c, e) == ' ' && is_digit(at(c, e + 1)) && digit_run(c, e + 1) <= 3))
        e++; /* "Postfach 10 12 34" */
    e = addr_tail(c, e, 80);
    add(c, best, e, SL_PII_ADDRESS);
    return true;
}

/* The length of a no-break or thin space or " / " at i with a digit after it, or 0 (out of line: a
 * local whose address sep_at_wide takes would cost det_digit a stack frame on every call). */
static __attribute__((noinline)) size_t digit_sep_wide(const struct anon_ctx *c, size_t i)
{
    size_t sl;

    return sep_at_wide(c, i, " /", &sl) && is_digit(at(c, i + sl)) ? sl : 0;
}

/* "version 4.2.1.0", "release: 1.2.3.4", "build 10.0.0.1": a dotted quad right after a word that
 * names a version is one. */
static __attribute__((noinline)) bool version_before(const struct anon_ctx *c, size_t s)
{
    static const char *const words[] = {"version", "versión", "versão", "release", "build", "ver", "rev", "revision",
                                        "firmware", "fw", "patch", "update", "v", NULL};
    size_t e = s, w;

    while (e > 0 && s - e < 3 && (c->p[e - 1] == ' ' || c->p[e - 1] == ':' || c->p[e - 1] == '='))
        e--;
    for (w = e; w > 0 && is_wordbyte(c->p[w - 1]) && e - w < 12; w--)
        ;
    return w < e && (w == 0 || !is_wordbyte(c->p[w - 1])) && word_is(c, w, e, words);
}

static void det_digit(struct anon_ctx *c, size_t pos)
{
    const unsigned char *p = c->p;
    size_t n = c->n, s = pos, e, i, nd = 0, r0, nruns = 0;
    bool plus = false;
    int pb, p2, after0;

    if (pos < c->digit_skip)
        return;
    if (before(c, s) == ' ' && (uk_postcode(c, pos) || pobox(c, pos)))
        return;
    pb = before(c, s);
    if (pb == '+') {
        plus = true;
        s--;
        pb = before(c, s);
    }
    if (pb == '(') {
        s--;
        pb = before(c, s);
    }
    /* What comes before the number: most often a space or a letter-less byte, which passes. */
    p2 = s >= 2 ? p[s - 2] : -1; /* -1: none (the checks below need s >= 2) */
    switch (pb) {
    case '*':
        skip_number(c, pos); /* the kept tail of a masked value ("**** 1111") is not a new value */
        return;
    case ' ':
    case '-':
    case '.':
    case '/':
    case '_':
        if (p2 == '*' && pb != '_') {
            skip_number(c, pos); /* "**** 1111" */
            return;
        }
        if (!plus && pb != ' ' && p2 >= 0 && (is_alnum(p2) || p2 == ']' || p2 == '>'))
            return; /* glued to a larger token (ORD-123, v1.2) or to a placeholder */
        if (pb == '.' && is_digit(p2))
            return;
        break;
    case ',':
    case ':':
        if (is_digit(p2))
            return;
        break;
    default:
        break;
    }
    /* Fast path: most numbers in prose have few digits. Follow the runs joined by one separator
     * (' ', '-', '.', '/') or a parenthesised group until 7 digits are seen. */
    r0 = digit_run(c, pos); /* pos is a digit: 1 or more */
    i = pos;
    for (;;) {
        size_t r = nd ? digit_run(c, i) : r0;
        int ch;

        nd += r;
        i += r;
        nruns++;
        if (nd >= 7)
            break;
        ch = i < n ? p[i] : 0;
        if (ch == ')' && i + 1 < n && (p[i + 1] == ' ' || is_digit(p[i + 1]))) {
            i++;
            if (i < n && is_digit(p[i]))
                continue;
            ch = i < n ? p[i] : 0;
        }
        if (ch == ' ' && i + 2 < n && p[i + 1] == '(' && is_digit(p[i + 2])) {
            i += 2;
            continue;
        }
        if ((ch == ' ' || ch == '-' || ch == '.' || ch == '/') && i + 1 < n && is_digit(p[i + 1])) {
            i++;
            continue;
        }
        if ((ch == ' ' && i + 1 < n && p[i + 1] == '/') || ch == 0xC2 || ch == 0xE2) {
            size_t sl = digit_sep_wide(c, i);

            if (sl) {
                i += sl;
                continue;
            }
        }
        break;
    }
    /* What parse_ipv4 and parse_addr_numfirst check first, on the first run (they return 0
     * otherwise): 1-3 digits then '.'; 1-5 digits then ' ', ',' or a lower-case letter. */
    after0 = pos + r0 < n ? p[pos + r0] : 0;
    /* An IPv4 address is four runs joined by '.' + digit, which this loop follows: stopped
     * short of 7 digits, it has seen all four ("3.12.45" has three: no address). */
    if (nd >= 4 && r0 <= 3 && after0 == '.' && (nd >= 7 || nruns >= 4) && (e = parse_ipv4(c, pos)) != 0 &&
        !version_before(c, s)) {
        add(c, pos, e, SL_PII_IP); /* an IPv4 address has 4+ digits */
        c->digit_skip = e;
        return;
    }
    if (nd >= 7) {
        det_digit_long(c, s, pos, plus, r0, after0);
        return;
    }
    if (!plus && r0 <= 5 && (after0 == ' ' || after0 == ',' || is_lower(after0)) &&
        (e = parse_addr_numfirst(c, pos)) != 0) {
        add(c, pos, e, SL_PII_ADDRESS);
        c->digit_skip = e;
    } else {
        c->digit_skip = i;
    }
}

static void det_ssn_cue(struct anon_ctx *c, size_t end)
{
    size_t i, e;

    for (i = end; i < c->n && i < end + 32; i++) {
        if (c->p[i] == '[' || c->p[i] == '<' || c->p[i] == '*' || c->p[i] == '\n')
            return; /* an earlier operator's output or the line end ends the search */
        if (!is_digit(c->p[i]) || is_alnum(before(c, i)))
            continue;
        if ((e = parse_ssn(c, i, true)) != 0) {
            add(c, i, e, SL_PII_US_SSN);
        } else if (digit_run(c, i) == 9 && !is_alnum(at(c, i + 9))) {
            unsigned area = num_at(c, i, 3), grp = num_at(c, i + 3, 2), ser = num_at(c, i + 5, 4);

            if (area && area != 666 && area < 900 && grp && ser)
                add(c, i, i + 9, SL_PII_US_SSN);
        }
        return;
    }
}

static bool is_wordb(int ch)
{
    return is_alnum(ch) || ch == '_';
}

/* Does a word of t end at e and start at or after the scanned window's start, and does ok(c, s)
 * hold for its start s? Inlined: fold and ok are constants at each call. */
static inline __attribute__((always_inline)) bool endtab_before(const struct anon_ctx *c, const struct endtab *t,
                                                                size_t e, bool fold,
                                                                bool (*ok)(const struct anon_ctx *, size_t))
{
    unsigned i;

    if (e <= c->wstart)
        return false;
    for (i = t->head[fold ? lower(c->p[e - 1]) : c->p[e - 1]]; i; i = t->word[i - 1].next) {
        size_t len = t->word[i - 1].len, s, k;

        if (e - c->wstart < len)
            continue;
        s = e - len;
        for (k = len - 1; k > 0 && (fold ? lower(c->p[s + k - 1]) : c->p[s + k - 1]) == t->word[i - 1].w[k - 1]; k--)
            ;
        if (k == 0 && ok(c, s))
            return true;
    }
    return false;
}

/* A word boundary before s as Vectorscan's \b sees it (the window's start is one; every label
 * starts with a word byte). */
static bool boundary_before(const struct anon_ctx *c, size_t s)
{
    return s == c->wstart || !is_wordb(c->p[s - 1]);
}

/* s starts a line: as "(?:^|\n)" in a scan of the window, where "^" counts only if the window
 * starts a line (on_match). */
static bool line_starts(const struct anon_ctx *c, size_t s)
{
    return s == 0 || c->p[s - 1] == '\n';
}

/* Does a LABEL_WORDS label (ASCII caseless) end at e, with a word boundary before it? */
static bool label_before(const struct anon_ctx *c, size_t e)
{
    return endtab_before(c, &et_labels, e, true, boundary_before);
}

/* A line that ends (at e) with a booking record's name and its title ("1.1WILSON/JAMES MR"; the
 * title's own trigger needs a space after it). */
static void pax_line_end(struct anon_ctx *c, size_t e)
{
    size_t ts = e, s0;

    while (ts > c->wstart && e - ts < 5 && is_upper(c->p[ts - 1]))
        ts--;
    if (ts < e && word_is(c, ts, e, pax_titles) && (s0 = slash_name_before(c, ts)) != SIZE_MAX) {
        (void)parse_upper_name(c, s0, 1, true);
        add(c, s0, ts - 1, SL_PII_PERSON);
    }
}

/* A line end at t: a sign-off alone on its line ("Regards,", "Mit freundlichen Grüßen!") ends
 * before up to two of . , ! and blanks (and a CR); the name follows on the next line. */
static void signoff_at(struct anon_ctx *c, size_t t)
{
    size_t e = t, k;

    if (e > c->wstart && c->p[e - 1] == '\r')
        e--;
    while (e > c->wstart && (c->p[e - 1] == ' ' || c->p[e - 1] == '\t'))
        e--;
    for (k = 0; k < 2 && e > c->wstart && (c->p[e - 1] == '.' || c->p[e - 1] == ',' || c->p[e - 1] == '!'); k++)
        e--;
    if (endtab_before(c, &et_signoffs, e, false, line_starts))
        det_person(c, t + 1, PC_LINE_AFTER);
    else if (e > c->wstart && (c->p[e - 1] == 'R' || c->p[e - 1] == 'S' || c->p[e - 1] == 'X'))
        pax_line_end(c, e);
}

static void quote_at(struct anon_ctx *c, size_t t);

/* The sender and recipient fields of a forwarded mail's header block in the languages the
 * ASCII-word pattern does not cover (short words as "A:", "Do:", "Til:" need the block around
 * them). Lower case (ASCII folds; other capitals listed as written). */
static const char *const mail_heads[] = {"da", "a", "van", "aan", "od", "do", "dw", "udw", "från", "till", "kopia",
                                         "fra", "til", "kopi", "à", "À", "kopie", "komu", "kimden", "kime", "feladó",
                                         "címzett", "lähettäjä", "vastaanottaja", "kopio", "от", "кому", "копия", "От", "Кому", "Копия",
                                         "cco", "ccn", "bcc", "cc", NULL};

/* The other fields of a mail header block (Outlook's forwarded headers in each language). */
static const char *const mail_fields[] = {
    "from", "to", "sent", "date", "subject", "von", "an", "gesendet", "datum", "betreff", "de", "envoyé", "objet",
    "enviado", "para", "asunto", "fecha", "inviato", "oggetto", "data", "verzonden", "onderwerp", "wysłano",
    "temat", "skickat", "ämne", "Ämne", "sendt", "emne", "assunto", "odesláno", "předmět", "gönderildi", "konu",
    "elküldve", "tárgy", "lähetetty", "aihe", "отправлено", "Отправлено", "тема", "Тема", NULL};

/* Does a mail header's field ("Subject:", "Envoyé :", "Da:") start the line at i? */
static bool header_line_at(const struct anon_ctx *c, size_t i)
{
    size_t k = i;

    while (k < c->n && k - i < 24 && is_wordbyte(c->p[k]))
        k++;
    if (k == i || !(at(c, k) == ':' || (at(c, k) == ' ' && at(c, k + 1) == ':')))
        return false;
    return word_is(c, i, k, mail_fields) || word_is(c, i, k, mail_heads);
}


/* A ':' at t after a mail header field that names people, alone at its line's start, with another
 * header line right before or after it ("Da: Mario Rossi\nInviato: ...")? */
static bool mail_head_at(struct anon_ctx *c, size_t t)
{
    size_t e = t, ws, k;

    if (e > 0 && c->p[e - 1] == ' ')
        e--;
    for (ws = e; ws > 0 && e - ws < 28 && is_wordbyte(c->p[ws - 1]); ws--)
        ;
    if (ws == e || !line_starts(c, ws) || !word_is(c, ws, e, mail_heads))
        return false;
    /* the value is names alone ("A: Sure thing" is no recipient) */
    for (k = t + 1; at(c, k) == ' '; k++)
        ;
    if (!(k = parse_name(c, k, false)) || !(at(c, k) == 0 || strchr("\r\n;,<[", at(c, k))))
        return false;
    for (k = t; k < c->n && k - t < 400 && c->p[k] != '\n'; k++)
        ;
    if (k < c->n && header_line_at(c, k + 1))
        return true;
    if (ws < 2)
        return false;
    for (k = ws - 1; k > 0 && ws - k < 400 && c->p[k - 1] != '\n'; k--)
        ;
    return header_line_at(c, k);
}

/* A form label's end byte (':', '=', '|' or a tab) at t: the label, an optional quote and one
 * optional blank after it ("Name:", "\"name\": ", "Kunde' =") end before it; the name follows. */
static void label_at(struct anon_ctx *c, size_t t)
{
    const unsigned char *p = c->p;
    bool q1 = t >= 1 && (p[t - 1] == '"' || p[t - 1] == '\''),
         q2 = t >= 2 && (p[t - 1] == ' ' || p[t - 1] == '\t') && (p[t - 2] == '"' || p[t - 2] == '\'');

    if (label_before(c, t) || (q1 && label_before(c, t - 1)) || (q2 && label_before(c, t - 2)))
        det_person(c, t + 1, PC_NEXT);
    else if (p[t] == ':' && mail_head_at(c, t))
        det_person(c, t + 1, PC_NEXT);
    else if (p[t] == ':')
        quote_at(c, t);
}

/* Capitalised name words (and the particles between them: "Jan de Vries") that end at e, walked
 * back: at most four name words. Returns the first one's start, SIZE_MAX if none. */
static size_t name_back(const struct anon_ctx *c, size_t e)
{
    size_t k = e, s0 = SIZE_MAX;
    int nw = 0, nt = 0;

    while (nw < 4 && nt < 7) {
        size_t ws = k;

        while (ws > 0 && k - ws < 40 && (is_wordbyte(c->p[ws - 1]) || c->p[ws - 1] == '\'' || c->p[ws - 1] == '-'))
            ws--;
        if (ws == k || word_end(c, ws) != k)
            break;
        if (name_word_ok(c, ws, k) && !word_is(c, ws, k, (const char *const[]){"someone", "somebody", "anonymous",
                                                                                 "jemand", "quelqu'un", "alguien", NULL})) {
            nw++;
            s0 = ws;
        } else if (!(nw > 0 && word_in(c, ws, k, &set_particles))) {
            break;
        }
        nt++;
        if (ws == 0 || c->p[ws - 1] != ' ')
            break;
        k = ws - 1;
    }
    return s0;
}

/* Back from e over " <jane@x.com>", " (<ana@x.es>)" or " [EMAIL]" between a name and what follows
 * it; e if there is none. */
static size_t skip_addr_back(const struct anon_ctx *c, size_t e)
{
    size_t k = e;
    int close = k > 0 ? c->p[k - 1] : 0, open = close == '>' ? '<' : close == ')' ? '(' : close == ']' ? '[' : 0;

    if (!open)
        return e;
    for (k--; k > 0 && e - k < 100 && c->p[k - 1] != open && c->p[k - 1] != '\n'; k--)
        ;
    if (k == 0 || c->p[k - 1] != open || k < 2 || c->p[k - 2] != ' ')
        return e;
    return k - 2;
}

/* Start of a QUOTE_VERBS verb that ends at e (a word boundary before it), SIZE_MAX if none. */
static size_t quote_verb_start(const struct anon_ctx *c, size_t e)
{
    unsigned i;

    if (e <= c->wstart)
        return SIZE_MAX;
    for (i = et_quotes.head[c->p[e - 1]]; i; i = et_quotes.word[i - 1].next) {
        size_t len = et_quotes.word[i - 1].len;

        if (e - c->wstart >= len && memcmp(c->p + e - len, et_quotes.word[i - 1].w, len) == 0 &&
            boundary_before(c, e - len))
            return e - len;
    }
    return SIZE_MAX;
}

/* Does a quote header's name start at s: at its line's start (after quote marks '>'), after the
 * date's comma, or after a time ("10:12 ", "10:12 AM ")? */
static bool quote_name_start(const struct anon_ctx *c, size_t s)
{
    size_t k = s;

    while (k > c->wstart && (c->p[k - 1] == ' ' || c->p[k - 1] == '>' || c->p[k - 1] == '\t'))
        k--;
    if (k == 0 || c->p[k - 1] == '\n')
        return true;
    if (s < 2 || c->p[s - 1] != ' ')
        return false;
    if (c->p[s - 2] == ',' || is_digit(c->p[s - 2]))
        return true;
    return s >= 4 && (lower(c->p[s - 2]) == 'm' && (lower(c->p[s - 3]) == 'a' || lower(c->p[s - 3]) == 'p')) &&
           c->p[s - 4] == ' ' && s >= 5 && is_digit(c->p[s - 5]);
}

/* A ':' at t that ends its line: a reply's quote header? Either the writer's name, then the verb
 * ("Jane Doe wrote:", "El ..., Ana García (<ana@x.es>) escribió:"), the name starting its line or
 * following the date; or the German, Dutch and Scandinavian order, verb first ("Am 03.06.2024 um
 * 10:12 schrieb Max Müller:", "Den ... skrev Lars Berg <lars@x.se>:"). */
static void quote_at(struct anon_ctx *c, size_t t)
{
    size_t k = t, vs, s0, ne;
    int nx = at(c, t + 1);

    if (!(nx == 0 || nx == '\n' || nx == '\r' || (nx == ' ' && (at(c, t + 2) == 0 || at(c, t + 2) == '\n'))))
        return;
    if (k > 0 && c->p[k - 1] == ' ') /* French: "a écrit :" */
        k--;
    vs = quote_verb_start(c, k);
    if (vs != SIZE_MAX) { /* the name before the verb */
        if (vs < 2 || c->p[vs - 1] != ' ')
            return;
        ne = skip_addr_back(c, vs - 1);
        s0 = name_back(c, ne);
        if (s0 == SIZE_MAX || !quote_name_start(c, s0))
            return;
    } else { /* the verb before the name */
        size_t we;

        ne = skip_addr_back(c, k);
        s0 = name_back(c, ne);
        if (s0 == SIZE_MAX || s0 < 2 || c->p[s0 - 1] != ' ')
            return;
        for (we = s0 - 1; we > 0 && is_wordbyte(c->p[we - 1]); we--)
            ;
        if (!word_is(c, we, s0 - 1, (const char *const[]){"schrieb", "schreef", "skrev", NULL}))
            return;
    }
    if (company_in(c, s0, ne - 1))
        return;
    (void)parse_name(c, s0, true);
    add(c, s0, ne, SL_PII_PERSON);
}

/* One candidate digit at j: the digit trigger (non-word byte before) or the IBAN trigger (a
 * non-word byte, two ASCII letters, two digits). */
static void digit_at(struct anon_ctx *c, size_t j)
{
    if (j == 0 || !is_wordb(c->p[j - 1])) {
        det_digit(c, j);
    } else if (j >= 2 && is_alpha(c->p[j - 1]) && is_alpha(c->p[j - 2]) &&
               (j == 2 || !is_wordb(c->p[j - 3])) && j + 1 < c->n && is_digit(c->p[j + 1])) {
        det_iban(c, j + 2);
    }
}

/* One trigger at j: a digit that starts a run, a line end, or a label's end byte. */
static void trigger_at(struct anon_ctx *c, size_t j)
{
    if (is_digit(c->p[j]))
        digit_at(c, j);
    else if (c->p[j] == '\n')
        signoff_at(c, j);
    else
        label_at(c, j);
}

/* The trigger bits of the 64 bytes at q (prev: the byte before q is a digit): first digits of runs,
 * label end bytes and line ends, bit i for q[i]. 16 bytes at a time with SSE2: a digit d is d + 0x50
 * in 0x80..0x89, the 10 smallest signed bytes: one add and one compare. */
static uint64_t triggers64(const unsigned char *q, unsigned prev)
{
    uint64_t d = 0, t = 0;
    int k;

#if defined(SL_SSE2)
    for (k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 16 * k));
        __m128i tm = _mm_or_si128(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')), _mm_cmpeq_epi8(v, _mm_set1_epi8('='))),
                         _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('|')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')))),
            _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));

        d |= (uint64_t)(unsigned)_mm_movemask_epi8(
                 _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x50)), _mm_set1_epi8((char)(0x80 + 10))))
             << (16 * k);
        t |= (uint64_t)(unsigned)_mm_movemask_epi8(tm) << (16 * k);
    }
#else
    for (k = 0; k < 64; k++) {
        d |= (uint64_t)is_digit(q[k]) << k;
        t |= (uint64_t)(q[k] == ':' || q[k] == '=' || q[k] == '|' || q[k] == '\t' || q[k] == '\n') << k;
    }
#endif
    return t | (d & ~((d << 1) | prev));
}

#if defined(SL_X86_AVX2)
#define HAVE_TRIGGERS_AVX2 1
/* The same for the blocks [b, e) (64 bytes each, all readable) with AVX2, chosen at run time. The
 * label end bytes by one table lookup on the low nibble; line ends apart ('\n' shares ':''s). */
__attribute__((target("avx2"))) static void triggers_avx2(const unsigned char *p, size_t b, size_t e, uint64_t *bits)
{
    /* A label end byte is the one byte with its low nibble in this table (':' 0x3A, '=' 0x3D, '|'
     * 0x7C, tab 0x09; the other entries hold a byte whose low nibble is not their index). */
    const __m256i ends = _mm256_setr_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, '\t', ':', 0, '|', '=', 0, 0,
                                          1, 0, 0, 0, 0, 0, 0, 0, 0, '\t', ':', 0, '|', '=', 0, 0);
    const __m256i bias = _mm256_set1_epi8(0x50), lim10 = _mm256_set1_epi8((char)(0x80 + 10)),
                  nib = _mm256_set1_epi8(0x0F), lf = _mm256_set1_epi8('\n');
    uint64_t prev = b > 0 && is_digit(p[b - 1]);

    for (; b < e; b += 64) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + b)),
                v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + b + 32));
        uint64_t d = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(lim10, _mm256_add_epi8(v0, bias))) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(lim10, _mm256_add_epi8(v1, bias))) << 32;
        uint64_t t = (uint64_t)(uint32_t)_mm256_movemask_epi8(
                         _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(ends, _mm256_and_si256(v0, nib)), v0),
                                         _mm256_cmpeq_epi8(v0, lf))) |
                     (uint64_t)(uint32_t)_mm256_movemask_epi8(
                         _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_shuffle_epi8(ends, _mm256_and_si256(v1, nib)), v1),
                                         _mm256_cmpeq_epi8(v1, lf))) << 32;

        bits[b / 64] = t | (d & ~((d << 1) | prev));
        prev = d >> 63;
    }
}
#endif

int anon_triggers(struct anon_ctx *c, size_t ws, size_t we)
{
    size_t words = (c->n + 63) / 64, b = ws & ~(size_t)63, full;

    if (we > c->n)
        we = c->n;
    if (words > c->tcap) {
        uint64_t *nb = realloc(c->tbits, words * sizeof(*nb));

        if (!nb)
            return -ENOMEM;
        c->tbits = nb;
        c->tcap = words;
    }
    full = we < (c->n & ~(size_t)63) ? (we + 63) & ~(size_t)63 : c->n & ~(size_t)63; /* whole blocks */
#ifdef HAVE_TRIGGERS_AVX2
    if (use_avx2 && b < full) {
        triggers_avx2(c->p, b, full, c->tbits);
        b = full;
    }
#endif
    for (; b < full; b += 64)
        c->tbits[b / 64] = triggers64(c->p + b, b > 0 && is_digit(c->p[b - 1]));
    if (b < we) { /* the text's last, partial block: copied out (and wiped: it is text) */
        unsigned char q[64] = {0};

        memcpy(q, c->p + b, c->n - b);
        c->tbits[b / 64] = triggers64(q, b > 0 && is_digit(c->p[b - 1])) & ((1ull << (c->n - b)) - 1);
        explicit_bzero(q, sizeof(q));
    }
    return 0;
}

void anon_scan_triggers(struct anon_ctx *c, size_t upto)
{
    size_t j = c->dscan;

    if (upto > c->n)
        upto = c->n;
    /* A digit at j triggers by end j + 1 (digit) or j + 2 (IBAN), a label end byte by j + 1: look
     * at j < upto, and leave an IBAN candidate whose second digit lies at upto for the next call.
     * The digit triggers need a byte before the digit that is not a digit: only the first digit of
     * a run is a trigger bit (anon_triggers). */
    while (j < upto) {
        size_t w = j / 64, wend = (w + 1) * 64;
        uint64_t m = c->tbits[w] & (~0ull << (j % 64));

        if (wend > upto) {
            m &= (1ull << (upto % 64)) - 1;
            wend = upto;
        }
        for (; m; m &= m - 1) {
            size_t k = w * 64 + (size_t)__builtin_ctzll(m);

            if (k + 2 > upto && upto < c->n && k > 0 && is_digit(c->p[k]) && is_wordb(c->p[k - 1])) {
                c->dscan = k; /* a possible IBAN trigger ending after upto: later */
                return;
            }
            trigger_at(c, k);
        }
        j = wend;
    }
    c->dscan = j;
    /* The text's end ends its last line too: a booking record's name there ("1.1WILSON/JAMES MR"). */
    if (upto == c->n && c->n > c->wstart && (c->p[c->n - 1] == 'R' || c->p[c->n - 1] == 'S' || c->p[c->n - 1] == 'X'))
        pax_line_end(c, c->n);
}

void anon_dispatch(struct anon_ctx *c, unsigned id, size_t end)
{
    const struct anon_pattern *pt;

    if (id >= anon_npatterns || end > c->n)
        return;
    pt = &anon_patterns[id];
    switch (pt->handler) {
    case AH_EMAIL:
        if (pt->arg == EM_OBFUSCATED)
            det_email_obf(c, end);
        else
            det_email(c, end, pt->arg == EM_PCT40 ? 3 : 1);
        break;
    case AH_DIGIT: det_digit(c, end - 1); break;
    case AH_IBAN: det_iban(c, end); break;
    case AH_IPV6: det_ipv6(c, end); break;
    case AH_URL: det_url(c, end); break;
    case AH_PREFIX: det_prefix(c, end, pt->arg); break;
    case AH_AWS_ID:
        if (!is_alnum(at(c, end))) {
            add(c, end - 20, end, SL_PII_SECRET);
            det_aws_secret_near(c, end - 20, end);
        }
        break;
    case AH_JWT: det_jwt(c, end); break;
    case AH_PEM: det_pem(c, end); break;
    case AH_ASSIGN: det_assign(c, end, pt->arg); break;
    case AH_BEARER: det_bearer(c, end); break;
    case AH_PERSON: det_person(c, end, pt->arg); break;
    case AH_ADDR_LABEL: det_addr_label(c, end); break;
    case AH_ADDR_STREET: det_addr_street(c, end, pt->arg); break;
    case AH_DOB: det_dob(c, end); break;
    case AH_SSN_CUE: det_ssn_cue(c, end); break;
    case AH_ADDR_POSTCODE: det_addr_postcode(c, end); break;
    case AH_LABEL_SPACE:
        if (end >= 2 && label_before(c, end - 2))
            det_person(c, end, PC_NEXT);
        break;
    case AH_TABLE: det_table(c, end); break;
    case AH_TELEGRAM: det_telegram(c, end); break;
    case AH_VENDOR: det_vendor(c, end); break;
    case AH_CLI: det_cli(c, end, pt->arg); break;
    default: break;
    }
}
