//! Server-side printing: `meta.k8s.io/v1` Table columns and cells for the kinds kubectl users
//! look at most, as the apiserver's printers give them (wide-only columns have priority 1), and
//! NAME/AGE for the rest. Ages are counted to the backup's start, not to now.

use serde_json::{Value, json};
use veloscope_core::api::Keep;

/// One column: its header, type, whether it is shown only with `-o wide`, and its cell.
struct Column {
    name: &'static str,
    kind: &'static str,
    wide: bool,
    cell: fn(&Value, &Ages) -> Value,
}

/// How old objects were when the backup started.
pub struct Ages {
    /// Seconds since the epoch of the backup's start (None: unknown, ages show `<unknown>`).
    pub at: Option<i64>,
}

impl Ages {
    pub fn of(&self, timestamp: Option<&str>) -> Value {
        let age = timestamp
            .and_then(epoch_seconds)
            .zip(self.at)
            // Made while the backup ran: younger than the backup, not "<invalid>".
            .map(|(then, at)| human_duration((at - then).max(0)));
        json!(age.unwrap_or_else(|| "<unknown>".into()))
    }
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn or_none(s: String) -> Value {
    json!(if s.is_empty() { "<none>".into() } else { s })
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn count(v: &Value, pointer: &str) -> Value {
    let n = match v.pointer(pointer) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    json!(n)
}

fn age(v: &Value, a: &Ages) -> Value {
    a.of(v
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str))
}

fn name(v: &Value, _: &Ages) -> Value {
    json!(text(v, "/metadata/name"))
}

fn containers(v: &Value, field: &str, template: &str) -> Value {
    let list = v
        .pointer(&format!("{template}/containers"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| text(c, &format!("/{field}")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    or_none(list)
}

fn selector(v: &Value, pointer: &str) -> Value {
    let s = v
        .pointer(pointer)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    or_none(s)
}

/// The STATUS column of `kubectl get pods` (its `printPod`, init containers aside).
fn pod_status(v: &Value) -> String {
    let mut reason = text(v, "/status/phase");
    let given = text(v, "/status/reason");
    if !given.is_empty() {
        reason = given;
    }
    let mut running = false;
    let statuses = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    for c in statuses.into_iter().flatten().rev() {
        let waiting = text(c, "/state/waiting/reason");
        let terminated = text(c, "/state/terminated/reason");
        if !waiting.is_empty() {
            reason = waiting;
        } else if !terminated.is_empty() {
            reason = terminated;
        } else if c.pointer("/state/terminated").is_some() {
            let signal = int(c, "/state/terminated/signal");
            reason = if signal != 0 {
                format!("Signal:{signal}")
            } else {
                format!("ExitCode:{}", int(c, "/state/terminated/exitCode"))
            };
        } else if c.get("ready").and_then(Value::as_bool) == Some(true)
            && c.pointer("/state/running").is_some()
        {
            running = true;
        }
    }
    if reason == "Completed" && running {
        reason = "Running".into();
    }
    if v.pointer("/metadata/deletionTimestamp")
        .is_some_and(|d| !d.is_null())
    {
        reason = "Terminating".into();
    }
    reason
}

fn pod_ready(v: &Value) -> Value {
    let statuses = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array);
    let total = v
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let ready = statuses
        .into_iter()
        .flatten()
        .filter(|c| c.get("ready").and_then(Value::as_bool) == Some(true))
        .count();
    json!(format!("{ready}/{total}"))
}

fn restarts(v: &Value) -> Value {
    let n: i64 = v
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| int(c, "/restartCount"))
        .sum();
    json!(n)
}

fn ports(v: &Value) -> Value {
    let list = v
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let node = p
                        .get("nodePort")
                        .and_then(Value::as_i64)
                        .map(|n| format!(":{n}"))
                        .unwrap_or_default();
                    format!(
                        "{}{node}/{}",
                        int(p, "/port"),
                        p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    or_none(list)
}

fn access_modes(v: &Value, pointer: &str) -> Value {
    fn short(m: &str) -> &str {
        match m {
            "ReadWriteOnce" => "RWO",
            "ReadOnlyMany" => "ROX",
            "ReadWriteMany" => "RWX",
            "ReadWriteOncePod" => "RWOP",
            other => other,
        }
    }
    let list = v
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .filter_map(Value::as_str)
                .map(short)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!(list)
}

fn node_status(v: &Value) -> Value {
    let ready = v
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
        .and_then(|c| c.get("status").and_then(Value::as_str));
    let mut s = match ready {
        Some("True") => "Ready".to_string(),
        _ => "NotReady".to_string(),
    };
    if v.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        s.push_str(",SchedulingDisabled");
    }
    json!(s)
}

fn node_roles(v: &Value) -> Value {
    let roles = v
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    or_none(roles)
}

fn node_address(v: &Value, kind: &str) -> Value {
    let a = v
        .pointer("/status/addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|a| a.get("type").and_then(Value::as_str) == Some(kind))
        .map(|a| text(a, "/address"))
        .unwrap_or_default();
    or_none(a)
}

fn default_text(v: &Value, pointer: &str, default: &str) -> String {
    let t = text(v, pointer);
    if t.is_empty() { default.to_string() } else { t }
}

/// A job's state as kubectl's printer words it: Complete, Failed, Suspended, or Running.
fn job_status(v: &Value) -> Value {
    let condition = |kind: &str| {
        v.pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| text(c, "/type") == kind && text(c, "/status") == "True")
    };
    json!(if condition("Complete") {
        "Complete"
    } else if condition("Failed") {
        "Failed"
    } else if condition("Suspended") {
        "Suspended"
    } else {
        "Running"
    })
}

/// The addresses of a load balancer's ingress points, IPs or host names, comma-separated.
fn load_balancer(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| {
            let ip = text(i, "/ip");
            if ip.is_empty() {
                text(i, "/hostname")
            } else {
                ip
            }
        })
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

fn ingress_hosts(v: &Value) -> Value {
    let hosts: Vec<String> = v
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| text(r, "/host"))
        .filter(|h| !h.is_empty())
        .collect();
    json!(if hosts.is_empty() {
        "*".to_string()
    } else {
        hosts.join(",")
    })
}

/// `ip:port` of the first three addresses, then `+ N more...`, as kubectl's printer shows them.
fn endpoints(v: &Value) -> Value {
    let mut all = Vec::new();
    for subset in v
        .pointer("/subsets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for port in subset
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for address in subset
                .get("addresses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                all.push(format!("{}:{}", text(address, "/ip"), int(port, "/port")));
            }
        }
    }
    if all.is_empty() {
        return json!("<none>");
    }
    let shown = all.iter().take(3).cloned().collect::<Vec<_>>().join(",");
    json!(if all.len() > 3 {
        format!("{shown} + {} more...", all.len() - 3)
    } else {
        shown
    })
}

/// An HPA's targets as `current/target` per metric (`<unknown>` where the status has none).
fn hpa_targets(v: &Value) -> Value {
    let metrics = v.pointer("/spec/metrics").and_then(Value::as_array);
    let shown: Vec<String> = metrics
        .into_iter()
        .flatten()
        .filter(|m| text(m, "/type") == "Resource")
        .map(|m| {
            let name = text(m, "/resource/name");
            let target = match text(m, "/resource/target/averageUtilization").as_str() {
                "" => text(m, "/resource/target/averageValue"),
                pct => format!("{pct}%"),
            };
            let current = v
                .pointer("/status/currentMetrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|c| text(c, "/resource/name") == name)
                .map(
                    |c| match text(c, "/resource/current/averageUtilization").as_str() {
                        "" => text(c, "/resource/current/averageValue"),
                        pct => format!("{pct}%"),
                    },
                )
                .unwrap_or_else(|| "<unknown>".into());
            format!("{name}: {current}/{target}")
        })
        .collect();
    json!(if shown.is_empty() {
        "<none>".to_string()
    } else {
        shown.join(", ")
    })
}

/// The names of a binding's subjects of one kind (`namespace/name` for service accounts).
fn subjects(v: &Value, kind: &str) -> Value {
    let names: Vec<String> = v
        .pointer("/subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| text(s, "/kind") == kind)
        .map(|s| {
            let ns = text(s, "/namespace");
            if kind == "ServiceAccount" {
                format!("{ns}/{}", text(s, "/name"))
            } else {
                text(s, "/name")
            }
        })
        .collect();
    json!(names.join(", "))
}

/// What the built-in columns of `gr` read of an object, where that is known to be little: a
/// Table without the objects (`includeObject` `Metadata` or `None`) then parses only this, and
/// the rest of each body is skipped unparsed. A pod's containers (their env, mounts and
/// commands) are most of its body; its columns count them and read its node. None: the whole
/// object. `rows_read_only_what_they_keep` in `tests/cli/serve.rs` holds every column to it.
pub fn row_reads(gr: &str) -> Option<&'static Keep> {
    const POD: Keep = Keep::Fields(&[
        ("metadata", Keep::All),
        (
            "spec",
            Keep::Fields(&[
                ("containers", Keep::Each(&Keep::Fields(&[]))),
                ("nodeName", Keep::All),
            ]),
        ),
        ("status", Keep::All),
    ]);
    match gr {
        "pods" => Some(&POD),
        _ => None,
    }
}

fn columns(gr: &str) -> Vec<Column> {
    let c = |name, kind, wide, cell| Column {
        name,
        kind,
        wide,
        cell,
    };
    let head = c("Name", "string", false, name);
    let tail = c("Age", "string", false, age);
    let mid: Vec<Column> = match gr {
        "pods" => vec![
            c("Ready", "string", false, |v, _| pod_ready(v)),
            c("Status", "string", false, |v, _| json!(pod_status(v))),
            c("Restarts", "string", false, |v, _| restarts(v)),
        ],
        "deployments.apps" | "deployments.extensions" => vec![
            c("Ready", "string", false, |v, _| {
                json!(format!(
                    "{}/{}",
                    int(v, "/status/readyReplicas"),
                    int(v, "/spec/replicas")
                ))
            }),
            c("Up-to-date", "integer", false, |v, _| {
                json!(int(v, "/status/updatedReplicas"))
            }),
            c("Available", "integer", false, |v, _| {
                json!(int(v, "/status/availableReplicas"))
            }),
        ],
        "replicasets.apps" | "replicasets.extensions" => vec![
            c("Desired", "integer", false, |v, _| {
                json!(int(v, "/spec/replicas"))
            }),
            c("Current", "integer", false, |v, _| {
                json!(int(v, "/status/replicas"))
            }),
            c("Ready", "integer", false, |v, _| {
                json!(int(v, "/status/readyReplicas"))
            }),
        ],
        "statefulsets.apps" => vec![c("Ready", "string", false, |v, _| {
            json!(format!(
                "{}/{}",
                int(v, "/status/readyReplicas"),
                int(v, "/spec/replicas")
            ))
        })],
        "daemonsets.apps" | "daemonsets.extensions" => vec![
            c("Desired", "integer", false, |v, _| {
                json!(int(v, "/status/desiredNumberScheduled"))
            }),
            c("Current", "integer", false, |v, _| {
                json!(int(v, "/status/currentNumberScheduled"))
            }),
            c("Ready", "integer", false, |v, _| {
                json!(int(v, "/status/numberReady"))
            }),
            c("Up-to-date", "integer", false, |v, _| {
                json!(int(v, "/status/updatedNumberScheduled"))
            }),
            c("Available", "integer", false, |v, _| {
                json!(int(v, "/status/numberAvailable"))
            }),
            c("Node Selector", "string", false, |v, _| {
                selector(v, "/spec/template/spec/nodeSelector")
            }),
        ],
        "services" => vec![
            c("Type", "string", false, |v, _| json!(text(v, "/spec/type"))),
            c("Cluster-IP", "string", false, |v, _| {
                or_none(text(v, "/spec/clusterIP"))
            }),
            c("External-IP", "string", false, |v, _| {
                let ips = v
                    .pointer("/status/loadBalancer/ingress")
                    .and_then(Value::as_array)
                    .map(|i| {
                        i.iter()
                            .map(|x| text(x, "/ip"))
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default();
                or_none(ips)
            }),
            c("Port(s)", "string", false, |v, _| ports(v)),
        ],
        "configmaps" => vec![c("Data", "integer", false, |v, _| {
            let data = count(v, "/data").as_u64().unwrap_or(0);
            let binary = count(v, "/binaryData").as_u64().unwrap_or(0);
            json!(data + binary)
        })],
        "secrets" => vec![
            c("Type", "string", false, |v, _| json!(text(v, "/type"))),
            c("Data", "integer", false, |v, _| count(v, "/data")),
        ],
        "serviceaccounts" => vec![c("Secrets", "integer", false, |v, _| count(v, "/secrets"))],
        "persistentvolumeclaims" => vec![
            c("Status", "string", false, |v, _| {
                json!(text(v, "/status/phase"))
            }),
            c("Volume", "string", false, |v, _| {
                json!(text(v, "/spec/volumeName"))
            }),
            c("Capacity", "string", false, |v, _| {
                json!(text(v, "/status/capacity/storage"))
            }),
            c("Access Modes", "string", false, |v, _| {
                access_modes(v, "/status/accessModes")
            }),
            c("StorageClass", "string", false, |v, _| {
                or_none(text(v, "/spec/storageClassName"))
            }),
            c("VolumeAttributesClass", "string", false, |v, _| {
                or_none(text(v, "/spec/volumeAttributesClassName"))
            }),
        ],
        "persistentvolumes" => vec![
            c("Capacity", "string", false, |v, _| {
                json!(text(v, "/spec/capacity/storage"))
            }),
            c("Access Modes", "string", false, |v, _| {
                access_modes(v, "/spec/accessModes")
            }),
            c("Reclaim Policy", "string", false, |v, _| {
                json!(text(v, "/spec/persistentVolumeReclaimPolicy"))
            }),
            c("Status", "string", false, |v, _| {
                json!(text(v, "/status/phase"))
            }),
            c("Claim", "string", false, |v, _| {
                let ns = text(v, "/spec/claimRef/namespace");
                let n = text(v, "/spec/claimRef/name");
                json!(if n.is_empty() {
                    String::new()
                } else {
                    format!("{ns}/{n}")
                })
            }),
            c("StorageClass", "string", false, |v, _| {
                or_none(text(v, "/spec/storageClassName"))
            }),
            c("VolumeAttributesClass", "string", false, |v, _| {
                or_none(text(v, "/spec/volumeAttributesClassName"))
            }),
            c("Reason", "string", false, |v, _| {
                json!(text(v, "/status/reason"))
            }),
        ],
        "namespaces" => vec![c("Status", "string", false, |v, _| {
            json!(text(v, "/status/phase"))
        })],
        "nodes" => vec![
            c("Status", "string", false, |v, _| node_status(v)),
            c("Roles", "string", false, |v, _| node_roles(v)),
        ],
        "jobs.batch" => vec![
            c("Status", "string", false, |v, _| job_status(v)),
            c("Completions", "string", false, |v, _| {
                json!(format!(
                    "{}/{}",
                    int(v, "/status/succeeded"),
                    v.pointer("/spec/completions")
                        .and_then(Value::as_i64)
                        .unwrap_or(1)
                ))
            }),
            c("Duration", "string", false, |v, _| {
                let start = v.pointer("/status/startTime").and_then(Value::as_str);
                let end = v.pointer("/status/completionTime").and_then(Value::as_str);
                match start
                    .and_then(epoch_seconds)
                    .zip(end.and_then(epoch_seconds))
                {
                    Some((s, e)) => json!(human_duration((e - s).max(0))),
                    None => json!(""),
                }
            }),
        ],
        "cronjobs.batch" => vec![
            c("Schedule", "string", false, |v, _| {
                json!(text(v, "/spec/schedule"))
            }),
            c("Timezone", "string", false, |v, _| {
                or_none(text(v, "/spec/timeZone"))
            }),
            c("Suspend", "boolean", false, |v, _| {
                json!(
                    v.pointer("/spec/suspend")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                )
            }),
            c("Active", "integer", false, |v, _| {
                count(v, "/status/active")
            }),
            c("Last Schedule", "string", false, |v, a| {
                a.of(v
                    .pointer("/status/lastScheduleTime")
                    .and_then(Value::as_str))
            }),
        ],
        "events" | "events.events.k8s.io" => {
            return vec![
                c("Last Seen", "string", false, |v, a| {
                    let last = [
                        "/lastTimestamp",
                        "/eventTime",
                        "/metadata/creationTimestamp",
                    ]
                    .iter()
                    .find_map(|p| v.pointer(p).and_then(Value::as_str));
                    a.of(last)
                }),
                c("Type", "string", false, |v, _| json!(text(v, "/type"))),
                c("Reason", "string", false, |v, _| json!(text(v, "/reason"))),
                c("Object", "string", false, |v, _| {
                    json!(format!(
                        "{}/{}",
                        text(v, "/involvedObject/kind").to_lowercase(),
                        text(v, "/involvedObject/name")
                    ))
                }),
                c("Message", "string", false, |v, _| {
                    json!(text(v, "/message"))
                }),
            ];
        }
        "storageclasses.storage.k8s.io" => vec![
            c("Provisioner", "string", false, |v, _| {
                json!(text(v, "/provisioner"))
            }),
            c("ReclaimPolicy", "string", false, |v, _| {
                json!(default_text(v, "/reclaimPolicy", "Delete"))
            }),
            c("VolumeBindingMode", "string", false, |v, _| {
                json!(default_text(v, "/volumeBindingMode", "Immediate"))
            }),
            c("AllowVolumeExpansion", "string", false, |v, _| {
                json!(
                    v.pointer("/allowVolumeExpansion")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                        .to_string()
                )
            }),
        ],
        "ingresses.networking.k8s.io" | "ingresses.extensions" => vec![
            c("Class", "string", false, |v, _| {
                or_none(text(v, "/spec/ingressClassName"))
            }),
            c("Hosts", "string", false, |v, _| ingress_hosts(v)),
            c("Address", "string", false, |v, _| {
                json!(load_balancer(v, "/status/loadBalancer/ingress"))
            }),
            c("Ports", "string", false, |v, _| {
                json!(if count(v, "/spec/tls").as_u64().unwrap_or(0) > 0 {
                    "80, 443"
                } else {
                    "80"
                })
            }),
        ],
        "ingressclasses.networking.k8s.io" => vec![
            c("Controller", "string", false, |v, _| {
                json!(text(v, "/spec/controller"))
            }),
            c("Parameters", "string", false, |v, _| {
                let kind = text(v, "/spec/parameters/kind");
                let name = text(v, "/spec/parameters/name");
                or_none(if name.is_empty() {
                    String::new()
                } else {
                    format!("{kind}/{name}")
                })
            }),
        ],
        "horizontalpodautoscalers.autoscaling" => vec![
            c("Reference", "string", false, |v, _| {
                json!(format!(
                    "{}/{}",
                    text(v, "/spec/scaleTargetRef/kind"),
                    text(v, "/spec/scaleTargetRef/name")
                ))
            }),
            c("Targets", "string", false, |v, _| hpa_targets(v)),
            c("MinPods", "string", false, |v, _| {
                json!(
                    v.pointer("/spec/minReplicas")
                        .and_then(Value::as_i64)
                        .unwrap_or(1)
                        .to_string()
                )
            }),
            c("MaxPods", "string", false, |v, _| {
                json!(int(v, "/spec/maxReplicas").to_string())
            }),
            c("Replicas", "string", false, |v, _| {
                json!(int(v, "/status/currentReplicas").to_string())
            }),
        ],
        "endpoints" => vec![c("Endpoints", "string", false, |v, _| endpoints(v))],
        "rolebindings.rbac.authorization.k8s.io"
        | "clusterrolebindings.rbac.authorization.k8s.io" => {
            vec![c("Role", "string", false, |v, _| {
                json!(format!(
                    "{}/{}",
                    text(v, "/roleRef/kind"),
                    text(v, "/roleRef/name")
                ))
            })]
        }
        // kubectl get --subresource=scale (the apiserver's printScale).
        "scales.autoscaling" => vec![
            c("Desired", "integer", false, |v, _| {
                json!(int(v, "/spec/replicas"))
            }),
            c("Available", "integer", false, |v, _| {
                json!(int(v, "/status/replicas"))
            }),
        ],
        "leases.coordination.k8s.io" => vec![c("Holder", "string", false, |v, _| {
            json!(text(v, "/spec/holderIdentity"))
        })],
        "priorityclasses.scheduling.k8s.io" => vec![
            c("Value", "integer", false, |v, _| json!(int(v, "/value"))),
            c("Global-Default", "boolean", false, |v, _| {
                json!(
                    v.pointer("/globalDefault")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                )
            }),
        ],
        "networkpolicies.networking.k8s.io" => vec![c("Pod-Selector", "string", false, |v, _| {
            selector(v, "/spec/podSelector/matchLabels")
        })],
        "customresourcedefinitions.apiextensions.k8s.io" => {
            return vec![
                head,
                c("Created At", "date", false, |v, _| {
                    json!(text(v, "/metadata/creationTimestamp"))
                }),
            ];
        }
        _ => Vec::new(),
    };
    let wide: Vec<Column> = match gr {
        "pods" => vec![
            c("IP", "string", true, |v, _| {
                or_none(text(v, "/status/podIP"))
            }),
            c("Node", "string", true, |v, _| {
                or_none(text(v, "/spec/nodeName"))
            }),
            c("Nominated Node", "string", true, |v, _| {
                or_none(text(v, "/status/nominatedNodeName"))
            }),
        ],
        "deployments.apps" | "replicasets.apps" | "statefulsets.apps" | "daemonsets.apps" => vec![
            c("Containers", "string", true, |v, _| {
                containers(v, "name", "/spec/template/spec")
            }),
            c("Images", "string", true, |v, _| {
                containers(v, "image", "/spec/template/spec")
            }),
            c("Selector", "string", true, |v, _| {
                selector(v, "/spec/selector/matchLabels")
            }),
        ],
        "services" => vec![c("Selector", "string", true, |v, _| {
            selector(v, "/spec/selector")
        })],
        "jobs.batch" | "cronjobs.batch" => {
            let spec = if gr == "jobs.batch" {
                |v: &Value, _: &Ages| containers(v, "name", "/spec/template/spec")
            } else {
                |v: &Value, _: &Ages| containers(v, "name", "/spec/jobTemplate/spec/template/spec")
            };
            let images = if gr == "jobs.batch" {
                |v: &Value, _: &Ages| containers(v, "image", "/spec/template/spec")
            } else {
                |v: &Value, _: &Ages| containers(v, "image", "/spec/jobTemplate/spec/template/spec")
            };
            vec![
                c("Containers", "string", true, spec),
                c("Images", "string", true, images),
                c(
                    "Selector",
                    "string",
                    true,
                    if gr == "jobs.batch" {
                        |v: &Value, _: &Ages| selector(v, "/spec/selector/matchLabels")
                    } else {
                        |v: &Value, _: &Ages| {
                            selector(v, "/spec/jobTemplate/spec/selector/matchLabels")
                        }
                    },
                ),
            ]
        }
        "persistentvolumes" | "persistentvolumeclaims" => {
            vec![c("VolumeMode", "string", true, |v, _| {
                json!(default_text(v, "/spec/volumeMode", "Filesystem"))
            })]
        }
        "rolebindings.rbac.authorization.k8s.io"
        | "clusterrolebindings.rbac.authorization.k8s.io" => vec![
            c("Users", "string", true, |v, _| subjects(v, "User")),
            c("Groups", "string", true, |v, _| subjects(v, "Group")),
            c("ServiceAccounts", "string", true, |v, _| {
                subjects(v, "ServiceAccount")
            }),
        ],
        "nodes" => vec![
            c("Internal-IP", "string", true, |v, _| {
                node_address(v, "InternalIP")
            }),
            c("External-IP", "string", true, |v, _| {
                node_address(v, "ExternalIP")
            }),
            c("OS-Image", "string", true, |v, _| {
                json!(text(v, "/status/nodeInfo/osImage"))
            }),
            c("Kernel-Version", "string", true, |v, _| {
                json!(text(v, "/status/nodeInfo/kernelVersion"))
            }),
            c("Container-Runtime", "string", true, |v, _| {
                json!(text(v, "/status/nodeInfo/containerRuntimeVersion"))
            }),
        ],
        _ => Vec::new(),
    };
    let mut all = vec![head];
    all.extend(mid);
    all.push(tail);
    if gr == "nodes" {
        all.push(c("Version", "string", false, |v, _| {
            json!(text(v, "/status/nodeInfo/kubeletVersion"))
        }));
    }
    if gr == "priorityclasses.scheduling.k8s.io" {
        all.push(c("PreemptionPolicy", "string", false, |v, _| {
            json!(default_text(v, "/preemptionPolicy", "PreemptLowerPriority"))
        }));
    }
    all.extend(wide);
    all
}

/// A column a CRD declares (`additionalPrinterColumns`): its header, type, priority and the
/// JSONPath of its cell.
pub struct PrinterColumn {
    pub name: String,
    pub kind: String,
    pub priority: i64,
    pub path: veloscope_jsonpath::Path,
}

impl PrinterColumn {
    /// The columns of one served version of a CRD object (v1 per version, v1beta1 for all).
    pub fn of_crd(crd: &Value, version: &str) -> Vec<PrinterColumn> {
        let declared = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
            .and_then(|v| v.get("additionalPrinterColumns"))
            .or_else(|| crd.pointer("/spec/additionalPrinterColumns"));
        declared
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let path = c
                    .get("jsonPath")
                    .or_else(|| c.get("JSONPath"))
                    .and_then(Value::as_str)?;
                Some(PrinterColumn {
                    name: c.get("name")?.as_str()?.to_string(),
                    kind: c
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("string")
                        .to_string(),
                    priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    path: veloscope_jsonpath::Path::parse_relaxed(path).ok()?,
                })
            })
            .collect()
    }

    /// The cell: the first value the path selects (a date as it is stored: kubectl shows its
    /// age), or nothing.
    fn cell(&self, o: &Value) -> Value {
        self.path
            .eval(o)
            .first()
            .map_or(Value::Null, |v| (*v).clone())
    }
}

/// A row's cells from its object.
type Cells<'a> = Box<dyn Fn(&Value) -> Vec<Value> + 'a>;

/// A Table of `objects` of group-resource `gr`; `include` is the `includeObject` parameter;
/// `custom`, the printer columns its CRD declares (then Name and those, as the apiserver
/// prints custom resources).
pub fn table(
    gr: &str,
    objects: impl IntoIterator<Item = Value>,
    ages: &Ages,
    include: &str,
    continue_: Option<String>,
    custom: &[PrinterColumn],
) -> Value {
    let started = ages
        .at
        .map_or("unknown".to_string(), |_| "the backup's start".to_string());
    let definition = |name: &str, kind: &str, priority: i64| {
        let description = if matches!(name, "Age" | "Last Seen" | "Last Schedule") {
            format!("How long before {started} the object was created (a backup does not age).")
        } else {
            format!("{name} of the object as the backup holds it.")
        };
        json!({
            "name": name,
            "type": kind,
            "format": if name == "Name" { "name" } else { "" },
            "description": description,
            "priority": priority,
        })
    };
    let cols = columns(gr);
    let (definitions, cells): (Vec<Value>, Cells<'_>) = if custom.is_empty() {
        let defs = cols
            .iter()
            .map(|c| definition(c.name, c.kind, i64::from(c.wide)))
            .collect();
        (
            defs,
            Box::new(|o: &Value| cols.iter().map(|c| (c.cell)(o, ages)).collect()),
        )
    } else {
        let defs = std::iter::once(definition("Name", "string", 0))
            .chain(
                custom
                    .iter()
                    .map(|c| definition(&c.name, &c.kind, c.priority)),
            )
            .collect();
        (
            defs,
            Box::new(|o: &Value| {
                std::iter::once(name(o, ages))
                    .chain(custom.iter().map(|c| c.cell(o)))
                    .collect()
            }),
        )
    };
    // Each object is moved into its row (or its metadata taken out of it), never copied.
    let rows: Vec<Value> = objects
        .into_iter()
        .map(|mut o| {
            let mut row = json!({"cells": cells(&o)});
            match include {
                "None" => {}
                "Object" => row["object"] = o,
                _ => {
                    let metadata = o.get_mut("metadata").map_or_else(|| json!({}), Value::take);
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": metadata,
                    })
                }
            }
            row
        })
        .collect();
    let mut metadata = json!({"resourceVersion": crate::objects::LIST_VERSION});
    if let Some(c) = continue_ {
        metadata["continue"] = json!(c);
    }
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

/// Seconds since the epoch of a Kubernetes timestamp (RFC 3339).
pub fn epoch_seconds(ts: &str) -> Option<i64> {
    veloscope_core::api::timestamp_seconds(ts).map(|s| s as i64)
}

/// A duration as kubectl prints ages (`HumanDuration` of apimachinery).
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// apimachinery's `HumanDuration` cases.
    #[test]
    fn ages_read_as_kubectl_prints_them() {
        for (secs, want) in [
            (0, "0s"),
            (119, "119s"),
            (120, "2m"),
            (125, "2m5s"),
            (600, "10m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 600, "3h10m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (49 * 3600, "2d1h"),
            (8 * 86400, "8d"),
            (730 * 86400, "2y"),
            (731 * 86400, "2y1d"),
            (9 * 365 * 86400, "9y"),
        ] {
            assert_eq!(human_duration(secs), want, "{secs}");
        }
    }
}
