#!/usr/bin/env python3
# Collects bench/run's hyperfine rounds and counters into records, and prints them as a table or Markdown.
# SPDX-License-Identifier: Apache-2.0
"""Usage:
  results.py add STATE ID GROUP TITLE NOTE       one measurement: STATE/h/ID.*.json rounds, STATE/rss/ID.<i>
  results.py counters STATE ID GROUP TITLE JSON  one cost-growth record (counter deltas as a JSON object)
  results.py skip STATE ID GROUP TITLE REASON    a measurement that could not run, and why
  results.py finish STATE OUT.json [--markdown]  writes OUT.json and prints the table
  results.py table OUT.json [--markdown]         prints the table of an earlier run
  results.py doc OUT.json DOC.md                 puts the run's machine and Markdown table into DOC.md, between
                                                 the lines <!-- bench:begin --> and <!-- bench:end -->
"""
import glob
import json
import os
import statistics
import sys


def load_records(state):
    path = os.path.join(state, "records.json")
    return json.load(open(path)) if os.path.exists(path) else []


def save_records(state, records):
    json.dump(records, open(os.path.join(state, "records.json"), "w"), indent=1)


def add(state, ident, group, title, note):
    labels = open(os.path.join(state, "labels", ident)).read().splitlines()
    times = {label: [] for label in labels}
    rounds = sorted(glob.glob(os.path.join(state, "h", f"{ident}.r*.json")))
    warmup_only = not rounds
    if warmup_only:  # a command too slow to repeat: its one (warm-up) run is the measurement
        rounds = glob.glob(os.path.join(state, "h", f"{ident}.w.json"))
    for path in rounds:
        for result in json.load(open(path))["results"]:
            times[result["command"]].extend(result["times"])
    commands = []
    for index, label in enumerate(labels):
        values = times[label]
        rss_path = os.path.join(state, "rss", f"{ident}.{index}")
        rss_kib = None
        if os.path.exists(rss_path):
            lines = [line for line in open(rss_path).read().split() if line.isdigit()]
            rss_kib = int(lines[-1]) if lines else None
        commands.append({
            "label": label,
            "runs": len(values),
            "median_s": statistics.median(values),
            "min_s": min(values),
            "max_s": max(values),
            "times_s": values,
            "peak_rss_kib": rss_kib,
        })
    base = commands[-1]["median_s"] if len(commands) == 2 else None
    record = {"id": ident, "group": group, "title": title, "note": note, "warmup": not warmup_only,
              "commands": commands}
    if base:
        record["ratio"] = commands[0]["median_s"] / base
        record["ratio_of"] = f"{commands[0]['label']} / {commands[1]['label']}"
    records = load_records(state)
    records.append(record)
    save_records(state, records)
    print(format_record(record, markdown=False))
    sys.stdout.flush()


def counters(state, ident, group, title, values):
    records = load_records(state)
    records.append({"id": ident, "group": group, "title": title, "counters": json.loads(values)})
    save_records(state, records)
    print(format_record(records[-1], markdown=False))


def skip(state, ident, group, title, reason):
    records = load_records(state)
    records.append({"id": ident, "group": group, "title": title, "skipped": reason})
    save_records(state, records)
    print(format_record(records[-1], markdown=False))


def ms(seconds):
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:.0f}"


def format_record(record, markdown):
    rows = []
    if "skipped" in record:
        rows.append([record["title"], "", "skipped: " + record["skipped"], "", "", "", "", "", ""])
    elif "counters" in record:
        text = ", ".join(f"{key} {value}" for key, value in record["counters"].items())
        rows.append([record["title"], "", text, "", "", "", "", "", ""])
    else:
        for index, command in enumerate(record["commands"]):
            rss = command["peak_rss_kib"]
            ratio = f"{record['ratio']:.3g}x" if index == 0 and "ratio" in record else ""
            runs = str(command["runs"]) + ("" if record["warmup"] else " (no warm-up)")
            rows.append([record["title"] if index == 0 else "", command["label"], ms(command["median_s"]),
                         ms(command["min_s"]), ms(command["max_s"]), runs,
                         f"{rss / 1024:.1f}" if rss else "?", ratio, record["note"] if index == 0 else ""])
    if markdown:
        return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
    return "\n".join(f"{row[0][:44]:44} {row[1][:40]:40} {row[2]:>9} {row[3]:>9} {row[4]:>9} {row[5]:>6} "
                     f"{row[6]:>7} {row[7]:>7} {row[8]}".rstrip() for row in rows)


HEADER = ["measurement", "command", "median ms", "min ms", "max ms", "runs", "peak RSS MiB", "ratio", "note"]


def table(document, markdown):
    lines = []
    group = None
    for record in document["records"]:
        if record["group"] != group:
            group = record["group"]
            if markdown:
                lines += ["", f"**{group}**", "", "| " + " | ".join(HEADER) + " |",
                          "|" + "|".join("---" for _ in HEADER) + "|"]
            else:
                lines += ["", f"== {group}", f"{'measurement':44} {'command':40} {'median ms':>9} {'min ms':>9} "
                          f"{'max ms':>9} {'runs':>6} {'RSS MiB':>7} {'ratio':>7} note"]
        lines.append(format_record(record, markdown))
    return "\n".join(lines)


def main():
    verb = sys.argv[1]
    if verb == "add":
        add(*sys.argv[2:7])
    elif verb == "counters":
        counters(*sys.argv[2:7])
    elif verb == "skip":
        skip(*sys.argv[2:7])
    elif verb == "finish":
        state, out = sys.argv[2], sys.argv[3]
        machine = json.load(open(os.path.join(state, "machine.json")))
        document = {"machine": machine, "records": load_records(state)}
        json.dump(document, open(out, "w"), indent=1)
        print(table(document, "--markdown" in sys.argv))
    elif verb == "doc":
        document = json.load(open(sys.argv[2]))
        text = open(sys.argv[3]).read()
        begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        machine = document["machine"]
        summary = (f"Run of {machine['date']} on commit {machine['host_commit']}: {machine['nproc']} cores "
                   f"({machine['cpu']}), {machine['ram_gib']} GiB RAM, load average at start "
                   f"{machine['load_at_start']}; options {json.dumps(machine['options'])}; "
                   + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".")
        open(sys.argv[3], "w").write(head + begin + "\n" + summary + "\n" + table(document, True) + "\n" + end + tail)
    elif verb == "table":
        print(table(json.load(open(sys.argv[2])), "--markdown" in sys.argv))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
