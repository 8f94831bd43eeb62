#!/usr/bin/env bash
# Installs the Debian packages the tests drive when they are missing: Chromium (browser tests
# drive /usr/bin/chromium), poppler-utils and zbar-tools (a label PDF is rendered and its QR read).
set -u
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"
command -v zbarimg >/dev/null 2>&1 || need="$need zbar-tools"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian packages for the tests:$need"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need) >/tmp/microfactory-apt.log 2>&1 \
    || { echo "could not install$need (see /tmp/microfactory-apt.log)"; exit 1; }
else
  echo "missing:$need and they cannot be installed here (need root and apt-get)"; exit 1
fi
