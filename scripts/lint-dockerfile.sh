#!/usr/bin/env bash
# Lints the Dockerfile offline (no Docker engine here): dockerfile-utils checks instructions,
# flags and stages; then the house rules a production image needs, including that the runtime
# stage installs exactly the packages of the shared libraries the built binaries link.
# Usage: scripts/lint-dockerfile.sh BUILD_DIR   (a build of this tree, e.g. build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/lint-dockerfile.sh BUILD_DIR}
problems=0
problem() {
    echo "Dockerfile: $*" >&2
    problems=$((problems + 1))
}

report=$(node_modules/.bin/dockerfile-utils lint Dockerfile || true)
[[ -z "$report" ]] || problem "dockerfile-utils reports:"$'\n'"$report"

# Join continued lines so each instruction is one line.
instructions=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile | grep -v '^[[:space:]]*#')
while read -r image; do
    [[ "$image" == *:* && "$image" != *:latest ]] || problem "FROM $image: pin a tag (not latest)"
done < <(awk 'toupper($1) == "FROM" {print $2}' <<<"$instructions")
while read -r run; do
    if [[ "$run" == *"apt-get install"* ]]; then
        [[ "$run" == *"--no-install-recommends"* ]] || problem "apt-get install without --no-install-recommends"
        [[ "$run" == *"rm -rf /var/lib/apt/lists/*"* ]] || problem "apt-get install without removing /var/lib/apt/lists in the same RUN"
    fi
done < <(grep '^RUN ' <<<"$instructions")

# The final stage: its instructions after the last FROM.
final=$(awk 'toupper($1) == "FROM" {stage = ""} {stage = stage $0 "\n"} END {printf "%s", stage}' \
    <<<"$instructions")
user=$(awk 'toupper($1) == "USER" {user = $2} END {print user}' <<<"$final")
[[ -n "$user" && "$user" != root && "$user" != 0 ]] || problem "the final stage must run as a non-root USER"
installed=$(grep -o 'apt-get install [^&]*' <<<"$final" | tr ' ' '\n' | grep -v '^-' |
    grep -v -e '^apt-get$' -e '^install$' -e '^$' | sort -u)
grep -q -- '-dev$' <<<"$installed" && problem "the final stage installs -dev packages: $(grep -- '-dev$' <<<"$installed" | tr '\n' ' ')"
grep -qx ca-certificates <<<"$installed" || problem "the final stage needs ca-certificates (TLS to homeservers and SMTP servers)"

# Runtime libraries: the packages holding what the binaries link (libc6 is in the base image).
needed=$(for binary in "$build"/bin/*; do objdump -p "$binary" | awk '/NEEDED/ {print $2}'; done | sort -u)
[[ -n "$needed" ]] || problem "no binaries in $build/bin to check the runtime libraries against"
# library_package LIBRARY: the Debian package that holds a shared library.
library_package() {
    local path
    path=$(ldconfig -p | awk -v lib="$1" '$1 == lib && !found {print $NF; found = 1}')
    # dpkg knows a file by the path its package installed, /lib or /usr/lib (merged /usr).
    real=$(readlink -f "$path")
    { dpkg -S "$real" "${real/#\/usr\/lib\//\/lib\/}" 2>/dev/null || true; } | head -n 1 | cut -d: -f1
}
linked=$(for library in $needed; do library_package "$library"; done | grep -vx libc6 | sort -u)
for package in $linked; do
    grep -qx "$package" <<<"$installed" ||
        problem "the binaries link a library of $package, which the final stage does not install"
done
for package in $installed; do
    [[ "$package" == ca-certificates ]] || grep -qx "$package" <<<"$linked" ||
        problem "the final stage installs $package, which no binary links"
done

if ((problems > 0)); then
    echo "Dockerfile: $problems problem(s)" >&2
    exit 1
fi
echo "Dockerfile: clean (dockerfile-utils, pinned bases, apt hygiene, non-root, runtime libraries match the binaries)"
