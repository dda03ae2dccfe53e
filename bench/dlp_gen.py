#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Inputs for bench/dlp.sh.

    dlp_gen.py cards OUT N      N valid numbers per brand and length, each in
                                every grouping (none, spaces, dashes), one a
                                line between words ("card X ok"); prints the count
    dlp_gen.py random OUT N     N random digit strings, one a line (see below)
    dlp_gen.py random16 OUT N   N uniformly random 16-digit strings, one a line

Random digit strings: the length uniform in 1..40, every digit uniform, the
first may be 0; each on its own line, so each is one run of digits. A run
of 13-19 digits that happens to have a brand's prefix and a valid Luhn
digit IS a card number by every definition the detector has, so a share of
them is flagged by construction; random16 measures that floor for the
length where it is highest.
"""
import random
import sys

rnd = random.Random(1616)
BRANDS = {
    "visa": (["4"], [13, 16, 19]),
    "mastercard": (["51", "52", "53", "54", "55"] + [str(p) for p in range(2221, 2721)], [16]),
    "amex": (["34", "37"], [15]),
    "discover": (["6011", "65"] + [str(p) for p in range(644, 650)], [16, 19]),
    "jcb": ([str(p) for p in range(3528, 3590)], [16, 19]),
    "diners": (["300", "301", "302", "303", "304", "305", "36", "38", "39"], [14, 16]),
    "unionpay": (["62"], [16, 17, 18, 19]),
}
GROUPS = {13: [4, 4, 5], 14: [4, 6, 4], 15: [4, 6, 5], 16: [4, 4, 4, 4], 19: [4, 4, 4, 4, 3]}


def luhn_digit(body):
    s = 0
    for i, c in enumerate(reversed(body)):
        v = int(c)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        s += v
    return str((10 - s % 10) % 10)


def card(prefixes, n):
    while True:
        p = rnd.choice(prefixes)
        body = p + "".join(rnd.choice("0123456789") for _ in range(n - 1 - len(p)))
        num = body + luhn_digit(body)
        # UnionPay's 622126-622925 belongs to Discover's range too; fine either way.
        return num


def main():
    mode, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    count = 0
    with open(out, "w") as f:
        if mode == "cards":
            for brand, (prefixes, lengths) in BRANDS.items():
                for ln in lengths:
                    for _ in range(n):
                        num = card(prefixes, ln)
                        forms = [num]
                        if ln in GROUPS:
                            parts, i = [], 0
                            for g in GROUPS[ln]:
                                parts.append(num[i:i + g])
                                i += g
                            forms += [" ".join(parts), "-".join(parts)]
                        for x in forms:
                            f.write("card %s ok\n" % x)
                            count += 1
        elif mode == "random":
            for _ in range(n):
                f.write("".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 40))) + "\n")
                count += 1
        else:
            for _ in range(n):
                f.write("".join(rnd.choice("0123456789") for _ in range(16)) + "\n")
                count += 1
    print(count)


main()
