"""One-off: convert Natural Earth's world outline (npm package ``world-atlas``, TopoJSON at
1:110m, countries keyed by ISO 3166-1 numeric codes) into the GeoJSON the reports draw their
world map from, ``data/world_110m.geojson``, keyed by ISO3.

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip install pycountry   # ISO 3166-1 numeric -> alpha-3 (only for this step)
    python benchmarks/oneoff/world_outline.py /tmp/package/countries-110m.json

Each feature's ``id`` is the ISO3 code; the three territories without an ISO code in the
outline (N. Cyprus, Somaliland, Kosovo) get ``id`` ``_`` + their name, so that they are drawn
as land but never matched to a state. Antarctica is left out (no votes, much area).
Coordinates are rounded to 0.01 degree (about 1 km, far below the outline's own precision).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[2] / "data" / "world_110m.geojson"
DROP = {"ATA"}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute coordinates of every arc (TopoJSON's arcs are quantised and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * sx + tx, 2), round(y * sy + ty, 2)))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """One closed ring from its arcs (a negative index ~i is arc i reversed); the first point
    of each arc after the first repeats the last of the one before."""
    points: list[tuple[float, float]] = []
    for i in indices:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    # Rounding can repeat a point: drop repeats, keep the ring closed.
    out = [points[0]]
    for p in points[1:]:
        if p != out[-1]:
            out.append(p)
    if out[-1] != out[0]:
        out.append(out[0])
    return [list(p) for p in out]


def polygon(rings: list[list[int]], arcs: list) -> list[list[list[float]]]:
    return [r for r in (ring(x, arcs) for x in rings) if len(r) >= 4]


def iso3(numeric: str | None, name: str) -> str:
    if numeric is None:
        return "_" + name
    found = pycountry.countries.get(numeric=numeric.zfill(3))
    if found is None:
        raise SystemExit(f"no ISO 3166-1 country has numeric code {numeric} ({name})")
    return found.alpha_3


def convert(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    features = []
    for g in topology["objects"]["countries"]["geometries"]:
        key = iso3(g.get("id"), g["properties"]["name"])
        if key in DROP:
            continue
        if g["type"] == "Polygon":
            geometry = {"type": "Polygon", "coordinates": polygon(g["arcs"], arcs)}
        else:
            parts = [p for p in (polygon(rs, arcs) for rs in g["arcs"]) if p]
            geometry = {"type": "MultiPolygon", "coordinates": parts}
        features.append(
            {"type": "Feature", "id": key, "properties": {"name": g["properties"]["name"]},
             "geometry": geometry}
        )  # fmt: skip
    features.sort(key=lambda f: f["id"])
    return {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:110m Admin 0 countries, version 4.1.0 (public domain), "
        "via the npm package world-atlas 2.0.2 (ISC licence, Michael Bostock); keyed by ISO3 "
        "by benchmarks/oneoff/world_outline.py",
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas's countries-110m.json")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    result = convert(json.loads(args.topojson.read_text()))
    args.output.write_text(json.dumps(result, separators=(",", ":")) + "\n")
    print(
        f"{args.output}: {len(result['features'])} features, {args.output.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
