#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the benign sets bench/sqli.sh measures, from text Debian ships.

    sqli_benign.py OUT_LOOKALIKES OUT_TRAFFIC

Look-alikes (parameter values a detector may confuse with SQL), one a line:
  - every word of /usr/share/dict/words (Debian wamerican) with an
    apostrophe ("O'Neil", "aren't", "Zürich's"), and phrases of two or three
    of them with SQL's English words between ("rock and roll's", "select
    O'Neil's plan", "Smith's or Jones's"), drawn with a fixed seed;
  - the lines of /usr/share/common-licenses/* (legal English: quotes,
    "or", "and", parentheses, dashes);
  - the first 30000 lines of the Debian changelogs in /usr/share/doc
    (apostrophes, "--" signature lines with e-mail addresses, version
    ranges, URLs, shell snippets);
  - a fixed list of shapes: "select your plan", "1-2 days", e-mail
    addresses, URLs, JSON objects, dates, phone numbers, ranges.
Traffic (what a normal web application receives), URL query strings,
percent-encoded as browsers do: searches of dictionary words and names
with apostrophes, paging and sorting, ids, dates, e-mail addresses, URLs
in redirect parameters, JSON in a parameter, free text.
"""
import glob
import gzip
import random
import sys
import urllib.parse

rnd = random.Random(1616)
words = [w.strip() for w in open("/usr/share/dict/words", encoding="utf-8", errors="replace")]
apos = [w for w in words if "'" in w]
plain = [w for w in words if w.isalpha()]
sqlish = ["and", "or", "not", "select", "from", "where", "union", "order", "by", "group", "like",
          "in", "is", "null", "update", "delete", "insert", "drop", "table", "having", "limit",
          "between", "exists", "case", "when", "then", "else", "end", "join", "into", "values"]

look = []
look += apos
for _ in range(20000):
    k = rnd.choice((2, 3))
    parts = []
    for i in range(k):
        parts.append(rnd.choice(apos) if rnd.random() < 0.6 else rnd.choice(plain))
        if i + 1 < k:
            parts.append(rnd.choice(sqlish))
    look.append(" ".join(parts))
for f in sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        for line in open(f, encoding="utf-8", errors="replace"):
            line = line.strip()
            if line:
                look.append(line)
    except IsADirectoryError:
        pass
n = 0
for f in sorted(glob.glob("/usr/share/doc/*/changelog.Debian.gz")):
    for line in gzip.open(f, "rt", encoding="utf-8", errors="replace"):
        line = line.strip()
        if line:
            look.append(line)
            n += 1
    if n > 30000:
        break
look += [
    "select your plan", "Select the best option", "1-2 days", "2-3 weeks", "10--20 items",
    "O'Reilly", "O'Reilly Media", "Rock 'n' roll", "don't drop the table", "order by date",
    "union station", "Union Square, New York", "drop-down menu", "1 or 2", "either A or B",
    "john.o'neil@example.com", "a-b@c-d.example.org", "https://example.com/a?b=c&d=e#f",
    "http://localhost:8080/api/v1/users?id=1", '{"a": 1, "b": [true, null, "x"]}',
    '{"name": "O\'Brien", "tags": ["a-b", "c--d"]}', "2024-01-02", "2024-01-02T03:04:05Z",
    "+1 (555) 123-4567", "#hashtag", "C# or F#", "50% off", "A & B", "x=1; y=2", "a=b",
    "it's 5 o'clock", "\"quoted\" text", "--verbose", "-- signature", "/* not a comment */",
    "SELECT * FROM the menu", "delete my account", "update: new version",
]
traffic = []
for _ in range(20000):
    kind = rnd.randrange(10)
    if kind == 0:
        q = {"q": " ".join(rnd.choice(plain) for _ in range(rnd.randint(1, 4))), "page": rnd.randint(1, 50)}
    elif kind == 1:
        q = {"name": rnd.choice(apos), "sort": rnd.choice(["name", "-date", "price"]), "order": rnd.choice(["asc", "desc"])}
    elif kind == 2:
        q = {"id": rnd.randint(1, 10**9), "ref": rnd.choice(plain).lower()}
    elif kind == 3:
        q = {"from": "2024-%02d-%02d" % (rnd.randint(1, 12), rnd.randint(1, 28)), "to": "2025-01-01", "range": "1-2"}
    elif kind == 4:
        q = {"email": "%s.%s@example.com" % (rnd.choice(plain).lower(), rnd.choice(plain).lower())}
    elif kind == 5:
        q = {"next": "https://example.com/%s/%s?x=%d" % (rnd.choice(plain), rnd.choice(plain), rnd.randint(1, 99))}
    elif kind == 6:
        q = {"filter": '{"status": "%s", "limit": %d}' % (rnd.choice(plain), rnd.randint(1, 100))}
    elif kind == 7:
        q = {"comment": " ".join(rnd.choice(apos + plain) for _ in range(rnd.randint(3, 12)))}
    elif kind == 8:
        q = {"utm_source": "newsletter", "utm_campaign": rnd.choice(plain), "lang": "en-US"}
    else:
        q = {"title": "%s's %s and %s" % (rnd.choice(plain), rnd.choice(plain), rnd.choice(plain)),
             "price": "%d.%02d" % (rnd.randint(1, 999), rnd.randint(0, 99))}
    traffic.append(urllib.parse.urlencode(q))

with open(sys.argv[1], "w") as f:
    for s in look:
        s = s.replace("\n", " ")
        f.write(s + "\n")
with open(sys.argv[2], "w") as f:
    for s in traffic:
        f.write(s + "\n")
print(len(look), len(traffic))
