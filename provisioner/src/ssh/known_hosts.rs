//! OpenSSH `known_hosts` files: parsing, matching (plain, wildcard, negated, hashed `|1|` and
//! `[host]:port` entries) and recording new hosts.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use sha1::Sha1;

/// The name under which OpenSSH files a host: `host` on port 22, `[host]:port` otherwise.
pub fn host_token(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// What the known_hosts file says about a presented host key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A non-revoked entry for this host has exactly this key.
    Trusted,
    /// No entry for this host. `other_types` is true when the host is known with keys of other
    /// algorithms only.
    Unknown {
        /// Whether keys of other algorithms are on file for this host.
        other_types: bool,
    },
    /// The host is on file with a different key of the same algorithm (line number, 1-based).
    Changed {
        /// 1-based line of the first conflicting entry.
        line: usize,
    },
    /// The key is marked `@revoked`.
    Revoked,
}

#[derive(Debug, Clone)]
enum Hosts {
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    Patterns(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    None,
    Revoked,
    CertAuthority,
}

#[derive(Debug, Clone)]
struct Entry {
    line: usize,
    marker: Marker,
    hosts: Hosts,
    key: PublicKey,
}

/// A parsed known_hosts file. Lines that cannot be parsed (unknown key types, garbage) are
/// skipped, as OpenSSH does; their numbers are kept in [`KnownHosts::skipped`].
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
    skipped: Vec<usize>,
}

impl KnownHosts {
    /// Parses the text of a known_hosts file.
    pub fn parse(text: &str) -> Self {
        let mut out = KnownHosts::default();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            match parse_line(line, trimmed) {
                Some(entry) => out.entries.push(entry),
                None => out.skipped.push(line),
            }
        }
        out
    }

    /// Reads and parses a file; a missing file is an empty list.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// Line numbers that were skipped because they could not be parsed.
    pub fn skipped(&self) -> &[usize] {
        &self.skipped
    }

    /// Checks a presented key for `host` on `port`.
    pub fn check(&self, host: &str, port: u16, key: &PublicKey) -> Verdict {
        let token = host_token(host, port);
        let mut other_types = false;
        let mut changed = None;
        let mut trusted = false;
        for entry in self.entries.iter().filter(|e| e.hosts.matches(&token)) {
            let same_key = entry.key.key_data() == key.key_data();
            match entry.marker {
                Marker::CertAuthority => continue,
                Marker::Revoked if same_key => return Verdict::Revoked,
                Marker::Revoked => continue,
                Marker::None => {}
            }
            if same_key {
                trusted = true;
            } else if entry.key.algorithm() == key.algorithm() {
                changed.get_or_insert(entry.line);
            } else {
                other_types = true;
            }
        }
        if trusted {
            Verdict::Trusted
        } else if let Some(line) = changed {
            Verdict::Changed { line }
        } else {
            Verdict::Unknown { other_types }
        }
    }
}

impl Hosts {
    fn matches(&self, token: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(token.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(patterns) => {
                let mut positive = false;
                for pattern in patterns {
                    if let Some(negated) = pattern.strip_prefix('!') {
                        if wildcard_match(&negated.to_ascii_lowercase(), token) {
                            return false;
                        }
                    } else if wildcard_match(&pattern.to_ascii_lowercase(), token) {
                        positive = true;
                    }
                }
                positive
            }
        }
    }
}

/// OpenSSH-style glob: `*` any run of characters, `?` exactly one.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn parse_line(line: usize, text: &str) -> Option<Entry> {
    let mut fields = text.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        _ => Marker::None,
    };
    if marker != Marker::None {
        first = fields.next()?;
    }
    let algorithm = fields.next()?;
    let blob = fields.next()?;
    let key = PublicKey::from_openssh(&format!("{algorithm} {blob}")).ok()?;
    let hosts = if let Some(rest) = first.strip_prefix("|1|") {
        let (salt, hash) = rest.split_once('|')?;
        let b64 = base64::engine::general_purpose::STANDARD;
        Hosts::Hashed {
            salt: b64.decode(salt).ok()?,
            hash: b64.decode(hash).ok()?,
        }
    } else {
        Hosts::Patterns(first.split(',').map(str::to_string).collect())
    };
    Some(Entry {
        line,
        marker,
        hosts,
        key,
    })
}

/// `|1|salt|hash` for a host token, as OpenSSH's `HashKnownHosts` writes it.
pub fn hashed_token(token: &str, salt: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut mac = Hmac::<Sha1>::new_from_slice(salt).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    format!(
        "|1|{}|{}",
        b64.encode(salt),
        b64.encode(mac.finalize().into_bytes())
    )
}

/// Appends `host_token key` to the file (created with mode 0600, parent directories too). When
/// the file already holds hashed entries, the new one is hashed too, so the file keeps not
/// revealing which hosts it knows.
pub fn record(path: &Path, host: &str, port: u16, key: &PublicKey) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let existing = std::fs::metadata(path)?.len();
    let mut text = String::new();
    let previous = if existing > 0 {
        std::fs::read_to_string(path)?
    } else {
        String::new()
    };
    if existing > 0 && !previous.ends_with('\n') {
        text.push('\n');
    }
    let hashed = previous.lines().any(|l| l.trim_start().starts_with("|1|"));
    let key_text = key
        .to_openssh()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    // Drop the comment: known_hosts lines carry none.
    let mut parts = key_text.split_whitespace();
    let (alg, blob) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let token = host_token(host, port);
    let name = if hashed {
        hashed_token(&token, &rand::random::<[u8; 20]>())
    } else {
        token
    };
    text.push_str(&format!("{name} {alg} {blob}\n"));
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED_A: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINFJyjuLDnqeUDklY8nhSTJvk8pQsXmXLhuPGBg0BsIM";
    const ED_B: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF7ykUhqPQTAa9qVj2eKNF/hxUkr833wgiDHFo5XBiY6";

    fn key(text: &str) -> PublicKey {
        PublicKey::from_openssh(text).unwrap()
    }

    #[test]
    fn token_uses_brackets_only_for_non_default_ports() {
        assert_eq!(host_token("10.0.0.1", 22), "10.0.0.1");
        assert_eq!(host_token("fd77::11", 2222), "[fd77::11]:2222");
        assert_eq!(host_token("Node1", 22), "node1");
    }

    #[test]
    fn plain_entry_trusted_and_changed() {
        let kh = KnownHosts::parse(&format!("# comment\n\nm1,10.0.0.1 {ED_A}\n"));
        assert_eq!(kh.check("10.0.0.1", 22, &key(ED_A)), Verdict::Trusted);
        assert_eq!(kh.check("M1", 22, &key(ED_A)), Verdict::Trusted);
        assert_eq!(
            kh.check("10.0.0.1", 22, &key(ED_B)),
            Verdict::Changed { line: 3 }
        );
        assert_eq!(
            kh.check("10.0.0.2", 22, &key(ED_A)),
            Verdict::Unknown { other_types: false }
        );
        // Same host, other port: a different identity.
        assert_eq!(
            kh.check("10.0.0.1", 2222, &key(ED_A)),
            Verdict::Unknown { other_types: false }
        );
    }

    #[test]
    fn bracketed_port_and_wildcards_and_negation() {
        let kh = KnownHosts::parse(&format!(
            "[127.0.0.1]:2222 {ED_A}\n10.77.0.* ,!10.77.0.99 {ED_B}\n"
        ));
        assert_eq!(kh.check("127.0.0.1", 2222, &key(ED_A)), Verdict::Trusted);
        assert_eq!(
            kh.check("127.0.0.1", 22, &key(ED_A)),
            Verdict::Unknown { other_types: false }
        );
        let kh = KnownHosts::parse(&format!("10.77.0.*,!10.77.0.99 {ED_B}\n"));
        assert_eq!(kh.check("10.77.0.21", 22, &key(ED_B)), Verdict::Trusted);
        assert_eq!(
            kh.check("10.77.0.99", 22, &key(ED_B)),
            Verdict::Unknown { other_types: false }
        );
        assert!(wildcard_match("a?c*", "abcdef"));
        assert!(!wildcard_match("a?c", "ac"));
    }

    #[test]
    fn hashed_entries_match_by_hmac() {
        let line = format!(
            "{} {ED_A}\n",
            hashed_token("[fd77::11]:2222", b"0123456789abcdefghij")
        );
        let kh = KnownHosts::parse(&line);
        assert_eq!(kh.check("fd77::11", 2222, &key(ED_A)), Verdict::Trusted);
        assert_eq!(
            kh.check("fd77::12", 2222, &key(ED_A)),
            Verdict::Unknown { other_types: false }
        );
        assert_eq!(
            kh.check("fd77::11", 2222, &key(ED_B)),
            Verdict::Changed { line: 1 }
        );
    }

    #[test]
    fn revoked_and_cert_authority_markers() {
        let kh = KnownHosts::parse(&format!(
            "@revoked * {ED_A}\n@cert-authority *.example {ED_B}\n"
        ));
        assert_eq!(kh.check("h.example", 22, &key(ED_A)), Verdict::Revoked);
        // A CA key is not a host key.
        assert_eq!(
            kh.check("h.example", 22, &key(ED_B)),
            Verdict::Unknown { other_types: false }
        );
    }

    #[test]
    fn other_algorithm_only_is_unknown_with_flag() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC5ohif4pzIdeu3TLYVw1Fnx02FutRhjPvam4cuXL/xPCeF4/fuZ+FDoeIk4sY9kGZpew4FVg1Al+k6ooTcg2Qw/9DnmeGGepKm1Cf7YKvSn2oysHnVBTHGqaXnektOLy6BRmbPdoXlSrV5N25toj+GprSztO5s2+mFUpJGpx+Brw==";
        let kh = KnownHosts::parse(&format!("h {rsa}\ngarbage line\n"));
        assert_eq!(kh.skipped(), &[2]);
        assert_eq!(
            kh.check("h", 22, &key(ED_A)),
            Verdict::Unknown { other_types: true }
        );
    }

    #[test]
    fn record_appends_and_is_then_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/known_hosts");
        record(&path, "fd77::11", 22, &key(ED_A)).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"# no newline")
            .unwrap();
        record(&path, "10.0.0.1", 2200, &key(ED_B)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\n[10.0.0.1]:2200 ssh-ed25519 "), "{text}");
        let kh = KnownHosts::read(&path).unwrap();
        assert_eq!(kh.check("fd77::11", 22, &key(ED_A)), Verdict::Trusted);
        assert_eq!(kh.check("10.0.0.1", 2200, &key(ED_B)), Verdict::Trusted);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn recording_into_a_hashed_file_hashes_the_new_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known_hosts");
        std::fs::write(
            &path,
            format!("{} {ED_A}\n", hashed_token("other", b"salt")),
        )
        .unwrap();
        record(&path, "10.77.0.11", 22, &key(ED_B)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("10.77.0.11"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("|1|")).count(), 2);
        let kh = KnownHosts::parse(&text);
        assert_eq!(kh.check("10.77.0.11", 22, &key(ED_B)), Verdict::Trusted);
    }

    #[test]
    fn missing_file_is_empty() {
        let kh = KnownHosts::read(Path::new("/nonexistent/known_hosts")).unwrap();
        assert_eq!(
            kh.check("h", 22, &key(ED_A)),
            Verdict::Unknown { other_types: false }
        );
    }
}
