#!/usr/bin/env bash
# Install Debian's WordPress, MariaDB and PHP for the live WordPress test bed
# (testing/wordpress_live.py). Idempotent: does nothing when everything is present.
# Starts no system service: a policy-rc.d forbids starts while apt runs, and anything
# apt started anyway is stopped afterwards. Needs root and apt-get; exits 0 otherwise
# (the tests that need the bed then skip themselves).
set -euo pipefail
PKGS=(wordpress mariadb-server php-cli php-mysql php-xml
      wordpress-theme-twentytwentyone wordpress-theme-twentytwentytwo wordpress-theme-twentytwentythree)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-wordpress: missing ${missing[*]} (needs root and apt-get); skipping" >&2
  exit 0
fi

policy=/usr/sbin/policy-rc.d
had_policy=0
if [ -e "$policy" ]; then had_policy=1; cp -p "$policy" "$policy.install-wordpress.bak"; fi
restore() {
  if [ "$had_policy" = 1 ]; then mv -f "$policy.install-wordpress.bak" "$policy"; else rm -f "$policy"; fi
}
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Belt and braces: stop anything that got started regardless of policy-rc.d.
for svc in mariadb mysql apache2 nginx php8.2-fpm; do
  if [ -x "/etc/init.d/$svc" ]; then "/etc/init.d/$svc" stop >/dev/null 2>&1 || true; fi
done
