#!/usr/bin/env bash
# build-zip.sh: package `cylon worker` as an AWS Lambda function zip (or layer zip) for the
# provided.al2023 runtime: a `bootstrap` wrapper, the cylon binary and the shared libraries
# it needs, so the zip runs on a machine that has none of them installed.
#
#   deploy/aws/build-zip.sh [--cylon PATH] [--out FILE.zip] [--glibc auto|bundle|system]
#                           [--max-glibc VERSION] [--build-dir DIR]
#
#   --cylon PATH        package this binary (default: build one without MPI in --build-dir)
#   --build-dir DIR     where to build it (default build-lambda; scripts/build, Release)
#   --out FILE.zip      the zip to write (default DIR/cylon-lambda.zip)
#   --glibc MODE        system: leave glibc out (the binary and its libraries must need no
#                       newer glibc than --max-glibc); bundle: put glibc and its loader in
#                       too and start the binary through that loader; auto (default): bundle
#                       only when something needs a newer glibc than --max-glibc
#   --max-glibc V       the target's glibc (default 2.34: Amazon Linux 2023, provided.al2023)
#
# Layout (the same zip is a function package, unpacked at /var/task, or a layer, unpacked
# at /opt: Lambda runs the first `bootstrap` it finds there, and the wrapper finds its
# files from its own location):
#
#   bootstrap      sh wrapper: exec bin/cylon worker with lib/ as the library path
#   cylon          the same for any command (cylon rendezvous, cylon submit ...)
#   bin/cylon
#   lib/*.so*      every shared library ldd lists (not glibc, unless bundled)
#
# Why a wrapper and not an rpath: Debian has no patchelf in the build's dependencies, and
# with glibc bundled the binary must be started through the bundled loader anyway. The
# wrapper also points libcurl at the host's CA bundle (CURL_CA_BUNDLE): a libcurl built on
# Debian looks for /etc/ssl/certs/ca-certificates.crt, which Amazon Linux does not have.
set -euo pipefail
cd "$(dirname "$0")/../.."

cylon=
build_dir=build-lambda
out=
glibc_mode=auto
max_glibc=2.34

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }
die() { echo "build-zip: $*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --cylon) cylon=${2:?}; shift ;;
    --build-dir) build_dir=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --glibc) glibc_mode=${2:?}; shift ;;
    --max-glibc) max_glibc=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  shift
done
case $glibc_mode in auto | bundle | system) ;; *) die "--glibc must be auto, bundle or system" ;; esac
[[ $max_glibc =~ ^[0-9]+\.[0-9]+$ ]] || die "--max-glibc must look like 2.34, not '$max_glibc'"
for tool in ldd objdump zip; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps installs it)"
done

if [[ -z $cylon ]]; then
  # A worker needs no MPI: leaving it out saves OpenMPI and its dozen libraries.
  scripts/build --dir "$build_dir" --type Release -- -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON >&2
  cylon=$build_dir/cylon
fi
[[ -x $cylon ]] || die "$cylon is not an executable"
out=${out:-$(dirname "$cylon")/cylon-lambda.zip}
[[ $out == *.zip ]] || die "--out must name a .zip file, not '$out'"

# glibc's own libraries: they come with the target system unless bundled.
is_glibc() {
  case $1 in
    ld-linux*.so* | libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
      libresolv.so.* | libutil.so.* | libanl.so.* | libmvec.so.* | libnsl.so.* | \
      libBrokenLocale.so.* | libnss_*.so.* | libthread_db.so.* | libc_malloc_debug.so.*) return 0 ;;
    *) return 1 ;;
  esac
}

# The libraries the binary loads, as "name path" lines (ldd resolves the whole tree).
deps=$(ldd "$cylon" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 } $1 ~ /^\/.*ld-linux/ { n = split($1, p, "/"); print p[n], $1 }')
if grep -q 'not found' <<<"$(ldd "$cylon")"; then
  die "$cylon has libraries ldd cannot find:$(ldd "$cylon" | grep 'not found')"
fi

# The newest GLIBC_x.y symbol version anything in the bundle asks for.
newest_glibc() {
  objdump -T "$@" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
}
version_gt() { [[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1) == "$1" ]]; }

non_glibc_paths=()
glibc_paths=()
loader=
while read -r name path; do
  [[ -n $name ]] || continue
  if is_glibc "$name"; then
    glibc_paths+=("$path")
    [[ $name == ld-linux* ]] && loader=$name
  else
    non_glibc_paths+=("$path")
  fi
done <<<"$deps"

needed=$(newest_glibc "$cylon" "${non_glibc_paths[@]}")
bundle_glibc=false
if [[ -n $needed ]] && version_gt "$needed" "$max_glibc"; then
  culprits=$(for f in "$cylon" "${non_glibc_paths[@]}"; do
    v=$(newest_glibc "$f")
    if [[ -n $v ]] && version_gt "$v" "$max_glibc"; then echo "$(basename "$f") (GLIBC_$v)"; fi
  done | paste -sd, - | sed 's/,/, /g')
  case $glibc_mode in
    system) die "needs glibc $needed but the target has $max_glibc: $culprits; build on the target's distribution (deploy/aws/Dockerfile) or use --glibc bundle" ;;
    auto) echo "build-zip: $culprits need glibc > $max_glibc: bundling glibc and its loader" >&2
          bundle_glibc=true ;;
  esac
fi
[[ $glibc_mode == bundle ]] && bundle_glibc=true
if $bundle_glibc && [[ -z $loader ]]; then die "no ld-linux loader in ldd's list for $cylon"; fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
cp "$cylon" "$stage/bin/cylon"
libs=("${non_glibc_paths[@]}")
$bundle_glibc && libs+=("${glibc_paths[@]}")
for path in "${libs[@]}"; do
  cp -L "$path" "$stage/lib/$(basename "$path")" # -L: the file, under the name it is loaded by
done

if $bundle_glibc; then
  start="\"\$here/lib/$loader\" --library-path \"\$here/lib\" \"\$here/bin/cylon\""
  glibc_note="glibc is bundled: lib/$loader starts the binary"
else
  start="env LD_LIBRARY_PATH=\"\$here/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\" \"\$here/bin/cylon\""
  glibc_note="the system's glibc (needs <= $max_glibc)"
fi
# bootstrap runs `cylon worker`; cylon runs the packaged binary with any arguments (the
# submit host of cylon.yaml installs the same zip and runs `cylon rendezvous`, `cylon submit`).
write_wrapper() { # FILE WHAT ARGS
  cat >"$stage/$1" <<EOF
#!/bin/sh
# $1 of the cylon Lambda zip (made by deploy/aws/build-zip.sh): $2, from this
# directory (/var/task for a function zip, /opt for a layer). Libraries: lib/;
# $glibc_note.
here=\$(dirname "\$(readlink -f "\$0")") # also through a symlink (/usr/local/bin/cylon)
# libcurl's compiled-in CA bundle path is the build machine's: use this machine's bundle.
if [ -z "\${CURL_CA_BUNDLE:-}" ]; then
  for ca in /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/certs/ca-certificates.crt; do
    if [ -r "\$ca" ]; then CURL_CA_BUNDLE=\$ca; export CURL_CA_BUNDLE; break; fi
  done
fi
exec $start $3"\$@"
EOF
}
write_wrapper bootstrap "runs \`cylon worker\` (the Lambda runtime)" "worker "
write_wrapper cylon "runs the packaged cylon with the arguments given" ""
chmod 755 "$stage/bootstrap" "$stage/cylon" "$stage/bin/cylon"

mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$out_abs"
# -X: no extra file attributes; -y: none here, but keep links as links if any appear.
(cd "$stage" && zip -q -r -X -y "$out_abs" bootstrap cylon bin lib)
size=$(stat -c %s "$out_abs")
unpacked=$(du -sb "$stage" | cut -f1)
echo "build-zip: $out ($((size / 1048576)) MiB zipped, $((unpacked / 1048576)) MiB unpacked," \
  "${#libs[@]} libraries; $glibc_note)" >&2
# Lambda's limits: 50 MB for a zip uploaded directly, 250 MB unpacked (function and layers).
((unpacked < 250 * 1000 * 1000)) || die "unpacked size $unpacked is over Lambda's 250 MB"
((size < 50 * 1000 * 1000)) || echo "build-zip: over 50 MB: upload it through S3" >&2
echo "$out"
