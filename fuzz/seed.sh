#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's own fixtures and examples.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/load corpus/config corpus/dockerfile corpus/secrets
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
# The secrets detector takes "NAME\nVALUE": seed it with the secrets fixtures (their first
# line is a comment, a fine name) and a few pairs of the shapes it judges.
cp ../crates/palisade-checks/tests/fixtures/PAL-SECRET-00*/*.yaml corpus/secrets/ 2>/dev/null || true
i=0
for pair in 'DB_PASSWORD\nhunter2' 'AWS_SECRET_ACCESS_KEY\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' \
    'Authorization\nBasic dXNlcjpFWEFNUExF' '\n--db-password=x -H "Authorization: Bearer EXAMPLEEXAMPLE0000"' \
    'app.properties\ndb.url=postgres://u:p@h/x\ntoken=abc\n{"private_key": "-----BEGIN PRIVATE KEY-----"}'; do
    printf "$pair" >"corpus/secrets/pair-$i"
    i=$((i + 1))
done
echo "seeded: $(ls corpus/load | wc -l) load, $(ls corpus/config | wc -l) config, $(ls corpus/dockerfile | wc -l) dockerfile, $(ls corpus/secrets | wc -l) secrets"
