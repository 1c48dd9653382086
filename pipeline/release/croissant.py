"""ML Commons Croissant metadata (`croissant.json`) for one release.

One FileObject per Parquet file (with its sha256) and one RecordSet per table, whose fields come
from the schema contract. Paths are relative to the release directory, so the file stays valid
wherever the release is copied. Nothing in it depends on the clock: `datePublished` is the
snapshot date.
"""

from __future__ import annotations

import json
from datetime import date

from pipeline.contract import Contract
from pipeline.data_license import CENSUS_LICENSE, DataLicense
from pipeline.release.card import HOMEPAGE, SIMULATED_NOTICE, bibtex

CROISSANT_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

# The Croissant 1.0 JSON-LD context, as the specification prints it.
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_DATA_TYPES = {
    "VARCHAR": "sc:Text",
    "JSON": "sc:Text",
    "BIGINT": "sc:Integer",
    "INTEGER": "sc:Integer",
    "DOUBLE": "sc:Float",
    "BOOLEAN": "sc:Boolean",
    "DATE": "sc:Date",
    "TIMESTAMP": "sc:DateTime",
}


def _field(table: str, file_id: str, name: str, type_name: str, description: str) -> dict:
    repeated = type_name.endswith("[]")
    field = {
        "@type": "cr:Field",
        "@id": f"{table}/{name}",
        "name": name,
        "description": description,
        "dataType": _DATA_TYPES[type_name.removesuffix("[]")],
        "source": {"fileObject": {"@id": file_id}, "extract": {"column": name}},
    }
    if repeated:
        field["repeated"] = True
    return field


def croissant_metadata(
    contract: Contract,
    release_id: str,
    snapshot_date: date,
    files: dict[str, dict],
    *,
    simulated: bool = False,
    data_license: DataLicense = CENSUS_LICENSE,
) -> dict:
    distribution = []
    record_sets = []
    for file_name, meta in sorted(files.items()):
        if "table" not in meta:
            continue
        table = contract.table(meta["table"])
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": file_name,
                "name": file_name,
                "description": f"Table `{table.name}`: {table.grain}",
                "contentUrl": file_name,
                "contentSize": f"{meta['bytes']} B",
                "encodingFormat": "application/x-parquet",
                "sha256": meta["sha256"],
            }
        )
        record_set = {
            "@type": "cr:RecordSet",
            "@id": table.name,
            "name": table.name,
            "description": f"{table.grain} {table.description}",
            "field": [
                _field(table.name, file_name, c.name, c.type, c.description) for c in table.columns
            ],
        }
        if table.unique_key:
            record_set["key"] = [{"@id": f"{table.name}/{k}"} for k in table.unique_key]
        record_sets.append(record_set)
    day = snapshot_date.isoformat()
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": f"hub-census-{day}",
        "identifier": release_id,
        "description": (
            SIMULATED_NOTICE + f" Invented models for the simulated day {day}, "
            if simulated
            else f"A census of every public model listed on the Hugging Face Hub on {day}: "
        )
        + "metadata, normalised licenses and lineage, with a quality ledger. Schema version "
        f"{contract.schema_version}.",
        "version": contract.schema_version,
        "datePublished": day,
        "license": data_license.url,
        "url": HOMEPAGE,
        "citeAs": bibtex(release_id, snapshot_date, simulated=simulated, data_license=data_license),
        "creator": {"@type": "sc:Organization", "name": "hub-census contributors"},
        "keywords": ["Hugging Face Hub", "model metadata", "model lineage", "licenses"],
        "isLiveDataset": False,
        "distribution": distribution,
        "recordSet": record_sets,
    }


def render_croissant(
    contract: Contract,
    release_id: str,
    snapshot_date: date,
    files: dict[str, dict],
    *,
    simulated: bool = False,
    data_license: DataLicense = CENSUS_LICENSE,
) -> str:
    metadata = croissant_metadata(
        contract, release_id, snapshot_date, files, simulated=simulated, data_license=data_license
    )
    return json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
