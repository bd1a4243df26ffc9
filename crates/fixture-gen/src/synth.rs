//! Large synthetic backups for benchmarks: real objects from the sonobuoy corpus used as
//! templates, renamed and spread over namespaces, streamed straight to the compressor.

use crate::{Codec, append_file, sources};
use anyhow::{Result, bail};
use serde_json::Value;
use std::io::{BufWriter, Write};
use std::path::Path;

pub struct Synth {
    pub items: usize,
    pub namespaces: usize,
    pub codec: Codec,
    /// Percentage of items whose body is changed (for diff benchmarks); 0 = none.
    pub mutate_percent: u32,
    /// Write items grouped by resource, then namespace, as Velero's item collector does,
    /// instead of spreading every namespace over the whole archive.
    pub velero_order: bool,
    /// Percentage of items made from the corpus's pod templates (a cluster's usual share is
    /// larger than the corpus's); None keeps the corpus's own mix.
    pub pod_percent: Option<u32>,
}

/// Namespaced templates from the corpus: (gr, body).
pub fn templates(corpus: &Path) -> Result<Vec<(String, Value)>> {
    let t: Vec<(String, Value)> = sources::sonobuoy(corpus)?
        .into_iter()
        .filter(|o| o.namespace.is_some())
        .map(|o| (o.gr, o.body))
        .collect();
    if t.is_empty() {
        bail!("no namespaced objects in {}", corpus.display());
    }
    Ok(t)
}

impl Synth {
    /// Writes the backup tarball; returns the number of logical items written.
    pub fn write(&self, templates: &[(String, Value)], out: &Path) -> Result<usize> {
        let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
        match self.codec {
            Codec::Gzip => {
                let enc = flate2::GzBuilder::new()
                    .operating_system(255)
                    .write(file, flate2::Compression::default());
                let enc = self.write_tar(templates, enc)?;
                enc.finish()?.flush()?;
            }
            Codec::Zstd => {
                let enc = zstd::Encoder::new(file, 3)?;
                let enc = self.write_tar(templates, enc)?;
                enc.finish()?.flush()?;
            }
            Codec::Tar => {
                self.write_tar(templates, file)?.flush()?;
            }
        }
        Ok(self.items)
    }

    fn write_tar<W: Write>(&self, templates: &[(String, Value)], w: W) -> Result<W> {
        let mut b = tar::Builder::new(w);
        append_file(&mut b, "metadata/version", b"1.1.0\n")?;
        let (pods, others): (Vec<_>, Vec<_>) = templates.iter().partition(|(gr, _)| gr == "pods");
        let template_of = |i: usize| -> &(String, Value) {
            match self.pod_percent {
                Some(p) if !pods.is_empty() && (i % 100) < p as usize => pods[i % pods.len()],
                Some(_) if !others.is_empty() => others[i % others.len()],
                _ => &templates[i % templates.len()],
            }
        };
        let mut order: Vec<usize> = (0..self.items).collect();
        if self.velero_order {
            let ns_of = |i: usize| i % self.namespaces.max(1);
            order.sort_by(|&a, &b| {
                let key = |i: usize| (&template_of(i).0, ns_of(i), i);
                key(a).cmp(&key(b))
            });
        }
        for i in order {
            let (gr, template) = template_of(i);
            let mut body = template.clone();
            let ns = format!("ns-{:04}", i % self.namespaces.max(1));
            let base = body["metadata"]["name"]
                .as_str()
                .unwrap_or("item")
                .to_string();
            let name = format!("{base}-{i:07}");
            body["metadata"]["name"] = name.clone().into();
            body["metadata"]["namespace"] = ns.clone().into();
            if self.mutate_percent > 0 && (i * 7919) % 100 < self.mutate_percent as usize {
                body["metadata"]["labels"]["veloscope.test/changed"] = "true".into();
            }
            let version = body["apiVersion"]
                .as_str()
                .and_then(|a| a.rsplit('/').next())
                .unwrap_or("v1")
                .to_string();
            let data = serde_json::to_vec(&body)?;
            let file = format!("namespaces/{ns}/{name}.json");
            append_file(&mut b, &format!("resources/{gr}/{file}"), &data)?;
            append_file(
                &mut b,
                &format!("resources/{gr}/{version}-preferredversion/{file}"),
                &data,
            )?;
        }
        Ok(b.into_inner()?)
    }
}
