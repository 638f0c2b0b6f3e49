//! `ki-reise directory sync` as an operator runs it from cron: the
//! `[directory]` section of the config file (CA certificate from a file,
//! bind password from the environment) against a real slapd; an account
//! whose directory entry is gone is deactivated, the others stay.

#[allow(dead_code)]
#[path = "../../portal/tests/common/slapd.rs"]
mod slapd;

use std::process::Command;

use journey::access::Role;
use store::directory_accounts::DirectoryAccount;

fn account(login: &str, email: &str) -> DirectoryAccount {
    DirectoryAccount {
        login: login.into(),
        email: email.into(),
        name: login.into(),
        role: Role::Staff,
        department: None,
        gaps: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_sync_deactivates_who_left() {
    let Some(ldap) = slapd::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("daten");
    std::fs::create_dir_all(&data).unwrap();
    let store = store::Store::connect_sqlite_file(&data.join("ki-reise.db"))
        .await
        .unwrap();
    let actor = store::Actor::system();
    store
        .provision_directory_account(&actor, &account("bernd.berg", "bernd.berg@musterstadt.de"))
        .await
        .unwrap();
    store
        .provision_directory_account(&actor, &account("ehemalig", "ehemalig@musterstadt.de"))
        .await
        .unwrap();
    store.close().await;

    let without = Command::new(env!("CARGO_BIN_EXE_ki-reise"))
        .args(["directory", "sync", "--data"])
        .arg(&data)
        .env_remove("KI_REISE_DATABASE_URL")
        .env_remove("KI_REISE_CONFIG")
        .output()
        .unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("nicht eingeschaltet"));

    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ldap.ca_pem).unwrap();
    let config = dir.path().join("ki-reise.toml");
    std::fs::write(
        &config,
        format!(
            "[directory]\nenabled = true\nurl = \"{}\"\nca_cert_file = \"{}\"\n\
             bind_dn = \"{}\"\nbase_dn = \"ou=Verwaltung,{}\"\n\
             user_filter = \"(&(objectClass=inetOrgPerson)(uid={{login}}))\"\n\
             login_attribute = \"uid\"\nnested_groups = \"walk\"\n",
            ldap.ldaps_url,
            ca.display(),
            slapd::SERVICE_DN,
            slapd::BASE
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ki-reise"))
        .args(["directory", "sync", "--data"])
        .arg(&data)
        .arg("--config")
        .arg(&config)
        .env_remove("KI_REISE_DATABASE_URL")
        .env("KI_REISE_DIRECTORY_BIND_PASSWORD", slapd::SERVICE_PASSWORD)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("2 Konten geprüft"), "{text}");
    assert!(
        text.contains("deaktiviert: ehemalig@musterstadt.de"),
        "{text}"
    );

    let store = store::Store::connect_sqlite_file(&data.join("ki-reise.db"))
        .await
        .unwrap();
    let gone = store
        .user_by_email("ehemalig@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    assert!(!gone.active);
    let bernd = store
        .user_by_email("bernd.berg@musterstadt.de")
        .await
        .unwrap()
        .unwrap();
    assert!(bernd.active);
    store.close().await;
}
