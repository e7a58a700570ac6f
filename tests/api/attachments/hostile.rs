//! A corpus of hostile files, each built here: what is refused is refused
//! with a clear envelope and leaves nothing stored; what is accepted is
//! never served as a page or a script.

use lantern_tests::{Backend, TestApp, backend::raw_count, on_both_backends};
use serde_json::{Value, json};

use super::{chunk, fetch, jpeg, metric, scene, stored_files, uploaded};

/// A PNG whose header declares 60000 × 60000 pixels over a tiny IDAT: a
/// decompression bomb (14 GB of pixels) in a few dozen bytes.
fn png_bomb() -> Vec<u8> {
    let mut ihdr = 60_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

async fn hostile_files_are_refused_or_defused(backend: Backend) {
    // More uploads than a visitor's default rate (limits.rs tests that).
    let app = TestApp::spawn_with(backend, |s| s.attachments.uploads_per_visitor = 100).await;
    let s = scene(&app).await;
    let refused_type = r#"lantern_uploads_refused_total{reason="type"} "#;
    let before = metric(&app, refused_type).await;

    let corpus: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "logo.svg",
            br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "cat.svg",
            br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "photo.png",
            b"<html><body><script>alert(1)</script></body></html>".to_vec(),
            415,
            "unsupported_media_type",
        ),
        ("program.png", elf(), 415, "unsupported_media_type"),
        ("setup.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec(), 415, "unsupported_media_type"),
        ("binary.txt", b"looks like text\0but is not".to_vec(), 415, "unsupported_media_type"),
        ("latin1.txt", b"caf\xe9".to_vec(), 415, "unsupported_media_type"),
        ("empty.png", Vec::new(), 400, "validation_failed"),
        ("bomb.png", png_bomb(), 400, "validation_failed"),
    ];
    for (name, bytes, status, code) in corpus {
        let res = app.upload(&s.conversation, &s.visitor, name, bytes).await;
        assert_eq!(res.status(), status, "{name}");
        let body = crate::assert_envelope(res, status, code).await;
        if name == "bomb.png" {
            assert!(
                body["message"].as_str().is_some_and(|m| m.contains("8192")),
                "{body}"
            );
        }
    }
    assert_eq!(raw_count(&app.database_url, "attachments").await, 0);
    assert!(stored_files(&app).is_empty(), "{:?}", stored_files(&app));
    assert!(metric(&app, refused_type).await >= before + 7.0);

    // A GIF header with script after it (a GIF/JS polyglot): either not an
    // image at all, or re-encoded into a PNG with no trace of the script.
    let polyglot = b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;*/=alert(1)//".to_vec();
    let res = app
        .upload(&s.conversation, &s.visitor, "poly.gif", polyglot)
        .await;
    if res.status() == 201 {
        let a: Value = res.json().await.expect("json");
        assert_eq!(a["type"], "image/png", "{a}");
        let (_, headers, body) = fetch(&app, a["url"].as_str().expect("url"), &s.visitor).await;
        assert_eq!(headers["content-type"], "image/png");
        assert!(!String::from_utf8_lossy(&body).contains("alert"));
    } else {
        crate::assert_envelope(res, 400, "validation_failed").await;
    }

    // A truncated JPEG: refused, or stored as a complete, re-encoded image.
    let mut truncated = jpeg(300, 200, None);
    truncated.truncate(truncated.len() / 2);
    let res = app
        .upload(&s.conversation, &s.visitor, "cut.jpg", truncated)
        .await;
    if res.status() == 201 {
        let a: Value = res.json().await.expect("json");
        let (_, _, body) = fetch(&app, a["url"].as_str().expect("url"), &s.visitor).await;
        image::load_from_memory(&body).expect("a whole image was stored");
    } else {
        crate::assert_envelope(res, 400, "validation_failed").await;
    }

    // A name that tries to climb out and to read backwards is only text.
    let a = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "../../../etc/evil\u{202E}txt.exe\u{2066}.txt",
        b"harmless\n".to_vec(),
    )
    .await;
    assert_eq!(a["name"], "eviltxt.exe.txt", "{a}");
    assert!(
        stored_files(&app)
            .iter()
            .all(|f| !f.contains("evil") && !f.contains(".."))
    );
}
on_both_backends!(
    hostile_files_are_refused_or_defused,
    super::hostile_files_are_refused_or_defused
);

/// The first bytes of an x86-64 ELF executable.
fn elf() -> Vec<u8> {
    let mut out = b"\x7fELF\x02\x01\x01\x00".to_vec();
    out.resize(64, 0);
    out[16] = 2; // ET_EXEC
    out[18] = 0x3e; // x86-64
    out
}

async fn one_byte_over_the_limit_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = scene(&app).await;
    let site = format!("/api/v1/sites/{}", s.site.id);
    let res = app
        .client
        .patch(app.url(&site))
        .bearer_auth(&s.site.admin_key)
        .json(&json!({"attachments_max_bytes": 100_000}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let settings: Value = res.json().await.expect("json");
    assert_eq!(settings["attachments_max_bytes"], 100_000);
    assert_eq!(settings["attachments_enabled"], true);
    let res = app
        .upload(&s.conversation, &s.visitor, "big.txt", vec![b'a'; 100_001])
        .await;
    let body = crate::assert_envelope(res, 413, "payload_too_large").await;
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("100000")),
        "{body}"
    );
    assert_eq!(raw_count(&app.database_url, "attachments").await, 0);
    let a = uploaded(
        &app,
        &s.conversation,
        &s.visitor,
        "fits.txt",
        vec![b'a'; 100_000],
    )
    .await;
    assert_eq!(a["size"], 100_000);
    // The default limit is 10 MiB; the server's cap bounds what an owner sets.
    let res = app
        .client
        .patch(app.url(&site))
        .bearer_auth(&s.site.admin_key)
        .json(&json!({"attachments_max_bytes": 1u64 << 40}))
        .send()
        .await
        .expect("sent");
    crate::assert_envelope(res, 400, "validation_failed").await;
    let fresh = app.site().await;
    let read: Value = app
        .get_auth(&format!("/api/v1/sites/{}", fresh.id), &fresh.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["attachments_max_bytes"], 10 * 1024 * 1024, "{read}");
}
on_both_backends!(
    one_byte_over_the_limit_is_refused,
    super::one_byte_over_the_limit_is_refused
);
