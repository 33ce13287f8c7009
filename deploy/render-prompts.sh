#!/usr/bin/env bash
# Renders the conference focus's prompts into <media-root>/prompts/en-US/: the spoken ones
# from deploy/prompts/en-US.tsv (through render-phrases.sh) and moh.wav, 20 s of soft
# synthesised music on hold (a slow major-chord progression), 8 kHz mono 16-bit PCM.
#
#   deploy/render-prompts.sh <media-root>
#
# Idempotent. Needs espeak-ng and sox.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -ne 1 ]]; then
    echo "usage: $0 <media-root>" >&2
    exit 2
fi
root="$1"
"$here/render-phrases.sh" "$root" "$here/prompts/en-US.tsv" prompts/en-US

moh="$root/prompts/en-US/moh.wav"
if [[ ! -f "$moh" ]]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    parts=()
    i=0
    # C, A minor, F, G: each chord 2.5 s with a gentle fade, twice round.
    for chord in "261.63 329.63 392.00" "220.00 261.63 329.63" "174.61 220.00 261.63" "196.00 246.94 293.66"; do
        read -r a b c <<<"$chord"
        sox -q -V1 -n -r 8000 -c 1 -b 16 "$work/c$i.wav" synth 2.5 sine "$a" sine "$b" sine "$c" \
            remix - fade q 0.3 2.5 0.6 gain -n -18
        parts+=("$work/c$i.wav")
        i=$((i + 1))
    done
    sox -q -V1 "${parts[@]}" "${parts[@]}" "$work/moh.wav"
    mv -f "$work/moh.wav" "$moh"
fi
echo "prompts: in $root/prompts/en-US (music on hold: $moh)"
