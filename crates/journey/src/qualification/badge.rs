//! Open Badges 3.0 credentials (W3C Verifiable Credentials, type
//! `OpenBadgeCredential`) for a completed learning path, signed with the
//! instance's Ed25519 key as a Data Integrity proof (cryptosuite
//! `eddsa-jcs-2022`: JSON Canonicalization Scheme, RFC 8785, then SHA-256
//! and Ed25519).
//!
//! JCS rather than RDF canonicalisation keeps verification offline and
//! dependency-free: anyone with the instance's public key (published as a
//! `did:key`) can check a badge without fetching JSON-LD contexts.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::QualificationError;

pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// What the badge says; the caller fills it from the path and the person.
#[derive(Debug, Clone, PartialEq)]
pub struct BadgeContent {
    /// A URL or URN that identifies this credential.
    pub credential_id: String,
    /// The instance (municipality) that issues it.
    pub issuer_url: String,
    pub issuer_name: String,
    /// The learning path as achievement.
    pub achievement_id: String,
    pub achievement_name: String,
    pub achievement_description: String,
    pub criteria: String,
    /// (competency area name, level name, URL of the area in the framework).
    pub alignments: Vec<(String, String, String)>,
    pub framework: String,
    pub recipient_name: String,
    /// RFC 3339, e.g. `2026-11-26T14:00:00Z`.
    pub valid_from: String,
}

/// The public key as `did:key` (the way Data Integrity names it).
pub fn did_key(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// The public key from a `did:key` (with or without `#fragment`).
pub fn key_from_did(did: &str) -> Result<VerifyingKey, String> {
    let id = did.split('#').next().unwrap_or("");
    let encoded = id
        .strip_prefix("did:key:z")
        .ok_or_else(|| format!("„{did}“ ist kein did:key mit base58-Kodierung."))?;
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|e| format!("„{did}“ ist nicht base58-kodiert: {e}"))?;
    let raw: [u8; 32] = bytes
        .strip_prefix(&ED25519_PUB)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| format!("„{did}“ ist kein Ed25519-Schlüssel."))?;
    VerifyingKey::from_bytes(&raw).map_err(|e| format!("Ungültiger Schlüssel: {e}"))
}

/// JSON Canonicalization Scheme (RFC 8785) for the values badges contain:
/// object keys sorted by UTF-16 code units, no whitespace, strings escaped
/// as ECMAScript does (serde_json's escaping is the same).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The unsigned credential document.
pub fn credential(content: &BadgeContent) -> Value {
    let alignment: Vec<Value> = content
        .alignments
        .iter()
        .map(|(area, level, url)| {
            json!({
                "type": ["Alignment"],
                "targetName": format!("{area}: {level}"),
                "targetUrl": url,
                "targetFramework": content.framework,
                "targetType": "CFItem",
            })
        })
        .collect();
    json!({
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": content.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": content.achievement_name,
        "issuer": {
            "id": content.issuer_url,
            "type": ["Profile"],
            "name": content.issuer_name,
        },
        "validFrom": content.valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": false,
                "identityHash": content.recipient_name,
            }],
            "achievement": {
                "id": content.achievement_id,
                "type": ["Achievement"],
                "achievementType": "LearningProgram",
                "name": content.achievement_name,
                "description": content.achievement_description,
                "criteria": { "narrative": content.criteria },
                "alignment": alignment,
            },
        },
    })
}

fn hash_data(proof_config: &Value, document: &Value) -> Vec<u8> {
    let mut data = Sha256::digest(canonical_json(proof_config).as_bytes()).to_vec();
    data.extend_from_slice(&Sha256::digest(canonical_json(document).as_bytes()));
    data
}

/// Adds a Data Integrity proof. `created` is RFC 3339.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    created: &str,
) -> Result<Value, QualificationError> {
    let Value::Object(doc) = document else {
        return Err(QualificationError::InvalidCredential(
            "Das Dokument ist kein JSON-Objekt.".into(),
        ));
    };
    if doc.contains_key("proof") {
        return Err(QualificationError::InvalidCredential(
            "Das Dokument ist bereits signiert.".into(),
        ));
    }
    let did = did_key(&key.verifying_key());
    let fragment = did.trim_start_matches("did:key:");
    let mut proof = Map::new();
    proof.insert("type".into(), json!("DataIntegrityProof"));
    proof.insert("cryptosuite".into(), json!(CRYPTOSUITE));
    proof.insert("created".into(), json!(created));
    proof.insert(
        "verificationMethod".into(),
        json!(format!("{did}#{fragment}")),
    );
    proof.insert("proofPurpose".into(), json!("assertionMethod"));
    if let Some(ctx) = doc.get("@context") {
        proof.insert("@context".into(), ctx.clone());
    }
    let signature = key.sign(&hash_data(&Value::Object(proof.clone()), document));
    proof.insert(
        "proofValue".into(),
        json!(format!(
            "z{}",
            bs58::encode(signature.to_bytes()).into_string()
        )),
    );
    let mut signed = doc.clone();
    signed.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(signed))
}

/// What a successful check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub name: String,
    pub issuer: String,
    pub valid_from: String,
}

fn failed(reason: impl Into<String>) -> QualificationError {
    QualificationError::VerificationFailed(reason.into())
}

/// Checks a signed badge against the instance's public key, offline. The
/// error says why a badge fails: not a badge, no proof, signed by another
/// key, or changed after signing.
pub fn verify(signed: &Value, key: &VerifyingKey) -> Result<Verified, QualificationError> {
    let Value::Object(doc) = signed else {
        return Err(failed("Das Dokument ist kein JSON-Objekt."));
    };
    let types = doc
        .get("type")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if !types.iter().any(|t| t == "OpenBadgeCredential") {
        return Err(failed(
            "Das Dokument ist kein Open Badge (Typ OpenBadgeCredential fehlt).",
        ));
    }
    let mut unsecured = doc.clone();
    let Some(Value::Object(mut proof)) = unsecured.remove("proof") else {
        return Err(failed("Das Dokument enthält keine Signatur (proof fehlt)."));
    };
    if proof.get("type").and_then(Value::as_str) != Some("DataIntegrityProof")
        || proof.get("cryptosuite").and_then(Value::as_str) != Some(CRYPTOSUITE)
    {
        return Err(failed(format!(
            "Die Signatur hat ein unbekanntes Verfahren; erwartet wird DataIntegrityProof mit {CRYPTOSUITE}."
        )));
    }
    if let Some(ctx) = proof.get("@context") {
        if unsecured.get("@context") != Some(ctx) {
            return Err(failed(
                "Der @context der Signatur passt nicht zum Dokument.",
            ));
        }
    }
    let method = proof
        .get("verificationMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("Die Signatur nennt keinen Schlüssel (verificationMethod)."))?;
    let signer = key_from_did(method).map_err(failed)?;
    if signer != *key {
        return Err(failed(
            "Der Nachweis wurde mit einem anderen Schlüssel signiert als dem dieser Instanz.",
        ));
    }
    let value = proof
        .remove("proofValue")
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or_else(|| failed("Der Signaturwert (proofValue) fehlt."))?;
    let bytes = value
        .strip_prefix('z')
        .and_then(|v| bs58::decode(v).into_vec().ok())
        .ok_or_else(|| failed("Der Signaturwert ist nicht base58btc-kodiert."))?;
    let signature = Signature::from_slice(&bytes)
        .map_err(|_| failed("Der Signaturwert hat nicht die Länge einer Ed25519-Signatur."))?;
    let unsecured = Value::Object(unsecured);
    key.verify(&hash_data(&Value::Object(proof), &unsecured), &signature)
        .map_err(|_| {
            failed("Die Signatur passt nicht zum Inhalt: Der Nachweis wurde nach dem Ausstellen verändert.")
        })?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(Verified {
        name: text(unsecured.get("name")),
        issuer: text(unsecured.pointer("/issuer/name")),
        valid_from: text(unsecured.get("validFrom")),
    })
}

/// The signing key from the 32-byte seed the instance keeps.
pub fn signing_key(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_bytes(seed)
}

/// The instance's public key as `did:key`, from its seed.
pub fn public_did(seed: &[u8; 32]) -> String {
    did_key(&signing_key(seed).verifying_key())
}

/// [`verify`] with the key derived from the instance's seed.
pub fn verify_with_seed(signed: &Value, seed: &[u8; 32]) -> Result<Verified, QualificationError> {
    verify(signed, &signing_key(seed).verifying_key())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn content() -> BadgeContent {
        BadgeContent {
            credential_id: "https://ki.example/qualifizierung/nachweise/1".into(),
            issuer_url: "https://ki.example/".into(),
            issuer_name: "Stadt Beispiel".into(),
            achievement_id: "https://ki.example/qualifizierung/lernpfade/grundlagen_alle".into(),
            achievement_name: "KI-Grundlagen für alle".into(),
            achievement_description: "Art. 4 KI-Verordnung".into(),
            criteria: "Alle Schritte des Lernpfads abgeschlossen.".into(),
            alignments: vec![(
                "KI verstehen".into(),
                "Stufe 1".into(),
                "https://ki.example/kompetenzen#ki_verstehen".into(),
            )],
            framework: "Kompetenzrahmen KI für die Kommunalverwaltung".into(),
            recipient_name: "Erika Mustermann".into(),
            valid_from: "2026-11-26T14:00:00Z".into(),
        }
    }

    #[test]
    fn a_signed_badge_verifies_with_the_public_key_offline() {
        let k = key(7);
        let signed = sign(&credential(&content()), &k, "2026-11-26T14:00:00Z").unwrap();
        assert_eq!(signed["type"][1], "OpenBadgeCredential");
        assert_eq!(signed["proof"]["cryptosuite"], "eddsa-jcs-2022");
        let ok = verify(&signed, &k.verifying_key()).unwrap();
        assert_eq!(ok.name, "KI-Grundlagen für alle");
        assert_eq!(ok.issuer, "Stadt Beispiel");
        // Survives a round trip through text with different key order.
        let text = serde_json::to_string_pretty(&signed).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert!(verify(&back, &k.verifying_key()).is_ok());
    }

    #[test]
    fn a_tampered_badge_fails_and_says_it_was_changed() {
        let k = key(7);
        let mut signed = sign(&credential(&content()), &k, "2026-11-26T14:00:00Z").unwrap();
        signed["credentialSubject"]["identifier"][0]["identityHash"] = json!("Max Mustermann");
        let err = verify(&signed, &k.verifying_key()).unwrap_err().to_string();
        assert!(err.contains("verändert"), "{err}");
    }

    #[test]
    fn a_badge_from_another_key_or_without_proof_fails_with_its_reason() {
        let signed = sign(&credential(&content()), &key(1), "2026-11-26T14:00:00Z").unwrap();
        let err = verify(&signed, &key(2).verifying_key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("anderen Schlüssel"), "{err}");
        let err = verify(&credential(&content()), &key(1).verifying_key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("proof fehlt"), "{err}");
    }

    #[test]
    fn did_key_round_trips_and_has_the_ed25519_prefix() {
        let k = key(3).verifying_key();
        let did = did_key(&k);
        assert!(did.starts_with("did:key:z6Mk"), "{did}");
        assert_eq!(key_from_did(&format!("{did}#x")).unwrap(), k);
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v = json!({"b": [1, {"z": null, "a": "ä\n"}], "a": true, "€": 1, "\u{10000}": 2});
        // RFC 8785 sorts by UTF-16 code units: € (20AC) before U+10000 (D800 DC00).
        assert_eq!(
            canonical_json(&v),
            "{\"a\":true,\"b\":[1,{\"a\":\"ä\\n\",\"z\":null}],\"€\":1,\"\u{10000}\":2}"
        );
    }
}
