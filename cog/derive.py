#!/usr/bin/env python3
"""Derives Guichet's compact copy of the official geographic code (COG) from the npm package
@etalab/decoupage-administratif (see cog/README.md).

Usage: python3 cog/derive.py PACKAGE_DIR [OUTPUT_DIR]
  PACKAGE_DIR: the unpacked package (the folder holding data/communes.json), e.g. from
               `npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-*.tgz`
  OUTPUT_DIR:  where to write the .tsv files (default: this script's folder)

Writes four tab-separated files, sorted by code, with a header line, UTF-8, LF line ends:
  communes.tsv     insee, name, postcodes (space-separated), population, department, region, epci
  epci.tsv         siren, name, population
  departements.tsv code, name, region
  regions.tsv      code, name
The output depends only on the input: running it twice gives the same bytes.
"""

import json
import os
import sys


def load(package, name):
    with open(os.path.join(package, "data", name), encoding="utf-8") as f:
        return json.load(f)


def clean(text):
    # A tab or a newline would break the format; the source holds none, and must not.
    if any(c in str(text) for c in "\t\r\n"):
        raise SystemExit(f"unexpected tab or newline in {text!r}")
    return str(text)


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(clean(v) for v in row) + "\n")


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    package = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(package, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("name") != "@etalab/decoupage-administratif":
        raise SystemExit(f"{package} is not @etalab/decoupage-administratif")

    epcis = load(package, "epci.json")
    epci_of = {}
    for epci in epcis:
        for member in epci["membres"]:
            if member["code"] in epci_of:
                raise SystemExit(f"commune {member['code']} is in two EPCI")
            epci_of[member["code"]] = epci["code"]

    communes = [c for c in load(package, "communes.json") if c["type"] == "commune-actuelle"]
    write(
        os.path.join(out, "communes.tsv"),
        ["insee", "name", "postcodes", "population", "department", "region", "epci"],
        sorted(
            (
                c["code"],
                c["nom"],
                " ".join(sorted(c.get("codesPostaux", []))),
                c.get("population", ""),
                c["departement"],
                c.get("region", ""),
                epci_of.get(c["code"], ""),
            )
            for c in communes
        ),
    )
    write(
        os.path.join(out, "epci.tsv"),
        ["siren", "name", "population"],
        sorted((e["code"], e["nom"], e["populationMunicipale"]) for e in epcis),
    )
    write(
        os.path.join(out, "departements.tsv"),
        ["code", "name", "region"],
        sorted((d["code"], d["nom"], d["region"]) for d in load(package, "departements.json")),
    )
    write(
        os.path.join(out, "regions.tsv"),
        ["code", "name"],
        sorted((r["code"], r["nom"]) for r in load(package, "regions.json")),
    )
    print(f"{len(communes)} communes, {len(epcis)} EPCI from {meta['name']} {meta['version']}")


if __name__ == "__main__":
    main()
