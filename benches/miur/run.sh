#!/usr/bin/env bash
# The MIUR figure of README "Performance": 1M state-school CFs against the 10M-assistiti
# generated registry. tsgate (`miur import --kind statali`: validate, stage, count, record the
# statistic, replace the list, delete the rest) against DuckDB computing the same counts from
# the same CSV files (and, apart, from a DuckDB table holding the registry), run alternately
# RUNS times on this machine; wall time and peak RSS by /usr/bin/time -v, medians by summary.py,
# which also checks DuckDB's counts equal tsgate's statistic. Then tsgate's peak memory for a
# smaller and a larger file.
#
#   cargo build --release && pip install duckdb
#   benches/miur/run.sh             # MIUR_BENCH_DIR (default /tmp/miur-bench), RUNS (default 3)
#
# ASSISTITI (default 10000000) and STAFF (default 1000000) scale it down for a quick check of
# the scripts (TSGATE_BIN names another binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${TSGATE_BIN:-$here/../../target/release/tsgate}
work=${MIUR_BENCH_DIR:-/tmp/miur-bench}
runs=${RUNS:-3}
assistiti=${ASSISTITI:-10000000}
staff_rows=${STAFF:-1000000}
mkdir -p "$work/db"
reg=$work/registry-$assistiti
staff=$work/staff-$staff_rows.csv
timed() { local name=$1; shift; /usr/bin/time -v -o "$work/$name.time" "$@"; }

[ -f "$reg/assistiti.csv" ] || timed generate "$bin" registry generate --assistiti "$assistiti" --out "$reg"
[ -f "$staff" ] || python3 "$here/staff_file.py" "$reg/assistiti.csv" "$staff" "$staff_rows"
[ -f "$work/db/tsgate.db" ] || timed registry-import "$bin" registry import --dir "$work/db" --from "$reg"
[ -f "$work/registry.duckdb" ] || timed duckdb-load python3 "$here/duckdb_counts.py" load "$reg/assistiti.csv" "$work/registry.duckdb"

# Each measured import sends again the file the previous one sent, as the Ministry does daily
# (the first import of a file writes its whole list: see the README).
"$bin" miur import --dir "$work/db" --kind statali "$staff" > /dev/null 2>&1
for i in $(seq 1 "$runs"); do
    timed "tsgate-$i" "$bin" miur import --dir "$work/db" --kind statali "$staff" > "$work/tsgate-$i.out" 2>&1
    timed "duckdb-csv-$i" python3 "$here/duckdb_counts.py" csv "$reg/assistiti.csv" "$staff" > "$work/duckdb-csv-$i.out"
    timed "duckdb-table-$i" python3 "$here/duckdb_counts.py" table "$work/registry.duckdb" "$staff" > "$work/duckdb-table-$i.out"
done
"$bin" stats miur --dir "$work/db" > "$work/tsgate-stats.csv"
# Memory against file size: the generator's ~157,000-row staff file and a 3,333,333-row one
# (every third assistito), same registry, each sent once unmeasured and then RUNS times.
large=$work/staff-3333333.csv
[ -f "$large" ] || python3 "$here/staff_file.py" "$reg/assistiti.csv" "$large" 3333333
for size in small:"$reg/personale-statali.csv" large:"$large"; do
    "$bin" miur import --dir "$work/db" --kind statali "${size#*:}" > /dev/null 2>&1
    for i in $(seq 1 "$runs"); do
        timed "tsgate-${size%%:*}-$i" "$bin" miur import --dir "$work/db" --kind statali "${size#*:}" > /dev/null 2>&1
    done
done
# Leave the 1M list in place, as the measured runs did.
"$bin" miur import --dir "$work/db" --kind statali "$staff" > /dev/null 2>&1
python3 "$here/summary.py" "$work" "$runs"
