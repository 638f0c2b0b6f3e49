//! A real OpenLDAP `slapd` for the directory tests: its own config and
//! database in a temporary folder, LDAPS and plain LDAP (for StartTLS) on
//! free ports, a test CA made with the openssl command at start, the tree
//! from `tests/fixtures/directory.ldif`. Ended when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BASE: &str = "dc=stadt,dc=test";
pub const SERVICE_DN: &str = "uid=svc-kireise,ou=Dienstkonten,dc=stadt,dc=test";
pub const SERVICE_PASSWORD: &str = "dienst-passwort-1";
pub const ROOT_DN: &str = "cn=admin,dc=stadt,dc=test";
pub const ROOT_PASSWORD: &str = "root-passwort-1";

pub struct Slapd {
    child: Child,
    pub dir: PathBuf,
    pub ldaps_url: String,
    pub ldap_url: String,
    pub ca_pem: String,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn find(name: &str) -> Option<PathBuf> {
    [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/libexec",
    ]
    .iter()
    .map(|d| Path::new(d).join(name))
    .find(|p| p.exists())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 and localhost
/// (`ca.pem`, `server.pem`, `server.key` in `dir`).
pub fn make_certificates(dir: &Path) {
    let p = |f: &str| dir.join(f);
    run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=KI-Reise Test-CA",
        ])
        .arg("-keyout")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    std::fs::write(
        p("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("server.pem"))
        .arg("-extfile")
        .arg(p("ext.cnf")));
}

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         include /etc/ldap/schema/nis.schema\n\
         pidfile {d}/slapd.pid\n\
         argsfile {d}/slapd.args\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         TLSCACertificateFile {d}/ca.pem\n\
         TLSCertificateFile {d}/server.pem\n\
         TLSCertificateKeyFile {d}/server.key\n\
         database mdb\n\
         maxsize 16777216\n\
         suffix \"{BASE}\"\n\
         rootdn \"{ROOT_DN}\"\n\
         rootpw {ROOT_PASSWORD}\n\
         directory {d}/db\n\
         access to attrs=userPassword by anonymous auth by * none\n\
         access to * by dn.exact=\"{SERVICE_DN}\" read by self read by * none\n"
    )
}

/// Starts slapd, or `None` (with the reason on stderr) where it is not
/// installed: CI installs it (scripts/test-all.sh), so there it always runs.
pub fn start() -> Option<Slapd> {
    let (Some(slapd), Some(slapadd)) = (find("slapd"), find("slapadd")) else {
        eprintln!(
            "SKIPPED: slapd is not installed here (apt-get install slapd ldap-utils); \
             the directory tests run in CI"
        );
        return None;
    };
    let dir = std::env::temp_dir().join(format!("kr-slapd-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(dir.join("db")).unwrap();
    make_certificates(&dir);
    std::fs::write(dir.join("slapd.conf"), config(&dir)).unwrap();
    // Included at build time, relative to this file, so that other crates'
    // tests can use this harness too.
    let ldif = dir.join("seed.ldif");
    std::fs::write(&ldif, include_str!("../fixtures/directory.ldif")).unwrap();
    run(Command::new(&slapadd)
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .arg("-l")
        .arg(&ldif));
    let (tls_port, plain_port) = (free_port(), free_port());
    let ldaps_url = format!("ldaps://127.0.0.1:{tls_port}");
    let ldap_url = format!("ldap://127.0.0.1:{plain_port}");
    // `-d 0` keeps slapd in the foreground (no detach), so it is our child.
    let child = Command::new(&slapd)
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .arg("-h")
        .arg(format!("{ldaps_url}/ {ldap_url}/"))
        .args(["-d", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("slapd starts");
    let ca_pem = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    let server = Slapd {
        child,
        dir,
        ldaps_url,
        ldap_url,
        ca_pem,
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", tls_port)).is_err()
        || std::net::TcpStream::connect(("127.0.0.1", plain_port)).is_err()
    {
        assert!(Instant::now() < deadline, "slapd did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

impl Slapd {
    /// Runs `f` on a connection bound as the directory's root (to change
    /// the tree during a test, e.g. remove a leaver).
    pub async fn as_root(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = ldap3::LdapConnAsync::new(&self.ldap_url).await.unwrap();
        ldap3::drive!(conn);
        ldap.simple_bind(ROOT_DN, ROOT_PASSWORD)
            .await
            .unwrap()
            .success()
            .unwrap();
        ldap
    }
}
