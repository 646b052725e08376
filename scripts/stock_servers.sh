#!/usr/bin/env bash
# Install Debian's vsftpd and OpenSSH server for the stock-server transport tests, when missing.
# Idempotent; run as root. The packages' own services are not started (the tests start private
# instances on loopback with their own configs): invoke-rc.d is told to do nothing during the install.
set -euo pipefail

missing=()
[[ -x /usr/sbin/vsftpd ]] || missing+=(vsftpd)
[[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "stock_servers.sh: run as root to install ${missing[*]}" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
trap '[[ $made_policy -eq 1 ]] && rm -f "$policy"' EXIT

echo "installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
echo "vsftpd and sshd are installed"
