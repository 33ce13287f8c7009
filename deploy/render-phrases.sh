#!/usr/bin/env bash
# Renders the spoken-variable phrases (RFC 6231 <variable>) that parley-ms plays for dates,
# times and digits: each name<TAB>text line of the phrase list becomes
# <media-root>/phrases/en-US/<name>.wav, 8 kHz mono 16-bit PCM, spoken by espeak-ng.
#
#   deploy/render-phrases.sh <media-root> [phrase-list.tsv [subdir]]
#
# subdir (default phrases/en-US) is where under the media root the WAVs go; the focus's
# prompts (deploy/prompts/en-US.tsv) go to prompts/en-US through deploy/render-prompts.sh.
#
# Idempotent: a WAV newer than the list is kept. Needs espeak-ng and sox.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 <media-root> [phrase-list.tsv [subdir]]" >&2
    exit 2
fi
root="$1"
tsv="${2:-$here/phrases/en-US.tsv}"

for tool in espeak-ng sox; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$0: $tool is not installed (Debian: apt-get install espeak-ng sox)" >&2
        exit 1
    fi
done
if [[ ! -r "$tsv" ]]; then
    echo "$0: cannot read phrase list $tsv" >&2
    exit 1
fi

subdir="${3:-phrases/en-US}"
if [[ "$subdir" == /* || "$subdir" == *..* ]]; then
    echo "$0: subdir must be relative to the media root, without '..'" >&2
    exit 2
fi
out="$root/$subdir"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# render <name> <text>: espeak-ng to a WAV at its own rate, then sox to 8 kHz mono PCM16;
# written under a temporary name and moved into place so a reader never sees half a file.
render() {
    local name="$1" text="$2"
    local raw="$work/$name.raw.wav" tmp="$work/$name.wav"
    espeak-ng -v en-us -w "$raw" -- "$text"
    sox -q "$raw" -r 8000 -c 1 -b 16 -e signed-integer "$tmp"
    mv -f "$tmp" "$out/$name.wav"
}

rendered=0
kept=0
pids=()
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
    lineno=$((lineno + 1))
    line="${line%$'\r'}"
    [[ -z "$line" || "$line" == \#* ]] && continue
    if [[ "$line" != *$'\t'* ]]; then
        echo "$0: $tsv:$lineno: no TAB" >&2
        exit 1
    fi
    name="${line%%$'\t'*}"
    text="${line#*$'\t'}"
    if [[ ! "$name" =~ ^[a-z0-9_-]+$ || -z "$text" ]]; then
        echo "$0: $tsv:$lineno: bad line" >&2
        exit 1
    fi
    if [[ -f "$out/$name.wav" && "$out/$name.wav" -nt "$tsv" ]]; then
        kept=$((kept + 1))
        continue
    fi
    render "$name" "$text" &
    pids+=("$!")
    rendered=$((rendered + 1))
    # a few at a time: the synthesizer is single-threaded and quick
    if (( ${#pids[@]} >= 4 )); then
        for p in "${pids[@]}"; do wait "$p"; done
        pids=()
    fi
done < "$tsv"
for p in "${pids[@]}"; do wait "$p"; done

echo "phrases: $rendered rendered, $kept up to date, in $out"
