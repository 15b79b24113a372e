"""Medians of the interleaved runs run.sh made (wall time and peak RSS from `/usr/bin/time -v`),
the ratios, and a check that DuckDB's counts equal tsgate's statistic (`tsgate stats miur`).

    python3 summary.py WORKDIR RUNS
"""

import statistics
import sys
from pathlib import Path


def measured(path):
    wall = rss = None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            clock = line.rsplit(" ", 1)[1].split(":")
            wall = sum(float(part) * 60 ** i for i, part in enumerate(reversed(clock)))
        elif line.startswith("Maximum resident set size"):
            rss = int(line.rsplit(" ", 1)[1]) / 1024
    return wall, rss


def tsgate_counts(path):
    counts, validated = [], None
    for line in Path(path).read_text().splitlines()[1:]:
        f = line.split(";")
        if f[0] != "statali":
            continue
        if f[2] == "totale":
            validated = int(f[5])
        elif f[2] == "asl":
            counts.append(f"{f[3]};{f[4]};{f[6]};{f[7]}")
    return [f"validati;{validated}"] + counts


def main():
    work, runs = Path(sys.argv[1]), int(sys.argv[2])
    print(f"{'what':<40} {'median s':>9} {'runs s':>24} {'median peak RSS MB':>19}")
    medians = {}
    for name in ["tsgate", "duckdb-csv", "duckdb-table", "tsgate-small", "tsgate-large"]:
        files = [work / f"{name}-{i}.time" for i in range(1, runs + 1)]
        files = [f for f in files if f.exists()]
        if not files:
            continue
        walls, rsss = zip(*(measured(f) for f in files))
        medians[name] = (statistics.median(walls), statistics.median(rsss))
        runs_text = " ".join(f"{w:.1f}" for w in walls)
        print(f"{name:<40} {medians[name][0]:>9.1f} {runs_text:>24} {medians[name][1]:>19.0f}")
    for other in ["duckdb-csv", "duckdb-table"]:
        if "tsgate" in medians and other in medians:
            ratio = medians["tsgate"][0] / medians[other][0]
            print(f"time tsgate / {other}: {ratio:.2f}")
    expected = tsgate_counts(work / "tsgate-stats.csv")
    for i in range(1, runs + 1):
        for name in ["duckdb-csv", "duckdb-table"]:
            out = work / f"{name}-{i}.out"
            if out.exists():
                got = out.read_text().split()
                status = "equal" if got == expected else "DIFFERENT"
                print(f"{name} run {i}: counts {status} to tsgate's ({len(expected) - 1} ASLs)")


if __name__ == "__main__":
    main()
