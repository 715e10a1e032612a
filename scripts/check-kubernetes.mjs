// check-kubernetes.mjs - validates the rendered Kubernetes manifests (scripts/check-kubernetes.sh
// renders them) against the Kubernetes API schemas (npm's kubernetes-models), then checks what
// the schemas cannot see: the cores' endpoint lists match the StatefulSet's replicas, every
// Secret, key and secret file a container names exists, every crier container has a probe
// through crier status, and a core's processes never get the lists meant for what connects to
// every core. Prints each problem; exits 1 when there is one.
// Usage: node scripts/check-kubernetes.mjs RENDERED.yaml
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const problems = [];
const fail = (where, what) => problems.push(`${where}: ${what}`);
const text = readFileSync(process.argv[2], "utf8");
const documents = parseAllDocuments(text).map((document) => document.toJS());

// The module of kubernetes-models for an apiVersion: "v1" -> kubernetes-models/v1,
// "apps/v1" -> kubernetes-models/apps/v1.
async function modelOf(apiVersion, kind) {
  const module = await import(`kubernetes-models/${apiVersion}`).catch(() => null);
  return module ? module[kind] : undefined;
}

for (const object of documents) {
  const where = `${object.kind}/${object.metadata?.name}`;
  const Model = await modelOf(object.apiVersion, object.kind);
  if (!Model) {
    fail(where, `no schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    fail(where, error.message);
  }
}

const find = (kind, name) => documents.find((o) => o.kind === kind && o.metadata?.name === name);
const secrets = new Map(
  documents.filter((o) => o.kind === "Secret").map((o) => [o.metadata.name, o]),
);
// Made by the operator with kubectl (deploy/kubernetes/secrets/README.md), not rendered here.
const madeByHand = new Set(["crier-curve-clients"]);

// The cores' lists: one endpoint per core, crier-core-N.crier-core, N from 0 to replicas - 1.
const cores = find("StatefulSet", "crier-core");
const lists = find("ConfigMap", "crier-cores");
if (!cores || !lists) fail("crier-core", "the cores' StatefulSet and the crier-cores ConfigMap");
else {
  const replicas = cores.spec.replicas;
  if (!(replicas >= 2)) fail("StatefulSet/crier-core", "two cores or more");
  for (const [name, value] of Object.entries(lists.data)) {
    const hosts = value.split(",").map((endpoint) => endpoint.replace(/^tcp:\/\/([^:]+):\d+$/, "$1"));
    const expected = [...Array(replicas).keys()].map((n) => `crier-core-${n}.crier-core`);
    if (hosts.join() !== expected.join())
      fail(`ConfigMap/crier-cores ${name}`, `lists ${hosts.join()}, not the ${replicas} cores`);
  }
  const service = find("Service", cores.spec.serviceName);
  if (!service || service.spec.clusterIP !== "None")
    fail("StatefulSet/crier-core", "its serviceName must be a headless Service (clusterIP: None)");
}

// Every pod: its Secrets, their keys, the secret files its crier containers name, its probes.
for (const object of documents) {
  const pod = object.spec?.template?.spec;
  if (!pod) continue;
  const where = `${object.kind}/${object.metadata.name}`;
  const mounted = new Map(); // volume name -> files it holds (null: any)
  for (const volume of pod.volumes ?? []) {
    if (!volume.secret) continue;
    const name = volume.secret.secretName;
    const secret = secrets.get(name);
    if (!secret && !madeByHand.has(name)) fail(where, `Secret ${name} is not rendered`);
    const items = volume.secret.items;
    for (const item of items ?? [])
      if (secret && !(item.key in (secret.data ?? {})))
        fail(where, `Secret ${name} has no key ${item.key}`);
    mounted.set(volume.name, items ? items.map((item) => item.path) : null);
  }
  for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    const at = `${where} container ${container.name}`;
    const crier = /^crier(:|$)/.test(container.image ?? "");
    if (!crier) continue;
    const files = new Map(); // mount path -> files
    for (const mount of container.volumeMounts ?? [])
      if (mounted.has(mount.name)) files.set(mount.mountPath, mounted.get(mount.name));
    const configMaps = (container.envFrom ?? []).map((from) => from.configMapRef?.name);
    // The environment as the container gets it: its env over its ConfigMaps'.
    const environment = {};
    for (const name of configMaps) {
      if (name && !find("ConfigMap", name)) fail(at, `ConfigMap ${name} is not rendered`);
      Object.assign(environment, find("ConfigMap", name)?.data ?? {});
    }
    for (const variable of container.env ?? []) environment[variable.name] = variable.value ?? "";
    for (const value of Object.values(environment)) {
      const match = /^(\/run\/secrets\/[^/]+)\/(.+)$/.exec(value);
      if (!match) continue;
      if (!files.has(match[1])) fail(at, `${value}: nothing is mounted at ${match[1]}`);
      else if (files.get(match[1]) && !files.get(match[1]).includes(match[2]))
        fail(at, `${value}: the mounted Secret has no such file`);
    }
    const command = (container.command ?? []).join(" ");
    if (/crier-(ingest|resolver)$/.test(command) && configMaps.includes("crier-cores"))
      fail(at, "a core's process belongs to one core: no crier-cores lists");
    if (object.kind !== "Job") {
      const probe = container.livenessProbe?.exec?.command?.join(" ") ?? "";
      if (!probe.startsWith("crier status --here"))
        fail(at, "a liveness probe through crier status --here");
    }
  }
}

for (const problem of problems) console.error(`check-kubernetes: ${problem}`);
console.log(
  `check-kubernetes: ${documents.length} objects, ${problems.length ? `${problems.length} problems` : "valid"}`,
);
process.exit(problems.length ? 1 : 0);
