#!/usr/bin/env python3
"""gen_pii_hard.py: writes tests/data/pii-hard.jsonl, the anonymizer's hard-case corpus.

Same labelled format as pii-dev (see test_pii_eval.c): one JSON object a line with id, locale, kind,
text, spans (values that must disappear) and negatives (look-alikes that must stay). Offsets are
UTF-8 byte offsets, end exclusive.

The corpus covers what the dev corpus may not: other languages (it, nl, pl, sv, ja, zh, ar, he, ru),
other carriers (JSON inside strings, CSV, logs, e-mail headers, HTML/Markdown, YAML/.env, URLs with
query strings, stack traces), values written in less common but valid ways, and look-alikes. Every
value is generated from its format's rules (Luhn, ISO 13616 mod-97, numbering plans, providers'
documented key shapes); names are common given names and surnames of each country (census-style),
combined at random. Deterministic: run it again and the file is byte-identical.

Usage: python3 tests/data/gen_pii_hard.py > tests/data/pii-hard.jsonl
"""
import base64
import json
import random
import string
import sys

R = random.Random(20261126)

# ---- value generators ------------------------------------------------------------------------------


def digits(n):
    return "".join(R.choice(string.digits) for _ in range(n))


def luhn_check(body):
    s = 0
    for k, ch in enumerate(reversed(body)):
        v = int(ch)
        if k % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        s += v
    return str((10 - s % 10) % 10)


def card(kind=None):
    kind = kind or R.choice(["visa", "mc", "mc2", "amex", "disc", "jcb", "diners"])
    pre, n = {"visa": ("4", 16), "mc": (str(R.randint(51, 55)), 16), "mc2": (str(R.randint(2221, 2720)), 16),
              "amex": (R.choice(["34", "37"]), 15), "disc": ("6011", 16), "jcb": (str(R.randint(3528, 3589)), 16),
              "diners": (R.choice(["36", "38"]), 14)}[kind]
    body = pre + digits(n - len(pre) - 1)
    return body + luhn_check(body)


def bad_luhn(n=16):
    while True:
        body = "4" + digits(n - 1)
        if luhn_check(body[:-1]) != body[-1]:
            return body


def group(s, sizes, sep):
    out, k = [], 0
    for g in sizes:
        out.append(s[k:k + g])
        k += g
    if k < len(s):
        out.append(s[k:])
    return sep.join(out)


def card_text(kind=None):
    c = card(kind)
    n = len(c)
    style = R.choice(["4444", "4444-", "plain", "amexlike"])
    if n == 15 or style == "amexlike" and n == 15:
        return group(c, [4, 6, 5], R.choice([" ", "-"])) if style != "plain" else c
    if n == 14:
        return group(c, [4, 6, 4], " ") if style != "plain" else c
    if style == "4444":
        return group(c, [4, 4, 4, 4], " ")
    if style == "4444-":
        return group(c, [4, 4, 4, 4], "-")
    return c


IBAN_FMT = {  # country: total length, BBAN shape (a = letter, n = digit, c = alnum)
    "DE": (22, "n" * 18), "FR": (27, "n" * 23), "IT": (27, "a" + "n" * 22), "ES": (24, "n" * 20),
    "NL": (18, "aaaa" + "n" * 10), "GB": (22, "aaaa" + "n" * 14), "BE": (16, "n" * 12),
    "PL": (28, "n" * 24), "SE": (24, "n" * 20), "CH": (21, "n" * 17), "AT": (20, "n" * 16),
    "PT": (25, "n" * 21), "IE": (22, "aaaa" + "n" * 14), "NO": (15, "n" * 11), "DK": (18, "n" * 14),
    "FI": (18, "n" * 14), "SA": (24, "n" * 20), "AE": (23, "n" * 19), "IL": (23, "n" * 19),
    "TR": (26, "n" * 22), "RO": (24, "aaaa" + "n" * 16), "GR": (27, "n" * 23), "CZ": (24, "n" * 20),
    "HU": (28, "n" * 24), "LU": (20, "n" * 16), "MT": (31, "aaaa" + "n" * 23), "BR": (29, "n" * 23 + "ac"),
}


def iban(cc=None):
    cc = cc or R.choice(sorted(IBAN_FMT))
    n, shape = IBAN_FMT[cc]
    bban = "".join(R.choice(string.ascii_uppercase) if t == "a" else R.choice(string.digits) if t == "n"
                   else R.choice(string.ascii_uppercase + string.digits) for t in shape)
    num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
    chk = 98 - int(num) % 97
    v = cc + "%02d" % chk + bban
    assert len(v) == n
    return v


def iban_text(cc=None):
    v = iban(cc)
    if R.random() < 0.5:
        return " ".join(v[k:k + 4] for k in range(0, len(v), 4))
    return v


def ssn():
    while True:
        a = R.randint(1, 899)
        if a != 666:
            break
    return "%03d-%02d-%04d" % (a, R.randint(1, 99), R.randint(1, 9999))


def tok(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt():
    h = b64u(json.dumps({"alg": R.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode())
    p = b64u(json.dumps({"sub": digits(8), "iat": 1700000000 + R.randint(0, 9999999),
                         "scope": R.choice(["read", "admin", "user write"])}).encode())
    return h + "." + p + "." + b64u(R.randbytes(32))


def pem(kind):
    body = base64.b64encode(R.randbytes(R.choice([180, 240, 300]))).decode()
    lines = [body[k:k + 64] for k in range(0, len(body), 64)]
    label = {"rsa": "RSA PRIVATE KEY", "ec": "EC PRIVATE KEY", "ossh": "OPENSSH PRIVATE KEY",
             "enc": "ENCRYPTED PRIVATE KEY", "pk": "PRIVATE KEY"}[kind]
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, "\n".join(lines), label)


def aws_id():
    return R.choice(["AKIA", "ASIA"]) + tok(16, string.ascii_uppercase + "234567")


def aws_secret():
    return tok(40, string.ascii_letters + string.digits + "+/")


B62 = string.ascii_letters + string.digits


def secret_of(kind):
    if kind == "OPENAI_KEY":
        return R.choice(["sk-proj-" + tok(48, B62 + "-_"), "sk-" + tok(48), "sk-svcacct-" + tok(40, B62 + "-_")])
    if kind == "ANTHROPIC_KEY":
        return "sk-ant-api03-" + tok(80, B62 + "-_") + "AA"
    if kind == "GITHUB_TOKEN":
        return R.choice(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + tok(36) if R.random() < 0.75 else \
            "github_pat_11" + tok(20, string.ascii_uppercase + string.digits) + "_" + tok(59)
    if kind == "SLACK_TOKEN":
        return R.choice(["xoxb-%s-%s-%s" % (digits(12), digits(13), tok(24)),
                         "xoxp-%s-%s-%s-%s" % (digits(12), digits(12), digits(13), tok(32, "0123456789abcdef")),
                         "xapp-1-A%s-%s-%s" % (tok(10, string.ascii_uppercase + string.digits), digits(13),
                                               tok(64, "0123456789abcdef"))])
    if kind == "STRIPE_KEY":
        return R.choice(["sk_live_", "rk_live_", "pk_live_", "sk_test_"]) + tok(R.choice([24, 99]))
    if kind == "GOOGLE_API_KEY":
        return "AIza" + tok(35, B62 + "-_")
    if kind == "OTHER_TOKEN":  # GitLab, npm, Hugging Face, PyPI, Shopify: documented prefixes
        return R.choice(["glpat-" + tok(20, B62 + "-_"), "npm_" + tok(36), "hf_" + tok(34),
                         "pypi-AgEIcHlwaS5vcmc" + tok(60, B62 + "-_"), "shpat_" + tok(32, "0123456789abcdef")])
    raise ValueError(kind)


# ---- names, places (common given names and surnames per country, census-style lists) ----------------

NAMES = {
    "en": (["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Emily", "Oliver",
            "Amelia", "Harry", "Sophie", "Thomas", "Grace"],
           ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor", "Evans",
            "Thompson", "Walker", "Wright", "Robinson", "Hughes"]),
    "it": (["Marco", "Giulia", "Alessandro", "Francesca", "Luca", "Chiara", "Matteo", "Sara", "Lorenzo",
            "Elena", "Giuseppe", "Valentina"],
           ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
            "Greco", "Bruno", "Gallo", "Conti", "Costa"]),
    "nl": (["Daan", "Sanne", "Lucas", "Emma", "Bram", "Julia", "Thijs", "Lotte", "Ruben", "Fleur", "Jeroen",
            "Anouk"],
           ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
            "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos"]),
    "pl": (["Piotr", "Anna", "Krzysztof", "Katarzyna", "Tomasz", "Małgorzata", "Paweł", "Agnieszka",
            "Michał", "Magdalena", "Łukasz", "Joanna"],
           ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
            "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski"]),
    "sv": (["Erik", "Anna", "Lars", "Maria", "Karl", "Eva", "Johan", "Karin", "Anders", "Sara", "Nils",
            "Ingrid"],
           ["Johansson", "Andersson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
            "Svensson", "Gustafsson", "Lindqvist", "Lindström"]),
    "ru": (["Александр", "Мария", "Дмитрий", "Анна", "Сергей", "Елена", "Андрей", "Ольга", "Иван",
            "Наталья"],
           ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
            "Новиков", "Фёдоров"]),
    "de": (["Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie", "Paul", "Sophie", "Jürgen", "Ursula"],
           ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
            "Hoffmann"]),
    "fr": (["Louis", "Camille", "Gabriel", "Léa", "Hugo", "Chloé", "Arthur", "Manon", "Jules", "Inès"],
           ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
            "Moreau"]),
    "es": (["Antonio", "María", "Manuel", "Carmen", "José", "Lucía", "Javier", "Elena", "Pablo", "Marta"],
           ["García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez",
            "Gómez", "Díaz"]),
    "ja": (["太郎", "花子", "翔太", "美咲", "大輔", "陽菜"], ["佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤"]),
    "zh": (["伟", "芳", "娜", "敏", "静", "磊"], ["王", "李", "张", "刘", "陈", "杨"]),
}


def name(lang, full=True):
    g, s = NAMES[lang]
    if lang in ("ja",):
        return R.choice(s) + R.choice([" ", ""]) + R.choice(g)
    if lang == "zh":
        return R.choice(s) + R.choice(g) + R.choice(["", R.choice(g)])
    return R.choice(g) + " " + R.choice(s) if full else R.choice(s)


# ---- document builder ------------------------------------------------------------------------------


class Doc:
    def __init__(self, locale, kind):
        self.locale, self.kind = locale, kind
        self.buf = bytearray()
        self.spans, self.negs = [], []

    def t(self, s):
        self.buf += s.encode()
        return self

    def v(self, typ, s):
        b = s.encode()
        self.spans.append({"start": len(self.buf), "end": len(self.buf) + len(b), "type": typ, "value": s})
        self.buf += b
        return self

    def n(self, typ, s):
        b = s.encode()
        self.negs.append({"start": len(self.buf), "end": len(self.buf) + len(b), "type": typ, "value": s})
        self.buf += b
        return self

    def obj(self, idx):
        return {"id": "hard-%06d" % idx, "locale": self.locale, "kind": self.kind, "text": self.buf.decode(),
                "spans": self.spans, "negatives": self.negs}


def email(first="", last="", dom=None):
    first = first or R.choice(["anna", "j", "mike", "s"])
    last = last or R.choice(["smith", "rossi", "nowak"])
    local = R.choice(["%s.%s", "%s_%s", "%s%s", "%s.%s+%s" % ("%s", "%s", R.choice(["billing", "news", "tag7"]))])
    local = local % (asciify(first).lower(), asciify(last).lower())
    dom = dom or R.choice(["example.com", "mail.example.org", "corp.example.co.uk", "example.it",
                           "eu.example.nl", "example.pl", "example.se", "xn--mnchen-3ya.example",
                           "sub.dept.example.com.br", "example.co.jp"])
    return local + "@" + dom


def asciify(s):
    tr = str.maketrans("łąćęńóśźżŁĄĆĘŃÓŚŹŻäöüÄÖÜéèêàçíñúáãõ", "lacenoszzLACENOSZZaouAOUeeeacinuaao")
    s = s.translate(tr).replace("ß", "ss").replace(" ", "")
    return "".join(ch for ch in s if ch.isascii()) or "user"


# ---- phone numbers in national and international formats ----------------------------------------------


def phone(cc):
    f = {
        "uk": lambda: R.choice(["020 7946 %s" % digits(4), "07700 900%s" % digits(3), "+44 20 7946 %s" % digits(4),
                                "+44 7700 900%s" % digits(3), "0161 496 %s" % digits(4), "+44 (0)20 7946 %s" % digits(4)]),
        "de": lambda: R.choice(["030 %s" % digits(8), "0171 %s" % digits(7), "+49 30 %s" % digits(8),
                                "089/%s" % digits(8), "+49 (0)89 %s" % digits(7), "0221 %s %s" % (digits(3), digits(4))]),
        "fr": lambda: R.choice(["01 %s %s %s %s" % (digits(2), digits(2), digits(2), digits(2)),
                                "+33 6 %s %s %s %s" % (digits(2), digits(2), digits(2), digits(2)),
                                "06.%s.%s.%s.%s" % (digits(2), digits(2), digits(2), digits(2)),
                                "+33 (0)1 %s %s %s %s" % (digits(2), digits(2), digits(2), digits(2))]),
        "it": lambda: R.choice(["+39 06 %s %s" % (digits(4), digits(4)), "347 %s %s" % (digits(3), digits(4)),
                                "02 %s %s" % (digits(4), digits(4)), "+39 333 %s%s" % (digits(3), digits(4)),
                                "06-%s%s" % (digits(4), digits(4))]),
        "es": lambda: R.choice(["+34 912 %s %s" % (digits(3), digits(3)), "612 %s %s %s" % (digits(2), digits(2), digits(2)),
                                "91 %s %s %s" % (digits(3), digits(2), digits(2)), "+34 6%s %s %s" % (digits(2), digits(3), digits(3))]),
        "nl": lambda: R.choice(["06-%s" % digits(8), "+31 6 %s" % digits(8), "020-%s %s" % (digits(3), digits(4)),
                                "+31 (0)20 %s %s" % (digits(3), digits(4)), "010 %s %s" % (digits(3), digits(4))]),
        "br": lambda: R.choice(["(11) 9%s-%s" % (digits(4), digits(4)), "+55 11 9%s-%s" % (digits(4), digits(4)),
                                "+55 (21) 3%s-%s" % (digits(3), digits(4))]),
        "in": lambda: R.choice(["+91 98%s %s" % (digits(3), digits(5)), "098%s %s" % (digits(3), digits(5)),
                                "+91-80-%s" % digits(8), "022 %s %s" % (digits(4), digits(4))]),
        "jp": lambda: R.choice(["03-%s-%s" % (digits(4), digits(4)), "090-%s-%s" % (digits(4), digits(4)),
                                "+81 3-%s-%s" % (digits(4), digits(4)), "+81 90 %s %s" % (digits(4), digits(4)),
                                "06-%s-%s" % (digits(4), digits(4))]),
        "au": lambda: R.choice(["(02) 9%s %s" % (digits(3), digits(4)), "0412 %s %s" % (digits(3), digits(3)),
                                "+61 4%s %s %s" % (digits(2), digits(3), digits(3)), "+61 2 9%s %s" % (digits(3), digits(4))]),
        "us": lambda: R.choice(["(415) 555-%s" % digits(4), "415.555.%s" % digits(4), "+1 212-555-%s" % digits(4),
                                "1-800-555-%s" % digits(4), "+1 (646) 555-%s" % digits(4)]),
        "pl": lambda: R.choice(["+48 601 %s %s" % (digits(3), digits(3)), "22 %s %s %s" % (digits(3), digits(2), digits(2)),
                                "601-%s-%s" % (digits(3), digits(3))]),
        "se": lambda: R.choice(["070-%s %s %s" % (digits(3), digits(2), digits(2)), "+46 8 %s %s %s" % (digits(3), digits(3), digits(2)),
                                "08-%s %s" % (digits(3), digits(3)), "+46 70 %s %s %s" % (digits(3), digits(2), digits(2))]),
        "ru": lambda: R.choice(["+7 (495) %s-%s-%s" % (digits(3), digits(2), digits(2)),
                                "8 (916) %s-%s-%s" % (digits(3), digits(2), digits(2)), "+7 916 %s %s %s" % (digits(3), digits(2), digits(2))]),
        "cn": lambda: R.choice(["138 %s %s" % (digits(4), digits(4)), "+86 139 %s %s" % (digits(4), digits(4)),
                                "010-%s%s" % (digits(4), digits(4))]),
        "il": lambda: R.choice(["052-%s-%s" % (digits(3), digits(4)), "+972 52 %s %s" % (digits(3), digits(4))]),
        "ae": lambda: R.choice(["+971 50 %s %s" % (digits(3), digits(4)), "050 %s %s" % (digits(3), digits(4))]),
    }
    return f[cc]()


# ---- addresses ---------------------------------------------------------------------------------------

def address(cc):
    if cc == "us":
        return "%d %s %s, %s, %s %s" % (R.randint(10, 9999), R.choice(["Maple", "Oak", "Pennsylvania", "Sunset", "Elm"]),
                                        R.choice(["Street", "Avenue", "Blvd", "Road", "Drive"]),
                                        R.choice(["Springfield", "Austin", "Portland", "Denver"]),
                                        R.choice(["IL", "TX", "OR", "CO"]), digits(5))
    if cc == "uk":
        return R.choice(["%d %s Street, London %s" % (R.randint(1, 220), R.choice(["Baker", "Church", "Station", "High"]),
                                                        R.choice(["NW1 6XE", "SW1A 2AA", "E14 5AB", "N1C 4AG"])),
                         "Flat %d, %d %s Road, Manchester %s" % (R.randint(1, 40), R.randint(1, 300),
                                                                 R.choice(["Oxford", "Wilmslow", "Stockport"]),
                                                                 R.choice(["M13 9PL", "M1 1AE", "M20 2RN"]))])
    if cc == "de":
        return "%s %d, %s %s" % (R.choice(["Hauptstraße", "Bahnhofstr.", "Lindenallee", "Schillerweg", "Goethestraße"]),
                                 R.randint(1, 180), digits(5), R.choice(["Berlin", "München", "Köln", "Hamburg"]))
    if cc == "fr":
        return "%d %s %s, %s %s" % (R.randint(1, 120), R.choice(["rue", "avenue", "boulevard"]),
                                    R.choice(["de la Paix", "Victor Hugo", "des Lilas", "du Général Leclerc"]),
                                    R.choice(["75002", "69003", "13001", "31000"]), R.choice(["Paris", "Lyon", "Marseille", "Toulouse"]))
    if cc == "it":
        return "%s %s %d, %s %s" % (R.choice(["Via", "Viale", "Corso", "Piazza"]),
                                    R.choice(["Garibaldi", "Roma", "Dante", "Mazzini", "Vittorio Emanuele"]),
                                    R.randint(1, 200), R.choice(["00184", "20121", "50123", "80133"]),
                                    R.choice(["Roma", "Milano", "Firenze", "Napoli"]))
    if cc == "es":
        return "%s %s %d, %s %s" % (R.choice(["Calle", "Avenida", "Paseo", "Calle de"]),
                                    R.choice(["Alcalá", "Mayor", "Serrano", "Gran Vía"]), R.randint(1, 150),
                                    R.choice(["28014", "08001", "41001"]), R.choice(["Madrid", "Barcelona", "Sevilla"]))
    if cc == "nl":
        return "%s %d, %s %s %s" % (R.choice(["Kerkstraat", "Prinsengracht", "Dorpsstraat", "Stationsweg", "Molenlaan"]),
                                    R.randint(1, 300), digits(4), R.choice(["GC", "AB", "XK", "PT"]),
                                    R.choice(["Amsterdam", "Utrecht", "Rotterdam", "Den Haag"]))
    if cc == "pl":
        return "ul. %s %d/%d, %s-%s %s" % (R.choice(["Marszałkowska", "Długa", "Kwiatowa", "Polna"]), R.randint(1, 120),
                                           R.randint(1, 40), digits(2), digits(3), R.choice(["Warszawa", "Kraków", "Gdańsk"]))
    if cc == "sv":
        return "%s %d, %s %s %s" % (R.choice(["Storgatan", "Drottninggatan", "Kungsvägen", "Skolgatan"]), R.randint(1, 90),
                                    digits(3), digits(2), R.choice(["Stockholm", "Göteborg", "Malmö"]))
    raise ValueError(cc)


# ---- dates of birth -------------------------------------------------------------------------------

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"],
    "pl": ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
           "października", "listopada", "grudnia"],
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"],
    "ru": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
}


def dob(lang):
    y, m, d = R.randint(1940, 2005), R.randint(1, 12), R.randint(1, 28)
    if lang in ("ja", "zh"):
        return "%d年%d月%d日" % (y, m, d)
    styles = ["%02d.%02d.%d" % (d, m, y), "%d-%02d-%02d" % (y, m, d), "%02d/%02d/%d" % (d, m, y)]
    if lang in MONTHS:
        styles.append("%d %s %d" % (d, MONTHS[lang][m - 1], y))
    if lang == "en":
        styles += ["%s %d, %d" % (MONTHS["en"][m - 1], d, y), "%02d-%s-%d" % (d, MONTHS["en"][m - 1][:3], y),
                   "%d/%d/%d" % (m, d, y)]
    return R.choice(styles)


# ---- negatives ------------------------------------------------------------------------------------

def uuid():
    h = tok(32, "0123456789abcdef")
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], R.choice("89ab"), h[17:20], h[20:32])


def neg_of(kind):
    if kind == "UUID":
        return uuid()
    if kind == "GIT_SHA":
        return tok(R.choice([7, 12, 40]), "0123456789abcdef")
    if kind == "SEMVER":
        return R.choice(["v%d.%d.%d" % (R.randint(0, 9), R.randint(0, 30), R.randint(0, 99)),
                         "%d.%d.%d-rc.%d" % (R.randint(0, 9), R.randint(0, 30), R.randint(0, 99), R.randint(1, 5)),
                         "%d.%d.%d" % (R.randint(1, 5), R.randint(0, 20), R.randint(0, 40))])
    if kind == "ORDER_ID":
        return R.choice(["ORD-%d-%s" % (R.randint(2019, 2026), digits(6)), "#%s" % digits(9), "PO%s" % digits(8),
                         "A%s" % digits(10)])
    if kind == "TRACKING_NO":
        return R.choice(["1Z%s%s" % (tok(6, string.ascii_uppercase + string.digits), digits(10)),
                         "9400%s" % digits(18), "JD%s" % digits(18), "RR%sDE" % digits(9)])
    if kind == "ISBN":
        return R.choice(["978-%d-%s-%s-%d" % (R.randint(0, 9), digits(3), digits(5), R.randint(0, 9)),
                         isbn10()])
    if kind == "INVALID_LUHN":
        b = bad_luhn()
        return R.choice([b, group(b, [4, 4, 4, 4], " "), group(b, [4, 4, 4, 4], "-")])
    if kind == "TIMESTAMP":
        return R.choice(["2024-%02d-%02dT%02d:%02d:%02dZ" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23),
                                                             R.randint(0, 59), R.randint(0, 59)),
                         "17%s" % digits(8), "17%s" % digits(11),
                         "2025-%02d-%02d %02d:%02d:%02d.%s" % (R.randint(1, 12), R.randint(1, 28), R.randint(0, 23),
                                                                R.randint(0, 59), R.randint(0, 59), digits(3)),
                         "20240%d1%dT1%d%d%d%d" % (R.randint(1, 9), R.randint(0, 9), R.randint(0, 9), R.randint(0, 5),
                                                   R.randint(0, 9), R.randint(0, 9))])
    if kind == "PRICE":
        return R.choice(["$%d,%s.%s" % (R.randint(1, 99), digits(3), digits(2)), "€ %d.%s,00" % (R.randint(1, 9), digits(3)),
                         "¥%d,%s" % (R.randint(1, 99), digits(3)), "%d %s,%s zł" % (R.randint(1, 9), digits(3), digits(2)),
                         "CHF %d'%s.50" % (R.randint(1, 9), digits(3)), "₹%d,%s,%s" % (R.randint(1, 9), digits(2), digits(3))])
    if kind == "HEX_COLOR":
        return "#" + tok(R.choice([3, 6]), "0123456789abcdefABCDEF")
    raise ValueError(kind)


def ean13(body):
    s = sum(int(ch) * (3 if k % 2 else 1) for k, ch in enumerate(body))
    return body + str((10 - s % 10) % 10)


def isbn10():
    d = [R.randint(0, 9) for _ in range(9)]
    s = sum((10 - k) * v for k, v in enumerate(d))
    c = (11 - s % 11) % 11
    if c == 10:
        return isbn10()
    return "0-%d%d%d-%d%d%d%d%d-%d" % (d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], c) if d[0] == 0 else \
        "%d-%d%d%d-%d%d%d%d%d-%d" % (*d, c)


def negs_sentence(doc, kinds):
    """A sentence per look-alike kind (order, tracking, versions ...)."""
    for k in kinds:
        v = neg_of(k)
        lead = {"UUID": "request id ", "GIT_SHA": "fixed in commit ", "SEMVER": "after upgrading to ",
                "ORDER_ID": "order ", "TRACKING_NO": "tracking number ", "ISBN": "ISBN ",
                "INVALID_LUHN": "reference ", "TIMESTAMP": "at ", "PRICE": "total ", "HEX_COLOR": "colour "}[k]
        doc.t(" " + lead).n(k, v).t(".")


# ---- templates --------------------------------------------------------------------------------------

LANGS = {
    "it": dict(hello=["Gentile ", "Ciao ", "Buongiorno "], mr=["Sig. ", "Sig.ra ", "Dott. ", "Dott.ssa "],
               myname=["Mi chiamo ", "Sono ", "Il mio nome è "], label=["Nome: ", "Nome e cognome: ", "Cliente: "],
               bye=["Cordiali saluti,\n", "Distinti saluti,\n", "Grazie,\n", "Saluti,\n"],
               dob=["nato il ", "nata il ", "data di nascita: ", "Data di nascita: "],
               tel=["tel. ", "cellulare ", "telefono: "], addr=["indirizzo: ", "Indirizzo: "], cc="it",
               body=["ho un problema con il mio ordine.", "vorrei aggiornare i miei dati.",
                     "la fattura non corrisponde."]),
    "nl": dict(hello=["Beste ", "Hallo ", "Geachte heer ", "Geachte mevrouw "], mr=["dhr. ", "mevr. "],
               myname=["Mijn naam is ", "Ik ben ", "Ik heet "], label=["Naam: ", "Klant: ", "Contactpersoon: "],
               bye=["Met vriendelijke groet,\n", "Groeten,\n", "Met vriendelijke groeten,\n", "Bedankt,\n"],
               dob=["geboren op ", "geboortedatum: ", "Geboortedatum: "], tel=["tel. ", "telefoon: ", "mobiel: "],
               addr=["adres: ", "Adres: "], cc="nl",
               body=["mijn bestelling is nog niet aangekomen.", "ik wil mijn gegevens wijzigen."]),
    "pl": dict(hello=["Dzień dobry ", "Witam ", "Szanowny Panie "], mr=["Pan ", "Pani "],
               myname=["Nazywam się ", "Jestem ", "Mam na imię "], label=["Imię i nazwisko: ", "Klient: ", "Nazwisko: "],
               bye=["Z poważaniem,\n", "Pozdrawiam,\n", "Dziękuję,\n", "Serdecznie pozdrawiam,\n"],
               dob=["data urodzenia: ", "urodzony ", "urodzona ", "Data urodzenia: "], tel=["tel. ", "telefon: ", "kom. "],
               addr=["adres: ", "Adres: "], cc="pl",
               body=["moje zamówienie nie dotarło.", "proszę o zmianę danych."]),
    "sv": dict(hello=["Hej ", "Hejsan ", "Bästa "], mr=["herr ", "fru "],
               myname=["Jag heter ", "Mitt namn är ", "Det är "], label=["Namn: ", "Kund: ", "Kontaktperson: "],
               bye=["Med vänliga hälsningar,\n", "Vänliga hälsningar,\n", "Hälsningar,\n", "Tack,\n", "Mvh\n"],
               dob=["född ", "födelsedatum: ", "Födelsedatum: "], tel=["tel. ", "telefon: ", "mobil: "],
               addr=["adress: ", "Adress: "], cc="sv",
               body=["min beställning har inte kommit.", "jag vill uppdatera mina uppgifter."]),
    "ru": dict(hello=["Здравствуйте, ", "Уважаемый ", "Привет, "], mr=["г-н ", "г-жа "],
               myname=["Меня зовут ", "Я — "], label=["ФИО: ", "Имя: ", "Клиент: "],
               bye=["С уважением,\n", "Спасибо,\n", "С наилучшими пожеланиями,\n"],
               dob=["дата рождения: ", "Дата рождения: ", "родился ", "родилась "], tel=["тел.: ", "телефон: "],
               addr=None, cc="ru", body=["мой заказ до сих пор не доставлен.", "прошу обновить мои данные."]),
}


def t_lang(lang):
    L = LANGS[lang]
    d = Doc(lang, "email")
    fn, sn = R.choice(NAMES[lang][0]), R.choice(NAMES[lang][1])
    who = fn + " " + sn
    agent = name(lang)
    r = R.random()
    if r < 0.4:
        d.t(R.choice(L["hello"])).v("PERSON", agent).t(",\n\n")
    elif r < 0.6:
        d.t(R.choice(L["hello"]) + R.choice(L["mr"])).v("PERSON", sn).t(",\n\n")
        who = sn
    else:
        d.t(R.choice(L["hello"]).rstrip(", ") + ",\n\n")
    if R.random() < 0.6:
        d.t(R.choice(L["myname"])).v("PERSON", fn + " " + sn).t(" e " if lang == "it" else ", ")
    d.t(R.choice(L["body"]) + "\n")
    d.t(R.choice(L["label"])).v("PERSON", name(lang)).t("\n")
    d.t("E-mail: ").v("EMAIL", email(fn, sn)).t("\n")
    d.t(R.choice(L["tel"])).v("PHONE", phone({"sv": "se"}.get(lang, lang))).t("\n")
    d.t(R.choice(L["dob"])).v("DATE_OF_BIRTH", dob(lang)).t("\n")
    if L["addr"]:
        d.t(R.choice(L["addr"])).v("STREET_ADDRESS", address(L["cc"])).t("\n")
    elif lang == "ru":
        d.t("адрес: ").v("STREET_ADDRESS", "ул. %s, д. %d, кв. %d, %s, %s" % (
            R.choice(["Тверская", "Ленина", "Садовая", "Пушкина"]), R.randint(1, 120), R.randint(1, 300),
            R.choice(["Москва", "Казань", "Новосибирск"]), digits(6))).t("\n")
    if R.random() < 0.5:
        d.t("IBAN: ").v("IBAN", iban_text({"it": "IT", "nl": "NL", "pl": "PL", "sv": "SE", "ru": "DE"}[lang])).t("\n")
    negs_sentence(d, R.sample(["ORDER_ID", "PRICE", "TIMESTAMP", "TRACKING_NO"], 2))
    d.t("\n\n" + R.choice(L["bye"])).v("PERSON", who if who != sn else fn + " " + sn).t("\n")
    return d


def t_cjk(lang):
    d = Doc(lang, "form")
    n = name(lang)
    if lang == "ja":
        d.t("お問い合わせありがとうございます。\n氏名：").v("PERSON", n).t("\n生年月日：").v("DATE_OF_BIRTH", dob("ja"))
        d.t("\n電話番号：").v("PHONE", phone("jp")).t("\nメール：").v("EMAIL", email(dom="example.co.jp"))
        d.t("\nご注文番号 ").n("ORDER_ID", neg_of("ORDER_ID")).t(" の件で連絡しました。合計 ").n("PRICE", "¥%d,%s" % (R.randint(1, 99), digits(3)))
        d.t(" です。\nカード番号 ").v("CREDIT_CARD", card_text()).t(" で支払いました。\n住所：")
        d.v("STREET_ADDRESS", "〒%s-%s %s%d-%d-%d" % (digits(3), digits(4), R.choice(["東京都渋谷区渋谷", "大阪府大阪市北区梅田",
                                                                               "東京都千代田区丸の内", "京都府京都市中京区"]),
                                                  R.randint(1, 9), R.randint(1, 30), R.randint(1, 20))).t("\n")
    else:
        d.t("您好，\n姓名：").v("PERSON", n).t("\n出生日期：").v("DATE_OF_BIRTH", dob("zh"))
        d.t("\n手机：").v("PHONE", phone("cn")).t("\n邮箱：").v("EMAIL", email()).t("\n订单号 ")
        d.n("ORDER_ID", neg_of("ORDER_ID")).t("，金额 ").n("PRICE", "¥%d,%s" % (R.randint(1, 99), digits(3)))
        d.t("。\n服务器地址 ").v("IPV4", "%d.%d.%d.%d" % (R.randint(11, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)))
        d.t(" 无法连接。\n地址：").v("STREET_ADDRESS", "%s%s路%d号" % (R.choice(["北京市朝阳区", "上海市浦东新区", "广州市天河区"]),
                                                                   R.choice(["建国", "世纪大道", "天河", "中山"]), R.randint(1, 300)))
        d.t("\n")
    return d


def t_rtl(lang):
    d = Doc(lang, "chat")
    if lang == "ar":
        d.t("مرحبا، أحتاج مساعدة في حسابي.\nالبريد الإلكتروني: ").v("EMAIL", email()).t("\nالهاتف: ")
        d.v("PHONE", phone("ae")).t("\nتاريخ الميلاد: ").v("DATE_OF_BIRTH", dob("de")[:10] if False else
                                                       "%d-%02d-%02d" % (R.randint(1950, 2000), R.randint(1, 12), R.randint(1, 28)))
        d.t("\nرقم الآيبان: ").v("IBAN", iban_text(R.choice(["SA", "AE"]))).t("\nرقم الطلب ").n("ORDER_ID", neg_of("ORDER_ID"))
        d.t(" شكرا\n")
    else:
        d.t("שלום, יש לי בעיה עם ההזמנה.\nדוא\"ל: ").v("EMAIL", email()).t("\nטלפון: ").v("PHONE", phone("il"))
        d.t("\nתאריך לידה: ").v("DATE_OF_BIRTH", "%02d/%02d/%d" % (R.randint(1, 28), R.randint(1, 12), R.randint(1950, 2000)))
        d.t("\nכרטיס אשראי ").v("CREDIT_CARD", card_text()).t("\nגרסה ").n("SEMVER", neg_of("SEMVER")).t(" תודה\n")
    return d


def t_json():
    d = Doc("en_US", "json")
    fn, sn = R.choice(NAMES["en"][0]), R.choice(NAMES["en"][1])
    d.t('{"event":"signup","user":{"name":"').v("PERSON", fn + " " + sn).t('","email":"').v("EMAIL", email(fn, sn))
    d.t('","phone":"').v("PHONE", phone(R.choice(["us", "uk", "au", "in"]))).t('","dob":"')
    d.v("DATE_OF_BIRTH", "%d-%02d-%02d" % (R.randint(1950, 2004), R.randint(1, 12), R.randint(1, 28)))
    d.t('","ip":"').v("IPV4", "%d.%d.%d.%d" % (R.randint(11, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)))
    d.t('"},"request_id":"').n("UUID", uuid()).t('","ts":"').n("TIMESTAMP", neg_of("TIMESTAMP"))
    d.t('","build":"').n("GIT_SHA", neg_of("GIT_SHA")).t('","config":{"api_key":"').v("OPENAI_KEY", secret_of("OPENAI_KEY"))
    d.t('","theme":"').n("HEX_COLOR", neg_of("HEX_COLOR")).t('"}}')
    return d


def t_csv():
    d = Doc("en_GB", "csv")
    d.t("id,name,email,phone,card,created_at,amount\n")
    for _ in range(R.randint(2, 4)):
        fn, sn = R.choice(NAMES["en"][0]), R.choice(NAMES["en"][1])
        d.t(digits(5) + ",").v("PERSON", fn + " " + sn).t(",").v("EMAIL", email(fn, sn)).t(",")
        d.v("PHONE", phone(R.choice(["uk", "us", "de"]))).t(",").v("CREDIT_CARD", card()).t(",")
        d.n("TIMESTAMP", neg_of("TIMESTAMP")).t(",").n("PRICE", "%d.%s" % (R.randint(1, 999), digits(2))).t("\n")
    return d


def t_log():
    d = Doc("en_US", "log")
    ip6 = ipv6()
    d.t("2025-03-0%dT10:1%d:22.512Z INFO  auth.login user=" % (R.randint(1, 9), R.randint(0, 9))).v("EMAIL", email())
    d.t(" src=").v("IPV4", "%d.%d.%d.%d" % (R.randint(11, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)))
    d.t(" trace=").n("UUID", uuid()).t(" ver=").n("SEMVER", neg_of("SEMVER")).t("\n")
    d.t("2025-03-01T10:12:23.001Z WARN  net peer=[").v("IPV6", ip6).t("]:443 latency_ms=%d\n" % R.randint(5, 900))
    d.t("2025-03-01T10:12:24.777Z DEBUG http Authorization: Bearer ").v("JWT", jwt()).t("\n")
    d.t("2025-03-01T10:12:25.000Z ERROR db connect failed url=").v("URL_WITH_CREDENTIALS", dburl()).t(" retry=3\n")
    return d


def ipv6():
    g = ["%x" % R.randint(0, 0xffff) for _ in range(8)]
    return R.choice([
        ":".join(g), "2001:db8::%s" % g[7], "fe80::%s:%s:%s:%s%%eth0" % (g[4], g[5], g[6], g[7]),
        "::ffff:%d.%d.%d.%d" % (R.randint(11, 223), R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)),
        "2001:db8:%s::%s:%s" % (g[2], g[6], g[7]), "%s:%s::" % ("2a02", g[1]), "2001:0DB8:%04X:0000:0000:%04X:0000:0001" % (
            R.randint(0, 0xffff), R.randint(0, 0xffff)), "64:ff9b::%d.%d.%d.%d" % (R.randint(11, 223), 0, 2, R.randint(1, 254)),
        "fd00:%s:%s::1" % (g[1], g[2])])


def dburl():
    u = R.choice(["admin", "app", "svc_reader", "postgres", "root"])
    p = R.choice([tok(14), "S3cr3t!pass", "p%40ss" + digits(3), tok(10) + "#" + tok(4)])
    h = R.choice(["db.internal", "10.0.3.7", "cluster0.ab12c.mongodb.net", "redis.example.com"])
    return R.choice(["postgres://%s:%s@%s:5432/app" % (u, p, h), "postgresql://%s:%s@%s/prod?sslmode=require" % (u, p, h),
                     "mysql://%s:%s@%s:3306/shop" % (u, p, h), "mongodb+srv://%s:%s@%s/test?retryWrites=true" % (u, p, h),
                     "redis://:%s@%s:6379/0" % (p, h), "amqp://%s:%s@%s:5672/vhost" % (u, p, h),
                     "https://%s:%s@git.example.com/org/repo.git" % (u, p)])


def t_headers():
    d = Doc("en_US", "email_headers")
    a, b = name("en"), name("en")
    d.t("Received: from mx.example.net ([").v("IPV4", "198.51.100.%d" % R.randint(1, 254)).t("])\n")
    d.t("From: \"").v("PERSON", a).t("\" <").v("EMAIL", email(*a.split())).t(">\n")
    d.t("To: ").v("PERSON", b).t(" <").v("EMAIL", email(*b.split())).t(">\n")
    d.t("Message-ID: <").n("UUID", uuid()).t("@mail.example.net>\nDate: Tue, 4 Mar 2025 09:12:44 +0100\n")
    d.t("Subject: Re: invoice ").n("ORDER_ID", neg_of("ORDER_ID")).t("\n\nHi ").v("PERSON", b.split()[0])
    d.t(",\nplease call me on ").v("PHONE", phone(R.choice(["uk", "us", "au"]))).t(R.choice(["", " ext. %d" % R.randint(10, 999)]))
    d.t(".\n\n--\n").v("PERSON", a).t("\n")
    return d


def t_html():
    d = Doc("en_US", "html")
    n = name(R.choice(["en", "it", "nl"]))
    d.t("<table><tr><td>Name</td><td>").v("PERSON", n).t("</td></tr>\n<tr><td>Email</td><td><a href=\"mailto:")
    e = email()
    d.v("EMAIL", e).t("\">").v("EMAIL", e).t("</a></td></tr>\n<tr><td>Phone</td><td>").v("PHONE", phone(R.choice(["us", "de", "fr"])))
    d.t("</td></tr>\n<tr><td>Address</td><td>").v("STREET_ADDRESS", address(R.choice(["us", "uk", "de"]))).t("</td></tr></table>\n")
    d.t("<div style=\"color:").n("HEX_COLOR", neg_of("HEX_COLOR")).t("\">Total ").n("PRICE", neg_of("PRICE")).t("</div>\n")
    d.t("<img src=\"data:image/png;base64,").n("BASE64_IMAGE", base64.b64encode(R.randbytes(90)).decode()).t("\">\n")
    return d


def t_markdown():
    d = Doc("en_US", "markdown")
    d.t("## Customer\n\n| Field | Value |\n|---|---|\n| Name | ").v("PERSON", name("en")).t(" |\n| Email | ")
    d.v("EMAIL", email()).t(" |\n| Card | ").v("CREDIT_CARD", card_text()).t(" |\n| Date of birth | ")
    d.v("DATE_OF_BIRTH", dob("en")).t(" |\n\n**Contact:** ").v("PERSON", name("en")).t("\n\n")
    d.t("Upgraded to `").n("SEMVER", neg_of("SEMVER")).t("`, see commit ").n("GIT_SHA", neg_of("GIT_SHA")).t(".\n")
    return d


def t_env():
    d = Doc("en_US", "config")
    d.t("# .env\nNODE_ENV=production\nDATABASE_URL=").v("URL_WITH_CREDENTIALS", dburl()).t("\n")
    d.t("OPENAI_API_KEY=").v("OPENAI_KEY", secret_of("OPENAI_KEY")).t("\n")
    d.t("ANTHROPIC_API_KEY=").v("ANTHROPIC_KEY", secret_of("ANTHROPIC_KEY")).t("\n")
    d.t("AWS_ACCESS_KEY_ID=").v("AWS_ACCESS_KEY", aws_id()).t("\nAWS_SECRET_ACCESS_KEY=").v("AWS_SECRET_KEY", aws_secret()).t("\n")
    d.t("STRIPE_SECRET_KEY=").v("STRIPE_KEY", secret_of("STRIPE_KEY")).t("\n")
    d.t("SMTP_PASSWORD=").v("PASSWORD", tok(12) + "!").t("\nAPP_VERSION=").n("SEMVER", neg_of("SEMVER")).t("\n")
    d.t("SESSION_ID_PREFIX=").n("UUID", uuid()).t("\n")
    return d


def t_yaml():
    d = Doc("en_US", "config")
    d.t("database:\n  host: db.internal\n  user: app\n  password: ").v("PASSWORD", tok(16)).t("\n")
    d.t("slack:\n  bot_token: ").v("SLACK_TOKEN", secret_of("SLACK_TOKEN")).t("\n")
    d.t("github:\n  token: \"").v("GITHUB_TOKEN", secret_of("GITHUB_TOKEN")).t("\"\n")
    d.t("google:\n  maps_key: ").v("GOOGLE_API_KEY", secret_of("GOOGLE_API_KEY")).t("\n")
    d.t("aws:\n  aws_access_key_id: ").v("AWS_ACCESS_KEY", aws_id()).t("\n  aws_secret_access_key: ").v("AWS_SECRET_KEY", aws_secret())
    d.t("\n  region: eu-west-1\nimage: registry.example.com/app:").n("SEMVER", neg_of("SEMVER")).t("\n")
    return d


def t_cli():
    d = Doc("en_US", "shell")
    d.t("$ mysql -u root --password ").v("PASSWORD", tok(10) + "9").t(" -h 10.0.0.5 shop\n")
    d.t("$ curl -H 'Authorization: Bearer ").v("OPENAI_KEY", secret_of("OPENAI_KEY")).t("' https://api.example.com/v1/models\n")
    d.t("$ curl -u admin:").v("PASSWORD", tok(12)).t(" https://ci.example.com/api\n")
    d.t("$ export GITHUB_TOKEN=").v("GITHUB_TOKEN", secret_of("GITHUB_TOKEN")).t("\n")
    d.t("$ git log -1 --format=%H\n").n("GIT_SHA", tok(40, "0123456789abcdef")).t("\n")
    return d


def t_url():
    d = Doc("en_US", "url")
    e = email()
    d.t("Reset link: https://app.example.com/reset?email=").v("EMAIL", e).t("&token=").v("PASSWORD", tok(32))
    d.t("&utm_source=mail\nTracking: https://track.example.com/?tn=").n("TRACKING_NO", neg_of("TRACKING_NO"))
    d.t("&lang=en\nWebhook: https://hooks.slack.com/services/T0000/B0000/").v("PASSWORD", tok(24)).t("\n")
    d.t("Callback: https://api.example.com/cb?key=").v("GOOGLE_API_KEY", secret_of("GOOGLE_API_KEY")).t("&v=")
    d.n("SEMVER", "%d.%d" % (R.randint(1, 9), R.randint(0, 9)) + ".0").t("\n")
    return d


def t_stack():
    d = Doc("en_US", "stacktrace")
    d.t("Traceback (most recent call last):\n  File \"/srv/app/db.py\", line %d, in connect\n" % R.randint(10, 400))
    d.t("    conn = psycopg2.connect(\"").v("URL_WITH_CREDENTIALS", dburl()).t("\")\n")
    d.t("psycopg2.OperationalError: could not connect to server at \"").v("IPV4", "10.%d.%d.%d" % (R.randint(0, 255), R.randint(0, 255), R.randint(1, 254)))
    d.t("\", port 5432\nException in thread \"main\" java.lang.IllegalStateException: bad card ").v("CREDIT_CARD", card())
    d.t("\n\tat com.example.pay.Charge.run(Charge.java:%d)\n\tat java.base/java.lang.Thread.run(Thread.java:%d)\n" % (R.randint(10, 900), R.randint(700, 1600)))
    d.t("Caused by: request ").n("UUID", uuid()).t(" user ").v("EMAIL", email()).t("\n")
    return d


def t_secrets():
    d = Doc("en_US", "chat")
    kinds = R.sample(["OPENAI_KEY", "ANTHROPIC_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "STRIPE_KEY", "GOOGLE_API_KEY",
                      "OTHER_TOKEN"], 3)
    d.t("hey, can you check why this fails? ")
    for k in kinds:
        d.t(R.choice(["I used ", "key is ", "token: ", "here: ", "with "])).v(k, secret_of(k)).t(R.choice([" and ", ". ", "\n"]))
    d.t("\nAlso the AWS creds: ").v("AWS_ACCESS_KEY", aws_id()).t(" / ").v("AWS_SECRET_KEY", aws_secret()).t("\n")
    d.t("JWT from the browser: ").v("JWT", jwt()).t("\n")
    return d


def t_pem():
    d = Doc("en_US", "config")
    k = R.choice(["rsa", "ec", "ossh", "enc", "pk"])
    if R.random() < 0.5:
        d.t("Here is the deploy key:\n").v("PRIVATE_KEY", pem(k)).t("\nthanks\n")
    else:
        p = pem(k).replace("\n", "\\n")
        d.t('{"type":"service_account","private_key":"').v("PRIVATE_KEY", p).t('\\n","client_email":"')
        d.v("EMAIL", "svc-%s@project-%s.iam.gserviceaccount.com" % (digits(4), digits(6))).t('"}')
    return d


def t_assign():
    d = Doc("en_US", "config")
    for _ in range(3):
        p = tok(R.randint(10, 20)) + R.choice(["", "!", "#1", "$$"])
        f = R.choice(['password = "%s"', "passwd: %s", "<password>%s</password>", "'secret' => '%s'",
                      "DB_PASS=%s", "client_secret: %s", "--db-password=%s", "pwd=%s;", "\"apiKey\": \"%s\"",
                      "Password: %s", "passwort: %s", "mot de passe : %s", "wachtwoord: %s", "hasło: %s",
                      "lösenord: %s", "пароль: %s", "密码：%s", "password is %s"])
        pre, post = f.split("%s")
        d.t(pre).v("PASSWORD", p).t(post + "\n")
    d.t("Authorization: Basic ").v("PASSWORD", base64.b64encode(("admin:" + tok(10)).encode()).decode()).t("\n")
    d.t("timeout = 30\nretries = 5\nversion = ").n("SEMVER", neg_of("SEMVER")).t("\n")
    return d


def t_phones():
    d = Doc("mixed", "contacts")
    for cc in R.sample(["uk", "de", "fr", "it", "es", "nl", "br", "in", "jp", "au", "us", "pl", "se", "ru", "il"], 5):
        d.t(R.choice(["Tel: ", "Phone ", "call ", "Mobile: ", "ring me at ", "WhatsApp "])).v("PHONE", phone(cc))
        if R.random() < 0.2:
            d.t(R.choice([" ext. ", " x", " ext "]) + str(R.randint(10, 9999)))
        d.t("\n")
    negs_sentence(d, R.sample(["ORDER_ID", "TRACKING_NO", "TIMESTAMP", "PRICE", "ISBN"], 3))
    return d


def t_cards():
    d = Doc("en_US", "payment")
    for _ in range(3):
        d.t(R.choice(["Card: ", "paid with ", "CC ", "card number ", "Kartennummer: ", "numero carta "])).v("CREDIT_CARD", card_text()).t("\n")
    d.t("Declined: ").n("INVALID_LUHN", neg_of("INVALID_LUHN")).t("\n")
    d.t("IBAN ").v("IBAN", iban_text()).t(" and ").v("IBAN", iban_text()).t("\n")
    d.t("SSN ").v("US_SSN", ssn()).t("\n")
    return d


def t_ipv6():
    d = Doc("en_US", "network")
    for _ in range(3):
        d.t(R.choice(["peer ", "from ", "addr=", "listen [", "Client "])).v("IPV6", ipv6()).t(R.choice([" ok\n", "\n", "]:8080\n"]))
    d.t("router ").v("IPV4", "192.168.%d.%d" % (R.randint(0, 255), R.randint(1, 254))).t(", build ").n("SEMVER", neg_of("SEMVER")).t("\n")
    d.t("time ").n("TIMESTAMP", "%02d:%02d:%02d" % (R.randint(0, 23), R.randint(0, 59), R.randint(0, 59))).t(" ok\n")
    return d


def t_addr():
    cc = R.choice(["us", "uk", "de", "fr", "it", "es", "nl", "pl", "sv"])
    d = Doc(cc, "shipping")
    lead = {"us": "Ship to: ", "uk": "Deliver to: ", "de": "Lieferadresse: ", "fr": "Adresse de livraison : ",
            "it": "Spedire a: ", "es": "Dirección de envío: ", "nl": "Bezorgadres: ", "pl": "Adres dostawy: ",
            "sv": "Leveransadress: "}[cc]
    n = name({"us": "en", "uk": "en", "sv": "sv"}.get(cc, cc))
    d.t(lead).v("PERSON", n).t(", ").v("STREET_ADDRESS", address(cc)).t("\n")
    d.t("Order ").n("ORDER_ID", neg_of("ORDER_ID")).t(", ").n("PRICE", neg_of("PRICE")).t(", tracking ").n("TRACKING_NO", neg_of("TRACKING_NO")).t("\n")
    return d


def t_dob():
    lang = R.choice(["en", "de", "it", "nl", "pl", "sv", "ru"])
    d = Doc(lang, "form")
    cue = {"en": ["DOB: ", "Date of birth: ", "born ", "Birthday: ", "b. "], "de": ["Geburtsdatum: ", "geb. ", "geboren am "],
           "it": ["nato il ", "Data di nascita: "], "nl": ["geboren op ", "Geboortedatum: "],
           "pl": ["Data urodzenia: ", "urodzona "], "sv": ["född ", "Födelsedatum: "], "ru": ["Дата рождения: ", "родился "]}[lang]
    d.t("Patient record\n").t(R.choice(cue)).v("DATE_OF_BIRTH", dob(lang)).t("\nVisit: ").n("TIMESTAMP", neg_of("TIMESTAMP")).t("\n")
    return d


NEG_LINES = [
    "Mr. Clean Magic Eraser, 2 pack", "Dear Evan Hansen (Original Broadway Cast Recording)",
    "Dr. Martens 1460 boots, size 42", "Dear Prudence is track 2 on the White Album",
    "Mr Potato Head deluxe edition", "Hi Fidelity speakers, model 3",
]


def t_neg():
    d = Doc("en_US", "catalog")
    for _ in range(4):
        k = R.choice(["UUID", "GIT_SHA", "SEMVER", "ORDER_ID", "TRACKING_NO", "ISBN", "INVALID_LUHN", "TIMESTAMP", "PRICE",
                      "HEX_COLOR"])
        negs_sentence(d, [k])
    d.t("\n")
    r = R.random()
    if r < 0.3:
        a, b = R.randint(100, 999), R.randint(1000, 9999)
        d.t("Check: ").n("MATH", "%d * %d = %d" % (a, b, a * b)).t("\n")
    elif r < 0.5:
        d.t("Product: ").n("PRODUCT", R.choice(NEG_LINES)).t("\n")
    elif r < 0.7:
        d.t("Serial ").n("SERIAL", "SN-%s-%s" % (digits(4), digits(4))).t(", EAN ").n("EAN", ean13("40" + digits(10))).t("\n")
    else:
        d.t("CVE ").n("CVE", "CVE-%d-%s" % (R.randint(2015, 2025), digits(5))).t(" fixed in ").n("SEMVER", neg_of("SEMVER")).t("\n")
    return d


def t_lognums():
    d = Doc("en_US", "log")
    d.t("pid=").n("NUMBER", str(R.randint(1000, 99999))).t(" bytes=").n("NUMBER", str(R.randint(10 ** 8, 10 ** 10)))
    d.t(" offset ").n("NUMBER", str(R.randint(10 ** 9, 2 ** 32))).t(" took ").n("NUMBER", "%d ms" % R.randint(100, 99999))
    d.t(" build ").n("SEMVER", "10.0.%d.%d" % (R.randint(19000, 26000), R.randint(1, 3000))).t("\n")
    d.t("pos=").n("NUMBER", "%.4f, %.4f" % (R.uniform(-80, 80), R.uniform(-170, 170))).t(" image=").n("GIT_SHA", "sha256:" + tok(64, "0123456789abcdef"))
    d.t(" pod=api-").n("NUMBER", tok(10, "bcdfghjklmnpqrstvwxz2456789") + "-" + tok(5, "bcdfghjklmnpqrstvwxz2456789")).t("\n")
    d.t("GET /v1/users/").n("NUMBER", digits(9)).t("/orders?page=2 HTTP/1.1 200 ").n("NUMBER", str(R.randint(100, 99999))).t("\n")
    d.t("retry in ").n("NUMBER", "%d-%d s" % (R.randint(1, 5), R.randint(6, 60))).t(", range ").n("NUMBER", "%d-%d" % (R.randint(1000, 4999), R.randint(5000, 9999)))
    d.t(", ratio ").n("NUMBER", "%d/%d" % (R.randint(100, 999), R.randint(1000, 9999))).t("\n")
    return d


def t_unicode_email():
    d = Doc("de", "email")
    local = R.choice(["info", "kontakt", "jürgen.müller", "renée", "søren"])
    dom = R.choice(["münchen.example", "bücher.example.de", "例え.jp", "почта.рф", "example.com"])
    d.t("Schreiben Sie an ").v("EMAIL", local + "@" + dom).t(" oder ").v("PHONE", R.choice(["tel:+49%s" % digits(10), "+49 89 %s;ext=%d" % (digits(7), R.randint(10, 99))]))
    d.t(".\nPayload: {\"data\":\"{\\\"email\\\":\\\"").v("EMAIL", email()).t("\\\",\\\"id\\\":\\\"").n("UUID", uuid()).t("\\\"}\"}\n")
    return d


def t_not_names():
    d = Doc("en_US", "chat")
    d.t(R.choice(["Dear ", "Hi ", "Hello "])).n("NOT_A_NAME", R.choice(["Customer", "Team", "Support", "All", "Everyone"])).t(",\n")
    d.t("the ").n("NOT_A_NAME", R.choice(["Hello World", "Dear Diary", "Hi-Fi"])).t(" example is in the docs. ")
    d.t(R.choice(["Thanks,\n", "Regards,\n", "Cheers,\n"])).n("NOT_A_NAME", R.choice(["The Support Team", "Customer Care", "Billing"])).t("\n")
    return d


TEMPLATES = ([lambda l=l: t_lang(l) for l in LANGS] * 3 + [lambda: t_cjk("ja"), lambda: t_cjk("zh"), lambda: t_rtl("ar"),
              lambda: t_rtl("he"), t_json, t_csv, t_log, t_headers, t_html, t_markdown, t_env, t_yaml, t_cli, t_url,
              t_stack, t_secrets, t_pem, t_assign, t_phones, t_phones, t_cards, t_cards, t_ipv6, t_addr, t_addr, t_dob,
              t_dob, t_neg, t_neg, t_neg, t_lognums, t_lognums, t_unicode_email, t_not_names])


def handwritten():
    """Fixed, hand-written cases (values are invented; keys are random but well-formed)."""
    D = []
    d = Doc("en_GB", "chat")
    d.t("Hi Anna, quick one: my new number is ").v("PHONE", "+44 7911 123456").t(" (work) / ").v("PHONE", "0161 496 0000")
    d.t(" ext 2231. Flight ").n("NUMBER", "LH 4590").t(", room ").n("NUMBER", "101").t(", page ").n("NUMBER", "12 of 300").t(".\n")
    D.append(d)
    d = Doc("en_US", "config")
    d.t("tls:\n  private_key: |\n    ").v("PRIVATE_KEY", "-----BEGIN EC PRIVATE KEY-----\n    " + base64.b64encode(R.randbytes(90)).decode()
                                          + "\n    -----END EC PRIVATE KEY-----").t("\n  cert_sha1: ").n("GIT_SHA", tok(40, "0123456789abcdef")).t("\n")
    D.append(d)
    d = Doc("en_US", "shell")
    d.t("git remote add origin ").v("URL_WITH_CREDENTIALS", "https://oauth2:glpat-" + tok(20, B62 + "-_") + "@gitlab.example.com/group/repo.git").t("\n")
    d.t("export GITLAB_TOKEN=").v("GITLAB_TOKEN", "glpat-" + tok(20, B62 + "-_")).t("\n")
    d.t("curl -H \"X-API-Key: ").v("PASSWORD", tok(32, "0123456789abcdef")).t("\" -H 'Authorization: Token ").v("PASSWORD", tok(40, "0123456789abcdef")).t("' http://[")
    d.v("IPV6", "2001:db8::1").t("]:8080/health\n")
    D.append(d)
    d = Doc("en_US", "code")
    d.t("conn = connect(**{'host': 'db', 'user': 'app', 'password': '").v("PASSWORD", "hunter2!x9").t("'})\n")
    d.t("# error ").n("NUMBER", "0x80070005").t(" after ").n("NUMBER", "1,234,567").t(" rows\n")
    D.append(d)
    d = Doc("ja", "email")
    d.t("差出人: ").v("PERSON", "山田太郎").t(" <").v("EMAIL", "taro.yamada@example.co.jp").t(">\n電話：").v("PHONE", "+81 3-1234-5678").t("\n")
    D.append(d)
    d = Doc("en_US", "form")
    d.t("Patient: ").v("PERSON", "Maria Garcia-Lopez").t("\nDOB ").v("DATE_OF_BIRTH", "1/2/85").t("\ncc: ").v("PERSON", "Tom O'Brien").t("\n")
    d.t("Notes: Born in the USA (").n("NUMBER", "1984").t(") is her favourite album. Call of Duty ").n("NUMBER", "4").t(".\n")
    D.append(d)
    d = Doc("fr", "email")
    d.t("Bonjour ").v("PERSON", "Mme Lefèvre").t(",\nvous pouvez me joindre au ").v("PHONE", "+33 1 23 45 67 89").t(" ou au ").v("PHONE", "06 12 34 56 78")
    d.t(".\nMon adresse : ").v("STREET_ADDRESS", "8 rue des Écoles, 75005 Paris").t(".\nBien à vous,\n").v("PERSON", "Hélène Lefèvre").t("\n")
    D.append(d)
    d = Doc("pt_BR", "chat")
    d.t("Oi, aqui é a ").v("PERSON", "Beatriz Souza").t(", meu CPF não vou passar mas o cartão é ").v("CREDIT_CARD", card_text("mc"))
    d.t(" e nasci em ").v("DATE_OF_BIRTH", "12/05/1990").t(". Pedido ").n("ORDER_ID", "#" + digits(9)).t(".\n")
    D.append(d)
    # "My name is", titles and labels in Arabic, Hebrew, Chinese and Japanese, with the cue words
    # alone or before a word that is not a name as look-alikes (fixed text: no R calls, so the
    # generated documents below stay the same).
    d = Doc("ar", "chat")
    d.t("مرحبا، اسمي ").v("PERSON", "أحمد الخطيب").t(" وأسكن في الرياض. ").n("NOT_A_NAME", "السيد الرئيس")
    d.t(" لم يرد بعد.\nالاسم: ").v("PERSON", "عبد الرحمن بن سعيد").t("\nشكرا للسيدة ").n("NOT_A_NAME", "الكريمة").t("\n")
    D.append(d)
    d = Doc("ar", "email")
    d.t("السيدة ").v("PERSON", "فاطمة الزهراني").t("، نرجو تأكيد الطلب. ").n("NOT_A_NAME", "اسمي الكامل")
    d.t(" غير مسجل عند السيد ").v("PERSON", "محمد علي").t(".\n")
    D.append(d)
    d = Doc("he", "chat")
    d.t("שלום, שמי ").v("PERSON", "דוד כהן").t(" ואני גר בחיפה. ").n("NOT_A_NAME", "שמי הוא").t(" לא חשוב, ")
    d.t("קוראים לי ").v("PERSON", "שרה לוי").t(".\nמר ").v("PERSON", "יוסי אברהם").t(" בן 40.\nשם: ").v("PERSON", "משה פרץ").t("\n")
    D.append(d)
    d = Doc("zh", "chat")
    d.t("你好，我叫").v("PERSON", "王小明").t("，今年十岁。").n("NOT_A_NAME", "我叫了外卖").t("，还没到。我的名字是")
    d.v("PERSON", "李华").t("。").n("NOT_A_NAME", "我叫你明天早点起床").t("。\n")
    D.append(d)
    d = Doc("ja", "chat")
    d.t("はじめまして、").v("PERSON", "佐藤花子").t("と申します。私の名前は").v("PERSON", "田中太郎").t("ではありません。")
    d.n("NOT_A_NAME", "私の名前はまだない").t("。これは").n("NOT_A_NAME", "寿司と言います").t("。\n")
    D.append(d)
    # Tables and records: the header names the column; a product table's "name" is not a person.
    d = Doc("en_US", "csv")
    d.t("id,full_name,city,plan\n1,").v("PERSON", "Dana Whitfield").t(",Leeds,").n("PRODUCT", "Pro").t("\n2,\"")
    d.v("PERSON", "Okafor, Chidi").t("\",Lagos,Basic\n3,").v("PERSON", "Jo March").t(",Concord,Basic\n\n")
    d.t("sku,name,price\n").n("SERIAL", "A-100").t(",").n("PRODUCT", "Trail Runner Max").t(",").n("PRICE", "89.00").t("\n")
    D.append(d)
    d = Doc("en_GB", "markdown")
    d.t("| Name | Phone | Team |\n|:-----|------:|------|\n| ").v("PERSON", "Priya Natarajan").t(" | ").v("PHONE", "020 7946 0321")
    d.t(" | Ops |\n| ").v("PERSON", "Ewan McAllister").t(" | ").v("PHONE", "0131 496 0712").t(" | Billing |\n")
    D.append(d)
    d = Doc("en_US", "json")
    d.t('{"customer": {"firstName": "').v("PERSON", "Rosalind").t('", "last_name": "').v("PERSON", "Featherstone")
    d.t('", "birthdate": "').v("DATE_OF_BIRTH", "1979-04-02").t('"}, "product": {"name": "').n("PRODUCT", "Widget").t('"}}\n')
    D.append(d)
    d = Doc("de", "xml")
    d.t("<kunde><name>").v("PERSON", "Jürgen Obermaier").t("</name><ort>Passau</ort></kunde>\n")
    D.append(d)
    # Cues in more languages, each with a look-alike that must stay.
    d = Doc("ko", "chat")
    d.t("안녕하세요, 제 이름은 ").v("PERSON", "정하늘").t("입니다. ").n("NOT_A_NAME", "저는 학생입니다").t(". 생년월일: ")
    d.v("DATE_OF_BIRTH", "1994년 8월 21일").t("\n")
    D.append(d)
    d = Doc("tr", "chat")
    d.t("Merhaba, benim adım ").v("PERSON", "Elif Demirci").t(". Doğum tarihim ").v("DATE_OF_BIRTH", "09.11.1988").t(".\n")
    D.append(d)
    d = Doc("el", "email")
    d.t("Καλησπέρα, με λένε ").v("PERSON", "Νίκος Αντωνίου").t(" και θα ήθελα μια επιστροφή.\n")
    D.append(d)
    d = Doc("cs", "email")
    d.t("Dobrý den, jmenuji se ").v("PERSON", "Petra Svobodová").t(", datum narození ").v("DATE_OF_BIRTH", "7. 3. 1991").t(".\n")
    D.append(d)
    d = Doc("vi", "chat")
    d.t("Xin chào, tên tôi là ").v("PERSON", "Trần Thị Mai").t(". Ngày sinh: ").v("DATE_OF_BIRTH", "14/02/1996").t("\n")
    D.append(d)
    d = Doc("zh", "ticket")
    d.t("您好，我是").v("PERSON", "欧阳明轩").t("，").n("NOT_A_NAME", "我是学生").t("。客户").v("PERSON", "陈嘉怡").t("的订单已发货。\n")
    D.append(d)
    d = Doc("ja", "chat")
    d.t("こんにちは！").v("PERSON", "藤原美咲").t("です。").n("NOT_A_NAME", "こんにちは、今日はいい天気ですね").t("。\n")
    D.append(d)
    d = Doc("fr", "email")
    d.t("Livraison au ").v("STREET_ADDRESS", "27 rue de la Fontaine, 69003 Lyon").t(", il reste ").n("NUMBER", "4 place")
    d.t("s de parking. Madame ").v("PERSON", "Gisèle Marchand").t(" signera.\n")
    D.append(d)
    # A person's role or who did something in prose; names in capitals on a label; with product
    # and page titles after the same role words as look-alikes.
    d = Doc("en_US", "ticket")
    d.t("Customer ").v("PERSON", "Harriet Lindqvist").t(" called twice. Ticket opened by ").v("PERSON", "Samuel Okoro")
    d.t(", escalated per the ").n("PRODUCT", "Customer Success Manager").t(" playbook. According to ")
    d.v("PERSON", "Ingrid Halvorsen").t(", the ").n("PRODUCT", "Patient Portal Login").t(" page is down.\n")
    D.append(d)
    d = Doc("en_GB", "label")
    d.t("SHIP TO: ").v("PERSON", "MARGARET O'CONNELL").t("\n").v("STREET_ADDRESS", "14 HARBOUR ROAD").t("\nREF ")
    d.n("ORDER_ID", "SO-4471-22").t("\nATTN MR ").v("PERSON", "DECLAN MURPHY").t("\n").n("PRODUCT", "MS SQL SERVER 2019").t(" LICENCE\n")
    D.append(d)
    d = Doc("de", "ticket")
    d.t("Kunde ").v("PERSON", "Wolfgang Brenner").t(" meldet, laut ").v("PERSON", "Sabine Krüger").t(" fehlt die Rechnung.\n")
    D.append(d)
    return D


# ---- appended generators (their own random stream, so every line above stays byte-identical) ------

R2 = random.Random(20261127)
HEX = "0123456789abcdef"
B62 = string.ascii_letters + string.digits


def tok2(n, alphabet=B62):
    return "".join(R2.choice(alphabet) for _ in range(n))


def vendor_token():
    """A token in one of the providers' documented shapes (prefix, charset, length)."""
    b32 = string.ascii_uppercase + "234567"
    return R2.choice([
        lambda: "sntryu_" + tok2(64, HEX),
        lambda: "NRAK-" + tok2(27, string.ascii_uppercase + string.digits),
        lambda: "pat" + tok2(14) + "." + tok2(64, HEX),
        lambda: "1//0" + tok2(R2.randint(90, 110), B62 + "-_"),
        lambda: "EAAB" + tok2(R2.randint(150, 200)),
        lambda: "HRKU-AA" + tok2(58, B62 + "-_"),
        lambda: "tskey-auth-k" + tok2(10) + "CNTRL-" + tok2(32),
        lambda: "pscale_tkn_" + tok2(43, B62 + "_"),
        lambda: "nfp_" + tok2(36),
        lambda: "figd_" + tok2(40, B62 + "-_"),
        lambda: "bkua_" + tok2(40, HEX),
        lambda: "CCIPAT_" + tok2(22) + "_" + tok2(40, HEX),
        lambda: "CFPAT-" + tok2(43, B62 + "-_"),
        lambda: "dt0c01." + tok2(24, b32) + "." + tok2(64, b32),
        lambda: "pcsk_" + tok2(6) + "_" + tok2(63),
        lambda: "lsv2_" + R2.choice(["pt", "sk"]) + "_" + tok2(32, HEX) + "_" + tok2(10, HEX),
        lambda: "sgp_" + tok2(16, HEX) + "_" + tok2(40, HEX),
        lambda: "key-" + tok2(32, HEX),
        lambda: tok2(3) + str(R2.randint(0, 9)) + "Q~" + tok2(34, B62 + "_-"),
        lambda: tok2(32, HEX) + "-us" + str(R2.randint(1, 21)),
    ])()


def ssn2():
    area = R2.choice([a for a in range(1, 900) if a != 666])
    return "%03d" % area, "%02d" % R2.randint(1, 99), "%04d" % R2.randint(1, 9999)


def t_vendor():
    d = Doc("en_US", R2.choice(["config", "chat"]))
    for _ in range(3):
        pre, post = R2.choice([("token: ", "\n"), ("export KEY=", "\n"), ("key is ", " and "),
                               ('{"apiKey": "', '"}\n'), ("here: ", ". ")])
        d.t(pre).v("OTHER_TOKEN", vendor_token()).t(post)
    d.t("commit ").n("GIT_SHA", tok2(40, HEX)).t(", request ")
    u = tok2(32, HEX)
    d.n("UUID", "%s-%s-%s-%s-%s" % (u[:8], u[8:12], u[12:16], u[16:20], u[20:])).t("\n")
    return d


def t_cli2():
    d = Doc("en_US", "shell")
    d.t("$ mysqldump -h db.internal -uroot -p").v("PASSWORD", tok2(R2.randint(8, 14)) + R2.choice(["", "!", "9"]))
    d.t(" shop > shop.sql\n$ mysql -u app -p'").v("PASSWORD", tok2(6) + " " + tok2(6)).t("' app\n")
    d.t("$ sshpass -p ").v("PASSWORD", tok2(12)).t(" ssh -p ").n("NUMBER", str(R2.randint(1025, 65000)))
    d.t(" deploy@host\n")
    return d


def t_email2():
    d = Doc("en_US", R2.choice(["url", "email"]))
    first, last = R2.choice(["anna", "mike", "sara", "j"]), R2.choice(["smith", "rossi", "nowak", "berg"])
    dom = R2.choice(["example.com", "mail.example.org", "example.co.uk"])
    d.t("GET /unsubscribe?email=").v("EMAIL", "%s.%s%%40%s" % (first, last, dom)).t("&list=")
    d.n("NUMBER", str(R2.randint(100, 999))).t("\nWrite to ")
    w = R2.choice([("[at]", "[dot]", " "), ("(at)", "(dot)", ""), ("(at)", ".", ""), ("[AT]", "[DOT]", " ")])
    sp = w[2]
    d.v("EMAIL", "%s%s%s%s%s%s%s" % (first, sp, w[0], sp, dom.replace(".", sp + w[1] + sp, 1), "", ""))
    d.t(" or meet us (at) noon.\n")
    return d


def t_ssn2():
    d = Doc("en_US", R2.choice(["form", "config"]))
    a, g, s_ = ssn2()
    d.t(R2.choice(["SSN: ", "Social Security No. ", "SSN# "])).v("US_SSN", "%s.%s.%s" % (a, g, s_)).t("\n")
    a, g, s_ = ssn2()
    pre, post = R2.choice([('{"customer_ssn":"', '"}'), ('{"employee.ssn": "', '"}'), ("ssn_number=", "")])
    d.t(pre).v("US_SSN", R2.choice(["%s%s%s", "%s-%s-%s"]) % (a, g, s_)).t(post + "\n")
    d.t("release ").n("SEMVER", "%d.%d.%d" % (R2.randint(1, 20), R2.randint(0, 40), R2.randint(0, 300))).t("\n")
    return d


APPENDED = [t_vendor, t_cli2, t_email2, t_ssn2]


def main():
    out = sys.stdout
    for idx, doc in enumerate(handwritten()):
        o = doc.obj(idx)
        o["id"] = "hard-h%05d" % idx
        for s in o["spans"] + o["negatives"]:
            assert o["text"].encode()[s["start"]:s["end"]].decode() == s["value"]
        out.write(json.dumps(o, ensure_ascii=False) + "\n")
    for idx in range(600):
        doc = R.choice(TEMPLATES)()
        o = doc.obj(idx)
        for s in o["spans"] + o["negatives"]:
            assert o["text"].encode()[s["start"]:s["end"]].decode() == s["value"]
        out.write(json.dumps(o, ensure_ascii=False) + "\n")
    for idx in range(60):
        doc = APPENDED[idx % len(APPENDED)]()
        o = doc.obj(idx)
        o["id"] = "hard-s%05d" % idx
        for s in o["spans"] + o["negatives"]:
            assert o["text"].encode()[s["start"]:s["end"]].decode() == s["value"]
        out.write(json.dumps(o, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
