#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the SQL injection corpus bench/sqli.sh measures, from Debian's sqlmap.

    sqli_corpus.py SQLMAP_XML_DIR OUT_ATTACKS

SQLMAP_XML_DIR is sqlmap's data/xml (Debian: /usr/share/sqlmap/data/xml).
Every <test> of payloads/*.xml (its <payload>s, and its <vector> with
[INFERENCE]/[QUERY] filled in) is combined with every boundary of
boundaries.xml whose <clause> and <where> it shares, the way sqlmap's
lib/core/agent.py prefixQuery/suffixQuery/payload do it:

    where 1 (append):   ORIGINAL + prefix + " " + payload + (comment | suffix)
    where 2 (negative): "-RANDINT" + prefix + " " + payload + (comment | suffix)
    where 3 (replace):  payload + comment      (no prefix, no suffix)

(no space after the prefix when the payload starts with ';' or the prefix
ends with '(' or both sides are parentheses; the suffix is dropped when a
comment is given). UNION tests ([UNION]) are expanded for 1 to 10 columns
of NULL and of a random number. Placeholders get random values of the
shapes sqlmap uses ([RANDNUM] 4 digits, [RANDSTR] 4 letters, delimiters
'q' + 3 letters + 'q', [SLEEPTIME] 5), three draws per combination with a
fixed seed, so the corpus is the same on every run. ORIGINAL is "1" for
the numeric boundaries and a word for the string ones. Lines are the
parameter values as sqlmap sends them (before URL encoding), one a line,
deduplicated.
"""
import random
import re
import sys
import xml.etree.ElementTree as ET

rnd = random.Random(16)


def ints(s):
    out = set()
    for p in (s or "").split(","):
        p = p.strip()
        if "-" in p:
            a, b = p.split("-")
            out.update(range(int(a), int(b) + 1))
        elif p:
            out.add(int(p))
    return out


def randstr(n=4):
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))


def fill(s):
    if s is None:
        return ""
    s = s.replace("[GENERIC_SQL_COMMENT]", "-- [RANDSTR]")
    s = s.replace("[INFERENCE]", "[RANDNUM]=[RANDNUM]")
    s = s.replace("[QUERY]", "SELECT (CASE WHEN ([RANDNUM]=[RANDNUM]) THEN 1 ELSE 0 END)")
    s = s.replace("[SLEEPTIME]", "5").replace("[DELAYED]", "5")
    s = s.replace("[ORIGVALUE]", "1").replace("[ORIGINAL]", "1")
    s = s.replace("[SPACE_REPLACE]", " ").replace("[DOLLAR_REPLACE]", "$")
    s = s.replace("[AT_REPLACE]", "@").replace("[HASH_REPLACE]", "#")
    s = s.replace("[DELIMITER_START]", "q" + randstr(3).lower() + "q")
    s = s.replace("[DELIMITER_STOP]", "q" + randstr(3).lower() + "q")
    s = re.sub(r"\[RANDNUM\d?\]", lambda m: str(rnd.randint(1000, 9999)), s)
    s = re.sub(r"\[RANDSTR\d?\]", lambda m: randstr(), s)
    return s


def prefix_query(expr, prefix, where):
    if where == 3:
        q = ""
    else:
        q = prefix or ""
        if not (expr and expr[0] == ";") and not (q and q[-1] in "()" and expr and expr[0] in "()") \
                and not (q and q[-1] == "("):
            q += " "
    return q + expr


def suffix_query(expr, comment, suffix, where):
    if comment is not None:
        expr += comment
    if where == 3:
        pass
    elif suffix and comment is None:
        expr += suffix
    return expr


def main():
    xmldir, out = sys.argv[1], sys.argv[2]
    bounds = []
    for b in ET.parse(xmldir + "/boundaries.xml").getroot().iter("boundary"):
        bounds.append({
            "clause": ints(b.findtext("clause")),
            "where": ints(b.findtext("where")),
            "ptype": int(b.findtext("ptype")),
            "prefix": b.findtext("prefix") or "",
            "suffix": b.findtext("suffix") or "",
        })
    tests = []
    for name in ("boolean_blind", "error_based", "inline_query", "stacked_queries", "time_blind",
                 "union_query"):
        for t in ET.parse("%s/payloads/%s.xml" % (xmldir, name)).getroot().iter("test"):
            req = t.find("request")
            payloads = [p.text or "" for p in req.findall("payload")]
            vec = t.findtext("vector") or ""
            if vec and vec != "[UNION]":
                payloads.append(vec)
            comment = req.find("comment")
            tests.append({
                "clause": ints(t.findtext("clause")),
                "where": ints(t.findtext("where")),
                "payloads": payloads,
                "union": vec == "[UNION]",
                "char": req.findtext("char"),
                "comment": comment.text if comment is not None else None,
            })
    seen = set()
    lines = []

    def emit(s):
        if "\n" in s or s in seen:
            return
        seen.add(s)
        lines.append(s)

    for t in tests:
        payloads = t["payloads"]
        if t["union"]:
            payloads = []
            for ch in ("NULL", "[RANDNUM]"):
                for cols in range(1, 11):
                    payloads.append("UNION ALL SELECT " + ",".join([ch] * cols))
        for b in bounds:
            if not (0 in t["clause"] or 0 in b["clause"] or t["clause"] & b["clause"]):
                continue
            for where in sorted(t["where"] & b["where"]):
                for p in payloads:
                    for _ in range(3):
                        orig = "1" if b["ptype"] in (1, 6) else randstr(5).lower()
                        expr = prefix_query(fill(p), fill(b["prefix"]), where)
                        comment = fill(t["comment"]) if t["comment"] is not None else None
                        expr = suffix_query(expr, comment, fill(b["suffix"]), where)
                        if where == 1:
                            v = orig + expr
                        elif where == 2:
                            v = "-%d" % rnd.randint(1000, 9999) + expr
                        else:
                            v = expr
                        emit(v)
    with open(out, "w") as f:
        for s in lines:
            f.write(s + "\n")
    print(len(lines))


if __name__ == "__main__":
    main()
