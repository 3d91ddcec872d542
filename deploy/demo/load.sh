#!/usr/bin/env bash
# Loads the demo merchants and their catalogs through the HTTP API, and
# writes the demo keys to OUT/keys.env. Idempotent: a merchant that is
# already registered (409) keeps its catalog and key from the first run.
# Usage: load.sh BASE_URL CANHBAO_BINARY OUT_DIR
set -euo pipefail
base="$1"
binary="$2"
out="$3"
demo=$(cd "$(dirname "$0")" && pwd)
keys="$out/keys.env"
mkdir -p "$out"
chmod 700 "$out"

if [ -f "$keys" ] && grep -q '^CANHBAO_DEMO_LOADED=1' "$keys"; then
  echo "demo: already loaded (keys in $keys)"
  exit 0
fi

admin_key=$("$binary" key create --role admin --name "Demo admin" | cut -f2)
health_key=$("$binary" key create --role health --name "Demo: Sở Y tế Huế" | cut -f2)
police_key=$("$binary" key create --role police --name "Demo: Công an TP Huế" | cut -f2)
market_key=$("$binary" key create --role market --name "Demo: Quản lý thị trường Huế" | cut -f2)
umask 077
{
  echo "# Demo keys made by deploy/demo/load.sh; shown only here."
  echo "ADMIN_KEY=$admin_key"
  echo "HEALTH_KEY=$health_key"
  echo "POLICE_KEY=$police_key"
  echo "MARKET_KEY=$market_key"
} >"$keys"

# merchants.json holds one object per block of lines "  {" ... "  }".
count=0
while IFS= read -r -d $'\x1e' object; do
  [ -n "${object//[[:space:]]/}" ] || continue
  tax_code=$(printf '%s' "$object" | grep -o '"tax_code": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
  answer=$(curl -s -w '\n%{http_code}' -X POST "$base/v1/merchants" \
    -H "Authorization: Bearer $admin_key" -H 'Content-Type: application/json' \
    --data-binary "$object")
  status=$(printf '%s' "$answer" | tail -n 1)
  body=$(printf '%s' "$answer" | sed '$d')
  if [ "$status" = "409" ]; then
    echo "demo: merchant $tax_code already registered"
    continue
  fi
  if [ "$status" != "201" ]; then
    echo "demo: registering merchant $tax_code failed ($status): $body" >&2
    exit 1
  fi
  id=$(printf '%s' "$body" | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
  key=$(printf '%s' "$body" | grep -o '"key":"[^"]*"' | cut -d'"' -f4)
  var_name="MERCHANT_${tax_code//-/_}"
  echo "${var_name}_ID=$id" >>"$keys"
  echo "${var_name}_KEY=$key" >>"$keys"
  catalog="$demo/catalogs/$tax_code.csv"
  if [ -f "$catalog" ]; then
    status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$base/v1/merchants/$id/products" \
      -H "Authorization: Bearer $key" -H 'Content-Type: text/csv; charset=utf-8' \
      --data-binary "@$catalog")
    if [ "$status" != "200" ]; then
      echo "demo: catalog of $tax_code rejected ($status)" >&2
      exit 1
    fi
  fi
  count=$((count + 1))
done < <(awk '/^  \{/ {buf=""} {buf = buf $0 "\n"} /^  \},?$/ {sub(/,\n$/, "\n", buf); printf "%s\x1e", buf}' "$demo/merchants.json")

echo "CANHBAO_DEMO_LOADED=1" >>"$keys"
echo "demo: registered $count merchants with their catalogs; keys in $keys"
echo "demo: create an alert with, for example:"
echo "  source $keys"
echo "  curl -s -X POST $base/v1/alerts -H \"Authorization: Bearer \$HEALTH_KEY\" \\"
echo "    -H 'Content-Type: application/json' --data-binary @$demo/alerts/drug-recall-vn.json"
