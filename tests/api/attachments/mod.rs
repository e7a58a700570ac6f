//! Attachments: upload, download and sending with a message ([`basics`]);
//! a corpus of hostile files ([`hostile`]); who may see what ([`access`]);
//! limits ([`limits`]); deletion, erasure, export, unsent uploads
//! ([`lifecycle`]); the S3 store against a real S3-compatible server
//! ([`s3`]); backups that carry the files ([`backup`]).

mod access;
mod backup;
mod basics;
mod hostile;
mod lifecycle;
mod limits;
mod s3;

use std::io::Cursor;

use lantern_tests::TestApp;
use serde_json::Value;

/// A site, a visitor token of it and a conversation of that visitor.
pub struct Scene {
    pub site: lantern_tests::app::SiteKeys,
    pub visitor: String,
    pub conversation: String,
}

pub async fn scene(app: &TestApp) -> Scene {
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let conversation = app.conversation_id(&visitor).await;
    Scene {
        site,
        visitor,
        conversation,
    }
}

/// Posts a message of the scene's visitor with the uploads `ids`.
pub async fn send_files(app: &TestApp, s: &Scene, content: &str, ids: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/conversations/{}/messages", s.conversation),
        &s.visitor,
        &serde_json::json!({"content": content, "attachment_ids": ids}),
    )
    .await
}

/// Uploads `bytes` and expects 201; the attachment.
pub async fn uploaded(
    app: &TestApp,
    conversation: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let res = app.upload(conversation, token, name, bytes).await;
    let status = res.status();
    let body: Value = res.json().await.expect("json");
    assert_eq!(status, 201, "{body}");
    body
}

/// A JPEG of `w` × `h` with a gradient; with `marker` in an EXIF-like
/// APP1 segment (where cameras put GPS positions) when given.
pub fn jpeg(w: u32, h: u32, marker: Option<&str>) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode a JPEG");
    let bytes = out.into_inner();
    let Some(marker) = marker else { return bytes };
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(marker.as_bytes());
    let len = u16::try_from(payload.len() + 2).expect("short segment");
    let mut with = bytes[..2].to_vec(); // SOI
    with.extend_from_slice(&[0xFF, 0xE1]);
    with.extend_from_slice(&len.to_be_bytes());
    with.extend_from_slice(&payload);
    with.extend_from_slice(&bytes[2..]);
    with
}

/// A PNG of `w` × `h` with transparency.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([x as u8, y as u8, 200, 128]));
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// CRC-32 (IEEE), as PNG chunks carry it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk with its length and CRC.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// The value of metric line `name{labels}` in `/metrics`, 0 when absent.
pub async fn metric(app: &TestApp, series: &str) -> f64 {
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

/// GETs `path` with `token`; the status and the body's bytes.
pub async fn fetch(
    app: &TestApp,
    path: &str,
    token: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.get_auth(path, token).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

/// Every file under the local store's folder (relative paths).
pub fn stored_files(app: &TestApp) -> Vec<String> {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if let Ok(rel) = path.strip_prefix(base) {
                out.push(rel.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.attachments_dir.0, &app.attachments_dir.0, &mut out);
    out.sort();
    out
}
