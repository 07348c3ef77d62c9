#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's own fixtures and examples.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/load corpus/config
while IFS= read -r f; do
    case "$(basename "$f")" in
        palisade*.yaml) dest=corpus/config ;;
        *) dest=corpus/load ;;
    esac
    cp "$f" "$dest/$(echo "${f#../}" | tr '/' '_')"
done < <(find ../crates/palisade-checks/tests/fixtures ../examples -name '*.yaml')
echo "seeded: $(ls corpus/load | wc -l) load, $(ls corpus/config | wc -l) config"
