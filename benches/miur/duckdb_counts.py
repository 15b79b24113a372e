"""DuckDB computing the §2.4.1 statistic tsgate's `miur import --kind statali` computes, from
the same CSV files: the distinct CFs of the staff file found in the registry ("Numero codici
fiscali validati") and, per region and ASL of the assistito, those alive with an MMG ("con
medico") and the others found ("senza medico"). Prints the per-ASL rows as
`codice_regione;codice_asl;con_medico;senza_medico` after a `validati;N` line.

    python3 duckdb_counts.py csv ASSISTITI_CSV STAFF_CSV          # both read from CSV each run
    python3 duckdb_counts.py load ASSISTITI_CSV DB                 # the registry into a DuckDB file, once
    python3 duckdb_counts.py table DB STAFF_CSV                    # registry from that file, staff from CSV
"""

import sys

import duckdb

ASSISTITI = """read_csv('{path}', delim=';', header=true, all_varchar=true,
    columns={{'cf':'VARCHAR','nome':'VARCHAR','cognome':'VARCHAR','codice_regione':'VARCHAR',
    'codice_asl':'VARCHAR','cf_mmg':'VARCHAR','stato':'VARCHAR'}})"""
STAFF = """(SELECT DISTINCT upper(trim(codice_fiscale)) AS cf FROM read_csv('{path}', delim=';',
    header=true, columns={{'codice_fiscale':'VARCHAR'}}))"""
COUNTS = """SELECT a.codice_regione, a.codice_asl,
    count(*) FILTER (WHERE a.stato = 'vivo' AND coalesce(a.cf_mmg, '') <> '') AS con_medico,
    count(*) FILTER (WHERE NOT (a.stato = 'vivo' AND coalesce(a.cf_mmg, '') <> '')) AS senza_medico
  FROM {staff} s JOIN {assistiti} a ON a.cf = s.cf
  GROUP BY a.codice_regione, a.codice_asl ORDER BY a.codice_regione, a.codice_asl"""


def report(con, staff, assistiti):
    rows = con.execute(COUNTS.format(staff=staff, assistiti=assistiti)).fetchall()
    print(f"validati;{sum(r[2] + r[3] for r in rows)}")
    for region, asl, with_mmg, without_mmg in rows:
        print(f"{region};{asl};{with_mmg};{without_mmg}")


def main():
    mode = sys.argv[1]
    if mode == "csv":
        con = duckdb.connect()
        report(con, STAFF.format(path=sys.argv[3]), ASSISTITI.format(path=sys.argv[2]))
    elif mode == "load":
        con = duckdb.connect(sys.argv[3])
        con.execute(f"CREATE TABLE assistiti AS SELECT * FROM {ASSISTITI.format(path=sys.argv[2])}")
    elif mode == "table":
        con = duckdb.connect(sys.argv[2], read_only=True)
        report(con, STAFF.format(path=sys.argv[3]), "assistiti")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
