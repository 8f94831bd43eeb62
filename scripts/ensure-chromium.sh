#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing (browser tests drive /usr/bin/chromium).
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/microfactory-chromium.log 2>&1 \
    || { echo "could not install chromium (see /tmp/microfactory-chromium.log)"; exit 1; }
else
  echo "chromium is missing and cannot be installed here (need root and apt-get)"; exit 1
fi
