#!/usr/bin/env bash
# Validates deploy/kubernetes offline (there is no cluster in CI): renders the kustomization
# with `kubectl kustomize` (placeholder secret files in a copy) and checks every object against
# the Kubernetes API schemas and crier's own rules (scripts/check-kubernetes.mjs, with npm's
# kubernetes-models from this repository's node_modules).
# Usage: scripts/check-kubernetes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v kubectl >/dev/null || {
    echo "check-kubernetes: kubectl is missing (Debian: kubernetes-client)" >&2
    exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r deploy/kubernetes "$work/kubernetes"
for file in couchdb_password matrix_access_token smtp_password ingest_secret ingest \
    operator_secret internal_secret gateway_secret gateway_tokens.json; do
    echo placeholder > "$work/kubernetes/secrets/$file"
done
kubectl kustomize "$work/kubernetes" > "$work/rendered.yaml"
node scripts/check-kubernetes.mjs "$work/rendered.yaml"
# The checks can fail: a third core without its endpoints, and a port that is not a number.
sed -e '/podManagementPolicy: Parallel/{n;s/replicas: 2/replicas: 3/}' -e '0,/containerPort: 7400/s//containerPort: seven/' \
    "$work/rendered.yaml" > "$work/broken.yaml"
if node scripts/check-kubernetes.mjs "$work/broken.yaml" 2> "$work/broken.txt" ||
    ! grep -q "not the 3 cores" "$work/broken.txt" || ! grep -q "must be integer" "$work/broken.txt"; then
    echo "check-kubernetes: broken manifests were not caught:" >&2
    cat "$work/broken.txt" >&2
    exit 1
fi
echo "check-kubernetes: broken manifests are caught"
