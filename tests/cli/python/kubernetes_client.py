"""The Python `kubernetes` client (PyPI) against `veloscope serve`, as a platform engineer's script
would use it: typed and dynamic clients, paging, a watch, a read of one object and a refused
write. Prints what it saw as one JSON object for the Rust test to compare with the CLI."""
import json
import sys

from kubernetes import client, config, dynamic, watch

config.load_kube_config(config_file=sys.argv[1])
namespace = sys.argv[2]
core = client.CoreV1Api()
seen = {}
seen["pods"] = sorted(
    f"{p.metadata.namespace}/{p.metadata.name}" for p in core.list_pod_for_all_namespaces().items
)
first = core.list_pod_for_all_namespaces(limit=2)
rest = core.list_pod_for_all_namespaces(limit=1000, _continue=first.metadata._continue)
seen["paged"] = sorted(
    f"{p.metadata.namespace}/{p.metadata.name}" for p in first.items + rest.items
)
seen["secrets"] = len(core.list_secret_for_all_namespaces().items)
seen["namespace"] = core.read_namespace(namespace).metadata.name
events = watch.Watch().stream(core.list_namespaced_pod, namespace, timeout_seconds=2)
seen["watched"] = sorted(e["object"].metadata.name for e in events if e["type"] == "ADDED")
seen["deployments"] = sorted(
    d.metadata.name for d in client.AppsV1Api().list_deployment_for_all_namespaces().items
)
dyn = dynamic.DynamicClient(client.ApiClient())
seen["dynamic_pods"] = len(
    dyn.resources.get(api_version="v1", kind="Pod").get(namespace=namespace).items
)
try:
    core.delete_namespaced_pod("anything", namespace)
    seen["delete"] = 200
except client.exceptions.ApiException as e:
    seen["delete"] = e.status
print(json.dumps(seen))
