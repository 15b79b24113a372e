"""A state-school file (seed 003 §2.4.1, header `codice_fiscale`) of N CFs taken from a generated
registry's assistiti.csv: every k-th assistito, so alive, deceased, emigrated and people without
an MMG are all in it in the registry's proportions, plus 1% of CFs the registry does not know
(valid format, made by changing a real CF's birth place). Deterministic: the same registry
gives the same file.

    python3 staff_file.py ASSISTITI_CSV OUT_CSV N
"""

import csv
import sys

ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]


def value(ch):
    return int(ch) if ch.isdigit() else ord(ch) - ord("A")


def check_char(first15):
    total = 0
    for i, ch in enumerate(first15):
        total += ODD[value(ch)] if i % 2 == 0 else value(ch)
    return chr(ord("A") + total % 26)


def unknown(cf):
    """The same person born in a municipality code no generated registry uses (Z999)."""
    base = cf[:11] + "Z999"
    return base + check_char(base)


def main():
    source, out, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(source, newline="", encoding="utf-8") as f:
        total = sum(1 for _ in f) - 1
    step = max(1, total // wanted)
    written = 0
    with open(source, newline="", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        rows = csv.reader(f, delimiter=";")
        next(rows)
        o.write("codice_fiscale\n")
        for i, row in enumerate(rows):
            if i % step or written >= wanted:
                continue
            cf = row[0]
            o.write((unknown(cf) if written % 100 == 99 else cf) + "\n")
            written += 1
    print(f"{out}: {written} CFs (every {step}th of {total} assistiti, 1% unknown)")


if __name__ == "__main__":
    main()
