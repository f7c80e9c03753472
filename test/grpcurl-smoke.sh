#!/usr/bin/env bash
# grpcurl against a live cerebro with authentication on: the services are
# listed through server reflection and health answers without a token, a
# call without one is refused as Unauthenticated, and a run started with
# grpcurl -H 'authorization: Bearer …' (an operator's token, made with
# dyna auth token create) completes on a task-server holding its own server
# token. Then curl on the HTTP/JSON port, with and without the header, and a
# second cerebro serving TLS with a certificate from a throwaway CA, which
# grpcurl and curl reach by trusting that CA (-cacert, --cacert) on both ports.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
http_port=$(free_port)
address="127.0.0.1:$port"
logs=$(mktemp -d)
pki=$(mktemp -d)
pids=()
cleanup() {
  # Each was started as a process group leader (setsid): end the whole group,
  # not only the npx wrapper, so no cerebro or task-server outlives the test.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$logs" "$pki"
}
trap cleanup EXIT
fail() {
  echo "grpcurl smoke test failed: $*" >&2
  tail -n 20 "$logs"/*.log >&2 || true
  exit 1
}

# An admin token turns authentication on, also for dyna dev on loopback.
admin_token=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')
CORDYNA_ADMIN_TOKEN="$admin_token" \
  setsid npx --no-install tsx cli/src/bin.ts dev --port "$port" --http-port "$http_port" --host 127.0.0.1 >"$logs/cerebro.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  grpcurl -plaintext "$address" grpc.health.v1.Health/Check 2>/dev/null | grep -q SERVING && break
  sleep 0.2
done
# Credentials as an admin makes them; the token is the only line on stdout.
create_token() {
  CORDYNA_ADDR="$address" CORDYNA_TOKEN="$admin_token" \
    npx --no-install tsx cli/src/bin.ts auth token create --team team-a "$@" 2>>"$logs/dyna.log" ||
    fail "dyna auth token create $*"
}
server_token=$(create_token --role server --server task-server-a)
operator_token=$(create_token --role operator)
bearer=(-H "authorization: Bearer $operator_token")

CORDYNA_ADDR="$address" CORDYNA_TOKEN="$server_token" LOG_LEVEL=warn DEMO_WORK_SCALE=0.1 \
  setsid npx --no-install tsx task-server-ts/servers/task-server-a.ts >"$logs/task-server-a.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  grpcurl -plaintext "${bearer[@]}" "$address" cordyna.v1.ControlService/ListServers 2>/dev/null | grep -q '"instanceId"' && break
  sleep 0.2
done

services=$(grpcurl -plaintext "$address" list) || fail "grpcurl list"
echo "$services"
for service in cordyna.v1.ControlService cordyna.v1.TaskServerService grpc.health.v1.Health; do
  grep -qx "$service" <<<"$services" || fail "$service is not listed"
done
grpcurl -plaintext "$address" grpc.health.v1.Health/Check | grep -q SERVING || fail "health check"

anonymous=$(grpcurl -plaintext "$address" cordyna.v1.ControlService/ListServers 2>&1 || true)
grep -q "Code: Unauthenticated" <<<"$anonymous" && grep -q "no credential" <<<"$anonymous" ||
  fail "a call without a token was not refused with Unauthenticated: $anonymous"
echo "a call without a token: Unauthenticated"

started=$(grpcurl -plaintext "${bearer[@]}" -d '{"targets":["a.fetch-rates"],"params":{"day":"2026-06-01"}}' \
  "$address" cordyna.v1.ControlService/StartRun) || fail "StartRun"
run_id=$(node -e 'console.log(JSON.parse(process.argv[1]).run.id)' "$started")
echo "started $run_id with grpcurl"

state=""
for _ in $(seq 1 100); do
  state=$(grpcurl -plaintext "${bearer[@]}" -d "{\"run_id\":\"$run_id\"}" "$address" cordyna.v1.ControlService/GetRun |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).run.state))')
  [ "$state" = "RUN_STATE_RUNNING" ] || break
  sleep 0.1
done
[ "$state" = "RUN_STATE_SUCCEEDED" ] || fail "run $run_id ended $state"
echo "run $run_id: $state"

unknown=$(grpcurl -plaintext "${bearer[@]}" -d '{"targets":["no.such-task"]}' "$address" cordyna.v1.ControlService/StartRun 2>&1 || true)
grep -q "NotFound" <<<"$unknown" && grep -q "no server declares task no.such-task" <<<"$unknown" ||
  fail "an unknown target was not refused with NOT_FOUND: $unknown"
echo "grpcurl smoke test passed"

# The same API over plain HTTP with JSON, as curl sends it: refused without a token.
refused=$(curl -sS -X POST -H 'content-type: application/json' -d '{}' -w ' HTTP %{http_code}' \
  "http://127.0.0.1:$http_port/cordyna.v1.ControlService/ListTasks") || fail "curl ListTasks without a token"
grep -q '"code":"unauthenticated"' <<<"$refused" && grep -q ' HTTP 401$' <<<"$refused" ||
  fail "curl without a token was not refused with 401 unauthenticated: $refused"
echo "curl without a token: 401 unauthenticated"
curled=$(curl -sS -X POST -H 'content-type: application/json' "${bearer[@]}" \
  -d '{"targets":["a.import-orders"],"idempotencyKey":"smoke-1"}' \
  "http://127.0.0.1:$http_port/cordyna.v1.ControlService/StartRun") || fail "curl StartRun"
grep -q '"follow"' <<<"$curled" || fail "curl StartRun returned no follow links: $curled"
curled_id=$(node -e 'console.log(JSON.parse(process.argv[1]).run.id)' "$curled")
echo "curl started a run: $curled_id"
# The read-only methods also answer GET, the message in the query, as the README shows.
got=$(curl -sS "${bearer[@]}" \
  "http://127.0.0.1:$http_port/cordyna.v1.ControlService/GetRun?encoding=json&message=%7B%22run_id%22%3A%22$curled_id%22%7D") ||
  fail "curl GET GetRun"
grep -q "\"id\":\"$curled_id\"" <<<"$got" || fail "curl GET GetRun did not return run $curled_id: $got"
echo "curl GET read the run back"
echo "curl smoke test passed"

# TLS: a CA, and cerebro's certificate signed by it for the names clients dial.
openssl_quietly() { openssl "$@" >/dev/null 2>>"$logs/openssl.log" || fail "openssl $1 could not make the certificates"; }
openssl_quietly req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=Cordyna smoke-test CA" -keyout "$pki/ca.key" -out "$pki/ca.pem"
openssl_quietly req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=cerebro" -keyout "$pki/cerebro.key" -out "$pki/cerebro.csr"
echo "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$pki/cerebro.ext"
openssl_quietly x509 -req -in "$pki/cerebro.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 1 -extfile "$pki/cerebro.ext" -out "$pki/cerebro.pem"

tls_port=$(free_port)
tls_http_port=$(free_port)
tls_address="127.0.0.1:$tls_port"
CORDYNA_ADMIN_TOKEN="$admin_token" \
  setsid npx --no-install tsx cli/src/bin.ts dev --port "$tls_port" --http-port "$tls_http_port" \
  --host 127.0.0.1 --tls-cert "$pki/cerebro.pem" --tls-key "$pki/cerebro.key" >"$logs/cerebro-tls.log" 2>&1 &
pids+=($!)

health=""
for _ in $(seq 1 100); do
  health=$(grpcurl -cacert "$pki/ca.pem" "$tls_address" grpc.health.v1.Health/Check 2>/dev/null) && break
  sleep 0.2
done
grep -q SERVING <<<"$health" || fail "health check over TLS (grpcurl -cacert)"
tls_services=$(grpcurl -cacert "$pki/ca.pem" "$tls_address" list) || fail "grpcurl -cacert list"
for service in cordyna.v1.ControlService cordyna.v1.TaskServerService grpc.health.v1.Health; do
  grep -qx "$service" <<<"$tls_services" || fail "$service is not listed over TLS"
done
# Without the CA, cerebro's certificate is not trusted: -cacert is what makes the calls above work.
! grpcurl "$tls_address" list >/dev/null 2>&1 || fail "grpcurl trusted cerebro's certificate without -cacert"
echo "grpcurl -cacert: services listed and health SERVING over TLS"

# JSON over HTTP/1.1: on the gRPC port ALPN chooses it, on the HTTP port it is all there is;
# the admin's token is a bearer token like any other.
for json_port in "$tls_port" "$tls_http_port"; do
  answer=$(curl -sS --http1.1 --cacert "$pki/ca.pem" -X POST -H 'content-type: application/json' \
    -H "authorization: Bearer $admin_token" -d '{}' \
    -w ' HTTP/%{http_version}' "https://127.0.0.1:$json_port/cordyna.v1.ControlService/ListTasks") ||
    fail "curl --cacert on port $json_port"
  [ "$answer" = "{} HTTP/1.1" ] || fail "curl --cacert on port $json_port answered: $answer"
done
echo "curl --cacert: JSON over HTTP/1.1 on the gRPC port and the HTTP port"
echo "TLS smoke test passed"
