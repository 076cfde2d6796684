//! The Jupyter wire protocol (messaging spec 5.3): multipart ZeroMQ frames
//! `[identities…, "<IDS|MSG>", signature, header, parent_header, metadata,
//! content, buffers…]`, signed with HMAC-SHA256 over the four JSON frames.

use bytes::Bytes;
use hmac::{Hmac, Mac};
use jupyter_protocol::messaging::Header;
use serde_json::Value;
use sha2::Sha256;

/// The delimiter between routing identities and the message.
pub const DELIMITER: &[u8] = b"<IDS|MSG>";

/// Signs and verifies messages with the connection file's key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    /// A signer for `key` (an empty key disables signing, as the spec allows).
    pub fn new(key: &str) -> Self {
        Self { key: key.as_bytes().to_vec() }
    }

    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        if self.key.is_empty() {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
        }
        Some(mac)
    }

    /// The hex signature of the four JSON frames (empty without a key).
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        self.mac(parts).map(|m| hex(&m.finalize().into_bytes())).unwrap_or_default()
    }

    /// Whether `signature` is right for the frames, compared in constant time.
    pub fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        match self.mac(parts) {
            None => true,
            Some(mac) => unhex(signature).is_some_and(|raw| mac.verify_slice(&raw).is_ok()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()).collect()
}

/// A message as received: routing identities, header and the other parts as JSON.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// The ZeroMQ identities to route the reply to.
    pub identities: Vec<Bytes>,
    /// The header.
    pub header: Header,
    /// The header of the request this message answers, if any.
    pub parent: Option<Header>,
    /// The content.
    pub content: Value,
    /// The metadata.
    pub metadata: Value,
}

/// Why a message was dropped.
#[derive(Debug, PartialEq, Eq)]
pub enum Rejected {
    /// No `<IDS|MSG>` delimiter or too few frames.
    Malformed(String),
    /// The HMAC signature does not match.
    BadSignature,
}

/// Decodes and verifies a multipart message.
pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Incoming, Rejected> {
    let Some(at) = frames.iter().position(|f| f.as_ref() == DELIMITER) else {
        return Err(Rejected::Malformed("no <IDS|MSG> delimiter".into()));
    };
    if frames.len() < at + 6 {
        return Err(Rejected::Malformed(format!("{} frames after the delimiter, need 5", frames.len() - at - 1)));
    }
    let parts: Vec<&[u8]> = frames[at + 2..at + 6].iter().map(|f| f.as_ref()).collect();
    if !signer.verify(&frames[at + 1], &parts) {
        return Err(Rejected::BadSignature);
    }
    let json = |i: usize, what: &str| -> Result<Value, Rejected> {
        serde_json::from_slice(parts[i]).map_err(|e| Rejected::Malformed(format!("the {what} is not JSON: {e}")))
    };
    let header: Header =
        serde_json::from_value(json(0, "header")?).map_err(|e| Rejected::Malformed(format!("bad header: {e}")))?;
    let parent = serde_json::from_value::<Header>(json(1, "parent header")?).ok();
    Ok(Incoming {
        identities: frames[..at].to_vec(),
        header,
        parent,
        metadata: json(2, "metadata")?,
        content: json(3, "content")?,
    })
}

/// Encodes a message for sending: identities, delimiter, signature, the four JSON parts.
pub fn encode(
    identities: &[Bytes],
    header: &Header,
    parent: Option<&Header>,
    content: &Value,
    signer: &Signer,
) -> Vec<Bytes> {
    let header = serde_json::to_vec(header).unwrap_or_default();
    let parent = parent.map_or_else(|| b"{}".to_vec(), |p| serde_json::to_vec(p).unwrap_or_default());
    let metadata = b"{}".to_vec();
    let content = serde_json::to_vec(content).unwrap_or_default();
    let signature = signer.sign(&[&header, &parent, &metadata, &content]);
    let mut frames: Vec<Bytes> = identities.to_vec();
    frames.push(Bytes::from_static(DELIMITER));
    frames.push(Bytes::from(signature));
    for part in [header, parent, metadata, content] {
        frames.push(Bytes::from(part));
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(msg_type: &str) -> Header {
        serde_json::from_value(serde_json::json!({
            "msg_id": "1", "username": "u", "session": "s", "date": "2026-01-01T00:00:00Z", "msg_type": msg_type, "version": "5.3"
        }))
        .unwrap()
    }

    #[test]
    fn signed_messages_round_trip_and_tampering_is_caught() {
        let signer = Signer::new("secret");
        let frames = encode(
            &[Bytes::from_static(b"peer")],
            &header("execute_request"),
            None,
            &serde_json::json!({"code": "1"}),
            &signer,
        );
        let msg = decode(frames.clone(), &signer).unwrap();
        assert_eq!(msg.identities, vec![Bytes::from_static(b"peer")]);
        assert_eq!(msg.header.msg_type, "execute_request");
        assert_eq!(msg.content["code"], "1");
        let mut tampered = frames.clone();
        tampered[6] = Bytes::from_static(b"{\"code\": \"2\"}");
        assert_eq!(decode(tampered, &signer).unwrap_err(), Rejected::BadSignature);
        assert_eq!(decode(frames, &Signer::new("other")).unwrap_err(), Rejected::BadSignature);
        assert!(matches!(decode(vec![Bytes::from_static(b"junk")], &signer), Err(Rejected::Malformed(_))));
    }

    #[test]
    fn the_signature_is_hmac_sha256_hex() {
        // RFC 4231 test case 2
        let signer = Signer::new("Jefe");
        assert_eq!(
            signer.sign(&[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
