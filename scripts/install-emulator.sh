#!/usr/bin/env bash
# Makes the local AWS emulator (moto server) available to the tests and to `npm start`.
#
# Writes the command that starts it to .emulator/command (one line, the port is appended by the
# caller as `-p PORT`). Order of preference:
#   1. SRG_MOTO_COMMAND, when set (e.g. "moto_server" or "python3 -m moto.server").
#   2. An already-installed moto_server / python3 with moto and its server dependencies.
#   3. Debian's packages: the Python dependencies from the machine's release (bookworm), moto and
#      python3-jsonpath-ng from Debian 13 (trixie) unpacked into .emulator/ (PyPI is not needed).
# Set SRG_EMULATOR_FORCE_DEBIAN=1 to skip 1-2 (how the Debian route is tested).
# Exits non-zero with the reason when no route works: the tests then fail loudly.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.emulator"
mkdir -p "$dir"

say() { printf 'emulator: %s\n' "$*" >&2; }

# A python with moto's server mode importable (moto, flask, werkzeug, jsonpath_ng for EventBridge).
works() { # $1 = python executable, $2 = extra PYTHONPATH
  PYTHONPATH="${2:-}" "$1" -c 'import moto, moto.server, flask, flask_cors, jsonpath_ng, xmltodict, boto3' >/dev/null 2>&1
}

record() { # the command line that starts the server
  printf '%s\n' "$1" >"$dir/command"
  say "ready: $1"
  exit 0
}

if [ "${SRG_EMULATOR_FORCE_DEBIAN:-0}" != "1" ]; then
  if [ -n "${SRG_MOTO_COMMAND:-}" ]; then
    record "$SRG_MOTO_COMMAND"
  fi
  if command -v moto_server >/dev/null 2>&1; then
    py="$(head -n1 "$(command -v moto_server)" | sed -n 's/^#!\s*//p')"
    # pyenv shims are shell scripts; the python on PATH is the one they run.
    case "$py" in *python*) ;; *) py="python3" ;; esac
    if works "$py"; then record "$(command -v moto_server)"; fi
  fi
  if command -v python3 >/dev/null 2>&1 && works python3; then
    record "$(command -v python3) -m moto.server"
  fi
fi

# Debian route: system python3 (/usr/bin/python3) + packages.
sys_py=/usr/bin/python3
local_pkgs="$dir/deb/usr/lib/python3/dist-packages"
if [ -x "$sys_py" ] && works "$sys_py" "$local_pkgs"; then
  record "env PYTHONPATH=$local_pkgs $sys_py -m moto.server"
fi

if ! command -v apt-get >/dev/null 2>&1; then
  say "no moto server found and apt-get is not available."
  say "install it with: pip install 'moto[server]'   (or set SRG_MOTO_COMMAND)"
  exit 1
fi
if [ "$(id -u)" != "0" ]; then
  say "no moto server found; installing Debian's packages needs root (or: pip install 'moto[server]')."
  exit 1
fi

say "installing moto's Python dependencies from Debian (apt-get)…"
deps=(python3 python3-boto3 python3-botocore python3-cryptography python3-dateutil python3-flask
  python3-flask-cors python3-jinja2 python3-requests python3-responses python3-werkzeug
  python3-xmltodict python3-yaml python3-antlr4 python3-ply python3-decorator)
if ! apt-get install -y --no-install-recommends "${deps[@]}" >"$dir/apt-install.log" 2>&1; then
  apt-get update >"$dir/apt-update.log" 2>&1 || { say "apt-get update failed: see $dir/apt-update.log"; exit 1; }
  apt-get install -y --no-install-recommends "${deps[@]}" >"$dir/apt-install.log" 2>&1 ||
    { say "apt-get install failed: see $dir/apt-install.log"; exit 1; }
fi

say "fetching moto and python3-jsonpath-ng from Debian 13 (trixie) into .emulator/…"
trixie="$dir/trixie"
mkdir -p "$trixie/sources" "$trixie/lists/partial" "$trixie/debs"
cat >"$trixie/sources/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(-oDir::Etc::SourceList=/dev/null "-oDir::Etc::SourceParts=$trixie/sources"
  "-oDir::State::Lists=$trixie/lists" -oAPT::Get::List-Cleanup=0)
apt-get "${apt_opts[@]}" update >"$dir/trixie-update.log" 2>&1 ||
  { say "apt-get update for trixie failed: see $dir/trixie-update.log"; exit 1; }
(cd "$trixie/debs" && apt-get "${apt_opts[@]}" download python3-moto python3-jsonpath-ng) \
  >"$dir/trixie-download.log" 2>&1 ||
  { say "downloading python3-moto failed: see $dir/trixie-download.log"; exit 1; }
rm -rf "$dir/deb"
for deb in "$trixie"/debs/*.deb; do dpkg -x "$deb" "$dir/deb"; done

if works "$sys_py" "$local_pkgs"; then
  record "env PYTHONPATH=$local_pkgs $sys_py -m moto.server"
fi
say "moto was unpacked into $dir/deb but does not import; try: PYTHONPATH=$local_pkgs $sys_py -c 'import moto.server'"
exit 1
