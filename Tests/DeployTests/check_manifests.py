"""Offline checks of deploy/kubernetes that kubernetes-validate cannot make.

Usage: check_manifests.py DIRECTORY CRD...

- KEDA's kinds (ScaledObject, TriggerAuthentication) are validated against the openAPIV3Schema
  of KEDA's published CRDs (keda/, from github.com/kedacore/keda config/crd/bases at v2.20.1-117,
  Apache-2.0), strictly: a property the schema does not name is refused, as the API server's
  field validation does.
- The kustomization names every manifest of the directory (but the example Secret), and only them.
- Each worker Deployment has a ScaledObject that scales it on the queue it runs, with a cap of
  exactly maxReplicaCount x targetQueryValue; its grace period outlasts --shutdown-grace.

Prints one line per problem and exits 1 when there is any.
"""
import os
import sys

import jsonschema
import yaml


def strict(schema):
    """The CRD schema with unknown properties refused wherever it lists properties."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")}
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def crd_schemas(paths):
    schemas = {}
    for path in paths:
        crd = yaml.safe_load(open(path))
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = strict(version["schema"]["openAPIV3Schema"])
            # apiVersion, kind and metadata are the API server's, not the CRD's.
            schema.setdefault("properties", {}).update({"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                                        "metadata": {"type": "object"}})
            schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def main(directory, crds):
    problems = []
    schemas = crd_schemas(crds)
    documents = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            documents[name] = [d for d in yaml.safe_load_all(open(os.path.join(directory, name))) if d]

    kustomization = yaml.safe_load(open(os.path.join(directory, "kustomization.yaml")))
    listed = set(kustomization.get("resources", []))
    expected = {n for n in documents if not n.endswith(".example.yaml")}
    for name in sorted(expected - listed):
        problems.append(f"kustomization.yaml does not list {name}")
    for name in sorted(listed - expected):
        problems.append(f"kustomization.yaml lists {name}, which is not a manifest here")

    validated = 0
    for name, docs in documents.items():
        for doc in docs:
            schema = schemas.get((doc.get("apiVersion"), doc.get("kind")))
            if schema is None:
                continue
            for error in jsonschema.Draft7Validator(schema).iter_errors(doc):
                where = "/".join(str(p) for p in error.absolute_path) or "(top)"
                problems.append(f"{name}: {doc['kind']} {doc['metadata'].get('name')}: {where}: {error.message}")
            validated += 1

    by_kind = {}
    for name, docs in documents.items():
        for doc in docs:
            by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = (name, doc)
    authentications = by_kind.get("TriggerAuthentication", {})
    for deployment, (name, doc) in by_kind.get("Deployment", {}).items():
        container = doc["spec"]["template"]["spec"]["containers"][0]
        args = container.get("args", [])
        if not args or args[0] != "worker":
            continue
        queue = args[args.index("--queue") + 1].split("=")[0]
        grace = float(args[args.index("--shutdown-grace") + 1])
        period = doc["spec"]["template"]["spec"].get("terminationGracePeriodSeconds", 30)
        if period <= grace:
            problems.append(f"{name}: terminationGracePeriodSeconds {period} does not outlast --shutdown-grace {grace}")
        scaled = [d for _, d in by_kind.get("ScaledObject", {}).values() if d["spec"]["scaleTargetRef"]["name"] == deployment]
        if len(scaled) != 1:
            problems.append(f"{name}: {len(scaled)} ScaledObjects scale Deployment {deployment}, not one")
            continue
        spec = scaled[0]["spec"]
        for trigger in spec["triggers"]:
            cap = spec["maxReplicaCount"] * int(trigger["metadata"]["targetQueryValue"])
            wanted = f"SELECT queue_available('{queue}', {cap})"
            if trigger["type"] != "postgresql" or trigger["metadata"].get("query") != wanted:
                problems.append(f"{name}: the trigger's query is {trigger['metadata'].get('query')!r}, not {wanted!r}")
            if trigger.get("authenticationRef", {}).get("name") not in authentications:
                problems.append(f"{name}: the trigger's authenticationRef names no TriggerAuthentication here")

    for problem in problems:
        print(problem)
    print(f"{validated} KEDA resources validated against their CRDs; {len(problems)} problems")
    return 1 if problems or validated == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
