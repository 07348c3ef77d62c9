#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's own fixtures and examples.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/load corpus/config corpus/dockerfile
while IFS= read -r f; do
    case "$(basename "$f")" in
        palisade*.yaml) dest=corpus/config ;;
        *) dest=corpus/load ;;
    esac
    cp "$f" "$dest/$(echo "${f#../}" | tr '/' '_')"
done < <(find ../crates/palisade-checks/tests/fixtures ../examples -name '*.yaml')
# Dockerfile fixtures and the examples' Dockerfiles.
while IFS= read -r f; do
    cp "$f" "corpus/dockerfile/$(echo "${f#../}" | tr '/' '_')"
done < <(find ../crates/palisade-checks/tests/fixtures ../examples -name '*Dockerfile')
echo "seeded: $(ls corpus/load | wc -l) load, $(ls corpus/config | wc -l) config, $(ls corpus/dockerfile | wc -l) dockerfile"
