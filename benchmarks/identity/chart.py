"""Tongzhou's resolver against Splink, as a chart: F1, time and peak memory per data set.

    python -m benchmarks.identity.chart --ours febrl4=A.json synthetic_100k=B.json ... \\
        --splink febrl4=C.json synthetic_100k=D.json ... -o identity.svg

Reads the JSON files that `benchmarks.identity.run --json` and `benchmarks.identity.splink_baseline
--json` write, and draws one SVG (no plotting library needed) with three panels of paired bars.
Times are the linkage itself (data generation excluded); memory is the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
from html import escape
from pathlib import Path

COLOURS = {"Tongzhou": "#2f6db5", "Splink": "#d9822b"}
# Title, key, format, and where the axis starts: F1 from 0.95, so the differences show.
PANELS = (
    ("F1 (pairwise; axis from 0.95)", "f1", "{:.4f}", 0.95),
    ("time (s)", "seconds", "{:.1f}", 0.0),
    ("peak memory (MiB)", "mib", "{:.0f}", 0.0),
)
WIDTH, PANEL_H, MARGIN = 760, 190, 40


def ours(path: Path) -> dict[str, float]:
    data = json.loads(path.read_text())
    return {"f1": data["f1"], "seconds": data.get("seconds_linkage_total", data.get("seconds_wall")),
            "mib": data["peak_rss_mib"]}  # fmt: skip


def splink(path: Path) -> dict[str, float]:
    data = json.loads(path.read_text())
    rss = data["peak_rss_mib"]
    return {"f1": data["at_0_5"]["f1"], "seconds": data["splink_total_s"],
            "mib": rss["total"] if isinstance(rss, dict) else rss}  # fmt: skip


def _pairs(values: list[str]) -> dict[str, Path]:
    return {name: Path(path) for name, path in (v.split("=", 1) for v in values)}


def svg(results: dict[str, dict[str, dict[str, float]]]) -> str:
    datasets = list(next(iter(results.values())))
    height = MARGIN + len(PANELS) * (PANEL_H + MARGIN) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>']  # fmt: skip
    x = 20
    for tool, colour in COLOURS.items():
        out.append(
            f'<rect x="{x}" y="12" width="12" height="12" fill="{colour}"/><text x="{x + 18}" y="22">{tool}</text>'
        )
        x += 110
    group_w = (WIDTH - 2 * MARGIN) / len(datasets)
    bar_w = group_w / 4
    for index, (title, key, fmt, floor) in enumerate(PANELS):
        top = MARGIN + index * (PANEL_H + MARGIN)
        base = top + PANEL_H - 20
        peak = max(results[tool][d][key] for tool in results for d in datasets) or 1
        out.append(f'<text x="{MARGIN}" y="{top + 4}" font-weight="bold">{escape(title)}</text>')
        out.append(f'<line x1="{MARGIN}" y1="{base}" x2="{WIDTH - MARGIN}" y2="{base}" stroke="#888"/>')
        for d_index, dataset in enumerate(datasets):
            left = MARGIN + d_index * group_w + bar_w / 2
            for t_index, tool in enumerate(results):
                value = results[tool][dataset][key]
                h = (PANEL_H - 50) * max(0.0, value - floor) / max(peak - floor, 1e-9)
                bx = left + t_index * (bar_w + 6)
                out.append(f'<rect x="{bx:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                           f'fill="{COLOURS[tool]}"/>')  # fmt: skip
                out.append(f'<text x="{bx + bar_w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
                           f'font-size="10">{fmt.format(value)}</text>')  # fmt: skip
            out.append(
                f'<text x="{left + bar_w + 3:.1f}" y="{base + 14}" text-anchor="middle">{escape(dataset)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", nargs="+", required=True, help="dataset=path of benchmarks.identity.run --json")
    parser.add_argument("--splink", nargs="+", required=True, help="dataset=path of splink_baseline --json")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    ours_paths, splink_paths = _pairs(args.ours), _pairs(args.splink)
    results = {
        "Tongzhou": {name: ours(path) for name, path in ours_paths.items()},
        "Splink": {name: splink(splink_paths[name]) for name in ours_paths},
    }
    args.output.write_text(svg(results))
    for name in ours_paths:
        row = "  ".join(f"{tool} F1 {results[tool][name]['f1']:.4f} {results[tool][name]['seconds']:.1f} s "
                        f"{results[tool][name]['mib']:.0f} MiB" for tool in results)  # fmt: skip
        print(f"{name:16} {row}")
    print(f"chart: {args.output}")


if __name__ == "__main__":
    main()
