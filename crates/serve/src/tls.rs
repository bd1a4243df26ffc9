//! TLS with rustls: the certificate given with `--tls-cert`/`--tls-key`, or one made at start for
//! loopback (kubectl and client-go send a bearer token only over TLS). A made certificate is
//! signed by a certificate authority that exists only in this process's memory and in the
//! kubeconfig it writes: once the server stops, nothing can sign with it again.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::ServerConfig;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("cannot make a certificate for the server: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("TLS: {0}")]
    Rustls(#[from] tokio_rustls::rustls::Error),
}

/// A server's TLS: its configuration, and the authority a client must trust (PEM).
pub struct Tls {
    pub config: Arc<ServerConfig>,
    pub authority_pem: Vec<u8>,
}

/// The rustls configuration of a PEM certificate chain and key (the chain is what clients trust).
pub fn from_files(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
    let failed = |p: &Path, e: &dyn std::fmt::Display| TlsError::File {
        file: p.display().to_string(),
        message: e.to_string(),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| failed(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| failed(cert, &e))?;
    if certs.is_empty() {
        return Err(failed(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| failed(key, &e))?;
    let authority_pem = std::fs::read(cert).map_err(|e| failed(cert, &e))?;
    Ok(Tls {
        config: server_config(certs, key_der)?,
        authority_pem,
    })
}

/// A certificate for `names` (IP addresses or DNS names), signed by a new in-memory authority.
pub fn generated(names: &[String]) -> Result<Tls, TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "veloscope serve (this process only)");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(names.to_vec())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "veloscope serve");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok(Tls {
        config: server_config(vec![leaf_cert.der().clone()], key_der)?,
        authority_pem: ca_cert.pem().into_bytes(),
    })
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    // HTTP/1.1 only: what the server speaks.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_certificate_names_loopback() {
        let tls = generated(&["127.0.0.1".into(), "localhost".into()]).unwrap();
        let pem = String::from_utf8(tls.authority_pem).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    }

    #[test]
    fn files_without_a_certificate_are_refused_by_name() {
        let dir = std::env::temp_dir().join(format!("veloscope-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
        std::fs::write(&cert, "not pem").unwrap();
        std::fs::write(&key, "not pem").unwrap();
        let err = from_files(&cert, &key).err().unwrap().to_string();
        assert!(err.contains("c.pem"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
