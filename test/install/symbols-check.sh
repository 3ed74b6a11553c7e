#!/bin/sh
# SPDX-License-Identifier: MIT
# symbols-check.sh BUILD-DIR SOURCE-DIR - install mmf into a private prefix
# and check the ABI of the installed libmmf.so: its soname is
# libmmf.so.1, and its dynamic symbol table exports exactly the
# MMF_API functions of include/mmf.h, each at version MMF_1.0 (src/mmf.map),
# and nothing else but the version's own marker. Exit 77 without objdump.
set -eu
build=$1
src=$2

if ! command -v objdump >/dev/null 2>&1; then
    echo "SKIP: objdump not found"
    exit 77
fi

prefix=$(mktemp -d /tmp/mmf-symbols.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null

lib=$(find "$prefix" -name 'libmmf.so.*.*.*' -type f | head -n 1)
if [ -z "$lib" ]; then
    echo "no libmmf.so.X.Y.Z installed under $prefix" >&2
    exit 1
fi
libdir=$(dirname "$lib")
# The link chain a consumer and the loader follow.
for f in libmmf.so libmmf.so.1; do
    if [ ! -e "$libdir/$f" ]; then
        echo "$libdir/$f is missing" >&2
        exit 1
    fi
done
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" != "libmmf.so.1" ]; then
    echo "soname is '$soname', not libmmf.so.1" >&2
    exit 1
fi

# Defined dynamic symbols as "VERSION NAME" lines. objdump -T prints
#   ADDR FLAGS... SECTION SIZE VERSION NAME
# and "*UND*" as the section of imports, which are not ours to check.
objdump -T "$lib" | awk '
    $1 !~ /^[0-9a-f]+$/ || / \*UND\*/ { next }
    # Without a version the column before the name is the size.
    { print ($(NF-1) ~ /^[0-9a-f]+$/ ? "(none)" : $(NF-1)), $NF }' | sort > "$prefix/exported"

# The version node itself appears as an absolute symbol named MMF_1.0.
bad=$(awk '!($1 == "MMF_1.0" && ($2 ~ /^mmf_/ || $2 == "MMF_1.0"))' "$prefix/exported")
if [ -n "$bad" ]; then
    echo "exported symbols that are not mmf_* at MMF_1.0:" >&2
    echo "$bad" >&2
    exit 1
fi
if grep -q ' mmf__' "$prefix/exported"; then
    echo "internal mmf__ symbols are exported:" >&2
    grep ' mmf__' "$prefix/exported" >&2
    exit 1
fi

# Exactly the header's functions: none missing, none extra.
awk '$2 != "MMF_1.0" { print $2 }' "$prefix/exported" | sort > "$prefix/lib.names"
sed -n 's/^MMF_API[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' \
    "$src/include/mmf.h" | sort -u > "$prefix/header.names"
if [ ! -s "$prefix/header.names" ]; then
    echo "found no MMF_API function in include/mmf.h" >&2
    exit 1
fi
if ! cmp -s "$prefix/lib.names" "$prefix/header.names"; then
    echo "exports of libmmf.so (<) differ from the MMF_API functions of mmf.h (>):" >&2
    diff "$prefix/lib.names" "$prefix/header.names" >&2 || true
    exit 1
fi
echo "symbols-check: $(wc -l < "$prefix/lib.names") functions at MMF_1.0, soname $soname"
