//! Signing keys. A district makes its Ed25519 key pair with `safety-alliance federation keygen`:
//! the private key stays in a file only its owner may read (0600), the public key goes to the
//! city out of band. The city verifies with the keys it enrolled, chosen by the bundle's `kid`
//! among the sender's own; a bundle can name a key, never bring one.

use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;

use crate::federation::model::{sha256_hex, Bundle};

/// A key's id: the first 16 hex digits of the SHA-256 of its 32 public bytes.
pub fn kid_of(public: &VerifyingKey) -> String {
    sha256_hex(public.as_bytes())[..16].to_string()
}

/// A public key as enrolled (SPKI PEM), and its id.
pub fn read_public(pem: &str) -> Result<(VerifyingKey, String), String> {
    let key = VerifyingKey::from_public_key_pem(pem.trim())
        .map_err(|e| format!("not an Ed25519 public key (PEM): {e}"))?;
    let kid = kid_of(&key);
    Ok((key, kid))
}

/// The public key's PEM, as the city enrols it.
pub fn public_pem(key: &VerifyingKey) -> Result<String, String> {
    key.to_public_key_pem(Default::default())
        .map_err(|e| e.to_string())
}

/// What `keygen` made.
#[derive(Debug)]
pub struct Generated {
    pub private_path: PathBuf,
    pub public_path: PathBuf,
    pub kid: String,
    pub public_pem: String,
}

/// Makes a key pair: the private key into `path` (created with mode 0600; an existing file is
/// left alone unless `replace`), the public key beside it (`.pub.pem`).
pub fn keygen(path: &Path, replace: bool) -> Result<Generated, String> {
    if path.exists() && !replace {
        return Err(format!(
            "{} exists; keep it, or pass --out with another file (rotation keeps the old key \
             until the city retires it)",
            path.display()
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let signing = SigningKey::from_bytes(&seed);
    seed.fill(0);
    let private = signing
        .to_pkcs8_pem(Default::default())
        .map_err(|e| e.to_string())?;
    write_private(path, private.as_bytes(), replace)?;
    let public = signing.verifying_key();
    let public_pem = public_pem(&public)?;
    let public_path = public_path(path);
    std::fs::write(&public_path, &public_pem)
        .map_err(|e| format!("{}: {e}", public_path.display()))?;
    Ok(Generated {
        private_path: path.to_path_buf(),
        public_path,
        kid: kid_of(&public),
        public_pem,
    })
}

/// `key.pem` → `key.pub.pem`.
pub fn public_path(private: &Path) -> PathBuf {
    let stem = private
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "signing-key".into());
    private.with_file_name(format!("{stem}.pub.pem"))
}

/// Writes the private key through a temporary file (mode 0600 from its creation); without
/// `replace`, the key takes a path nobody else took meanwhile (a link fails if it exists).
#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8], replace: bool) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    if replace {
        return std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8], _replace: bool) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A district's signing key, loaded.
pub struct Signer {
    pub kid: String,
    key: EncodingKey,
}

impl Signer {
    /// Reads the private key; refuses one that others may read.
    pub fn load(path: &Path) -> Result<Signer, String> {
        use std::io::Read;
        // Opened once: the mode checked is the file read.
        let mut file = std::fs::File::open(path).map_err(|e| {
            format!(
                "no signing key at {} ({e}): make one with `safety-alliance federation keygen`",
                path.display()
            )
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = file
                .metadata()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(format!(
                    "{} may be read by others (mode {:o}): chmod 600 it",
                    path.display(),
                    meta.permissions().mode() & 0o777
                ));
            }
        }
        let mut pem = String::new();
        file.read_to_string(&mut pem)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let signing = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| format!("{}: not an Ed25519 private key: {e}", path.display()))?;
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Signer {
            kid: kid_of(&signing.verifying_key()),
            key,
        })
    }

    /// The bundle as a compact JWS (EdDSA), with its key's id in the header.
    pub fn sign(&self, bundle: &Bundle) -> Result<String, String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, bundle, &self.key).map_err(|e| e.to_string())
    }
}

/// The payload bytes of a compact JWS (what was signed, and what its hash is taken of).
pub fn payload_bytes(jws: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let mut parts = jws.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
}
