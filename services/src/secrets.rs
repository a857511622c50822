//! The master key: encrypts private keys at rest (used by the certificate store). It comes from
//! GATEHOUSE_MASTER_KEY or from `master.key` in the data directory, created on first start with
//! mode 0600. Its id (a short hash) is stored beside everything it encrypts, so the key can be
//! rotated later without guessing which key sealed what.
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id {})", self.id())
    }
}

impl MasterKey {
    /// Accepts 32 bytes written as 64 hex digits or as base64 (standard or URL-safe).
    pub fn parse(text: &str) -> Result<MasterKey, String> {
        use base64::Engine;
        let text = text.trim();
        let decoded = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .or_else(|| base64::engine::general_purpose::URL_SAFE.decode(text).ok())
            .ok_or("is neither hex nor base64; generate one with `openssl rand -hex 32`")?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|d: Vec<u8>| format!("is {} bytes long; it must be exactly 32 (`openssl rand -hex 32`)", d.len()))?;
        Ok(MasterKey { bytes })
    }

    /// Reads `path`, or creates it with a new random key, readable only by this user.
    /// The key in `path`, or a new one written there (mode 0600). A key file that others may
    /// read is refused: whoever reads it can unseal every private key in the database.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                refuse_if_shared(path)?;
                MasterKey::parse(&text).map_err(|e| format!("{} {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                write_private(path, hex::encode(bytes).as_bytes()).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                Ok(MasterKey { bytes })
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// A short, stable, non-secret name for this key.
    pub fn id(&self) -> String {
        hex::encode(&Sha256::digest(self.bytes)[..4])
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// Refuses a key that did not seal the private keys already in the database: a node started
/// with another GATEHOUSE_MASTER_KEY than the others (or a data directory whose `master.key`
/// was replaced) would otherwise start and fail later, route by route. Checked at start, before
/// anything is read or sealed.
pub async fn ensure_database_sealed_with(db: &sea_orm::DatabaseConnection, key: &MasterKey) -> Result<(), String> {
    use crate::entities::{certificate, domain, environment};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ours = key.id();
    let problem = |e: sea_orm::DbErr| format!("cannot check which master key sealed the stored private keys: {e}");
    let others = [
        environment::Entity::find()
            .filter(environment::Column::GatewayMasterKeyId.is_not_null().and(environment::Column::GatewayMasterKeyId.ne(ours.as_str())))
            .one(db)
            .await
            .map_err(problem)?
            .and_then(|row| row.gateway_master_key_id),
        certificate::Entity::find()
            .filter(certificate::Column::MasterKeyId.is_not_null().and(certificate::Column::MasterKeyId.ne(ours.as_str())))
            .one(db)
            .await
            .map_err(problem)?
            .and_then(|row| row.master_key_id),
        domain::Entity::find()
            .filter(domain::Column::MasterKeyId.is_not_null().and(domain::Column::MasterKeyId.ne(ours.as_str())))
            .one(db)
            .await
            .map_err(problem)?
            .and_then(|row| row.master_key_id),
    ];
    match others.into_iter().flatten().next() {
        None => Ok(()),
        Some(theirs) => Err(format!(
            "the master key (GATEHOUSE_MASTER_KEY, or master.key in the data directory) is not the one this database's private keys were sealed with: \
             they name key {theirs}, this one is {ours}. Every node on one DATABASE_URL needs the same GATEHOUSE_MASTER_KEY, and a data directory's master.key must not be replaced"
        )),
    }
}

#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} may be read by other users (mode {:o}): run `chmod 600 {}` (and check who could have copied it)",
            path.display(),
            mode & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_: &Path) -> Result<(), String> {
    Ok(())
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let made = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(MasterKey::load_or_create(&path).unwrap().bytes(), made.bytes());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load_or_create(&path).err().unwrap();
        assert!(err.contains("may be read by other users (mode 644)") && err.contains("chmod 600"), "{err}");
    }

    #[tokio::test]
    async fn a_key_that_did_not_seal_the_stored_private_keys_is_refused() {
        let db = crate::testing::db().await;
        let (sealer, stranger) = (MasterKey::parse(&"11".repeat(32)).unwrap(), MasterKey::parse(&"22".repeat(32)).unwrap());
        ensure_database_sealed_with(&db, &stranger).await.expect("nothing sealed yet: any key");
        let env = crate::environments::all(&db).await.unwrap().remove(0);
        crate::environments::gateway_identity(&db, &sealer, &env, &[]).await.unwrap();
        ensure_database_sealed_with(&db, &sealer).await.unwrap();
        let err = ensure_database_sealed_with(&db, &stranger).await.unwrap_err();
        assert!(err.contains(&sealer.id()) && err.contains(&stranger.id()) && err.contains("same GATEHOUSE_MASTER_KEY"), "{err}");
    }

    #[test]
    fn parses_hex_and_base64_and_refuses_the_rest() {
        let hex = "00".repeat(32);
        assert_eq!(MasterKey::parse(&hex).unwrap().bytes(), &[0u8; 32]);
        assert!(MasterKey::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").is_ok());
        assert!(MasterKey::parse("abcd").unwrap_err().contains("32"));
        assert!(MasterKey::parse("not a key!").is_err());
    }

    #[test]
    fn creates_the_key_file_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = MasterKey::load_or_create(&path).unwrap();
        let again = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(first.bytes(), again.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
