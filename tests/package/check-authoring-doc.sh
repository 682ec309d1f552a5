#!/usr/bin/env bash
# Follows docs/plugin-authoring.md as a reader would, against a freshly installed host and SDK: every ```sh block in
# SPDX-License-Identifier: Apache-2.0
# order, in one shell, starting in an empty folder, after writing each block that follows a "File `NAME`:" line to
# NAME; a block right after a "<!-- not run -->" line is skipped (it installs into the system). Then every line of
# each ```text block must have been printed, timings aside. A section whose "<!-- needs: TOOL... -->" line names a
# tool this machine lacks (rustc, cargo, go) is left out, and the check ends with exit 77 (skipped) after running the
# rest; under CI=true a missing tool is a failure.
# Usage: check-authoring-doc.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
name=docs/plugin-authoring.md
work=$(mktemp -d /tmp/mh-authoring.XXXXXX)
trap 'rm -rf "$work"' EXIT

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
doc="$prefix/share/doc/migration-host/docs/plugin-authoring.md"

missing=()
for tool in $(sed -n 's/^<!-- needs: \(.*\) -->$/\1/p' "$doc" | tr ' ' '\n' | sort -u); do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]} > 0)) && [[ ${CI:-} == true ]]; then
    echo "$name needs ${missing[*]}, missing here (packages rustc, cargo, golang-go: scripts/install-deps.sh)" >&2
    exit 1
fi

# The page as one script (sh blocks verbatim, file blocks as here-documents), and the output it shows.
awk -v expected="$work/expected.txt" -v missing=" ${missing[*]:-} " '
    /^## / { section_skipped = 0 }
    /^<!-- needs: .* -->$/ {
        split(substr($0, 13, length($0) - 16), tools, " ")
        for (i in tools) if (index(missing, " " tools[i] " ")) section_skipped = 1
        skipped += section_skipped
        next
    }
    /^<!-- not run -->$/ { skip = 1; next }
    match($0, /^File `[^`]+`:$/) { file = substr($0, 7, RLENGTH - 8); next }
    /^```/ && !inside {
        inside = 1
        language = substr($0, 4)
        if (section_skipped) mode = "ignore"
        else if (file != "") { mode = "file"; printf "cat > %s <<'\''MH_DOC_EOF'\''\n", file; files++ }
        else if (language == "sh" && !skip) { mode = "sh"; blocks++ }
        else if (language == "text") { mode = "text"; outputs++ }
        else mode = "ignore"
        file = ""; skip = 0
        next
    }
    /^```$/ && inside {
        if (mode == "file") print "MH_DOC_EOF"
        inside = 0
        next
    }
    inside && mode == "text" { print > expected; next }
    inside && mode != "ignore" { print }
    END { printf "# %d sh blocks, %d files, %d outputs, %d sections skipped\n", blocks, files, outputs, skipped }
' "$doc" >"$work/page.sh"
summary=$(tail -n 1 "$work/page.sh")
# C, C++, Rust and Go: 2 sh blocks, 1 or 2 files and 1 output each; C and C++ are never skipped.
[[ $summary =~ ^#\ ([0-9]+)\ sh\ blocks,\ ([0-9]+)\ files,\ ([0-9]+)\ outputs,\ ([0-9]+)\ sections\ skipped$ ]] &&
    ((BASH_REMATCH[1] >= 8 - 2 * BASH_REMATCH[4] && BASH_REMATCH[2] >= 7 - 2 * BASH_REMATCH[4] &&
        BASH_REMATCH[3] >= 4 - BASH_REMATCH[4])) ||
    { echo "found less than expected to run in $name ($summary)" >&2; exit 1; }

mkdir "$work/reader"
cd "$work/reader"
# The reader's environment: the installed tools found as the page says, nothing of this build's.
# Go's build cache is kept with the build (shared with check-language-examples.sh); Cargo's home and the module
# cache stay in the work folder, and neither tool may download anything (nothing on the page needs it).
if ! env -u MIGRATION_HOST_DSN -u MIGRATION_HOST_PLUGIN_PATH \
    PATH="$prefix/bin:$PATH" CMAKE_PREFIX_PATH="$prefix" PKG_CONFIG_PATH="$prefix/share/pkgconfig" \
    GOCACHE="$build/go-build-cache" GOPATH="$work/go" GOPROXY=off GOTOOLCHAIN=local CARGO_HOME="$work/cargo-home" \
    CMAKE_GENERATOR=Ninja bash -euo pipefail -x "$work/page.sh" >"$work/stdout.txt" 2>"$work/stderr.txt"; then
    cat "$work/stdout.txt" "$work/stderr.txt" >&2
    echo "a command of $name failed (see its trace above)" >&2
    exit 1
fi

# Timings vary, and so does where the reader's folder is: the page shows it under /home/you.
without_timings() { sed -E -e 's/ in [0-9]+\.[0-9]+ s/ in N s/' -e 's# at /[^ ]*/([^/ ]+/[^/ ]+\.sqlite) # at DIR/\1 #'; }
without_timings <"$work/stdout.txt" >"$work/printed.txt"
while IFS= read -r line; do
    grep -qxF -- "$line" "$work/printed.txt" ||
        { cat "$work/stdout.txt" >&2; echo "$name shows a line nobody printed: $line" >&2; exit 1; }
done < <(without_timings <"$work/expected.txt")
if ((${#missing[@]} > 0)); then
    echo "$name: ${summary#\# } ran and matched; skipped: the sections that need ${missing[*]}"
    exit 77
fi
echo "$name: ${summary#\# } ran and matched"
