#!/usr/bin/env python3
"""prom_query.py FILE NAME [LABEL=VALUE ...]: parses FILE, a scrape of
/v1/metrics, with prometheus_client's text parser (the reference parser) and
prints the value of the one sample named NAME whose labels include every
LABEL=VALUE given. Exit 1, saying why, when the text does not parse or no
sample or more than one matches.

prom_query.py FILE --check: only parses FILE; prints how many families and
samples it holds."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    path, name = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        print(f"{path} does not parse: {e}", file=sys.stderr)
        return 1
    if name == "--check":
        print(f"{len(families)} families, {sum(len(f.samples) for f in families)} samples")
        return 0
    want = dict(arg.split("=", 1) for arg in sys.argv[3:])
    found = [s for f in families for s in f.samples
             if s.name == name and all(s.labels.get(k) == v for k, v in want.items())]
    if len(found) != 1:
        print(f"{len(found)} samples of {name} match {want}", file=sys.stderr)
        return 1
    print(repr(found[0].value) if found[0].value != int(found[0].value) else int(found[0].value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
