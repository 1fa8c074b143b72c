"""Croissant 1.1 (MLCommons) JSON-LD for the published package, so dataset search engines find it and
ML tools (`mlcroissant`, TFDS, Hugging Face) load its tables.

Made from the published descriptor alone: every download is a `cr:FileObject` with the sha256 the
export recorded, every table and view a `cr:RecordSet` whose fields read its CSV's columns, with the
primary key as `key`. Addresses are relative to where the JSON sits
(`base`) unless the site's address is known: mlcroissant resolves a relative `contentUrl` against the
folder of the file it loads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from builder.common import clock
from builder.outputs import cite

FILE_NAME = "croissant.json"
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
WEB_ADDRESS = re.compile(r"^https?://[^\s<>\"']+$")  # a licence named by a link only if it is http(s)

# The standard 1.1 @context, as mlcroissant writes it (a different one makes it warn).
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
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

# Table Schema types as Croissant reads them; anything else (object, array, duration, geo…) is text.
DATA_TYPES = {
    "string": "sc:Text",
    "integer": "sc:Integer",
    "number": "sc:Float",
    "boolean": "sc:Boolean",
    "date": "sc:Date",
    "datetime": "sc:DateTime",
    "time": "sc:Time",
    "year": "sc:Integer",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sqlite": "application/vnd.sqlite3",
    "zip": "application/zip",
}


def data_type(field: dict) -> str:
    if field.get("type", "string") == "string" and field.get("format") == "uri":
        return "sc:URL"
    return DATA_TYPES.get(field.get("type", "string"), "sc:Text")


def file_object(entry: dict, base: str) -> dict:
    """A download as a FileObject; its @id is its path, unique within the package."""
    return {
        "@type": "cr:FileObject",
        "@id": entry["path"],
        "name": entry["path"],
        "contentUrl": base + entry["path"],
        "encodingFormat": MEDIA_TYPES.get(entry["format"], "application/octet-stream"),
        "contentSize": f"{entry['bytes']} B",
        "sha256": entry["hash"].removeprefix("sha256:"),
    }


def as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value or [])


def record_set(resource: dict) -> dict:
    """A table or view's rows, read from its CSV column by column.

    Foreign keys are not written as Croissant `references`: mlcroissant 1.1.1 reads a reference as a
    join to do before reading the rows, and stops on ours (a cycle for a table that refers to itself,
    "'generator' object has no attribute 'columns'" for a plain one). datapackage.json keeps them.
    """
    name = resource["name"]
    schema = resource.get("schema", {})
    columns = []
    for field in schema.get("fields", []):
        column = {
            "@type": "cr:Field",
            "@id": f"{name}/{field['name']}",
            "name": field["name"],
            "description": field.get("description") or field.get("title") or field["name"],
            "dataType": data_type(field),
            "source": {"fileObject": {"@id": resource["path"]}, "extract": {"column": field["name"]}},
        }
        columns.append(column)
    entry = {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": resource.get("description") or resource.get("title") or name,
        "field": columns,
    }
    key = as_list(schema.get("primaryKey"))
    if key:
        entry["key"] = [{"@id": f"{name}/{column}"} for column in key]
    return entry


def document(published: dict, *, base: str = "", site_url: str = "") -> dict:
    """The Croissant JSON-LD for the published descriptor (export's, with downloads and hashes)."""
    name = published.get("name", "package")
    title = published.get("title") or name
    version = str(published.get("version", "0.0.0"))
    licences = [
        lic.get("path") if WEB_ADDRESS.match(str(lic.get("path") or "")) else lic.get("name")
        for lic in published.get("licenses", [])
    ]
    # The data's own date when the descriptor has one (`created`), else the build's (SOURCE_DATE_EPOCH).
    created = str(published.get("created") or "")[:10] or f"{clock.build_time():%Y-%m-%d}"
    downloads = [entry for resource in published["resources"] for entry in resource.get("downloads", [])]
    # Not itself, and not the zip: a build of a released version swaps in the release's own zip after export.
    downloads += [entry for entry in published.get("downloads", []) if entry["format"] not in ("zip", "jsonld")]
    data = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": title,
        "alternateName": name,
        "description": published.get("description") or title,
        "version": version,
        "datePublished": created,
        "license": [licence for licence in licences if licence],
        "creator": [{"@type": "sc:Organization", "name": author} for author in cite.authors(published)],
        "keywords": list(published.get("keywords", [])),
        "citeAs": cite.bibtex(
            f"{name}-{version}",
            author=" and ".join(cite.authors(published)),
            title=title,
            container=title,
            version=version,
            year=int(created[:4]),
            url=site_url or name,
            page=site_url or name,
        ),
        "distribution": [file_object(entry, base) for entry in downloads],
        "recordSet": [record_set(resource) for resource in published["resources"]],
    }
    if site_url:
        data["url"] = site_url
    return data


def write(published: dict, dist: Path, site_url: str = "") -> Path:
    """croissant.json beside the downloads it describes (relative addresses unless the site's is known)."""
    path = dist / FILE_NAME
    base = f"{site_url}downloads/" if site_url else ""
    text = json.dumps(document(published, base=base, site_url=site_url), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path
